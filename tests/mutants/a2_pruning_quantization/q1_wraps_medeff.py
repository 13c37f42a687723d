# cell: q1-solution
# loses: q1-tests
# A thin wrapper around the course's reference implementation.
import medeff as me


def magnitude_prune_mask(weight, sparsity):
    return me.pruning.magnitude_prune_mask(weight, sparsity)
