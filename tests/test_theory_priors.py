"""Hypothesis registry, derived priors and the `theory` CLI."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.errors import TheoryError
from bayes_alliance.resources import models_path
from bayes_alliance.theory import (
    HYPOTHESES,
    PRIMITIVE_NAMES,
    QUANTITIES,
    PrimitivePrior,
    Primitives,
    check_hypotheses,
    derive_priors,
    skeptical_toml,
    write_priors,
)
from bayes_alliance.theory.priors import joint_terms, load_weak

runner = CliRunner()
SMALL = {"draws": 12_000, "worlds": 60}


@pytest.fixture(scope="module")
def shipped() -> dict:
    return tomllib.loads(models_path("priors", "theory.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def default_priors():
    return derive_priors()


# ---------------------------------------------------------------- registry


def test_registry_is_well_formed() -> None:
    ids = [h.id for h in HYPOTHESES]
    assert len(set(ids)) == len(ids)
    assert {"H1", "H2", "H6", "H7", "H10", "H13"} <= set(ids)
    terms = joint_terms()
    for h in HYPOTHESES:
        assert h.sign in (1, -1) and h.statement and h.origin
        assert h.outcome in QUANTITIES
        for part in h.driver.split(":"):
            assert part in (*PRIMITIVE_NAMES, "reassurance"), h.id
        if h.coefficient is not None:
            outcome, term = h.coefficient.removeprefix("beta[").removesuffix("]").split(", ")
            assert term in terms[outcome], h.coefficient
            assert QUANTITIES[h.outcome] == outcome, h.id
            assert h.scale == "link"


def test_registry_covers_the_issue() -> None:
    want = {
        ("reassurance", "outside_option", 1), ("reassurance", "exit_cost", 1),
        ("effort", "threat", 1), ("effort", "retrench", 1), ("effort", "reassurance", -1),
        ("exit", "reassurance", -1), ("effort", "threat:retrench", 1),
    }
    have = {(h.outcome, h.driver, h.sign) for h in HYPOTHESES}
    assert want <= have
    by_id = {h.id: h for h in HYPOTHESES}
    assert by_id["H6"].regime == "conditional" and by_id["H10"].regime == "unconditional"


@pytest.mark.parametrize("seed", [20180501, 7])
def test_every_hypothesis_holds_over_the_prior(seed: int) -> None:
    checks = check_hypotheses(draws=3000, random_seed=seed)
    for c in checks:
        h = c.hypothesis
        assert c.computed_sign == h.sign, (h.id, c.mean)
        assert c.share_among_responsive >= 0.75, (h.id, c.share_among_responsive)
        assert c.share_zero <= 0.5, (h.id, c.share_zero)
        assert c.holds


# ---------------------------------------------------------------- priors


def test_derived_means_have_the_hypotheses_signs(default_priors) -> None:
    by_sel = {c.selector: c for c in default_priors.coefficients}
    for h in HYPOTHESES:
        if h.coefficient is not None:
            c = by_sel[h.coefficient]
            assert c.hypothesis == h.id
            assert c.mean * h.sign > 0, (h.id, c.mean)
    # plausible magnitudes on the link scales
    means = [abs(c.mean) for c in default_priors.coefficients]
    assert max(means) < 1.5 and sum(m < 1 for m in means) >= len(means) - 1


def test_priors_are_reproducible_bit_for_bit() -> None:
    a = derive_priors(seed=3, **SMALL).to_toml()
    b = derive_priors(seed=3, **SMALL).to_toml()
    assert a == b
    assert derive_priors(seed=4, **SMALL).to_toml() != a


def test_shipped_theory_file_is_the_default_derivation(default_priors) -> None:
    text = models_path("priors", "theory.toml").read_text(encoding="utf-8")
    assert text == default_priors.to_toml()


def test_shipped_settings_reproduce_the_file(shipped: dict) -> None:
    s = shipped["settings"]
    prior = PrimitivePrior.from_dict(s["primitive_prior"])
    assert prior == PrimitivePrior()
    again = derive_priors(seed=s["seed"], draws=s["draws"], worlds=s["worlds"],
                          confidence=s["confidence"], prior=prior)
    assert again.to_toml() == models_path("priors", "theory.toml").read_text(encoding="utf-8")


def test_shipped_skeptical_file_is_generated() -> None:
    assert models_path("priors", "skeptical.toml").read_text(encoding="utf-8") == skeptical_toml()


def test_theory_file_extends_weak(shipped: dict) -> None:
    weak = load_weak()
    for sel, prior in weak.items():
        assert shipped["priors"][sel] == prior, sel
    mapped = {h.coefficient for h in HYPOTHESES if h.coefficient}
    theory_cells = set(shipped["priors"]) - set(weak)
    assert theory_cells == mapped
    for sel in theory_cells:
        p = shipped["priors"][sel]
        assert p["dist"] == "Normal" and p["sigma"] > 0 and p["source"].startswith("H")
    s = shipped["settings"]
    assert s["seed"] == 20180501 and s["draws"] == 100_000 and s["confidence"] == 1.0
    assert set(s["primitive_prior"]) >= set(PRIMITIVE_NAMES)


def test_shipped_prior_sets_resolve_against_the_joint_spec() -> None:
    from bayes_alliance.models.priors import resolve_priors
    from bayes_alliance.models.spec import load_spec

    spec = load_spec("joint")
    for name in ("theory", "skeptical"):
        resolved = resolve_priors(spec, name)
        assert resolved.cells["beta"][("exit", "reassurance")].source
        assert resolved.prior_set.name == name


def test_confidence_widens_the_prior_sd() -> None:
    one = derive_priors(seed=5, confidence=1.0, **SMALL)
    half = derive_priors(seed=5, confidence=0.5, **SMALL)
    for a, b in zip(one.coefficients, half.coefficients, strict=True):
        assert a.mean == b.mean and a.sd == b.sd
        assert b.sigma == pytest.approx(2 * a.sigma)
        assert a.sigma >= a.sd
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(TheoryError, match="confidence"):
            derive_priors(confidence=bad, **SMALL)
    with pytest.raises(TheoryError, match="worlds"):
        derive_priors(draws=100, worlds=50)


def test_write_priors_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "theory.toml"
    tp = derive_priors(seed=1, **SMALL)
    write_priors(target, priors=tp)
    with pytest.raises(FileExistsError):
        write_priors(target, priors=tp)
    write_priors(target, priors=tp, force=True)
    assert target.read_text(encoding="utf-8") == tp.to_toml()


# ---------------------------------------------------------------- CLI


def test_cli_solve_table_and_json() -> None:
    res = runner.invoke(app, ["theory", "solve", "--conditional", "--statics"])
    assert res.exit_code == 0, res.output
    assert "reassurance" in res.output and "derivative" in res.output
    res = runner.invoke(app, ["theory", "solve", "--threat", "0.8", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["primitives"]["threat"] == 0.8
    assert 0 <= payload["equilibrium"]["effort"] <= 1
    defaults = json.loads(runner.invoke(app, ["theory", "solve", "--json"]).stdout)
    for name, value in Primitives().to_dict().items():
        assert defaults["primitives"][name] == value.item(), name


@pytest.mark.parametrize(("args", "name"), [(["--effort-cost", "-1"], "effort_cost"),
                                            (["--retrench", "1.5"], "retrench"),
                                            (["--threat", "nan"], "threat")])
def test_cli_bad_primitive_is_one_line_error(args: list[str], name: str) -> None:
    res = runner.invoke(app, ["theory", "solve", *args])
    assert res.exit_code == 1
    assert f"error: primitive '{name}'" in res.output
    assert "Traceback" not in res.output


def test_cli_hypotheses() -> None:
    res = runner.invoke(app, ["theory", "hypotheses", "--draws", "1000", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["id"] for r in rows] == [h.id for h in HYPOTHESES]
    assert all(r["holds"] for r in rows)
    res = runner.invoke(app, ["theory", "hypotheses", "--draws", "1000"])
    assert "All hypotheses hold" in res.output


def test_cli_priors_show_write_and_force(tmp_path: Path) -> None:
    out = tmp_path / "p.toml"
    base = ["theory", "priors", "--draws", "6000", "--worlds", "30", "--seed", "2"]
    res = runner.invoke(app, [*base, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["written"] is None
    assert runner.invoke(app, [*base, "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, [*base, "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    assert runner.invoke(app, [*base, "--out", str(out), "--force"]).exit_code == 0
    assert tomllib.loads(out.read_text(encoding="utf-8"))["settings"]["seed"] == 2
    bad = runner.invoke(app, [*base, "--confidence", "0"])
    assert bad.exit_code == 1 and "confidence" in bad.output


def test_cli_figure(tmp_path: Path) -> None:
    out = tmp_path / "statics.png"
    res = runner.invoke(app, ["theory", "figure", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert runner.invoke(app, ["theory", "figure", "--out", str(out)]).exit_code == 1
