"""Starts in the main posterior mode (bayes_alliance/starts.py; issue 17)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import bayes_alliance as ba
from bayes_alliance.errors import FitError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.spec import load_spec
from bayes_alliance.starts import climb, has_mirror, mirror_point, mode_start

ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA"]


@pytest.fixture(scope="module")
def skeleton():
    f = ba.load_panel("default").frame
    return f[f.ally.isin(ALLIES) & (f.year >= 1980)].reset_index(drop=True)


def _model(skeleton, *, correlated: bool, centered: bool,
           innovations: str = "none") -> AllianceModel:
    spec = replace(load_spec("joint"), correlated=correlated, centered=centered,
                   latent_innovations=innovations)
    return AllianceModel.from_spec(spec, skeleton, "weak")


@pytest.mark.parametrize(("correlated", "centered", "innovations"), [
    (False, False, "none"), (True, True, "none"), (False, False, "term"),
    pytest.param(False, True, "none", marks=pytest.mark.slow),
    pytest.param(True, False, "none", marks=pytest.mark.slow)])
def test_the_mirror_changes_only_the_statements(skeleton, correlated, centered, innovations):
    """Every other likelihood and every (symmetric, weak) prior term stays the same."""
    model = _model(skeleton, correlated=correlated, centered=centered, innovations=innovations)
    m = model.pymc_model
    assert has_mirror(model)
    rng = np.random.default_rng(5)
    point = {k: np.asarray(v) + rng.normal(0, 0.3, np.shape(v))
             for k, v in m.initial_point().items()}
    mirror = mirror_point(model, point)
    statements = m[model.spec.latent_outcome]
    rest = [v for v in m.basic_RVs if v is not statements]

    def lp(rvs, values):
        return float(m.compile_logp(vars=rvs)(values))

    assert lp(rest, mirror) == pytest.approx(lp(rest, point), rel=1e-9)
    assert abs(lp([statements], mirror) - lp([statements], point)) > 1e-3
    assert mirror_point(model, mirror).keys() == point.keys()
    for k in point:  # reflecting twice is the identity
        np.testing.assert_allclose(mirror_point(model, mirror)[k], point[k])
    if innovations != "none":  # the innovations reflect with u_R and beta_R
        np.testing.assert_allclose(mirror["z_innovation"], -point["z_innovation"])


def test_a_spec_without_a_latent_effect_has_no_mirror(skeleton):
    model = AllianceModel.from_spec("burden", skeleton, "weak")
    assert not has_mirror(model)
    with pytest.raises(ValueError, match="no sign symmetry"):
        mirror_point(model, model.pymc_model.initial_point())


@pytest.mark.slow
def test_mode_start_climbs_out_of_the_reversed_mode(skeleton, monkeypatch):
    """Started at the mirror image of the mode, it still returns the main mode's start."""
    model = _model(skeleton, correlated=False, centered=False)
    m = model.pymc_model
    mode = climb(model, m.initial_point())
    logp = m.compile_logp()
    reversed_start = mirror_point(model, mode)
    monkeypatch.setattr(m, "initial_point", lambda *a, **k: reversed_start)
    start, record = mode_start(model)
    best = max(record["logp_mode"], record["logp_mirror_mode"])
    assert best >= float(logp(mode)) - 0.01  # the record rounds to 0.01
    chosen = mirror_point(model, reversed_start) if record["chosen"] == "mirror" else None
    assert record["chosen"] in {"mode", "mirror"}
    # the start keeps the main mode's signs of the latent's structural slopes
    np.testing.assert_array_equal(np.sign(start["beta_reassure"]),
                                  np.sign(mode["beta_reassure"]))
    assert chosen is None or chosen.keys() == reversed_start.keys()


def test_unknown_init_is_refused(skeleton):
    model = _model(skeleton, correlated=False, centered=False)
    with pytest.raises(FitError, match="unknown init 'best'"):
        fit_model(model, draws=10, tune=10, chains=1, init="best")


@pytest.mark.slow
def test_fit_from_the_mode_records_the_start(skeleton):
    model = _model(skeleton, correlated=False, centered=False)
    fit = fit_model(model, draws=100, tune=150, chains=2, random_seed=4, prior_draws=0,
                    predictive=False, init="mode", max_restarts=0)
    init = fit.info["init"]
    assert init["kind"] == "mode" and init["chosen"] in {"mode", "mirror"}
    assert init["logp_mirror_mode"] is not None
    assert fit.idata["posterior"].sizes["draw"] == 100
