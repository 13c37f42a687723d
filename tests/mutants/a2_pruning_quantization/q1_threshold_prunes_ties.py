# cell: q1-solution
# loses: q1-tests
# Keeps |w| > (k-th smallest |w|): with tied magnitudes it prunes more than k entries.
import torch


def magnitude_prune_mask(weight, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError("sparsity must be in [0, 1)")
    k = round(sparsity * weight.numel())
    if k == 0:
        return torch.ones_like(weight)
    threshold = weight.detach().abs().flatten().kthvalue(k).values
    return (weight.detach().abs() > threshold).to(weight.dtype)
