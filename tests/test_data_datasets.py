"""Segmentation slice datasets, case-level splits and case-study metrics (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from medeff import data as md

N_CASES = 10


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path_factory.getbasetemp() / "seg-cache"))


def test_split_is_disjoint_and_complete():
    for n in (3, 10, 60):
        split = md.split_cases(n, seed=0)
        allidx = np.concatenate(list(split.values()))
        assert sorted(allidx.tolist()) == list(range(n))
        assert all(len(v) >= 1 for v in split.values())
    assert md.split_cases(60, 0)["test"].tolist() == md.split_cases(60, 0)["test"].tolist()
    assert md.split_cases(60, 0)["test"].tolist() != md.split_cases(60, 1)["test"].tolist()
    with pytest.raises(ValueError):
        md.split_cases(2)


@pytest.mark.parametrize("task", sorted(md.TASKS))
def test_no_case_leaks_between_splits(task):
    train, val, test = md.segmentation_datasets(task, n_cases=N_CASES)
    sets = [set(ds.case_ids.tolist()) for ds in (train, val, test)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    x, y = train[0]
    assert x.dtype == torch.float32 and x.shape == (1, 96, 96)
    assert y.dtype == torch.int64 and y.shape == (96, 96)
    assert float(train.x.min()) >= -1.0 and float(train.x.max()) <= 1.0
    assert set(torch.unique(train.y).tolist()) <= {0, 1}
    # keep="target": every slice contains the target
    assert bool((train.y.flatten(1).sum(1) > 0).all())


def test_target_definitions_and_windows():
    images, labels = md.phantom_task_volumes("liver", n_cases=N_CASES)
    assert set(np.unique(labels)) <= {0, 1, 2}
    np.testing.assert_array_equal(md.binary_target(labels, "liver"), labels > 0)
    np.testing.assert_array_equal(md.binary_target(labels, "liver_tumor"), labels == 2)
    hu = np.array([-1000.0, -60.0, 40.0, 140.0, 500.0])
    np.testing.assert_allclose(md.window_hu(hu, -60, 140), [-1, -1, 0, 1, 1])
    np.testing.assert_allclose(md.window_hu(np.array([-200.0, 50.0, 300.0]), -200, 300), [-1, 0, 1])
    assert md.TASKS["liver"]["window"] == (-60.0, 140.0)
    assert md.TASKS["kidney_tumor"]["window"] == (-200.0, 300.0)
    with pytest.raises(ValueError, match="unknown task"):
        md.segmentation_loaders("lung", n_cases=N_CASES)


def test_keep_modes():
    t_all = md.segmentation_datasets("liver_tumor", n_cases=N_CASES, keep="all")[0]
    t_org = md.segmentation_datasets("liver_tumor", n_cases=N_CASES, keep="organ")[0]
    t_tgt = md.segmentation_datasets("liver_tumor", n_cases=N_CASES)[0]
    assert len(t_all) > len(t_org) > len(t_tgt) > 0
    assert len(t_all) % 32 == 0


def test_loaders_batches():
    train, val, test = md.segmentation_loaders("kidney", batch_size=4, n_cases=N_CASES)
    x, y = next(iter(train))
    assert x.shape == (4, 1, 96, 96) and y.shape == (4, 96, 96)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    a = next(iter(md.segmentation_loaders("kidney", batch_size=4, n_cases=N_CASES)[0]))[1]
    torch.testing.assert_close(a, y)  # seeded shuffling


def test_case_scores_by_hand():
    gt = np.zeros((4, 4, 4), bool)
    pred = np.zeros((4, 4, 4), bool)
    gt[0, :2, :2] = True  # case 0: 4 + 4 voxels on two slices
    gt[1, :2, :2] = True
    pred[0, :2, :2] = True  # predicted 4 of 8, plus 4 false positives
    pred[1, 2:, 2:] = True
    pred[2, 0, 0] = True  # case 1 has empty ground truth: excluded
    scores = md.case_scores(pred, gt, [0, 0, 1, 1])
    s0 = scores[0]
    assert s0.dice == pytest.approx(2 * 4 / (8 + 8))
    assert s0.voe == pytest.approx(1 - 4 / 12)
    assert s0.rvd == pytest.approx(0.0)
    assert np.isnan(scores[1].dice)
    summary = md.summarize(scores)
    assert summary["cases"] == 1 and summary["dice"] == pytest.approx(0.5)


class _Oracle(nn.Module):
    """Predicts from the input: liver where the windowed HU is in the liver band."""

    def forward(self, x):
        fg = ((x > 0.3) & (x < 0.95)).float()[:, 0]
        return torch.stack([1 - fg, fg], 1) * 10


def test_segmentation_metrics_pipeline():
    _train, _val, test = md.segmentation_loaders("liver", n_cases=N_CASES)
    res = md.segmentation_metrics(_Oracle(), test)
    assert res["cases"] == len(set(test.dataset.case_ids.tolist()))
    assert 0.3 < res["dice"] <= 1.0 and 0 <= res["voe"] <= 1
    assert len(res["per_case"]) == res["cases"]
    shuffled = torch.utils.data.DataLoader(test.dataset, batch_size=8, shuffle=True)
    with pytest.raises(ValueError, match="unshuffled"):
        md.segmentation_metrics(_Oracle(), shuffled)


def test_real_cases_argument():
    rng = np.random.default_rng(0)
    images = [rng.normal(50, 20, size=(5, 32, 32)).astype(np.float32) for _ in range(4)]
    labels = [np.zeros((5, 32, 32), np.uint8) for _ in range(4)]
    for lab in labels:
        lab[1:4, 8:20, 8:20] = 1
        lab[2, 10:14, 10:14] = 2
    train, val, test = md.segmentation_datasets("liver_tumor", cases=(images, labels))
    assert len(train) + len(val) + len(test) == 4  # one tumour slice per case
