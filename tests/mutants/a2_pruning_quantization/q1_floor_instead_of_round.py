# cell: q1-solution
# loses: q1-tests
# k = int(sparsity * numel): truncates instead of rounding (3.7 entries -> 3 pruned).
import torch


def magnitude_prune_mask(weight, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError("sparsity must be in [0, 1)")
    k = int(sparsity * weight.numel())
    mask = torch.ones(weight.numel(), dtype=weight.dtype)
    mask[torch.argsort(weight.detach().abs().flatten())[:k]] = 0
    return mask.reshape(weight.shape)
