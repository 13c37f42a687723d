# cell: q3-solution
# loses: q3-tests
# Sorts the signed gammas: a large negative gamma counts as "small".
import torch
from torch import nn


def slimming_threshold(model, prune_ratio):
    gammas = torch.cat([m.weight.detach() for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    values = gammas.sort().values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[k])
