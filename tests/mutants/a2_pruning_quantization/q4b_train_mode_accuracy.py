# cell: q4-solution
# loses: q4b-tests
# Counts correct predictions by hand but leaves the pruned copy in train mode, so
# BatchNorm normalizes with batch statistics instead of its running averages.
import copy

import torch
from torch import nn


def prune_model(model, sparsity):
    pruned = copy.deepcopy(model)
    with torch.no_grad():
        for m in pruned.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.mul_(magnitude_prune_mask(m.weight, sparsity))  # noqa: F821
    return pruned


def accuracy_vs_sparsity(model, loader, sparsities):
    result = {}
    for s in sparsities:
        pruned = prune_model(model, s).train()
        correct = total = 0
        with torch.no_grad():
            for x, y in loader:
                correct += int((pruned(x).argmax(1) == y).sum())
                total += len(y)
        result[s] = correct / total
    return result
