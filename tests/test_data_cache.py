"""Caching of generated data: reuse, identical regeneration, corrupt files (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest

from medeff import data as md


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path / "cache"))


def _files(kind: str) -> list:
    import medeff as me

    return sorted(me.cache_dir().glob(f"{kind}_*.npz"))


def test_cohort_is_cached_and_reused():
    a = md.phantom_cohort(3, seed=5, depth=8, size=48)
    files = _files("phantom")
    assert len(files) == 1
    name = files[0].name
    for part in (f"v{md.phantom.PHANTOM_VERSION}", "n3", "seed5", "depth8", "size48"):
        assert part in name, f"cache name {name} does not encode {part}"
    mtime = files[0].stat().st_mtime_ns
    b = md.phantom_cohort(3, seed=5, depth=8, size=48)
    assert files[0].stat().st_mtime_ns == mtime, "the cached file was rewritten"
    for key in ("images", "labels", "case_seeds"):
        np.testing.assert_array_equal(a[key], b[key])
    assert a["images"].dtype == np.int16 and a["images"].shape == (3, 8, 48, 48)


def test_regenerating_gives_identical_arrays():
    a = md.phantom_cohort(2, seed=1, depth=8, size=48)
    for f in _files("phantom"):
        f.unlink()
    b = md.phantom_cohort(2, seed=1, depth=8, size=48)
    np.testing.assert_array_equal(a["images"], b["images"])
    np.testing.assert_array_equal(a["labels"], b["labels"])


@pytest.mark.parametrize("damage", ["garbage", "truncate", "foreign"])
def test_corrupt_cache_file_is_regenerated(damage):
    a = md.phantom_cohort(2, seed=2, depth=8, size=48)
    (path,) = _files("phantom")
    if damage == "garbage":
        path.write_bytes(b"not an npz at all")
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:  # a valid npz of other data under the right name: not trusted either
        np.savez(path, images=np.zeros((2, 8, 48, 48), np.int16))
    b = md.phantom_cohort(2, seed=2, depth=8, size=48)
    np.testing.assert_array_equal(a["images"], b["images"])
    np.testing.assert_array_equal(a["labels"], b["labels"])
    c = md.phantom_cohort(2, seed=2, depth=8, size=48)  # and the repaired file is valid
    np.testing.assert_array_equal(a["labels"], c["labels"])


def test_cached_helper_checks_keys():
    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(3)}

    md.cached("toy", 1, {"k": 1}, build, keys=("x",))
    md.cached("toy", 1, {"k": 1}, build, keys=("x",))
    assert len(calls) == 1
    md.cached("toy", 2, {"k": 1}, build, keys=("x",))  # new version: new file
    md.cached("toy", 1, {"k": 1}, build, keys=("x", "y"))  # missing key: rebuild
    assert len(calls) == 3


def test_a_file_made_by_other_generator_code_is_regenerated(monkeypatch):
    # an edit of the generator without a version bump (it happened while tuning the
    # kidney tumours) must not return the old arrays
    from medeff.data import cache

    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(3)}

    md.cached("toy", 1, {"k": 1}, build, keys=("x",))
    monkeypatch.setattr(cache, "_generator_source", lambda: "edited-phantom-py")
    md.cached("toy", 1, {"k": 1}, build, keys=("x",))
    md.cached("toy", 1, {"k": 1}, build, keys=("x",))
    assert len(calls) == 2


def test_cache_files_are_readable_by_other_users(tmp_path):
    import stat

    from medeff.data.cache import save_cached

    path = tmp_path / "x.npz"
    save_cached(path, "meta", {"a": np.zeros(3)})
    assert stat.S_IMODE(path.stat().st_mode) & 0o044 == 0o044
