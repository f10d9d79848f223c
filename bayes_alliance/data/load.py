"""Loading a panel by name, path or frame: the shipped default, the real build, a file.

:func:`load_panel` sits above the contract (:mod:`bayes_alliance.data.panel`),
the shipped default (:mod:`bayes_alliance.data.default`) and the real-data
builder (:mod:`bayes_alliance.data.build`), all of which it dispatches to; the
builder itself validates through the contract, so the contract never imports
the loader.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from bayes_alliance.data.build import real_panel
from bayes_alliance.data.default import DEFAULT_NOTE, default_panel_path
from bayes_alliance.data.panel import Panel, read_panel_file, validate_frame
from bayes_alliance.errors import PanelError


def load_panel(source: str | os.PathLike[str] | pd.DataFrame | Panel = "default", *,
               drop_missing: bool = False) -> Panel:
    """Load and validate an ally-year panel.

    Parameters
    ----------
    source
        ``"default"`` (the shipped panel: real allies and alliance years,
        synthetic outcomes), ``"real"`` (the shipped panel built from public
        sources, ``data/real_panel.csv``, read offline; see
        :mod:`bayes_alliance.data.build`), a CSV/Parquet path, a DataFrame,
        or an already validated :class:`Panel` (returned as is).
    drop_missing
        Drop rows whose covariates are missing instead of raising; the count is
        kept in :attr:`Panel.dropped_rows`.

    Returns
    -------
    Panel

    Raises
    ------
    PanelError
        When the input violates the contract.
    """
    if isinstance(source, Panel):
        return source
    if isinstance(source, pd.DataFrame):
        return validate_frame(source, drop_missing=drop_missing)
    if not isinstance(source, str | os.PathLike):
        raise PanelError(f"load_panel needs 'default', 'real', a CSV/Parquet path or a "
                         f"DataFrame, got {source!r}")
    if str(source) == "default":
        return validate_frame(pd.read_csv(default_panel_path()), source="default",
                              drop_missing=drop_missing, synthetic=True, notes=(DEFAULT_NOTE,))
    if str(source) == "real":
        return real_panel()
    is_csv = Path(source).suffix.lower() in (".csv", ".txt", ".gz")
    return validate_frame(read_panel_file(source), source=str(source), drop_missing=drop_missing,
                          csv_lines=is_csv)
