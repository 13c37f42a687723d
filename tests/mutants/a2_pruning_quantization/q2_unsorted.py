# cell: q2-solution
# loses: q2-tests
# Returns topk's indices as they come (by decreasing norm), not sorted increasingly.
import torch


def select_filters(conv, keep_ratio):
    norms = conv.weight.detach().abs().sum(dim=(1, 2, 3))
    n = max(1, round(keep_ratio * conv.out_channels))
    return torch.topk(norms, n).indices
