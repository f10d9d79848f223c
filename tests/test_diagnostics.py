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


# ---------------------------------------------------------------------- a tiny real fit
@pytest.fixture(scope="module")
def fit(tiny_joint_fit) -> FitResult:
    return tiny_joint_fit


@pytest.mark.slow
def test_convergence_and_chain_tables(fit):
    table = dg.convergence_table(fit)
    assert {"r_hat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd", "ok"} <= set(table.columns)
    assert "beta[milex, threat]" in table.index
    expected = (table["r_hat"].isna() | (table["r_hat"] <= 1.01)) & (table["ess_bulk"] >= 400) \
        & (table["ess_tail"] >= 400)
    assert (table["ok"] == expected).all()
    chains = dg.chain_table(fit)
    assert len(chains) == 2 and chains["divergences"].sum() == fit.diagnostics()["divergences"]
    ov = dg.convergence_overview(fit)
    assert ov["ok"] == (not ov["problems"])


@pytest.mark.slow
def test_loo_predictive_and_compare_tables(fit):
    loo = dg.loo_table(fit)
    assert list(loo.index) == list(fit.spec.outcome_names)
    assert (loo["k_good"] + loo["k_bad"] + loo["k_very_bad"] == loo["n_obs"]).all()
    direct = az.loo(fit.idata, var_name="milex")
    assert loo.loc["milex", "elpd"] == pytest.approx(float(direct.elpd))
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
