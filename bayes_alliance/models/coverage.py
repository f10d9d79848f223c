r"""Which covariates enter which equation: the ``all_covariates`` option and exclusions.

The latent reassurance intensity :math:`\tilde\eta_R` is a function of the
reassurance equation's covariates :math:`x_R` plus the ally effect
:math:`u_{iR}`. Its effect :math:`\gamma_k` in outcome :math:`k` is separated from
that outcome's own slopes by the *exclusions*: the terms of :math:`x_R` that are
not terms of :math:`x_k`. With no exclusion, :math:`\gamma_k` is identified only by
:math:`u_{iR}` (the ally-level part of reassurance that the covariates do not
explain).

This module works on term strings only (``"threat"``, ``"threat:retrench"``,
``"reassurance"``), so the spec parser below it in the model layers can use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def _is_latent(term: str, latent: str) -> bool:
    return latent in term.split(":")


def main_covariates(terms: Mapping[str, Sequence[str]], latent: str) -> tuple[str, ...]:
    """Every column that is part of some term, in order of first use (``latent`` excluded)."""
    return tuple(dict.fromkeys(p for ts in terms.values() for t in ts for p in t.split(":")
                               if p != latent))


def all_covariate_terms(terms: Mapping[str, Sequence[str]], latent_outcome: str | None,
                        latent: str) -> dict[str, tuple[str, ...]]:
    """The terms of every equation with every covariate added, so that no exclusion is left.

    Every column used anywhere in the spec (as a main effect or as part of an
    interaction) enters every equation as a main effect, the latent outcome's
    equation included; and every covariate term of the latent outcome's
    equation (its interactions too) enters every equation with a latent term.
    Other interactions stay where they were declared (each tests a hypothesis
    about one equation). New terms follow an equation's own covariate terms and
    precede its latent terms, the order the model's design matrices assume.
    The effects of the latent intensity then rest on its ally-level part alone.

    Parameters
    ----------
    terms
        ``{outcome: terms}`` as declared.
    latent_outcome
        The latent outcome's name (None: the spec has none).
    latent
        Name of the latent term (``"reassurance"``).
    """
    columns = main_covariates(terms, latent)
    x_r = [t for t in terms.get(latent_outcome, ()) if not _is_latent(t, latent)]
    return {o: with_terms(ts, [*columns, *(x_r if any(_is_latent(t, latent) for t in ts)
                                           else ())], latent)
            for o, ts in terms.items()}


def exclusions(terms: Mapping[str, Sequence[str]], latent_outcome: str, latent: str
               ) -> dict[str, tuple[str, ...]]:
    """Per outcome with a latent term: the latent equation's covariate terms it leaves out.

    Returns
    -------
    dict
        ``{outcome: excluded terms}`` in the latent equation's term order, for
        every outcome whose terms use ``latent`` (an empty tuple: no exclusion).
    """
    x_r = [t for t in terms[latent_outcome] if not _is_latent(t, latent)]
    return {o: tuple(t for t in x_r if t not in ts) for o, ts in terms.items()
            if o != latent_outcome and any(_is_latent(t, latent) for t in ts)}


def with_terms(terms: Sequence[str], added: Sequence[str], latent: str) -> tuple[str, ...]:
    """``terms`` with ``added`` covariate terms inserted before the latent terms."""
    own = [t for t in terms if not _is_latent(t, latent)]
    new = [t for t in added if t not in own]
    return (*own, *new, *(t for t in terms if _is_latent(t, latent)))


__all__ = ["all_covariate_terms", "exclusions", "main_covariates", "with_terms"]
