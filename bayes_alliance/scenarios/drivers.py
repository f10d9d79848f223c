r"""Which fitted coefficients carry a scenario's effects, and what they are worth.

A scenario moves the model's inputs; its effect on outcome :math:`k` is
carried by the coefficients of the terms those inputs enter. For an
intervention on covariate :math:`v` and a change of the latent intensity
:math:`\delta_r`:

* **direct**: every :math:`\beta_{k,t}` whose term :math:`t` contains
  :math:`v` (``us_troops``, ``threat:retrench``, ``reassurance:retrench``);
* **into the latent intensity**: the latent outcome's own :math:`\beta_{R,t}`
  with :math:`v \in t`, which move :math:`\tilde\eta_R` (and with it every
  ``reassurance`` term);
* **through the latent intensity**: every :math:`\gamma_{k,t}` of a term with
  ``reassurance``, when the scenario shifts :math:`\tilde\eta_R` directly or
  through the previous channel.

Each driver's posterior is summarised (mean, 90% interval, P(> 0)). All of
them are coefficients of an observational regression: they give the causal
effect of the intervention only if the spec's terms close every back-door
path between the intervened variable and the outcome (US forces, for one, are
stationed where threat is high, so the troops coefficients mix the effect of
troops with that of the threat they answer). The table says so in its
``basis`` column, and an ``identification`` column carries the label of an
identification check when the caller has one (``unchecked`` otherwise; read
from a robustness grid's ``summary.json`` by :func:`read_identification`), so
that a scenario resting on a coefficient labelled ``not identified`` says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.constants import CI_PROB
from bayes_alliance.errors import ScenarioError
from bayes_alliance.models.spec import LATENT, ModelSpec

#: what every driver's coefficient is, whatever the scenario
BASIS = "observational association given the equation's other terms"
UNCHECKED = "unchecked"
#: key of the readable coefficient -> label table in a robustness grid's ``summary.json``
IDENTIFICATION_LABELS = "identification_labels"
_Q = ((1 - CI_PROB) / 2, 1 - (1 - CI_PROB) / 2)


def driver_terms(spec: ModelSpec, variables: set[str], shifts_latent: bool
                 ) -> list[tuple[str, str, str]]:
    """``(outcome, term, channel)`` of every coefficient a scenario acts through.

    Parameters
    ----------
    spec
        The fitted spec.
    variables
        Covariates the scenario intervenes on.
    shifts_latent
        Whether the scenario shifts the latent reassurance intensity directly.
    """
    latent = spec.outcome(spec.latent_outcome) if spec.latent_outcome else None
    into_latent = ([t for t in latent.covariate_terms if variables & set(t.split(":"))]
                   if latent is not None else [])
    latent_moves = shifts_latent or bool(into_latent)
    out = []
    for o in spec.outcomes:
        for t in o.terms:
            parts = set(t.split(":"))
            hit = sorted(variables & parts)
            if o is latent and t in into_latent:
                out.append((o.name, t, f"into latent reassurance ({', '.join(hit)})"))
            elif hit:
                out.append((o.name, t, f"direct ({', '.join(hit)})"))
            elif LATENT in parts and latent_moves:
                out.append((o.name, t, "through latent reassurance"))
    return out


def scenario_drivers(spec: ModelSpec, posterior: xr.Dataset, variables: set[str],
                     shifts_latent: bool,
                     identification: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Posterior summary of each coefficient the scenario acts through.

    Parameters
    ----------
    spec, variables, shifts_latent
        As in :func:`driver_terms`.
    posterior
        The fit's posterior group (``beta_<outcome>`` over ``term_<outcome>``).
    identification
        Optional readable name (``beta[milex, us_troops]``) -> label of an
        identification check; coefficients it does not name are ``unchecked``.

    Returns
    -------
    pandas.DataFrame
        One row per driver: ``outcome``, ``coefficient``, ``channel``, ``mean``,
        ``lo``, ``hi`` (90% interval), ``p_positive``, ``basis`` and
        ``identification``.
    """
    labels = dict(identification or {})
    rows = []
    for outcome, term, channel in driver_terms(spec, variables, shifts_latent):
        draws = np.asarray(posterior[f"beta_{outcome}"].sel({f"term_{outcome}": term}),
                           dtype=float).ravel()
        lo, hi = np.quantile(draws, _Q)
        name = f"beta[{outcome}, {term}]"
        rows.append({"outcome": outcome, "coefficient": name, "channel": channel,
                     "mean": float(draws.mean()), "lo": float(lo), "hi": float(hi),
                     "p_positive": float((draws > 0).mean()), "basis": BASIS,
                     "identification": labels.get(name, UNCHECKED)})
    columns = ["outcome", "coefficient", "channel", "mean", "lo", "hi", "p_positive", "basis",
               "identification"]
    return pd.DataFrame(rows, columns=columns)


def read_identification(path: str | os.PathLike[str]) -> dict[str, str]:
    """The identification labels of a committed check: readable coefficient -> label.

    ``path`` is a JSON file with the table :data:`IDENTIFICATION_LABELS`, such
    as the ``summary.json`` that ``bayes-alliance robustness`` (or the
    robustness stage of ``bayes-alliance replicate``) writes; its labels are
    ``"identified"`` or ``"not identified"`` by the grid's verdict rules.

    Raises
    ------
    ScenarioError
        When the file is missing, not JSON, or lacks the table.
    """
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"identification file {p} does not exist; pass the summary.json "
                            "of a robustness grid (e.g. reports/replication/robustness/"
                            "summary.json)") from None
    except (OSError, ValueError) as err:
        raise ScenarioError(f"identification file {p} is not readable JSON ({err})") from None
    labels = raw.get(IDENTIFICATION_LABELS) if isinstance(raw, dict) else None
    if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise ScenarioError(f"identification file {p} has no '{IDENTIFICATION_LABELS}' table "
                            "of coefficient -> label; pass the summary.json that "
                            "`bayes-alliance robustness` writes (rerun it if it predates "
                            "the labels)")
    return dict(labels)


def drivers_note(drivers: pd.DataFrame) -> str | None:
    """One sentence on what the scenario's effects rest on (None without drivers)."""
    if drivers.empty:
        return None
    weak = drivers[drivers["identification"] == "not identified"]["coefficient"].tolist()
    text = (f"the effects rest on {len(drivers)} fitted coefficient(s) (the drivers table), "
            f"each an {BASIS}: not a causal estimate unless the spec's terms close every "
            "back-door path (US forces are stationed where threat is high)")
    if weak:
        text += f"; NOT IDENTIFIED by the identification check: {', '.join(weak)}"
    return text


__all__ = ["BASIS", "IDENTIFICATION_LABELS", "UNCHECKED", "driver_terms", "drivers_note",
           "read_identification", "scenario_drivers"]
