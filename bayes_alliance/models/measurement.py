r"""The measurement model of the latent reassurance intensity.

Structural part (unchanged from the statements-only model,
:mod:`bayes_alliance.models.joint`): the latent outcome :math:`R` (statements)
has the linear predictor :math:`\eta_{R,it} = \alpha_R + u_{iR} + x_{R,it}^\top
\beta_R + \nu_{\ell(it)}`, and the standardised intensity

.. math::

    \tilde\rho_{it} \equiv \tilde\eta_{R,it}
      = \frac{u_{iR} + (x_{R,it} - \bar x_R)^\top \beta_R + \nu_{\ell(it)}}
             {\sqrt{\sigma_R^2 + \beta_R^\top S_R \beta_R + \sigma_\nu^2}}

drives the spending, participation and exit equations. The statements' own
predictor is :math:`\eta_R = \alpha_R' + s\,\tilde\rho` with
:math:`s = \sqrt{\sigma_R^2 + \beta_R^\top S_R \beta_R + \sigma_\nu^2} > 0`: the
statements are an indicator whose loading is the scale :math:`s`. The
innovations :math:`\nu_\ell = \sigma_\nu z_\ell` of each (ally, period) level
:math:`\ell` exist only with ``latent_innovations`` in the spec (otherwise
:math:`\nu = \sigma_\nu = 0`; levels and periods in
:mod:`bayes_alliance.models.time_structure`).

Measurement part: each further indicator :math:`j` (``[[indicators]]`` of the
spec: visits, troop presence, joint exercises ...) has its own family
(:mod:`bayes_alliance.models.families`) and the linear predictor

.. math:: \eta_{j,it} = \alpha_j + \lambda_j\, \tilde\rho_{it}

(plus :math:`\log e_{it}` for a count with exposure), so every indicator
measures the *same* :math:`\tilde\rho` that the outcome equations use, and each
indicator's rows inform :math:`\beta_R`, :math:`u_{iR}` and the innovations
through its loading.

Within-ally variation. Without innovations :math:`\tilde\rho` moves within an
ally only through :math:`x_R^\top\beta_R`, however the indicators move: their
within-ally variation beyond the covariates goes to their own error, and when
every covariate of :math:`\tilde\rho` is also in an outcome equation the
latent's effect there rests on the between-ally contrast :math:`u_{iR}` alone
(:mod:`bayes_alliance.models.joint`). With innovations the indicators measure
:math:`\tilde\rho` term by term (or year by year): a level's innovation is
pinned down by the indicators' rows of that ally and period, each weighted by
its loading, and an outcome's slope on :math:`\tilde\rho` is then informed by
how the outcome moves with those within-ally changes. The innovations are
centred within each ally (:mod:`bayes_alliance.models.time_structure`), so
:math:`u_{iR}` is the ally's mean intensity and the innovations its
term-to-term movement: the latent's between- and within-ally parts are
separate parameters, and :math:`\sigma_R` against :math:`\sigma_\nu` (both in
the scale :math:`s`) is told apart by the spread of the ally means against the
spread within allies.

Identification by construction. Scale: :math:`\tilde\rho` has unit variance
over the training rows (the standardisation above), so a loading is the
change of :math:`\eta_j` per sd of the latent intensity. Sign: the map
:math:`(\beta_R, u_R, \nu, \lambda, \gamma) \to (-\beta_R, -u_R, -\nu, -\lambda,
-\gamma)` leaves every indicator and outcome equation unchanged except the statements
(whose loading :math:`s` cannot change sign); with sparse statements that
leaves a sign-reversed posterior mode. *Anchor* indicators have loadings with
positive support (prior family ``anchor_loading``: Gamma, HalfNormal or
Exponential), the other loadings are free (``loading``: Normal). The exact
reflection then needs :math:`\lambda_{anchor} < 0`, which has no prior mass.

One anchor is enough to remove the exact reflection but not a reversed mode:
measured on the real panel with the garrison as the only anchor
(``reports/validation/measurement/``), half the chains settled in a mode with
:math:`\lambda_{garrison} \approx 0.003` and every free loading and
reassurance effect reversed, 771 log-density units (50 within-chain sds) below
the main mode: a chain that orients the latent by the free indicators early in
warm-up lets the anchor's loading collapse instead of turning the others
around. The remedy is to anchor every indicator whose direction the theory
fixes (the patron's garrisons, visits, leaders received and joint exercises
all *are* reassurance in the seed's sense): a reversed configuration then needs
every anchored loading at :math:`\approx 0`, i.e. the indicators stop
measuring anything, which has negligible mass and no basin that a chain
started at loadings near 1 can fall into. Indicators whose direction is not
fixed by theory (troop cuts happen where troops are, so their loading may be
either sign) stay free. An anchor whose data disagree with its sign shows as a
loading piled against 0 in the report's measurement table.

Misclassification (``misclassification = true`` in the spec). The statement
counts come from a classifier with recall :math:`r` and false-positive rate
:math:`f` per non-reassuring sentence (``data/lexicons/README.md``: held out,
:math:`r` = 17/33 = 0.52, :math:`f` = 25/734 = 0.034). The count of ally-year
:math:`it` with :math:`e_{it}` sentences is then

.. math::

    y_{R,it} \sim \text{NegBin}\bigl(e_{it}\,(r\, e^{\eta_{R,it}} + f),\ \phi\bigr),

i.e. the likelihood sees :math:`\log(r e^{\eta_R} + f)` in place of
:math:`\eta_R`, with priors ``recall`` and ``false_positive`` (Beta, set from
the held-out counts in the prior sets). Ignoring :math:`f` adds a floor
proportional to exposure that the model would read as reassurance and that
shrinks the slopes :math:`\beta_R` toward zero. The fitted :math:`\eta_R`
(natural-scale summaries, scenarios) stays the *true* rate.
"""

from __future__ import annotations

from typing import Any

import pytensor.tensor as pt

from bayes_alliance.models.priors import ResolvedPriors, prior_variable
from bayes_alliance.models.spec import MISCLASSIFICATION_PARAMETERS, ModelSpec


def indicator_predictors(spec: ModelSpec, latent: Any, resolved: ResolvedPriors
                         ) -> dict[str, Any]:
    r"""Add each indicator's :math:`\alpha_j, \lambda_j` to the current model.

    Parameters
    ----------
    spec
        The spec; its ``indicators`` (none: nothing is added).
    latent
        :math:`\tilde\rho` over all rows of the model's inputs.
    resolved
        Priors: ``intercept[<indicator>]``, ``loading[<indicator>]`` and
        ``anchor_loading[<anchor>]`` for each anchor.

    Returns
    -------
    dict
        Indicator name -> :math:`\eta_j` over all rows (the likelihood is added
        by the caller, as for the outcomes).
    """
    etas = {}
    for ind in spec.indicators:
        alpha = prior_variable(f"intercept_{ind.name}", resolved, "intercept", [(ind.name,)])
        fam = ind.loading_family
        loading = prior_variable(f"{fam}_{ind.name}", resolved, fam, [(ind.name,)])
        etas[ind.name] = alpha + loading * latent
    return etas


def observed_statement_predictor(spec: ModelSpec, eta: Any, resolved: ResolvedPriors) -> Any:
    r"""The predictor the statement likelihood sees: :math:`\log(r e^{\eta} + f)`.

    Without ``misclassification`` in the spec, ``eta`` itself (the model is
    unchanged). Adds ``recall`` and ``false_positive`` to the current model.
    """
    if not spec.misclassification:
        return eta
    recall, false_positive = (prior_variable(p, resolved, p, [(spec.latent_outcome,)])
                              for p in MISCLASSIFICATION_PARAMETERS)
    return pt.logaddexp(pt.log(recall) + eta, pt.log(false_positive))


__all__ = ["indicator_predictors", "observed_statement_predictor"]
