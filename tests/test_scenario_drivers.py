"""The coefficients a scenario's effects rest on (scenarios/drivers.py), on planted draws."""

import json

import pytest

from bayes_alliance.errors import ScenarioError
from bayes_alliance.models.spec import load_spec
from bayes_alliance.scenarios.drivers import (
    IDENTIFICATION_LABELS,
    UNCHECKED,
    driver_terms,
    drivers_note,
    read_identification,
    scenario_drivers,
)


def test_troop_cut_acts_directly_and_not_through_latent():
    spec = load_spec("joint")
    got = driver_terms(spec, {"us_troops"}, shifts_latent=False)
    assert got == [("milex", "us_troops", "direct (us_troops)"),
                   ("intervene", "us_troops", "direct (us_troops)"),
                   ("exit", "us_troops", "direct (us_troops)")]


def test_retrenchment_moves_latent_and_every_reassurance_term():
    spec = load_spec("joint")
    got = {(o, t): c for o, t, c in driver_terms(spec, {"retrench"}, shifts_latent=False)}
    assert got[("reassure", "retrench")].startswith("into latent")
    assert got[("milex", "reassurance:retrench")] == "direct (retrench)"
    assert got[("milex", "threat:retrench")] == "direct (retrench)"
    assert got[("milex", "reassurance")] == "through latent reassurance"
    assert got[("exit", "reassurance")] == "through latent reassurance"
    assert ("exit", "us_troops") not in got


def test_latent_shift_alone_acts_through_reassurance_terms_only():
    spec = load_spec("joint")
    got = driver_terms(spec, set(), shifts_latent=True)
    assert {t for _, t, _ in got} == {"reassurance", "reassurance:retrench"}


def test_drivers_summarise_posterior_and_carry_labels(known_joint_fit):
    fit = known_joint_fit
    post = fit.idata["posterior"]
    d = scenario_drivers(fit.spec, post, {"us_troops", "retrench"}, False,
                         {"beta[milex, us_troops]": "not identified"}).set_index("coefficient")
    draws = post["beta_milex"].sel(term_milex="us_troops").values.ravel()
    row = d.loc["beta[milex, us_troops]"]
    assert row["mean"] == pytest.approx(draws.mean())
    assert row["p_positive"] == pytest.approx((draws > 0).mean())
    assert row["lo"] < row["mean"] < row["hi"]
    assert row["identification"] == "not identified"
    assert d.loc["beta[exit, us_troops]", "identification"] == UNCHECKED
    assert "beta[reassure, retrench]" in d.index  # retrenchment reaches the latent intensity
    note = drivers_note(d.reset_index())
    assert "NOT IDENTIFIED" in note and "beta[milex, us_troops]" in note
    assert "not identified" not in (drivers_note(d.reset_index().assign(
        identification=UNCHECKED)) or "").lower()


def test_note_without_drivers_is_none():
    import pandas as pd

    assert drivers_note(pd.DataFrame()) is None


# ---------------------------------------------------------------- labels from a committed file


def labels_file(tmp_path, labels):
    """A robustness grid's summary.json with only its identification labels."""
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"grid": "tiny.toml", IDENTIFICATION_LABELS: labels}),
                    encoding="utf-8")
    return path


def test_labels_are_read_from_a_grid_summary_and_bad_files_say_what_to_pass(
        tmp_path, known_joint_fit):
    path = labels_file(tmp_path, {"beta[milex, us_troops]": "not identified",
                                   "beta[exit, us_troops]": "identified"})
    assert read_identification(path) == {"beta[milex, us_troops]": "not identified",
                                         "beta[exit, us_troops]": "identified"}
    post = known_joint_fit.idata["posterior"]
    d = scenario_drivers(known_joint_fit.spec, post, {"us_troops"}, False,
                         read_identification(path)).set_index("coefficient")
    assert d.loc["beta[milex, us_troops]", "identification"] == "not identified"
    assert d.loc["beta[intervene, us_troops]", "identification"] == UNCHECKED
    with pytest.raises(ScenarioError, match="does not exist"):
        read_identification(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not readable JSON"):
        read_identification(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text('{"verdicts": {"H25": "supported"}}', encoding="utf-8")
    with pytest.raises(ScenarioError, match="no 'identification_labels' table"):
        read_identification(tmp_path / "other.json")
