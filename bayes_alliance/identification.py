r"""What identifies each effect of latent reassurance, and how it moves without it.

The latent intensity :math:`\tilde\eta_R` (:mod:`bayes_alliance.models.joint`) is
the standardised linear predictor of the reassurance equation, a function of its
covariates :math:`x_R` plus the ally effect :math:`u_{iR}`. In outcome :math:`k`
its effect :math:`\gamma_k` (``beta[k, reassurance]``: H10, H15, H24) is told
apart from :math:`x_k^\top\beta_k` by the *exclusions* of :math:`k`: the terms of
:math:`x_R` absent from :math:`x_k`
(:func:`~bayes_alliance.models.coverage.exclusions`). Each exclusion asserts that
the covariate moves outcome :math:`k` only through reassurance; if it moves
:math:`k` directly, :math:`\gamma_k` absorbs that direct effect. With no exclusion
left, :math:`\gamma_k` rests on :math:`u_{iR}` alone.

:func:`relaxations` lists, per outcome with a latent term, one refit per
exclusion (that covariate added to the outcome's equation) and, for two or more
exclusions, one with all of them added; :func:`identification_frame` compares
the estimate of every latent-effect hypothesis in the base fit with each
relaxed fit: posterior mean, sd and P(predicted sign) of both, and the shift of
the mean in base posterior sds,

.. math:: s = (\bar\gamma_k^{\text{relaxed}} - \bar\gamma_k^{\text{base}})
          / \operatorname{sd}(\gamma_k^{\text{base}}).

An effect whose sign probability crosses 0.5 when one exclusion is relaxed is
*exclusion-driven*: that exclusion, not the data, sets its sign.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.diagnostics_compare import sign_probability
from bayes_alliance.models.coverage import exclusions
from bayes_alliance.models.spec import LATENT, ModelSpec
from bayes_alliance.theory import REGISTRY

#: the label of the fit that relaxes every exclusion of one outcome at once
ALL = "all"
#: an effect is exclusion-driven when relaxing one exclusion moves P(sign) across this value
SIGN_FLIP_AT = 0.5


@dataclass(frozen=True)
class Relaxation:
    """A refit of ``spec`` with the excluded ``terms`` added to ``outcome``'s equation."""

    outcome: str
    terms: tuple[str, ...]
    spec: ModelSpec

    @property
    def label(self) -> str:
        """``"<outcome>+<term>"``, or ``"<outcome>+all"`` for several terms at once."""
        return f"{self.outcome}+{self.terms[0] if len(self.terms) == 1 else ALL}"


def spec_exclusions(spec: ModelSpec) -> dict[str, tuple[str, ...]]:
    """``{outcome: excluded terms}`` for every outcome of ``spec`` with a latent term."""
    if spec.latent_outcome is None:
        return {}
    return exclusions({o.name: o.terms for o in spec.outcomes}, spec.latent_outcome, LATENT)


def relaxations(spec: ModelSpec) -> list[Relaxation]:
    """One refit per exclusion, plus one with all of an outcome's exclusions when it has two+."""
    out = []
    for outcome, excluded in spec_exclusions(spec).items():
        sets = [(t,) for t in excluded] + ([excluded] if len(excluded) > 1 else [])
        out += [Relaxation(outcome, terms, spec.with_added_terms({outcome: terms}))
                for terms in sets]
    return out


def latent_hypotheses(hypotheses: Sequence[Any] | None = None) -> list[Any]:
    """Registry entries whose coefficient is an effect of the latent intensity."""
    hyps = REGISTRY if hypotheses is None else hypotheses
    return [h for h in hyps if h.coefficient
            and LATENT in h.coefficient.removesuffix("]").split(", ")[-1].split(":")]


def _draws(result: Any, coef: str) -> np.ndarray | None:
    post = result.parameters()
    return post[coef].to_numpy().ravel() if coef in post else None


def identification_frame(base: Any, relaxed: Mapping[str, Any],
                         hypotheses: Sequence[Any] | None = None) -> pd.DataFrame:
    """Per latent-effect hypothesis and relaxation: the estimate before and after.

    Parameters
    ----------
    base
        The :class:`~bayes_alliance.results.FitResult` of the spec as declared.
    relaxed
        ``{Relaxation.label: FitResult}`` of the refits (:func:`relaxations`).
    hypotheses
        Registry entries (default :data:`bayes_alliance.theory.REGISTRY`).

    Returns
    -------
    pandas.DataFrame
        One row per hypothesis and relaxation of its outcome (one row with an
        empty ``relaxed`` when the outcome has no exclusion): ``id``,
        ``coefficient``, ``sign``, ``outcome``, ``identified_by`` (the
        exclusions, or a sentence when there is none), ``relaxed``,
        ``base mean``, ``base sd``, ``base P(sign)``, ``relaxed mean``,
        ``relaxed sd``, ``relaxed P(sign)``, ``shift_sd`` and
        ``exclusion_driven`` (P(sign) on the other side of
        :data:`SIGN_FLIP_AT` after the relaxation).
    """
    excl = spec_exclusions(base.spec)
    rows = []
    for h in latent_hypotheses(hypotheses):
        outcome = h.coefficient.removeprefix("beta[").split(", ")[0]
        x = _draws(base, h.coefficient)
        if x is None or outcome not in excl:
            continue
        by = ", ".join(excl[outcome]) or (f"none: only the ally-level part of {LATENT} "
                                          "(its ally effect) separates it")
        head = {"id": h.id, "coefficient": h.coefficient, "sign": "+" if h.sign > 0 else "-",
                "outcome": outcome, "identified_by": by, "base mean": float(x.mean()),
                "base sd": float(x.std()), "base P(sign)": sign_probability(x, h.sign)}
        labels = [k for k in relaxed if k.split("+")[0] == outcome]
        if not labels:
            rows.append({**head, "relaxed": ""})
        for label in labels:
            y = _draws(relaxed[label], h.coefficient)
            if y is None:
                continue
            p = sign_probability(y, h.sign)
            rows.append({**head, "relaxed": label.split("+", 1)[1], "relaxed mean": float(y.mean()),
                         "relaxed sd": float(y.std()), "relaxed P(sign)": p,
                         "shift_sd": (float(y.mean()) - head["base mean"]) / head["base sd"]
                         if head["base sd"] > 0 else np.nan,
                         "exclusion_driven": bool((p - SIGN_FLIP_AT)
                                                  * (head["base P(sign)"] - SIGN_FLIP_AT) < 0)})
    columns = ["id", "coefficient", "sign", "outcome", "identified_by", "relaxed", "base mean",
               "base sd", "base P(sign)", "relaxed mean", "relaxed sd", "relaxed P(sign)",
               "shift_sd", "exclusion_driven"]
    return pd.DataFrame(rows, columns=columns)


def render_identification(table: pd.DataFrame) -> str:
    """The identification table as Markdown (one line per hypothesis and relaxation)."""
    lines = ["| H | coefficient | identified by (exclusions) | relaxed: added to the equation | "
             "base mean (sd), P(sign) | relaxed mean (sd), P(sign) | shift (base sds) |",
             "|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        base = f"{r['base mean']:+.2f} ({r['base sd']:.2f}), {r['base P(sign)']:.2f}"
        if r["relaxed"]:
            flag = " **sign flips**" if r["exclusion_driven"] else ""
            rel = (f"{r['relaxed mean']:+.2f} ({r['relaxed sd']:.2f}), "
                   f"{r['relaxed P(sign)']:.2f}{flag}")
            shift = f"{r['shift_sd']:+.1f}"
        else:
            rel = shift = "(no exclusion to relax)"
        lines.append(f"| {r['id']} | `{r['coefficient']}` | {r['identified_by']} | "
                     f"{r['relaxed'] or '-'} | {base} | {rel} | {shift} |")
    return "\n".join(lines) + "\n"


__all__ = ["ALL", "Relaxation", "identification_frame", "latent_hypotheses", "relaxations",
           "render_identification", "spec_exclusions"]
