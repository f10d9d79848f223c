"""bayes_alliance: Bayesian models of reassurance and burden-sharing in asymmetric alliances.

The public API::

    import bayes_alliance as ba
    panel = ba.load_panel("default")
    model = ba.AllianceModel.from_spec("joint", panel, priors="theory")
    result = model.fit(draws=1000, chains=4, random_seed=1)   # warns on sampler trouble
    result.diagnostics()                                        # divergences, R-hat, ESS, ...
    ba.hypothesis(result, "beta[milex, threat] + beta[milex, threat:retrench] > 0")
    ba.compare({"joint": result, "other": other_result})       # PSIS-LOO, per outcome + total
"""

from __future__ import annotations

from bayes_alliance.data.load import load_panel
from bayes_alliance.data.panel import Panel
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
from bayes_alliance.resources import package_version

__version__ = package_version()

#: public names imported on first use, so that `import bayes_alliance` stays light
#: (PyMC and ArviZ load only when a model, result, report or scenario is needed)
_LAZY = {
    "AllianceModel": "bayes_alliance.fit",  # binds AllianceModel.fit (see bayes_alliance.fit)
    "FitResult": "bayes_alliance.results",
    "write_report": "bayes_alliance.report",
    "run_scenario": "bayes_alliance.scenarios",
    "hypothesis": "bayes_alliance.contrasts",
    "compare": "bayes_alliance.diagnostics_compare",
}


def __getattr__(name: str):
    """Import the lazily exported names of :data:`_LAZY`."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bayes_alliance' has no attribute '{name}'")


__all__ = [
    "AllianceModel",
    "BayesAllianceError",
    "ConvergenceWarning",
    "DataSourceError",
    "FitError",
    "FitResult",
    "Panel",
    "PanelError",
    "ReportError",
    "ResultError",
    "ScenarioError",
    "SpecError",
    "TheoryError",
    "__version__",
    "compare",
    "hypothesis",
    "load_panel",
    "run_scenario",
    "write_report",
]
