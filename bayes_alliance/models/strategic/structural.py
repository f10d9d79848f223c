r"""A strategic fit's game, draw by draw: primitives per row, the equilibrium, the outcomes.

The fitted graph (:mod:`.model`) and everything computed after the fit share
the link of each primitive to the panel,

.. math:: x_{j,r}^{(s)} = g_j^{-1}\big(a_j^{(s)} + \omega_j\,(z_{j,r}^\top b_j^{(s)}
          + \sigma_j^{(s)} \tilde u_{j,i(r)}^{(s)})\big),

evaluated here with NumPy for every posterior draw :math:`s` and row :math:`r`
(:func:`row_primitives`), and the game is re-solved by the NumPy solver
(:func:`~bayes_alliance.theory.game.solve_quantal_response`), the definition
the graph is tested against. A counterfactual changes the rows' covariates (so
the primitives) and the game is solved again: the patron's reassurance and the
ally's effort and exit move together (:func:`equilibrium_draws`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.errors import SpecError
from bayes_alliance.models.design import Scaling, covariate_matrix
from bayes_alliance.models.families import family
from bayes_alliance.models.strategic.spec import StrategicSpec
from bayes_alliance.theory.game import QRE_OUTCOMES, solve_quantal_response
from bayes_alliance.theory.population import PrimitivePrior
from bayes_alliance.theory.primitives import Primitives

FloatArray = np.ndarray


def primitive_design(spec: StrategicSpec, scaling: Scaling, frame: pd.DataFrame
                     ) -> dict[str, FloatArray]:
    """Each linked primitive's design matrix (rows x terms) from standardised covariates."""
    z = scaling.standardise(frame)
    return {link.name: covariate_matrix(link, z) for link in spec.links}


def ally_index(allies: list[str], frame: pd.DataFrame) -> FloatArray:
    """Position of each row's ally among the fitted ``allies``.

    Raises
    ------
    SpecError
        When a row's ally was not in the fit (its ally effect is unknown).
    """
    pos = {a: i for i, a in enumerate(allies)}
    unknown = sorted(set(frame["ally"].astype(str)) - set(pos))
    if unknown:
        raise SpecError(f"ally {', '.join(unknown)} is not among the fitted allies "
                        f"({', '.join(allies)}); its ally effect is unknown")
    return frame["ally"].astype(str).map(pos).to_numpy("int64")


def row_primitives(spec: StrategicSpec, design: Mapping[str, FloatArray],
                   ally_idx: FloatArray, params: Mapping[str, Any]) -> dict[str, FloatArray]:
    r"""Every primitive per row (module docstring), for one draw or a leading axis of draws.

    Parameters
    ----------
    spec
        The strategic spec.
    design
        :func:`primitive_design` of the rows.
    ally_idx
        :func:`ally_index` of the rows.
    params
        ``a_<p>`` (draws), ``b_<p>`` (draws x terms), ``sd_<p>`` (draws) and
        ``z_<p>`` (draws x allies) of each linked primitive ``p``; the draw
        axis may be absent (one draw).

    Returns
    -------
    dict
        Primitive name -> array of shape (draws, rows), or (rows,) for one
        draw; fixed primitives as their number.
    """
    latents = PrimitivePrior().latents
    values: dict[str, Any] = dict(spec.fixed)
    for link in spec.links:
        lat = latents[link.name]
        a = np.asarray(params[f"a_{link.name}"], float)
        shift = np.zeros(a.shape + (len(ally_idx),))
        if link.terms:
            shift = shift + np.asarray(params[f"b_{link.name}"], float) @ design[link.name].T
        if link.ally_effect:
            sd = np.asarray(params[f"sd_{link.name}"], float)
            z = np.asarray(params[f"z_{link.name}"], float)
            shift = shift + sd[..., None] * z[..., ally_idx]
        values[link.name] = lat.transform(a[..., None] + lat.scale * shift)
    return values


def posterior_params(posterior: xr.Dataset, spec: StrategicSpec) -> dict[str, FloatArray]:
    """The fit's parameter draws, chains and draws flattened into one leading axis.

    Raises
    ------
    SpecError
        When a parameter of ``spec`` is missing from ``posterior``.
    """
    names = ["log_rationality"]
    for link in spec.links:
        names += [f"a_{link.name}"] + ([f"b_{link.name}"] if link.terms else [])
        names += [f"sd_{link.name}", f"z_{link.name}"] if link.ally_effect else []
    for o in spec.outcomes:
        names += [] if o.direct else [f"alpha_{o.name}", f"gamma_{o.name}"]
    missing = [n for n in names if n not in posterior]
    if missing:
        raise SpecError(f"the posterior lacks {', '.join(missing)}; it is not a fit of "
                        f"strategic spec '{spec.name}'")
    out = {}
    for n in names:
        v = posterior[n]
        out[n] = v.to_numpy().reshape((-1, *v.shape[2:]))
    return out


def solve_rows(spec: StrategicSpec, values: Mapping[str, Any], log_rationality: Any, *,
               conditional: Any = False) -> dict[str, FloatArray]:
    """The quantal-response equilibrium of every (draw, row) (:data:`QRE_OUTCOMES`).

    ``values`` are :func:`row_primitives` (draws x rows); ``log_rationality``
    has one value per draw.
    """
    beta = np.exp(np.asarray(log_rationality, float))[..., None]
    shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()), beta.shape)
    prims = Primitives(**{k: np.broadcast_to(v, shape) for k, v in values.items()},
                       conditional=np.broadcast_to(conditional, shape))
    eq = solve_quantal_response(prims, np.broadcast_to(beta, shape), spec.grid_points)
    return {k: eq[k] for k in QRE_OUTCOMES}


def equilibrium_draws(spec: StrategicSpec, scaling: Scaling, allies: list[str],
                      frame: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, FloatArray]:
    """Primitives and equilibrium of ``frame``'s rows for every draw in ``params``.

    Returns each primitive (prefixed ``primitive_``) and each equilibrium
    quantity, shape (draws, rows).
    """
    values = row_primitives(spec, primitive_design(spec, scaling, frame),
                            ally_index(allies, frame), params)
    eq = solve_rows(spec, values, params["log_rationality"])
    return {**eq, **{f"primitive_{k}": np.broadcast_to(v, eq["reassurance"].shape)
                     for k, v in values.items()}}


def natural_outcomes(spec: StrategicSpec, eq: Mapping[str, FloatArray],
                     params: Mapping[str, Any]) -> dict[str, FloatArray]:
    r"""Each outcome on its natural scale (no observation noise), shape (draws, rows).

    A measured outcome is :math:`g^{-1}(\alpha + \gamma \bar x)` (the rate per
    unit of exposure for counts, the median for log-normal spending); a
    Bernoulli outcome is the game's probability itself.
    """
    out = {}
    for o in spec.outcomes:
        x = eq[o.quantity]
        if o.direct:
            out[o.name] = x
            continue
        alpha = np.asarray(params[f"alpha_{o.name}"], float)[..., None]
        gamma = np.asarray(params[f"gamma_{o.name}"], float)[..., None]
        out[o.name] = family(o.family).natural(alpha + gamma * x)
    return out
