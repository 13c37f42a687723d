# cell: q3-solution
# loses: q3-tests
# Returns the k-th smallest |gamma| (index k - 1) instead of the (k+1)-th (index k).
import torch
from torch import nn


def slimming_threshold(model, prune_ratio):
    gammas = torch.cat([m.weight.detach().abs() for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    values = gammas.sort().values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[max(k - 1, 0)])
