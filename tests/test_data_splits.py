"""Case splits stratified by tumour presence, and the default cohort's four tasks (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest

from medeff import data as md
from medeff.data.phantom import erode2d


@pytest.fixture(scope="module")
def default_cohort(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDEFF_CACHE", str(tmp_path_factory.getbasetemp() / "split-cache"))
    yield md.phantom_cohort()
    mp.undo()


def test_unstratified_split_is_unchanged():
    # strata=None keeps the plain seeded permutation (other modules rely on it)
    n = 60
    order = np.random.default_rng([7, 0]).permutation(n)
    split = md.split_cases(n, 0)
    assert split["val"].tolist() == sorted(order[42:48].tolist())
    assert split["test"].tolist() == sorted(order[48:].tolist())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_split_spreads_every_stratum(seed):
    n = 60
    strata = np.zeros(n, int)
    strata[[3, 17, 40]] = 1  # a rare kind of case: three of 60
    strata[[5, 9, 22, 31, 50, 51, 58]] = 2
    split = md.split_cases(n, seed, strata=strata)
    plain = md.split_cases(n, seed)
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(n))
    assert {k: len(v) for k, v in split.items()} == {k: len(v) for k, v in plain.items()}
    for name in ("train", "val", "test"):
        assert set(strata[split[name]]) == {0, 1, 2}, f"{name} misses a stratum"
    again = md.split_cases(n, seed, strata=strata)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    with pytest.raises(ValueError, match="one value per case"):
        md.split_cases(n, seed, strata=strata[:-1])


def test_default_cohort_every_task_has_targets_in_every_split(default_cohort):
    # the kidney-tumour task once had no validation case (issue 8, A7)
    counts = {}
    for task in md.TASKS:
        datasets = md.segmentation_datasets(task)
        for name, ds in zip(("train", "val", "test"), datasets, strict=True):
            counts[task, name] = (len(ds), len(set(ds.case_ids.tolist())))
            assert len(ds) > 0 and bool(ds.y.any()), f"{task} {name}: no target slice"
    # the tumour tasks train on most of the training cases
    assert counts["kidney_tumor", "train"][1] >= 0.7 * counts["kidney", "train"][1], counts
    assert counts["liver_tumor", "train"][1] >= 0.7 * counts["liver", "train"][1], counts


def test_kidney_tumours_common_and_grow_from_the_kidney(default_cohort):
    labels = default_cohort["labels"]
    strata = md.tumour_strata(labels)
    has_kidney_tumour = (strata % 2).astype(bool)
    assert 0.7 <= has_kidney_tumour.mean() <= 1.0  # KiTS: every patient has a renal mass
    for c in np.flatnonzero(has_kidney_tumour):
        tumour = labels[c] == md.LABELS["kidney_tumor"]
        kidney = labels[c] == md.LABELS["kidney"]
        grown = tumour & ~erode2d(~kidney, 1)  # tumour voxels that touch the kidney in-plane
        assert grown.any(), f"case {c}: kidney tumour does not touch the kidney"
    split = md.cohort_split()
    big = {s for s in set(strata.tolist()) if (strata == s).sum() >= 3}
    for name, idx in split.items():
        assert big <= set(strata[idx].tolist()), f"{name} lacks a tumour stratum"
