"""bayes_alliance: Bayesian models of reassurance and burden-sharing in asymmetric alliances.

The public API::

    import bayes_alliance as ba
    panel = ba.load_panel("default")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from bayes_alliance.data.panel import Panel, load_panel
from bayes_alliance.errors import (
    BayesAllianceError,
    ConvergenceWarning,
    DataSourceError,
    FitError,
    PanelError,
    ReportError,
    ResultError,
    ScenarioError,
    SpecError,
    TheoryError,
)

try:
    __version__ = version("bayes-alliance")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "BayesAllianceError",
    "ConvergenceWarning",
    "DataSourceError",
    "FitError",
    "Panel",
    "PanelError",
    "ReportError",
    "ResultError",
    "ScenarioError",
    "SpecError",
    "TheoryError",
    "__version__",
    "load_panel",
]
