"""Statement counts from text for the real panel.

The counts come from :func:`bayes_alliance.measure.measure_corpus`, whose result
carries a ``counts`` frame with columns ``ally``, ``ccode``, ``year``,
``reassure`` (unconditional reassurance), ``reassure_conditional`` (reassurance
tied to the ally's effort), ``pressure`` (abandonment threats and burden-sharing
demands) and ``exposure`` (sentences naming the ally; the offset of all three).
Ally-years the measure does not list get ``exposure = 0`` when the corpus
covers that year (some row has that year) and stay missing otherwise; the three
class counts are kept only where ``exposure >= 1`` (the panel contract), so a
year without statements about an ally is missing, not zero.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pandas as pd

from bayes_alliance.errors import MeasureError

__all__ = ["CLASS_COLUMNS", "TEXT_COLUMNS", "measure_available", "text_counts"]

#: the class counts, each with ``exposure`` as its offset
CLASS_COLUMNS = ("reassure", "reassure_conditional", "pressure")
#: the panel columns the text measure fills
TEXT_COLUMNS = (*CLASS_COLUMNS, "exposure")
_COLUMNS = ("ally", "year", *TEXT_COLUMNS)


def measure_available() -> bool:
    """Whether :mod:`bayes_alliance.measure` offers ``measure_corpus`` yet."""
    try:
        module = importlib.import_module("bayes_alliance.measure")
    except ImportError:
        return False
    return callable(getattr(module, "measure_corpus", None))


def text_counts(keys: pd.DataFrame, corpus: str | os.PathLike[str]) -> pd.DataFrame:
    """Run the text measure on ``corpus`` and align its counts with ``keys``.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally`` and ``year``.
    corpus
        Corpus path accepted by ``measure_corpus`` (JSONL/CSV/folder).

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year`` and :data:`TEXT_COLUMNS` (nullable integers).

    Raises
    ------
    MeasureError
        When the measure module is not available yet or returns no usable counts.
    """
    if not measure_available():
        raise MeasureError(
            "the text measure (bayes_alliance.measure.measure_corpus) is not available in this "
            "installation, so reassure/exposure cannot be computed from "
            f"{Path(corpus).name}; build without a corpus (the columns stay missing) or "
            "update bayes_alliance")
    from bayes_alliance.measure import measure_corpus

    counts = getattr(measure_corpus(corpus), "counts", None)
    if not isinstance(counts, pd.DataFrame) or any(c not in counts for c in _COLUMNS):
        raise MeasureError(f"measure_corpus returned no counts frame with columns {_COLUMNS}")
    counts = counts[list(_COLUMNS)].groupby(["ally", "year"], as_index=False).sum()
    out = keys[["ally", "year"]].merge(counts, on=["ally", "year"], how="left")
    covered = out["year"].isin(set(counts["year"]))
    out.loc[covered & out["exposure"].isna(), "exposure"] = 0
    out.loc[~(out["exposure"] >= 1), list(CLASS_COLUMNS)] = pd.NA
    for column in TEXT_COLUMNS:
        out[column] = out[column].astype("Int64")
    return out
