# cell: q2-solution
# loses: q2-tests
# Ranks filters by their L2 norm instead of the L1 norm.
import torch


def select_filters(conv, keep_ratio):
    norms = conv.weight.detach().pow(2).sum(dim=(1, 2, 3)).sqrt()
    n = max(1, round(keep_ratio * conv.out_channels))
    return torch.topk(norms, n).indices.sort().values
