# cell: q9-solution
# loses: q9-tests
# Subtracts in q's integer dtype before converting: a uint8 q wraps around below zero.
import torch


def dequantize(q, scale, zero_point):
    return (q - zero_point).to(torch.float32) * scale
