# cell: q1-solution
# loses: q1-tests
# Ranks the signed values instead of the magnitudes: prunes the most negative weights.
import torch


def magnitude_prune_mask(weight, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError("sparsity must be in [0, 1)")
    k = round(sparsity * weight.numel())
    mask = torch.ones(weight.numel(), dtype=weight.dtype)
    mask[torch.argsort(weight.detach().flatten())[:k]] = 0
    return mask.reshape(weight.shape)
