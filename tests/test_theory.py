"""The formal model: equilibrium, optimality, vectorisation, bad input, statics."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit

from bayes_alliance.errors import TheoryError
from bayes_alliance.theory import (
    PRIMITIVE_INFO,
    PrimitivePrior,
    Primitives,
    average_statics,
    best_response,
    comparative_statics,
    cross_partial,
    draw_primitives,
    plot_statics,
    solve_equilibrium,
)
from bayes_alliance.theory.game import R_MAX


@pytest.fixture(scope="module")
def draws() -> Primitives:
    """1,000 prior draws, both regimes mixed."""
    return draw_primitives(PrimitivePrior(), draws=1000, worlds=10, random_seed=7).primitives


def test_default_solution_is_scalar_and_in_range() -> None:
    for cond in (False, True):
        eq = solve_equilibrium(conditional=cond)
        for name, value in eq.to_dict().items():
            assert np.ndim(value) == 0, name
        assert 0 < eq.reassurance < R_MAX
        assert 0 <= eq.effort <= 1 and 0 < eq.exit < 1 and 0 < eq.belief < 1
    # conditional reassurance extracts more effort at the prior's centre
    assert solve_equilibrium(conditional=True).effort > solve_equilibrium().effort


def test_patron_first_order_conditions(draws: Primitives) -> None:
    eq = solve_equilibrium(draws)
    r = eq.reassurance
    h = 1e-7
    left = best_response(draws, np.maximum(r - h, 0.0))["d_payoff"]
    right = best_response(draws, r + h)["d_payoff"]
    interior = (r > h) & (r < R_MAX - h)
    # interior optimum: slope changes sign from + to - (allowing a kink where effort hits 1)
    assert np.all(left[interior] > -1e-5)
    assert np.all(right[interior] < 1e-5)
    smooth = interior & (eq.effort < 1 - 1e-6)
    assert np.max(np.abs(best_response(draws, r)["d_payoff"][smooth])) < 1e-6
    # corner at zero: no profitable increase
    assert np.all(right[r <= h] < 1e-6)
    assert interior.mean() > 0.6


def test_analytic_slopes_match_finite_differences(draws: Primitives) -> None:
    sample = draws[3]
    r = np.linspace(0.05, 3.0, sample.shape[0])
    h = 1e-6
    up, dn, at = (best_response(sample, r + h), best_response(sample, r - h),
                  best_response(sample, r))
    smooth = np.abs(up["effort"] - dn["effort"]) < 1e-3  # away from the kink at b = 1
    for key, slope in (("patron_payoff", "d_payoff"), ("effort", "d_effort"),
                       ("exit", "d_exit")):
        fd = (up[key] - dn[key]) / (2 * h)
        np.testing.assert_allclose(at[slope][smooth], fd[smooth], rtol=1e-4, atol=1e-6)


def test_patron_choice_is_the_global_maximum(draws: Primitives) -> None:
    eq = solve_equilibrium(draws)
    best = np.full(draws.shape, -np.inf)
    for r in np.linspace(0.0, R_MAX, 1601):
        best = np.maximum(best, best_response(draws, np.full(draws.shape, r))["patron_payoff"])
    assert np.all(eq.patron_payoff >= best - 1e-10)


def _ally_value(b: float, pi: float, stake: float, c: float) -> float:
    return stake * (pi + (1 - pi) * b) - 0.5 * c * b * b


def _ally_numerically(belief: float, t: float, stake: float, c: float) -> tuple[float, float]:
    """Effort and value of staying from scalar optimisers (no closed form)."""
    opts = {"xatol": 1e-12}
    pi_d = belief * (1 - t)
    dev = minimize_scalar(lambda b: -_ally_value(b, pi_d, stake, c), bounds=(0, 1),
                          method="bounded", options=opts)
    w = -dev.fun
    if t == 0:
        return float(dev.x), w
    top = minimize_scalar(lambda b: -_ally_value(b, belief, stake, c), bounds=(0, 1),
                          method="bounded", options=opts)

    def gap(b: float) -> float:
        return _ally_value(b, belief, stake, c) - w

    return (1.0 if gap(1.0) >= 0 else brentq(gap, top.x, 1.0, xtol=1e-14)), w


def test_ally_choices_match_a_numerical_solution(draws: Primitives) -> None:
    """Effort, compliance and exit from scalar optimisers, independent of the closed form."""
    eq = solve_equilibrium(draws)
    flat = draws[0]
    for j in range(0, 100, 3):
        p = flat[j]
        stake = float(p.threat * p.protection_value)
        t = float(p.credibility * p.retrench) if bool(p.conditional) else 0.0
        b_star, w = _ally_numerically(float(eq.belief[0, j]), t, stake, float(p.effort_cost))
        assert eq.effort[0, j] == pytest.approx(b_star, abs=2e-6)
        assert eq.stay_value[0, j] == pytest.approx(w, abs=1e-9)
        q = expit((float(p.outside_option) - w / stake) / float(p.exit_noise))
        assert eq.exit[0, j] == pytest.approx(q, rel=1e-6, abs=1e-12)


def test_patron_choice_matches_scipy(draws: Primitives) -> None:
    flat = draws[1]
    eq = solve_equilibrium(flat)
    for j in range(0, 100, 5):
        p = flat[j]
        f = lambda r, p=p: -float(best_response(p, r)["patron_payoff"])  # noqa: E731
        grid = np.linspace(0, R_MAX, 401)
        k = int(np.argmin([f(r) for r in grid]))
        res = minimize_scalar(f, bounds=(grid[max(k - 1, 0)], grid[min(k + 1, 400)]),
                              method="bounded", options={"xatol": 1e-10})
        assert eq.patron_payoff[j] >= -res.fun - 1e-10


def test_vectorised_and_scalar_solutions_agree(draws: Primitives) -> None:
    flat = draws[2, :60]
    vec = solve_equilibrium(flat)
    for j in range(60):
        one = solve_equilibrium(flat[j])
        for name, value in one.to_dict().items():
            np.testing.assert_allclose(value, getattr(vec, name)[j], rtol=1e-12, atol=1e-14,
                                       err_msg=name)


def test_broadcasting_and_keyword_changes() -> None:
    eq = solve_equilibrium(threat=np.array([0.2, 0.4, 0.8]), conditional=[[False], [True]])
    assert eq.effort.shape == (2, 3)
    assert np.all(np.diff(eq.effort, axis=1) > 0)  # effort rises with threat
    assert solve_equilibrium(Primitives(threat=0.8)).effort == eq.effort[0, 2]


@pytest.mark.parametrize(
    ("field", "value"),
    [("effort_cost", -1.0), ("effort_cost", 0.0), ("threat", np.nan), ("exit_cost", -0.1),
     ("retrench", 1.5), ("credibility", -0.01), ("baseline_belief", 1.0),
     ("outside_option", np.inf), ("troops", -2.0), ("reassurance_cost", 0.0),
     ("exit_noise", [0.1, -0.1]), ("protection_value", "lots")],
)
def test_bad_primitives_name_the_primitive(field: str, value: object) -> None:
    with pytest.raises(TheoryError, match=f"'{field}'"):
        Primitives(**{field: value})
    assert issubclass(TheoryError, ValueError)


def test_other_bad_input() -> None:
    with pytest.raises(TheoryError, match="conditional"):
        Primitives(conditional=2)
    with pytest.raises(TheoryError, match="broadcast"):
        Primitives(threat=[0.1, 0.2], retrench=[0.1, 0.2, 0.3])
    with pytest.raises(TheoryError, match="unknown primitive"):
        solve_equilibrium(treat=0.5)
    with pytest.raises(TheoryError, match="reassurance"):
        best_response(Primitives(), -1.0)


def test_primitives_are_frozen_and_defaults_documented() -> None:
    p = Primitives()
    with pytest.raises(ValueError, match="read-only"):
        p.threat[...] = 3.0
    for info in PRIMITIVE_INFO:
        assert float(getattr(p, info.name)) == info.default, info.name


_unit = st.floats(0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(threat=st.floats(0.05, 3.0), outside=st.floats(-1.0, 2.0), retrench=_unit,
       credibility=_unit, p0=st.floats(0.0, 0.95), lam=st.floats(0.0, 3.0),
       kappa=st.floats(0.0, 5.0), cond=st.booleans())
def test_equilibrium_in_range_for_any_valid_primitives(threat: float, outside: float,
                                                       retrench: float, credibility: float,
                                                       p0: float, lam: float, kappa: float,
                                                       cond: bool) -> None:
    p = Primitives(threat=threat, outside_option=outside, retrench=retrench,
                   credibility=credibility, baseline_belief=p0, burden_weight=lam,
                   exit_cost=kappa, conditional=cond)
    eq = solve_equilibrium(p)
    assert 0 <= eq.reassurance <= R_MAX
    assert p0 - 1e-12 <= eq.belief < 1
    assert 0 <= eq.effort <= 1 and 0 <= eq.exit <= 1
    # the patron never does worse than with no reassurance
    assert eq.patron_payoff >= best_response(p, 0.0)["patron_payoff"] - 1e-12
    # at the same reassurance, the conditional regime extracts at least as much effort
    other = best_response(p.replace(conditional=not cond), eq.reassurance)["effort"]
    assert (eq.effort >= other - 1e-12) if cond else (other >= eq.effort - 1e-12)


def test_statics_at_a_point_match_the_closed_form() -> None:
    p = Primitives()
    st_ = comparative_statics(p, drivers=("threat", "effort_cost"), scale="natural",
                              hold_reassurance=True)
    resp = best_response(p, solve_equilibrium(p).reassurance)
    # unconditional effort b = tau V (1 - p) / c
    assert st_.derivatives[("effort", "threat")] == pytest.approx(
        resp["effort"] / float(p.threat), rel=1e-6)
    assert st_.derivatives[("effort", "effort_cost")] == pytest.approx(
        -resp["effort"] / float(p.effort_cost), rel=1e-6)
    rows = st_.summary()
    assert {r["quantity"] for r in rows} == {"reassurance", "effort", "participation", "exit"}


def test_statics_over_a_prior_and_cross_partials(draws: Primitives) -> None:
    sample = draws[:2]
    st_ = comparative_statics(sample, drivers=("outside_option", "reassurance"))
    d = st_.derivatives[("reassurance", "outside_option")]
    assert d.shape == sample.shape and np.mean(d) > 0
    assert np.mean(st_.derivatives[("exit", "reassurance")] < 0) > 0.9
    cp = cross_partial(sample, "effort", "threat", "retrench", hold_reassurance=True)
    assert cp.shape == sample.shape and np.all(np.isfinite(cp))
    with pytest.raises(TheoryError, match="second"):
        cross_partial(sample, "effort", "reassurance", "threat")
    with pytest.raises(TheoryError, match="unknown"):
        comparative_statics(sample, quantities=("happiness",))


def test_average_statics_over_the_prior() -> None:
    rows = average_statics(draws=400, random_seed=3, drivers=("outside_option", "exit_cost"))
    table = {(r["quantity"], r["driver"]): r for r in rows}
    assert table[("reassurance", "outside_option")]["mean"] > 0
    assert table[("reassurance", "exit_cost")]["share_positive"] > 0.6
    assert table[("exit", "outside_option")]["share_positive"] > 0.9


def test_plot_statics_returns_an_unshown_figure() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = plot_statics(points=15)
    assert len(fig.axes) == 6
    assert all(ax.get_ylabel() for ax in fig.axes[::2])
    assert fig.axes[-1].get_xlabel()
    assert plt.get_fignums() == before


def test_theory_imports_neither_pymc_nor_the_data_layer() -> None:
    code = ("import sys, bayes_alliance.theory; "
            "print(any(m == 'pymc' or m.startswith('pymc.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    from pathlib import Path

    import bayes_alliance.theory as theory

    for path in Path(theory.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("import pymc", "import pandas", "bayes_alliance.data",
                       "bayes_alliance.models"):
            assert banned not in text, (path.name, banned)


@pytest.mark.slow
def test_100k_draws_solve_in_seconds() -> None:
    sample = draw_primitives(PrimitivePrior(), draws=100_000, worlds=100, random_seed=1)
    start = time.perf_counter()
    eq = solve_equilibrium(sample.primitives)
    elapsed = time.perf_counter() - start
    assert np.all(np.isfinite(eq.reassurance))
    assert elapsed < 15.0, f"100k solves took {elapsed:.1f} s"
