"""The report on strategic fits, and the Korea scenarios' reduced-form vs structural table."""

from __future__ import annotations

import dataclasses
import html
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.errors import ScenarioError
from bayes_alliance.scenarios import load_scenario
from bayes_alliance.scenarios.definition import parse_scenario

KOREA = ("nixon-1971-korea", "carter-1977-korea")


@pytest.mark.parametrize("name", KOREA)
def test_korea_presets_carry_their_history(name):
    scenario = load_scenario(name)
    history = dict(scenario.history)
    assert history["ally"] == "ROK"
    assert {"spending", "exit", "troops", "sources"} <= set(history)
    again = parse_scenario(scenario.to_raw(), where=scenario.source)
    assert again == scenario


def _raw(**history):
    raw = load_scenario("carter-1977-korea").to_raw()
    raw["history"] = history
    return raw


@pytest.mark.parametrize(("history", "message"), [
    ({"ally": "ROK", "spendng": "x"}, "unknown key(s) spendng in [history]"),
    ({"spending": "x"}, "[history] needs 'ally'"),
    ({"ally": "ROK", "exit": ""}, "history.exit must be a non-empty string"),
    ({"ally": "ROK", "exit": 3}, "history.exit must be a non-empty string"),
])
def test_history_errors_name_the_key(history, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        parse_scenario(_raw(**history), where="my.toml")


def test_history_is_optional():
    raw = _raw(ally="ROK")
    del raw["history"]
    assert parse_scenario(raw).history == ()


@pytest.mark.slow
def test_report_on_a_strategic_fit_alone(tiny_strategic_fit, tmp_path):
    """A strategic run reports: structural hypotheses shown, inapplicable sections skipped."""
    res, path = tiny_strategic_fit
    assert res.exit_code == 0, res.output
    out = tmp_path / "report"
    r = CliRunner().invoke(app, ["report", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert re.search(r"S1 \(run, structural\): contrast -?[0-9.]+, P\(predicted\) [0-9.]+",
                     r.output)
    page = html.unescape((out / "index.html").read_text())
    assert "Traceback" not in r.output
    for section in ("Ally random effects", "Measurement of latent reassurance"):
        assert re.search(rf"<h2>{section}</h2>.*?Skipped: run 'run' is strategic", page, re.S)
    assert "Skipped the reduced-form hypotheses: every run is strategic" in page
    assert "Skipped the rank-ECDF plots: run 'run' has one chain" in page
    hyp = pd.read_csv(out / "tables" / "structural_hypotheses_run.csv")
    assert list(hyp["id"]) == ["S1", "S2"] and hyp["p_predicted"].between(0, 1).all()
    links = pd.read_csv(next((out / "tables").glob("spec_strategic_*_links.csv")))
    assert "threat" in set(links["primitive"])


@pytest.mark.slow
def test_korea_comparison_sets_both_models_beside_history(tiny_korea_joint_fit,
                                                          tiny_strategic_fit, tmp_path):
    """Each Korea scenario: per fit, ROK's predicted spending and exit change, and history."""
    from bayes_alliance.results import FitResult
    from bayes_alliance.scenarios import run_scenario

    _, strategic = tiny_strategic_fit
    out = tmp_path / "report"
    args = ["report", str(tiny_korea_joint_fit), str(strategic), "--out", str(out)]
    for name in KOREA:
        args += ["-s", name]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    html = (out / "index.html").read_text()
    assert "Reduced form and structural, beside what happened" in html
    fits = {"joint": FitResult.load(tiny_korea_joint_fit), "run": FitResult.load(strategic)}
    for i, name in enumerate(KOREA):
        table = pd.read_csv(out / "tables" / f"comparison_{i + 1}_{name.replace('-', '_')}.csv")
        assert set(zip(table["fit"], table["model"], strict=True)) == {
            ("joint", "reduced form"), ("run", "structural")}
        assert len(table) == 4  # two fits x (spending, exit)
        history = dict(load_scenario(name).history)
        for key in ("spending", "exit"):
            rows = table[table["outcome"] == key]
            assert len(rows) == 2
            assert rows["what happened"].str.startswith(history[key]).all()
        # the predicted change is the scenario's ROK effect on that fit, per fit
        for fit_name, fit in fits.items():
            res = run_scenario(fit, name)
            s = res.summary
            want = s[(s["outcome"] == "milex") & (s["ally"] == "ROK") & (s["year"] == "all")]
            got = table[(table["fit"] == fit_name)
                        & (table["outcome"] == "spending")].iloc[0]
            mean = float(got["predicted change"].split(" [")[0])
            assert mean == pytest.approx(float(want["effect_mean"].iloc[0]), rel=1e-2)
            assert got["P(increase)"] == pytest.approx(float(want["p_increase"].iloc[0]))


def test_history_survives_with_value():
    """Sweeps rebuild scenarios with dataclasses.replace: the history stays attached."""
    s = load_scenario("nixon-1971-korea")
    assert s.with_value("us_troops.scale", 0.5).history == s.history
    assert dataclasses.replace(s, start=1972).history == s.history
