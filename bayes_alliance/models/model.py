"""`AllianceModel`: spec + panel + priors -> a PyMC model you can fit or simulate from.

Build, fit and simulate are separate calls; the constructor only builds the
graph. The same graph generates data (:meth:`AllianceModel.simulate`, used for
the default panel, recovery and SBC) and is fitted by
:func:`bayes_alliance.fit.fit_model` (also reachable as ``model.fit(...)``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from bayes_alliance.data.load import load_panel
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import SpecError
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import ModelGraph, build_model_graph, observed_rows
from bayes_alliance.models.names import variables_from_readable
from bayes_alliance.models.priors import PriorSet, ResolvedPriors, resolve_priors
from bayes_alliance.models.spec import (
    ModelSpec,
    check_spec_against_panel,
    check_terms_against_panel,
    load_spec,
)
from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.models.strategic.spec import is_strategic


class AllianceModel:
    """A joint (or single-outcome) hierarchical model on a panel.

    Use :meth:`from_spec`; the constructor takes already validated parts.

    ``model.fit(...)`` is :func:`bayes_alliance.fit.fit_model`, bound onto this
    class by :mod:`bayes_alliance.fit` when that module is imported (it is
    whenever ``bayes_alliance.AllianceModel`` is used): sampling sits in the
    layer above the model, so this module never imports it.
    """

    #: bound by :mod:`bayes_alliance.fit`; see :func:`bayes_alliance.fit.fit_model`
    fit: Callable[..., Any]

    def __init__(self, spec: ModelSpec, panel: Panel, priors: ResolvedPriors,
                 scaling: Scaling) -> None:
        self.spec = spec
        self.panel = panel
        self.priors = priors
        self.scaling = scaling

    @classmethod
    def from_spec(
        cls,
        spec: str | os.PathLike[str] | ModelSpec = "joint",
        panel: str | os.PathLike[str] | pd.DataFrame | Panel = "default",
        priors: str | os.PathLike[str] | PriorSet | None = None,
        *,
        require_outcomes: bool = True,
    ) -> AllianceModel | StrategicModel:
        """Load, validate and combine a spec, a panel and a prior set.

        Parameters
        ----------
        spec
            Shipped spec name (``"joint"``, ``"reassurance"``, ``"burden"``),
            a TOML path, or a :class:`ModelSpec`.
        panel
            Anything :func:`~bayes_alliance.load_panel` accepts.
        priors
            ``"weak"``, ``"theory"``, ``"skeptical"``, a TOML path, or None for
            the spec's own default.
        require_outcomes
            Check that outcome columns exist and fit their families (turn off
            only to simulate outcomes onto a covariate-only skeleton).

        A strategic spec (``kind = "strategic"``, e.g. ``"strategic"``) gives a
        :class:`~bayes_alliance.models.strategic.model.StrategicModel` (its
        spec holds its priors: ``priors`` must be None).
        """
        if is_strategic(spec):
            if priors is not None:
                raise SpecError("a strategic spec holds its own priors ([priors]); "
                                "do not pass a prior set")
            return StrategicModel.from_spec(spec, panel, require_outcomes=require_outcomes)
        model_spec = load_spec(spec)
        validated = load_panel(panel)
        model_spec = model_spec.restricted_to(validated) if require_outcomes else model_spec
        model_spec = model_spec.centering_for(validated)
        check_terms_against_panel(model_spec, validated)
        if require_outcomes:
            check_spec_against_panel(model_spec, validated)
        resolved = resolve_priors(model_spec, priors if priors is not None else model_spec.priors)
        scaling = Scaling.from_frame(model_spec, validated.frame)
        return cls(model_spec, validated, resolved, scaling)

    @cached_property
    def graph(self) -> ModelGraph:
        """The PyMC model and its per-outcome linear predictors (built on first access)."""
        return build_model_graph(self.spec, self.panel, self.priors, self.scaling)

    @property
    def pymc_model(self) -> pm.Model:
        """The PyMC model."""
        return self.graph.model

    @property
    def outcome_names(self) -> tuple[str, ...]:
        """Names of the outcome equations."""
        return self.spec.outcome_names

    def population_parameters(self) -> list[str]:
        """Names of population-level variables (no per-ally or per-row arrays)."""
        m = self.pymc_model
        skip = {"z_ally", "a_ally", "u_ally", "z_year", "year_effect", "chol_ally",
                "z_innovation"}
        names = [v.name for v in m.free_RVs + m.deterministics if v.name not in skip]
        return [n for n in names if n not in self.outcome_names]

    # ------------------------------------------------------------------ generation
    def _interventions(self, params: dict[str, Any]) -> dict[str, np.ndarray]:
        """Map natural parameters (sd_ally, corr_ally, u_ally, ...) to free RVs."""
        m = self.pymc_model
        free = {v.name for v in m.free_RVs}
        readable = {k: v for k, v in params.items() if "[" in k}
        whole = variables_from_readable(self.spec, readable)
        both = sorted(set(whole) & set(params))
        if both:
            raise SpecError(f"'{both[0]}' is given both whole and by readable names; give one")
        params = {**{k: v for k, v in params.items() if k not in readable}, **whole}
        out: dict[str, np.ndarray] = {}
        k = len(self.outcome_names)
        chol = None
        if "chol_ally" in free and "sd_ally" in params:
            sd = np.asarray(params["sd_ally"], float)
            corr = np.asarray(params.get("corr_ally", np.eye(k)), float)
            chol = np.linalg.cholesky(np.diag(sd) @ corr @ np.diag(sd))
            out["chol_ally"] = chol[np.tril_indices(k)]
        elif "sd_ally" in params:
            out["sd_ally"] = np.asarray(params["sd_ally"], float)
        if "u_ally" in params:
            u = np.asarray(params["u_ally"], float)
            sd = np.asarray(params["sd_ally"], float)
            if "a_ally" in free:
                out["a_ally"] = u + np.asarray(params["intercept"], float)
            else:
                out["z_ally"] = np.linalg.solve(chol, u.T) if chol is not None else (u / sd).T
        for name, value in params.items():
            if name in ("sd_ally", "corr_ally", "u_ally"):
                continue
            if name not in free:
                raise SpecError(f"cannot set '{name}': not a parameter of this model; "
                                f"parameters: {', '.join(sorted(free))}")
            out[name] = np.asarray(value, float)
        return out

    def simulate(self, params: dict[str, Any], *, seed: int) -> tuple[pd.DataFrame, dict]:
        """Draw outcomes from the model's own generative graph.

        Parameters
        ----------
        params
            Values of population-level parameters, by readable name as in
            :meth:`FitResult.summary` (``"beta[milex, threat]"``,
            ``"sd_ally[milex]"``, ``"corr_ally[reassure, milex]"``,
            ``"phi[reassure]"``; every cell of a variable) or as whole arrays
            by model variable (``intercept``, ``beta_<o>``, ``sd_ally``,
            ``corr_ally``, ``phi_<o>`` ...). Parameters not given are drawn
            from their prior; ally effects are drawn unless ``u_ally`` is given.
        seed
            Random seed.

        Returns
        -------
        frame
            The panel with each outcome (and indicator) column replaced by
            simulated values on the rows where it is observed (other rows stay
            missing).
        truth
            Every parameter value used, including the drawn ally effects.
        """
        ar1 = [o.name for o in self.spec.outcomes if o.ar1]
        if ar1:
            raise SpecError(f"simulate cannot draw the AR(1) outcome(s) {', '.join(ar1)}: the "
                            "model draws each year given the observed previous year, not an "
                            "AR(1) path; simulate from the spec without 'ar1'")
        m = self.pymc_model
        fixed = self._interventions(params)
        with pm.do(m, fixed) as do_model:
            wanted = [v for v in do_model.free_RVs + do_model.deterministics
                      if v.name not in ("year_effect",)]
            observed = [*self.outcome_names, *(i.name for i in self.spec.indicators)]
            names = [v.name for v in wanted] + observed
            rvs = wanted + [do_model[o] for o in observed]
            draws = pm.draw(rvs, random_seed=seed)
        values = dict(zip(names, draws, strict=True))
        truth = {**{k: np.asarray(v) for k, v in fixed.items()},
                 **{k: np.asarray(v) for k, v in values.items() if k not in observed}}
        frame = self.panel.frame.copy()
        for o in (*self.spec.outcomes, *self.spec.indicators):
            rows = observed_rows(o, frame)
            y = family(o.family).inverse_transform(values[o.name])
            col = np.full(len(frame), np.nan)
            col[rows] = y
            frame[o.column] = col
        return frame, truth
