"""One exception type per layer, all under :class:`BayesAllianceError`.

The CLI catches :class:`BayesAllianceError` (and ``ValueError`` raised for bad
theory primitives) and prints the message without a traceback.
"""

from __future__ import annotations


class BayesAllianceError(Exception):
    """Base class of every error the package raises on purpose."""


class PanelError(BayesAllianceError, ValueError):
    """A panel violates the data contract (README, 'The panel (data contract)')."""


class DataSourceError(BayesAllianceError):
    """A public source file is missing, unreadable or fails its hash check."""


class SpecError(BayesAllianceError, ValueError):
    """A model spec or prior file is malformed or does not fit the panel."""


class TheoryError(BayesAllianceError, ValueError):
    """A primitive of the formal model lies outside its domain."""


class FitError(BayesAllianceError):
    """Sampling could not run or its settings are invalid."""


class ResultError(BayesAllianceError):
    """A saved run is missing, corrupt, incomplete, or would be overwritten."""


class ReportError(BayesAllianceError):
    """A report or an analysis of fits cannot be made (bad hypothesis, mismatched data, ...)."""


class ScenarioError(BayesAllianceError, ValueError):
    """A counterfactual scenario is malformed or does not fit the fitted model."""


class MeasureError(BayesAllianceError):
    """A text corpus or lexicon cannot be read or measured."""


class ValidationRunError(BayesAllianceError):
    """A validation run (SBC, recovery, benchmark) cannot run or resume."""


class ReplicationError(BayesAllianceError, ValueError):
    """A replication config or its output target (README markers) is wrong."""


class ConvergenceWarning(UserWarning):
    """Sampler diagnostics (divergences, R-hat, ESS, BFMI) miss their thresholds."""
