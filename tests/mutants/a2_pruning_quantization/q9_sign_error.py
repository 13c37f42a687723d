# cell: q9-solution
# loses: q9-tests
# Adds the zero point instead of subtracting it.
import torch


def dequantize(q, scale, zero_point):
    return (q.to(torch.float32) + zero_point) * scale
