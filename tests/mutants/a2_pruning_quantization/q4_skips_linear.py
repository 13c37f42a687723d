# cell: q4-solution
# loses: q4a-tests
# Prunes only the convolutions; the Linear layers stay dense.
import copy

import torch
from torch import nn

import medeff as me


def prune_model(model, sparsity):
    pruned = copy.deepcopy(model)
    with torch.no_grad():
        for m in pruned.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.mul_(magnitude_prune_mask(m.weight, sparsity))  # noqa: F821
    return pruned


def accuracy_vs_sparsity(model, loader, sparsities):
    return {s: me.evaluate(prune_model(model, s), loader, {"accuracy": me.accuracy})["accuracy"]
            for s in sparsities}
