"""Organ-patch classification data in the MedMNIST format (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import medeff as me
from medeff import data as md

N_CASES = 8


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path_factory.getbasetemp() / "patch-cache"))


def test_medmnist_layout():
    data = md.organ_patches(28, n_cases=N_CASES)
    for split in ("train", "val", "test"):
        x, y = data[f"{split}_images"], data[f"{split}_labels"]
        assert x.dtype == np.uint8 and x.ndim == 3 and x.shape[1:] == (28, 28)
        assert y.shape == (len(x), 1) and len(x) > 0
        assert y.min() >= 0 and y.max() < len(md.ORGAN_CLASSES)
    assert set(np.unique(data["train_labels"])) == set(range(len(md.ORGAN_CLASSES)))
    assert md.ORGAN_CLASSES[0] == "liver" and len(set(md.ORGAN_CLASSES)) == len(md.ORGAN_CLASSES)


def test_deterministic_and_other_sizes():
    a = md.organ_patches(28, n_cases=N_CASES)
    b = md.organ_patches(28, n_cases=N_CASES)
    np.testing.assert_array_equal(a["train_images"], b["train_images"])
    c = md.organ_patches(32, n_cases=N_CASES)
    assert c["val_images"].shape[1:] == (32, 32)


def test_npz_round_trip_through_the_real_loader(tmp_path):
    data = md.organ_patches(28, n_cases=N_CASES)
    path = tmp_path / "phantom_organ.npz"
    md.save_medmnist_npz(path, data)
    back = md.load_medmnist_npz(path)
    for k in data:
        np.testing.assert_array_equal(back[k], data[k])
    _, _, test = md.organ_patch_loaders(path=str(path), batch_size=64)
    _, _, test2 = md.organ_patch_loaders(n_cases=N_CASES, batch_size=64)
    x1, y1 = next(iter(test))
    x2, y2 = next(iter(test2))
    torch.testing.assert_close(x1, x2)
    torch.testing.assert_close(y1, y2)


def test_loader_tensors(monkeypatch):
    train, val, test = md.organ_patch_loaders(batch_size=32, n_cases=N_CASES)
    x, y = next(iter(train))
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert y.dtype == torch.int64 and y.shape == (32,)
    y_again = next(iter(md.organ_patch_loaders(batch_size=32, n_cases=N_CASES)[0]))[1]
    torch.testing.assert_close(y, y_again)  # seeded shuffle
    monkeypatch.setenv("MEDEFF_FAST", "1")
    assert me.is_fast()
    fast_train = md.organ_patch_loaders(batch_size=32, n_cases=N_CASES)[0]
    assert len(fast_train.dataset) <= md.FAST_TRAIN
