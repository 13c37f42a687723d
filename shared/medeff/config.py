"""Course-wide settings: fast mode, thread count and the data cache folder.

Explained in: lecture 00 (setup section); used by every notebook.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FAST_ENV = "MEDEFF_FAST"
CACHE_ENV = "MEDEFF_CACHE"
_TRUE = {"1", "true", "yes", "on"}


def is_fast() -> bool:
    """True when ``MEDEFF_FAST`` is set to 1/true/yes/on (tests and quick previews).

    Lecture notebooks and assignments shrink epochs and data in fast mode so the whole
    course executes in minutes. Explained in: lecture 00, "Setup".
    """
    return os.environ.get(FAST_ENV, "").strip().lower() in _TRUE


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise (e.g. ``epochs = pick(8, 1)``).

    Explained in: lecture 00, "Setup".
    """
    return fast if is_fast() else full


def cache_dir() -> Path:
    """Folder for generated data and cached results (created on demand).

    ``$MEDEFF_CACHE`` if set, else ``$XDG_CACHE_HOME/medeff``, else ``~/.cache/medeff``.
    Deleting it is always safe: everything in it is regenerated deterministically.
    Explained in: lecture A (data).
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
        path = Path(base) / "medeff"
    path.mkdir(parents=True, exist_ok=True)
    return path
