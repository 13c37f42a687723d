"""Slice datasets for the binary segmentation tasks of the liver/kidney case study, and
per-case evaluation (Dice, VOE, RVD pooled over slices).

Explained in: lecture A (data), "Segmentation tasks"; used by the distillation lecture.

Tasks (``TASKS``): ``"liver"`` (label > 0 in the LiTS view), ``"liver_tumor"`` (label ==
2, LiTS), ``"kidney"`` and ``"kidney_tumor"`` (KiTS view). CT is windowed to [-1, 1]:
LiTS window [-60, 140] HU for the liver tasks, KiTS [-200, 300] for the kidney tasks.
As in the case study (Qin et al., TMI 2021) only slices that contain the target are kept
by default, and a case's Dice is computed from counts pooled over its slices, then
averaged over cases with non-empty ground truth, with foreground probability > 0.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, SequentialSampler

from .._checks import eval_mode
from ..metrics import foreground_probability
from .cohort import DEFAULT_CASES, cohort_split, phantom_cohort, split_cases
from .phantom import kits_view, lits_view

TASKS: dict[str, dict] = {
    "liver": {"view": "lits", "window": (-60.0, 140.0), "target": "organ"},
    "liver_tumor": {"view": "lits", "window": (-60.0, 140.0), "target": "tumor"},
    "kidney": {"view": "kits", "window": (-200.0, 300.0), "target": "organ"},
    "kidney_tumor": {"view": "kits", "window": (-200.0, 300.0), "target": "tumor"},
}
THRESHOLD = 0.4


def _task(task: str) -> dict:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}")
    return TASKS[task]


def window_hu(hu: np.ndarray | torch.Tensor, lo: float, hi: float):
    """Clip HU to the window ``[lo, hi]`` and scale it linearly to [-1, 1].

    Explained in: lecture A, "HU windowing".
    """
    if hi <= lo:
        raise ValueError(f"window needs lo < hi, got [{lo}, {hi}]")
    scaled = (hu - lo) * (2.0 / (hi - lo)) - 1.0
    return scaled.clip(-1.0, 1.0)


def binary_target(labels: np.ndarray, task: str) -> np.ndarray:
    """0/1 target of ``task`` from labels in the LiTS/KiTS convention (0, 1 organ, 2 tumour):
    organ = label > 0 (organ including tumour), tumour = label == 2."""
    return (labels > 0) if _task(task)["target"] == "organ" else (labels == 2)


class SliceDataset(Dataset):
    """Axial slices of CT cases for one binary task: items ``(x, y)`` with ``x`` float32
    (1, H, W) windowed to [-1, 1] and ``y`` int64 (H, W) in {0, 1}.

    ``images`` are HU volumes (Z, H, W) and ``labels`` the matching volumes in the LiTS
    or KiTS convention (0 background, 1 organ, 2 tumour). ``keep`` chooses slices:
    ``"target"`` (slices containing the target, as in the case study), ``"organ"``
    (slices containing the organ) or ``"all"``. ``case_ids[i]`` and ``slice_ids[i]``
    tell where item ``i`` came from. Explained in: lecture A, "Segmentation tasks".
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        labels: Sequence[np.ndarray],
        task: str,
        keep: str = "target",
        case_ids: Sequence[int] | None = None,
    ):
        spec = _task(task)
        if keep not in ("target", "organ", "all"):
            raise ValueError(f"keep must be 'target', 'organ' or 'all', got {keep!r}")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} image volumes but {len(labels)} label volumes")
        case_ids = list(range(len(images))) if case_ids is None else list(case_ids)
        xs, ys, cids, sids = [], [], [], []
        for cid, img, lab in zip(case_ids, images, labels, strict=True):
            if img.shape != lab.shape or img.ndim != 3:
                raise ValueError(
                    f"case {cid}: image {img.shape} and labels {lab.shape} must "
                    "be matching (Z, H, W) volumes"
                )
            target = binary_target(lab, task)
            if keep == "target":
                sel = np.flatnonzero(target.reshape(len(target), -1).any(1))
            elif keep == "organ":
                sel = np.flatnonzero((lab > 0).reshape(len(lab), -1).any(1))
            else:
                sel = np.arange(len(lab))
            xs.append(window_hu(img[sel].astype(np.float32), *spec["window"]))
            ys.append(target[sel])
            cids.append(np.full(len(sel), cid))
            sids.append(sel)
        self.task = task
        self.x = torch.from_numpy(np.concatenate(xs))[:, None] if xs else torch.zeros(0, 1, 1, 1)
        self.y = torch.from_numpy(np.concatenate(ys).astype(np.int64)) if ys else torch.zeros(0)
        self.case_ids = np.concatenate(cids) if cids else np.zeros(0, int)
        self.slice_ids = np.concatenate(sids) if sids else np.zeros(0, int)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]


def phantom_task_volumes(
    task: str, n_cases: int = DEFAULT_CASES, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Phantom cohort (cached) as (HU images, labels in the task's LiTS/KiTS convention)."""
    spec = _task(task)
    cohort = phantom_cohort(n_cases, seed)
    view = lits_view if spec["view"] == "lits" else kits_view
    return cohort["images"], view(cohort["labels"])


def segmentation_datasets(
    task: str = "liver",
    seed: int = 0,
    *,
    n_cases: int = DEFAULT_CASES,
    keep: str = "target",
    eval_keep: str = "target",
    cases: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
) -> tuple[SliceDataset, SliceDataset, SliceDataset]:
    """Train/val/test :class:`SliceDataset` split by case (no case in two splits).

    The phantom uses :func:`~medeff.data.cohort_split` (one split for all four tasks,
    stratified by tumour presence, so every split has tumour cases of both kinds); your
    own ``cases`` are split by :func:`split_cases` stratified by "has label 2".
    ``cases=(images, labels)`` uses your own volumes (e.g. from :func:`load_lits_case`,
    resized) instead of the phantom; labels in the LiTS/KiTS convention.
    Explained in: lecture A, "Segmentation tasks".
    """
    if cases is None:
        images, labels = phantom_task_volumes(task, n_cases, seed)
        split = cohort_split(n_cases, seed)  # stratified by liver and kidney tumour
    else:
        images, labels = cases
        strata = [int((np.asarray(lab) == 2).any()) for lab in labels]  # has a tumour
        split = split_cases(len(images), seed, strata=strata)
    out = []
    for name in ("train", "val", "test"):
        idx = split[name]
        out.append(
            SliceDataset(
                [images[i] for i in idx],
                [labels[i] for i in idx],
                task,
                keep if name == "train" else eval_keep,
                case_ids=idx,
            )
        )
    return out[0], out[1], out[2]


def segmentation_loaders(
    task: str = "liver",
    batch_size: int = 16,
    seed: int = 0,
    *,
    n_cases: int = DEFAULT_CASES,
    keep: str = "target",
    eval_keep: str = "target",
    cases: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Loaders of :func:`segmentation_datasets`: ``x`` float32 (B, 1, H, W) in [-1, 1],
    ``y`` int64 (B, H, W) in {0, 1}. Train shuffles with a generator seeded by ``seed``;
    val/test keep slice order, as :func:`segmentation_metrics` needs.

    Explained in: lecture A, "Segmentation tasks".
    """
    train, val, test = segmentation_datasets(
        task, seed, n_cases=n_cases, keep=keep, eval_keep=eval_keep, cases=cases
    )
    gen = torch.Generator().manual_seed(seed)
    return (
        DataLoader(train, batch_size=batch_size, shuffle=True, generator=gen),
        DataLoader(val, batch_size=batch_size),
        DataLoader(test, batch_size=batch_size),
    )


@dataclass(frozen=True)
class CaseScores:
    """Per-case scores: Dice, volumetric overlap error and relative volume difference."""

    case: int
    dice: float
    voe: float
    rvd: float
    gt_voxels: int
    pred_voxels: int


def case_scores(
    pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor, case_ids: Sequence[int]
) -> list[CaseScores]:
    """Scores per case from binary predictions and targets (S, H, W) of slices tagged by
    ``case_ids`` (S,). Counts are pooled over each case's slices.

    Dice = 2TP / (|P| + |G|), VOE = 1 - TP / |P u G|, RVD = (|P| - |G|) / |G|.
    Cases with empty ground truth get NaN scores. Explained in: lecture A.
    """
    p = torch.as_tensor(pred).bool().reshape(len(case_ids), -1)
    g = torch.as_tensor(target).bool().reshape(len(case_ids), -1)
    ids = np.asarray(case_ids)
    out = []
    for c in np.unique(ids):
        sel = torch.from_numpy(ids == c)
        pc, gc = p[sel], g[sel]
        tp = int((pc & gc).sum())
        np_, ng = int(pc.sum()), int(gc.sum())
        if ng == 0:
            out.append(CaseScores(int(c), float("nan"), float("nan"), float("nan"), ng, np_))
            continue
        union = np_ + ng - tp
        out.append(
            CaseScores(int(c), 2 * tp / (np_ + ng), 1 - tp / union, (np_ - ng) / ng, ng, np_)
        )
    return out


def summarize(scores: Sequence[CaseScores]) -> dict[str, float]:
    """Mean Dice/VOE/RVD over the cases with non-empty ground truth, and their number."""
    valid = [s for s in scores if s.gt_voxels > 0]
    if not valid:
        return {"dice": float("nan"), "voe": float("nan"), "rvd": float("nan"), "cases": 0}
    return {
        "dice": float(np.mean([s.dice for s in valid])),
        "voe": float(np.mean([s.voe for s in valid])),
        "rvd": float(np.mean([s.rvd for s in valid])),
        "cases": len(valid),
    }


@torch.no_grad()
def predict_masks(
    model: nn.Module,
    loader: DataLoader,
    threshold: float = THRESHOLD,
    device: str | torch.device = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Binary predictions (foreground probability > ``threshold``) and targets of a loader."""
    preds, tgts = [], []
    with eval_mode(model):
        for x, y in loader:
            out = model(x.to(device))
            if isinstance(out, tuple):
                out = out[0]
            preds.append((foreground_probability(out) > threshold).cpu())
            tgts.append(y.bool())
    return torch.cat(preds), torch.cat(tgts)


def segmentation_metrics(
    model: nn.Module,
    loader: DataLoader,
    threshold: float = THRESHOLD,
    device: str | torch.device = "cpu",
) -> dict:
    """Case-study evaluation of ``model`` on a val/test loader of :class:`SliceDataset`.

    Returns ``{"dice", "voe", "rvd", "cases", "per_case": [CaseScores, ...]}``: per-case
    scores from counts pooled over slices, averaged over cases with non-empty ground
    truth, foreground probability > 0.4. Explained in: lecture A and the distillation
    lecture.
    """
    ds = loader.dataset
    if not isinstance(ds, SliceDataset):
        raise TypeError(
            "segmentation_metrics needs a loader over a SliceDataset "
            "(it must know which case each slice belongs to)"
        )
    if not isinstance(loader.sampler, SequentialSampler):
        raise ValueError(
            "use an unshuffled loader (the val/test loaders of "
            "segmentation_loaders): slices are matched to cases by order"
        )
    pred, tgt = predict_masks(model, loader, threshold, device)
    scores = case_scores(pred, tgt, ds.case_ids)
    return {**summarize(scores), "per_case": scores}
