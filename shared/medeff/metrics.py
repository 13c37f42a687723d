"""Metrics shared by the training loop: classification accuracy and segmentation Dice.

Explained in: lecture 01 (accuracy on the organ patches) and lecture 07 (Dice, the
liver-segmentation case study).
"""

from __future__ import annotations

import torch


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Top-1 accuracy of class scores ``(N, K)`` against integer labels ``(N,)``.

    Explained in: lecture 01.
    """
    targets = targets.reshape(-1).long()
    if logits.dim() != 2 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"accuracy expects logits (N, K) and targets (N,), got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )
    return (logits.argmax(dim=1) == targets).float().mean().item()


def foreground_probability(logits: torch.Tensor) -> torch.Tensor:
    """Foreground probability from binary segmentation logits ``(N, 2, H, W)`` or ``(N, 1, H, W)``."""
    if logits.dim() < 3:
        raise ValueError(f"segmentation logits need (N, C, ...), got {tuple(logits.shape)}")
    if logits.shape[1] == 1:
        return torch.sigmoid(logits[:, 0])
    if logits.shape[1] == 2:
        return torch.softmax(logits, dim=1)[:, 1]
    raise ValueError(f"binary segmentation needs 1 or 2 output channels, got {logits.shape[1]}")


def dice_score(
    logits: torch.Tensor, targets: torch.Tensor, threshold: float = 0.5, eps: float = 1e-8
) -> float:
    """Foreground Dice 2|P∩G| / (|P|+|G|), counts pooled over the whole batch.

    ``targets`` are 0/1 masks of shape ``(N, H, W)``. Two empty masks give Dice 1.
    Explained in: lecture 07 (the case study uses threshold 0.4 and per-case pooling).
    """
    prob = foreground_probability(logits)
    if prob.shape != targets.shape:
        raise ValueError(
            f"mask shape {tuple(targets.shape)} does not match logits {tuple(logits.shape)}"
        )
    pred = prob > threshold
    gt = targets > 0
    inter = (pred & gt).sum().item()
    total = pred.sum().item() + gt.sum().item()
    return 1.0 if total == 0 else (2.0 * inter + eps) / (total + eps)
