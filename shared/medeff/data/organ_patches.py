"""Organ-patch classification data (MedMNIST-like), cut from phantom slices.

Explained in: lecture A (data), "Organ patches"; the default classification data of the
architecture, pruning, quantization and distillation lectures.

Like OrganAMNIST, each patch is the bounding box of one organ in one axial slice, made
square, enlarged by a random margin and jittered, resized to ``size`` x ``size`` and
stored as uint8 after an abdominal window (W 400, L 40: [-160, 240] HU). Labels are the
organ (:data:`ORGAN_CLASSES`); left and right kidney are separate classes, so the net
must use the context around the organ (spine, liver), as in OrganAMNIST. Patches of a
case all land in that case's split. The arrays use the MedMNIST ``.npz`` layout, so
:func:`organ_patch_loaders` reads a real ``organamnist.npz`` as well (``path=...``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision.ops import roi_align

from ..config import is_fast
from .cache import cached
from .cohort import DEFAULT_CASES, cohort_split, phantom_cohort, single_thread
from .loaders import load_medmnist_npz
from .phantom import LABELS, PHANTOM_VERSION

ORGAN_CLASSES: list[str] = [
    "liver",
    "spleen",
    "kidney-left",
    "kidney-right",
    "aorta",
    "vertebra",
    "bowel-gas",
    "muscle",
]
PATCH_WINDOW = (-160.0, 240.0)
PATCHES_VERSION = 3  # 3: split by medeff.data.cohort_split (stratified by tumours)
FAST_TRAIN, FAST_EVAL = 3000, 800
_MIN_AREA = 4  # pixels of an organ in a slice for it to give a patch
_PER_INSTANCE = 2  # random crops per (case, slice, organ)


def _organ_masks(labels: np.ndarray) -> list[np.ndarray]:
    """Masks (Z, H, W), one per class of ORGAN_CLASSES, for one case."""
    W = labels.shape[-1]
    left_half = np.zeros(labels.shape, dtype=bool)
    left_half[..., W // 2 :] = True  # patient's left is the image's right
    kidney = (labels == LABELS["kidney"]) | (labels == LABELS["kidney_tumor"])
    return [
        (labels == LABELS["liver"]) | (labels == LABELS["liver_tumor"]),
        labels == LABELS["spleen"],
        kidney & left_half,
        kidney & ~left_half,
        labels == LABELS["aorta"],
        labels == LABELS["vertebra"],
        (labels == LABELS["gas"]),
        labels == LABELS["muscle"],
    ]


def _boxes_for_case(
    labels: np.ndarray, rng: np.random.Generator
) -> tuple[list[list[float]], list[int]]:
    """roi_align boxes ``[slice, x0, y0, x1, y1]`` (jittered, enlarged organ bounding boxes)."""
    boxes, targets = [], []
    for cls, mask in enumerate(_organ_masks(labels)):
        for z in np.flatnonzero(mask.reshape(mask.shape[0], -1).sum(1) >= _MIN_AREA):
            ys, xs = np.nonzero(mask[z])
            if cls == ORGAN_CLASSES.index("muscle"):  # muscle: a window on the wall or back
                k = rng.integers(len(ys))
                ys, xs = ys[k] + np.array([-6, 6]), xs[k] + np.array([-6, 6])
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            for _ in range(_PER_INSTANCE):
                side = max(y1 - y0, x1 - x0) * rng.uniform(1.0, 2.0) + 3
                cy = (y0 + y1) / 2 + rng.uniform(-0.3, 0.3) * side
                cx = (x0 + x1) / 2 + rng.uniform(-0.3, 0.3) * side
                boxes.append([float(z), cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])
                targets.append(cls)
    return boxes, targets


def _patches_from_cases(
    images: np.ndarray, labels: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = PATCH_WINDOW
    out_x, out_y = [], []
    for i in range(len(images)):
        boxes, targets = _boxes_for_case(labels[i], rng)
        if not boxes:
            continue
        b = torch.tensor(boxes, dtype=torch.float32)
        vol = torch.from_numpy(((images[i].astype(np.float32) - lo) / (hi - lo)).clip(0, 1))
        crops = roi_align(
            vol[:, None], b, output_size=size, spatial_scale=1.0, sampling_ratio=2, aligned=True
        )[:, 0]
        out_x.append(np.round(crops.numpy() * 255).astype(np.uint8))
        out_y.append(np.asarray(targets, dtype=np.int64))
    x = np.concatenate(out_x) if out_x else np.zeros((0, size, size), np.uint8)
    y = np.concatenate(out_y) if out_y else np.zeros((0,), np.int64)
    order = rng.permutation(len(x))
    return x[order], y[order].reshape(-1, 1)


def organ_patches(
    size: int = 28, seed: int = 0, *, n_cases: int = DEFAULT_CASES
) -> dict[str, np.ndarray]:
    """Organ patches in MedMNIST format, generated from the phantom cohort and cached.

    Keys ``train_images``/``val_images``/``test_images`` (uint8, N x size x size) and
    ``train_labels``/... (int64, N x 1); class names in :data:`ORGAN_CLASSES`.
    Explained in: lecture A, "Organ patches".
    """
    if size < 8:
        raise ValueError(f"patch size must be >= 8, got {size}")

    def build() -> dict[str, np.ndarray]:
        cohort = phantom_cohort(n_cases, seed)
        split = cohort_split(n_cases, seed)  # the split of the segmentation tasks
        rng = np.random.default_rng([1, seed, size])
        out = {}
        with single_thread():
            for name, idx in split.items():
                x, y = _patches_from_cases(cohort["images"][idx], cohort["labels"][idx], size, rng)
                out[f"{name}_images"], out[f"{name}_labels"] = x, y
        return out

    params = {"size": size, "seed": seed, "phantom": PHANTOM_VERSION, "n": n_cases}
    keys = tuple(f"{s}_{k}" for s in ("train", "val", "test") for k in ("images", "labels"))
    return cached("organpatches", PATCHES_VERSION, params, build, keys=keys)


def save_medmnist_npz(path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays in the MedMNIST ``.npz`` layout (e.g. the output of :func:`organ_patches`).

    Explained in: lecture A, "Organ patches".
    """
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})


def _tensors(images: np.ndarray, labels: np.ndarray) -> TensorDataset:
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
    if x.dim() == 4 and x.shape[-1] in (1, 3):  # MedMNIST colour sets: N x S x S x 3
        x = x.permute(0, 3, 1, 2)
    elif x.dim() == 3:
        x = x[:, None]
    y = torch.from_numpy(np.asarray(labels).reshape(-1).astype(np.int64))
    return TensorDataset(x, y)


def _subsample(images: np.ndarray, labels: np.ndarray, n: int, seed: int):
    if len(images) <= n:
        return images, labels
    idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    return images[idx], labels[idx]


def organ_patch_loaders(
    size: int = 28,
    batch_size: int = 128,
    seed: int = 0,
    path: str | None = None,
    *,
    n_cases: int = DEFAULT_CASES,
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Train/val/test loaders of the organ patches: ``x`` float32 (B, 1, S, S) in [0, 1]
    (uint8 / 255, not standardized), ``y`` int64 (B,).

    The train loader shuffles with a generator seeded by ``seed``. ``path`` reads a real
    MedMNIST ``.npz`` (e.g. ``organamnist.npz``) instead of the phantom patches (then
    ``size`` is ignored). In fast mode (``MEDEFF_FAST=1``) the train split is subsampled
    to 3,000 and val/test to 800 patches. Explained in: lecture A, "Organ patches".
    """
    if path is not None:
        data = load_medmnist_npz(path)
    else:
        data = organ_patches(size, seed, n_cases=n_cases)
    loaders = []
    for split in ("train", "val", "test"):
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if is_fast():
            images, labels = _subsample(
                images, labels, FAST_TRAIN if split == "train" else FAST_EVAL, seed
            )
        ds = _tensors(images, labels)
        gen = torch.Generator().manual_seed(seed) if split == "train" else None
        loaders.append(
            DataLoader(ds, batch_size=batch_size, shuffle=split == "train", generator=gen)
        )
    return loaders[0], loaders[1], loaders[2]
