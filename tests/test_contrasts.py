"""hypothesis() on linear combinations of parameters and compare() of fits (known draws)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bayes_alliance as ba
from bayes_alliance.contrasts import normalise_name, parse_hypothesis
from bayes_alliance.diagnostics_compare import COMPARE_COLUMNS

NAMES = ["beta[milex, threat]", "beta[milex, retrench]", "beta[milex, threat:retrench]",
         "beta[exit, threat]", "intercept[milex]", "phi_reassure"]


def test_parse_builds_the_linear_form():
    h = parse_hypothesis("2*beta[milex,threat] - beta[milex, retrench]/4 + 1 > beta[exit, threat]",
                         NAMES)
    assert h.direction == ">"
    assert h.form.weights == {"beta[milex, threat]": 2.0, "beta[milex, retrench]": -0.25,
                              "beta[exit, threat]": -1.0}
    assert h.form.constant == 1.0
    h = parse_hypothesis("-(beta[milex, threat] - 2 * (phi_reassure + .5)) <= 1e-1", NAMES)
    assert h.direction == "<"
    assert h.form.weights == {"beta[milex, threat]": -1.0, "phi_reassure": 2.0}
    assert h.form.constant == pytest.approx(1.0 - 0.1)
    h = parse_hypothesis("beta[milex, threat] + beta[milex, threat:retrench] = 0", NAMES)
    assert h.direction == "=" and h.form.weights == {"beta[milex, threat]": 1.0,
                                                     "beta[milex, threat:retrench]": 1.0}
    assert normalise_name("beta [ milex ,threat:retrench ]") == "beta[milex, threat:retrench]"


@pytest.mark.parametrize(("text", "message"), [
    ("beta[milex, treat] > 0", r"unknown parameter 'beta\[milex, treat\]'; did you mean "
                               r"'beta\[milex, threat\]'"),
    ("sigma > 0", r"unknown parameter 'sigma'; .*parameters are beta\[milex, threat\]"),
    ("beta[milex, threat] * beta[exit, threat] > 0", "product of two parameters"),
    ("beta[milex, threat] / beta[exit, threat] > 0", "divide only by a non-zero number"),
    ("beta[milex, threat] / 0 > 0", "divide only by a non-zero number"),
    ("beta[milex, threat]", "ends too early"),
    ("beta[milex, threat] > 0 > 1", "unexpected '>'"),
    ("beta[milex, threat] + 0 > beta[milex, threat]", "names no parameter"),
    ("beta[milex, threat] > 0; import os", r"cannot read ';' at character 24"),
    ("__import__('os').system('true') > 0", "cannot read ''' at character 12"),
    ("(beta[milex, threat] > 0", r"expected '\)'"),
    ("", "non-empty text"),
])
def test_bad_hypotheses_raise_one_clear_error(text, message):
    with pytest.raises(ba.ReportError, match=message):
        parse_hypothesis(text, NAMES)


def test_hypothesis_summarises_the_combination_of_draws(known_joint_fit):
    fit = known_joint_fit
    post = fit.parameters()
    a = post["beta[milex, threat]"].to_numpy().ravel()
    b = post["beta[milex, threat:retrench]"].to_numpy().ravel()
    r = post["beta[milex, retrench]"].to_numpy().ravel()
    table = ba.hypothesis(fit, {"sum": "beta[milex, threat] + beta[milex, threat:retrench] > 0",
                                "neg": "beta[milex,retrench] < -0.1",
                                "eq": "2 * (beta[milex, threat] - beta[milex, retrench]) = 1"})
    assert list(table.index) == ["sum", "neg", "eq"]
    s = table.loc["sum"]
    assert s["estimate"] == pytest.approx(np.mean(a + b))
    assert s["sd"] == pytest.approx(np.std(a + b, ddof=1))
    assert [s["lo"], s["hi"]] == pytest.approx(np.quantile(a + b, [0.05, 0.95]))
    assert s["post_prob"] == pytest.approx(np.mean(a + b > 0))
    n = table.loc["neg"]
    p = np.mean(r + 0.1 < 0)
    assert n["estimate"] == pytest.approx(np.mean(r) + 0.1)
    assert n["post_prob"] == pytest.approx(p) and n["evid_ratio"] == pytest.approx(p / (1 - p))
    assert n["p_positive"] == pytest.approx(1 - p)
    assert n["star"] == ("*" if np.quantile(r + 0.1, 0.95) < 0 else "")
    e = table.loc["eq"]
    c = 2 * (a - r) - 1
    assert e["estimate"] == pytest.approx(np.mean(c)) and np.isnan(e["post_prob"])
    assert np.isnan(e["evid_ratio"]) and e["p_positive"] == pytest.approx(np.mean(c > 0))
    lo, hi = np.quantile(c, [0.05, 0.95])
    assert e["star"] == ("*" if lo > 0 or hi < 0 else "")
    wide = fit.hypothesis("beta[milex, threat] > 0", prob=0.5)          # the method
    assert wide.loc["beta[milex, threat] > 0", "hi"] == pytest.approx(np.quantile(a, 0.75))


def test_certain_hypotheses_have_infinite_evidence_and_a_star(known_joint_fit):
    table = ba.hypothesis(known_joint_fit, ["sd_ally[milex] > 0", "sd_ally[milex] < 0"])
    yes, no = table.iloc[0], table.iloc[1]
    assert yes["post_prob"] == 1.0 and yes["evid_ratio"] == np.inf and yes["star"] == "*"
    assert no["post_prob"] == 0.0 and no["evid_ratio"] == 0.0 and no["star"] == ""
    with pytest.raises(ba.ReportError, match="no hypothesis given"):
        ba.hypothesis(known_joint_fit, [])
    with pytest.raises(ba.ReportError, match="prob must lie in"):
        ba.hypothesis(known_joint_fit, "sd_ally[milex] > 0", prob=1.5)


# ---------------------------------------------------------------------- compare
@pytest.fixture(scope="module")
def two_fits(known_fit_factory):
    return {"a": known_fit_factory(draws=100, seed=3), "b": known_fit_factory(draws=100, seed=4)}


def test_compare_per_outcome_and_total(two_fits):
    table = ba.compare(two_fits)
    assert list(table.columns) == list(COMPARE_COLUMNS)
    outcomes = list(two_fits["a"].spec.outcome_names)
    assert list(dict.fromkeys(table["outcome"])) == [*outcomes, "total"]
    by = table.set_index(["outcome", "run"])
    for run in two_fits:
        parts = sum(by.loc[(o, run), "elpd"] for o in outcomes)
        assert by.loc[("total", run), "elpd"] == pytest.approx(parts)   # PSIS is pointwise
    total = by.loc["total"]
    assert sorted(total["rank"]) == [0, 1] and total["elpd_diff"].max() == 0.0
    assert total.loc[total["rank"] == 0].index[0] == total["elpd"].idxmax()


def test_compare_refuses_fits_it_cannot_compare(two_fits):
    a, b = two_fits["a"], two_fits["b"]
    with pytest.raises(ba.ReportError, match="at least two fits"):
        ba.compare([a])
    idata = b.idata.copy()
    obs = idata["observed_data"].to_dataset()
    obs["milex"] = obs["milex"] + 0.1
    idata["observed_data"] = obs
    with pytest.raises(ba.ReportError, match="different observations of 'milex'.*same data"):
        ba.compare({"a": a, "b": dataclasses.replace(b, idata=idata)})
    idata = b.idata.copy()
    del idata["log_likelihood"]
    with pytest.raises(ba.ReportError, match="fit 'b'.*log_likelihood"):
        ba.compare({"a": a, "b": dataclasses.replace(b, idata=idata)})
