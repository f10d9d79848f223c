"""Ally-by-period innovations of the latent reassurance intensity (``latent_innovations``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pytensor.graph.replace import graph_replace

import bayes_alliance as ba
from bayes_alliance.errors import SpecError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.joint import input_names, make_inputs
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.names import readable_cells
from bayes_alliance.models.predictor import Predictor
from bayes_alliance.models.priors import DEFAULT_PRIORS, load_prior_set, resolve_priors
from bayes_alliance.models.spec import load_spec
from bayes_alliance.models.time_structure import (
    INNOVATION,
    INNOVATION_INPUT,
    group_levels,
    innovation_blocks,
)
from bayes_alliance.report.content import _measurement_section

ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA", "FRN", "NOR"]
GARRISON = {"name": "garrison", "column": "garrison_col", "family": "bernoulli", "anchor": True}
VISITS = {"name": "visits", "column": "visits_col", "family": "poisson", "anchor": True}


def _spec(innovations: str | None = "term", indicators: list[dict] | None = None) -> dict:
    """Statements and spending; every covariate of the latent is in the spending equation."""
    raw = {
        "name": "innov-test", "priors": "weak",
        "ally_effects": {"correlated": False, "centered": False},
        "outcomes": [
            {"name": "reassure", "column": "reassure", "family": "negative_binomial",
             "exposure": "exposure", "terms": ["threat", "importance"]},
            {"name": "milex", "column": "milex_gdp", "family": "lognormal",
             "terms": ["threat", "importance", "reassurance"]},
        ],
    }
    if innovations is not None:
        raw["latent_innovations"] = innovations
    if indicators:
        raw["indicators"] = indicators
    return raw


@pytest.fixture(scope="module")
def skeleton() -> pd.DataFrame:
    f = ba.load_panel("default").frame
    f = f[f.ally.isin(ALLIES) & (f.year >= 1975)].reset_index(drop=True)
    return f.assign(garrison_col=0, visits_col=0)


# ------------------------------------------------------------------ the spec key
def test_the_key_parses_round_trips_and_changes_the_hash() -> None:
    term, year, none = (load_spec(_spec(k)) for k in ("term", "year", None))
    assert (term.latent_innovations, year.latent_innovations) == ("term", "year")
    assert none.latent_innovations == "none" and load_spec(_spec("none")) == none
    assert "latent_innovations" not in none.to_dict()
    for spec in (term, year, none):
        again = type(spec).from_dict(spec.to_dict())
        assert again == spec and again.hash() == spec.hash()
    assert len({term.hash(), year.hash(), none.hash()}) == 3


def test_shipped_specs_keep_their_hashes_and_the_dynamic_spec_loads() -> None:
    """Hashes recorded before the option existed; the dynamic spec differs only by it."""
    assert [load_spec(s).hash() for s in ("joint-real-measured", "joint-real-time")] == [
        "a95a9bf2f528", "bc927780fd2a"]
    dynamic, measured = load_spec("joint-real-dynamic"), load_spec("joint-real-measured")
    assert dynamic.latent_innovations == "term"
    assert replace(dynamic, name=measured.name, description=measured.description,
                   latent_innovations="none") == measured
    for prior_set in ("weak", "theory", "skeptical", "sbc"):
        resolved = resolve_priors(dynamic, prior_set)
        assert resolved.cells["sd_innovation"][("reassure",)].dist == "HalfNormal"


@pytest.mark.parametrize(("value", "message"), [
    ("terms", "latent_innovations 'terms' is unknown; valid: none, term, year"),
    (True, "latent_innovations True is unknown; valid: none, term, year"),
    (4, "latent_innovations 4 is unknown"),
])
def test_bad_values_list_the_valid_ones(value, message) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(_spec(value))


def test_innovations_need_the_latent_outcome() -> None:
    raw = _spec("term")
    raw["outcomes"] = raw["outcomes"][1:]
    raw["outcomes"][0]["terms"] = ["threat"]
    with pytest.raises(SpecError, match="latent_innovations = 'term' .*'latent_outcome' is not"):
        load_spec(raw)


def test_sd_innovation_prior_family() -> None:
    """The shipped sets do not name it (their hashes key the saved fits): the default holds."""
    spec = load_spec(_spec("term"))
    weak = load_prior_set("weak").to_dict()
    assert "sd_innovation" not in weak["priors"]
    assert resolve_priors(spec, weak).cells["sd_innovation"][("reassure",)] == \
        DEFAULT_PRIORS["sd_innovation"]
    weak["priors"]["sd_innovation"] = {"dist": "Exponential", "lam": 4.0}
    assert resolve_priors(spec, weak).cells["sd_innovation"][("reassure",)].dist == "Exponential"
    weak["priors"]["sd_innovation"] = {"dist": "Normal", "mu": 0.0, "sigma": 1.0}
    with pytest.raises(SpecError, match="'sd_innovation' cannot take a Normal prior"):
        load_prior_set(weak)
    assert "sd_innovation" not in resolve_priors(load_spec(_spec(None)), "weak").cells


# ------------------------------------------------------------------ blocks, levels, index
def test_term_blocks_align_on_the_inaugurations() -> None:
    years = [1945, 1948, 1949, 1952, 1953, 1969, 1972, 1973, 2009, 2010]
    assert innovation_blocks("term", years) == [
        "1945-1948", "1945-1948", "1949-1952", "1949-1952", "1953-1956", "1969-1972",
        "1969-1972", "1973-1976", "2009-2012", "2009-2012"]
    assert innovation_blocks("year", [1949, 2010]) == ["1949", "2010"]


def test_unseen_levels_get_index_zero(skeleton) -> None:
    model = AllianceModel.from_spec(load_spec(_spec("term")), skeleton)
    spec, panel = model.spec, model.panel
    levels = group_levels(spec, panel.frame)[INNOVATION_INPUT]
    assert levels == list(model.pymc_model.coords[INNOVATION])
    start = 1949 + 4 * ((panel.frame["year"] - 1949) // 4)
    assert len(levels) == len(panel.frame.assign(start=start).drop_duplicates(["ally", "start"]))
    assert levels[0] == "FRN|1973-1976"
    new = pd.concat([panel.frame.iloc[:2], panel.frame.iloc[:1].assign(year=2030)])
    inputs = make_inputs(spec, model.scaling, new, panel.allies, panel.years, panel.frame)
    first = [levels.index(f"{a}|{b}") + 1 for a, b in zip(
        new["ally"].iloc[:2], innovation_blocks("term", new["year"].iloc[:2]), strict=True)]
    assert inputs.innovation_idx.tolist() == [*first, 0]
    assert INNOVATION_INPUT in input_names(spec) and INNOVATION_INPUT in inputs.values(spec)
    assert INNOVATION_INPUT not in input_names(load_spec(_spec(None)))


# ------------------------------------------------------------------ the graph
def test_the_graph_adds_two_variables_and_no_deterministic(skeleton) -> None:
    with_, without = (AllianceModel.from_spec(load_spec(_spec(k)), skeleton)
                      for k in ("term", None))
    m, m0 = with_.pymc_model, without.pymc_model
    assert {v.name for v in m.free_RVs} - {v.name for v in m0.free_RVs} == {
        "sd_innovation", "z_innovation"}
    assert {v.name for v in m.deterministics} == {v.name for v in m0.deterministics}
    assert "sd_innovation" in with_.population_parameters()
    assert "z_innovation" not in with_.population_parameters()
    assert "sd_innovation[reassure]" in {c.name for c in readable_cells(with_.spec)}
    assert np.isfinite(float(m.compile_logp()(m.initial_point())))
    # as sd_innovation -> 0 every likelihood is the one without innovations
    rng = np.random.default_rng(0)
    point = {k: np.asarray(v) + rng.normal(0, 0.3, np.shape(v))
             for k, v in m0.initial_point().items()}
    vanishing = {**point, "sd_innovation_log__": np.asarray(-40.0),
                 "z_innovation": rng.normal(0, 1, len(m.coords[INNOVATION]))}
    assert float(m.compile_logp(vars=m.observed_RVs)(vanishing)) == pytest.approx(
        float(m0.compile_logp(vars=m0.observed_RVs)(point)), rel=1e-12)


def test_the_latent_keeps_unit_variance_and_the_statements_load_s() -> None:
    """With a sizable fixed sd_innovation the latent's variance over rows is about 1."""
    f = ba.load_panel("default").frame
    keep = f.groupby("ally")["year"].transform("size") >= 40
    frame = f[keep & f.ally.isin(f.ally[keep].unique()[:24])].reset_index(drop=True)
    model = AllianceModel.from_spec(load_spec(_spec("term")), frame)
    m, graph = model.pymc_model, model.graph
    assert len(m.coords[INNOVATION]) > 200
    fixed = {m["sd_innovation"]: np.asarray(2.0), m["sd_ally"]: np.asarray([0.3, 0.3]),
             m["beta_reassure"]: np.asarray([0.5, -0.4])}
    latent, scale, eta = graph_replace([graph.latent, graph.latent_scale, graph.eta["reassure"]],
                                       fixed, strict=False)
    lat, s, e = pm.draw([latent, scale, eta], draws=100, random_seed=1)
    variance = lat.var(axis=1)
    assert abs(variance.mean() - 1.0) < 0.05, variance.mean()
    # the scale holds sd_innovation^2: without it the variance would be over 4 / s^2 larger
    np.testing.assert_allclose(s, s[0])
    assert s[0] ** 2 > 0.3 ** 2 + 2.0 ** 2
    # eta_R = alpha_R' + s * latent exactly: the statements are an indicator with loading s
    resid = e - s[:, None] * lat
    assert np.ptp(resid, axis=1).max() < 1e-8


def test_unseen_levels_predict_as_without_the_innovation(skeleton) -> None:
    model = AllianceModel.from_spec(load_spec(_spec("term")), skeleton)
    predictor = Predictor(model.graph, model.spec)
    assert {"sd_innovation", "z_innovation"} <= set(predictor.parameters)
    draws = {n: np.asarray(pm.draw(model.pymc_model[n], draws=3, random_seed=i))
             for i, n in enumerate(predictor.parameters)}
    panel, spec = model.panel, model.spec
    rows = panel.frame.iloc[::7]

    def eta(frame, d):
        return predictor(d, make_inputs(spec, model.scaling, frame, panel.allies, panel.years,
                                        panel.frame), kind="eta")

    later = eta(rows.assign(year=rows["year"] + 100), draws)  # blocks the fit never saw
    removed = eta(rows, {**draws, "z_innovation": np.zeros_like(draws["z_innovation"])})
    fitted = eta(rows, draws)
    for o in spec.outcome_names:
        np.testing.assert_allclose(later[o], removed[o], rtol=1e-10, atol=1e-12)
        assert np.abs(fitted[o] - removed[o]).max() > 1e-3


# ------------------------------------------------------------------ recovery (sampling)
TRUE = {"sd_innovation[reassure]": 1.0, "sd_ally": [0.5, 0.3],
        "beta[reassure, threat]": 0.3, "beta[reassure, importance]": 0.3,
        "beta[milex, threat]": 0.1, "beta[milex, importance]": 0.0,
        "beta[milex, reassurance]": -0.3, "sigma[milex]": 0.1,
        "anchor_loading[garrison]": 1.5, "anchor_loading[visits]": 1.0,
        "intercept[garrison]": -0.5, "intercept[visits]": 0.5}


@pytest.mark.slow
def test_innovations_and_the_latent_effect_are_recovered(skeleton) -> None:
    """Simulate with a sizable sd_innovation, every covariate of the latent also in spending.

    8 allies x 1975-2010 (75 ally-terms), 2 chains of 300 draws: sd_innovation and
    beta[milex, reassurance] mix well (R-hat 1.00 and 1.02 when written). With the
    innovations centred within ally, the ally sd of the latent mixes too (R-hat 1.05
    and 1.02 for seeds 3 and 4, ESS bulk 45-52); without the centring its split with
    the innovations' ally means rested on the priors (R-hat 1.12-1.23, ESS 10-15).
    """
    spec = load_spec(_spec("term", [GARRISON, VISITS]))
    frame, _ = AllianceModel.from_spec(spec, skeleton).simulate(TRUE, seed=5)
    fit = fit_model(AllianceModel.from_spec(spec, frame), draws=300, tune=400, chains=2,
                    random_seed=3, prior_draws=0, predictive=False)
    params, summary = fit.parameters(), fit.summary()
    sd = params["sd_innovation[reassure]"].values.ravel()
    lo, hi = np.quantile(sd, [0.05, 0.95])
    assert lo < TRUE["sd_innovation[reassure]"] < hi, (lo, hi)
    gamma = params["beta[milex, reassurance]"].values.ravel()
    assert (gamma < 0).mean() > 0.95, gamma.mean()
    assert abs(gamma.mean() - TRUE["beta[milex, reassurance]"]) < 3 * gamma.std() + 0.02
    for name in ("sd_innovation[reassure]", "beta[milex, reassurance]"):
        assert summary.loc[name, "r_hat"] < 1.05, summary.loc[name]
    assert summary.loc["sd_ally[reassure]", "r_hat"] < 1.1, summary.loc["sd_ally[reassure]"]
    # the report's measurement section (information shares evaluate the graph) names it
    tables: dict = {}
    section = _measurement_section("r", fit, tables)
    assert any("innovation per ally and term" in b.text for b in section.blocks)
    assert set(tables["measurement"].index) == {"reassure", "garrison", "visits"}
