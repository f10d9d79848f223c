r"""Out-of-sample validation: time split, leave-allies-out folds and held-out case studies.

Each split divides the panel's rows into training rows (the model is fitted on
them alone: scaling, latent-intensity constants and all) and test rows, which
are then predicted. Three kinds of split:

* **time**: train on years :math:`\le` ``last_train_year`` (1989 by default),
  predict the later years;
* **loao**: :math:`K` folds of allies (grouped cross-validation); each fold's
  allies are left out whole and predicted from the others;
* **cases**: the seed's case studies, West Germany, Japan, South Korea and the
  United Kingdom in 1960-1979, are held out as ally-decades (their other years
  stay in training, so their own ally effects are estimated from those).

**Scores.** For test row :math:`i` of outcome :math:`k` and posterior draws
:math:`s = 1..S`, the held-out log predictive density is

.. math:: \mathrm{lpd}_{ki} = \log \frac1S \sum_s p_k(y_{ki} \mid \theta^{(s)}, u^{(s)}_{a(i)})

with :math:`p_k` the outcome's family likelihood
(:mod:`bayes_alliance.models.families`) on the likelihood's scale (log
spending for the lognormal families) and :math:`\eta` the fitted model's own
graph (:class:`~bayes_alliance.models.predictor.Predictor`). The ELPD of a model
is :math:`\sum_i \mathrm{lpd}_{ki}`; the difference between two models on the same
rows has standard error :math:`\sqrt{n\,\mathrm{Var}_i(\mathrm{lpd}^A_{ki} -
\mathrm{lpd}^B_{ki})}` (as in PSIS-LOO comparisons). Calibration: the share of
observations inside the central 50% and 90% intervals of one posterior-predictive
draw per posterior draw (counts and continuous outcomes), the probability
integral transform :math:`\mathrm{PIT}_i = \frac1S\sum_s F_k(y_{ki}\mid\theta^{(s)})`
for continuous outcomes (its Kolmogorov-Smirnov distance from the uniform), and
the Brier score :math:`(\bar p_i - y_i)^2` for binary outcomes.

**Allies (and years) absent from training.** Their effects are drawn from the
fitted population, one draw per posterior draw and ally:
:math:`u^{(s)}_{\mathrm{new}} \sim \mathrm{MVN}(0, \mathrm{diag}(\sigma^{(s)})
\Omega^{(s)} \mathrm{diag}(\sigma^{(s)}))` (year effects of unseen years likewise
from :math:`N(0, \sigma_{\mathrm{year}}^{(s)2})`), so the lpd integrates over the
unknown ally effect. This is how every leave-allies-out row is predicted, and
the time split's allies that join after the cut (the post-1990 NATO members,
unified Germany).

**Comparators.** The joint model; separate single-outcome models
(:func:`~bayes_alliance.validation.baseline.single_outcome_spec`), scored on
the same rows; and the GLM of each outcome's family
(:mod:`~bayes_alliance.validation.baseline`) as a plug-in predictive
(:data:`GLM_DRAWS` predictive draws at the MLE, no parameter uncertainty): with
ally fixed effects for test rows of allies seen in training (counts, spending),
the pooled GLM (one intercept) otherwise. Ally fixed effects are unavailable for
held-out allies, and the conditional logit of the binary outcomes estimates no
intercepts at all, so binary outcomes always use the pooled logit.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
from scipy import stats
from scipy.special import logsumexp

from bayes_alliance.constants import ALLY
from bayes_alliance.data.load import load_panel
from bayes_alliance.errors import ValidationRunError
from bayes_alliance.fit import fit_model
from bayes_alliance.io import write_text_atomic, write_with
from bayes_alliance.models.design import Scaling, covariate_matrix
from bayes_alliance.models.families import Family, family
from bayes_alliance.models.joint import make_inputs, observed_rows, observed_values
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.predictor import predictor_for
from bayes_alliance.models.spec import ModelSpec, load_spec
from bayes_alliance.validation.baseline import single_outcome_spec
from bayes_alliance.validation.cluster import dask_client

#: the seed's case studies held out as ally-decades: (ally code, first year, last year)
CASES = (("GFR", 1960, 1979), ("JPN", 1960, 1979), ("ROK", 1960, 1979), ("UKG", 1960, 1979))
#: outcomes shown in the case-study figure (when the spec has them)
CASE_OUTCOMES = ("milex", "intervene", "exit")
#: the split kinds, in the order they are run and reported
SPLITS = ("time", "loao", "cases")
#: predictive quantiles kept per row: the central 90% and 50% intervals and the median
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: predictive draws at the MLE of a GLM
GLM_DRAWS = 1000
#: the comparators, in table order
MODELS = ("joint", "separate", "glm")


@dataclass(frozen=True)
class Split:
    """One train/test division of the panel rows.

    Attributes
    ----------
    kind
        ``"time"``, ``"loao"`` or ``"cases"``.
    fold
        Fold number (0 unless ``kind == "loao"``).
    test
        Boolean mask over the panel rows: True for a test row.
    description
        What is held out, in words.
    """

    kind: str
    fold: int
    test: np.ndarray
    description: str


def _checked(split: Split, frame: pd.DataFrame) -> Split:
    n_test = int(split.test.sum())
    if n_test == 0:
        raise ValidationRunError(f"{split.description}: no test rows (the panel covers "
                                 f"{int(frame.year.min())}-{int(frame.year.max())}, allies "
                                 f"{', '.join(sorted(frame[ALLY].unique()))}); choose years or "
                                 "allies the panel has")
    if n_test == len(frame):
        raise ValidationRunError(f"{split.description}: no training rows (every one of the "
                                 f"{len(frame)} panel rows is held out, years "
                                 f"{int(frame.year.min())}-{int(frame.year.max())}); hold out "
                                 "fewer years or allies")
    return split


def time_split(frame: pd.DataFrame, last_train_year: int = 1989) -> Split:
    """Train on years up to ``last_train_year``, test on the later years.

    Raises
    ------
    ValidationRunError
        When either side is empty, naming the panel's years.
    """
    test = frame["year"].to_numpy() > last_train_year
    return _checked(Split("time", 0, test, f"time split: train on years <= {last_train_year}, "
                                           f"predict {last_train_year + 1} on"), frame)


def ally_folds(frame: pd.DataFrame, k: int = 3, seed: int = 1) -> list[Split]:
    """``k`` folds of allies (shuffled with ``seed``); each fold's allies are held out whole.

    Raises
    ------
    ValidationRunError
        When ``k`` is below 2 or above the number of allies.
    """
    allies = sorted(frame[ALLY].astype(str).unique())
    if not 2 <= k <= len(allies):
        raise ValidationRunError(f"leave-allies-out needs 2 <= folds <= {len(allies)} (the "
                                 f"panel's allies), got {k}")
    order = np.random.default_rng(seed).permutation(allies)
    groups = np.array_split(order, k)
    out = []
    for i, held in enumerate(groups):
        test = frame[ALLY].astype(str).isin(set(held)).to_numpy()
        out.append(_checked(Split("loao", i, test, f"leave-allies-out fold {i + 1}/{k}: "
                                  f"hold out {', '.join(sorted(held))}"), frame))
    return out


def case_split(frame: pd.DataFrame, cases: tuple[tuple[str, int, int], ...] = CASES) -> Split:
    """Hold out each case's ally in its years (``(ally, first, last)``).

    Raises
    ------
    ValidationRunError
        When a case's ally has no rows in its years, naming it, or nothing is left to train on.
    """
    test = np.zeros(len(frame), bool)
    ally = frame[ALLY].astype(str).to_numpy()
    year = frame["year"].to_numpy()
    for code, first, last in cases:
        rows = (ally == code) & (year >= first) & (year <= last)
        if not rows.any():
            raise ValidationRunError(f"case study {code} {first}-{last}: the panel has no rows "
                                     f"of ally '{code}' in those years; allies: "
                                     f"{', '.join(sorted(set(ally)))}")
        test |= rows
    label = ", ".join(f"{c} {a}-{b}" for c, a, b in cases)
    return _checked(Split("cases", 0, test, f"case studies: hold out {label}"), frame)


# ---------------------------------------------------------------------------- scoring
def _flat(da: Any) -> np.ndarray:
    """Posterior draws ``(chain, draw, ...)`` -> ``(chain * draw, ...)``."""
    values = np.asarray(da.transpose("chain", "draw", ...).values, float)
    return values.reshape(-1, *values.shape[2:])


def population_ally_effects(post: Any, n_new: int, rng: np.random.Generator) -> np.ndarray:
    r"""Ally effects of ``n_new`` unseen allies, one draw per posterior draw.

    :math:`u = L z`, :math:`z \sim N(0, I)`, with :math:`L L^\top =
    \mathrm{diag}(\sigma)\,\Omega\,\mathrm{diag}(\sigma)` (:math:`\Omega = I`
    for uncorrelated effects). Returns ``(draws, n_new, outcomes)``.
    """
    sd = _flat(post["sd_ally"])
    n_draws, k = sd.shape
    corr = _flat(post["corr_ally"]) if "corr_ally" in post else np.broadcast_to(np.eye(k),
                                                                                (n_draws, k, k))
    chol = np.linalg.cholesky(sd[:, :, None] * corr * sd[:, None, :])
    z = rng.standard_normal((n_draws, n_new, k))
    return np.einsum("sij,snj->sni", chol, z)


def posterior_eta(result: Any, test: pd.DataFrame, rng: np.random.Generator
                  ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Each outcome's linear predictor on ``test`` rows, ``(draws, rows)``.

    Fitted allies keep their posterior effects; unseen allies (and, with year
    effects, unseen years) get effects drawn from the population. Group and
    latent-innovation levels the fit never saw get 0 (the training panel's
    levels index the rows, as in :func:`~bayes_alliance.predict.predict`).

    Returns
    -------
    eta, log_exposure, info
        The predictors, the rows' log exposure and ``new_allies`` / ``new_years``.
    """
    post = result.idata["posterior"]
    panel = result.panel
    allies, years = list(panel.allies), list(panel.years)
    new_allies = sorted(set(test[ALLY].astype(str)) - set(allies))
    new_years = sorted(set(int(y) for y in test["year"]) - set(years))
    inputs = make_inputs(result.spec, result.scaling, test, allies + new_allies,
                         years + new_years, panel.frame)
    predictor = predictor_for(result, effects_as_inputs=True)
    draws = predictor.draws_from(post)
    draws["u_ally"] = np.concatenate(
        [draws["u_ally"], population_ally_effects(post, len(new_allies), rng)], axis=1)
    if "year_effect" in draws:
        sd_year = _flat(post["sd_year"])
        fresh = sd_year[:, :, None] * rng.standard_normal((*sd_year.shape, len(new_years)))
        draws["year_effect"] = np.concatenate([draws["year_effect"], fresh], axis=2)
    eta = predictor(draws, inputs, kind="eta")
    info = {"new_allies": new_allies,
            "new_years": new_years if "year_effect" in draws else []}
    return eta, inputs.log_exposure, info


def score(fam: Family, eta: np.ndarray, log_exposure: np.ndarray, y: np.ndarray,
          aux: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pointwise held-out scores of observations ``y`` (likelihood scale) under draws of ``eta``.

    Parameters
    ----------
    fam
        The outcome's family.
    eta
        ``(draws, rows)`` linear predictor.
    log_exposure
        ``(rows,)`` log exposure (ignored by families without exposure).
    y
        Observations on the likelihood's scale (:meth:`Family.transform`).
    aux
        Auxiliary parameters by name, ``(draws, 1)``.
    rng
        Generator of the predictive draws.

    Returns
    -------
    dict
        ``lpd`` (log predictive density), the predictive quantiles ``q05``,
        ``q25``, ``q50``, ``q75``, ``q95`` in the column's units (of the
        probability for binary outcomes), ``in50``/``in90`` (1.0 inside the
        central interval, NaN for binary), ``pit`` (continuous only, else NaN)
        and ``brier`` (binary only, else NaN).
    """
    dist, kwargs = fam.distribution(eta, log_exposure[None, :], aux)
    rv = dist.dist(**kwargs)
    logp = np.asarray(pm.logp(rv, y).eval(), float)
    out = {"lpd": logsumexp(logp, axis=0) - np.log(logp.shape[0])}
    nan = np.full(len(y), np.nan)
    if fam.kind == "binary":
        p = fam.link.inverse(eta)
        q = np.quantile(p, QUANTILES, axis=0)
        out.update(in50=nan, in90=nan, pit=nan, brier=(p.mean(axis=0) - y) ** 2)
    else:
        rep = np.asarray(pm.draw(rv, random_seed=rng), float)
        q = np.quantile(rep, QUANTILES, axis=0)
        out["in50"] = ((q[1] <= y) & (y <= q[3])).astype(float)
        out["in90"] = ((q[0] <= y) & (y <= q[4])).astype(float)
        out["pit"] = (np.exp(np.asarray(pm.logcdf(rv, y).eval(), float)).mean(axis=0)
                      if fam.kind == "continuous" else nan)
        out["brier"] = nan
        q = fam.inverse_transform(q)
    out.update({f"q{int(round(p * 100)):02d}": v for p, v in zip(QUANTILES, q, strict=True)})
    return out


def score_fit(result: Any, test: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Pointwise scores of every outcome of a fit on the ``test`` rows where it is observed."""
    rng = np.random.default_rng(seed)
    eta, log_exposure, info = posterior_eta(result, test, rng)
    post = result.idata["posterior"]
    out: dict[str, Any] = {"info": info, "outcomes": {}}
    for o in result.spec.outcomes:
        rows = observed_rows(o, test)
        fam = family(o.family)
        aux = {a.name: _flat(post[a.variable(o.name)]).reshape(-1, 1) for a in fam.aux}
        scores = score(fam, eta[o.name][:, rows], log_exposure[rows],
                       observed_values(o, test, rows), aux, rng)
        out["outcomes"][o.name] = {"row": test.index.to_numpy()[rows], **scores}
    return out


# ---------------------------------------------------------------------------- GLM comparator
#: family of a GLM's predictive: OLS on the log is a Gaussian on the log scale
_GLM_FAMILY = {"lognormal_t": "lognormal"}


def _glm_fit(fam: Family, y: np.ndarray, X: np.ndarray, groups: np.ndarray,
             offset: np.ndarray) -> tuple[np.ndarray, dict[str, float]] | None:
    """MLE of ``[slopes, group intercepts]`` and the predictive's auxiliary parameters.

    None when no finite maximum exists (e.g. fixed effects of allies whose
    counts are all zero run off to minus infinity); a Newton fit that ends in
    NaN is retried with L-BFGS first.
    """
    import statsmodels.api as sm

    dummies = pd.get_dummies(pd.Series(groups), dtype=float).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fam.kind == "binary":  # the conditional logit has no intercepts to predict with
            res = sm.Logit(y, np.column_stack([X, dummies])).fit(disp=0, maxiter=200)
        else:
            res = fam.baseline(y, X, dummies, groups, offset)
        if not np.isfinite(res.llf):
            res = res.model.fit(disp=0, method="lbfgs", maxiter=5000)
    if not (np.isfinite(res.llf) and np.isfinite(np.asarray(res.params, float)).all()):
        return None
    params = np.asarray(res.params, float)
    aux: dict[str, float] = {}
    if fam.name == "negative_binomial":
        aux["phi"] = 1.0 / params[-1]  # statsmodels' NB2 alpha: variance mu + alpha mu^2
        params = params[:-1]
    if fam.kind == "continuous":
        aux["sigma"] = float(np.sqrt(res.scale))
    return params, aux


def glm_scores(outcome: Any, train: pd.DataFrame, test: pd.DataFrame, scaling: Scaling,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pointwise scores of the GLM baseline of ``outcome`` (fitted on ``train``) on ``test``.

    Rows of allies seen in training use the ally-fixed-effects GLM (counts and
    continuous outcomes), the others the pooled GLM; binary outcomes the pooled logit.
    When the fixed-effects GLM has no finite maximum, every row uses the pooled
    GLM; the returned ``fixed_effects`` (1.0 or 0.0 per row) says which was used.

    Raises
    ------
    ValidationRunError
        When even the pooled GLM has no finite maximum, naming the outcome.
    """
    fam = family(outcome.family)
    pred_fam = family(_GLM_FAMILY.get(fam.name, fam.name))

    def design(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = observed_rows(outcome, frame)
        X = covariate_matrix(outcome, scaling.standardise(frame))[rows]
        offset = (np.log(frame[outcome.exposure].to_numpy(float)[rows])
                  if outcome.exposure is not None else np.zeros(len(rows)))
        return rows, X, offset

    tr, X, offset = design(train)
    te, Xt, offset_t = design(test)
    y = observed_values(outcome, train, tr).astype(float)
    k = X.shape[1]
    fitted = _glm_fit(fam, y, X, np.zeros(len(y)), offset)
    if fitted is None:
        raise ValidationRunError(f"the pooled GLM of '{outcome.name}' has no finite maximum on "
                                 f"the {len(y)} training rows; compare without it")
    pooled, aux = fitted
    eta = Xt @ pooled[:k] + pooled[k]
    test_ally = test[ALLY].astype(str).to_numpy()[te]
    train_ally = train[ALLY].astype(str).to_numpy()[tr]
    seen = np.isin(test_ally, train_ally)
    fitted = _glm_fit(fam, y, X, train_ally, offset) if fam.kind != "binary" and seen.any() \
        else None
    if fitted is None:
        seen = np.zeros(len(te), bool)
    else:
        fe, fe_aux = fitted
        level = dict(zip(sorted(set(train_ally)), fe[k:], strict=True))
        eta = np.where(seen, Xt @ fe[:k] + np.array([level.get(a, 0.0) for a in test_ally]),
                       eta)
        # one auxiliary value per row: the FE fit's for seen allies, the pooled fit's otherwise
        aux = {n: np.where(seen, fe_aux[n], aux[n]) for n in aux}
    draws = np.broadcast_to(eta, (GLM_DRAWS, len(te)))
    aux_draws = {n: np.broadcast_to(np.asarray(v, float), (GLM_DRAWS, len(te)))
                 for n, v in aux.items()}
    out = score(pred_fam, draws, offset_t, observed_values(outcome, test, te), aux_draws, rng)
    return {"row": test.index.to_numpy()[te], **out, "fixed_effects": seen.astype(float)}


# ---------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Task:
    """One Bayesian fit of a split: a model fitted on the training rows, scored on the test rows."""

    split: Split
    model: str  # "joint" or "<outcome>_only"
    spec: dict[str, Any]
    seed: int


def fit_and_score(task: Task, frame: pd.DataFrame, priors: str | None,
                  settings: dict[str, Any]) -> dict[str, Any]:
    """Fit ``task``'s model on the training rows and score it on the test rows (a Dask task)."""
    train = frame[~task.split.test].reset_index(drop=True)
    test = frame[task.split.test]
    model = AllianceModel.from_spec(ModelSpec.from_dict(task.spec), train, priors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is recorded below, not warned about
        result = fit_model(model, draws=settings["draws"], tune=settings["tune"],
                           chains=settings["chains"], target_accept=settings["target_accept"],
                           random_seed=task.seed, cores=1, prior_draws=0, predictive=False)
        scores = score_fit(result, test, task.seed + 1)
    return {"kind": task.split.kind, "fold": task.split.fold, "model": task.model,
            "spec": model.spec.name, "priors": model.priors.prior_set.name,
            "diagnostics": result.diagnostics().to_dict(),
            "sampling_s": result.info["sampling_s"], "compile_s": result.info["compile_s"],
            **scores}


def task_key(task: Task, frame: pd.DataFrame, priors: str | None,
             settings: dict[str, Any]) -> str:
    """Hash of everything a fit's scores depend on (its cache file name under ``runs_dir``)."""
    h = hashlib.sha256(json.dumps([task.model, task.spec, task.seed, priors, settings],
                                  sort_keys=True, default=str).encode())
    h.update(np.packbits(task.split.test).tobytes())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return f"{task.split.kind}-{task.split.fold}-{task.model}-{h.hexdigest()[:12]}"


def make_splits(frame: pd.DataFrame, kinds: tuple[str, ...], *, last_train_year: int,
                folds: int, seed: int, cases: tuple[tuple[str, int, int], ...] = CASES
                ) -> list[Split]:
    """The splits of ``kinds`` (a subset of :data:`SPLITS`), validated."""
    bad = [k for k in kinds if k not in SPLITS]
    if bad or not kinds:
        raise ValidationRunError(f"unknown split(s) {', '.join(bad) or '(none given)'}; "
                                 f"valid: {', '.join(SPLITS)}")
    out: list[Split] = []
    for kind in SPLITS:
        if kind not in kinds:
            continue
        if kind == "time":
            out.append(time_split(frame, last_train_year))
        elif kind == "loao":
            out.extend(ally_folds(frame, folds, seed))
        else:
            out.append(case_split(frame, cases))
    return out


def _pointwise(fits: list[dict[str, Any]], glm: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (split kind, model, outcome, panel row) with every pointwise score."""
    frames = []
    for f in [*fits, *glm]:
        model = "separate" if f["model"].endswith("_only") else f["model"]
        for outcome, sc in f["outcomes"].items():
            frames.append(pd.DataFrame({"kind": f["kind"], "fold": f["fold"], "model": model,
                                        "outcome": outcome, **sc}))
    return pd.concat(frames, ignore_index=True)


def _elpd_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    return float(d.sum()), float(np.sqrt(len(d) * d.var()))


def score_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per split kind, outcome (and ``total``) and model: ELPD, difference from joint, calibration.

    The ``total`` rows sum every outcome, for the models that score them all; differences
    are model minus joint on the same rows (positive: better than the joint model).
    """
    rows = []
    for kind, by_kind in points.groupby("kind", sort=False):
        parts = {}
        for outcome, g in by_kind.groupby("outcome", sort=False):
            wide = g.pivot_table(index="row", columns="model", values="lpd")
            if "joint" not in wide:
                continue
            parts[outcome] = (g, wide.dropna())
        totals = pd.concat([w for _, w in parts.values()], ignore_index=True) if parts else None
        for outcome, (g, wide) in [*parts.items(), ("total", (None, totals))]:
            if wide is None:
                continue
            for model in [m for m in MODELS if m in wide and wide[m].notna().all()]:
                diff, se = _elpd_diff(wide[model].to_numpy(), wide["joint"].to_numpy())
                row = {"split": kind, "outcome": outcome, "model": model, "n": len(wide),
                       "elpd": float(wide[model].sum()),
                       "elpd_per_obs": float(wide[model].mean()),
                       "elpd_diff": diff, "se_diff": se}
                if g is not None:
                    s = g[g.model == model]
                    pit = s["pit"].dropna().to_numpy()
                    row.update(cover50=float(s["in50"].mean()), cover90=float(s["in90"].mean()),
                               pit_ks=float(stats.kstest(pit, "uniform").statistic)
                               if len(pit) else np.nan,
                               brier=float(s["brier"].mean()))
                rows.append(row)
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The score table as Markdown (NaN cells shown as a dash)."""
    def cell(x: float, fmt: str) -> str:
        return "-" if not np.isfinite(x) else format(x, fmt)

    lines = ["| split | outcome | model | n | ELPD | per obs | ELPD - joint (SE) | "
             "50% cover | 90% cover | PIT KS | Brier |", "|" + "---|" * 11]
    for _, r in table.iterrows():
        diff = "0" if r.model == "joint" else f"{r.elpd_diff:+.1f} ({r.se_diff:.1f})"
        lines.append(f"| {r.split} | {r.outcome} | {r.model} | {r.n} | {r.elpd:.1f} | "
                     f"{r.elpd_per_obs:.3f} | {diff} | {cell(r.get('cover50', np.nan), '.2f')} | "
                     f"{cell(r.get('cover90', np.nan), '.2f')} | "
                     f"{cell(r.get('pit_ks', np.nan), '.3f')} | "
                     f"{cell(r.get('brier', np.nan), '.3f')} |")
    return "\n".join(lines)


def outcome_evidence(table: pd.DataFrame, converged: bool = True) -> dict[str, str]:
    """Per outcome, the out-of-sample evidence in words (the replication table's column).

    For each split of :func:`score_table`: the held-out ELPD of the joint
    model minus that of the GLM baseline with its SE (positive: the joint
    model predicts better), and the share of held-out values inside the joint
    model's 90% predictive interval (for outcomes that have one). When some
    fit did not converge (``converged`` False) the text says so.
    """
    out: dict[str, list[str]] = {}
    for (outcome, split), g in table[table["outcome"] != "total"].groupby(
            ["outcome", "split"], sort=False):
        by_model = g.set_index("model")
        if "joint" not in by_model.index:
            continue
        parts = [split]
        if "glm" in by_model.index:
            r = by_model.loc["glm"]
            parts.append(f"{-r['elpd_diff']:+.1f} ({r['se_diff']:.1f})")
        cover = by_model.loc["joint"].get("cover90", np.nan)
        if np.isfinite(cover):
            parts.append(f"cover {cover:.2f}")
        out.setdefault(str(outcome), []).append(" ".join(parts))
    tail = "" if converged else " (some fits not converged)"
    return {o: "; ".join(v) + tail for o, v in out.items()}


def case_frame(points: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The joint model's case-study predictions joined with the observed values."""
    spec_cols = points[(points.kind == "cases") & (points.model == "joint")]
    out = spec_cols.join(frame[[ALLY, "year"]], on="row")
    return out.drop(columns=["kind", "fold", "model"]).sort_values(["outcome", ALLY, "year"])


def case_figure(cases: pd.DataFrame, frame: pd.DataFrame, spec: ModelSpec) -> Any:
    """Predicted (50% and 90% intervals, median) vs observed, per case ally and outcome."""
    from matplotlib.figure import Figure

    outcomes = [o for o in CASE_OUTCOMES if o in spec.outcome_names]
    allies = list(dict.fromkeys(cases[ALLY]))
    fig = Figure(figsize=(3.2 * len(allies), 2.6 * len(outcomes)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(outcomes), len(allies), squeeze=False))
    for i, name in enumerate(outcomes):
        o = spec.outcome(name)
        fam = family(o.family)
        for j, ally in enumerate(allies):
            ax = axes[i, j]
            c = cases[(cases.outcome == name) & (cases[ALLY] == ally)]
            obs = frame.loc[c["row"], o.column].to_numpy(float)
            ax.fill_between(c.year, c.q05, c.q95, alpha=0.2, color="C0", label="90%")
            ax.fill_between(c.year, c.q25, c.q75, alpha=0.35, color="C0", label="50%")
            ax.plot(c.year, c.q50, color="C0", lw=1.2, label="median")
            ax.plot(c.year, obs, "o", color="k", ms=3, label="observed")
            if i == 0:
                ax.set_title(ally)
            if j == 0:
                ax.set_ylabel(f"{name}: P({o.column} = 1)" if fam.kind == "binary"
                              else f"{name}: {o.column}")
            if fam.kind == "binary":
                ax.set_ylim(-0.05, 1.05)
    axes[0, 0].legend(frameon=False, fontsize=7)
    fig.suptitle("Held-out case studies: joint model's predictions (intervals of the predicted "
                 "value; of the probability for binary outcomes) vs observed")
    return fig


def run_oos(*, spec: str | ModelSpec = "joint-real", data: str = "real", priors: str | None = None,
            splits: tuple[str, ...] = SPLITS, last_train_year: int = 1989, folds: int = 3,
            separate: bool = True, draws: int = 300, tune: int = 300, chains: int = 2,
            target_accept: float = 0.9, seed: int = 1, workers: int = 2,
            scheduler: str | None = None, out: str | Path | None = None,
            runs_dir: str | Path | None = None, command: str | None = None) -> dict[str, Any]:
    """Fit and score every split; write the table, the case-study figure and a summary.

    Parameters
    ----------
    spec, data, priors
        The joint model's spec, the panel (anything
        :func:`~bayes_alliance.load_panel` accepts) and the prior set (None:
        the spec's own).
    splits
        Which of :data:`SPLITS` to run.
    last_train_year, folds
        The time split's last training year; the number of ally folds.
    separate
        Also fit the single-outcome models (one per outcome and split).
    draws, tune, chains, target_accept, seed
        Sampler settings; each fit's seed is ``seed`` plus a number fixed by its
        split, fold and model, so a run of fewer splits reuses the same fits.
    workers, scheduler
        Dask settings (one task per fit).
    out
        Output folder (None: write nothing): ``oos.md``, ``oos.csv``,
        ``summary.json`` and, with the case split, ``cases.csv`` and ``cases.png``.
    runs_dir
        Folder of finished fits' scores (one pickle per fit, named by
        :func:`task_key`); a rerun reuses those whose inputs are unchanged
        (None: keep nothing).
    command
        Command line recorded in the summary.

    Returns
    -------
    dict
        The summary (also ``summary.json``).
    """
    from dask.distributed import as_completed

    frame = load_panel(data).frame.reset_index(drop=True)
    joint = AllianceModel.from_spec(load_spec(spec), frame, priors).spec
    split_list = make_splits(frame, tuple(splits), last_train_year=last_train_year, folds=folds,
                             seed=seed)
    specs = {"joint": joint}
    if separate and len(joint.outcomes) > 1:
        specs.update({f"{o}_only": single_outcome_spec(joint, o) for o in joint.outcome_names})
    tasks = [Task(s, name, sp.to_dict(), seed + zlib.crc32(f"{s.kind}-{s.fold}-{name}".encode())
                  % 10**6) for s in split_list for name, sp in specs.items()]
    settings = {"draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept}
    cache = [None if runs_dir is None
             else Path(runs_dir) / f"{task_key(t, frame, priors, settings)}.pkl" for t in tasks]
    fits = [pickle.loads(p.read_bytes()) for p in cache if p is not None and p.is_file()]
    todo = [i for i, p in enumerate(cache) if p is None or not p.is_file()]
    if todo:
        with dask_client(scheduler, workers) as client:
            futures = {client.submit(fit_and_score, tasks[i], frame, priors, settings,
                                     pure=False): i for i in todo}
            for fut in as_completed(list(futures)):
                fit = fut.result()
                path = cache[futures[fut]]
                if path is not None:
                    write_with(path, lambda p, f=fit: p.write_bytes(pickle.dumps(f)), force=True)
                fits.append(fit)
    glm = []
    rng = np.random.default_rng(seed)
    for s in split_list:
        train = frame[~s.test].reset_index(drop=True)
        scaling = Scaling.from_frame(joint, train)
        glm.append({"kind": s.kind, "fold": s.fold, "model": "glm", "outcomes": {
            o.name: glm_scores(o, train, frame[s.test], scaling, rng) for o in joint.outcomes}})
    points = _pointwise(fits, glm)
    table = score_table(points)
    markdown = to_markdown(table)
    summary: dict[str, Any] = {
        "command": command, "data": str(data), "spec": joint.name, "spec_hash": joint.hash(),
        "priors": fits[0]["priors"], "settings": {**settings, "seed": seed, "folds": folds,
                                                  "last_train_year": last_train_year},
        "splits": [{"kind": s.kind, "fold": s.fold, "description": s.description,
                    "test_rows": int(s.test.sum()), "train_rows": int((~s.test).sum())}
                   for s in split_list],
        "fits": sorted(({k: f[k] for k in ("kind", "fold", "model", "spec", "sampling_s",
                                           "compile_s", "diagnostics")}
                        | {"new_allies": f["info"]["new_allies"]} for f in fits),
                       key=lambda f: (SPLITS.index(f["kind"]), f["fold"], f["model"])),
        "notes": [
            "lpd on the likelihood's scale (log milex_gdp for the lognormal families)",
            "allies absent from a fit's training rows (every leave-allies-out row; allies "
            "joining after the time split's cut) get ally effects drawn from the fitted "
            "population, one draw per posterior draw",
            "GLM: plug-in predictive at the MLE; ally fixed effects for test rows of allies "
            "seen in training (counts, spending), else the pooled GLM (fixed effects are "
            "unavailable for held-out allies, and where the fixed-effects GLM has no finite "
            "maximum: glm_fixed_effect_share); binary outcomes: pooled logit (the "
            "conditional logit estimates no intercepts to predict with)",
            "ELPD - joint: the model's ELPD minus the joint model's on the same rows, with "
            "the SE of the pointwise difference; total: every outcome together"],
        "glm_fixed_effect_share": {
            f"{kind}/{outcome}": float(g["fixed_effects"].mean())
            for (kind, outcome), g in points[points.model == "glm"].groupby(
                ["kind", "outcome"], sort=False)},
        "all_converged": all(f["diagnostics"]["ok"] for f in fits),
        "table": json.loads(table.to_json(orient="records")),
        "markdown": markdown,
    }
    if out is not None:
        out = Path(out)
        write_text_atomic(out / "oos.md", markdown + "\n", force=True)
        write_text_atomic(out / "oos.csv", table.to_csv(index=False, float_format="%.4f"),
                          force=True)
        if "cases" in splits:
            cases = case_frame(points, frame)
            write_text_atomic(out / "cases.csv", cases.to_csv(index=False, float_format="%.4f"),
                              force=True)
            fig = case_figure(cases, frame, joint)
            write_with(out / "cases.png", lambda p: fig.savefig(p, format="png", dpi=90),
                       force=True)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n",
                          force=True)
    return summary
