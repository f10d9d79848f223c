"""The formal bargaining model of reassurance and burden-sharing, and priors derived from it.

* :mod:`~bayes_alliance.theory.primitives`: the primitives, their domains and validation;
* :mod:`~bayes_alliance.theory.game`: payoffs, best responses, equilibrium solver;
* :mod:`~bayes_alliance.theory.statics`: comparative statics (numerical derivatives);
* :mod:`~bayes_alliance.theory.hypotheses`: the signed hypothesis registry H1... (the game's
  implications, and the seed's empirical H3-H5);
* :mod:`~bayes_alliance.theory.population`: the declared prior over primitives;
* :mod:`~bayes_alliance.theory.priors`: coefficient priors of the joint model;
* :mod:`~bayes_alliance.theory.plots`: the comparative-statics figure.

NumPy and SciPy only: nothing here imports PyMC, pandas or the data layer.
"""

from __future__ import annotations

from bayes_alliance.theory.game import Equilibrium, best_response, solve_equilibrium
from bayes_alliance.theory.hypotheses import (
    EMPIRICAL_HYPOTHESES,
    HYPOTHESES,
    REGISTRY,
    Hypothesis,
    HypothesisCheck,
    check_hypotheses,
)
from bayes_alliance.theory.plots import plot_statics
from bayes_alliance.theory.population import PrimitivePrior, draw_primitives
from bayes_alliance.theory.primitives import PRIMITIVE_INFO, PRIMITIVE_NAMES, Primitives
from bayes_alliance.theory.priors import (
    TheoryPriors,
    derive_priors,
    skeptical_toml,
    write_priors,
)
from bayes_alliance.theory.statics import (
    QUANTITIES,
    Statics,
    average_statics,
    comparative_statics,
    cross_partial,
)

__all__ = [
    "EMPIRICAL_HYPOTHESES",
    "HYPOTHESES",
    "PRIMITIVE_INFO",
    "PRIMITIVE_NAMES",
    "QUANTITIES",
    "REGISTRY",
    "Equilibrium",
    "Hypothesis",
    "HypothesisCheck",
    "PrimitivePrior",
    "Primitives",
    "Statics",
    "TheoryPriors",
    "average_statics",
    "best_response",
    "check_hypotheses",
    "comparative_statics",
    "cross_partial",
    "derive_priors",
    "draw_primitives",
    "plot_statics",
    "skeptical_toml",
    "solve_equilibrium",
    "write_priors",
]
