"""The documentation ships with the package: no shipped text points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bayes_alliance.scenarios import available_scenarios, load_scenario
from bayes_alliance.theory.hypotheses import HYPOTHESES

REPO_ROOT = Path(__file__).resolve().parents[1]
#: what a user gets: the package, the model and scenario files, the data, the docs
SHIPPED = ("bayes_alliance", "models", "data", "docs", "README.md", "reports/README.md",
           "reports/validation")
TEXT_SUFFIXES = {".py", ".toml", ".md", ".csv", ".json", ".txt", ".html", ".css", ".js",
                 ".yaml", ".yml", ".cfg", ".ini", ".j2"}
#: documents of the project workspace that are not part of the repository
OUTSIDE = re.compile(r"DOMAIN\.md|DESIGN\.md|STACK\.md|STYLE\.md")
DOCS = REPO_ROOT / "docs"


def _shipped_files() -> list[Path]:
    files = []
    for name in SHIPPED:
        root = REPO_ROOT / name
        found = [root] if root.is_file() else sorted(root.rglob("*"))
        files += [p for p in found if p.is_file() and p.suffix in TEXT_SUFFIXES
                  and "__pycache__" not in p.parts]
    return files


def test_no_shipped_text_points_to_workspace_documents() -> None:
    hits = []
    for path in _shipped_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(REPO_ROOT)}:{number}")
    assert not hits, "shipped text cites documents that are not in the repository: " + \
        ", ".join(hits[:20]) + (f" (and {len(hits) - 20} more)" if len(hits) > 20 else "")


def test_cited_docs_exist() -> None:
    cited = set()
    for path in _shipped_files():
        cited |= set(re.findall(r"docs/[\w-]+\.md", path.read_text(errors="replace")))
    assert cited, "nothing cites docs/"
    missing = sorted(c for c in cited if not (REPO_ROOT / c).is_file())
    assert not missing, f"cited but not in the repository: {missing}"


def _theory_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (DOCS / "theory.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and re.fullmatch(r"H\d+", cells[0]):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("h", HYPOTHESES, ids=lambda h: h.id)
def test_theory_doc_agrees_with_the_registry(h) -> None:
    """Every registry hypothesis has its row in docs/theory.md, with the same sign
    and coefficient and a source."""
    row = _theory_rows().get(h.id)
    assert row is not None, f"{h.id} missing from docs/theory.md"
    _, _, _, sign, coefficient, statement, source = row
    assert sign == ("+" if h.sign > 0 else "-")
    assert (coefficient.strip("`") == h.coefficient) or (h.coefficient is None
                                                         and "none" in coefficient)
    assert statement == h.statement
    assert source


def test_every_preset_has_its_episode_documented() -> None:
    episodes = (DOCS / "episodes.md").read_text()
    for name in available_scenarios():
        assert f"(`{name}`)" in episodes, f"docs/episodes.md has no section on {name}"
        assert "docs/episodes.md" in load_scenario(name).description
