"""Pruning: magnitude masks, L1 filter ranking, network slimming, and what pruning saves.

Explained in: lecture 04 (pruning). The seed's recipe is "remove weights close to zero,
retrain, repeat"; this module holds the mechanics the lecture shows:

* unstructured magnitude pruning (:func:`magnitude_prune_mask`, :func:`sensitivity_scan`,
  :func:`global_magnitude_prune`, :func:`sparsity_report`): masks zero weights but keep
  the dense shapes, so MACs and latency stay the same;
* structured pruning that removes whole filters and channels, with torch-pruning
  (:func:`select_filters`, the L1-norm criterion of Li et al., ICLR 2017;
  :func:`prune_channels`);
* network slimming (Liu et al., ICCV 2017): an L1 penalty on BatchNorm scaling factors
  (:func:`slimming_train_step`), a global threshold (:func:`slimming_threshold`) and channel
  removal (:func:`slim_channels`);
* what a sparse model costs on disk (:func:`checkpoint_bytes`) and the seed's table format
  (:func:`seed_format_row`).

The assignment ``a2_pruning_quantization`` asks students to write their own
:func:`magnitude_prune_mask`, :func:`select_filters` and :func:`slimming_threshold`;
its hidden tests compare against the versions here.
"""

from __future__ import annotations

import torch
from torch import nn


# ---------------------------------------------------------------------------- graded references
def magnitude_prune_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Mask (same shape and dtype as ``weight``; 1 keep, 0 prune) of unstructured magnitude pruning.

    Exactly ``k = round(sparsity * weight.numel())`` entries are zero: those of smallest
    ``|w|``. Ties are broken deterministically: ``|w|`` is flattened (row-major) and sorted
    ascending with a *stable* sort, so among equal magnitudes the earlier entries are pruned
    first. ``round`` is Python's (half to even). ``ValueError`` unless ``0 <= sparsity < 1``.

    Explained in: lecture 04 ("Unstructured magnitude pruning").
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a tensor, got {type(weight).__name__}")
    sparsity = float(sparsity)
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must satisfy 0 <= sparsity < 1, got {sparsity}")
    k = round(sparsity * weight.numel())
    flat = torch.ones(weight.numel(), dtype=weight.dtype, device=weight.device)
    if k > 0:
        order = torch.sort(weight.detach().abs().flatten(), stable=True).indices
        flat[order[:k]] = 0
    return flat.view_as(weight)


def filter_l1_norms(conv: nn.Conv2d) -> torch.Tensor:
    """L1 norm of every output filter of ``conv``: ``sum |w|`` over in_channels, kh, kw.

    Explained in: lecture 04 ("L1-norm filter ranking").
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected an nn.Conv2d, got {type(conv).__name__}")
    return conv.weight.detach().abs().sum(dim=(1, 2, 3))


def select_filters(conv: nn.Conv2d, keep_ratio: float) -> torch.Tensor:
    """Sorted indices (LongTensor) of the output filters of ``conv`` with the largest L1 norms.

    Keeps ``n = max(1, round(keep_ratio * out_channels))`` filters (Li et al., "Pruning
    Filters for Efficient ConvNets", ICLR 2017). Ties are broken deterministically: the
    norms are sorted descending with a stable sort, so among equal norms the lower index
    wins. The result is sorted ascending. ``ValueError`` unless ``0 < keep_ratio <= 1``.

    Explained in: lecture 04 ("L1-norm filter ranking").
    """
    keep_ratio = float(keep_ratio)
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must satisfy 0 < keep_ratio <= 1, got {keep_ratio}")
    norms = filter_l1_norms(conv)
    n = max(1, round(keep_ratio * conv.out_channels))
    order = torch.sort(norms, descending=True, stable=True).indices
    return torch.sort(order[:n]).values.to(torch.long)


def bn_gammas(model: nn.Module) -> torch.Tensor:
    """``|gamma|`` of every BatchNorm2d channel in ``model``, concatenated in module order.

    Explained in: lecture 04 ("Network slimming").
    """
    gammas = [m.weight.detach().abs().flatten() for m in model.modules()
              if isinstance(m, nn.BatchNorm2d) and m.weight is not None]
    if not gammas:
        raise ValueError("the model has no BatchNorm2d layer with a scale (affine=True)")
    return torch.cat(gammas)


def slimming_threshold(model: nn.Module, prune_ratio: float) -> float:
    """Global threshold on ``|gamma|`` over all BatchNorm2d layers (network slimming).

    Convention: the ``n`` values ``|gamma|`` of all BatchNorm2d channels are sorted
    ascending; ``k = round(prune_ratio * n)`` (Python's ``round``), capped at ``n - 1`` so
    one channel always survives; the threshold is the sorted value at 0-based index ``k``,
    i.e. the ``(k+1)``-th smallest. Channels with ``|gamma| < threshold`` are pruned: exactly
    ``k`` of them when the values are distinct (with ties at the threshold, fewer).
    ``prune_ratio = 0`` gives the smallest ``|gamma|`` (nothing pruned).
    ``ValueError`` unless ``0 <= prune_ratio < 1`` or when there is no BatchNorm2d.

    Explained in: lecture 04 ("Network slimming").
    """
    prune_ratio = float(prune_ratio)
    if not 0.0 <= prune_ratio < 1.0:
        raise ValueError(f"prune_ratio must satisfy 0 <= prune_ratio < 1, got {prune_ratio}")
    values = torch.sort(bn_gammas(model)).values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[k])
