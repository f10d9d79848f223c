"""Readable labels and units of outcomes on their natural scale (tables and figures)."""

from __future__ import annotations

from bayes_alliance.models.families import family
from bayes_alliance.models.spec import OutcomeSpec

#: outcome name -> (label, unit) for the shipped specs; other outcomes get a generic label
_LABELS: dict[str, tuple[str, str]] = {
    "milex": ("military spending (median)", "% of GDP"),
    "intervene": ("war participation probability", "probability"),
    "exit": ("exit (hedging) probability", "probability"),
    "reassure": ("reassurance rate", "statements per mention"),
}


def outcome_label(o: OutcomeSpec) -> tuple[str, str]:
    """Readable label and unit of an outcome on its natural scale."""
    if o.name in _LABELS:
        return _LABELS[o.name]
    return family(o.family).label(o.column)
