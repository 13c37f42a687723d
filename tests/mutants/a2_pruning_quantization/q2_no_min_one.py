# cell: q2-solution
# loses: q2-tests
# Forgets max(1, ...): a small keep_ratio keeps no filter at all.
import torch


def select_filters(conv, keep_ratio):
    norms = conv.weight.detach().abs().sum(dim=(1, 2, 3))
    n = round(keep_ratio * conv.out_channels)
    return torch.topk(norms, n).indices.sort().values
