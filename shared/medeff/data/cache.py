"""A small on-disk cache for generated arrays (``me.cache_dir()``, env ``MEDEFF_CACHE``).

Explained in: lecture A (data), "Caching".

A cache file is an uncompressed ``.npz`` whose name encodes the kind of data, the
generation parameters and a version, e.g. ``phantom_v1_depth32_n60_seed0_size96.npz``.
It also stores those parameters inside (key ``__meta__``), with a hash of the data
package's source, so a file made by other generator code (an edit without a version
bump) is regenerated too; a file that cannot be read, lacks a key, or whose stored
parameters differ is regenerated, never trusted. Files are
written to a temporary name and renamed, so an interrupted run leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import numpy as np

from ..config import cache_dir

META_KEY = "__meta__"


def cache_path(kind: str, version: int, params: Mapping[str, object]) -> Path:
    """The cache file for ``kind`` generated with ``params`` by code version ``version``.

    Explained in: lecture A, "Caching".
    """
    parts = [f"{k}{params[k]}" for k in sorted(params)]
    safe = "_".join([kind, f"v{version}", *parts])
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in safe)
    return cache_dir() / f"{safe}.npz"


@cache
def _generator_source() -> str:
    from ..model_cache import source_fingerprint

    return source_fingerprint(Path(__file__).resolve().parent)


def _meta(kind: str, version: int, params: Mapping[str, object]) -> str:
    return json.dumps(
        {
            "kind": kind,
            "version": version,
            "params": {k: params[k] for k in sorted(params)},
            "source": _generator_source(),
        },
        sort_keys=True,
    )


def load_cached(path: Path, meta: str, keys: tuple[str, ...] = ()) -> dict[str, np.ndarray] | None:
    """Arrays of a cache file, or None when it is missing, corrupt or made differently."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if META_KEY not in data.files or str(data[META_KEY]) != meta:
                return None
            arrays = {k: data[k] for k in data.files if k != META_KEY}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if any(k not in arrays for k in keys):
        return None
    return arrays


def save_cached(path: Path, meta: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` (and the metadata) atomically to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp.npz", dir=path.parent)
    os.close(fd)
    try:
        np.savez(tmp, **{META_KEY: np.array(meta)}, **arrays)
        # mkstemp makes the file private (0600); the cache is shared read-only data, also
        # with the sandboxed grading kernels that run as another user
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cached(
    kind: str,
    version: int,
    params: Mapping[str, object],
    build: Callable[[], Mapping[str, np.ndarray]],
    keys: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """Load ``kind`` from the cache or ``build()`` it and store it; return the arrays.

    ``keys`` lists arrays that must be present for a cache file to count as valid.
    Explained in: lecture A, "Caching".
    """
    path = cache_path(kind, version, params)
    meta = _meta(kind, version, params)
    arrays = load_cached(path, meta, keys)
    if arrays is not None:
        return arrays
    arrays = {k: np.asarray(v) for k, v in build().items()}
    try:
        save_cached(path, meta, arrays)
    except OSError:  # read-only or full disk: still usable, just not cached
        pass
    return arrays
