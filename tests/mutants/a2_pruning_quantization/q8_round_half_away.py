# cell: q8-solution
# loses: q8-tests
# Rounds with floor(v + 0.5) (half up), not torch.round's half to even: 0.5 -> 1, 2.5 -> 3.
import torch


def quantize(x, scale, zero_point, num_bits):
    q = torch.floor(x / scale + 0.5) + zero_point
    return q.clamp(0, 2**num_bits - 1).to(torch.int64)
