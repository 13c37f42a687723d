# cell: q4-solution
# loses: q4a-tests
# Uses torch.nn.utils.prune.custom_from_mask: the copy gets weight_orig/weight_mask entries
# instead of a pruned weight (the question asks for the same parameters as the model).
import copy

from torch import nn
from torch.nn.utils import prune

import medeff as me


def prune_model(model, sparsity):
    pruned = copy.deepcopy(model)
    for m in pruned.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            prune.custom_from_mask(m, "weight", magnitude_prune_mask(m.weight, sparsity))  # noqa: F821
    return pruned


def accuracy_vs_sparsity(model, loader, sparsities):
    return {s: me.evaluate(prune_model(model, s), loader, {"accuracy": me.accuracy})["accuracy"]
            for s in sparsities}
