"""Saved runs: checksum, spec-hash and version checks, compression (no sampling needed)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayes_alliance as ba
from bayes_alliance.errors import ResultError
from bayes_alliance.results import (
    DIGEST_ATTR,
    META_GROUP,
    SEAL_LENGTH,
    SEAL_PREFIX,
    FitResult,
    content_digest,
)


def known_draws_result() -> FitResult:
    """A FitResult over a 3-ally slice of the default panel with fixed, known draws."""
    import arviz as az

    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(["JPN", "ROK", "UKG"])].reset_index(drop=True)
    model = ba.AllianceModel.from_spec("joint", frame, priors="weak")
    rng = np.random.default_rng(18)
    idata = az.from_dict({
        "posterior": {"beta_milex": rng.normal(size=(2, 30, 3)),
                      "sd_ally": np.abs(rng.normal(size=(2, 30, 4)))},
        "sample_stats": {"diverging": rng.random((2, 30)) < 0.05,
                         "logp": rng.normal(size=(2, 30))},
    }, dims={"beta_milex": ["term_milex"], "sd_ally": ["outcome"]},
        coords={"term_milex": ["threat", "retrench", "us_troops"],
                "outcome": ["reassure", "milex", "intervene", "exit"]})
    info = {"sampler": "none", "draws": 30, "chains": 2, "versions": ba.results.versions()}
    return FitResult(idata=idata, spec=model.spec, panel=model.panel,
                     prior_set=model.priors.prior_set, scaling=model.scaling, info=info)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[FitResult, bytes]:
    path = tmp_path_factory.mktemp("runs") / "known.nc"
    result = known_draws_result()
    result.save(path)
    return FitResult.load(path), path.read_bytes()


def assert_identical(a: FitResult, b: FitResult) -> None:
    assert a.idata.identical(b.idata)
    assert a.panel.frame.equals(b.panel.frame)
    assert a.spec.hash() == b.spec.hash()
    assert a.prior_set.to_dict() == b.prior_set.to_dict()
    assert a.scaling.to_dict() == b.scaling.to_dict()
    assert {k: v for k, v in a.info.items() if k != "load_notes"} == \
        {k: v for k, v in b.info.items() if k != "load_notes"}


def test_round_trip_keeps_everything_and_the_digest(saved, tmp_path):
    loaded, data = saved
    path = tmp_path / "again.nc"
    loaded.save(path)
    assert_identical(FitResult.load(path), loaded)
    with h5py.File(path) as f:
        digest = f[META_GROUP].attrs[DIGEST_ATTR]
        assert f["posterior"]["beta_milex"].compression == "gzip"
    tree = loaded.idata.copy()
    tree[META_GROUP] = loaded._meta_node()
    assert content_digest(tree) == (digest.decode() if isinstance(digest, bytes) else digest)


def test_zeroed_bytes_inside_the_draws_are_caught(saved, tmp_path):
    """Issue 18, finding 2: zeroing bytes mid-file loaded silently with changed draws."""
    _, data = saved
    src = tmp_path / "run.nc"
    src.write_bytes(data)
    with h5py.File(src) as f:
        var = f["posterior"]["beta_milex"]
        chunk = var.id.get_chunk_info(0)
        at, size = chunk.byte_offset, chunk.size
    path = tmp_path / "zeroed.nc"
    for lo, hi in ((at, at + size), (at + size // 2, at + size // 2 + 8)):
        path.write_bytes(data[:lo] + bytes(hi - lo) + data[hi:])
        with pytest.raises(ResultError, match="corrupt"):
            FitResult.load(path)


def _rewrite(src: Path, dst: Path, edit) -> None:
    """Edit a copy with h5py and reseal it, as a tool unaware of the checksum could not."""
    dst.write_bytes(src.read_bytes()[:-SEAL_LENGTH])
    with h5py.File(dst, "r+") as f:
        edit(f)
    digest = hashlib.sha256(dst.read_bytes()).hexdigest()
    with dst.open("ab") as f:
        f.write(SEAL_PREFIX + digest.encode() + b"\n")


def test_seal_missing_or_broken_is_an_error(saved, tmp_path):
    _, data = saved
    path = tmp_path / "run.nc"
    for bad, words in ((data[:-SEAL_LENGTH], "no checksum seal"),
                       (data[:-3] + b"00\n", "corrupt"),
                       (data[:100] + b"\x01" + data[101:], "corrupt")):
        path.write_bytes(bad)
        with pytest.raises(ResultError, match=words):
            FitResult.load(path)


def test_edited_values_spec_and_missing_digest_are_errors(saved, tmp_path):
    loaded, _ = saved
    src = tmp_path / "run.nc"
    loaded.save(src)

    def bump(f):
        f["posterior"]["beta_milex"][0, 0, 0] += 1.0

    def other_spec(f):
        spec = json.loads(f[META_GROUP].attrs["spec"])
        spec["name"] = "edited"
        f[META_GROUP].attrs["spec"] = json.dumps(spec)

    def no_digest(f):
        del f[META_GROUP].attrs[DIGEST_ATTR]

    for edit, words in ((bump, "content checksum"), (other_spec, "content checksum"),
                        (no_digest, "no checksum")):
        dst = tmp_path / f"{edit.__name__}.nc"
        _rewrite(src, dst, edit)
        with pytest.raises(ResultError, match=words):
            FitResult.load(dst)


def test_spec_hash_mismatch_is_an_error_and_versions_a_note(saved, tmp_path, monkeypatch):
    loaded, _ = saved
    monkeypatch.setattr(type(loaded.spec), "hash", lambda self: "0" * 12)
    path = tmp_path / "hash.nc"
    loaded.save(path)  # saved with spec_hash 000..., digest consistent
    monkeypatch.undo()
    with pytest.raises(ResultError, match="spec_hash"):
        FitResult.load(path)
    info = {**loaded.info, "versions": {**loaded.info["versions"], "pymc": "0.0.1"}}
    path = tmp_path / "old.nc"
    dataclasses.replace(loaded, info=info).save(path)
    with pytest.warns(UserWarning, match="pymc 0.0.1"):
        again = FitResult.load(path)
    assert again.info["load_notes"] == [f"fitted with pymc 0.0.1, running "
                                        f"{ba.results.versions()['pymc']}"]


@settings(max_examples=40, deadline=None, print_blob=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.floats(0, 1), length=st.integers(1, 4096),
       fill=st.sampled_from(["zero", "ones", "random"]), seed=st.integers(0, 2**32 - 1))
def test_random_corruption_raises_or_loads_identical_data(saved, tmp_path, start, length, fill,
                                                          seed):
    loaded, data = saved
    at = int(start * (len(data) - 1))
    n = min(length, len(data) - at)
    junk = {"zero": bytes(n), "ones": b"\xff" * n,
            "random": np.random.default_rng(seed).bytes(n)}[fill]
    path = tmp_path / f"corrupt-{at}-{n}-{fill}.nc"
    path.write_bytes(data[:at] + junk + data[at + n:])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = FitResult.load(path)
    except ResultError:
        return
    assert_identical(got, loaded)


def test_cli_shows_version_notes_as_notes(saved, tmp_path, capsys):
    from bayes_alliance.cli._common import load_run

    loaded, _ = saved
    info = {**loaded.info, "versions": {**loaded.info["versions"], "arviz": "0.1"}}
    path = tmp_path / "old.nc"
    dataclasses.replace(loaded, info=info).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_run(path)
    err = capsys.readouterr().err
    assert f"note: {path}: fitted with arviz 0.1" in err and "UserWarning" not in err
