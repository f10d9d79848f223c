"""Diagnostics tables: planted posteriors (exact) and one tiny fit (slow)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayes_alliance as ba
from bayes_alliance import diagnostics as dg
from bayes_alliance import diagnostics_compare as dc
from bayes_alliance.models.priors import PriorSet
from bayes_alliance.models.spec import load_spec
from bayes_alliance.results import FitResult

# ---------------------------------------------------------------------- planted posteriors
TERMS = ["threat", "retrench", "importance", "us_troops", "threat:retrench"]


def planted(prior: str, threat: np.ndarray, retrench: np.ndarray | None = None) -> FitResult:
    """A FitResult whose posterior is exactly the given draws (1 chain)."""
    n = threat.size
    beta = np.zeros((1, n, len(TERMS)))
    beta[0, :, 0] = threat
    beta[0, :, 1] = retrench if retrench is not None else 0.0
    idata = az.from_dict({"posterior": {"beta_milex": beta}},
                         dims={"beta_milex": ["term_milex"]}, coords={"term_milex": TERMS})
    return FitResult(idata=idata, spec=load_spec("burden"),
                     panel=SimpleNamespace(frame=pd.DataFrame({"x": range(10)})),
                     prior_set=PriorSet(name=prior, description="", priors=()),
                     scaling=None)


HYPS = [
    dc.Hypothesis("H1", "milex", "threat", +1, "threat raises spending",
                  coefficient="beta[milex, threat]"),
    dc.Hypothesis("H2", "milex", "retrench", -1, "retrenchment lowers spending",
                  coefficient="beta[milex, retrench]"),
    dc.Hypothesis("H3", "reassure", "threat", +1, "not in this spec",
                  coefficient="beta[reassure, threat]"),
    dc.Hypothesis("H4", "exit", "x", +1, "no coefficient", coefficient=None),
]


def test_hypotheses_probabilities_are_computed_from_the_draws():
    threat = np.r_[np.full(37, 0.5), np.full(63, -0.2)]            # 37 of 100 positive
    retrench = np.r_[np.full(90, -1.0), np.zeros(5), np.ones(5)]   # 90 negative, 5 exact zeros
    runs = {"weak": planted("weak", threat, retrench),
            "theory": planted("theory", np.abs(threat) + 1e-3, -np.abs(retrench) - 1e-3)}
    table = dc.hypotheses_table(runs, HYPS)
    assert list(table["id"]) == ["H1", "H2", "H3"]   # H4 maps to no coefficient
    row = table.set_index("id")
    assert row.loc["H1", "P(sign) weak"] == pytest.approx(0.37, abs=0)
    assert row.loc["H2", "P(sign) weak"] == pytest.approx(0.90, abs=0)  # zeros are misses
    assert row.loc["H1", "P(sign) theory"] == 1.0 and row.loc["H2", "P(sign) theory"] == 1.0
    assert np.isnan(row.loc["H3", "P(sign) weak"])
    assert row.loc["H1", "sign"] == "+" and row.loc["H2", "sign"] == "-"


def test_hypotheses_accept_a_list_and_the_theory_registry():
    threat = np.linspace(-1, 3, 200)
    table = dc.hypotheses_table([planted("weak", threat)], HYPS[:1])
    assert table["P(sign) weak"].iloc[0] == pytest.approx(np.mean(threat > 0), abs=0)
    registry = dc.theory_hypotheses()          # whatever theory ships today: a list
    assert isinstance(registry, list)
    default = dc.hypotheses_table([planted("weak", threat)])
    assert set(default.columns) >= {"id", "coefficient", "P(sign) weak"}


def test_prior_sensitivity_in_posterior_sd_units():
    rng = np.random.default_rng(3)
    base = rng.normal(size=400)
    base = (base - base.mean()) / base.std()                          # mean 0, sd 1 exactly
    runs = [planted("weak", base), planted("theory", base + 0.25),
            planted("skeptical", base - 1.0)]
    sens = dc.prior_sensitivity(runs).set_index("parameter")
    row = sens.loc["beta[milex, threat]"]
    assert row["reference"] == "weak"
    assert row["shift_sd theory"] == pytest.approx(0.25)
    assert row["shift_sd skeptical"] == pytest.approx(-1.0)
    assert row["max_abs_shift_sd"] == pytest.approx(1.0) and bool(row["sensitive"])
    assert dc.prior_sensitivity([planted("weak", base)]).empty


def test_named_runs_and_missing_groups():
    a, b = planted("weak", np.ones(10)), planted("weak", np.ones(10))
    assert list(dg.as_named_runs([a, b])) == ["burden/weak", "burden/weak (2)"]
    assert list(dg.as_named_runs({"x": a})) == ["x"]
    with pytest.raises(ba.ReportError, match="log_likelihood.*bayes-alliance fit"):
        dg.require_groups(a)


# ---------------------------------------------------------------------- fits from known draws
@pytest.fixture(scope="module")
def fit(known_joint_fit) -> FitResult:
    return known_joint_fit


def _with(fit: FitResult, group: str, **arrays: np.ndarray) -> FitResult:
    """A copy of ``fit`` whose ``group`` has the given (chain, draw, ...) arrays replaced."""
    idata = fit.idata.copy()
    ds = idata[group].to_dataset()
    for name, values in arrays.items():
        ds[name] = (ds[name].dims, values)
    idata[group] = ds
    return dataclasses.replace(fit, idata=idata)


def test_known_draws_pass_every_check(fit):
    diag = fit.diagnostics()
    assert diag.ok and diag.problems == () and diag.divergences == 0
    assert diag.max_rhat < 1.01 and diag.min_ess_bulk > 400 and diag.min_ess_tail > 400
    assert diag.stuck_chains == () and diag.min_bfmi > 1.5       # i.i.d. energy: BFMI ~ 2
    assert (diag.chain_table()["ok"]).all()
    d = diag.to_dict()
    assert d["ok"] is True and d["problems"] == [] and d["divergences_per_chain"] == [0, 0]
    assert isinstance(d["min_ess_bulk"], int) and d["max_rhat"] == round(diag.max_rhat, 3)
    assert diag["max_rhat"] == d["max_rhat"]                     # the earlier dict interface
    assert fit.diagnostics() is diag                             # computed once per idata


def test_a_shifted_chain_raises_rhat(fit):
    beta = fit.idata["posterior"]["beta_milex"].to_numpy().copy()
    beta[1, :, 0] += 1.0                                          # chain 1 elsewhere
    diag = _with(fit, "posterior", beta_milex=beta).diagnostics()
    assert diag.max_rhat > 1.5 and not diag.ok
    assert any(p.startswith("max R-hat") for p in diag.problems)
    table = dg.convergence_table(_with(fit, "posterior", beta_milex=beta))
    assert not table.loc["beta[milex, threat]", "rhat_ok"]
    assert table.drop(index="beta[milex, threat]")["rhat_ok"].all()


def test_autocorrelated_draws_lower_ess(fit):
    rng = np.random.default_rng(1)
    beta = fit.idata["posterior"]["beta_exit"].to_numpy().copy()
    walk = np.zeros(beta.shape[:2])
    for t in range(1, walk.shape[1]):                             # AR(1), rho 0.98
        walk[:, t] = 0.98 * walk[:, t - 1] + rng.normal(0, 0.1, walk.shape[0])
    beta[..., 0] = walk
    diag = _with(fit, "posterior", beta_exit=beta).diagnostics()
    assert diag.min_ess_bulk < 100 and "min ESS bulk" in "; ".join(diag.problems)


def test_divergences_low_bfmi_and_a_stuck_chain_are_named(fit):
    stats = fit.idata["sample_stats"]
    diverging = np.zeros(stats["diverging"].shape, bool)
    diverging[1, [3, 50, 70]] = True
    energy = np.cumsum(np.random.default_rng(2).normal(size=stats["energy"].shape), axis=1)
    logp = stats["logp"].to_numpy().copy()
    logp[0] -= 200.0                                              # chain 0 in a minor mode
    diag = _with(fit, "sample_stats", diverging=diverging, energy=energy,
                 logp=logp).diagnostics()
    assert diag.divergences_per_chain == (0, 3) and diag.divergences == 3
    assert diag.stuck_chains == (0,) and max(diag.bfmi) < 0.3
    text = "; ".join(diag.problems)
    assert "3 divergent transitions" in text and "min BFMI" in text
    assert "chain(s) 0 stuck" in text and "another seed" in text
    chains = diag.chain_table()
    assert chains["divergences"].tolist() == [0, 3] and not chains["ok"].any()
    assert chains.loc[0, "logp_gap_sds"] > 5


def test_diagnose_without_sample_stats():
    from bayes_alliance.convergence import diagnose

    rng = np.random.default_rng(0)
    idata = az.from_dict({"posterior": {"x": rng.normal(size=(4, 500))}})
    diag = diagnose(idata)
    assert diag.divergences_per_chain == (0,) * 4 and diag.stuck_chains == ()
    assert np.isnan(diag.min_bfmi) and diag.to_dict()["min_bfmi"] is None and diag.ok


def test_convergence_warning_lists_the_problems(fit):
    from bayes_alliance.convergence import warn_if_troubled

    beta = fit.idata["posterior"]["beta_milex"].to_numpy().copy()
    beta[1, :, 0] += 1.0
    with pytest.warns(ba.ConvergenceWarning, match=r"max R-hat .*target_accept.*diagnostics"):
        warn_if_troubled(_with(fit, "posterior", beta_milex=beta).diagnostics())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_troubled(fit.diagnostics())                       # a clean fit is silent


@pytest.fixture(scope="module")
def fit_loos(fit) -> dict:
    return dg.loo_results(fit)


def test_loo_predictive_and_compare_tables(fit, fit_loos):
    loo = dg.loo_table(fit, fit_loos)
    assert list(loo.index) == list(fit.spec.outcome_names)
    assert (loo["k_good"] + loo["k_bad"] + loo["k_very_bad"] == loo["n_obs"]).all()
    direct = az.loo(fit.idata, var_name="milex")
    assert loo.loc["milex", "elpd"] == pytest.approx(float(direct.elpd))
    assert (loo["pareto_k_warning"] == (loo["max_k"] > loo["good_k"])).all()   # ArviZ's flag
    ppc = dg.predictive_table(fit)
    assert set(ppc["kind"]) == {"count", "continuous", "binary"}
    y = fit.idata["observed_data"]["milex"].to_numpy()
    assert ppc.loc["milex", "observed_mean"] == pytest.approx(y.mean())   # log scale
    pit = dg.pit_values(fit, "reassure")
    assert pit.min() >= 0 and pit.max() <= 1
    other = dataclasses.replace(fit, prior_set=dataclasses.replace(fit.prior_set, name="copy"))
    cmp = dc.compare_table({"a": fit, "b": other})
    assert set(cmp["outcome"]) == set(fit.spec.outcome_names)
    assert np.allclose(cmp["elpd_diff"], 0)
    flags = cmp.groupby("outcome")["pareto_k_warning"].first()
    assert (flags == loo["pareto_k_warning"].reindex(flags.index)).all()


def test_pareto_k_warning_is_recorded_not_printed(fit, fit_loos):
    import warnings

    ll = fit.idata["log_likelihood"]["milex"].to_numpy().copy()
    ll[:, :3, 0] -= 30.0                       # observation 0: three draws carry its LOO weight
    bad = _with(fit, "log_likelihood", milex=ll)
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # any warning would fail here
        loos = dg.loo_results(bad)
    assert float(loos["milex"].pareto_k[0]) > 1.0
    loo = dg.loo_table(bad, loos)
    assert loo.loc["milex", "pareto_k_warning"] and not loo.loc["milex", "ok"]
    before = dg.loo_table(fit, fit_loos)
    assert loo.loc["milex", "k_very_bad"] == before.loc["milex", "k_very_bad"] + 1
    assert (loo.drop(index="milex") == before.drop(index="milex")).all().all()


def test_logp_gaps_flag_a_chain_stuck_far_below_the_others():
    import xarray as xr

    from bayes_alliance.constants import STUCK_LOGP_SDS
    from bayes_alliance.convergence import logp_gaps

    rng = np.random.default_rng(0)
    lp = rng.normal(-4600.0, 10.0, size=(4, 500))
    lp[2] -= 200.0  # one chain trapped in a minor mode
    gaps = logp_gaps(xr.Dataset({"logp": (("chain", "draw"), lp)}))
    assert np.flatnonzero(gaps > STUCK_LOGP_SDS).tolist() == [2]
    assert gaps[2] == pytest.approx(20.0, rel=0.1)
    same = logp_gaps(xr.Dataset({"lp": (("chain", "draw"), lp[[0, 1, 3]])}))  # PyMC's name
    assert same.max() < 1.0
    assert logp_gaps(xr.Dataset({"energy": (("chain", "draw"), lp)})).tolist() == [0] * 4


def test_cli_fit_says_sampler_trouble_once(fit, monkeypatch):
    """The API's ConvergenceWarning is replaced by the CLI's own line, not printed beside it."""
    import warnings

    from typer.testing import CliRunner

    import bayes_alliance.fit
    from bayes_alliance.cli import app
    from bayes_alliance.convergence import warn_if_troubled

    beta = fit.idata["posterior"]["beta_milex"].to_numpy().copy()
    beta[1, :, 0] += 1.0
    troubled = _with(fit, "posterior", beta_milex=beta)

    def fake_fit(model, **kwargs):               # what fit_model ends with, minus the sampling
        warn_if_troubled(troubled.diagnostics())
        return troubled

    monkeypatch.setattr(bayes_alliance.fit, "fit_model", fake_fit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = CliRunner().invoke(app, ["fit", "--priors", "weak", "--json"])
        strict = CliRunner().invoke(app, ["fit", "--priors", "weak", "--strict"])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("sampler trouble") == 1 and "--target-accept" in res.stderr
    assert "ConvergenceWarning" not in res.output
    assert not [w for w in caught if issubclass(w.category, ba.ConvergenceWarning)]
    assert strict.exit_code == 1 and strict.stderr.count("sampler trouble") == 1
