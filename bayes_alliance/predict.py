r"""Predictions from a fit on new data, and conditional-effects plots.

Everything here evaluates the fitted model's own graph through its compiled
:class:`~bayes_alliance.models.predictor.Predictor`; for posterior draw
:math:`s`, row :math:`r` and outcome :math:`k` with family :math:`F_k`:

* ``kind="linpred"``: :math:`\eta^{(s)}_{k,r}` (brms ``posterior_linpred``);
* ``kind="epred"``: the family's natural-scale summary
  :math:`g_k^{-1}(\eta^{(s)}_{k,r} + o_r)` (brms ``posterior_epred``): the expected
  count (rate times exposure) for counts, the probability for binary outcomes
  and the *median* :math:`e^{\eta}` for the lognormal families, whose mean does
  not exist under the Student-t (:mod:`bayes_alliance.models.families`);
* ``kind="predict"``: one new outcome per draw from the family's likelihood at
  that draw's parameters, in the observed column's units (brms
  ``posterior_predict``).

Ally effects are those of the fitted allies, so ``newdata`` rows must name
allies of the fit; counts use the ``exposure`` column of ``newdata`` when
present and an exposure of 1 (a rate) otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from matplotlib.figure import Figure

from bayes_alliance.constants import CI_PROB
from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import Inputs, make_inputs
from bayes_alliance.models.predictor import predictor_for
from bayes_alliance.models.time_structure import marginal_scale

KINDS = ("epred", "linpred", "predict")


def _rows(result: Any, newdata: pd.DataFrame | None) -> pd.DataFrame:
    """Validated prediction rows: fitted allies and years, every covariate the spec uses."""
    train = result.panel.frame
    if newdata is None:
        return train.reset_index(drop=True)
    if not isinstance(newdata, pd.DataFrame):
        raise SpecError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    frame = newdata.reset_index(drop=True)
    needed = ["ally", "year", *result.spec.covariates_used()]
    missing = [c for c in needed if c not in frame]
    if missing:
        raise SpecError(f"newdata lacks the column(s) {', '.join(missing)}; the model needs "
                        f"{', '.join(needed)}")
    allies = set(train["ally"].astype(str))
    unknown = sorted(set(frame["ally"].astype(str)) - allies)
    if unknown:
        raise SpecError(f"newdata names allies the model was not fitted on: "
                        f"{', '.join(unknown)}; fitted allies: {', '.join(sorted(allies))}")
    if result.spec.year_effects != "none":
        years = set(int(y) for y in train["year"])
        outside = sorted(set(int(y) for y in frame["year"]) - years)
        if outside:
            raise SpecError(f"newdata has years without a fitted year effect: "
                            f"{', '.join(map(str, outside))}; fitted years "
                            f"{min(years)}-{max(years)}")
    return frame


def _outcomes(result: Any, outcomes: list[str] | str | None) -> list[str]:
    names = list(result.spec.outcome_names)
    if outcomes is None:
        return names
    wanted = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    for o in wanted:
        result.spec.outcome(o)  # raises SpecError naming the valid outcomes
    return wanted


def predict(result: Any, newdata: pd.DataFrame | None = None, kind: str = "epred", *,
            outcomes: list[str] | str | None = None, random_seed: Any = None) -> xr.Dataset:
    """Posterior draws of each outcome's prediction on ``newdata``.

    Parameters
    ----------
    result
        A :class:`~bayes_alliance.results.FitResult`.
    newdata
        Rows with ``ally``, ``year`` and every covariate the spec uses, in
        natural units (None: the fitted panel).
    kind
        ``"epred"``, ``"linpred"`` or ``"predict"`` (see the module docstring).
    outcomes
        Outcome names to predict (default: all).
    random_seed
        Seed of the draws of ``kind="predict"``.

    Returns
    -------
    xarray.Dataset
        One variable per outcome, dims ``(chain, draw, row)``, with ``ally`` and
        ``year`` coordinates on ``row``.

    Raises
    ------
    SpecError
        Unknown kind, outcome, ally or year, or missing columns in ``newdata``.
    """
    if kind not in KINDS:
        raise SpecError(f"unknown prediction kind '{kind}'; valid: {', '.join(KINDS)}")
    names = _outcomes(result, outcomes)
    frame = _rows(result, newdata)
    panel = result.panel
    try:
        inputs = make_inputs(result.spec, result.scaling, frame, panel.allies, panel.years,
                             panel.frame)
    except SpecError as err:
        raise SpecError(f"newdata: {err}") from err
    predictor = predictor_for(result)
    post = result.idata["posterior"]
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    params = predictor.draws_from(post)
    values = predictor(params, inputs, kind="eta" if kind != "epred" else "natural")
    if kind == "predict":
        values = _draw_outcomes(result, values, inputs, names, random_seed)
    coords = {"chain": post["chain"].values, "draw": post["draw"].values,
              "row": np.arange(len(frame)), "ally": ("row", frame["ally"].astype(str).to_numpy()),
              "year": ("row", frame["year"].to_numpy(int))}
    return xr.Dataset({o: (("chain", "draw", "row"), values[o].reshape(chains, draws, -1))
                       for o in names}, coords=coords, attrs={"kind": kind})


def _draw_outcomes(result: Any, eta: dict[str, np.ndarray], inputs: Inputs, names: list[str],
                   random_seed: Any) -> dict[str, np.ndarray]:
    """One draw of each outcome per posterior draw, from its family's likelihood."""
    post = result.idata["posterior"]
    rng = np.random.default_rng(random_seed)
    out = {}
    for name in names:
        outcome = result.spec.outcome(name)
        fam = family(outcome.family)
        aux = {a.name: np.asarray(post[a.variable(name)].transpose("chain", "draw").values,
                                  float).reshape(-1, 1) for a in fam.aux}
        aux = marginal_scale(outcome, aux, post)  # AR(1): marginal, not given the lag
        dist, kwargs = fam.distribution(eta[name], inputs.log_exposure[None, :], aux)
        out[name] = fam.inverse_transform(pm.draw(dist.dist(**kwargs), random_seed=rng))
    return out


def conditional_effects(result: Any, variable: str, *, outcome: str, values: Any = None,
                        at: dict[str, float] | None = None, kind: str = "epred",
                        prob: float = CI_PROB, n_grid: int = 25
                        ) -> tuple[pd.DataFrame, Figure]:
    r"""The outcome's prediction along a grid of one covariate (brms ``conditional_effects``).

    For each grid value :math:`v` and draw :math:`s` the prediction is averaged
    over the fitted allies :math:`i` (each with its own ally effect):

    .. math:: \bar y^{(s)}(v) = \frac{1}{n_A} \sum_i f\bigl(\eta^{(s)}_{k}(x_{-j} = \bar x_{-j},
              x_j = v, i)\bigr)

    with the other covariates at their training means (or ``at``), the year at
    the panel's median year and, for counts, an exposure of 1 (a rate).

    Parameters
    ----------
    variable
        A covariate the outcome's equation uses (directly or in an interaction).
    outcome
        The outcome.
    values
        Grid in natural units (default: ``n_grid`` points from the training
        minimum to maximum).
    at
        Values of other covariates (natural units) instead of their means.
    kind
        ``"epred"`` or ``"linpred"``.
    prob
        Mass of the central interval.

    Returns
    -------
    table
        Columns ``<variable>``, ``outcome``, ``mean``, ``median``, ``lo``, ``hi``.
    figure
        Line and interval band (``matplotlib.figure.Figure``).
    """
    spec = result.spec
    o = spec.outcome(outcome)
    used = {p for t in o.covariate_terms + o.latent_terms for p in t.split(":")}
    if spec.latent_outcome is not None and o.latent_terms:
        used |= {p for t in spec.outcome(spec.latent_outcome).terms for p in t.split(":")}
    if variable not in used:
        raise SpecError(f"outcome '{outcome}' does not use '{variable}'; covariates it uses: "
                        f"{', '.join(sorted(used & set(spec.covariates_used())))}")
    if kind not in ("epred", "linpred"):
        raise SpecError(f"conditional_effects takes kind 'epred' or 'linpred', got '{kind}'")
    train = result.panel.frame
    grid = (np.linspace(train[variable].min(), train[variable].max(), n_grid)
            if values is None else np.asarray(values, float))
    base = {c: float(train[c].mean()) for c in spec.covariates_used()}
    base.update(at or {})
    allies = result.panel.allies
    year = int(np.median(train["year"]))
    rows = pd.DataFrame([{**base, "ally": a, "year": year, variable: v}
                         for v in grid for a in allies])
    draws = predict(result, rows, kind, outcomes=[outcome])[outcome]
    flat = draws.stack(s=("chain", "draw")).transpose("s", "row").values
    per_value = flat.reshape(flat.shape[0], len(grid), len(allies)).mean(axis=2)
    lo, hi = np.quantile(per_value, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    table = pd.DataFrame({variable: grid, "outcome": outcome, "mean": per_value.mean(axis=0),
                          "median": np.median(per_value, axis=0), "lo": lo, "hi": hi})
    return table, _effects_figure(table, variable, o, kind, prob)


def _effects_figure(table: pd.DataFrame, variable: str, o: Any, kind: str, prob: float
                    ) -> Figure:
    label, unit = family(o.family).label(o.column)
    fig = Figure(figsize=(5.0, 3.6), layout="constrained")
    ax = fig.subplots()
    x = table[variable].to_numpy()
    ax.fill_between(x, table["lo"], table["hi"], alpha=0.3, label=f"{prob:.0%} interval")
    ax.plot(x, table["mean"], lw=2, label="posterior mean")
    ax.set_xlabel(variable)
    ax.set_ylabel(f"{label} ({unit})" if kind == "epred" else f"linear predictor of {o.name}")
    ax.set_title(f"{o.name}: conditional effect of {variable}")
    ax.legend(frameon=False)
    return fig
