r"""Frequentist baseline: per-outcome GLMs (statsmodels) against the Bayesian posteriors.

On the same rows and the same standardised covariates as the model
(:class:`~bayes_alliance.models.design.Scaling` and
:func:`~bayes_alliance.models.design.covariate_matrix`), each outcome gets the
frequentist GLM of its likelihood family:

* ``reassure``: negative binomial (NB2, dispersion estimated) with a
  ``log(exposure)`` offset;
* ``milex``: OLS on ``log(milex_gdp)`` (the model's Student-t has the same
  location; OLS is its Gaussian-error counterpart);
* ``intervene``, ``exit``: conditional (fixed-effects) logit.

**Ally effects.** The Bayesian models have ally random intercepts. The GLMs use
ally *fixed* effects (a dummy per ally; for the logits the conditional
likelihood, which removes them): with many years per ally (about 44 in the
default panel) the random-intercept estimates are nearly unpooled (the GLS
weight :math:`1-\sqrt{\sigma^2/(\sigma^2 + T\sigma_u^2)}` is close to 1), so
fixed effects are the closest frequentist analogue, whereas a pooled GLM
would let between-ally differences leak into the slopes and understate their
standard errors. A dummy-variable logit would suffer incidental-parameter
bias and separation for allies that never (or always) take part; the
conditional logit does not. Intercepts are not comparable and are left out.

**Yardsticks.** ``diff_in_post_sd`` is (posterior mean - MLE) / posterior sd.
For the counts and military spending the two estimators use the same
information and agree within about one posterior sd. For the binary outcomes
(about 20 war years per ally for ``intervene``, rare ``exit``) the
random-intercept posterior also uses between-ally variation that the
conditional logit throws away, so its sd can be a third of the FE standard
error and differences look large in posterior sds; ``diff_in_se``
= (mean - MLE) / SE, the difference in the MLE's own standard errors, is the
fair scale there (for the other outcomes sd and SE nearly coincide).

**Latent terms.** The joint model's ``reassurance`` terms (the standardised
latent intensity and its interactions) have no frequentist counterpart, and
the covariate slopes of an equation that contains them are conditional on the
latent intensity. So the covariate-only GLM of an outcome is compared with the
*single-outcome* Bayesian model of that outcome (``reassurance`` and
``burden`` specs, and the same construction for ``intervene`` and ``exit``),
and with the joint model only for the latent outcome's own equation
(``reassure``), whose coefficients are shared.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.design import covariate_matrix
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import observed_rows, observed_values
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.spec import ModelSpec, OutcomeSpec, load_spec
from bayes_alliance.results import FitResult
from bayes_alliance.validation.cluster import dask_client
from bayes_alliance.validation.sampling import sample_parameters


def glm_estimates(outcome: OutcomeSpec, frame: pd.DataFrame, scaling: Any) -> pd.DataFrame:
    """MLE and standard error of each covariate term of ``outcome``.

    Parameters
    ----------
    outcome
        The outcome equation; only its covariate terms are used.
    frame
        The panel rows.
    scaling
        The model's covariate scaling (training mean and sd).

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome``, ``term``, ``glm``, ``mle``, ``se``, ``n_obs``.
    """
    fam = family(outcome.family)
    rows = observed_rows(outcome, frame)
    z = scaling.standardise(frame)
    X = covariate_matrix(outcome, z)[rows]
    y = observed_values(outcome, frame, rows).astype(float)
    ally = frame["ally"].to_numpy()[rows]
    dummies = pd.get_dummies(pd.Series(ally), dtype=float).to_numpy()
    offset = (np.log(frame[outcome.exposure].to_numpy(float)[rows])
              if outcome.exposure is not None else np.zeros(len(rows)))
    k = X.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fam.baseline(y, X, dummies, ally, offset)
    params = np.asarray(res.params)[:k]
    se = np.asarray(res.bse)[:k]
    return pd.DataFrame({"outcome": outcome.name, "term": list(outcome.covariate_terms),
                         "glm": fam.baseline_name, "mle": params, "se": se,
                         "n_obs": len(rows)})


def single_outcome_spec(spec: ModelSpec, outcome: str) -> ModelSpec:
    """A one-outcome spec with the covariate terms of ``outcome`` in ``spec``.

    The shipped ``reassurance`` and ``burden`` specs are used when their terms
    match; otherwise an equivalent spec named ``<outcome>_only`` is built.
    """
    o = spec.outcome(outcome)
    for shipped in ("reassurance", "burden"):
        s = load_spec(shipped)
        if (len(s.outcomes) == 1 and s.outcomes[0].column == o.column
                and s.outcomes[0].terms == o.covariate_terms
                and s.outcomes[0].family == o.family):
            return s
    d = spec.to_dict()
    one = {**d["outcomes"][spec.outcome_names.index(outcome)],
           "terms": list(o.covariate_terms), "optional": False}
    d.update(name=f"{outcome}_only", outcomes=[one], correlated=False, latent_outcome=None,
             description=f"{outcome} alone, covariate terms only (baseline comparator)")
    return ModelSpec.from_dict(d)


def fit_comparator(spec: dict[str, Any], frame: pd.DataFrame, priors: str, draws: int,
                   tune: int, chains: int, seed: int) -> dict[str, Any]:
    """Fit one Bayesian comparator (runs in a Dask worker); posterior mean/sd per parameter."""
    import arviz as az


    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AllianceModel.from_spec(ModelSpec.from_dict(spec), frame, priors=priors)
        params, stats = sample_parameters(model, draws=draws, tune=tune, chains=chains,
                                          seed=seed)
        ess = az.ess(params, method="bulk")
    return {"spec": model.spec.name,
            "mean": {k: float(params[k].mean()) for k in params.data_vars},
            "sd": {k: float(params[k].std()) for k in params.data_vars},
            "divergences": stats["divergences"],
            "min_ess_bulk": float(min(float(ess[v]) for v in ess.data_vars)),
            "sampling_s": stats["sampling_s"]}


def compare(glm: pd.DataFrame, posterior: dict[str, Any], model_name: str) -> pd.DataFrame:
    """Join GLM estimates with posterior means/sds of ``beta[outcome, term]``."""
    out = glm.copy()
    names = [f"beta[{o}, {t}]" for o, t in zip(glm.outcome, glm.term, strict=True)]
    out["bayes_model"] = model_name
    out["post_mean"] = [posterior["mean"][n] for n in names]
    out["post_sd"] = [posterior["sd"][n] for n in names]
    out["diff_in_post_sd"] = (out.post_mean - out.mle) / out.post_sd
    out["sd_over_se"] = out.post_sd / out.se
    out["diff_in_se"] = (out.post_mean - out.mle) / out.se
    return out


def to_markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table."""
    head = ("| outcome | coefficient | GLM | MLE | SE | Bayesian model | posterior mean | "
            "posterior sd | (mean - MLE) / sd | (mean - MLE) / SE |")
    lines = [head, "|" + "---|" * 10]
    for _, r in table.iterrows():
        lines.append(f"| {r.outcome} | {r.term} | {r.glm} | {r.mle:.3f} | {r.se:.3f} | "
                     f"{r.bayes_model} | {r.post_mean:.3f} | {r.post_sd:.3f} | "
                     f"{r.diff_in_post_sd:+.2f} | {r.diff_in_se:+.2f} |")
    return "\n".join(lines)


def run_baseline(*, run: str | Path | None = None, data: str | None = None, draws: int = 1000,
                 tune: int = 1000, chains: int = 2, seed: int = 1, workers: int = 2,
                 scheduler: str | None = None, out: str | Path | None = None,
                 command: str | None = None) -> dict[str, Any]:
    """Compare per-outcome GLMs with posterior means.

    Parameters
    ----------
    run
        A saved run: its posterior is compared for every outcome whose
        equation has no latent-reassurance term (others are listed as skipped).
    data
        Instead of ``run``: a panel on which the joint model and the
        single-outcome comparators are fitted with weak priors (on Dask, one
        task per model).
    draws, tune, chains, seed
        Sampler settings with ``data``.
    workers, scheduler
        Dask settings with ``data``.
    out
        Folder for ``baseline.csv``, ``baseline.md`` and ``summary.json``
        (None: write nothing).
    command
        Command line recorded in the summary.

    Returns
    -------
    dict
        The table (records), its Markdown, the largest absolute difference in
        posterior sds, skipped outcomes and notes.
    """
    if (run is None) == (data is None):
        raise ValidationRunError("give either a run file or data, not both or neither")
    tables, skipped, fits = [], [], {}
    if run is not None:

        result = FitResult.load(run)
        spec, frame, scaling = result.spec, result.panel.frame, result.scaling
        params = result.parameters()
        posterior = {"mean": {k: float(params[k].mean()) for k in params.data_vars},
                     "sd": {k: float(params[k].std()) for k in params.data_vars}}
        for o in spec.outcomes:
            if o.latent_terms:
                skipped.append({"outcome": o.name, "reason": "equation has latent-reassurance "
                                "terms (no frequentist counterpart); use --data to compare with "
                                "a single-outcome model"})
                continue
            tables.append(compare(glm_estimates(o, frame, scaling), posterior,
                                  f"{spec.name} ({result.prior_set.name})"))
        source = str(run)
    else:
        from dask.distributed import as_completed


        joint = AllianceModel.from_spec("joint", data, priors="weak")
        spec, frame, scaling = joint.spec, joint.panel.frame, joint.scaling
        jobs = {"joint": joint.spec}
        for o in spec.outcomes:
            one = single_outcome_spec(spec, o.name)
            jobs[one.name] = one
        with dask_client(scheduler, workers) as client:
            futures = {client.submit(fit_comparator, s.to_dict(), frame, "weak", draws, tune,
                                     chains, seed, pure=False): name
                       for name, s in jobs.items()}
            for fut in as_completed(list(futures)):
                fits[futures[fut]] = fut.result()
        for o in spec.outcomes:
            glm = glm_estimates(o, frame, scaling)
            one = single_outcome_spec(spec, o.name)
            tables.append(compare(glm, fits[one.name], f"{one.name} (weak)"))
            if not o.latent_terms:
                tables.append(compare(glm, fits["joint"], "joint (weak)"))
        source = f"data={data}"
    if not tables:
        raise ValidationRunError("no outcome of this run can be compared with a GLM (every "
                                 "equation has latent terms); use --data")
    table = pd.concat(tables, ignore_index=True)
    markdown = to_markdown(table)
    summary = {
        "source": source, "command": command,
        "max_abs_diff_sd": float(table.diff_in_post_sd.abs().max()),
        "median_abs_diff_sd": float(table.diff_in_post_sd.abs().median()),
        "max_abs_diff_sd_by_outcome": {
            o: float(g.diff_in_post_sd.abs().max()) for o, g in table.groupby("outcome")},
        "max_abs_diff_se": float(table.diff_in_se.abs().max()),
        "skipped": skipped,
        "fits": {k: {c: v[c] for c in ("divergences", "min_ess_bulk", "sampling_s")}
                 for k, v in fits.items()},
        "notes": ["GLMs use ally fixed effects (conditional logit for binary outcomes); the "
                  "Bayesian models use ally random intercepts; intercepts are not compared",
                  "binary outcomes: the conditional logit uses within-ally variation only, "
                  "the random-intercept posterior also between-ally variation, so the "
                  "posterior sd can be far below the FE standard error; there the "
                  "difference in MLE standard errors is the fair scale",
                  "latent-reassurance terms have no frequentist counterpart: covariate-only "
                  "GLMs are compared with single-outcome Bayesian models, and with the joint "
                  "model only for the reassure equation"],
        "table": json.loads(table.to_json(orient="records")),
        "markdown": markdown,
    }
    if out is not None:
        out = Path(out)
        write_text_atomic(out / "baseline.csv", table.round(5).to_csv(index=False), force=True)
        write_text_atomic(out / "baseline.md", markdown + "\n", force=True)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n", force=True)
    return summary
