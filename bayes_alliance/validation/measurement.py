r"""Real-data evidence for the measurement model (issue 13; issue 17's root cause).

Two pieces, written under ``reports/validation/measurement/``:

* :func:`anchor_evidence`: how much each candidate indicator says about the
  latent intensity's structural equation on the real panel, from maximum-
  likelihood GLMs of the indicator (its family's link) on the latent outcome's
  standardised terms and ally dummies: the share of the null deviance explained
  by the ally dummies plus the terms (:math:`1 - D_{full}/D_0`), by the terms
  alone, and the Wald :math:`\chi^2_4` of the terms' slopes within allies
  (:math:`\hat b^\top \hat V^{-1} \hat b`), on the allies whose indicator varies
  (a constant one makes the ML ally effect infinite). The anchor should carry the most
  information, so that the sign it fixes is the data's, not the prior's.
* :func:`fit_record`: the sampler health of one fit (R-hat, bulk/tail ESS,
  divergences, each chain's mean log density and its gap below the best chain
  in within-chain sds, :func:`~bayes_alliance.convergence.logp_gaps`) and, per
  chain, the means of the loadings and the reassurance effects: a
  sign-reversed mode shows up as chains whose reassurance effects and free
  loadings have opposite signs.

Run ``python -m bayes_alliance.validation.measurement --help``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytensor

from bayes_alliance.constants import RHAT_MAX, STUCK_LOGP_SDS
from bayes_alliance.convergence import logp_gaps
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import observed_rows
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.priors import resolve_priors
from bayes_alliance.models.spec import ModelSpec, load_spec
from bayes_alliance.starts import climb, mirror_point

#: the indicators compared for the anchor: panel column -> family of the GLM
CANDIDATES: dict[str, str] = {
    "troops_present": "bernoulli", "visits_president": "poisson",
    "visits_received": "poisson", "visits_secretary": "poisson",
    "exercises_us": "poisson", "troops_cut": "bernoulli",
}


def anchor_evidence(spec: ModelSpec, frame: pd.DataFrame,
                    candidates: dict[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Information of each candidate indicator (and the statements) about the latent's terms.

    Parameters
    ----------
    spec
        A spec with a latent outcome (its terms are the structural equation's).
    frame
        The panel.
    candidates
        Column -> ``"bernoulli"`` or ``"poisson"`` (default :data:`CANDIDATES`).
    """
    import statsmodels.api as sm

    latent = spec.outcome(spec.latent_outcome)
    terms = list(latent.covariate_terms)
    z = frame[terms].apply(lambda c: (c - c.mean()) / c.std())
    dummies = pd.get_dummies(frame["ally"], drop_first=True, dtype=float)
    columns = {**(candidates or CANDIDATES), latent.column: "negative_binomial"}
    out: dict[str, dict[str, float]] = {}
    for column, fam in columns.items():
        ok = frame[column].notna()
        if column == latent.column and latent.exposure:
            ok &= frame[latent.exposure] >= 1
        # allies whose indicator never varies make the ML ally effect infinite: left out
        varies = frame.loc[ok].groupby("ally", observed=True)[column].transform("nunique") > 1
        ok &= varies.reindex(frame.index, fill_value=False)
        y = frame.loc[ok, column].to_numpy(float)
        offset = (np.log(frame.loc[ok, latent.exposure].to_numpy(float))
                  if column == latent.column and latent.exposure else None)
        glm_family = {"bernoulli": sm.families.Binomial(), "poisson": sm.families.Poisson(),
                      "negative_binomial": sm.families.NegativeBinomial()}[fam]

        def fit(design: pd.DataFrame, y=y, ok=ok, offset=offset, glm_family=glm_family) -> Any:
            rows = design.loc[ok]
            rows = rows.loc[:, rows.nunique() > 1]  # allies without rows here: no dummy
            x = sm.add_constant(rows.to_numpy(float), has_constant="add")
            return sm.GLM(y, x, family=glm_family, offset=offset).fit()

        null = fit(pd.DataFrame(index=frame.index))
        full = fit(pd.concat([z, dummies], axis=1))
        slopes = fit(z)
        b = full.params[1:1 + len(terms)]
        cov = full.cov_params()[1:1 + len(terms), 1:1 + len(terms)]
        out[column] = {
            "rows": int(ok.sum()), "nonzero": int((y > 0).sum()),
            "allies": int(frame.loc[ok, "ally"].nunique()),
            "deviance_explained_ally_and_terms": round(1 - full.deviance / null.deviance, 3),
            "deviance_explained_terms": round(1 - slopes.deviance / null.deviance, 3),
            "wald_chi2_terms_within_ally": round(float(b @ np.linalg.solve(cov, b)), 1),
        }
    return out


def _per_chain(params: Any, names: list[str]) -> dict[str, list[float]]:
    return {n: [round(float(v), 3) for v in params[n].mean("draw").values] for n in names}


def fit_record(result: Any) -> dict[str, Any]:
    """Sampler health and per-chain means of the measurement parameters of one fit."""
    summary = result.summary()
    stats = result.idata["sample_stats"]
    name = next(n for n in ("logp", "lp") if n in stats)
    lp = np.asarray(stats[name].transpose("chain", "draw"), float)
    diag = result.diagnostics()
    watched = [p for p in summary.index
               if "loading" in p or p.endswith(", reassurance]") or p.startswith(
                   ("recall", "false_positive"))]
    return {
        "divergences": int(np.sum(diag.divergences_per_chain)),
        "max_rhat": round(float(summary["r_hat"].max()), 4),
        "min_ess_bulk": round(float(summary["ess_bulk"].min()), 1),
        "min_ess_tail": round(float(summary["ess_tail"].min()), 1),
        "chain_mean_logp": [round(float(x), 1) for x in lp.mean(axis=1)],
        "logp_gap_sds": [round(float(x), 2) for x in logp_gaps(stats)],
        "problems": list(diag.problems),
        "parameters": {p: {"mean": round(float(summary.loc[p, "mean"]), 3),
                           "sd": round(float(summary.loc[p, "sd"]), 3),
                           "r_hat": round(float(summary.loc[p, "r_hat"]), 3)}
                       for p in watched},
        "chain_means": _per_chain(result.parameters(), watched),
        "information_share": information_shares(result) if result.spec.indicators else {},
    }


def information_shares(result: Any) -> dict[str, float]:
    r"""Each indicator's share of the Fisher information about :math:`\tilde\rho`.

    At the posterior means :math:`\bar\theta` (a point summary, not averaged over
    draws), row :math:`it` of indicator :math:`j` carries
    :math:`I_{j,it} = (\partial\mu_{j,it}/\partial\tilde\rho)^2 / \operatorname{Var}(y_{j,it})`
    about the latent intensity: :math:`\lambda_j^2 p(1-p)` for a Bernoulli
    indicator, :math:`(\lambda_j\mu)^2 / (\mu + \mu^2/\phi)` for a negative
    binomial one (:math:`\mu` for Poisson). The statements' loading is the
    scale :math:`s` and, with ``misclassification``, only the true part
    :math:`e\,r\,e^{\eta_R}` of the mean moves with :math:`\tilde\rho`. The
    shares are :math:`\sum_{it} I_{j,it}` over the observed rows, normalised.
    """
    spec = result.spec
    model = AllianceModel(spec, result.panel, resolve_priors(spec, result.prior_set),
                          result.scaling)
    graph, frame = model.graph, result.panel.frame
    post = result.idata["posterior"]
    means = {v: post[v.name].mean(("chain", "draw")).values
             for v in graph.model.free_RVs if v.name in post}
    lat = spec.outcome(spec.latent_outcome)
    evaluate = pytensor.function(list(means), [graph.latent, graph.latent_scale,
                                               graph.eta[lat.name]], on_unused_input="ignore")
    latent, scale, eta_r = (np.asarray(x) for x in evaluate(*means.values()))

    def mean_of(name: str) -> float:
        return float(post[name].mean())

    def info(fam: str, rows: np.ndarray, mu: np.ndarray, dmu: np.ndarray, aux: str) -> float:
        kind = family(fam)
        if kind.kind == "binary":
            p = 1 / (1 + np.exp(-mu))  # mu is the logit here; dp/drho = loading p (1 - p)
            return float(np.sum(dmu[rows] ** 2 * p[rows] * (1 - p[rows])))
        var = mu[rows] + (mu[rows] ** 2 / mean_of(aux) if kind.aux else 0.0)
        return float(np.sum(dmu[rows] ** 2 / var))

    out = {}
    rows = observed_rows(lat, frame)
    exposure = frame[lat.exposure].to_numpy(float) if lat.exposure else np.ones(len(frame))
    true_mean = exposure * np.exp(eta_r)
    recall = mean_of("recall") if spec.misclassification else 1.0
    false_pos = mean_of("false_positive") if spec.misclassification else 0.0
    observed_mean = exposure * (recall * np.exp(eta_r) + false_pos)
    out[lat.name] = info(lat.family, rows, observed_mean, recall * true_mean * float(scale),
                         f"phi_{lat.name}")
    for ind in spec.indicators:
        loading = mean_of(f"{ind.loading_family}_{ind.name}")
        eta = mean_of(f"intercept_{ind.name}") + loading * latent
        rows = observed_rows(ind, frame)
        if family(ind.family).kind == "binary":
            out[ind.name] = info(ind.family, rows, eta, np.full(len(frame), loading), "")
        else:
            mu = np.exp(eta)
            out[ind.name] = info(ind.family, rows, mu, loading * mu, f"phi_{ind.name}")
    total = sum(out.values())
    return {k: round(v / total, 4) for k, v in out.items()}


def mirror_gap(model: AllianceModel, *, maxiter: int = 5000) -> dict[str, float]:
    """How much lower the log density is at the mirror image of the posterior mode.

    Finds the mode (L-BFGS from the model's initial point), evaluates the log
    density at its :func:`mirror_point`, then climbs from the mirror image to the
    nearest mode: when that stays sign-reversed (the latent slopes keep the mirror's
    signs) the sign-reversed mode exists, and ``local_gap`` says how far below the
    main one it sits.
    """
    logp = model.pymc_model.compile_logp()
    mode = climb(model, model.pymc_model.initial_point(), maxiter)
    mirror = mirror_point(model, mode)
    local = climb(model, mirror, maxiter)
    beta = f"beta_{model.spec.latent_outcome}"
    same_sign = float(np.mean(np.sign(local[beta]) == np.sign(mirror[beta])))
    return {"logp_mode": round(float(logp(mode)), 2),
            "logp_mirror": round(float(logp(mirror)), 2),
            "mirror_gap": round(float(logp(mode) - logp(mirror)), 2),
            "logp_local_mode_from_mirror": round(float(logp(local)), 2),
            "local_gap": round(float(logp(mode) - logp(local)), 2),
            "latent_slopes_still_reversed": same_sign,
            "latent_slopes_mode": [round(float(b), 3) for b in mode[beta]],
            "latent_slopes_local": [round(float(b), 3) for b in local[beta]]}


def indicator_summary(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Observed rows and nonzero rows of each indicator, overall and per decade."""
    out = {}
    for ind in (spec.outcome(spec.latent_outcome), *spec.indicators):
        col = frame[ind.column]
        ok = col.notna()
        decade = (frame["year"] // 10 * 10).astype(str) + "s"
        nonzero = (col > 0) & ok
        out[ind.name] = {"column": ind.column, "family": ind.family, "rows": int(ok.sum()),
                         "nonzero": int(nonzero.sum()),
                         "nonzero_by_decade": nonzero.groupby(decade).sum().astype(int).to_dict()}
    return out


def fits_table(out: str | Path) -> str:
    """A markdown table of every ``fit-<priors>-<seed>.json`` in ``out``.

    One row per fit: sampler health (divergences, max R-hat, min bulk/tail ESS,
    the largest log-density gap of a chain below the best in within-chain sds,
    the guard's re-runs) and the posterior means of the loadings and the
    reassurance effects, so that a sign-reversed or collapsed chain shows at a
    glance. A row is "one mode" when no chain is more than ``STUCK_LOGP_SDS``
    below the best; an R-hat above ``RHAT_MAX`` is printed in bold.
    """
    records = [json.loads(p.read_text()) for p in sorted(Path(out).glob("fit-*.json"))]
    if not records:
        return ""
    watched = [k for k in records[0]["parameters"]
               if "loading" in k or k.endswith(", reassurance]")]
    head = ("| priors | seed | divergences | max R-hat | min ESS bulk / tail | largest gap "
            "(sds) | re-runs | one mode | sampling s | " + " | ".join(watched) + " |")
    lines = [head, "|---" * (9 + len(watched)) + "|"]
    for r in records:
        gap = max(r["logp_gap_sds"])
        one = gap <= STUCK_LOGP_SDS
        rhat = f"{r['max_rhat']:.3f}" if r["max_rhat"] <= RHAT_MAX else f"**{r['max_rhat']:.3f}**"
        means = [f"{r['parameters'][k]['mean']:+.2f}" if k in r["parameters"] else "-"
                 for k in watched]
        lines.append(f"| {r['priors']} | {r['seed']} | {r['divergences']} | {rhat} "
                     f"| {r['min_ess_bulk']:.0f} / {r['min_ess_tail']:.0f} | {gap:.1f} | "
                     f"{len(r.get('restarts', []))} | {'yes' if one else '**no**'} | "
                     f"{r['sampling_s']:.0f} | " + " | ".join(means) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Fit a spec on the real panel under several prior sets and seeds; write the evidence.

    ``anchor.json`` (and ``mirror.json`` with ``--mirror``) is rewritten every run; a
    ``fit-<priors>-<seed>.json`` already there is kept (a long run can be resumed);
    ``fits.md`` tabulates every fit there (:func:`fits_table`).
    ``--seeds`` without numbers: no fits.
    """
    import bayes_alliance.fit  # noqa: F401  (binds AllianceModel.fit)

    parser = argparse.ArgumentParser(prog="python -m bayes_alliance.validation.measurement",
                                     description=main.__doc__)
    parser.add_argument("--spec", default="joint-real-measured")
    parser.add_argument("--panel", default="real")
    parser.add_argument("--priors", nargs="*", default=["weak", "theory"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    parser.add_argument("--mirror", nargs="*", default=[],
                        help="specs whose mode is reflected under each prior set (mirror.json)")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--max-restarts", type=int, default=0,
                        help="stuck-chain guard (bayes_alliance.guard); 0, the default, shows "
                             "the sampler's own behaviour")
    parser.add_argument("--out", default="reports/validation/measurement")
    args = parser.parse_args(argv)
    out = Path(args.out)
    spec = load_spec(args.spec)
    first = AllianceModel.from_spec(spec, args.panel)
    evidence = {"anchor": anchor_evidence(first.spec, first.panel.frame),
                "indicators": indicator_summary(first.spec, first.panel.frame)}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "anchor.json", json.dumps(evidence, indent=1) + "\n", force=True)
    if args.mirror:
        mirror = {f"{name}/{priors}": mirror_gap(AllianceModel.from_spec(name, args.panel, priors))
                  for name in args.mirror for priors in args.priors}
        write_text_atomic(out / "mirror.json", json.dumps(mirror, indent=1) + "\n", force=True)
    for priors in args.priors:
        for seed in args.seeds:
            path = out / f"fit-{priors}-{seed}.json"
            if path.exists():
                continue
            model = AllianceModel.from_spec(spec, args.panel, priors)
            result = model.fit(draws=args.draws, tune=args.tune, chains=4, random_seed=seed,
                               cores=1, prior_draws=0, predictive=False,
                               max_restarts=args.max_restarts)
            record = {"spec": spec.name, "priors": priors, "seed": seed, "draws": args.draws,
                      "tune": args.tune, "chains": 4, "sampler": result.info["sampler"],
                      "compile_s": result.info["compile_s"],
                      "sampling_s": result.info["sampling_s"],
                      "restarts": result.info.get("restarts", []), **fit_record(result)}
            write_text_atomic(path, json.dumps(record, indent=1) + "\n")
            print(f"{path}: R-hat {record['max_rhat']}, gaps {record['logp_gap_sds']}",
                  flush=True)
    table = fits_table(out)
    if table:
        write_text_atomic(out / "fits.md", table, force=True)


if __name__ == "__main__":
    main()
