"""The strategic estimator: the reassurance game's quantal-response equilibrium as the likelihood.

:mod:`.spec` reads ``models/strategic.toml``; :mod:`.equilibrium` builds the
equilibrium as a PyTensor graph; :mod:`.model` the PyMC model;
:mod:`.simulate` draws panels from the NumPy game for recovery checks;
:mod:`.structural` evaluates a fit's primitives and re-solves the game per
posterior draw (scenarios), and :mod:`.hypotheses` states the hypotheses the
game tests directly as contrasts of the re-solved equilibrium.
"""
