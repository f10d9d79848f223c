r"""Time in the joint model: period effects, AR(1) errors, group intercepts, innovations.

:func:`~bayes_alliance.models.joint.build_model_graph` calls this module for the
four time-structure options of a spec; a spec without them builds the model it
built before they existed.

**Period effects** (``[year_effects] kind = "period"``, ``breaks = [b_1, ...]``)
cut the years into periods :math:`p(t) = \#\{j : b_j \le t\}` (``breaks =
[1990]``: the Cold War to 1989, then the years from 1990) and add to outcome
:math:`k`'s predictor a period intercept :math:`\pi_{k,p(t)}` with the *first
period's fixed at zero*: :math:`\pi_{k,0} = 0`, :math:`\pi_{k,p} \sim
\text{Normal}` (prior selector ``period[outcome, label]``, labels such as
``1990-``) for later periods. The intercept :math:`\alpha_k` is therefore the
first period's level and :math:`\pi_{k,p}` the shift of period :math:`p`
against it.

**AR(1) error** (``ar1 = true`` in a continuous outcome's ``[[outcomes]]``
table). With :math:`y_{it}` the outcome on the likelihood's scale (log
spending), for an observed row whose ally has an observed row the year before,

.. math::

    y_{it} \mid y_{i,t-1} \sim F\bigl(\eta_{it} + \rho\,(y_{i,t-1} - \eta_{i,t-1}),\;
    \sigma\bigr),

with :math:`F` the family's distribution (Normal or Student-t) and :math:`\rho
\in (-1, 1)` (prior selector ``rho[outcome]``: a Normal truncated to
:math:`(-1, 1)`). The first row of each spell of consecutive observed years
takes the *stationary marginal* scale, :math:`y_{it} \sim F(\eta_{it},
\sigma / \sqrt{1 - \rho^2})` (exact for the Normal family; for Student-t the
matching scale). So :math:`\sigma` is the scale of the innovations, and
:math:`\eta` the marginal centre (median) of :math:`y`.

*Predictions and scenarios are marginal*: the
:class:`~bayes_alliance.models.predictor.Predictor` evaluates :math:`\eta`,
the centre of :math:`y_{it}` not conditioned on the observed lag, and predictive
draws (:func:`marginal_scale`) use :math:`\sigma / \sqrt{1 - \rho^2}`. A
counterfactual therefore moves the expected level of the outcome as a whole; it
does not carry the observed year's residual forward (which would tie the
counterfactual path to the factual one in the first years after a change).
The fit's own prior and posterior predictive draws
(``pm.sample_*_predictive`` on the model) are one-step-ahead instead: each
year given the *observed* previous year. For the same reason
:meth:`~bayes_alliance.models.model.AllianceModel.simulate` (and so SBC, which
simulates through it) refuses a spec with ``ar1``.

**Group intercepts** (``group_effects = "war"`` in an ``[[outcomes]]`` table)
add :math:`w_{k,g(it)}` for the row's level :math:`g` of a label column (the
real panel's ``war``: the US-led war of the year), with :math:`w_{k,g} =
\sigma_{w,k} z_{k,g}`, :math:`z_k` ``ZeroSumNormal`` over the levels seen in
the training panel (so :math:`\alpha_k` is the mean war's level) and
:math:`\sigma_{w,k}` with prior selector ``sd_group[outcome]``. A row with a
missing or unseen label gets :math:`w = 0`.

**Latent innovations** (``latent_innovations = "term"`` or ``"year"`` at the top
of a spec) let the latent reassurance intensity move within an ally over time.
The years are cut into blocks :math:`b(t)`: US presidential terms aligned on the
inaugurations, :math:`b(t) = 1949 + 4\lfloor (t - 1949)/4 \rfloor`, labelled
``1949-1952`` (:func:`innovation_blocks`; years before 1949 fall in the terms
before it), or single years. Each (ally, block) pair present in the training
panel is a level :math:`\ell = (i, b)` (coordinate ``innovation``, labels such as
``ROK|1969-1972``) with the innovation

.. math:: \nu_{\ell} = \sigma_\nu\,(z_\ell - \bar z_{i}), \qquad z_\ell \sim \text{Normal}(0, 1)

with :math:`\bar z_i` the mean of :math:`z` over ally :math:`i`'s levels
(``z_innovation``, non-centred; :math:`\sigma_\nu` is ``sd_innovation``, prior
selector ``sd_innovation[<latent outcome>]``). Centred within each ally, the
innovations sum to zero over an ally's levels: the ally effect :math:`u_{iR}` is
the ally's *mean* intensity (the between-ally part of the latent) and
:math:`\nu` its movement from term to term (the within-ally part), a Mundlak
split by construction. Without the centring the innovations' ally mean trades
off with :math:`u_{iR}` (both shift every row of the ally) and the ally sd of
the latent mixed slowly (R-hat 1.12-1.23 in the recovery test of
``tests/test_latent_innovations.py``; 1.02 centred); the one direction per ally
that the centring removes (:math:`\bar z_i`) keeps its Normal prior and no
likelihood. The innovation of row :math:`it` enters the numerator of the
standardised intensity and the latent outcome's own predictor, and its
variance, :math:`\sigma_\nu^2` times the mean over rows of :math:`1 - 1/n_i`
(what a centred level keeps of it, :math:`n_i` the ally's levels), the scale
(:mod:`bayes_alliance.models.joint`, :mod:`bayes_alliance.models.measurement`
for why). Rows reach their level through the input ``innovation_idx``, built
like a group index (:func:`level_index`): a level the training panel does not
have (a held-out year or ally, a scenario year beyond the panel) gets index 0
and innovation 0: the ally's mean intensity. The levels are not a random walk:
neighbouring terms of an ally are tied only through the ally effect and the
covariates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_alliance.constants import OUTCOME
from bayes_alliance.models.priors import ResolvedPriors, prior_variable
from bayes_alliance.models.spec import ModelSpec, OutcomeSpec

PERIOD = "period"
#: coordinate of the latent innovations' levels and the row input that indexes them
INNOVATION = "innovation"
INNOVATION_INPUT = "innovation_idx"
#: first year of the presidential terms that ``latent_innovations = "term"`` blocks on
TERM_START = 1949


def period_of(spec: ModelSpec, years: np.ndarray) -> np.ndarray:
    """Position of each year's period among :attr:`ModelSpec.period_labels`."""
    return np.searchsorted(np.asarray(spec.year_breaks), np.asarray(years, int), side="right")


def period_effects(spec: ModelSpec, resolved: ResolvedPriors, years: list[int]) -> Any:
    r"""The period intercepts :math:`\pi_{k,p(t)}` as an (outcome, year) tensor.

    Creates ``period_effect`` (dims outcome x later periods) in the current model.
    """
    labels, names = spec.period_labels, spec.outcome_names
    pm.modelcontext(None).add_coord(PERIOD, list(labels[1:]))
    dist, params = resolved.arrays("period", [(o, p) for o in names for p in labels[1:]])
    later = getattr(pm, dist)("period_effect", dims=(OUTCOME, PERIOD),
                              **{k: v.reshape(len(names), -1) for k, v in params.items()})
    full = pt.concatenate([pt.zeros((len(names), 1)), later], axis=1)
    return full[:, period_of(spec, np.asarray(years))]


def group_levels(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, list[str]]:
    """The sorted levels of each index input of the training ``frame``, keyed by input name.

    ``G_<outcome>``, for each outcome with group effects: the labels seen where
    it is observed; :data:`INNOVATION_INPUT`, with latent innovations: the
    (ally, block) labels of :func:`innovation_labels`.
    """
    levels = {f"G_{o.name}": sorted(str(v) for v in frame.loc[frame[o.column].notna(),
                                                               o.group_effects].dropna().unique())
              for o in spec.outcomes if o.group_effects}
    if spec.has_innovations:
        levels[INNOVATION_INPUT] = sorted(set(innovation_labels(spec, frame)))
    return levels


def level_index(labels: Iterable[Any], levels: list[str]) -> np.ndarray:
    """1 + the position of each label in ``levels``; 0 for a missing or unseen one."""
    pos = {lev: i + 1 for i, lev in enumerate(levels)}
    return np.array([0 if pd.isna(v) else pos.get(str(v), 0) for v in labels], dtype="int64")


def group_index(outcome: OutcomeSpec, frame: pd.DataFrame, levels: list[str]) -> np.ndarray:
    """:func:`level_index` of each row's group label (``outcome.group_effects`` column).

    Rows of a frame without the label column (e.g. a grid of covariate values)
    all get 0: the group effect of the average group, zero by construction.
    """
    if outcome.group_effects not in frame:
        return np.zeros(len(frame), dtype="int64")
    return level_index(frame[outcome.group_effects], levels)


def group_effects(outcome: OutcomeSpec, resolved: ResolvedPriors, levels: list[str]) -> Any:
    r"""The group intercepts :math:`(0, w_{k,1}, \dots, w_{k,G})` of ``outcome``.

    Creates ``sd_group_<o>``, ``z_group_<o>`` (``ZeroSumNormal``) and the
    deterministic ``group_effect_<o>`` over the coordinate ``group_<o>``; index
    the result with :func:`group_index` (position 0: no group, no effect).
    """
    o = outcome.name
    dim = f"group_{o}"
    pm.modelcontext(None).add_coord(dim, levels)
    sd = prior_variable(f"sd_group_{o}", resolved, "sd_group", [(o,)])
    z = pm.ZeroSumNormal(f"z_group_{o}", sigma=1.0, dims=dim)
    w = pm.Deterministic(f"group_effect_{o}", sd * z, dims=dim)
    return pt.concatenate([pt.zeros(1), w])


def innovation_blocks(kind: str, years: Iterable[int]) -> list[str]:
    """Label of each year's block: its presidential term (``"1969-1972"``) or the year.

    ``kind`` is ``"term"`` or ``"year"`` (:data:`~bayes_alliance.models.spec.INNOVATION_KINDS`).
    """
    years = np.asarray(list(years), dtype="int64")
    if kind == "year":
        return [str(y) for y in years]
    starts = TERM_START + 4 * np.floor_divide(years - TERM_START, 4)
    return [f"{s}-{s + 3}" for s in starts]


def innovation_labels(spec: ModelSpec, frame: pd.DataFrame) -> list[str]:
    """The innovation level of each row of ``frame``: ``"<ally>|<block>"``."""
    blocks = innovation_blocks(spec.latent_innovations, frame["year"])
    return [f"{a}|{b}" for a, b in zip(frame["ally"].astype(str), blocks, strict=True)]


def innovations(spec: ModelSpec, resolved: ResolvedPriors, levels: list[str],
                row_levels: np.ndarray) -> tuple[Any, Any]:
    r"""The innovations :math:`(0, \nu_1, \dots, \nu_L)` and their variance over rows.

    Creates ``sd_innovation`` and ``z_innovation`` (Normal(0, 1) over the
    coordinate ``innovation``: the ``levels``) in the current model, and no
    deterministic. The innovations are centred within each ally,
    :math:`\nu_\ell = \sigma_\nu (z_\ell - \bar z_{i(\ell)})`, so they sum to zero
    over an ally's levels and :math:`u_{iR}` is the ally's mean intensity. Index
    the result with the input ``innovation_idx`` (position 0: an unseen level,
    no innovation: the ally's mean).

    Parameters
    ----------
    levels
        The training levels ``"<ally>|<block>"``.
    row_levels
        ``innovation_idx`` of the training rows (1 + position in ``levels``).

    Returns
    -------
    innovations, variance
        The innovations with a leading 0, and their prior variance averaged
        over the training rows, :math:`\sigma_\nu^2\, c` with :math:`c` the mean
        over rows of :math:`1 - 1/n_{i}` (:math:`n_i` the levels of the row's
        ally; the variance a centred level keeps): what they add to the
        latent's scale.
    """
    pm.modelcontext(None).add_coord(INNOVATION, levels)
    sd = prior_variable("sd_innovation", resolved, "sd_innovation", [(spec.latent_outcome,)])
    z = pm.Normal("z_innovation", 0.0, 1.0, dims=INNOVATION)
    codes, _ = pd.factorize(pd.Series([lev.split("|", 1)[0] for lev in levels]))
    member = np.zeros((len(levels), codes.max() + 1))
    member[np.arange(len(levels)), codes] = 1.0
    per_ally = member.sum(axis=0)
    centred = z - member @ ((member.T @ z) / per_ally)
    seen = row_levels[row_levels > 0] - 1
    keep = float(np.mean(1.0 - 1.0 / per_ally[codes[seen]])) if seen.size else 0.0
    return pt.concatenate([pt.zeros(1), sd * centred]), keep * sd ** 2


def previous_rows(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows``, the position within ``rows`` of the same ally's previous year.

    -1 where the ally has no row among ``rows`` in the year before (the first
    row of a spell of consecutive observed years).
    """
    keys = list(zip(frame["ally"].to_numpy()[rows], frame["year"].to_numpy(int)[rows],
                    strict=True))
    where = {k: i for i, k in enumerate(keys)}
    return np.array([where.get((a, y - 1), -1) for a, y in keys], dtype="int64")


@dataclass(frozen=True)
class Serial:
    """The AR(1) error of one continuous outcome on its observed rows.

    ``rho`` is the model variable, ``previous`` the output of :func:`previous_rows`.
    """

    rho: Any
    previous: np.ndarray

    @classmethod
    def create(cls, outcome: OutcomeSpec, resolved: ResolvedPriors, frame: pd.DataFrame,
               rows: np.ndarray) -> Serial:
        """Create ``rho_<o>`` (Normal prior truncated to (-1, 1)) in the current model."""
        dist, params = resolved.arrays("rho", [(outcome.name,)])
        assert dist == "Normal"  # the only distribution priors.PARAMETERS allows for rho
        rho = pm.TruncatedNormal(f"rho_{outcome.name}", mu=float(params["mu"][0]),
                                 sigma=float(params["sigma"][0]), lower=-1.0, upper=1.0)
        return cls(rho, previous_rows(frame, rows))

    def condition(self, eta: Any, y: Any, aux: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        r"""Centre and auxiliary parameters of :math:`y_{it} \mid y_{i,t-1}`.

        ``eta`` and ``y`` are over the outcome's observed rows; ``aux["sigma"]``
        is the innovation scale, widened to :math:`\sigma / \sqrt{1 - \rho^2}`
        on the first row of each spell.
        """
        has = self.previous >= 0
        prev = np.where(has, self.previous, 0)
        centre = eta + self.rho * has * (y[prev] - eta[prev])
        widen = pt.where(has, 1.0, 1.0 / pt.sqrt(1.0 - self.rho ** 2))
        return centre, {**aux, "sigma": aux["sigma"] * widen}


def marginal_scale(outcome: OutcomeSpec, aux: dict[str, np.ndarray], posterior: Any
                   ) -> dict[str, np.ndarray]:
    r"""Auxiliary draws for marginal predictive draws: :math:`\sigma / \sqrt{1 - \rho^2}`.

    ``aux`` holds per-draw columns (draws x 1); outcomes without ``ar1`` pass through.
    """
    if not outcome.ar1:
        return aux
    rho = np.asarray(posterior[f"rho_{outcome.name}"].transpose("chain", "draw").values,
                     float).reshape(-1, 1)
    return {**aux, "sigma": aux["sigma"] / np.sqrt(1.0 - rho ** 2)}


__all__ = ["INNOVATION", "INNOVATION_INPUT", "PERIOD", "TERM_START", "Serial", "group_effects",
           "group_index", "group_levels", "innovation_blocks", "innovation_labels",
           "innovations", "level_index", "marginal_scale", "period_effects", "period_of",
           "previous_rows"]
