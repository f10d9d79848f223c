"""The strategic estimator: equilibrium graph vs the NumPy game, gradients, spec, simulation."""

from __future__ import annotations

import copy
import itertools
import tomllib

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from bayes_alliance.errors import SpecError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.strategic.equilibrium import equilibrium_graph
from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.models.strategic.simulate import simulate_strategic
from bayes_alliance.models.strategic.spec import load_strategic_spec, parse_strategic_spec
from bayes_alliance.resources import models_path
from bayes_alliance.theory.game import QRE_OUTCOMES, solve_equilibrium, solve_quantal_response
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives

#: a grid of primitives over both regimes: threat, exit cost, retrenchment, regime, troops
GRID = np.array(list(itertools.product([0.2, 0.5, 0.9], [0.5, 2.0, 5.0], [0.1, 0.7],
                                       [0.0, 1.0], [0.0, 1.0])))


def _grid_primitives() -> Primitives:
    return Primitives(threat=GRID[:, 0], exit_cost=GRID[:, 1], retrench=GRID[:, 2],
                      conditional=GRID[:, 3].astype(bool), troops=GRID[:, 4])


def _compiled_equilibrium(points: int):
    """The graph as a function of (primitives matrix, regime, rationality)."""
    x = pt.matrix("x")
    cond = pt.vector("cond", dtype="bool")
    beta = pt.scalar("beta")
    values = {n: x[:, i] for i, n in enumerate(PRIMITIVE_NAMES)}
    out = equilibrium_graph(values, beta, points=points, conditional=cond)
    return pytensor.function([x, cond, beta], [out[k] for k in QRE_OUTCOMES])


@pytest.mark.parametrize("points", [161, load_strategic_spec("strategic").grid_points])
def test_graph_agrees_with_the_numpy_quantal_response(points):
    prims = _grid_primitives()
    x = np.column_stack([prims.to_dict()[n] for n in PRIMITIVE_NAMES])
    f = _compiled_equilibrium(points)
    for beta in (0.0, 20.0, 500.0, 5e4):
        graph = dict(zip(QRE_OUTCOMES, f(x, prims.conditional, beta), strict=True))
        numpy = solve_quantal_response(prims, beta, points=points)
        for k in QRE_OUTCOMES:
            np.testing.assert_allclose(graph[k], numpy[k], rtol=1e-10, atol=1e-13,
                                       err_msg=f"{k} at beta={beta}")


def test_the_shipped_grid_is_close_to_the_integral():
    """The spec's coarse grid against 2,561 points of the same integral (the definition).

    Measured on this grid of primitives: at most 0.0068 (reassurance), 0.0014
    (effort), 0.0003 (exit), 0.0010 (participation), at beta in {20, 200, 600};
    on the real panel's prior draws see reports/validation/strategic/quadrature.txt.
    """
    prims, points = _grid_primitives(), load_strategic_spec("strategic").grid_points
    for beta in (20.0, 200.0, 600.0):
        coarse = solve_quantal_response(prims, beta, points=points)
        fine = solve_quantal_response(prims, beta, points=2561)
        for k, tol in {"reassurance": 0.01, "effort": 0.003, "exit": 0.001,
                       "participation": 0.002}.items():
            assert np.abs(coarse[k] - fine[k]).max() < tol, (k, beta)


def test_quantal_response_approaches_the_best_response():
    prims = _grid_primitives()
    best = solve_equilibrium(prims)
    errors = []
    for beta in (30.0, 300.0, 3000.0):
        q = solve_quantal_response(prims, beta)
        errors.append(np.abs(q["reassurance"] - best.reassurance).max())
        if beta == 3000.0:  # measured: 0.009, 0.0016, 0.0013 on this grid
            assert errors[-1] < 0.015
            assert np.abs(q["effort"] - best.effort).max() < 0.005
            assert np.abs(q["exit"] - best.exit).max() < 0.005
    assert errors[0] > 0.1  # a noisy patron is far from its best response ...
    assert errors[1] < errors[0] / 4 and errors[2] < errors[1] / 4  # ... and converges
    # a finer grid removes the grid's discreteness at a higher rationality
    fine = solve_quantal_response(prims, 3e4, points=641)
    assert np.abs(fine["reassurance"] - best.reassurance).max() < 0.005


def test_quantal_response_at_zero_rationality_ignores_payoffs():
    q = solve_quantal_response(_grid_primitives(), 0.0)
    # uniform density on [0, R_MAX]: mean reassurance R_MAX / 2 (trapezoid rule on the grid)
    np.testing.assert_allclose(q["reassurance"], 4.0, rtol=1e-3)


@pytest.mark.parametrize("conditional", [False, True])
def test_equilibrium_gradient_matches_finite_differences(conditional):
    rng = np.random.default_rng(3)

    def expected(threat, outside, cost, log_beta):
        d = Primitives().to_dict()
        values = {n: float(d[n]) for n in PRIMITIVE_NAMES}
        values.update(threat=threat, outside_option=outside, reassurance_cost=cost)
        out = equilibrium_graph(values, pt.exp(log_beta), points=81,
                                conditional=np.full(3, conditional))
        return out["reassurance"] + out["effort"] + 3.0 * out["exit"] + out["participation"]

    point = [np.array([0.3, 0.5, 0.8]), np.array([0.35, 0.4, 0.5]),
             np.array([0.03, 0.05, 0.1]), np.array(np.log(200.0))]
    pytensor.gradient.verify_grad(expected, point, rng=rng, abs_tol=1e-6, rel_tol=1e-4)


# ---------------------------------------------------------------------------- spec
def _raw() -> dict:
    with open(models_path("strategic.toml"), "rb") as fh:
        return tomllib.load(fh)


def test_shipped_spec_fixes_or_links_every_primitive():
    spec = load_strategic_spec("strategic")
    linked = {link.name for link in spec.links}
    assert linked | dict(spec.fixed).keys() == set(PRIMITIVE_NAMES)
    assert not linked & dict(spec.fixed).keys()
    assert spec.outcome_names == ("reassure", "milex", "exit", "intervene")
    assert spec.covariates_used() == ("threat", "exit_capacity", "importance", "retrench",
                                      "us_troops")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["fixed"].pop("effort_cost"), "effort_cost are neither"),
    (lambda r: r["fixed"].update(threat=0.5), "'threat' is both"),
    (lambda r: r["fixed"].update(retrench=1.5), "retrench"),
    (lambda r: r["fixed"].update(pressure=1.0), "'pressure' is not a primitive"),
    (lambda r: r["outcomes"][0].update(quantity="belief_x"), "quantity 'belief_x'"),
    (lambda r: r["outcomes"][1].update(family="bernoulli"), "measures a probability"),
    (lambda r: r["outcomes"][1].update(family="lognormal_t"), "not available"),
    (lambda r: r["equilibrium"].update(grid_points=2), "grid_points"),
    (lambda r: r["primitives"]["threat"].update(ally=True), "unknown key(s) ally"),
    (lambda r: r["priors"].pop("phi"), "missing prior(s) phi"),
    (lambda r: r["priors"].update(slope={"dist": "Gamma", "alpha": 1, "beta": 1}),
     "cannot take a Gamma"),
    (lambda r: r.update(kind="joint"), "kind must be"),
])
def test_spec_errors_name_the_key(edit, message):
    raw = copy.deepcopy(_raw())
    edit(raw)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_strategic_spec(raw, where="strategic.toml")


def test_alliance_model_dispatches_a_strategic_spec():
    model = AllianceModel.from_spec("strategic", "default")
    assert isinstance(model, StrategicModel)
    assert model.spec.hash() == load_strategic_spec("strategic").hash()
    with pytest.raises(SpecError, match="holds its own priors"):
        AllianceModel.from_spec("strategic", "default", priors="weak")


# ---------------------------------------------------------------------------- simulation
def _small(frame, allies: int = 6, years: int = 8):
    keep = sorted(frame["ally"].unique())[:allies]
    sub = frame[frame["ally"].isin(keep)]
    return sub[sub["year"] >= sub["year"].max() - years + 1].reset_index(drop=True)


def test_simulation_uses_given_parameters_and_is_reproducible():
    model = StrategicModel.from_spec("strategic", _small(_default_frame()))
    given = {"a_threat": np.log(0.5), "log_rationality": np.log(300.0), "gamma_milex": 1.5}
    a, truth = simulate_strategic(model, given, seed=4)
    b, _ = simulate_strategic(model, given, seed=4)
    assert a.equals(b)
    assert truth["a_threat"] == pytest.approx(np.log(0.5))
    assert set(truth) >= {"b_threat", "z_threat", "alpha_reassure", "phi_reassure"}
    assert abs(float(truth["z_threat"].sum())) < 1e-9  # ally effects sum to zero
    assert set(np.unique(a["exit_pursuit"].dropna())) <= {0.0, 1.0}
    assert (a["milex_gdp"] > 0).all()
    with pytest.raises(SpecError, match="cannot set beta_x"):
        simulate_strategic(model, {"beta_x": 1.0}, seed=4)


@pytest.mark.slow
def test_recovery_on_a_small_panel_simulated_from_the_game(tmp_path):
    """Fit the graph to data from the NumPy game: the outcomes' own parameters are recovered.

    8 allies x 10 years of the default skeleton (69 rows), 2 chains x 200 draws
    (measured with the former 161-point grid: 0 divergences, R-hat 1.04; 14 minutes
    under a load of 24 on 2 cores). The primitives' slopes stay close to their
    priors at this size, so only what these rows pin down is checked.
    """
    import warnings

    import bayes_alliance.fit  # noqa: F401  (binds StrategicModel.fit)
    from bayes_alliance.data.load import load_panel
    from bayes_alliance.results import FitResult

    skeleton = _small(load_panel("default").frame, allies=8, years=10)
    gen = StrategicModel.from_spec("strategic", skeleton)
    frame, truth = simulate_strategic(gen, {"log_rationality": np.log(200.0), "sd_threat": 0.5,
                                            "sd_outside_option": 0.5}, seed=7)
    model = StrategicModel.from_spec("strategic", frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(draws=200, tune=200, chains=2, prior_draws=0, predictive=False,
                           random_seed=7)
    diag = result.diagnostics()
    assert sum(diag.divergences_per_chain) <= 2
    post = result.idata["posterior"]
    prior_sd = {"alpha_milex": 2.5, "alpha_reassure": 2.5, "sigma_milex": 0.6}
    for name in ("alpha_milex", "sigma_milex", "alpha_reassure", "a_outside_option",
                 "a_exit_noise", "a_threat", "log_rationality"):
        draws = post[name].values.ravel()
        lo, hi = np.quantile(draws, [0.005, 0.995])
        assert lo <= float(truth[name]) <= hi, (name, float(truth[name]), lo, hi)
        if name in prior_sd:  # the data, not the prior, set these
            assert draws.std() < prior_sd[name] / 4, name
    path = result.save(tmp_path / "strategic.nc")
    loaded = FitResult.load(path)
    assert loaded.spec == model.spec


# ---------------------------------------------------------------------------- after the fit
def _prior_as_posterior(model, draws: int = 40):
    """Prior draws of ``model`` in the layout of a posterior (chain, draw, ...)."""
    import pymc as pm

    with model.pymc_model:
        prior = pm.sample_prior_predictive(draws=draws, random_seed=5)
    return prior["prior"]


def test_readable_cells_cover_every_population_parameter():
    from bayes_alliance.models.strategic.structural import posterior_params

    model = StrategicModel.from_spec("strategic", _small(_default_frame()))
    cells = model.spec.readable_cells()
    names = [c.name for c in cells]
    assert {"a[threat]", "b[threat, threat]", "sd_ally[outside_option]", "log_rationality",
            "alpha[reassure]", "gamma[milex]", "sigma[milex]", "phi[reassure]"} <= set(names)
    assert {c.variable for c in cells} == set(model.population_parameters())
    post = _prior_as_posterior(model)
    params = posterior_params(post, model.spec)
    assert params["z_threat"].shape == (40, len(model.panel.allies))


def test_row_primitives_match_the_graph():
    """NumPy primitives per row (used after the fit) equal the fitted graph's, draw by draw."""
    from pytensor.graph.basic import Variable

    from bayes_alliance.models.strategic.structural import (
        ally_index,
        posterior_params,
        primitive_design,
        row_primitives,
    )

    model = StrategicModel.from_spec("strategic", _small(_default_frame()))
    graph = model.graph
    linked = [n for n, v in graph.primitives.items() if isinstance(v, Variable)]
    post = _prior_as_posterior(model, draws=5)
    params = posterior_params(post, model.spec)
    values = row_primitives(model.spec, primitive_design(model.spec, model.scaling,
                                                         model.panel.frame),
                            ally_index(list(model.panel.allies), model.panel.frame), params)
    fn = graph.model.compile_fn([graph.primitives[n] for n in linked], inputs=graph.model.free_RVs,
                                on_unused_input="ignore")
    for d in range(5):
        point = {rv.name: params[rv.name][d] if rv.name in params else
                 post[rv.name].to_numpy().reshape((-1, *post[rv.name].shape[2:]))[d]
                 for rv in graph.model.free_RVs}
        for name, got in zip(linked, fn(point), strict=True):
            np.testing.assert_allclose(values[name][d], got, rtol=1e-12, err_msg=name)


def test_structural_hypotheses_are_contrasts_of_the_resolved_game():
    from bayes_alliance.models.strategic.hypotheses import (
        STRUCTURAL_HYPOTHESES,
        profile_values,
        structural_hypotheses,
    )
    from bayes_alliance.models.strategic.structural import posterior_params

    model = StrategicModel.from_spec("strategic", _small(_default_frame()))
    post = _prior_as_posterior(model)
    table = structural_hypotheses(model.spec, post)
    assert list(table["id"]) == ["S1", "S2"]
    assert table["p_predicted"].between(0, 1).all() and (table["draws"] == 40).all()
    # S1 by hand: the NumPy game at the average ally-year, outside option one sd up
    params = posterior_params(post, model.spec)
    beta = np.exp(params["log_rationality"])
    base = Primitives(**profile_values(model.spec, params, {}))
    up = Primitives(**profile_values(model.spec, params, {"outside_option": 1.0}))
    diff = (solve_quantal_response(up, beta[:, None], 41)["reassurance"]
            - solve_quantal_response(base, beta[:, None], 41)["reassurance"])[:, 0]
    s1 = table.set_index("id").loc["S1"]
    assert s1["mean"] == pytest.approx(diff.mean(), rel=1e-10)
    assert s1["p_predicted"] == pytest.approx(np.mean(diff > 0))
    assert STRUCTURAL_HYPOTHESES[1].compared_conditional


def _default_frame():
    from bayes_alliance.data.load import load_panel

    return load_panel("default").frame


@pytest.mark.slow
def test_cli_fits_saves_and_reports_the_strategic_spec(tiny_strategic_fit):
    """``fit --spec strategic`` samples, saves and prints the structural hypotheses."""
    from bayes_alliance.results import FitResult, fit_summary

    res, path = tiny_strategic_fit
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "structural hypotheses" in res.output and "S1 reassurance" in res.output
    loaded = FitResult.load(path)
    assert loaded.spec == load_strategic_spec("strategic")
    assert loaded.prior_set == load_strategic_spec("strategic").prior_set()
    summary = fit_summary(loaded)
    assert "a[threat]" in summary["parameters"] and "log_rationality" in summary["parameters"]
    assert [h["id"] for h in summary["structural_hypotheses"]] == ["S1", "S2"]
    assert "log_likelihood" in loaded.idata.children


@pytest.mark.slow
def test_structural_scenarios_resolve_the_game(tiny_strategic_fit):
    """Troop cut and retrenchment rise move the re-solved equilibrium as the NumPy game says."""
    from typer.testing import CliRunner

    from bayes_alliance.cli import app
    from bayes_alliance.results import FitResult
    from bayes_alliance.scenarios import run_scenario
    from bayes_alliance.scenarios.structural import StructuralScenarioResult

    fit = FitResult.load(tiny_strategic_fit[1])
    nixon = run_scenario(fit, "nixon-1971-korea")
    assert isinstance(nixon, StructuralScenarioResult)
    f, c = nixon.equilibrium["factual"], nixon.equilibrium["counterfactual"]
    changed = {k for k in f if k.startswith("primitive_") and not np.array_equal(f[k], c[k])}
    assert changed == {"primitive_troops"}  # only the tripwire moves ...
    assert np.all(c["primitive_troops"] != f["primitive_troops"])
    # ... and both players answer it: the patron's reassurance and the ally's effort
    assert np.abs(c["reassurance"] - f["reassurance"]).max() > 1e-6
    assert np.abs(c["effort"] - f["effort"]).max() > 1e-6
    # the counterfactual is the NumPy game at the intervened primitives
    names = [k.removeprefix("primitive_") for k in c if k.startswith("primitive_")]
    prims = Primitives(**{n: c[f"primitive_{n}"] for n in names})
    beta = np.exp(fit.idata["posterior"]["log_rationality"].to_numpy().ravel())
    again = solve_quantal_response(prims, beta[:, None], fit.spec.grid_points)
    np.testing.assert_allclose(again["reassurance"], c["reassurance"], rtol=1e-12)
    # a rise in retrenchment pressure raises the unit cost of reassurance psi (1 + rho): the
    # patron's choice density tilts by exp(-beta psi drho r), so mean reassurance falls
    # exactly where rho rises (and rises where a draw's link makes rho fall)
    rise = run_scenario(fit, {"name": "retrench-rise", "allies": ["ROK"], "start": 1978,
                              "horizon": 8, "interventions": {"retrench": {"delta": 0.5}}})
    f, c = rise.equilibrium["factual"], rise.equilibrium["counterfactual"]
    d_rho = c["primitive_retrench"] - f["primitive_retrench"]
    d_r = c["reassurance"] - f["reassurance"]
    moved = np.abs(d_rho) > 1e-9
    assert moved.mean() > 0.9
    assert np.all(np.sign(d_r[moved]) == -np.sign(d_rho[moved]))
    carter = run_scenario(fit, "carter-1977-korea")
    table = carter.equilibrium_summary().set_index("quantity")
    assert set(table.index) == {"reassurance", "belief", "effort", "exit", "participation"}
    assert carter.to_json()["model"] == "structural"
    assert set(carter.aggregate()["outcome"]) == {"reassure", "milex", "exit", "intervene"}
    res = CliRunner().invoke(app, ["scenario", str(tiny_strategic_fit[1]), "-s",
                                   "carter-1977-korea", "--json"])
    assert res.exit_code == 0, res.output
    assert '"model": "structural"' in res.output
