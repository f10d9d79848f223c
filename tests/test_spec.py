"""Spec and prior-set validation."""

from __future__ import annotations

import numpy as np
import pytest

import bayes_alliance as ba
from bayes_alliance.models.priors import load_prior_set, resolve_priors
from bayes_alliance.models.spec import (
    check_spec_against_panel,
    check_terms_against_panel,
    load_spec,
    parse_spec,
)


def raw_spec(**over):
    spec = {"name": "t", "outcomes": [
        {"name": "milex", "column": "milex_gdp", "family": "lognormal_t",
         "terms": ["threat", "reassurance"]},
        {"name": "reassure", "column": "reassure", "family": "negative_binomial",
         "exposure": "exposure", "terms": ["exit_capacity"]}]}
    spec.update(over)
    return spec


def test_shipped_specs_load():
    for name in ("joint", "joint-real", "joint-real-time", "reassurance", "burden"):
        spec = load_spec(name)
        assert spec.name == name and spec.outcomes


def test_joint_spec_declares_the_design():
    spec = load_spec("joint")
    assert spec.outcome_names == ("reassure", "milex", "intervene", "exit")
    assert spec.outcome("milex").latent_terms == ("reassurance", "reassurance:retrench")
    assert spec.transform("us_troops") == "log1p" and spec.correlated


def test_unknown_top_level_key_lists_valid_keys():
    with pytest.raises(ba.SpecError, match="unknown key 'outcome' .*did you mean 'outcomes'"):
        parse_spec({**raw_spec(), "outcome": []}, where="x")


def test_unknown_family_lists_valid_families():
    spec = raw_spec()
    spec["outcomes"][0]["family"] = "gaussian"
    with pytest.raises(ba.SpecError, match="unknown family 'gaussian'.*negative_binomial"):
        parse_spec(spec, where="x")


def test_unknown_term_lists_covariates():
    spec = raw_spec()
    spec["outcomes"][0]["terms"] = ["thread"]
    with pytest.raises(ba.SpecError, match="'thread' is not in the panel \\(did you mean "
                                           "'threat'\\?\\); numeric columns: .*us_troops"):
        check_terms_against_panel(parse_spec(spec, where="x"), ba.load_panel("default"))


def test_numeric_user_column_is_a_predictor():
    """A panel column outside the named covariates enters a term with its own transform."""
    from bayes_alliance.models.model import AllianceModel

    spec = raw_spec(covariates={"gdp": "log"})
    spec["outcomes"][0]["terms"] = ["threat", "gdp", "gdp:threat", "reassurance"]
    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(["GFR", "JPN", "ROK", "TUR"])].assign(
        arms_imports=lambda f: np.arange(len(f), dtype=float) % 7)
    spec["outcomes"][1]["terms"] = ["exit_capacity", "arms_imports"]
    model = AllianceModel.from_spec(parse_spec(spec, where="x"), frame, priors="weak")
    assert model.spec.covariates_used() == ("threat", "exit_capacity", "gdp", "arms_imports")
    sc = model.scaling.to_dict()
    assert sc["gdp"]["transform"] == "log" and sc["arms_imports"]["transform"] == "identity"
    np.testing.assert_allclose(sc["gdp"]["mean"], np.log(model.panel.frame["gdp"]).mean())
    assert list(model.pymc_model.coords["xterm_milex"]) == ["threat", "gdp", "gdp:threat"]


@pytest.mark.parametrize("column, message", [
    ("region", "term column 'region' is not numeric"),
    ("nothing_here", "term column 'nothing_here' is not in the panel"),
    ("milex_gdp", "term column 'milex_gdp' is an outcome"),
    ("patchy", "term column 'patchy' has 1 missing value\\(s\\) \\(row index 2\\)"),
])
def test_bad_term_column_is_a_spec_error(column, message):
    from bayes_alliance.models.model import AllianceModel

    spec = raw_spec()
    spec["outcomes"][1]["terms"] = ["exit_capacity", column]
    frame = ba.load_panel("default").frame.head(200).assign(region="europe", patchy=1.0)
    frame.loc[2, "patchy"] = np.nan
    with pytest.raises(ba.SpecError, match=message):
        AllianceModel.from_spec(parse_spec(spec, where="x"), frame, priors="weak")


def test_latent_term_needs_latent_outcome():
    spec = raw_spec()
    spec["outcomes"] = spec["outcomes"][:1]
    with pytest.raises(ba.SpecError, match="latent outcome 'reassure' is not an outcome"):
        parse_spec(spec, where="x")


def test_unknown_column_is_rejected_against_panel():
    spec = raw_spec()
    spec["outcomes"][0]["column"] = "milex_share"
    with pytest.raises(ba.SpecError, match="column 'milex_share' is not in the panel"):
        check_spec_against_panel(parse_spec(spec, where="x"), ba.load_panel("default"))


def test_family_must_fit_column():
    spec = raw_spec()
    spec["outcomes"][0]["family"] = "bernoulli"
    with pytest.raises(ba.SpecError, match="needs binary values.*families that fit it: "
                                           "lognormal_t, lognormal"):
        check_spec_against_panel(parse_spec(spec, where="x"), ba.load_panel("default"))


def test_missing_spec_names_shipped_ones(tmp_path):
    with pytest.raises(ba.SpecError, match="no spec called 'jiont' \\(did you mean 'joint'\\?\\); "
                                           "shipped: burden, joint, joint-real, "
                                           "joint-real-dynamic, joint-real-measured, "
                                           "joint-real-time, joint-within, "
                                           "reassurance"):
        load_spec("jiont")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    with pytest.raises(ba.SpecError, match="not valid TOML"):
        load_spec(bad)


def test_most_specific_prior_selector_wins(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("""
name = "p"
[priors]
"intercept" = { dist = "Normal", mu = 0.0, sigma = 2.0 }
"beta" = { dist = "Normal", mu = 0.0, sigma = 1.0 }
"beta[milex]" = { dist = "Normal", mu = 0.0, sigma = 0.5 }
"beta[milex, threat]" = { dist = "Normal", mu = 0.3, sigma = 0.1 }
"beta[exit, threat]" = { dist = "Normal", mu = 0.3, sigma = 0.1 }
"sd_ally" = { dist = "HalfNormal", sigma = 1.0 }
"phi" = { dist = "Gamma", alpha = 2.0, beta = 0.2 }
"sigma" = { dist = "HalfNormal", sigma = 0.5 }
"nu" = { dist = "Gamma", alpha = 2.0, beta = 0.1 }
""")
    spec = parse_spec(raw_spec(), where="x")
    resolved = resolve_priors(spec, path)
    dist, params = resolved.arrays("beta", [("milex", "threat"), ("milex", "reassurance"),
                                            ("reassure", "exit_capacity")])
    assert dist == "Normal"
    np.testing.assert_allclose(params["mu"], [0.3, 0.0, 0.0])
    np.testing.assert_allclose(params["sigma"], [0.1, 0.5, 1.0])
    assert resolved.unused == ["beta[exit, threat]"]


@pytest.mark.parametrize("body, message", [
    ('"betta" = { dist = "Normal", mu = 0.0, sigma = 1.0 }', "unknown parameter 'betta'"),
    ('"beta" = { dist = "Cauchy", mu = 0.0, sigma = 1.0 }', "unknown dist 'Cauchy'"),
    ('"beta" = { dist = "Normal", mu = 0.0 }', "needs parameters"),
    ('"beta" = { dist = "Normal", mu = 0.0, sigma = -1.0 }', "must be > 0"),
    ('"sd_ally" = { dist = "Normal", mu = 0.0, sigma = 1.0 }', "cannot take a Normal prior"),
])
def test_bad_prior_files(tmp_path, body, message):
    path = tmp_path / "p.toml"
    path.write_text(f"[priors]\n{body}\n")
    with pytest.raises(ba.SpecError, match=message):
        load_prior_set(path)


def test_uncovered_cell_is_an_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[priors]\n"beta" = { dist = "Normal", mu = 0.0, sigma = 1.0 }\n')
    with pytest.raises(ba.SpecError, match="no prior for intercept\\[milex\\]"):
        resolve_priors(parse_spec(raw_spec(), where="x"), path)


def test_shipped_prior_sets_cover_every_shipped_spec():
    from bayes_alliance.models.priors import available_prior_sets

    for prior_name in available_prior_sets():
        for spec_name in ("joint", "joint-real", "reassurance", "burden"):
            resolve_priors(load_spec(spec_name), prior_name)


def test_auto_centering_follows_rows_per_ally():
    panel = ba.load_panel("default")
    frame = panel.frame
    assert load_spec("joint").centered == "auto"
    # the default panel: 60 rows per ally, every outcome but intervene observed -> centred
    assert ba.AllianceModel.from_spec("joint", panel).spec.centered is True
    # keep 18 years per ally -> non-centred
    short = frame[frame.groupby("ally", observed=True).cumcount() < 18]
    assert ba.AllianceModel.from_spec("joint", short).spec.centered is False
    # long panel but reassurance observed in 5 rows per ally (as in the real panel)
    sparse = frame.copy()
    sparse.loc[sparse.groupby("ally", observed=True).cumcount() >= 5, "reassure"] = np.nan
    assert ba.AllianceModel.from_spec("joint", sparse).spec.centered is False
    # binary outcomes do not count: intervene is observed in fewer rows
    assert ba.AllianceModel.from_spec("burden", panel).spec.centered is True
    # an explicit choice is kept
    fixed = parse_spec(raw_spec(ally_effects={"centered": False}), where="t")
    assert fixed.centering_for(panel).centered is False


def test_centered_must_be_bool_or_auto():
    with pytest.raises(ba.SpecError, match="centered must be true, false or \"auto\""):
        parse_spec(raw_spec(ally_effects={"centered": "yes"}), where="t")
