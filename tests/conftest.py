"""Shared pytest fixtures: the course root, and deterministic, quiet defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

# Tests never download anything and never use a GPU.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository (and nbgrader course) root."""
    return ROOT


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)
