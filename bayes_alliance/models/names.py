"""Readable parameter names and the model variables they index.

Summaries, prior selectors and :meth:`AllianceModel.simulate` name scalar
parameters as ``family[index]``: ``intercept[milex]``, ``beta[milex, threat]``,
``sd_ally[milex]``, ``corr_ally[milex, exit]`` (upper triangle),
``sd_year[milex]``, the time structure's ``period[milex, 1990-]``, ``rho[milex]``,
``sd_group[intervene]`` and ``sd_innovation[reassure]``, and the families' auxiliary parameters
``phi[reassure]``, ``sigma[milex]``, ``nu[milex]``. Each is one cell of a PyMC variable
(``beta_milex`` at ``term_milex = threat``); :func:`readable_cells` is the one
table of that correspondence, used in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_alliance.constants import OUTCOME
from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import family
from bayes_alliance.models.spec import MISCLASSIFICATION_PARAMETERS, ModelSpec


@dataclass(frozen=True)
class Cell:
    """One scalar parameter: readable name, PyMC variable and its coordinates."""

    name: str
    variable: str
    coords: tuple[tuple[str, str], ...] = ()


def readable_cells(spec: ModelSpec) -> list[Cell]:
    """Every population-level scalar parameter of ``spec`` a model may hold.

    Cells of variables a given model lacks (``sd_year`` without year effects,
    ``corr_ally`` without correlated effects) are included; callers keep those
    present.
    """
    names = list(spec.outcome_names)
    cells = [Cell(f"intercept[{o}]", "intercept", ((OUTCOME, o),)) for o in names]
    cells += [Cell(f"beta[{o.name}, {t}]", f"beta_{o.name}", ((f"term_{o.name}", t),))
              for o in spec.outcomes for t in o.terms]
    cells += [Cell(f"sd_ally[{o}]", "sd_ally", ((OUTCOME, o),)) for o in names]
    cells += [Cell(f"corr_ally[{a}, {b}]", "corr_ally", ((OUTCOME, a), (f"{OUTCOME}_bis", b)))
              for i, a in enumerate(names) for b in names[i + 1:]]
    cells += [Cell(aux.readable(o.name), aux.variable(o.name))
              for o in spec.outcomes for aux in family(o.family).aux]
    cells += [Cell(f"sd_year[{o}]", "sd_year", ((OUTCOME, o),)) for o in names]
    cells += [Cell(f"period[{o}, {p}]", "period_effect", ((OUTCOME, o), ("period", p)))
              for o in names for p in spec.period_labels[1:]]
    cells += [Cell(f"rho[{o.name}]", f"rho_{o.name}") for o in spec.outcomes if o.ar1]
    cells += [Cell(f"sd_group[{o.name}]", f"sd_group_{o.name}")
              for o in spec.outcomes if o.group_effects]
    if spec.has_innovations:
        cells.append(Cell(f"sd_innovation[{spec.latent_outcome}]", "sd_innovation"))
    for ind in spec.indicators:  # measurement model (bayes_alliance.models.measurement)
        loading = ind.loading_family
        cells += [Cell(f"intercept[{ind.name}]", f"intercept_{ind.name}"),
                  Cell(f"{loading}[{ind.name}]", f"{loading}_{ind.name}")]
        cells += [Cell(aux.readable(ind.name), aux.variable(ind.name))
                  for aux in family(ind.family).aux]
    if spec.misclassification:
        cells += [Cell(f"{p}[{spec.latent_outcome}]", p) for p in MISCLASSIFICATION_PARAMETERS]
    return cells


def variables_from_readable(spec: ModelSpec, values: dict[str, Any]) -> dict[str, np.ndarray]:
    """Assemble readable scalar values into whole model variables.

    ``{"beta[milex, threat]": 0.2, ...}`` -> ``{"beta_milex": array([...])}``.
    Every cell of a variable must be given (a model variable is fixed whole);
    ``corr_ally`` cells fill a symmetric matrix with a unit diagonal.

    Raises
    ------
    SpecError
        For an unknown name (listing the valid ones) or a variable given in part.
    """
    cells = readable_cells(spec)
    by_name = {c.name: c for c in cells}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise SpecError(f"unknown parameter(s) {', '.join(unknown)}; readable names of spec "
                        f"'{spec.name}': {', '.join(by_name)}")
    out: dict[str, np.ndarray] = {}
    for var in dict.fromkeys(by_name[n].variable for n in values):
        members = [c for c in cells if c.variable == var]
        missing = [c.name for c in members if c.name not in values]
        if missing:
            raise SpecError(f"'{var}' is fixed whole: give also {', '.join(missing)}")
        vals = [float(values[c.name]) for c in members]
        if var == "corr_ally":
            k = len(spec.outcome_names)
            corr = np.eye(k)
            corr[np.triu_indices(k, 1)] = vals
            out[var] = np.triu(corr, 1).T + corr
        elif len(members[0].coords) == 2:  # (outcome, period): outcome-major cells
            out[var] = np.asarray(vals).reshape(len(spec.outcome_names), -1)
        elif members[0].coords:
            out[var] = np.asarray(vals)
        else:
            out[var] = np.asarray(vals[0])
    return out
