"""Sampling tests (tiny data, few draws): fit, save/load, seeds, CLI, recovery."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import bayes_alliance as ba
from bayes_alliance import AllianceModel
from bayes_alliance.cli import app
from bayes_alliance.results import FitResult
from bayes_alliance.synthetic import TRUE_PARAMS, simulate_covariates

pytestmark = pytest.mark.slow
ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA"]
QUICK = {"draws": 60, "tune": 60, "chains": 2, "random_seed": 7, "prior_draws": 20}


@pytest.fixture(scope="module")
def small_frame() -> pd.DataFrame:
    f = ba.load_panel("default").frame
    return f[f.ally.isin(ALLIES) & (f.year >= 1960) & (f.year < 1990)].reset_index(drop=True)


@pytest.fixture(scope="module")
def result(small_frame) -> FitResult:
    return AllianceModel.from_spec("joint", small_frame, priors="weak").fit(**QUICK)


def test_result_holds_every_group(result):
    groups = set(result.idata.children)
    assert {"posterior", "prior", "prior_predictive", "posterior_predictive",
            "log_likelihood", "observed_data", "sample_stats"} <= groups
    assert set(result.idata["log_likelihood"].data_vars) == {"reassure", "milex", "intervene",
                                                             "exit"}
    table = result.summary()
    assert "beta[milex, reassurance]" in table.index and "corr_ally[reassure, milex]" in table.index
    assert result.info["sampler"] == "nutpie"


def test_save_load_round_trip_is_exact(result, tmp_path):
    path = tmp_path / "run.nc"
    result.save(path)
    loaded = FitResult.load(path)
    for group in ("posterior", "log_likelihood", "posterior_predictive", "prior"):
        a, b = result.idata[group].to_dataset(), loaded.idata[group].to_dataset()
        for var in a.data_vars:
            np.testing.assert_array_equal(a[var].values, b[var].values)
    pd.testing.assert_frame_equal(loaded.panel.frame, result.panel.frame)
    assert loaded.spec == result.spec and loaded.scaling == result.scaling
    assert loaded.prior_set == result.prior_set and loaded.info == json.loads(
        json.dumps(result.info, default=str))
    with pytest.raises(ba.ResultError, match="exists"):
        result.save(path)
    result.save(path, force=True)
    assert not list(tmp_path.glob(".*part"))


def test_load_rejects_corrupt_and_foreign_files(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"not a netcdf file")
    with pytest.raises(ba.ResultError, match="cannot read run file"):
        FitResult.load(bad)
    with pytest.raises(ba.ResultError, match="does not exist"):
        FitResult.load(tmp_path / "none.nc")


def test_same_seed_same_draws(small_frame, result):
    again = AllianceModel.from_spec("joint", small_frame, priors="weak").fit(**QUICK)
    np.testing.assert_array_equal(again.idata["posterior"]["beta_milex"].values,
                                  result.idata["posterior"]["beta_milex"].values)


def test_pymc_sampler_alternative(small_frame):
    with pytest.warns(ba.ConvergenceWarning, match="min ESS bulk .* < 400.*tune"):  # 40 draws
        res = AllianceModel.from_spec("burden", small_frame, priors="weak").fit(
            draws=40, tune=40, chains=1, sampler="pymc", random_seed=1, prior_draws=0,
            predictive=False)
    assert res.info["sampler"] == "pymc"
    assert res.idata["posterior"].sizes["draw"] == 40


def test_bad_sampler_settings():
    model = AllianceModel.from_spec("burden", "default", priors="weak")
    with pytest.raises(ba.FitError, match="unknown sampler 'stan'"):
        model.fit(sampler="stan")
    with pytest.raises(ba.FitError, match="target_accept"):
        model.fit(target_accept=1.5)


def test_cli_fit_json_keys(tmp_path, small_frame):
    data = tmp_path / "panel.csv"
    small_frame.to_csv(data, index=False)
    out = tmp_path / "run.nc"
    args = ["fit", "--data", str(data), "--spec", "burden", "--priors", "weak",
            "--draws", "50", "--tune", "50", "--chains", "2", "--out", str(out), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    for key in ("sampler", "compile_seconds", "sampling_seconds", "divergences", "max_rhat",
                "min_ess_bulk", "min_ess_tail", "parameters"):
        assert key in summary
    p = summary["parameters"]["beta[milex, threat]"]
    assert set(p) >= {"mean", "sd", "lo", "hi"} and p["lo"] < p["mean"] < p["hi"]
    assert out.is_file()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "exists" in again.output
    strict = CliRunner().invoke(app, [*args[:-3], "--strict", "--json"])
    assert strict.exit_code == 1  # 50 draws cannot reach ESS 400: --strict fails the run


def test_recovery_of_known_parameters():
    """90% intervals cover the true population-level parameters at about the nominal rate."""
    cov = simulate_covariates(seed=11)
    allies = sorted(cov.ally.unique())[::2][:24]
    cov = cov[cov.ally.isin(allies) & (cov.year >= 1965) & (cov.year < 2000)]
    gen = AllianceModel.from_spec("joint", cov, priors="weak", require_outcomes=False)
    frame, truth = gen.simulate(TRUE_PARAMS, seed=12)
    res = AllianceModel.from_spec("joint", frame, priors="weak").fit(
        draws=250, tune=300, chains=2, random_seed=3, prior_draws=0, predictive=False)
    table = res.summary()
    lo, hi = table.columns[2], table.columns[3]
    true = {}
    spec = res.spec
    for j, o in enumerate(spec.outcome_names):
        true[f"intercept[{o}]"] = truth["intercept"][j]
        true[f"sd_ally[{o}]"] = truth["sd_ally"][j]
        for t, v in zip(spec.outcome(o).terms, truth[f"beta_{o}"], strict=True):
            true[f"beta[{o}, {t}]"] = v
    for readable, name in (("phi[reassure]", "phi_reassure"), ("sigma[milex]", "sigma_milex"),
                           ("nu[milex]", "nu_milex")):
        true[readable] = truth[name]
    covered = [bool(table.loc[k, lo] <= float(v) <= table.loc[k, hi]) for k, v in true.items()]
    rate = float(np.mean(covered))
    assert rate >= 0.75, f"coverage {rate:.2f} of {len(covered)} parameters"
