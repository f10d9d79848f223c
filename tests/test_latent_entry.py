"""``latent_entry = "within"``: only the latent's movement within an ally enters other equations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest

import bayes_alliance as ba
from bayes_alliance.errors import SpecError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.joint import ALLY_MEAN_INPUT, input_names, make_inputs
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.predictor import Predictor
from bayes_alliance.models.spec import load_spec
from bayes_alliance.resources import read_shipped_toml
from bayes_alliance.synthetic import TRUE_PARAMS

ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA", "FRN", "NOR", "CAN", "AUL"]


def _joint(entry: str | None = "within", correlated: bool = True) -> dict:
    raw, _ = read_shipped_toml("joint", (), kind="spec", error=SpecError)
    raw = {**raw, "name": "joint-entry",
           "ally_effects": {**raw["ally_effects"], "correlated": correlated}}
    if entry is not None:
        raw["latent_entry"] = entry
    return raw


@pytest.fixture(scope="module")
def skeleton() -> pd.DataFrame:
    f = ba.load_panel("default").frame
    return f[f.ally.isin(ALLIES) & (f.year >= 1970)].reset_index(drop=True)


def test_spec_reads_and_checks_the_entry() -> None:
    assert load_spec(_joint()).within_entry and not load_spec("joint").within_entry
    # the default is left out of the dict, so existing specs keep their hash
    assert "latent_entry" not in load_spec(_joint(None)).to_dict()
    assert load_spec(_joint(None)).hash() == load_spec(_joint("total")).hash()
    assert load_spec(_joint()).hash() != load_spec(_joint("total")).hash()
    with pytest.raises(SpecError, match="latent_entry 'between' is unknown; valid: total, within"):
        load_spec(_joint("between"))


def test_within_entry_without_exclusion_is_refused() -> None:
    raw = _joint()
    raw["outcomes"] = [dict(o) for o in raw["outcomes"]]
    milex = next(o for o in raw["outcomes"] if o["name"] == "milex")
    milex["terms"] = ["exit_capacity", "exit_capacity:importance", *milex["terms"]]
    with pytest.raises(SpecError, match="outcome 'milex' has every covariate of the latent"):
        load_spec(raw)
    raw["latent_innovations"] = "term"  # innovations give the latent its own within variation
    assert load_spec(raw).within_entry


def test_derived_spec_without_exclusion_is_refused_when_built(skeleton) -> None:
    # every covariate in every equation leaves no exclusion: refused at build time too
    spec = load_spec(_joint()).with_all_covariates()
    with pytest.raises(SpecError, match="spec 'joint-entry': with latent_entry"):
        _ = AllianceModel.from_spec(spec, skeleton, priors="weak").pymc_model


def test_ally_mean_of_the_latent_does_not_reach_other_equations(skeleton) -> None:
    # centred, uncorrelated ally effects: moving one cell moves one ally's one outcome
    raw = _joint(correlated=False)
    raw["ally_effects"]["centered"] = True
    model = AllianceModel.from_spec(raw, skeleton, priors="weak")
    graph, m = model.graph, model.pymc_model
    assert ALLY_MEAN_INPUT in input_names(model.spec)
    rvs = list(m.free_RVs)
    fn = pytensor.function(rvs, [graph.eta["milex"], graph.eta["reassure"], graph.latent,
                                 graph.latent_entering], on_unused_input="ignore")
    point = dict(zip(rvs, pm.draw(rvs, random_seed=1), strict=True))

    def evaluate(values):  # copies: the compiled function reuses its output buffers
        return [np.array(x, copy=True) for x in fn(*[values[v] for v in rvs])]

    eta_m, eta_r, latent, entering = evaluate(point)
    ally = skeleton["ally"].to_numpy()
    # the entering part is the latent less its ally mean: mean zero within each ally
    assert np.abs(pd.Series(entering).groupby(ally).mean()).max() < 1e-10
    gaps = pd.Series(latent - entering).groupby(ally)
    assert (gaps.max() - gaps.min()).max() < 1e-10  # differs by a constant per ally
    assert np.abs(pd.Series(latent).groupby(ally).mean()).max() > 1e-3
    # moving one ally's latent effect moves its statements, not its spending
    a_ally = m["a_ally"]
    moved = {**point, a_ally: np.array(point[a_ally], copy=True)}
    moved[a_ally][0, model.spec.outcome_names.index("reassure")] += 1.0
    eta_m2, eta_r2, latent2, _ = evaluate(moved)
    assert np.allclose(eta_m2, eta_m) and not np.allclose(eta_r2, eta_r)
    assert not np.allclose(latent2, latent)  # ... and the latent the indicators measure


def test_counterfactual_keeps_the_training_ally_means(skeleton) -> None:
    model = AllianceModel.from_spec(_joint(), skeleton, priors="weak")
    spec, panel = model.spec, model.panel
    factual = make_inputs(spec, model.scaling, panel.frame, panel.allies, panel.years)
    shifted = panel.frame.assign(exit_capacity=panel.frame["exit_capacity"] + 1.0)
    cf = make_inputs(spec, model.scaling, shifted, panel.allies, panel.years, panel.frame)
    assert np.allclose(cf.latent_ally_mean, factual.latent_ally_mean)
    # its own frame's means would have cancelled the shift
    naive = make_inputs(spec, model.scaling, shifted, panel.allies, panel.years)
    assert not np.allclose(naive.latent_ally_mean, factual.latent_ally_mean)
    # the predictor: spending moves by gamma_milex * beta_R[exit] * dx / s, as with total entry
    predictor = Predictor(model.graph, spec)
    draws = {n: np.asarray(pm.draw(model.pymc_model[n], draws=2, random_seed=i))
             for i, n in enumerate(predictor.parameters)}
    effects = []
    for raw in (_joint(), _joint("total")):
        m = AllianceModel.from_spec(raw, skeleton, priors="weak")
        p = Predictor(m.graph, m.spec)
        base = p(draws, make_inputs(m.spec, m.scaling, panel.frame, panel.allies,
                                    panel.years), kind="eta")["milex"]
        moved = p(draws, make_inputs(m.spec, m.scaling, shifted, panel.allies, panel.years,
                                     panel.frame), kind="eta")["milex"]
        effects.append(moved - base)
    assert np.allclose(effects[0], effects[1]) and np.abs(effects[0]).max() > 1e-6


def test_unseen_ally_takes_the_mean_of_its_own_rows(skeleton) -> None:
    model = AllianceModel.from_spec(_joint(), skeleton, priors="weak")
    spec, panel = model.spec, model.panel
    new = panel.frame[panel.frame.ally == "ROK"].assign(ally="NEW")
    inputs = make_inputs(spec, model.scaling, new, [*panel.allies, "NEW"], panel.years,
                         panel.frame)
    rok = make_inputs(spec, model.scaling, panel.frame, panel.allies, panel.years)
    at = (panel.frame.ally == "ROK").to_numpy()
    assert np.allclose(inputs.latent_ally_mean, rok.latent_ally_mean[at])


@pytest.mark.slow
def test_within_coefficient_is_recovered(skeleton) -> None:
    # the within part of the latent carries the spending effect; simulate and refit
    gen = AllianceModel.from_spec(_joint(), skeleton, priors="weak", require_outcomes=False)
    truth = {**TRUE_PARAMS, "beta_milex": [0.20, 0.05, -0.10, -0.05, 0.06, -0.4, 0.05],
             "beta_reassure": [0.8, 0.30, -0.15, -0.15, 0.10]}
    frame, _ = gen.simulate(truth, seed=3)
    model = AllianceModel.from_spec(_joint(), frame, priors="weak")
    result = fit_model(model, draws=300, tune=400, chains=2, random_seed=5, prior_draws=0,
                       predictive=False)
    cell = result.idata["posterior"]["beta_milex"].sel(term_milex="reassurance")
    lo, hi = np.quantile(cell.values, [0.025, 0.975])
    assert lo < -0.4 < hi and hi < 0  # covered, and the sign comes back
