# cell: q8-solution
# loses: q8-tests
# Forgets to clamp: values outside the range give integers below 0 or above 2**b - 1.
import torch


def quantize(x, scale, zero_point, num_bits):
    return (torch.round(x / scale) + zero_point).to(torch.int64)
