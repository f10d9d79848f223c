r"""Evaluate a fitted model under factual and intervened inputs, draw by draw.

For posterior draw :math:`s`, ally-year :math:`r` (ally :math:`i`) and outcome
:math:`k` the linear predictor is the one of :mod:`bayes_alliance.models.joint`,

.. math::

    \eta^{(s)}_{k,r} = \alpha^{(s)}_k + u^{(s)}_{ik} + x_{k,r}^\top \beta^{(s)}_{k}
        + \tilde\eta^{(s)}_{R,r}\, (m_{k,r}^\top \gamma^{(s)}_k) \;(+\ y^{(s)}_{k,t}),
    \qquad
    \tilde\eta^{(s)}_{R,r} = \frac{u^{(s)}_{iR} + (x_{R,r} - \bar x_R)^\top \beta^{(s)}_R}
        {\sqrt{\sigma^{(s)2}_R + \beta^{(s)\top}_R S_R \beta^{(s)}_R}} + \delta_r ,

with :math:`\bar x_R, S_R` the mean and (population) covariance of the
reassurance design on the *training* rows (recomputed from the stored panel)
and :math:`\delta_r` the scenario's ``reassurance.shift`` (0 in the factual
world). The reassurance outcome's own predictor moves by
:math:`\delta_r \sqrt{\sigma^2_R + \beta_R^\top S_R \beta_R}`, i.e. the same
shift on its log-rate scale. Covariate interventions change :math:`x` and
:math:`m` through :func:`~bayes_alliance.models.joint.make_inputs` under the
training scaling, so they are given in natural units.

Natural scales (per draw, no observation noise):

* military spending: the *median* :math:`e^{\eta_M}` in percent of GDP. Under
  the Student-t likelihood on the log scale the mean of ``milex_gdp`` does not
  exist (:math:`E[e^{\sigma T_\nu}] = \infty`), so the median is reported for
  both ``lognormal_t`` and ``lognormal`` specs;
* participation and exit: probabilities :math:`\operatorname{logit}^{-1}\eta`
  (participation: the chance of joining a US-led war were one under way that
  year);
* reassurance: the expected number of reassurance statements per statement
  mentioning the ally, :math:`e^{\eta_R}` (the negative binomial mean per unit
  of exposure).

Everything is vectorised over draws: each outcome is one ``(draws, rows)``
array built with matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from bayes_alliance.data.default import allies_table
from bayes_alliance.errors import ScenarioError, SpecError
from bayes_alliance.models.joint import Inputs, make_inputs
from bayes_alliance.models.spec import COUNT_FAMILIES, ModelSpec, OutcomeSpec
from bayes_alliance.scenarios.definition import Intervention, Scenario, load_scenario
from bayes_alliance.scenarios.labels import outcome_label
from bayes_alliance.scenarios.result import ScenarioResult, SweepResult, interval_stats


# ---------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Draws:
    """Posterior (or true) parameter values with a leading draw axis of length S."""

    intercept: np.ndarray  # (S, K)
    u: np.ndarray  # (S, A, K), allies in the fit's order
    sd: np.ndarray  # (S, K)
    beta: dict[str, np.ndarray]  # outcome -> (S, P_k)
    year_effect: np.ndarray | None = None  # (S, K, T)

    @property
    def n(self) -> int:
        """Number of draws."""
        return int(self.intercept.shape[0])

    @classmethod
    def from_posterior(cls, post: Any, spec: ModelSpec, allies: list[str]) -> Draws:
        """Flatten ``(chain, draw)`` of a posterior group into one draw axis."""
        names = list(spec.outcome_names)

        def flat(name: str, *dims: str, **sel: Any) -> np.ndarray:
            da = post[name]
            if sel:
                da = da.sel(sel)
            da = da.transpose("chain", "draw", *dims)
            values = np.asarray(da.values, dtype=float)
            return values.reshape(-1, *values.shape[2:])

        missing = [v for v in ("intercept", "u_ally", "sd_ally") if v not in post]
        if missing:
            raise ScenarioError(f"the run's posterior lacks {', '.join(missing)}; it was not "
                                "fitted by bayes_alliance's joint model")
        ye = None
        if "year_effect" in post:
            ye = flat("year_effect", "outcome", "year", outcome=names)
        return cls(
            intercept=flat("intercept", "outcome", outcome=names),
            u=flat("u_ally", "ally", "outcome", ally=allies, outcome=names),
            sd=flat("sd_ally", "outcome", outcome=names),
            beta={o.name: flat(f"beta_{o.name}", f"term_{o.name}") for o in spec.outcomes},
            year_effect=ye,
        )

    @classmethod
    def from_values(cls, values: dict[str, Any], spec: ModelSpec) -> Draws:
        """One 'draw' from known parameter values (e.g. the truth of a simulation)."""
        beta = {o.name: np.asarray(values[f"beta_{o.name}"], float)[None, :]
                for o in spec.outcomes}
        ye = values.get("year_effect")
        return cls(intercept=np.asarray(values["intercept"], float)[None, :],
                   u=np.asarray(values["u_ally"], float)[None, :, :],
                   sd=np.asarray(values["sd_ally"], float)[None, :],
                   beta=beta,
                   year_effect=None if ye is None else np.asarray(ye, float)[None])

    def subset(self, index: np.ndarray) -> Draws:
        """The draws at ``index``."""
        return Draws(self.intercept[index], self.u[index], self.sd[index],
                     {k: v[index] for k, v in self.beta.items()},
                     None if self.year_effect is None else self.year_effect[index])


# ---------------------------------------------------------------------------- preparation
@dataclass
class Prepared:
    """A scenario checked against a fit: rows, factual inputs and training moments."""

    scenario: Scenario
    spec: ModelSpec
    scaling: Any
    allies: list[str]  # the fit's allies (index of u)
    years: list[int]  # the fit's years (index of year effects)
    frame: pd.DataFrame  # the scenario's ally-year rows, factual values
    factual: Inputs
    x_mean: np.ndarray
    x_cov: np.ndarray
    train_frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _group_table() -> dict[str, set[str]]:

    table = allies_table()
    groups: dict[str, set[str]] = {}
    for _, row in table.iterrows():
        for g in [*str(row["groups"]).split(";"), str(row["region"])]:
            if g and g != "nan":
                groups.setdefault(g.strip().lower(), set()).add(str(row["ally"]))
    return groups


def resolve_allies(tokens: tuple[str, ...], fitted: list[str]) -> tuple[list[str], set[str]]:
    """Ally codes selected by ``tokens`` among the fitted allies.

    Tokens are ally codes, groups (``nato``, ``asia``, ...; see
    ``data/facts/us_allies.csv``), intersections such as ``nato&europe``, or
    ``all``. Returns the sorted codes and the subset named explicitly.
    """
    groups = _group_table()
    fitted_set = set(fitted)
    known_codes = fitted_set | set().union(*groups.values())
    valid = (f"allies in this fit: {', '.join(fitted)}; groups: "
             f"{', '.join(sorted(groups))}, all; intersections like nato&europe")
    chosen: set[str] = set()
    explicit: set[str] = set()
    for token in tokens:
        members: set[str] | None = None
        for part in (p.strip() for p in token.split("&")):
            if part.upper() in known_codes:
                code = part.upper()
                if code not in fitted_set:
                    raise ScenarioError(f"ally '{code}' is not in the fitted panel; {valid}")
                these = {code}
                if "&" not in token:
                    explicit.add(code)
            elif part.lower() == "all":
                these = set(fitted_set)
            elif part.lower() in groups:
                these = groups[part.lower()] & fitted_set
            else:
                raise ScenarioError(f"unknown ally or group '{part}'; {valid}")
            members = these if members is None else members & these
        if not members:
            raise ScenarioError(f"'{token}' selects no ally of the fitted panel; {valid}")
        chosen |= members
    return sorted(chosen), explicit


def prepare(result: Any, scenario: str | Scenario, *, allies: list[str] | None = None,
            start: int | None = None) -> Prepared:
    """Check ``scenario`` against the fit and build the factual inputs of its rows.

    Raises
    ------
    ScenarioError
        Unknown allies or groups, a start year outside the data, a horizon past
        the data, or an intervention on a variable the model does not use.
    """
    scen = load_scenario(scenario)
    if allies:
        scen = scen.with_allies(allies)
    if start is not None:
        scen = scen.with_start(start)
    spec: ModelSpec = result.spec
    train = result.panel.frame.reset_index(drop=True)
    fit_allies = sorted(train["ally"].astype(str).unique().tolist())
    fit_years = sorted(int(y) for y in train["year"].unique())
    used = set(spec.covariates_used())
    for iv in scen.interventions:
        if iv.variable == "reassurance":
            if spec.latent_outcome is None:
                raise ScenarioError(f"scenario '{scen.name}': reassurance.shift needs a model "
                                    f"with the latent reassurance intensity; spec "
                                    f"'{spec.name}' has none (outcomes: "
                                    f"{', '.join(spec.outcome_names)})")
        elif iv.variable not in used:
            raise ScenarioError(f"scenario '{scen.name}': the model (spec '{spec.name}') does "
                                f"not use '{iv.variable}', so intervening on it would change "
                                f"nothing; covariates it uses: {', '.join(sorted(used))}")
    codes, explicit = resolve_allies(scen.allies, fit_allies)
    first, last = fit_years[0], fit_years[-1]
    if not first <= scen.start <= last:
        raise ScenarioError(f"scenario '{scen.name}': start year {scen.start} is outside the "
                            f"data, which cover {first}-{last}; pass another start year in "
                            f"that range (CLI: --start YEAR, Python: start=YEAR)")
    end = last if scen.horizon is None else scen.start + scen.horizon - 1
    if end > last:
        raise ScenarioError(f"scenario '{scen.name}': horizon {scen.horizon} runs to {end}, "
                            f"past the data's last year {last}; covariate paths beyond the "
                            f"data are not available: use horizon <= {last - scen.start + 1}")
    rows = train[train["ally"].isin(codes) & train["year"].between(scen.start, end)]
    present = set(rows["ally"])
    notes = []
    absent_named = sorted(explicit - present)
    if absent_named:
        spans = {a: (int(train.loc[train.ally == a, "year"].min()),
                     int(train.loc[train.ally == a, "year"].max())) for a in absent_named}
        raise ScenarioError(f"scenario '{scen.name}': no data for "
                            + ", ".join(f"{a} (years {s[0]}-{s[1]})" for a, s in spans.items())
                            + f" in {scen.start}-{end}")
    dropped = sorted(set(codes) - present)
    if dropped:
        notes.append(f"no rows in {scen.start}-{end} for {', '.join(dropped)} (outside their "
                     "treaty years); left out")
    if rows.empty:
        raise ScenarioError(f"scenario '{scen.name}': no ally-years in {scen.start}-{end} for "
                            f"{', '.join(codes)}")
    frame = rows.sort_values(["ally", "year"]).reset_index(drop=True)
    factual = _inputs(spec, result.scaling, frame, fit_allies, fit_years)
    x_mean = np.zeros(0)
    x_cov = np.zeros((0, 0))
    if spec.latent_outcome is not None:
        x_train = _inputs(spec, result.scaling, train, fit_allies, fit_years).X[
            spec.latent_outcome]
        x_mean = x_train.mean(axis=0)
        x_cov = np.atleast_2d(np.cov(x_train, rowvar=False, bias=True))
    return Prepared(scen, spec, result.scaling, fit_allies, fit_years, frame, factual,
                    x_mean, x_cov, train, notes)


def _inputs(spec: ModelSpec, scaling: Any, frame: pd.DataFrame, allies: list[str],
            years: list[int]) -> Inputs:
    try:
        return make_inputs(spec, scaling, frame, allies, years)
    except SpecError as err:
        raise ScenarioError(f"the intervened covariates leave the model's domain: {err}") from err


def phase_weights(years: np.ndarray, start: int, phase_in: int) -> np.ndarray:
    r"""Share of the full change in each year: :math:`\min(1, (t - start + 1)/p)`."""
    if phase_in <= 1:
        return np.ones(len(years))
    return np.clip((np.asarray(years, float) - start + 1) / phase_in, 0.0, 1.0)


def intervened(prep: Prepared, interventions: tuple[Intervention, ...] | None = None
               ) -> tuple[Inputs, np.ndarray]:
    """Counterfactual inputs of the scenario's rows and the latent shift per row.

    Raises
    ------
    ScenarioError
        When an intervention drives US troops below zero.
    """
    ivs = prep.scenario.interventions if interventions is None else interventions
    frame = prep.frame.copy()
    years = frame["year"].to_numpy()
    shift = np.zeros(len(frame))
    for iv in ivs:
        w = phase_weights(years, prep.scenario.start, iv.phase_in)
        if iv.variable == "reassurance":
            shift = shift + w * float(iv.value)
            continue
        x = frame[iv.variable].to_numpy(float)
        if iv.op == "set":
            value = (float(prep.train_frame[iv.variable].max()) if iv.value == "max"
                     else float(iv.value))
            target = np.full_like(x, value)
        elif iv.op == "scale":
            target = x * float(iv.value)
        else:  # delta
            target = x + float(iv.value)
        new = x + w * (target - x)
        if iv.variable == "us_troops" and np.any(new < 0):
            bad = frame.loc[new < 0, ["ally", "year"]].astype(str).agg(" ".join, axis=1)
            raise ScenarioError(f"scenario '{prep.scenario.name}': us_troops.{iv.op} = "
                                f"{iv.value} gives negative troop levels in "
                                f"{', '.join(bad.head(5))}; troops must be >= 0 (use "
                                "us_troops.set = 0 for a full withdrawal)")
        frame[iv.variable] = new
    inputs = _inputs(prep.spec, prep.scaling, frame, prep.allies, prep.years)
    return inputs, shift


# ---------------------------------------------------------------------------- evaluation
def linear_predictors(prep: Prepared, draws: Draws, inputs: Inputs,
                      shift: np.ndarray | None = None) -> dict[str, np.ndarray]:
    r"""Linear predictor :math:`\eta` of each outcome, shape ``(draws, rows)``."""
    spec = prep.spec
    names = list(spec.outcome_names)
    ai = inputs.ally_idx
    latent = scale = None
    if spec.latent_outcome is not None:
        r = names.index(spec.latent_outcome)
        nc = len(spec.outcome(spec.latent_outcome).covariate_terms)
        b_r = draws.beta[spec.latent_outcome][:, :nc]
        scale = np.sqrt(draws.sd[:, r] ** 2
                        + np.einsum("sp,pq,sq->s", b_r, prep.x_cov, b_r))
        centred = inputs.X[spec.latent_outcome] - prep.x_mean
        latent = (draws.u[:, ai, r] + b_r @ centred.T) / scale[:, None]
        if shift is not None:
            latent = latent + shift[None, :]
    out = {}
    for j, o in enumerate(spec.outcomes):
        nc = len(o.covariate_terms)
        b = draws.beta[o.name]
        eta = draws.intercept[:, j, None] + draws.u[:, ai, j] + b[:, :nc] @ inputs.X[o.name].T
        if o.latent_terms:
            eta = eta + latent * (b[:, nc:] @ inputs.M[o.name].T)
        if o.name == spec.latent_outcome and shift is not None and np.any(shift):
            eta = eta + scale[:, None] * shift[None, :]
        if draws.year_effect is not None:
            eta = eta + draws.year_effect[:, j, inputs.year_idx]
        out[o.name] = eta
    return out


def natural_scale(o: OutcomeSpec, eta: np.ndarray) -> np.ndarray:
    """Map a linear predictor to the outcome's natural scale (see the module docstring)."""
    if o.family == "bernoulli":
        return expit(eta)
    if o.family in COUNT_FAMILIES or o.family in ("lognormal_t", "lognormal"):
        return np.exp(eta)
    raise AssertionError(o.family)  # pragma: no cover - families are validated in spec.py


def evaluate(prep: Prepared, draws: Draws, inputs: Inputs,
             shift: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each outcome on its natural scale, shape ``(draws, rows)``."""
    eta = linear_predictors(prep, draws, inputs, shift)
    return {o.name: natural_scale(o, eta[o.name]) for o in prep.spec.outcomes}


def posterior_draws(result: Any, prep: Prepared) -> Draws:
    """The fit's posterior draws, flattened over chains."""
    return Draws.from_posterior(result.idata["posterior"], prep.spec, prep.allies)


def run_scenario(result: Any, scenario: str | Scenario | dict[str, Any], *,
                 allies: list[str] | None = None, start: int | None = None) -> Any:
    """Evaluate ``scenario`` on a fitted model.

    Parameters
    ----------
    result
        A :class:`~bayes_alliance.results.FitResult`.
    scenario
        Preset name, TOML path, dict with the TOML keys, or :class:`Scenario`.
    allies
        Ally codes or groups replacing the scenario's own.
    start
        First year of the intervention, replacing the scenario's own.

    Returns
    -------
    ScenarioResult
        Factual and counterfactual draws per ally-year, their difference,
        the tidy summary and figures.
    """
    prep = prepare(result, scenario, allies=allies, start=start)
    draws = posterior_draws(result, prep)
    factual = evaluate(prep, draws, prep.factual)
    cf_inputs, shift = intervened(prep)
    counterfactual = evaluate(prep, draws, cf_inputs, shift)
    return ScenarioResult(prep, factual, counterfactual)


def sweep(result: Any, scenario: str | Scenario | dict[str, Any], key: str,
          values: list[float], *, allies: list[str] | None = None,
          start: int | None = None) -> Any:
    """Dose-response: the scenario's average effect for each value of one intervention.

    Parameters
    ----------
    key
        ``variable.op``, e.g. ``"us_troops.scale"``; it replaces any intervention
        on that variable in the scenario (the others stay).
    values
        The grid, e.g. ``[0, 0.25, 0.5, 0.75, 1]``.

    Returns
    -------
    SweepResult
        ``.table`` (one row per value and outcome: mean over the scenario's
        ally-years, per draw, then summarised), ``.figure`` and ``.save``.
    """
    if not values:
        raise ScenarioError("a sweep needs at least one value")
    base = load_scenario(scenario)
    if allies:
        base = base.with_allies(allies)
    if start is not None:
        base = base.with_start(start)
    grid = [base.with_value(key, float(v)) for v in values]  # validates every value first
    prep = prepare(result, grid[0])
    draws = posterior_draws(result, prep)
    factual = evaluate(prep, draws, prep.factual)
    rows = []
    for value, scen in zip(values, grid, strict=True):
        prep.scenario = scen
        cf_inputs, shift = intervened(prep)
        cf = evaluate(prep, draws, cf_inputs, shift)
        for o in prep.spec.outcomes:
            label, unit = outcome_label(o)
            f_mean = factual[o.name].mean(axis=1)
            c_mean = cf[o.name].mean(axis=1)
            rows.append({"key": key, "value": float(value), "outcome": o.name, "label": label,
                         "unit": unit, "factual_mean": float(f_mean.mean()),
                         "counterfactual_mean": float(c_mean.mean()),
                         **interval_stats(c_mean - f_mean)})
    prep.scenario = base
    return SweepResult(base, key, [float(v) for v in values], pd.DataFrame(rows), prep.notes)
