r"""Starting points in the main posterior mode: climb, reflect, keep the higher.

The joint model's latent reassurance intensity has a sign symmetry
(:mod:`bayes_alliance.models.measurement`): the map
:math:`(\beta_R, u_R, \nu, \gamma, \lambda_{free}) \to -(\beta_R, u_R, \nu, \gamma,
\lambda_{free})` changes only the statements' likelihood (and the anchors').
With sparse statements and no anchored indicators the image of the main mode
is a second, sign-reversed local mode (11-21 log-density units below on the
real panel, ``reports/validation/measurement/mirror.json``): too close in log
density for the stuck-chain guard (:mod:`bayes_alliance.guard`) to tell a
chain there from a good one, and far enough in parameter space that a chain
never crosses. Which mode a chain ends in is decided by its random start.

:func:`mode_start` removes the coin toss: climb to a mode from the model's
default start (L-BFGS on the sampler's unconstrained scale), climb again from
that mode's mirror image, and start every chain at the higher of the two
(the samplers still jitter each chain's start by U(-1, 1) on the unconstrained
scale, so the chains are not identical and R-hat keeps its meaning within the
mode). A chain started this way samples the main mode; a genuinely
multimodal posterior would still show through chains that leave it, and the
reversed mode's mass, :math:`e^{-\Delta}` of the main one's at a gap
:math:`\Delta` of 11 units or more, is negligible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_alliance.models.model import AllianceModel

#: L-BFGS iterations per climb
MAX_CLIMB_ITERATIONS = 5000


def has_mirror(model: AllianceModel) -> bool:
    """Whether the model has the sign symmetry that :func:`mirror_point` reflects.

    It needs a latent outcome whose intensity enters another equation.
    """
    spec = model.spec
    return spec.latent_outcome is not None and any(
        o.name != spec.latent_outcome and len(o.terms) > len(o.covariate_terms)
        for o in spec.outcomes)


def mirror_point(model: AllianceModel, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    r"""The sign-reversed image of ``point`` (values on either scale, keyed by name).

    :math:`(\beta_R, u_R, \nu, \gamma, \lambda) \to -(\beta_R, u_R, \nu, \gamma, \lambda)`
    for the latent's slopes, ally effects and innovations (``z_innovation``; their
    sd stays), every outcome's reassurance terms and every *free* loading; the
    anchors' loadings cannot change sign and stay.
    Without indicators this image has the same likelihood for every equation but
    the statements. The ally effects of the latent outcome :math:`r` reflect as
    :math:`z_r \to -z_r` (non-centred) or :math:`a_r \to 2\alpha_r - a_r`
    (centred); with correlated effects the Cholesky factor becomes :math:`DLD`,
    :math:`D = \mathrm{diag}(1, .., -1_r, .., 1)` (its off-diagonal entries in row
    and column :math:`r` change sign, the diagonal stays positive), which leaves
    :math:`LL^\top`'s other entries and the LKJ prior unchanged. Every transform
    involved is linear in the reflected entries or leaves them alone, so the map
    is the same on the constrained and the unconstrained scale.

    Raises
    ------
    ValueError
        When the model has no such symmetry (:func:`has_mirror`).
    """
    spec = model.spec
    if not has_mirror(model):
        raise ValueError(f"spec '{spec.name}' has no sign symmetry to reflect (it needs a "
                         "latent outcome whose intensity enters another equation)")
    out = {k: np.array(v, copy=True) for k, v in point.items()}
    r = spec.outcome_names.index(spec.latent_outcome)
    if spec.centered:
        a = next(k for k in out if k.startswith("a_ally"))
        intercept = next(k for k in out if k == "intercept")
        out[a][:, r] = 2 * out[intercept][r] - out[a][:, r]
    else:
        z = next(k for k in out if k.startswith("z_ally"))
        out[z][r] *= -1  # the zero-sum transform is linear: negating commutes with it
    chol = next((k for k in out if k.startswith("chol_ally")), None)
    if chol is not None:
        k = len(spec.outcomes)
        rows, cols = np.tril_indices(k)  # the packed factor: lower triangle, row by row
        out[chol][(rows == r) != (cols == r)] *= -1
    out[f"beta_{spec.latent_outcome}"] *= -1
    if spec.has_innovations:
        out["z_innovation"] *= -1
    for o in spec.outcomes:  # slopes are in term order: flip the latent terms' own
        out[f"beta_{o.name}"][[o.terms.index(t) for t in o.latent_terms]] *= -1
    for ind in spec.indicators:
        if not ind.anchor:
            out[f"loading_{ind.name}"] *= -1
    return out


def climb(model: AllianceModel, start: dict[str, np.ndarray],
          maxiter: int = MAX_CLIMB_ITERATIONS) -> dict[str, np.ndarray]:
    """The nearest mode uphill of ``start`` (L-BFGS on the sampler's unconstrained scale).

    ``start`` and the result are keyed by the value variables' names (e.g.
    ``sd_ally_log__``), as ``model.pymc_model.initial_point()`` is.
    """
    from pymc.blocking import DictToArrayBijection, RaveledVars
    from scipy.optimize import minimize

    m = model.pymc_model
    start = {v.name: np.asarray(start[v.name], float) for v in m.value_vars}
    raveled = DictToArrayBijection.map(start)
    logp, dlogp = m.compile_logp(), m.compile_dlogp()

    def point(x: np.ndarray) -> dict[str, np.ndarray]:
        return DictToArrayBijection.rmap(RaveledVars(x, raveled.point_map_info))

    fit = minimize(lambda x: -float(logp(point(x))), raveled.data,
                   jac=lambda x: -np.asarray(dlogp(point(x)), float), method="L-BFGS-B",
                   options={"maxiter": maxiter})
    return point(fit.x)


def to_constrained(model: AllianceModel, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``point`` (value variables) on the constrained scale, keyed by the free variables' names.

    This is the form ``pm.sample(initvals=...)`` takes.
    """
    m = model.pymc_model
    free = {rv.name for rv in m.free_RVs}
    outputs = [v for v in m.unobserved_value_vars if v.name in free]
    fn = m.compile_fn(outputs, inputs=m.value_vars, on_unused_input="ignore",
                      point_fn=False)
    values = fn(*[point[v.name] for v in m.value_vars])
    return {o.name: np.asarray(v) for o, v in zip(outputs, values, strict=True)}


def mode_start(model: AllianceModel, maxiter: int = MAX_CLIMB_ITERATIONS
               ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """A start in the main mode, and a record of how it was chosen.

    Returns
    -------
    start, record
        ``start``: constrained values keyed by the free variables' names (for
        ``pm.sample(initvals=start)``). ``record``: ``logp_mode`` (the climb from
        the default start), ``logp_mirror_mode`` (the climb from its mirror
        image; None without a symmetry) and ``chosen`` (``"mode"`` or
        ``"mirror"``).
    """
    logp = model.pymc_model.compile_logp()
    mode = climb(model, model.pymc_model.initial_point(), maxiter)
    best, record = mode, {"logp_mode": round(float(logp(mode)), 2),
                          "logp_mirror_mode": None, "chosen": "mode"}
    if has_mirror(model):
        other = climb(model, mirror_point(model, mode), maxiter)
        record["logp_mirror_mode"] = round(float(logp(other)), 2)
        if logp(other) > logp(mode):
            best, record["chosen"] = other, "mirror"
    return to_constrained(model, best), record


__all__ = ["climb", "has_mirror", "mirror_point", "mode_start", "to_constrained"]
