"""``data/codebook.md``: every column of the real panel, generated from one table.

Meaning and unit of the contract columns come from
:data:`bayes_alliance.data.panel.COLUMNS`; :data:`ENTRIES` adds source and
construction for those and describes the builder's extra columns. Coverage
(non-missing rows, years, range) is computed from the built panel (text
measure off, so the file does not depend on the measure's version), and the
ATOP/treaty-list differences are listed. Regenerate with::

    from bayes_alliance.data.build_codebook import write_codebook
    write_codebook(source_dir="path/to/source/files")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bayes_alliance.data.build import build_panel
from bayes_alliance.data.build_allies import alliance_differences
from bayes_alliance.data.build_inputs import Inputs
from bayes_alliance.data.panel import COLUMNS
from bayes_alliance.io import write_text_atomic
from bayes_alliance.resources import data_path

__all__ = ["ENTRIES", "Entry", "missing_entries", "render_codebook", "write_codebook"]


@dataclass(frozen=True)
class Entry:
    """Documentation of one panel column (meaning/unit default to the contract's)."""

    source: str
    construction: str
    meaning: str = ""
    unit: str = ""


_S = "SIPRI Military Expenditure Database 2021"
ENTRIES: dict[str, Entry] = {
    "ally": Entry("data/facts/us_allies.csv; ATOP 5.1", "COW abbreviation; West Germany "
                  "(GFR) to 1990, unified Germany (GMY) from 1991"),
    "ccode": Entry("COW State System v2016", "COW code of the ally"),
    "year": Entry("ATOP 5.1; COW State System v2016", "a row exists when the ally is on the "
                  "curated treaty list, ATOP codes a US defence pledge that year and the ally "
                  "is a COW state member (see 'Alliance years' below)"),
    "reassure": Entry("bayes_alliance.measure on a speech corpus", "reassurance statements "
                      "counted by the text measure; missing unless a corpus is measured, and "
                      "where exposure is 0"),
    "exposure": Entry("bayes_alliance.measure on a speech corpus", "statements mentioning the "
                      "ally; 0 in covered years without a mention, missing otherwise"),
    "milex_gdp": Entry(f"{_S}; COW NMC 7.0; Anders et al. 2020 GDP; BLS CPI-U",
                       "SIPRI share of GDP x 100; where missing, COW milex deflated to 2011 "
                       "USD with CPI-U over exp(wbgdp2011est), spliced to the SIPRI level "
                       "(median ratio of the 5 nearest overlapping years; see milex_source)"),
    "intervene": Entry("COW Inter-State War 4.0; data/facts/war_participation.csv; "
                       "data/facts/us_interventions.csv",
                       "1 if on the US side in COW or with forces in the fact table; missing "
                       "outside intervention years and where participation is unknown"),
    "hns": Entry("none", "not built: no public host-nation support series 1950-2010 "
                 "(always missing)"),
    "exit_pursuit": Entry("data/facts/nuclear_programmes.csv; Bleek 2017",
                          "1 in curated exploration/pursuit years; Bleek (2017) years for "
                          "allies not in the fact table (Norway, Argentina, Brazil)"),
    "threat": Entry("Thompson-Dreyer rivalries; GML MID 2.2.1; CShapes 2.0",
                    "threat_rivalries + threat_mids + threat_proximity"),
    "exit_capacity": Entry("UN voting (Bailey et al.); nuclear facts; Nuclear Latency 1.2; "
                           "COW NMC 7.0", "un_agree_ussr + nuclear_level + 10 x cinc"),
    "importance": Entry("Anders et al. 2020 GDP; COW NMC 7.0",
                        "log(1 + gdp_pct_us) + log(1 + milper_pct_us)"),
    "retrench": Entry("data/facts/retrenchment_events.csv; " + _S,
                      "retrench_events + retrench_us_effort (varies by year and region)"),
    "us_troops": Entry("troopdata (Allen, Flynn & Martinez Machain 2022; Kane 2006)",
                       "Kane value, else legacy series, else rebuild corrected for multiple "
                       "counts; divided by 1000; 0 when no series lists the country"),
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
    "us_troops_source": Entry("builder", "kane, legacy, rebuild or none_reported",
                              "which troop series gave us_troops", "label"),
    "troops_multiple": Entry("troopdata rebuild vs Kane/legacy",
                             "2, 3 or 4 when the rebuild's annual figure is within 5% of that "
                             "multiple of the reference (>= 100 personnel); 1 otherwise",
                             "over-count factor detected in the rebuild series", "factor"),
    "threat_rivalries": Entry("Thompson & Dreyer 2012", "count of ongoing rivalries",
                              "strategic rivalries the ally is party to", "count"),
    "threat_mids": Entry("GML MID 2.2.1", "log(1 + distinct disputes in t-4..t)",
                         "recent militarized disputes of the ally", "log count"),
    "threat_proximity": Entry("CShapes 2.0 minimum distances",
                              "1000 / (1000 + km to the nearest of USSR/Russia, PRC, DPRK)",
                              "closeness to the nearest principal US adversary", "0-1"),
    "un_agree_ussr": Entry("Bailey, Strezhnev & Voeten 2017",
                           "PctAgreeRUSSIA; non-member years: regional mean of the allies; "
                           "1964 (no recorded votes) interpolated",
                           "share of UN votes agreeing with the USSR/Russia", "share 0-1"),
    "un_agree_us": Entry("Bailey, Strezhnev & Voeten 2017", "PctAgreeUS, filled as "
                         "un_agree_ussr", "share of UN votes agreeing with the US",
                         "share 0-1"),
    "nuclear_level": Entry("data/facts/nuclear_programmes.csv; Fuhrmann & Tkach 2015",
                           "1 weapons, 0.5 operating enrichment/reprocessing facility, else 0",
                           "nuclear outside option", "0 / 0.5 / 1"),
    "cinc": Entry("COW NMC 7.0", "cinc as published", "Composite Index of National "
                  "Capability", "share of world"),
    "gdp_pct_us": Entry("Anders et al. 2020", "100 x gdp / US gdp",
                        "economic weight relative to the patron", "percent of US"),
    "milper_pct_us": Entry("COW NMC 7.0", "100 x milper / US milper",
                           "military personnel relative to the patron", "percent of US"),
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
    "imputed": Entry("builder", "semicolon list of components filled: within-ally "
                     "interpolation / nearest year (threat_proximity, cinc, gdp, gdp_pct_us, "
                     "milper_pct_us, retrench_us_effort) or UN gaps (un_agree_ussr)",
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


def render_codebook(frame: pd.DataFrame, differences: pd.DataFrame | None = None) -> str:
    """The codebook as Markdown for a built panel (and the ATOP/treaty differences)."""
    lines = [
        "# Codebook of the real ally-year panel",
        "",
        "Generated by `bayes_alliance.data.build_codebook.write_codebook` from the panel that",
        "`bayes_alliance.data.build.build_panel` makes of the files in `data/sources.toml`",
        "(text measure off). Do not edit by hand. Construction details and caveats are in",
        "the docstrings of `bayes_alliance/data/build*.py`.",
        "",
        f"Rows: {len(frame)} ally-years; allies: {frame['ally'].nunique()}; years: "
        f"{int(frame['year'].min())}-{int(frame['year'].max())}. Coverage gives non-missing",
        "rows, first-last year with data, and min / median / max (numbers) or the most",
        "frequent values (labels).",
        "",
        "| column | meaning | unit | source | construction | coverage |",
        "|---|---|---|---|---|---|",
    ]
    for col in frame.columns:
        e = ENTRIES[col]
        meaning, unit = COLUMNS.get(col, (e.meaning, e.unit))
        cells = [f"`{col}`", meaning, unit, e.source, e.construction, _coverage(frame, col)]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
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


def write_codebook(source_dir: str | os.PathLike[str] | None = None,
                   path: str | os.PathLike[str] | None = None) -> Path:
    """Build the panel (text off) and write ``data/codebook.md`` (replacing it)."""
    frame = build_panel(source_dir, use_text=False)
    text = render_codebook(frame, alliance_differences(Inputs(source_dir)))
    return write_text_atomic(path or data_path("codebook.md"), text, force=True)
