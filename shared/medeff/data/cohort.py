"""A cohort of phantom cases, cached on disk, and the case-level train/val/test split.

Explained in: lecture A (data), "A cohort of cases" and "Splitting by case".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from .cache import cached
from .phantom import PHANTOM_VERSION, generate_case

DEFAULT_CASES = 60
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block (generation works on small tensors, where
    extra threads only add synchronisation cost, badly so on a busy machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def case_seed(seed: int, index: int) -> int:
    """Seed of case ``index`` in the cohort of ``seed`` (cases are independent)."""
    return seed * 100_003 + index


def phantom_cohort(
    n_cases: int = DEFAULT_CASES, seed: int = 0, depth: int = 32, size: int = 96
) -> dict[str, np.ndarray]:
    """``n_cases`` phantom cases as arrays, generated once and then read from the cache.

    Returns ``{"images": int16 (N, depth, size, size) in HU, "labels": uint8 (N, ...)
    with the values of :data:`medeff.data.LABELS`, "case_seeds": int64 (N,)}``.
    Explained in: lecture A, "A cohort of cases".
    """
    if n_cases < 1:
        raise ValueError(f"n_cases must be >= 1, got {n_cases}")

    def build() -> dict[str, np.ndarray]:
        seeds = np.array([case_seed(seed, i) for i in range(n_cases)], dtype=np.int64)
        images = np.empty((n_cases, depth, size, size), dtype=np.int16)
        labels = np.empty((n_cases, depth, size, size), dtype=np.uint8)
        with single_thread():
            for i, s in enumerate(seeds):
                case = generate_case(int(s), depth=depth, size=size)
                images[i] = np.round(case.image).astype(np.int16)
                labels[i] = case.labels
        return {"images": images, "labels": labels, "case_seeds": seeds}

    params = {"n": n_cases, "seed": seed, "depth": depth, "size": size}
    arrays = cached(
        "phantom", PHANTOM_VERSION, params, build, keys=("images", "labels", "case_seeds")
    )
    if arrays["images"].shape != (n_cases, depth, size, size):  # stale file of another shape
        arrays = {k: np.asarray(v) for k, v in build().items()}
    return arrays


def split_cases(
    n_cases: int, seed: int = 0, fractions: tuple[float, float, float] = SPLIT_FRACTIONS
) -> dict[str, np.ndarray]:
    """Case indices of the train/val/test split: disjoint, every case in exactly one.

    All slices of a case go to the same split, so no patient leaks between training and
    testing. Explained in: lecture A, "Splitting by case".
    """
    if n_cases < 3:
        raise ValueError(f"need at least 3 cases to split, got {n_cases}")
    if len(fractions) != 3 or min(fractions) < 0 or sum(fractions) <= 0:
        raise ValueError(f"fractions must be three non-negative numbers, got {fractions}")
    order = np.random.default_rng([7, seed]).permutation(n_cases)
    total = sum(fractions)
    n_val = max(1, int(round(n_cases * fractions[1] / total)))
    n_test = max(1, int(round(n_cases * fractions[2] / total)))
    n_train = n_cases - n_val - n_test
    if n_train < 1:
        raise ValueError(f"{n_cases} cases are too few for the split {fractions}")
    return {
        "train": np.sort(order[:n_train]),
        "val": np.sort(order[n_train : n_train + n_val]),
        "test": np.sort(order[n_train + n_val :]),
    }
