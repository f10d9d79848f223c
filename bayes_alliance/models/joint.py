r"""The joint hierarchical model of reassurance and burden-sharing.

For ally :math:`i` in year :math:`t` and outcome :math:`k`:

.. math::

    \eta_{k,it} = \alpha_k + u_{ik} + x_{k,it}^\top \beta_k
                  + \sum_j \gamma_{kj}\, m_{kj,it}\, \tilde\eta_{R,it} \;(+\ y_{kt})

* reassurance, the latent outcome ``R``:
  :math:`\text{reassure} \sim \text{NegBin}(\text{exposure}\cdot e^{\eta_R}, \phi)`;
* burden-sharing: :math:`\log \text{milex\_gdp} \sim t_\nu(\eta_M, \sigma_M)`;
* participation (intervention years only) and exit pursuit:
  :math:`\text{Bernoulli}(\text{logit}^{-1}\eta_k)`.

:math:`\tilde\eta_R` is the standardised latent reassurance intensity

.. math::

    \tilde\eta_{R,it} = \frac{u_{iR} + (x_{R,it} - \bar x_R)^\top \beta_R
                              + \nu_{\ell(it)}}
                             {\sqrt{\sigma_{R}^2 + \beta_R^\top S_R \beta_R
                                    + c\,\sigma_\nu^2}}

with :math:`\bar x_R, S_R` the mean and covariance of the reassurance terms on
the *training* rows (constants, so a counterfactual change of covariates moves
:math:`\tilde\eta_R` instead of being standardised away) and :math:`\sigma_R`
the ally sd of reassurance: the denominator :math:`s` is the model-implied sd
of the numerator across allies and years, so :math:`\tilde\eta_R` has unit
variance (:math:`c < 1`: the share of :math:`\sigma_\nu^2` that ally-centred
innovations keep). :math:`\nu_{\ell(it)}` is the *latent innovation* of the row's ally
and period (spec key ``latent_innovations = "term"`` or ``"year"``;
:math:`\nu_\ell = \sigma_\nu (z_\ell - \bar z_i)`, :math:`z_\ell \sim N(0, 1)`,
centred within ally :math:`i` so that :math:`u_{iR}` is the ally's mean
intensity; levels and blocks in :mod:`bayes_alliance.models.time_structure`; 0
for a level the training panel lacks), and :math:`\nu = \sigma_\nu = 0` without them. It also
enters the latent outcome's own predictor, :math:`\eta_R = \alpha_R + u_{iR} +
x_R^\top\beta_R + \nu`, so that :math:`\eta_R = \alpha_R' + s\,\tilde\eta_R`
exactly, with or without innovations: the statements stay an indicator with
loading :math:`s` (:mod:`bayes_alliance.models.measurement`).

:math:`m_{kj}` is 1 for the term ``reassurance`` and a standardised covariate
for an interaction such as ``reassurance:retrench``; the :math:`\gamma` are the
``beta`` cells of those terms. Ally effects :math:`u_i \sim \text{MVN}(0,
\text{diag}(\sigma)\,\Omega\,\text{diag}(\sigma))`, :math:`\Omega \sim
\text{LKJ}(\eta)`, non-centred through the Cholesky factor, with the
standardised effects constrained to sum to zero over allies (``ZeroSumNormal``)
so that intercepts and the mean ally effect do not trade off. With many
informative years per ally (the default panel: about 44 years per ally, military
spending measured precisely) the non-centred form makes NUTS crawl along the
ridge between each ally's standardised effect and the ally sd; centring
(``centered = true``, or ``"auto"`` with enough rows per ally:
:meth:`ModelSpec.centering_for`) then draws the ally intercepts :math:`a_i =
\alpha + u_i \sim \text{MVN}(\alpha, \Sigma)` directly, which mixes well in that
regime. Missing outcomes are masked: only observed rows enter each likelihood
(index vectors ``idx_<outcome>``).

Why the innovations. Without them the latent's only within-ally variation is
:math:`(x_{R,it} - \bar x_R)^\top\beta_R`. When every covariate of the latent
is also a term of an equation :math:`k` (the shipped measured spec: exit
capacity, importance, threat and retrenchment are all in the spending
equation), that variation is an exact linear combination of :math:`k`'s own
covariates, so :math:`\gamma_k` (e.g. ``beta[milex, reassurance]``) is
identified only by the between-ally contrast :math:`u_{iR}`, which trades off
against :math:`k`'s ally effects: a slowly mixing ridge, and an effect with a
between-ally meaning only. The indicators vary within allies over time, but the
latent cannot follow them. The innovations let it: measured by the indicators
(and the statements), they give :math:`\tilde\eta_R` within-ally variation
that is not a function of :math:`k`'s covariates, and :math:`\gamma_k` a
within-ally source of identification. Without indicators only the sparse
statements inform them, and they mostly add overdispersion by ally and period.
That is the design; the first real-panel fit (``joint-real-dynamic``, weak
priors, 4 x 300 draws after 300) shows that the indicators do not yet carry
the innovations: with :math:`\hat{\text{sd}}_\nu \approx 0.23` the spending
equation, precisely measured, uses them as its own ally-by-term effects, and
:math:`\gamma_{milex}` splits into two modes of opposite sign (+2.2 in three
chains, -1.6 in one, log densities within one sd; trees of depth 9-10).
``reports/validation/measurement/dynamic_short.md`` has the numbers.

The exclusion ridge is also where the default panel's minor mode lies (issue
17; ``reports/validation/minor_mode/``). The latent's slopes on the covariates
that no other equation has (``exit_capacity`` and its interaction in
``models/joint.toml``) are what tie :math:`\tilde\eta_R` to the statements rather
than to spending. A chain that sets them near zero (:math:`\beta_R` for exit
capacity 0.37 -> 0.0, the statements' dispersion :math:`\phi` 6.9 -> 3.2) makes
the latent a function of spending's own covariates and ally effect; spending's
coefficient on it then runs to +1.7 (true -0.12), offset by its importance,
threat and retrenchment slopes and by ally effects correlated -0.92 with the
latent's. That basin is a local mode about 15 within-chain sds of log density
below the main one: negligible mass, but a chain that enters it during warm-up
stays. It exists because the statements are too sparse to outweigh spending.
The within-ally entry below removes the path into it (the spending equation no
longer sees the latent's ally effects): the two benchmark seeds that left a
chain there fitted in one mode with it (``models/joint-within.toml``,
``reports/validation/minor_mode/within.md``). Indicators (``[[indicators]]``)
are the other remedy in the model, the stuck-chain guard
(:mod:`bayes_alliance.guard`) the remedy in the sampler.

**Within-ally entry** (``latent_entry = "within"`` at the top of a spec). The other
equations then see only the latent's movement within the ally,

.. math::

    \tilde\eta^{w}_{R,it} = \frac{(x_{R,it} - \bar x_{R,i})^\top \beta_R
                                  + \nu_{\ell(it)}}{s},

with :math:`\bar x_{R,i}` ally :math:`i`'s mean of the latent's covariate terms
over its training rows (constants, input ``Xbar_latent``: a counterfactual keeps
them, so it moves :math:`\tilde\eta^{w}` as much as :math:`\tilde\eta_R`) and
the same denominator :math:`s`, so that :math:`\gamma_k` is the effect of one sd
of the latent intensity, within an ally. The ally's mean intensity
(:math:`u_{iR}` and :math:`\bar x_{R,i}`) no longer enters equation :math:`k`;
its ally effect :math:`u_{ik}` absorbs it. This is the fixed-effects reading of
:math:`\gamma_k` (ally-level confounders of reassurance and spending cannot bias
it) and it cuts the coupling behind both ridges above: :math:`\gamma_k` no longer
trades off against :math:`k`'s ally effects, and the latent's ally effects cannot
be bent to fit :math:`k`. It needs within-ally variation of the latent that
:math:`k`'s own terms do not have: a covariate of the latent that :math:`k` lacks
(the default spec's exit capacity) or innovations; the spec loader refuses a
within entry without either (:class:`~bayes_alliance.errors.SpecError`). The
statements and the indicators still measure the whole :math:`\tilde\eta_R`.

The likelihood of each outcome comes from its family in
:mod:`bayes_alliance.models.families`. Each outcome's :math:`\eta` is built over
*all* rows of the ``pm.Data`` inputs and returned in :class:`ModelGraph` (not as a
``Deterministic``, so it is not stored with every draw); the
:class:`~bayes_alliance.models.predictor.Predictor` compiles that graph once to
evaluate it on new rows. :class:`ModelGraph` also returns :math:`\tilde\eta_R`
and its denominator :math:`s`, so that a scenario's shift of the latent intensity by
:math:`\delta_r` of its sd can be substituted into that same graph (the fitted
graph itself has no shift input, so fits are unchanged by it).

The time-structure options of a spec - period intercepts in place of the year
effects :math:`y_{kt}`, an AR(1) error of a continuous outcome, random
intercepts by a label column such as ``war`` and the latent innovations
:math:`\nu` - are built by :mod:`bayes_alliance.models.time_structure`, which
gives their equations.

A spec's ``[[indicators]]`` add further measurements of :math:`\tilde\eta_R`
(:mod:`bayes_alliance.models.measurement`: one likelihood and loading each, an
anchor with a positive loading fixing the sign) and ``misclassification``
the statement classifier's errors; without them the model is the one above.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_alliance.constants import ALLY, OUTCOME, YEAR
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import SpecError
from bayes_alliance.models.design import Scaling, covariate_matrix, latent_multipliers
from bayes_alliance.models.families import family
from bayes_alliance.models.measurement import indicator_predictors, observed_statement_predictor
from bayes_alliance.models.priors import ResolvedPriors, prior_variable
from bayes_alliance.models.spec import IndicatorSpec, ModelSpec, OutcomeSpec
from bayes_alliance.models.time_structure import (
    INNOVATION_INPUT,
    Serial,
    group_effects,
    group_index,
    group_levels,
    innovation_labels,
    innovations,
    level_index,
    period_effects,
)

#: ``pm.Data`` inputs shared by all outcomes (besides ``X_<o>`` and ``M_<o>``)
ROW_INPUTS = ("ally_idx", "year_idx", "log_exposure")
#: the row input of ``latent_entry = "within"``: the ally means of the latent's covariate terms
ALLY_MEAN_INPUT = "Xbar_latent"


@dataclass(frozen=True)
class Inputs:
    """Numeric inputs of the model for a set of rows (training or counterfactual)."""

    X: dict[str, np.ndarray]  # outcome -> rows x covariate terms
    M: dict[str, np.ndarray]  # outcome -> rows x latent terms (multipliers)
    ally_idx: np.ndarray
    year_idx: np.ndarray
    log_exposure: np.ndarray
    latent_shift: np.ndarray  # shift of the standardised latent intensity (0: factual)
    G: dict[str, np.ndarray] = field(default_factory=dict)  # outcome -> group index per row
    innovation_idx: np.ndarray | None = None  # latent innovation level per row (0: none)
    #: with ``latent_entry = "within"``: each row's ally mean of the latent's covariate terms
    latent_ally_mean: np.ndarray | None = None

    def values(self, spec: ModelSpec) -> dict[str, np.ndarray]:
        """The ``pm.Data`` arrays by name (:func:`input_names`)."""
        out = {name: getattr(self, name) for name in ROW_INPUTS}
        if spec.within_entry:
            out[ALLY_MEAN_INPUT] = self.latent_ally_mean
        for o in spec.outcomes:
            out[f"X_{o.name}"] = self.X[o.name]
            out[f"M_{o.name}"] = self.M[o.name]
            if o.group_effects:
                out[f"G_{o.name}"] = self.G[o.name]
        if spec.has_innovations:
            out[INNOVATION_INPUT] = self.innovation_idx
        return out


def input_names(spec: ModelSpec) -> list[str]:
    """Names of the row-level ``pm.Data`` inputs.

    :data:`ROW_INPUTS`, ``X_``/``M_``/``G_<o>`` and, with latent innovations,
    ``innovation_idx``; with ``latent_entry = "within"``, ``Xbar_latent``.
    """
    return [*ROW_INPUTS, *(f"{p}_{o.name}" for o in spec.outcomes for p in ("X", "M")),
            *(f"G_{o.name}" for o in spec.outcomes if o.group_effects),
            *([INNOVATION_INPUT] if spec.has_innovations else []),
            *([ALLY_MEAN_INPUT] if spec.within_entry else [])]


@dataclass(frozen=True)
class ModelGraph:
    """The PyMC model and each outcome's linear predictor over all input rows.

    ``latent`` is the standardised latent intensity over all rows,
    ``latent_scale`` its denominator and ``latent_entering`` what of it the
    other equations see (``latent`` itself, or its within-ally part with
    ``latent_entry = "within"``); all None without a latent outcome.
    """

    model: pm.Model
    eta: dict[str, pt.TensorVariable]
    latent: pt.TensorVariable | None = None
    latent_scale: pt.TensorVariable | None = None
    latent_entering: pt.TensorVariable | None = None


def make_inputs(spec: ModelSpec, scaling: Scaling, frame: pd.DataFrame, allies: list[str],
                years: list[int], train: pd.DataFrame | None = None) -> Inputs:
    """Design arrays of ``frame`` under the training ``scaling``, coords and panel.

    ``train`` is the training panel's frame (default: ``frame``, right when
    ``frame`` is the training panel). Its group (and innovation) levels
    (:func:`~bayes_alliance.models.time_structure.group_levels`) index the rows: a
    row whose level the training panel lacks gets index 0: no group effect, no
    innovation. With ``latent_entry = "within"`` its ally means of the latent's
    covariate terms (:func:`latent_ally_means`) are each row's
    ``latent_ally_mean``, so that a counterfactual change of covariates moves
    the latent's within-ally part instead of its mean; an ally the training
    panel lacks takes the mean of its own rows in ``frame``.
    """
    train = frame if train is None else train
    levels = group_levels(spec, train)
    z = scaling.standardise(frame)
    ally_pos = {a: i for i, a in enumerate(allies)}
    year_pos = {y: i for i, y in enumerate(years)}
    exposure_col = next((o.exposure for o in spec.outcomes if o.exposure), None)
    if exposure_col is not None and exposure_col in frame:
        exposure = frame[exposure_col].to_numpy(float)
        log_exposure = np.log(np.where(exposure >= 1, exposure, 1.0))
    else:
        log_exposure = np.zeros(len(frame))
    ally_mean = None
    if spec.within_entry:
        own = latent_ally_means(spec, scaling, frame)
        means = pd.concat([latent_ally_means(spec, scaling, train),
                           own[~own.index.isin(train["ally"].unique())]])
        ally_mean = means.loc[frame["ally"].to_numpy()].to_numpy(float)
    return Inputs(
        X={o.name: covariate_matrix(o, z) for o in spec.outcomes},
        M={o.name: latent_multipliers(o, z) for o in spec.outcomes},
        ally_idx=frame["ally"].map(ally_pos).to_numpy("int64"),
        year_idx=frame["year"].map(year_pos).fillna(0).to_numpy("int64"),
        log_exposure=log_exposure,
        latent_shift=np.zeros(len(frame)),
        G={o.name: group_index(o, frame, levels[f"G_{o.name}"]) for o in spec.outcomes
           if o.group_effects},
        innovation_idx=(level_index(innovation_labels(spec, frame), levels[INNOVATION_INPUT])
                        if spec.has_innovations else None),
        latent_ally_mean=ally_mean,
    )


def latent_ally_means(spec: ModelSpec, scaling: Scaling, frame: pd.DataFrame) -> pd.DataFrame:
    r"""Each ally's mean of the latent outcome's covariate terms over its rows of ``frame``.

    :math:`\bar x_{R,i}` of the module docstring, standardised as the model
    sees the terms: a frame indexed by ally, one column per covariate term of
    the latent outcome.
    """
    lat = spec.outcome(spec.latent_outcome)
    x = covariate_matrix(lat, scaling.standardise(frame))
    return (pd.DataFrame(x, columns=list(lat.covariate_terms), index=frame["ally"].to_numpy())
            .groupby(level=0).mean())


def observed_rows(outcome: OutcomeSpec, frame: pd.DataFrame) -> np.ndarray:
    """Rows where ``outcome`` is observed (and, for counts, exposure >= 1)."""
    ok = frame[outcome.column].notna().to_numpy()
    if outcome.exposure is not None:
        ok = ok & (frame[outcome.exposure].fillna(0) >= 1).to_numpy()
    return np.flatnonzero(ok)


def observed_values(outcome: OutcomeSpec, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Observed values on the likelihood's scale (:meth:`Family.transform`)."""
    return family(outcome.family).transform(frame[outcome.column].to_numpy(float)[rows])


def build_model_graph(spec: ModelSpec, panel: Panel, resolved: ResolvedPriors,
                      scaling: Scaling) -> ModelGraph:
    """Build the PyMC model of ``spec`` on ``panel`` and its linear predictors.

    Every input a counterfactual may change is a ``pm.Data`` container
    (``X_<outcome>``, ``M_<outcome>``, ``ally_idx``, ``year_idx``,
    ``log_exposure``, ``idx_<outcome>``, ``y_<outcome>``, and ``G_<outcome>``,
    ``innovation_idx`` with those options).
    """
    problem = spec.within_entry_problem()
    if problem:
        raise SpecError(f"spec '{spec.name}': {problem}")
    frame = panel.frame
    allies, years = panel.allies, panel.years
    names = list(spec.outcome_names)
    levels = group_levels(spec, frame)
    inputs = make_inputs(spec, scaling, frame, allies, years)
    coords: dict[str, list] = {ALLY: allies, YEAR: years, OUTCOME: names,
                               f"{OUTCOME}_bis": names, "obs": list(range(len(frame)))}
    rows = {o.name: observed_rows(o, frame) for o in spec.outcomes}
    for o in spec.outcomes:
        coords[f"term_{o.name}"] = list(o.terms)
        coords[f"xterm_{o.name}"] = list(o.covariate_terms)
        coords[f"lterm_{o.name}"] = list(o.latent_terms)
        coords[f"obs_{o.name}"] = rows[o.name].tolist()
    k = len(names)

    with pm.Model(coords=coords) as model:
        ally_idx = pm.Data("ally_idx", inputs.ally_idx, dims="obs")
        year_idx = pm.Data("year_idx", inputs.year_idx, dims="obs")
        log_exposure = pm.Data("log_exposure", inputs.log_exposure, dims="obs")
        X = {o.name: pm.Data(f"X_{o.name}", inputs.X[o.name], dims=("obs", f"xterm_{o.name}"))
             for o in spec.outcomes}
        M = {o.name: pm.Data(f"M_{o.name}", inputs.M[o.name], dims=("obs", f"lterm_{o.name}"))
             for o in spec.outcomes}
        G = {o: pm.Data(f"G_{o}", g, dims="obs") for o, g in inputs.G.items()}

        intercept = prior_variable("intercept", resolved, "intercept", [(n,) for n in names],
                               dims=OUTCOME)
        # standardised ally effects, centred over allies (sum to zero) so that the
        # intercepts and the ally effects do not trade off against each other
        if not spec.centered:
            z = pm.ZeroSumNormal("z_ally", sigma=1.0, dims=(OUTCOME, ALLY)).T
        if spec.correlated and k >= 2:
            sd_dist = prior_variable("", resolved, "sd_ally", [(n,) for n in names], dist_only=True)
            packed = pm.LKJCholeskyCov("chol_ally", n=k, eta=spec.lkj_eta, sd_dist=sd_dist,
                                       compute_corr=False)
            chol = pm.math.expand_packed_triangular(k, packed, lower=True)
            cov = chol @ chol.T
            sd = pt.sqrt(pt.diag(cov))
            pm.Deterministic("sd_ally", sd, dims=OUTCOME)
            pm.Deterministic("corr_ally", cov / pt.outer(sd, sd), dims=(OUTCOME, f"{OUTCOME}_bis"))
            if spec.centered:
                a = pm.MvNormal("a_ally", mu=intercept, chol=chol, dims=(ALLY, OUTCOME))
                u = pm.Deterministic("u_ally", a - intercept, dims=(ALLY, OUTCOME))
            else:
                u = pm.Deterministic("u_ally", z @ chol.T, dims=(ALLY, OUTCOME))
        else:
            sd = prior_variable("sd_ally", resolved, "sd_ally", [(n,) for n in names], dims=OUTCOME)
            if spec.centered:
                a = pm.Normal("a_ally", mu=intercept, sigma=sd, dims=(ALLY, OUTCOME))
                u = pm.Deterministic("u_ally", a - intercept, dims=(ALLY, OUTCOME))
            else:
                u = pm.Deterministic("u_ally", z * sd, dims=(ALLY, OUTCOME))

        year_eff = None
        if spec.year_effects == "iid":
            sd_year = prior_variable("sd_year", resolved, "sd_year", [(n,) for n in names],
                                 dims=OUTCOME)
            yz = pm.ZeroSumNormal("z_year", sigma=1.0, dims=(OUTCOME, YEAR))
            year_eff = pm.Deterministic("year_effect", sd_year[:, None] * yz, dims=(OUTCOME, YEAR))
        elif spec.year_effects == "period":
            year_eff = period_effects(spec, resolved, years)

        beta = {}
        for o in spec.outcomes:
            beta[o.name] = prior_variable(f"beta_{o.name}", resolved, "beta",
                                      [(o.name, t) for t in o.terms], dims=f"term_{o.name}")

        latent_std = scale = innovation = None
        if spec.latent_outcome is not None:
            r = names.index(spec.latent_outcome)
            lat = spec.outcome(spec.latent_outcome)
            x_train = inputs.X[lat.name]
            x_mean = x_train.mean(axis=0)
            x_cov = np.atleast_2d(np.cov(x_train, rowvar=False, bias=True))
            b_r = beta[lat.name][: len(lat.covariate_terms)]
            numerator = u[ally_idx, r] + (X[lat.name] - x_mean) @ b_r
            variance = sd[r] ** 2 + b_r @ x_cov @ b_r
            if spec.has_innovations:
                level = pm.Data(INNOVATION_INPUT, inputs.innovation_idx, dims="obs")
                nu, nu_variance = innovations(spec, resolved, levels[INNOVATION_INPUT],
                                              inputs.innovation_idx)
                innovation = nu[level]
                numerator, variance = numerator + innovation, variance + nu_variance
            scale = pt.sqrt(variance)
            latent_std = numerator / scale
        # what the other equations see: all of the latent, or its movement within the ally
        entering = latent_std
        if spec.within_entry:
            ally_mean = pm.Data(ALLY_MEAN_INPUT, inputs.latent_ally_mean,
                                dims=("obs", f"xterm_{spec.latent_outcome}"))
            within = (X[lat.name] - ally_mean) @ b_r
            entering = (within if innovation is None else within + innovation) / scale

        etas = {}
        for j, o in enumerate(spec.outcomes):
            # the terms' own positions: a spec may list 'reassurance' terms anywhere
            cov_pos = [o.terms.index(t) for t in o.covariate_terms]
            eta = intercept[j] + u[ally_idx, j] + X[o.name] @ beta[o.name][cov_pos]
            if o.latent_terms:
                lat_pos = [o.terms.index(t) for t in o.latent_terms]
                eta = eta + entering * (M[o.name] @ beta[o.name][lat_pos])
            if year_eff is not None:
                eta = eta + year_eff[j, year_idx]
            if o.group_effects:
                eta = eta + group_effects(o, resolved, levels[f"G_{o.name}"])[G[o.name]]
            if innovation is not None and o.name == spec.latent_outcome:
                eta = eta + innovation  # so that eta_R = alpha_R' + s * latent, as without
            etas[o.name] = eta
            if o.name == spec.latent_outcome:  # the classifier's errors, if modelled
                eta = observed_statement_predictor(spec, eta, resolved)
            serial = Serial.create(o, resolved, frame, rows[o.name]) if o.ar1 else None
            _likelihood(o, eta, rows[o.name], frame, log_exposure, resolved, serial)
        # further indicators of the latent intensity (bayes_alliance.models.measurement)
        ind_etas = indicator_predictors(spec, latent_std, resolved)
        for ind in spec.indicators:
            ind_rows = observed_rows(ind, frame)
            model.add_coord(f"obs_{ind.name}", ind_rows.tolist())
            offset = log_exposure if ind.exposure else pt.zeros_like(log_exposure)
            _likelihood(ind, ind_etas[ind.name], ind_rows, frame, offset, resolved)
    return ModelGraph(model, etas, latent_std, scale, entering)


def _likelihood(o: OutcomeSpec | IndicatorSpec, eta, rows: np.ndarray, frame: pd.DataFrame,
                log_exposure, resolved: ResolvedPriors, serial: Serial | None = None) -> None:
    """The likelihood of ``o`` on its observed ``rows`` (``idx_<o>``, ``y_<o>`` inputs)."""
    idx = pm.Data(f"idx_{o.name}", rows, dims=f"obs_{o.name}")
    y = pm.Data(f"y_{o.name}", observed_values(o, frame, rows), dims=f"obs_{o.name}")
    eta, log_exposure = eta[idx], log_exposure[idx]
    fam = family(o.family)
    aux = {a.name: prior_variable(a.variable(o.name), resolved, a.name, [(o.name,)])
           for a in fam.aux}
    if serial is not None:  # AR(1): y_t | y_{t-1} (models.time_structure)
        eta, aux = serial.condition(eta, y, aux)
    dist, kwargs = fam.distribution(eta, log_exposure, aux)
    dist(o.name, **kwargs, observed=y, dims=f"obs_{o.name}")


__all__ = ["Inputs", "ModelGraph", "build_model_graph", "input_names", "make_inputs",
           "observed_rows"]
