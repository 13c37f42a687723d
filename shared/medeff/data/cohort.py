"""A cohort of phantom cases, cached on disk, and the case-level train/val/test split.

Explained in: lecture A (data), "A cohort of cases" and "Splitting by case".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from .cache import cached
from .phantom import LABELS, PHANTOM_VERSION, generate_case

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
    n_cases: int,
    seed: int = 0,
    fractions: tuple[float, float, float] = SPLIT_FRACTIONS,
    *,
    strata: Sequence[int] | np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Case indices of the train/val/test split: disjoint, every case in exactly one.

    All slices of a case go to the same split, so no patient leaks between training and
    testing. ``strata`` (one integer per case, e.g. from :func:`tumour_strata`) makes the
    split **stratified**: the split sizes stay the same, but each stratum of at least three
    cases puts at least one case into val and one into test (as far as their sizes allow)
    and the rest in proportion, so a rare kind of case (with a kidney tumour, say) cannot
    end up in one split only. Explained in: lecture A, "Splitting by case".
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
    if strata is None:
        parts = [order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]]
    else:
        parts = _stratified(order, np.asarray(strata), (n_val, n_test), fractions)
    return {name: np.sort(p) for name, p in zip(("train", "val", "test"), parts, strict=True)}


def _stratified(
    order: np.ndarray, strata: np.ndarray, counts: tuple[int, int], fractions: Sequence[float]
) -> list[np.ndarray]:
    """Deal ``counts`` = (n_val, n_test) cases out of the strata, the rest to train."""
    if strata.shape != order.shape:
        raise ValueError(f"strata needs one value per case ({len(order)}), got {strata.shape}")
    # the cases of each stratum in the random order; the largest stratum first
    groups = [order[strata[order] == s] for s in np.unique(strata)]
    groups.sort(key=len, reverse=True)
    sizes = np.array([len(g) for g in groups])
    used = np.zeros(len(groups), dtype=int)
    total = sum(fractions)
    taken = []
    for need, frac in zip(counts, fractions[1:], strict=True):
        alloc = np.zeros(len(groups), dtype=int)
        for k in range(len(groups)):  # one case from each stratum of >= 3 cases
            if need and sizes[k] >= 3 and sizes[k] - used[k] > 1:
                alloc[k] += 1
                need -= 1
        while need:  # the rest where the stratum is furthest below its share
            room = sizes - used - alloc > 0
            k = int(np.argmax(np.where(room, sizes * frac / total - alloc, -np.inf)))
            alloc[k] += 1
            need -= 1
        taken.append(alloc)
        used += alloc
    parts, start = [[], [], []], np.zeros(len(groups), dtype=int)
    for j, alloc in enumerate(taken, start=1):
        for k, g in enumerate(groups):
            parts[j].extend(g[start[k] : start[k] + alloc[k]].tolist())
        start += alloc
    for k, g in enumerate(groups):
        parts[0].extend(g[start[k] :].tolist())
    return [np.array(p, dtype=int) for p in parts]


def tumour_strata(labels: np.ndarray) -> np.ndarray:
    """Stratum of each case of phantom ``labels`` (N, Z, H, W): 2 x (has a liver tumour)
    + (has a kidney tumour), so 0..3. Explained in: lecture A, "Splitting by case"."""
    per_case = labels.reshape(len(labels), -1)
    liver_t = (per_case == LABELS["liver_tumor"]).any(1)
    kidney_t = (per_case == LABELS["kidney_tumor"]).any(1)
    return 2 * liver_t.astype(int) + kidney_t.astype(int)


def cohort_split(n_cases: int = DEFAULT_CASES, seed: int = 0) -> dict[str, np.ndarray]:
    """The case split of the phantom cohort ``(n_cases, seed)`` that every phantom dataset
    uses (segmentation tasks and organ patches): :func:`split_cases` stratified by
    :func:`tumour_strata`, so every split holds cases with liver and with kidney tumours.

    Explained in: lecture A, "Splitting by case".
    """
    return split_cases(n_cases, seed, strata=tumour_strata(phantom_cohort(n_cases, seed)["labels"]))
