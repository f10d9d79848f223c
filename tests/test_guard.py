"""The stuck-chain guard on a target with a known minor mode, for both samplers."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from bayes_alliance import guard
from bayes_alliance.convergence import describe_restarts, diagnose
from bayes_alliance.results import DIGEST_ATTR, META_GROUP, FitResult, content_digest, fit_summary

#: the two wells: weight 1 - 1e-8 at +3, 1e-8 at -3, sd 0.3 each. A chain started at -3
#: stays there (the barrier at 0 is 50 log-density units high): about 25 within-chain
#: sds below the chains at +3.
MAJOR, MINOR, SD = 3.0, -3.0, 0.3
SETTINGS = {"draws": 200, "tune": 200, "progressbar": False}


def two_wells() -> pm.Model:
    with pm.Model() as model:
        x = pm.Flat("x")
        pm.Potential("wells", pm.math.logaddexp(
            pm.logp(pm.Normal.dist(MAJOR, SD), x),
            np.log(1e-8) + pm.logp(pm.Normal.dist(MINOR, SD), x)))
    return model


def assert_repaired(idata, restarts, chain):
    assert restarts[0]["chains"] == [chain] and restarts[0]["logp_gap_sds_before"][0] > 10
    assert restarts[0]["logp_gap_sds_after"][0] < 5
    diag = diagnose(idata)
    assert diag.stuck_chains == () and diag.max_rhat < 1.05, diag.problems
    x = idata["posterior"]["x"].values
    assert x.shape == (4, SETTINGS["draws"]) and np.all(x > 0)  # every chain in the main well
    assert abs(x.mean() - MAJOR) < 0.1


@pytest.mark.slow
def test_pymc_chain_started_in_the_minor_mode_is_rerun():
    model = two_wells()
    start = [{"x": MAJOR}] * 3 + [{"x": MINOR}]
    unguarded, none = guard.sample_guarded(model, chains=4, random_seed=3, max_restarts=0,
                                           initvals=start, nuts_sampler="pymc", cores=1,
                                           **SETTINGS)
    assert none == [] and diagnose(unguarded).stuck_chains == (3,)  # the trap is real
    idata, restarts = guard.sample_guarded(model, chains=4, random_seed=3, initvals=start,
                                           nuts_sampler="pymc", cores=1, **SETTINGS)
    assert len(restarts) == 1 and restarts[0]["seeds"] == [guard.restart_seed(3, 1, 3)]
    assert_repaired(idata, restarts, 3)
    assert np.array_equal(idata["posterior"]["x"].values[:3],
                          unguarded["posterior"]["x"].values[:3])  # good chains untouched
    assert "re-ran chain(s) 3" in describe_restarts(restarts)[0]


@pytest.mark.slow
def test_nutpie_stuck_chain_is_rerun():
    model = two_wells()
    with model:  # nutpie takes one start for all chains: plant the stuck chain as chain 1
        good = pm.sample(chains=4, random_seed=1, initvals={"x": MAJOR}, nuts_sampler="nutpie",
                         **SETTINGS)
        trapped = pm.sample(chains=1, random_seed=2, initvals={"x": MINOR},
                            nuts_sampler="nutpie", **SETTINGS)
    idata = guard.replace_chains(good, trapped, [1])
    assert guard.stuck(idata) == [1]
    messages = []
    options = {"nuts": {"adaptation": "low_rank"}}  # as fit_model passes them
    idata, restarts = guard.repair(model, idata, random_seed=5, nuts_sampler="nutpie",
                                   target_accept=0.9, say=messages.append, **options,
                                   **SETTINGS)
    assert options == {"nuts": {"adaptation": "low_rank"}}  # pm.sample's writes stay local
    assert len(restarts) == 1 and "chain(s) 1 stuck" in messages[0]
    assert_repaired(idata, restarts, 1)


def test_replace_chains_swaps_only_the_named_chain(known_fit_factory):
    a, b = known_fit_factory(chains=3, seed=1).idata, known_fit_factory(chains=2, seed=2).idata
    out = guard.replace_chains(a, b, [2])
    for group in ("posterior", "sample_stats"):
        for var in a[group].data_vars:
            new, old, src = (np.asarray(t[group][var].values) for t in (out, a, b))
            assert np.array_equal(new[:2], old[:2]) and np.array_equal(new[2], src[0])
    assert out["posterior"].sizes["chain"] == 3


def test_start_points_come_from_good_chains():
    model = two_wells()
    post = xr.Dataset({"x": (("chain", "draw"), np.array([[3.0] * 5, [-3.0] * 5, [3.1] * 5]))})
    idata = xr.DataTree.from_dict({"posterior": post})
    points = guard.start_points(idata, model, [1], seed=0)
    assert len(points) == 1 and float(points[0]["x"]) in (3.0, 3.1)


def test_restarts_round_trip_through_a_saved_run(known_fit_factory, tmp_path):
    fit = known_fit_factory(draws=50)
    record = {"round": 1, "chains": [1], "seeds": [123], "logp_gap_sds_before": [24.5],
              "logp_gap_sds_after": [0.3], "seconds": 1.5}
    fit.info["restarts"] = [record]
    path = fit.save(tmp_path / "run.nc")
    back = FitResult.load(path)
    assert back.info["restarts"] == [record]
    assert "re-ran chain(s) 1" in describe_restarts(fit_summary(back)["restarts"])[0]
    with xr.open_datatree(path, engine="h5netcdf") as tree:  # the checksum covers the record
        meta = tree.load()[META_GROUP]
    saved = meta.attrs[DIGEST_ATTR]
    meta.attrs["info"] = meta.attrs["info"].replace("24.5", "2.5")
    assert content_digest(meta.root) != saved


def test_cli_and_report_show_the_restarts(known_fit_factory):
    from bayes_alliance.cli.fit import format_fit_summary
    from bayes_alliance.report.content import _convergence_section

    fit = known_fit_factory(draws=50)
    fit.info["restarts"] = [{"round": 1, "chains": [0], "seeds": [7],
                             "logp_gap_sds_before": [15.2], "logp_gap_sds_after": [0.4],
                             "seconds": 40.0}]
    text = format_fit_summary(fit_summary(fit))
    assert "stuck-chain guard, round 1: re-ran chain(s) 0 (log density 15.2 sds" in text
    tables: dict = {}
    section, numbers = _convergence_section({"main": fit}, tables, {})
    assert tables["convergence_overview"].loc["main", "chains_rerun"] == 1
    assert numbers["main"]["restarts"] == fit.info["restarts"]
    assert any("Run 'main', stuck-chain guard round 1" in (b.text or "") for b in section.blocks)
