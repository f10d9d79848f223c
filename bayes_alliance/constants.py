"""Dimension names, thresholds and defaults, defined once."""

from __future__ import annotations

# dimension names
ALLY = "ally"
YEAR = "year"
OUTCOME = "outcome"
OBS = "obs"

# convergence thresholds of a fit (diagnostics and `fit --strict`)
RHAT_MAX = 1.01
ESS_MIN = 400
BFMI_MIN = 0.3
PARETO_K_GOOD = 0.7

# interval reported in summaries
CI_PROB = 0.90

# panel years of the default and the real panel
FIRST_YEAR = 1950
LAST_YEAR = 2010

# the patron of the default and real panels (COW code of the USA)
PATRON_CCODE = 2

#: A chain whose median log density lies more than this many within-chain sds
#: (median over chains) below the best chain's is reported as stuck in a region
#: of negligible posterior mass.
STUCK_LOGP_SDS = 5.0
#: rounds of re-running chains stuck below STUCK_LOGP_SDS after sampling (bayes_alliance.guard)
MAX_RESTARTS = 2
