"""What a report holds: sections of text, tables and figures, plus its headline numbers.

:func:`build_content` computes everything once; :mod:`bayes_alliance.report.render`
turns it into HTML and Markdown. The headline numbers (:attr:`ReportContent.numbers`)
are what ``summary.md`` and ``bayes-alliance report --json`` print.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

import bayes_alliance.report.figures as fg
from bayes_alliance import diagnostics as dg
from bayes_alliance import diagnostics_compare as dc
from bayes_alliance.constants import BFMI_MIN, CI_PROB, ESS_MIN, RHAT_MAX, STUCK_LOGP_SDS
from bayes_alliance.convergence import describe_restarts
from bayes_alliance.models.spec import IndicatorSpec
from bayes_alliance.models.strategic.hypotheses import structural_hypotheses
from bayes_alliance.models.strategic.spec import is_strategic
from bayes_alliance.scenarios.comparison import caption as comparison_caption
from bayes_alliance.scenarios.comparison import comparison_table
from bayes_alliance.scenarios.drivers import BASIS as DRIVER_BASIS
from bayes_alliance.theory.plots import plot_statics
from bayes_alliance.validation.measurement import information_shares

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bayes_alliance.results import FitResult


@dataclass
class Block:
    """One piece of a section: ``kind`` is ``"text"``, ``"table"`` or ``"figure"``.

    ``text`` is plain text (escaped when rendered); ``name`` is the key of a
    table or figure in :class:`ReportContent`.
    """

    kind: str
    text: str = ""
    name: str = ""


@dataclass
class Section:
    """A report section: title, a one-sentence lead with its verdict, and blocks."""

    key: str
    title: str
    lead: str
    passed: bool | None
    blocks: list[Block] = field(default_factory=list)

    def text(self, text: str) -> None:
        """Append a paragraph."""
        self.blocks.append(Block("text", text=text))

    def table(self, name: str, caption: str = "") -> None:
        """Append a table (by name) with an optional caption."""
        self.blocks.append(Block("table", text=caption, name=name))

    def figure(self, name: str, caption: str = "") -> None:
        """Append a figure (by name) with an optional caption."""
        self.blocks.append(Block("figure", text=caption, name=name))


@dataclass
class ReportContent:
    """Everything a report shows."""

    title: str
    sections: list[Section]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, Figure]
    numbers: dict[str, Any]


def slug(text: str) -> str:
    """A file-name-safe version of ``text``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "run"


def _skipped(key: str, title: str, reason: str) -> Section:
    """A section that does not apply to these runs: its title and a one-line reason."""
    return Section(key, title, f"Skipped: {reason}", None)


def _strategic_spec_tables(spec: Any, key: str, s: Section, tables: dict) -> None:
    """The outcomes and primitive links of a strategic spec, as two tables of ``s``."""
    tables[key] = pd.DataFrame(
        [{"outcome": o.name, "column": o.column, "family": o.family,
          "equilibrium quantity": o.quantity, "exposure": o.exposure or ""}
         for o in spec.outcomes]).set_index("outcome")
    s.table(key, f"Outcomes of strategic spec '{spec.name}': each is an equilibrium quantity "
                 "of the game plus measurement noise.")
    links = pd.DataFrame(
        [{"primitive": link.name, "terms": ", ".join(link.terms),
          "ally effect": "yes" if link.ally_effect else "no"} for link in spec.links]
        + [{"primitive": n, "terms": f"fixed at {v:g}", "ally effect": "no"}
           for n, v in spec.fixed])
    tables[f"{key}_links"] = links.set_index("primitive")
    s.table(f"{key}_links", f"Strategic spec '{spec.name}': how each primitive of the game "
                            "is linked to the covariates (or fixed).")


def run_numbers(result: FitResult, loo: pd.DataFrame,
                convergence: dict[str, Any] | None = None) -> dict[str, Any]:
    """Headline numbers of one run: convergence and LOO per outcome (rounded)."""
    return {
        "spec": result.spec.name,
        "spec_hash": result.spec.hash(),
        "priors": result.prior_set.name,
        "convergence": convergence or result.diagnostics().to_dict(),
        "loo": {o: {"elpd": round(row["elpd"], 2), "se": round(row["se"], 2),
                    "p_loo": round(row["p_loo"], 2), "k_above_good": int(row["k_bad"]
                                                                          + row["k_very_bad"]),
                    "max_k": round(row["max_k"], 3), "ok": bool(row["ok"])}
                for o, row in loo.iterrows()},
    }


def hypotheses_numbers(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The hypotheses table as JSON-ready records (probabilities rounded to 3 decimals)."""
    out = []
    for _, row in table.iterrows():
        probs = {c[len("P(sign) "):]: (None if pd.isna(row[c]) else round(float(row[c]), 3))
                 for c in table.columns if c.startswith("P(sign) ")}
        out.append({"id": row["id"], "coefficient": row["coefficient"], "sign": row["sign"],
                    "probabilities": probs})
    return out


def build_content(runs: dict[str, FitResult], *, scenarios: Sequence[Any] | None = None,
                  hypotheses: Sequence[Any] | None = None,
                  comparisons: Mapping[str, Mapping[str, Any]] | None = None) -> ReportContent:
    """Compute every table, figure and number of a report on ``runs``.

    The first run is the primary one: its data, predictive checks and ally
    effects are shown; convergence, LOO and hypotheses cover every run. A
    strategic run (:mod:`bayes_alliance.models.strategic`) adds its structural
    hypotheses; sections that do not apply to it say so in one line.
    ``comparisons`` maps a scenario with a history to ``{run name: its
    result on that run}`` (:mod:`bayes_alliance.scenarios.comparison`).
    """
    name, primary = next(iter(runs.items()))
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Figure] = {}
    sections = [
        _data_section(primary, tables, figures),
        _model_section(runs, tables, figures),
    ]
    conv, numbers_runs = _convergence_section(runs, tables, figures)
    sections.append(conv)
    sections.append(_predictive_section(name, primary, tables, figures))
    loo_section = _loo_section(runs, tables, figures, numbers_runs)
    sections.append(loo_section)
    hyp_section, hyp_table = _hypotheses_section(runs, tables, figures, hypotheses)
    sections.append(hyp_section)
    if is_strategic(primary.spec):
        sections.append(_skipped("ally", "Ally random effects",
                                 f"run '{name}' is strategic: its ally effects sit on the game's "
                                 "primitives (their sds, sd_ally[...], are in the convergence "
                                 "tables), not on the outcomes."))
    else:
        sections.append(_ally_section(name, primary, tables, figures))
    if is_strategic(primary.spec):
        sections.append(_skipped("measurement", "Measurement of latent reassurance",
                                 f"run '{name}' is strategic: reassurance is the game's "
                                 "equilibrium quantity, measured by one outcome through its "
                                 "alpha/gamma link (in the convergence tables), not by the "
                                 "indicators of the measurement model."))
    elif primary.spec.indicators:
        sections.append(_measurement_section(name, primary, tables))
    if scenarios:
        sections.append(_scenario_section(scenarios, tables, figures))
    if comparisons:
        sections.append(_comparison_section(runs, comparisons, tables))
    numbers = {
        "runs": numbers_runs,
        "hypotheses": hypotheses_numbers(hyp_table),
        "structural_hypotheses": {
            n: [{"id": str(i), "mean": round(float(row["mean"]), 4),
                 "p_predicted": round(float(row["p_predicted"]), 3)}
                for i, row in tables[f"structural_hypotheses_{slug(n)}"].iterrows()]
            for n, r in runs.items() if is_strategic(r.spec)},
        "ok": all(r["convergence"]["ok"] for r in numbers_runs.values())
        and all(v["ok"] for r in numbers_runs.values() for v in r["loo"].values()),
    }
    title = "Alliance model report: " + ", ".join(runs)
    return ReportContent(title=title, sections=sections, tables=tables, figures=figures,
                         numbers=numbers)


# ---------------------------------------------------------------------- sections
def _data_section(result: FitResult, tables: dict, figures: dict) -> Section:
    panel = result.panel
    ov = panel.overview()
    missing = pd.DataFrame({"missing": pd.Series(ov["missing"]),
                            "share": pd.Series(ov["missing"]) / max(ov["n_rows"], 1)})
    missing.index.name = "column"
    tables["panel_missing"] = missing
    synthetic = " Its outcomes are SYNTHETIC (simulated), not real data." if panel.synthetic else ""
    s = Section("data", "Data overview",
                "Look for allies or years with few observed outcomes and columns with many "
                f"missing values; the panel ({ov['n_rows']} ally-years, {ov['n_allies']} allies, "
                f"{ov['first_year']}-{ov['last_year']}) passed validation when loaded."
                + synthetic, True)
    s.text(f"Source: {panel.source}; rows dropped for missing covariates: "
           f"{panel.dropped_rows}. Missing outcome values are masked out of their likelihood.")
    for note in panel.notes:
        s.text(f"Note: {note}")
    figures["coverage"] = fg.coverage_figure(panel)
    figures["missingness"] = fg.missingness_figure(panel)
    s.figure("coverage", "Outcomes observed per ally-year.")
    s.figure("missingness")
    s.table("panel_missing", "Missing values per column.")
    return s


def _model_section(runs: dict[str, FitResult], tables: dict, figures: dict) -> Section:
    s = Section("model", "Model",
                "Check that the spec and the prior sets are the ones you meant to fit; "
                f"{len(runs)} run(s) are in this report.", None)
    seen: set[str] = set()
    for name, r in runs.items():
        if r.spec.hash() not in seen:
            seen.add(r.spec.hash())
            s.text(f"Spec '{r.spec.name}' ({r.spec.hash()}): {r.spec.description}")
            key = f"spec_{slug(r.spec.name)}_{r.spec.hash()[:6]}"
            if is_strategic(r.spec):
                _strategic_spec_tables(r.spec, key, s, tables)
                continue
            tables[key] = pd.DataFrame(
                [{"outcome": o.name, "column": o.column, "family": o.family,
                  "terms": ", ".join(o.terms), "exposure": o.exposure or ""}
                 for o in r.spec.outcomes]).set_index("outcome")
            s.table(key, f"Outcome equations of spec '{r.spec.name}'.")
        info = r.info or {}
        s.text(f"Run '{name}': priors '{r.prior_set.name}' ({r.prior_set.description}); "
               f"sampler {info.get('sampler', '?')}, {info.get('chains', '?')} chains x "
               f"{info.get('draws', '?')} draws after {info.get('tune', '?')} tuning steps.")
    for prior_name in dict.fromkeys(r.prior_set.name for r in runs.values()):
        ps = next(r.prior_set for r in runs.values() if r.prior_set.name == prior_name)
        key = f"priors_{slug(prior_name)}"
        tables[key] = pd.DataFrame(
            [{"selector": sel, "prior": ", ".join(f"{k}={v}" for k, v in p.to_dict().items())}
             for sel, p in ps.priors]).set_index("selector")
        s.table(key, f"Prior set '{prior_name}'.")
    try:
        figures["theory"] = plot_statics()
        s.figure("theory", "Comparative statics of the formal model (the theory).")
    except Exception as err:  # noqa: BLE001 - a broken theory figure must not sink a report
        s.text(f"The theory figure could not be drawn: {err}")
    return s


def _convergence_section(runs: dict[str, FitResult], tables: dict,
                         figures: dict) -> tuple[Section, dict[str, Any]]:
    overview, numbers, diagnostics = [], {}, {}
    for name, r in runs.items():
        diagnostics[name] = r.diagnostics()
        ov = diagnostics[name].to_dict()
        numbers[name] = {"convergence": ov}
        restarts = r.info.get("restarts", [])
        overview.append({"run": name, **{k: ov[k] for k in (
            "divergences", "max_rhat", "min_ess_bulk", "min_ess_tail", "min_bfmi", "ok")},
            "chains_rerun": sum(len(x["chains"]) for x in restarts),
            "problems": "; ".join(ov["problems"])})
        numbers[name]["restarts"] = restarts
    tables["convergence_overview"] = pd.DataFrame(overview).set_index("run")
    ok = all(v["convergence"]["ok"] for v in numbers.values())
    problems = [f"{n}: {'; '.join(v['convergence']['problems'])}" for n, v in numbers.items()
                if v["convergence"]["problems"]]
    s = Section("convergence", "Convergence",
                f"Look for R-hat <= {RHAT_MAX}, ESS bulk and tail >= {ESS_MIN}, no divergent "
                f"transitions, BFMI >= {BFMI_MIN} and no chain stuck far below the others' log "
                f"density (logp_gap_sds > {STUCK_LOGP_SDS}): "
                + ("every run passed." if ok else "FAILED (" + " | ".join(problems) + ")."), ok)
    s.table("convergence_overview", "Headline numbers over every free parameter, per run "
            "(chains_rerun: chains the stuck-chain guard re-ran from the other chains' draws).")
    for name, r in runs.items():
        for line in describe_restarts(r.info.get("restarts", [])):
            s.text(f"Run '{name}', stuck-chain guard {line}.")
    for name, r in runs.items():
        key = slug(name)
        tables[f"convergence_{key}"] = dg.convergence_table(r)
        tables[f"chains_{key}"] = diagnostics[name].chain_table()
        s.table(f"convergence_{key}", f"Run '{name}': population-level parameters.")
        s.table(f"chains_{key}", f"Run '{name}': divergences, BFMI and log-density gap per "
                "chain (logp_gap_sds: how far the chain's median log density sits below the "
                "best chain's, in within-chain sds).")
    name, primary = next(iter(runs.items()))
    if primary.idata["posterior"].sizes["chain"] > 1:
        figures["rank"] = fg.rank_figure(primary)
        s.figure("rank", f"Run '{name}': rank-ECDF plots of intercepts and ally sds.")
    else:
        s.text(f"Skipped the rank-ECDF plots: run '{name}' has one chain, and they compare "
               "chains.")
    figures["energy"] = fg.energy_figure(primary)
    s.figure("energy", f"Run '{name}': energy distributions and BFMI per chain.")
    return s, numbers


def _predictive_section(name: str, result: FitResult, tables: dict, figures: dict) -> Section:
    post = dg.predictive_table(result)
    prior = dg.predictive_table(result, "prior_predictive")
    tables["posterior_predictive"] = post
    ok = bool(post["ok"].all()) if not post.empty else None
    bad = [str(o) for o, row in post.iterrows() if not row["ok"]]
    s = Section("predictive", "Predictive checks",
                "Look for observed data inside the predictive bands, a flat PIT ECDF and "
                "points on the calibration diagonal; "
                + ("every outcome's observed mean lies inside the 90% interval of replicated "
                   "means." if ok else f"observed mean outside its 90% interval for: "
                   f"{', '.join(bad)}."), ok)
    s.text(f"Shown for run '{name}'. Military spending (milex) is on the log scale "
           "(log percent of GDP).")
    if not prior.empty:
        tables["prior_predictive"] = prior.drop(columns=["ok", "coverage_90"])
        fig = fg.prior_predictive_figure(result)
        if fig is not None:
            figures["prior_predictive"] = fig
            s.figure("prior_predictive")
        s.table("prior_predictive", "Prior predictive: observed vs replicated means.")
    s.table("posterior_predictive", "Posterior predictive: observed vs replicated means, "
                                    "p-value of the mean and 90% coverage.")
    for outcome in result.spec.outcome_names:
        if outcome in result.idata["posterior_predictive"]:
            figures[f"ppc_{outcome}"] = fg.posterior_predictive_figure(result, outcome)
            s.figure(f"ppc_{outcome}")
    return s


def _loo_section(runs: dict[str, FitResult], tables: dict, figures: dict,
                 numbers: dict[str, Any]) -> Section:
    all_ok = True
    loos_primary = None
    for name, r in runs.items():
        loos = dg.loo_results(r)
        loos_primary = loos if loos_primary is None else loos_primary
        table = dg.loo_table(r, loos)
        tables[f"loo_{slug(name)}"] = table
        numbers[name] = run_numbers(r, table, numbers[name]["convergence"])
        all_ok = all_ok and bool(table["ok"].all())
    s = Section("loo", "PSIS-LOO cross-validation",
                "Look for Pareto k below the good_k threshold (the LOO estimate is then "
                "reliable) and for ELPD differences that are large against their SE: "
                + ("every observation's k is below it." if all_ok else
                   "some observations have high k, so their LOO terms are unreliable."), all_ok)
    for name in runs:
        s.table(f"loo_{slug(name)}", f"Run '{name}': ELPD and Pareto k per outcome.")
    fig = fg.khat_figure(loos_primary or {})
    if fig is not None:
        figures["khat"] = fig
        s.figure("khat", f"Run '{next(iter(runs))}': Pareto k per observation.")
    cmp = dc.compare_table(runs)
    if not cmp.empty:
        tables["compare"] = cmp.set_index(["outcome", "run"])
        figures["compare"] = fg.compare_figure(cmp)
        s.table("compare", "az.compare on each outcome shared by runs fitted to the same data.")
        s.figure("compare")
    elif len(runs) > 1:
        s.text("No two runs share an outcome fitted to the same observations; no comparison.")
    return s


def _hypotheses_section(runs: dict[str, FitResult], tables: dict, figures: dict,
                        hypotheses: Sequence[Any] | None) -> tuple[Section, pd.DataFrame]:
    reduced = {n: r for n, r in runs.items() if not is_strategic(r.spec)}
    strategic = {n: r for n, r in runs.items() if is_strategic(r.spec)}
    table = (dc.hypotheses_table(reduced, hypotheses) if reduced
             else pd.DataFrame(columns=["id", "coefficient", "sign", "statement"]))
    tables["hypotheses"] = table.set_index("id")
    s = Section("hypotheses", "Theory hypotheses",
                "Look for posterior probabilities of the predicted sign near 1 (support) or "
                "near 0 (contradiction), and whether they hold under every prior set; "
                f"{len(table)} hypotheses map to a coefficient of the fitted model(s)"
                + (f", and the structural hypotheses are tested on {len(strategic)} strategic "
                   "run(s)." if strategic else "."), None)
    for name, r in strategic.items():
        key = f"structural_hypotheses_{slug(name)}"
        tables[key] = structural_hypotheses(r.spec, r.idata["posterior"]).set_index("id")
        s.table(key, f"Run '{name}' (strategic): the structural hypotheses as contrasts of the "
                     "re-solved game at the average ally-year; mean and "
                     f"{CI_PROB:.0%} interval of the contrast, p_predicted = P(contrast > 0).")
    if not reduced:
        s.text("Skipped the reduced-form hypotheses: every run is strategic, with no "
               "regression coefficients to sign.")
    elif table.empty:
        s.text("No theory hypothesis maps to a coefficient of these runs.")
    else:
        s.table("hypotheses", "P(sign): share of posterior draws with the predicted sign.")
        fig = fg.hypotheses_figure(table)
        if fig is not None:
            figures["hypotheses"] = fig
            s.figure("hypotheses")
    sens = dc.prior_sensitivity(reduced) if reduced else pd.DataFrame()
    if not sens.empty:
        tables["prior_sensitivity"] = sens.set_index(["spec", "parameter"])
        n_sens = int(sens["sensitive"].sum())
        s.table("prior_sensitivity", f"Shift of posterior means between prior sets, in "
                                     f"posterior-sd units of the reference; {n_sens} parameter(s)"
                                     f" move more than {dc.SENSITIVE_SD} sd.")
    else:
        s.text("Prior sensitivity needs one reduced-form spec fitted under two or more prior sets "
               "(weak, theory, skeptical); pass those runs together.")
    return s, table


def _ally_section(name: str, result: FitResult, tables: dict, figures: dict) -> Section:
    s = Section("ally", "Ally random effects",
                "Look for allies whose intervals sit away from zero and for strong "
                "correlations of ally effects across outcomes; shown for run "
                f"'{name}'.", None)
    post = result.idata["posterior"]
    if "u_ally" in post:
        u = post["u_ally"]
        q = (1 - dg.PPC_PROB) / 2
        frame = pd.DataFrame({
            "mean": u.mean(("chain", "draw")).to_series(),
            "lo": u.quantile(q, ("chain", "draw")).to_series(),
            "hi": u.quantile(1 - q, ("chain", "draw")).to_series()})
        tables["ally_effects"] = frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            figures["ally_forest"] = fg.ally_forest_figure(result)
            corr = fg.ally_correlation_figure(result)
        s.figure("ally_forest")
        if corr is not None:
            figures["ally_correlation"] = corr
            s.figure("ally_correlation")
        s.table("ally_effects", "Ally effects: posterior mean and 90% interval.")
    else:
        s.text("This run has no ally effects (u_ally).")
    return s


def measurement_table(result: FitResult) -> pd.DataFrame:
    """Loadings (mean, 90% interval, P > 0) and information shares of a measurement model."""
    params = result.parameters()
    shares = information_shares(result)
    q = (1 - CI_PROB) / 2
    rows = {}
    for ind in (result.spec.outcome(result.spec.latent_outcome), *result.spec.indicators):
        measured = isinstance(ind, IndicatorSpec)  # the statements' loading is the scale
        # a word, not a bool: the renderer shows booleans as pass/FAIL checks
        row: dict[str, Any] = {"column": ind.column, "family": ind.family,
                               "anchor": "yes" if measured and ind.anchor else ""}
        if measured:
            draws = params[f"{ind.loading_family}[{ind.name}]"]
            row.update(loading=float(draws.mean()), lo=float(draws.quantile(q)),
                       hi=float(draws.quantile(1 - q)), p_positive=float((draws > 0).mean()))
        row["information_share"] = shares[ind.name]
        rows[ind.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "indicator"
    return table


def _measurement_section(name: str, result: FitResult, tables: dict) -> Section:
    s = Section("measurement", "Measurement of latent reassurance",
                "Look for loadings whose interval excludes zero and for the indicators that "
                f"carry the information about the latent intensity; shown for run '{name}'.",
                None)
    tables["measurement"] = measurement_table(result)
    s.text("Each indicator j has eta_j = intercept_j + loading_j x reassurance (the "
           "standardised latent intensity); the anchor's loading is positive by construction "
           "and fixes the sign. The statements' loading is the latent's scale (not a free "
           "parameter). Information share: each indicator's part of the Fisher information "
           "about the latent intensity, summed over its observed rows at the posterior means.")
    spec = result.spec
    if spec.has_innovations:
        draws = result.parameters()[f"sd_innovation[{spec.latent_outcome}]"]
        q = (1 - CI_PROB) / 2
        s.text(f"The latent intensity has an innovation per ally and {spec.latent_innovations} "
               "(latent_innovations), measured by the indicators: its sd, on the scale of "
               f"sd_ally[{spec.latent_outcome}], is {float(draws.mean()):.3g} "
               f"[{float(draws.quantile(q)):.3g}, {float(draws.quantile(1 - q)):.3g}].")
    s.table("measurement", "Loadings: posterior mean, 90% interval, P(loading > 0); "
            "information shares.")
    return s


def _interval(frame: pd.DataFrame, stem: str) -> pd.Series:
    """``mean [lo, hi]`` of the columns ``<stem>_mean``, ``<stem>_lo``, ``<stem>_hi``."""
    return pd.Series([f"{m:#.3g} [{lo:#.3g}, {hi:#.3g}]" for m, lo, hi in zip(
        frame[f"{stem}_mean"], frame[f"{stem}_lo"], frame[f"{stem}_hi"], strict=True)],
        index=frame.index)


def scenario_view(summary: pd.DataFrame) -> pd.DataFrame | None:
    """The page's view of a scenario summary: the effect first, intervals in one cell.

    The full summary has 16 columns and scrolled sideways, hiding the effects;
    this keeps seven. None when ``summary`` lacks the columns of
    :attr:`bayes_alliance.scenarios.ScenarioResult.summary`.
    """
    needed = {"label", "unit", "ally", "year", "p_increase"} | {
        f"{stem}_{stat}" for stem in ("factual", "counterfactual", "effect")
        for stat in ("mean", "lo", "hi")}
    if not needed <= set(summary.columns):
        return None
    return pd.DataFrame({
        "outcome": summary["label"] + " (" + summary["unit"] + ")",
        "ally": summary["ally"].astype(str),
        "year": summary["year"].astype(str),
        "effect": _interval(summary, "effect"),
        "P(increase)": summary["p_increase"].astype(float),
        "factual": _interval(summary, "factual"),
        "counterfactual": _interval(summary, "counterfactual"),
    })


def _scenario_section(scenarios: Sequence[Any], tables: dict, figures: dict) -> Section:
    s = Section("scenarios", "Scenario results",
                "Look at how each counterfactual moves the outcomes relative to the baseline; "
                f"{len(scenarios)} scenario(s) were run.", None)
    for i, sc in enumerate(scenarios):
        name = str(getattr(sc, "name", f"scenario {i + 1}"))
        key = f"scenario_{i + 1}_{slug(name)}"
        s.text(f"Scenario '{name}': {getattr(sc, 'description', '')}")
        summary = getattr(sc, "summary", None)
        if isinstance(summary, pd.DataFrame) and not summary.empty:
            tables[key] = summary
            view = scenario_view(summary)
            if view is None:
                s.table(key, f"Scenario '{name}': summary.")
            else:
                tables[f"{key}_effects"] = view
                s.table(f"{key}_effects",
                        f"Scenario '{name}': effect = counterfactual minus factual (posterior "
                        f"mean [{CI_PROB:.0%} interval]) per ally-year and averaged ('all'); "
                        f"every column is in tables/{key}.csv.")
        drivers = getattr(sc, "drivers", None)
        if isinstance(drivers, pd.DataFrame) and not drivers.empty:
            tables[f"{key}_drivers"] = drivers.drop(columns="basis")
            s.table(f"{key}_drivers",
                    f"Scenario '{name}': the fitted coefficients its effects act through "
                    f"(posterior mean, {CI_PROB:.0%} interval, P > 0). Each is an "
                    f"{DRIVER_BASIS}; read the effects as causal only where the spec's terms "
                    "close every back-door path, and not at all where a coefficient is "
                    "labelled 'not identified'.")
        for note in getattr(sc, "notes", None) or []:
            s.text(f"Scenario '{name}', note: {note}.")
        for fig_name, fig in dict(getattr(sc, "figures", {}) or {}).items():
            fkey = f"{key}_{slug(str(fig_name))}"
            figures[fkey] = fig
            s.figure(fkey, f"Scenario '{name}': {fig_name}.")
    return s


def _comparison_section(runs: dict[str, FitResult],
                        comparisons: Mapping[str, Mapping[str, Any]], tables: dict) -> Section:
    kinds = {"structural" if is_strategic(r.spec) else "reduced form" for r in runs.values()}
    s = Section("comparison", "Reduced form and structural, beside what happened",
                "Look at whether each fit predicts the direction of what happened and whether "
                "the reduced-form and structural answers agree; the fits here are "
                f"{' and '.join(sorted(kinds))}.", None)
    for i, (name, results) in enumerate(comparisons.items()):
        key = f"comparison_{i + 1}_{slug(name)}"
        first = next(iter(results.values()))
        tables[key] = comparison_table(results, runs)
        s.table(key, comparison_caption(first.scenario))
    if kinds == {"structural"} or kinds == {"reduced form"}:
        s.text("Only " + next(iter(kinds)) + " fits were given: pass a joint and a strategic "
               "run together to set the two answers side by side.")
    return s


__all__ = ["Block", "ReportContent", "Section", "build_content", "slug"]
