"""What fit_model tells the user while the model compiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bayes_alliance import fit


def test_first_compile_follows_the_numba_cache(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fit, "numba_cache_dir", lambda: tmp_path / "numba")
    assert fit.first_compile()
    assert "first run on this machine" in fit.compile_message("nutpie")
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "piece.nbi").write_bytes(b"")
    assert not fit.first_compile()
    message = fit.compile_message("nutpie")
    assert "first run" not in message and f"about {fit.COMPILE_ESTIMATE_S[1]} s" in message
    assert fit.compile_message("pymc") == "compiling the model for pymc..."
