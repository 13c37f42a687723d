# cell: q3-solution
# loses: q3-tests
# Computes a threshold per layer and averages them, instead of one global ranking.
import torch
from torch import nn


def slimming_threshold(model, prune_ratio):
    thresholds = []
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            values = m.weight.detach().abs().sort().values
            k = min(round(prune_ratio * values.numel()), values.numel() - 1)
            thresholds.append(float(values[k]))
    return float(torch.tensor(thresholds).mean())
