# cell: q4-solution
# loses: q4a-tests
# One global magnitude ranking over all layers instead of the same sparsity in each layer.
import copy

import torch
from torch import nn

import medeff as me


def prune_model(model, sparsity):
    pruned = copy.deepcopy(model)
    layers = [m for m in pruned.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    flat = torch.cat([m.weight.detach().flatten() for m in layers])
    mask = magnitude_prune_mask(flat, sparsity)  # noqa: F821
    with torch.no_grad():
        start = 0
        for m in layers:
            n = m.weight.numel()
            m.weight.mul_(mask[start:start + n].view_as(m.weight))
            start += n
    return pruned


def accuracy_vs_sparsity(model, loader, sparsities):
    return {s: me.evaluate(prune_model(model, s), loader, {"accuracy": me.accuracy})["accuracy"]
            for s in sparsities}
