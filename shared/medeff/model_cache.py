"""Train once, reuse everywhere: a cache of trained weights keyed by what determines them.

Explained in: lecture 01 ("Training on the organ patches": why the same net must show the
same accuracy in every lecture); used by every lecture that trains a network.

A trained network is stored under ``me.cache_dir() / "models"`` with a key made of

* the name and the ``config`` the caller passes (architecture, epochs, learning rate,
  seed, batch size, and a fingerprint of the training data: :func:`data_fingerprint`),
* fast mode (``MEDEFF_FAST``), which shortens training,
* a hash of medeff's whole source, so a change in the training loop, the optimizer, a
  model definition or the data generator never returns stale weights.

Deleting the folder, or passing ``cache=False``, retrains.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import torch
from torch import nn

from ._checks import require_module
from .config import cache_dir, is_fast

PACKAGE = Path(__file__).resolve().parent


# top-level modules that never build, train or feed a network (course tooling, plots,
# timing): editing them keeps every cached net
TOOLING = frozenset(
    {
        "bundle.py",
        "course.py",
        "diagrams.py",
        "grading.py",
        "latency.py",
        "plotting.py",
        "sandbox.py",
        "seed_figures.py",
        "site.py",
        "slides.py",
    }
)


def source_fingerprint(root: Path | None = None) -> str:
    """Hash of the ``.py`` files of the medeff package (or of the folder ``root``) that can
    change trained weights: all of them except the top-level modules in :data:`TOOLING`.

    Training, the optimizer loop, the data pipeline and the models all live in medeff, so
    any change to their source drops the cached weights (a few unnecessary retrains are the
    price of never loading stale ones); editing the site builder or the grading helpers does
    not. The package's own hash is computed once per process. Explained in: lecture 01
    ("Training on the organ patches").
    """
    return _tree_hash(PACKAGE) if root is None else _tree_hash.__wrapped__(Path(root))


@cache
def _tree_hash(base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(base)
        if "__pycache__" in path.parts or rel.as_posix() in TOOLING:
            continue
        digest.update(rel.as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def data_fingerprint(dataset: object) -> str:
    """Hash of a dataset's contents: the tensors of a ``TensorDataset``, else every sample.

    Explained in: lecture 01 ("Training on the organ patches").
    """
    digest = hashlib.sha256()
    tensors = getattr(dataset, "tensors", None)
    if tensors is None:
        try:
            tensors = [t for i in range(len(dataset)) for t in dataset[i]]  # type: ignore[arg-type]
        except TypeError as err:
            raise TypeError(
                f"cannot fingerprint a {type(dataset).__name__}: "
                "pass a Dataset with __len__ and __getitem__"
            ) from err
    for t in tensors:
        t = torch.as_tensor(t)
        digest.update(f"{tuple(t.shape)}{t.dtype}".encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def cache_key(name: str, config: Mapping[str, object]) -> str:
    """The cache key of ``train_cached(name, config, ...)`` (see the module docstring)."""
    full = {"name": name, "config": dict(config), "fast": is_fast(), "source": source_fingerprint()}
    try:
        text = json.dumps(full, sort_keys=True)
    except TypeError as err:
        raise TypeError(
            f"config of {name!r} must be JSON-serialisable (numbers, strings, lists, dicts): {err}"
        ) from err
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def train_cached(
    name: str,
    config: Mapping[str, object],
    build: Callable[[], nn.Module],
    train: Callable[[nn.Module], Mapping[str, object]],
    *,
    cache: bool = True,
) -> tuple[nn.Module, dict]:
    """Return ``(model, record)``: trained by ``train(model)`` once, then loaded from cache.

    ``build()`` makes a fresh model (the same architecture every call); ``train(model)``
    trains it in place and returns a JSON-serialisable record (accuracy, seconds, ...).
    ``config`` must hold everything that determines the weights besides medeff's code
    (see the module docstring). The returned record gains ``"cached": True/False`` and
    the model is in eval mode. Explained in: lecture 01 ("Training on the organ patches").
    """
    key = cache_key(name, config)
    folder = cache_dir() / "models"
    stem = f"{name}-{key}"
    weights, meta = folder / f"{stem}.pt", folder / f"{stem}.json"
    model = build()
    require_module(model)
    if cache and weights.exists() and meta.exists():
        try:
            model.load_state_dict(torch.load(weights, weights_only=True))
            record = json.loads(meta.read_text(encoding="utf-8"))["record"]
            return model.eval(), dict(record) | {"cached": True}
        except Exception as err:  # unreadable weights or record: retrain, never crash
            print(
                f"[medeff] ignoring a corrupt or stale cache entry {weights.name} ({err}); "
                "retraining"
            )
    record = dict(train(model))
    if cache:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = weights.with_suffix(".tmp")
            torch.save(model.state_dict(), tmp)
            tmp.replace(weights)
            meta.write_text(
                json.dumps(
                    {"name": name, "config": dict(config), "record": record}, indent=1, default=str
                ),
                encoding="utf-8",
            )
        except OSError as err:  # a read-only cache (e.g. the grading sandbox): train, don't store
            print(f"[medeff] cannot store {weights.name} in the cache ({err}); not cached")
    return model.eval(), record | {"cached": False}
