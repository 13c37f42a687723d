"""Shared pytest fixtures: the course root, and deterministic, quiet defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

# Tests never download anything and never use a GPU.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("MPLBACKEND", "Agg")  # tests that execute lectures unset it (figures)


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository (and nbgrader course) root."""
    return ROOT


@pytest.fixture(scope="session")
def modules() -> Path:
    """``node_modules`` with the pinned reveal.js and MathJax of package-lock.json
    (``npm ci`` once when missing); skips when npm or the registry is unavailable."""
    import shutil
    import subprocess

    from medeff.slides import ASSET_FILES, node_modules

    folder = ROOT / "node_modules"
    if not all((folder / p / "package.json").is_file() for p in ASSET_FILES):
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: cannot fetch reveal.js/MathJax (run `npm ci`)")
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            pytest.skip(f"`npm ci` failed (no registry?): {done.stderr[-500:]}")
    return node_modules(ROOT)


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)
