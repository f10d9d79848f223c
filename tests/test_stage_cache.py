"""A stage's committed output is reused exactly while the inputs in its key are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from bayes_alliance.replication import load_config
from bayes_alliance.stage_cache import (
    STAGE_FILE,
    committed_stage,
    out_of_sample_key,
    robustness_key,
    write_stage,
)


def _committed(folder: Path, key: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text("{}", encoding="utf-8")
    write_stage(folder, key, {"status": "run", "wall_seconds": 3.0})


def test_robustness_stage_is_reused_only_with_the_same_key(tmp_path: Path) -> None:
    stage = load_config().robustness
    key = robustness_key(stage)
    assert len(key["cells"]) == 15 and {c["init"] for c in key["cells"].values()} == {"mode"}
    assert key["settings"]["draws"] == stage["draws"]          # the config's override counts
    folder = tmp_path / "robustness"
    assert committed_stage(folder, key) == (None, f"no committed output in {folder}")
    _committed(folder, key)
    assert committed_stage(folder, robustness_key(stage)) == (
        {"status": "run", "wall_seconds": 3.0}, "")
    record, why = committed_stage(folder, robustness_key({**stage, "draws": 1000}))
    assert record is None and why.endswith("(settings)")
    record, why = committed_stage(folder, robustness_key({**stage, "fake_data": False}))
    assert record is None and why.endswith("(fake_data)")


def test_out_of_sample_key_covers_priors_panel_and_settings(tmp_path: Path) -> None:
    cfg = load_config()
    key = out_of_sample_key(cfg.out_of_sample, cfg.panel)
    folder = tmp_path / "oos"
    _committed(folder, key)
    assert committed_stage(folder, out_of_sample_key({**cfg.out_of_sample, "workers": 8},
                                                     cfg.panel))[0] is not None
    for change, part in (({"priors": "weak"}, "priors"), ({"draws": 10}, "settings")):
        record, why = committed_stage(folder, out_of_sample_key({**cfg.out_of_sample, **change},
                                                                cfg.panel))
        assert record is None and why.endswith(f"({part})")
    record, why = committed_stage(folder, out_of_sample_key(cfg.out_of_sample, "default"))
    assert record is None and why.endswith("(panel)")


def test_an_unreadable_stage_file_is_rerun_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "summary.json").write_text("{}", encoding="utf-8")
    (folder / STAGE_FILE).write_text(json.dumps({"key": {}}), encoding="utf-8")
    record, why = committed_stage(folder, {"stage": "x"})
    assert record is None and "is not a stage record" in why
