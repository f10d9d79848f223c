"""``data/codebook.md``: every column of the real panel, generated from one table.

Meaning and unit of the contract columns come from
:data:`bayes_alliance.data.panel.COLUMNS`; :data:`ENTRIES` adds source and
construction for those and describes the builder's extra columns. Coverage
(non-missing rows, years, range) is computed from the panel as shipped
(``data/real_panel.csv``, text measure included), and the ATOP/treaty-list
differences are listed. :func:`column_table` gives the same rows to
``bayes-alliance data info``. Regenerate the codebook together with the
shipped panel::

    bayes-alliance data ship --source-dir path/to/source/files
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bayes_alliance.data.build_allies import alliance_differences
from bayes_alliance.data.build_inputs import Inputs
from bayes_alliance.data.panel import COLUMNS
from bayes_alliance.io import write_text_atomic
from bayes_alliance.resources import data_path

__all__ = ["ENTRIES", "Entry", "column_table", "missing_entries", "render_codebook",
           "write_codebook"]


@dataclass(frozen=True)
class Entry:
    """Documentation of one panel column (meaning/unit default to the contract's)."""

    source: str
    construction: str
    meaning: str = ""
    unit: str = ""


_S = "SIPRI Military Expenditure Database 2021"
_T = "Thompson-Dreyer rivalries; GML MID 2.2.1; CShapes 2.0; COW NMC 7.0"
_U = "UN ideal points (Bailey, Strezhnev & Voeten 2017)"
ENTRIES: dict[str, Entry] = {
    "ally": Entry("data/facts/us_allies.csv; ATOP 5.1", "COW abbreviation; West Germany "
                  "(GFR) to 1990, unified Germany (GMY) from 1991"),
    "ccode": Entry("COW State System v2016", "COW code of the ally"),
    "year": Entry("ATOP 5.1; COW State System v2016; data/facts/alignment_breaks.csv",
                  "a row exists when the ally is on the curated treaty list, ATOP codes a US "
                  "defence pledge that year, the ally is a COW state member and had not left "
                  "the US alignment (Cuba from 1960, Sandinista Nicaragua 1980-89; see "
                  "'Alliance years' below)"),
    "reassure": Entry("bayes_alliance.measure on a speech corpus", "sentences of the sitting "
                      "president that reassure the ally unconditionally (a US security "
                      "commitment not tied to the ally's effort); repeats within 30 days "
                      "counted once; missing unless a corpus is measured, and where exposure "
                      "is 0; real-sentence precision and recall in data/lexicons/README.md"),
    "reassure_conditional": Entry("bayes_alliance.measure on a speech corpus", "sentences "
                                  "that tie a US security commitment to the ally's own "
                                  "effort or burden-sharing; same exposure and missingness "
                                  "as reassure",
                                  "patron statements of conditional reassurance toward the "
                                  "ally", "count"),
    "pressure": Entry("bayes_alliance.measure on a speech corpus", "sentences that threaten "
                      "or announce the reduction or withdrawal of US forces or commitments "
                      "toward the ally, or demand that it pay or do more; same exposure and "
                      "missingness as reassure",
                      "patron statements of abandonment threat or burden-sharing pressure "
                      "toward the ally", "count"),
    "exposure": Entry("bayes_alliance.measure on a speech corpus", "sentences of the sitting "
                      "president mentioning the ally (the offset of reassure, "
                      "reassure_conditional and pressure); 0 in covered years without a "
                      "mention, missing otherwise"),
    "milex_gdp": Entry(f"{_S}; COW NMC 7.0; Anders et al. 2020 GDP; BLS CPI-U",
                       "SIPRI share of GDP x 100; where missing, COW milex deflated to 2011 "
                       "USD with CPI-U over exp(wbgdp2011est), spliced to the SIPRI level "
                       "(median ratio of the 5 nearest overlapping years; see milex_source)"),
    "intervene": Entry("COW Inter-State War 4.0; data/facts/war_participation.csv (cited per "
                       "row: UN Command histories, Larsen & Collins 1975, DoD 1992 Gulf War "
                       "report, DoD 2002 coalition fact sheet, NATO ISAF placemats, CRS "
                       "RL30588, Carney 2011, CRS RL32105); data/facts/us_interventions.csv",
                       "1 if on the US side in COW or with forces in the fact table (Korea, "
                       "Vietnam, Gulf War; Afghanistan OEF/ISAF and Iraq OIF/MNF-I coded ally "
                       "by ally and year by year); missing outside intervention years and "
                       "where the fact table marks participation unknown"),
    "hns": Entry("US DoD, Report on Allied Contributions to the Common Defense (2004 ed.); "
                 "data/facts/host_nation_support.csv; BLS CPI-U",
                 "direct + indirect host-nation support as the DoD report lists it (million "
                 "current USD, rounded to 10 million) x CPI_2011 / CPI_t; missing (masked, "
                 "never 0) where no figure is listed", "", "million constant 2011 USD"),
    "exit_pursuit": Entry("data/facts/nuclear_programmes.csv; Bleek 2017",
                          "1 in curated exploration/pursuit years; Bleek (2017) years for "
                          "allies not in the fact table (Norway, Argentina, Brazil)"),
    "threat": Entry(_T, "= threat_external (the model's threat); measured in t-1",
                    "threat from the alliance's adversaries", "index"),
    "exit_capacity": Entry(f"{_U}; COW NMC 7.0", "un_realign_rel + 10 x cinc_latent; used by "
                           "the "
                           "reassurance (H1) and exit (H18) equations and joint-real's spending "
                           "equation"),
    "importance": Entry("Anders et al. 2020 GDP; COW NMC 7.0 (non-military components)",
                        "log(1 + gdp_pct_us) + log(1 + latent_pct_us); no military personnel "
                        "or spending (those are burden-sharing)"),
    "retrench": Entry("data/facts/retrenchment_events.csv; " + _S,
                      "retrench_events + retrench_us_effort (varies by year and region)"),
    "us_troops": Entry("troopdata (Allen, Flynn & Martinez Machain 2022; Kane 2006); "
                       "data/facts/non_protective_presence.csv",
                       "Kane value, else legacy series, else rebuild corrected for multiple "
                       "counts; divided by 1000; 0 when no series lists the country, and 0 "
                       "for personnel that do not protect the host (Guantanamo Bay in Cuba, "
                       "the Panama Canal Zone to 1999)"),
    "gdp": Entry("Anders, Fariss & Markowitz 2020", "exp(wbgdp2011est) / 1e9"),
    "region": Entry("data/facts/us_allies.csv", "europe, asia or americas (Turkey: europe)",
                    "ally's region (scopes regional retrenchment episodes)", "label"),
    "milex_source": Entry("builder", "sipri, cow_nmc_spliced or cow_nmc_unspliced (fewer "
                          "than 3 overlapping years); missing with milex_gdp",
                          "which series gave milex_gdp", "label"),
    "milex_note": Entry(_S, "sipri_estimate / highly_uncertain marks of the SIPRI cell",
                        "SIPRI note on the value used", "label"),
    "milex_cow_raw": Entry("COW NMC 7.0; Anders et al. 2020; BLS CPI-U",
                           "100 x milex x 1000 x CPI_2011/CPI_t / exp(wbgdp2011est)",
                           "unspliced COW-based military share, for comparison",
                           "percent of GDP"),
    "us_troops_source": Entry("builder", "kane, legacy, rebuild, none_reported, or "
                              "not_protective (the non-protective rule set us_troops to 0)",
                              "which troop series gave us_troops", "label"),
    "us_troops_reported": Entry("troopdata", "us_troops before the non-protective rule",
                                "US personnel reported in the country",
                                "thousands of personnel"),
    "troops_multiple": Entry("troopdata rebuild vs Kane/legacy",
                             "2, 3 or 4 when the rebuild's annual figure is within 5% of that "
                             "multiple of the reference (>= 100 personnel); 1 otherwise",
                             "over-count factor detected in the rebuild series", "factor"),
    "threat_external": Entry(_T, "threat_ext_rivalries + threat_ext_mids + "
                             "threat_ext_proximity + threat_ext_capability (all t-1); "
                             "adversaries: USSR/Russia, Warsaw Pact states to 1989 (Albania "
                             "1990), PRC, North Korea, North Vietnam/Vietnam 1954-1991, Cuba "
                             "1961-1991", "threat from the alliance's adversaries", "index"),
    "threat_other": Entry("Thompson-Dreyer rivalries; GML MID 2.2.1",
                          "threat_other_rivalries + threat_other_mids (t-1): rivals and "
                          "disputes that are not adversaries (other US allies included: "
                          "Greece-Turkey, Argentina-UK), the US itself excluded",
                          "other threats (a control)", "index"),
    "threat_ext_rivalries": Entry("Thompson & Dreyer 2012", "ongoing rivalries with an "
                                  "adversary in t-1", "strategic rivalries with the "
                                  "alliance's adversaries", "count"),
    "threat_ext_mids": Entry("GML MID 2.2.1", "log(1 + distinct disputes with an adversary in "
                             "t-5..t-1), a US-led war coalition's own fighting excluded",
                             "recent militarized disputes with the adversaries", "log count"),
    "threat_ext_proximity": Entry("CShapes 2.0 minimum distances; Warsaw Pact land borders",
                                  "1000 / (1000 + km to the nearest of the Soviet bloc, PRC, "
                                  "DPRK) in t-1; a land border with a Warsaw Pact member "
                                  "(GFR, GRC, TUR) counts as 0 km",
                                  "closeness to the nearest adversary", "0-1"),
    "threat_ext_capability": Entry("COW NMC 7.0; CShapes 2.0", "10 x sum of CINC x "
                                   "proximity over the Soviet bloc (summed CINC), PRC and "
                                   "DPRK, in t-1", "adversaries' capabilities discounted by "
                                   "distance", "10 x share of world"),
    "threat_other_rivalries": Entry("Thompson & Dreyer 2012", "ongoing rivalries with "
                                    "non-adversaries other than the US in t-1",
                                    "other strategic rivalries", "count"),
    "threat_other_mids": Entry("GML MID 2.2.1", "log(1 + distinct disputes with "
                               "non-adversaries other than the US in t-5..t-1), coalition "
                               "fighting excluded", "other recent disputes", "log count"),
    "dependence": Entry("COW NMC 7.0; CShapes 2.0",
                        "log(threat_ext_capability / (10 x cinc_latent)); driver of H3-H5 "
                        "(docs/theory.md: more dependent allies spend more, pay more host-nation "
                        "support, join US wars more); an optional model covariate",
                        "dependence on US protection: adversary-to-ally capability ratio",
                        "log ratio"),
    "dependence_us_present": Entry("COW NMC 7.0; CShapes 2.0; troopdata",
                                   "log(threat_ext_capability / (10 x (cinc_latent + us_troops "
                                   "x "
                                   "us_cinc_per_kpers))); dependence with the US forces on the "
                                   "ally's soil counted as its own",
                                   "dependence net of US forces present", "log ratio"),
    "un_dist_us": Entry(_U, "abs(ideal point - US ideal point); missing outside UN "
                        "membership", "UN ideal-point distance to the US", "ideal-point units"),
    "un_dist_adv": Entry(_U, "abs(ideal point - mean ideal point of the adversaries voting "
                         "that year: USSR/Russia, Warsaw Pact to 1989, PRC, Cuba and Vietnam "
                         "to 1991, North Korea); missing outside UN membership",
                         "UN ideal-point distance to the adversaries", "ideal-point units"),
    "un_realign": Entry(_U, "un_dist_us / (un_dist_us + un_dist_adv); drifts upward over time "
                        "(the adversaries moved to the assembly's centre), so not used directly",
                        "position between the US (0) and the adversaries (1)", "0-1"),
    "un_realign_rel": Entry(_U, "un_realign minus its median over the UN-member allies that "
                            "year; 1964 interpolated; non-member years: mean of the ally's 5 "
                            "nearest member years (flagged in imputed; see Imputation below)",
                            "position towards the adversary relative to the other allies",
                            "difference of shares"),
    "nuclear_level": Entry("data/facts/nuclear_programmes.csv; Fuhrmann & Tkach 2015",
                           "1 weapons, 0.5 operating enrichment/reprocessing facility, else 0; "
                           "no longer inside exit_capacity (latency is a stage of the pursuit "
                           "that exit_pursuit records); used by no equation of the shipped "
                           "specs", "nuclear outside option", "0 / 0.5 / 1"),
    "cinc": Entry("COW NMC 7.0", "cinc as published (for comparison; contains military "
                  "spending and personnel, so no index uses it)", "Composite Index of National "
                  "Capability", "share of world"),
    "gdp_pct_us": Entry("Anders et al. 2020", "100 x gdp / US gdp",
                        "economic weight relative to the patron", "percent of US"),
    "cinc_latent": Entry("COW NMC 7.0", "mean world share of iron and steel, primary energy, "
                         "total and urban population (the CINC without milex and milper)",
                         "latent (non-military) capability", "share of world"),
    "latent_pct_us": Entry("COW NMC 7.0", "100 x cinc_latent / US cinc_latent",
                           "latent (non-military) capability relative to the patron",
                           "percent of US"),
    "us_cinc_per_kpers": Entry("COW NMC 7.0", "US cinc / US milper (thousands)",
                               "US capability per thousand US military personnel",
                               "share of world per 1000"),
    "retrench_events": Entry("data/facts/retrenchment_events.csv",
                             "episodes active in the year for the ally's region (or all)",
                             "documented retrenchment episodes", "count"),
    "retrench_us_effort": Entry(_S, "max(0, US share of GDP at t-3 minus at t)",
                                "three-year fall in US military effort", "points of GDP"),
    "intervene_source": Entry("builder", "cow, curated, cow+curated, not_listed (0 by rule), "
                              "unknown; missing outside intervention years",
                              "which rule gave intervene", "label"),
    "exit_pursuit_source": Entry("builder", "curated (ally in the fact table) or bleek2017",
                                 "which source gave exit_pursuit", "label"),
    "exit_onset": Entry("builder, from exit_pursuit", "1 in the first year of a pursuit "
                        "spell, 0 in years without pursuit (at risk), missing in the "
                        "continuing years of a spell and in spells under way in the ally's "
                        "first panel year (NOR, UKG in 1950: onset not observed); the outcome "
                        "of a discrete-time hazard model of exit (issue 14)",
                        "ally began pursuing an outside option (nuclear programme)", "0/1"),
    "exit_duration": Entry("builder, from exit_pursuit", "years at risk so far, this one "
                           "included: counts from the ally's first panel year or the first "
                           "year after a spell ends; 0 where exit_onset is missing",
                           "years at risk of exit onset (duration dependence)", "years"),
    "war": Entry("data/facts/us_interventions.csv", "the US-led war(s) of the year, joined "
                 "with ' + ' where two overlap (Afghanistan + Iraq War, 2003-2010); missing "
                 "in years without one", "US-led war of the year (participation groups)",
                 "label"),
    "hns_current": Entry("US DoD, Report on Allied Contributions to the Common Defense (2004 "
                         "ed.)", "measure dod_total of data/facts/host_nation_support.csv",
                         "host-nation support as reported", "million current USD"),
    "hns_sma_cash": Entry("CRS R41481 (Manyin et al.)", "measure sma_cash of "
                          "data/facts/host_nation_support.csv (1991, 1995-97: USD-denominated "
                          "agreements)", "South Korea's cash contribution under the Special "
                          "Measures Agreements", "million current USD"),
    "hns_sma_won": Entry("CRS R41481 (Manyin et al.)", "measure sma_won of "
                         "data/facts/host_nation_support.csv (2005-2010: won-denominated "
                         "agreements)", "South Korea's contribution under the Special "
                         "Measures Agreements", "billion won"),
    "hns_japan_budget": Entry("Japan MoD white paper; Japan Times 2000; Japan Press 2004",
                              "measure japan_budget_yen of data/facts/host_nation_support.csv",
                              "Japan's host-nation support budget (fiscal year)",
                              "billion yen"),
    "visits_president": Entry("Office of the Historian, Travels Abroad of the President; "
                              "data/facts/historian_country_codes.csv",
                              "trip legs to the ally starting in the year (0 when none)",
                              "visits of the US president to the ally", "count"),
    "visits_secretary": Entry("Office of the Historian, Travels Abroad of the Secretary of "
                              "State; data/facts/historian_country_codes.csv",
                              "trip legs to the ally starting in the year (0 when none)",
                              "visits of the US secretary of state to the ally", "count"),
    "visits_received": Entry("Office of the Historian, Visits by Foreign Leaders; "
                             "data/facts/historian_country_codes.csv",
                             "visits of the ally's leaders to the US starting in the year, all "
                             "kinds (state, official, working, private); 0 when none",
                             "the ally's leaders received in the US", "count"),
    "troops_present": Entry("troopdata (as us_troops)",
                            "1 when us_troops >= 1 (thousand personnel: a garrison, not an "
                            "embassy guard or advisory group), else 0",
                            "US garrison on the ally's soil (reassurance indicator)", "0/1"),
    "troops_change": Entry("troopdata (as us_troops)",
                           "log(1 + us_troops) minus its value in the ally's previous year; "
                           "missing in an ally's first year and after a gap",
                           "change of the US force on the ally's soil (reassurance indicator)",
                           "log points"),
    "troops_cut": Entry("troopdata (as us_troops)",
                        "1 when us_troops fell by >= 10% and >= 100 personnel from the ally's "
                        "previous year, else 0; missing where troops_change is",
                        "cut of the US force on the ally's soil (reassurance indicator)", "0/1"),
    "exercises_us": Entry("Multinational Military Exercises v7 (D'Orazio & Galambos 2021), "
                          "via troopdata",
                          "distinct exercises with both the US (GW 2) and the ally in the "
                          "year; missing outside 1980-2010 (the data's coverage), 0 inside it "
                          "when none is listed",
                          "joint military exercises with the US (reassurance indicator)",
                          "count"),
    "imputed": Entry("builder", "semicolon list of components filled: within-ally "
                     "interpolation / nearest year (threat_ext_proximity, "
                     "threat_ext_capability, cinc, cinc_latent, gdp, gdp_pct_us, latent_pct_us, "
                     "us_cinc_per_kpers, retrench_us_effort) or UN gaps (un_realign_rel)",
                     "components filled for the row", "label"),
}


def missing_entries(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that the codebook does not describe."""
    return [c for c in frame.columns if c not in ENTRIES]


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _coverage(frame: pd.DataFrame, col: str) -> str:
    s = frame[col]
    n = int(s.notna().sum())
    if n == 0:
        return "0 rows"
    years = frame.loc[s.notna(), "year"]
    text = f"{n} rows, {int(years.min())}-{int(years.max())}"
    if pd.api.types.is_numeric_dtype(s) and col not in ("ccode", "year"):
        v = pd.to_numeric(s, errors="coerce").dropna()
        text += f"; {_fmt(v.min())} / {_fmt(v.median())} / {_fmt(v.max())}"
    elif not pd.api.types.is_numeric_dtype(s):
        counts = s.value_counts()
        text += "; " + ", ".join(f"{k} {v}" for k, v in counts.head(6).items())
    return text


def _imputation(frame: pd.DataFrame) -> list[str]:
    """Rows touched by each imputation rule, and the UN-position fills ally by ally."""
    if "imputed" not in frame:
        return []
    flags = frame["imputed"].fillna("").astype(str).str.split(";")
    counts = flags.explode().loc[lambda x: x != ""].value_counts().sort_index()
    lines = ["", "## Imputation", "",
             "Rows per filled component (column `imputed`); UN-position rows are the years",
             "outside an ally's UN membership or without recorded votes:", ""]
    lines += [f"- `{k}`: {v} rows" for k, v in counts.items()]
    un = frame[flags.map(lambda f: "un_realign_rel" in f)]
    if not un.empty:
        spans = un.groupby("ally")["year"].agg(_runs)
        groups = spans.groupby(spans).groups
        lines += ["", "`un_realign_rel` filled (years: allies): " + "; ".join(
            f"{years}: {', '.join(allies)}" for years, allies in
            sorted(groups.items(), key=lambda kv: -len(kv[1]))) + "."]
    return lines


def _runs(years: pd.Series) -> str:
    """Sorted years as compact ranges, e.g. ``1950-1955, 1964``."""
    ys = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def column_table(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Meaning, unit, source, construction and coverage of each documented column of ``frame``.

    Columns the codebook does not describe are left out (see :func:`missing_entries`).
    """
    rows = []
    for col in frame.columns:
        if col not in ENTRIES:
            continue
        e = ENTRIES[col]
        meaning, unit = COLUMNS.get(col, (e.meaning, e.unit))
        rows.append({"column": col, "meaning": meaning, "unit": e.unit or unit,
                     "source": e.source, "construction": e.construction,
                     "coverage": _coverage(frame, col)})
    return rows


def _fact_rules() -> list[str]:
    """Markdown listing the membership and garrison rules taken from the fact tables."""
    from bayes_alliance.data.build_inputs import fact_table

    lines = ["", "## Left the US alignment (rows dropped)", "",
             "Rule: an ally-year is dropped when the ally's government was aligned with the",
             "Soviet bloc against the US for most of the year (`data/facts/alignment_breaks.csv`).",
             "", "| ally | years dropped | event | source |", "|---|---|---|---|"]
    for r in fact_table("alignment_breaks").itertuples(index=False):
        lines.append(f"| {r.ally} | {r.first_year}-{r.last_year} | {r.event} | {r.source} |")
    lines += ["", "## US personnel that are not a protective garrison (`us_troops` = 0)", "",
              "Rule: personnel at a site held for US purposes do not defend the host "
              "(`data/facts/non_protective_presence.csv`).", "",
              "| ally | years | site | source |", "|---|---|---|---|"]
    for r in fact_table("non_protective_presence").itertuples(index=False):
        lines.append(f"| {r.ally} | {r.first_year}-{r.last_year} | {r.site} | {r.source} |")
    return lines


def render_codebook(frame: pd.DataFrame, differences: pd.DataFrame | None = None) -> str:
    """The codebook as Markdown for a built panel (and the ATOP/treaty differences)."""
    lines = [
        "# Codebook of the real ally-year panel",
        "",
        "Generated by `bayes-alliance data ship` from the shipped panel",
        "(`data/real_panel.csv`, built by `bayes_alliance.data.build.build_panel` from the files",
        "in `data/sources.toml`; provenance in `data/real_panel.json`). Do not edit by hand.",
        "Construction details and caveats are in the docstrings of",
        "`bayes_alliance/data/build*.py`.",
        "",
        f"Rows: {len(frame)} ally-years; allies: {frame['ally'].nunique()}; years: "
        f"{int(frame['year'].min())}-{int(frame['year'].max())}. Coverage gives non-missing",
        "rows, first-last year with data, and min / median / max (numbers) or the most",
        "frequent values (labels).",
        "",
        "| column | meaning | unit | source | construction | coverage |",
        "|---|---|---|---|---|---|",
    ]
    for row in column_table(frame):
        cells = [f"`{row['column']}`", row["meaning"], row["unit"], row["source"],
                 row["construction"], row["coverage"]]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    lines += _imputation(frame)
    lines += _fact_rules()
    if differences is not None:
        lines += ["", "## Alliance years: ATOP 5.1 against the curated treaty list", "",
                  "Rule: the curated list (`data/facts/us_allies.csv`) says who is a treaty",
                  "ally; ATOP's US defence pledges say in which years; the ally must be a COW",
                  "state member that year; 1990 belongs to West Germany. States and years",
                  "where the two sources differ (1950-2010):", "",
                  "| ccode | state | on treaty list | only in ATOP | only in treaty list "
                  "| panel years |", "|---|---|---|---|---|---|"]
        for r in differences.itertuples(index=False):
            lines.append(f"| {r.ccode} | {r.ally} {r.name} | {'yes' if r.in_curated else 'no'} "
                         f"| {r.only_atop} | {r.only_curated} | {r.in_panel} |")
    return "\n".join(lines) + "\n"


def write_codebook(frame: pd.DataFrame, source_dir: str | os.PathLike[str] | None = None,
                   path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``data/codebook.md`` (replacing it) for a built panel and the sources it came from."""
    text = render_codebook(frame, alliance_differences(Inputs(source_dir)))
    return write_text_atomic(path or data_path("codebook.md"), text, force=True)
