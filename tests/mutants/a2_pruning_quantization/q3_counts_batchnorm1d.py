# cell: q3-solution
# loses: q3-tests
# Collects the scales of every BatchNorm flavour (BatchNorm1d too), not only BatchNorm2d.
import torch
from torch import nn


def slimming_threshold(model, prune_ratio):
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
    gammas = torch.cat([m.weight.detach().abs() for m in model.modules() if isinstance(m, norms)])
    values = gammas.sort().values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[k])
