# cell: q4-solution
# loses: q4b-tests
# Prunes a copy but then evaluates the original model: every sparsity shows the dense accuracy.
import copy

import torch
from torch import nn

import medeff as me


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
        prune_model(model, s)
        result[s] = me.evaluate(model, loader, {"accuracy": me.accuracy})["accuracy"]
    return result
