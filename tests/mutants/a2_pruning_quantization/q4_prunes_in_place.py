# cell: q4-solution
# loses: q4a-tests
# Prunes the model it was given (no copy): the original network is destroyed.
import torch
from torch import nn

import medeff as me


def prune_model(model, sparsity):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.mul_(magnitude_prune_mask(m.weight, sparsity))  # noqa: F821
    return model


def accuracy_vs_sparsity(model, loader, sparsities):
    return {s: me.evaluate(prune_model(model, s), loader, {"accuracy": me.accuracy})["accuracy"]
            for s in sparsities}
