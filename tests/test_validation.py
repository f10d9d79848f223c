"""Validation runs: SBC machinery (ranks, uniformity, bands, Dask run + resume), baseline GLMs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.validation import sbc
from bayes_alliance.validation.panels import (
    PLACEHOLDER,
    generating_model,
    observed_columns,
    real_skeleton,
    skeleton,
)

TINY = dict(spec="reassurance", priors="sbc", n_allies=3, first_year=1965, n_years=6,
            draws=60, tune=80, chains=2, n_ranks=9, seed=11)


# ---------------------------------------------------------------------- fast: pure functions
def test_thinning_and_ranks():
    idx = sbc.thin_indices(1000, 99)
    assert idx.size == 99 and idx[0] == 0 and idx[-1] < 1000 and np.all(np.diff(idx) >= 10)
    import xarray as xr

    draws = xr.Dataset({"a": (("chain", "draw"), np.arange(20.0).reshape(2, 10))})
    # kept: 0, 2, 4, ..., 18 -> truth 5.5 is above 0, 2, 4
    assert sbc.ranks_of(draws, {"a": 5.5}, 10) == {"a": 3}
    assert sbc.ranks_of(draws, {"a": -1.0}, 10) == {"a": 0}
    assert sbc.ranks_of(draws, {"a": 99.0}, 10) == {"a": 10}


def test_simulation_seeds_are_distinct_and_stable():
    seeds = [sbc.simulation_seed(3, i) for i in range(50)]
    assert len(set(seeds)) == 50
    assert sbc.simulation_seed(3, 7) == seeds[7]


def test_uniformity_holm_adjusts_like_the_definition():
    rng = np.random.default_rng(5)
    ranks = pd.DataFrame({f"x{k}": rng.integers(0, 100 - 10 * k, size=200) for k in range(5)})
    table = sbc.uniformity(ranks, 99)
    p = table["p"].to_numpy()
    order = np.argsort(p)
    expected = np.empty_like(p)
    scaled = (len(p) - np.arange(len(p))) * p[order]
    expected[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    np.testing.assert_allclose(table["p_holm"].to_numpy(), expected)
    assert (table["p_holm"] >= table["p"]).all() and table["p_holm"].min() < 0.01


def test_uniformity_accepts_uniform_and_rejects_skewed_ranks():
    rng = np.random.default_rng(1)
    L = 99
    ranks = pd.DataFrame({f"u{i}": rng.integers(0, L + 1, 400) for i in range(5)})
    ranks["skewed"] = np.minimum(rng.integers(0, L + 1, 400), rng.integers(0, L + 1, 400))
    ranks["narrow"] = rng.integers(30, 70, 400)  # overdispersed posterior
    table = sbc.uniformity(ranks, L)
    assert table.loc[[f"u{i}" for i in range(5)], "passed"].all()
    assert not table.loc["skewed", "passed"] and not table.loc["narrow", "passed"]
    assert table["bins"].iloc[0] == 20


def test_simultaneous_band_has_its_coverage():
    """About 1% of uniform rank sets leave a 99% simultaneous band; far more leave it pointwise."""
    n, L = 100, 19
    z, lo, hi = sbc.ecdf_band(n, L, prob=0.95, n_simulations=3000, seed=1)
    rng = np.random.default_rng(2)
    outside = 0
    for _ in range(1000):
        d = sbc.ecdf_difference(rng.integers(0, L + 1, n), L)
        outside += bool(np.any((d < lo - 1e-12) | (d > hi + 1e-12)))
    assert 0.025 < outside / 1000 < 0.08
    assert np.all(lo < 0) and np.all(hi > 0) and z.size == L


def test_skeleton_checks_window():
    f = skeleton(4, 1962, 10)
    assert f["ally"].nunique() == 4 and f.groupby("ally").size().eq(10).all()
    with pytest.raises(ValidationRunError, match="not allies in every year"):
        skeleton(3, 1945, 20)
    with pytest.raises(ValidationRunError):
        skeleton(0)


#: a real-design skeleton: garrison hosts (ROK) and not (FRN), a treaty that ends in the
#: window (TAW, 1980), years on both sides of the first exercises year (1980)
REAL = dict(spec="joint-real-measured", priors="sbc", skeleton="real",
            allies=("ROK", "FRN", "TAW"), n_allies=3, first_year=1970, n_years=14,
            draws=60, tune=80, chains=2, n_ranks=9, seed=5)


def test_real_skeleton_keeps_the_real_design_and_drops_its_outcomes():
    from bayes_alliance.data.load import load_panel
    from bayes_alliance.models.spec import load_spec

    spec = load_spec("joint-real-measured")
    f = real_skeleton(spec, REAL["allies"], 1970, 14)
    real = load_panel("real").frame
    real = real[real["ally"].isin(REAL["allies"]) & real["year"].between(1970, 1983)]
    real = real.sort_values(["ally", "year"]).reset_index(drop=True)
    assert f[["ally", "year"]].equals(real[["ally", "year"]])
    assert f.groupby("ally").size().to_dict() == {"FRN": 14, "ROK": 14, "TAW": 11}
    for cov in ("threat", "exit_capacity", "us_troops", "dependence", "exposure"):
        assert np.array_equal(f[cov].to_numpy(float), real[cov].to_numpy(float),
                              equal_nan=True), cov
    columns = observed_columns(spec)
    assert {"reassure", "milex_gdp", "exercises_us", "troops_present", "troops_cut"} <= set(columns)
    for col in columns:
        assert f[col].notna().equals(real[col].notna()), col
        assert f[col].dropna().eq(PLACEHOLDER).all(), col  # no real value is left
    # the real design's features are in it: exercises only from 1980, interventions only in
    # war years, statements only where the corpus has sentences
    assert f.loc[f["year"] < 1980, "exercises_us"].isna().all()
    assert f.loc[f["year"] >= 1980, "exercises_us"].notna().any()
    assert f["intervene"].isna().any() and f["reassure"].isna().any()


@pytest.mark.slow
def test_simulations_on_a_real_skeleton_keep_its_missingness():
    """The generating model draws every outcome and indicator on exactly the real rows."""
    from bayes_alliance.data.load import load_panel

    gen = generating_model("joint-real-measured", "sbc", 3, 1970, 14,
                           real_allies=REAL["allies"])
    sim, _ = gen.simulate({}, seed=3)
    real = load_panel("real").frame
    real = real[real["ally"].isin(REAL["allies"]) & real["year"].between(1970, 1983)]
    real = real.sort_values(["ally", "year"]).reset_index(drop=True)
    for col in observed_columns(gen.spec):
        assert sim[col].notna().equals(real[col].notna()), col
    assert not sim["milex_gdp"].dropna().eq(PLACEHOLDER).all()


def test_real_skeleton_refuses_bad_allies_and_windows():
    with pytest.raises(ValidationRunError, match="XYZ are not in the real panel"):
        real_skeleton("joint-real-measured", ("ROK", "XYZ"), 1975, 10)
    with pytest.raises(ValidationRunError, match="TAW have fewer than two"):
        real_skeleton("joint-real-measured", ("ROK", "TAW"), 1981, 10)
    with pytest.raises(ValidationRunError, match="distinct"):
        real_skeleton("joint-real-measured", ("ROK", "ROK"), 1975, 10)
    with pytest.raises(ValidationRunError, match="n_years"):
        real_skeleton("joint-real-measured", ("ROK",), 1975, 1)
    with pytest.raises(ValidationRunError, match="intervene have no observed rows"):
        real_skeleton("joint-real-measured", ("ROK", "FRN"), 1975, 12)


def test_real_skeleton_config_and_command_line():
    assert sbc.parse_allies("real", "rok, JPN") == (2, ("ROK", "JPN"))
    assert sbc.parse_allies("synthetic", "10") == (10, ())
    with pytest.raises(ValidationRunError, match="ally codes separated by commas"):
        sbc.parse_allies("real", "10")
    with pytest.raises(ValidationRunError, match="need --skeleton real"):
        sbc.parse_allies("synthetic", "ROK,JPN")
    cfg = sbc.SBCConfig(**REAL)
    cfg.check()
    again = sbc.SBCConfig(**json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.to_dict()["allies"] == ["ROK", "FRN", "TAW"]
    for bad in ({"n_allies": 2}, {"allies": ()}, {"skeleton": "other"}):
        with pytest.raises(ValidationRunError):
            sbc.SBCConfig(**{**REAL, **bad}).check()
    with pytest.raises(ValidationRunError, match="real skeleton"):
        sbc.SBCConfig(**{**TINY, "allies": ("ROK",)}).check()


def test_run_written_before_the_skeleton_option_resumes(tmp_path):
    cfg = sbc.SBCConfig(**TINY)
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("skeleton", "allies")}
    (tmp_path / "config.json").write_text(json.dumps(old))
    sbc._check_config(tmp_path, cfg, force=False)  # same settings: no complaint


def test_resume_refuses_other_settings(tmp_path):
    cfg = sbc.SBCConfig(**TINY)
    sbc._check_config(tmp_path, cfg, force=False)
    other = sbc.SBCConfig(**{**TINY, "draws": 61})
    with pytest.raises(ValidationRunError, match="differs in: draws"):
        sbc._check_config(tmp_path, other, force=False)
    sbc._check_config(tmp_path, other, force=True)
    assert json.loads((tmp_path / "config.json").read_text())["draws"] == 61


def test_config_check():
    with pytest.raises(ValidationRunError, match="n_ranks"):
        sbc.SBCConfig(**{**TINY, "draws": 3, "n_ranks": 99}).check()


@pytest.mark.slow
def test_baseline_glms_recover_the_generating_coefficients():
    """Per-outcome GLMs on a panel simulated at known values (reassure equation has no
    latent term, so its GLM targets the true coefficients)."""
    from bayes_alliance import AllianceModel
    from bayes_alliance.synthetic import TRUE_PARAMS
    from bayes_alliance.validation.baseline import glm_estimates, single_outcome_spec

    model = AllianceModel.from_spec("joint", "default", priors="weak")
    o = model.spec.outcome("reassure")
    g = glm_estimates(o, model.panel.frame, model.scaling)
    z = (g.mle.to_numpy() - np.asarray(TRUE_PARAMS["beta_reassure"])) / g.se.to_numpy()
    assert np.all(np.abs(z) < 4)
    assert single_outcome_spec(model.spec, "milex").name == "burden"
    assert single_outcome_spec(model.spec, "reassure").name == "reassurance"
    one = single_outcome_spec(model.spec, "exit")
    assert one.outcome_names == ("exit",) and "reassurance" not in one.outcomes[0].terms
    gi = glm_estimates(model.spec.outcome("intervene"), model.panel.frame, model.scaling)
    assert list(gi.term) == ["threat", "importance", "us_troops"] and gi.se.gt(0).all()


def test_cli_registers_validation_verbs():
    from typer.testing import CliRunner

    from bayes_alliance.cli import app

    runner = CliRunner()
    for verb in ("sbc", "recovery", "baseline"):
        res = runner.invoke(app, [verb, "--help"])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["baseline"])
    assert res.exit_code == 1 and "either a run file" in res.output


# ---------------------------------------------------------------------- slow: sampling on Dask
@pytest.mark.slow
def test_tiny_sbc_on_local_cluster_resumes(tmp_path):
    """Run 2 of 4 simulations (an 'interrupted' run), then resume: only 2 new fits happen."""
    from dask.distributed import Client, LocalCluster

    cfg = sbc.SBCConfig(**TINY)
    lines = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        first = sbc.run_sbc(cfg, 2, tmp_path, scheduler=cluster.scheduler_address,
                            progress=lambda d, m: lines.append((d, m)))
        assert first == {"new": 2, "reused": 0, "failed": 0, "out": str(tmp_path)}
        stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "sims").iterdir()}
        second = sbc.run_sbc(cfg, 4, tmp_path, scheduler=cluster.scheduler_address,
                             progress=lambda d, m: lines.append((d, m)))
        assert second["new"] == 2 and second["reused"] == 2
        # the finished simulations were not redone
        for name, stamp in stamps.items():
            assert (tmp_path / "sims" / name).stat().st_mtime_ns == stamp
        # each worker compiled the model at most once across both runs
        counts = client.run(lambda: __import__(
            "bayes_alliance.validation.sampling", fromlist=["x"]).COMPILE_COUNT["n"])
        assert sum(counts.values()) <= 2
    assert [d for d, _ in lines] == [1, 2, 3, 4]
    assert sorted(sbc.finished_indices(tmp_path)) == [0, 1, 2, 3]
    summary = sbc.summarise(tmp_path, command="bayes-alliance sbc --sims 4")
    assert summary["successful"] == 4 and not summary["failed"]
    assert summary["parameters"] == 8  # intercept, 5 betas, sd_ally, phi
    ranks = pd.read_csv(tmp_path / "ranks.csv", index_col="sim")
    assert ranks.shape == (4, 8) and ranks.to_numpy().max() <= TINY["n_ranks"]
    for f in ("uniformity.csv", "ecdf.png", "summary.json", "command.txt"):
        assert (tmp_path / f).is_file()
    rec = json.loads((tmp_path / "sims" / "sim_0003.json").read_text())
    assert rec["index"] == 3 and set(rec["ranks"]) == set(rec["truth"])


@pytest.mark.slow
def test_baseline_of_a_saved_run_compares_only_latent_free_equations(tmp_path):
    import bayes_alliance as ba
    from bayes_alliance import AllianceModel
    from bayes_alliance.validation.baseline import run_baseline

    f = ba.load_panel("default").frame
    small = f[f.ally.isin(["GFR", "JPN", "ROK", "UKG", "TUR", "ITA"])].reset_index(drop=True)
    model = AllianceModel.from_spec("joint", small, priors="weak")
    res = model.fit(draws=150, tune=150, chains=2, random_seed=3, prior_draws=0,
                    predictive=False)
    run = res.save(tmp_path / "run.nc")
    summary = run_baseline(run=run, out=tmp_path / "out", command="bayes-alliance baseline x")
    outcomes = {r["outcome"] for r in summary["table"]}
    assert outcomes == {"reassure"}  # the others contain latent-reassurance terms
    assert {s["outcome"] for s in summary["skipped"]} == {"milex", "intervene", "exit"}
    assert summary["max_abs_diff_sd"] < 4
    assert (tmp_path / "out" / "baseline.md").read_text().startswith("| outcome |")


def test_recovery_leaves_dispersions_off_the_link_scale():
    import pandas as pd

    from bayes_alliance.validation.recovery import off_scale

    names = pd.Series(["phi[reassure]", "sigma[milex]", "nu[milex]", "beta[milex, threat]"])
    assert off_scale(names).tolist() == [True, False, True, False]


@pytest.mark.slow
def test_tiny_sbc_of_the_measurement_model_on_a_real_skeleton(tmp_path):
    """Two simulations of joint-real-measured on the real design: every parameter of the
    measurement model is ranked and the skeleton is recorded."""
    cfg = sbc.SBCConfig(**REAL)
    run = sbc.run_sbc(cfg, 2, tmp_path, workers=1)
    assert run["new"] == 2 and run["failed"] == 0
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["skeleton"] == "real" and saved["allies"] == ["ROK", "FRN", "TAW"]
    summary = sbc.summarise(tmp_path)
    assert summary["successful"] == 2
    ranked = set(summary["table"])
    assert {"anchor_loading[garrison]", "loading[troop_cut]", "intercept[exercises]",
            "phi[president_visits]", "recall[reassure]", "false_positive[reassure]",
            "beta[milex, reassurance]"} <= ranked
    sk = summary["skeleton"]
    assert sk["kind"] == "real" and sk["rows"] == 39
    assert sk["rows_per_ally"] == {"FRN": 14, "ROK": 14, "TAW": 11}
    assert 0 < sk["observed_rows"]["exercises_us"] < sk["observed_rows"]["troops_present"] == 39
