# cell: q8-solution
# loses: q8-tests
# Right values, but returned as a float tensor instead of torch.int64.
import torch


def quantize(x, scale, zero_point, num_bits):
    return (torch.round(x / scale) + zero_point).clamp(0, 2**num_bits - 1)
