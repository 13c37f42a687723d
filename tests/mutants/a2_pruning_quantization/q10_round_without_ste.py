# cell: q10-solution
# loses: q10-tests
# Quantizes with differentiable tensor ops but no straight-through estimator: torch.round
# has zero gradient, so every gradient is 0 and QAT would not learn.
import torch


def fake_quantize_ste(x, num_bits):
    scale, zero_point = quantize_params(x.min().item(), x.max().item(), num_bits)  # noqa: F821
    q = torch.clamp(torch.round(x / scale) + zero_point, 0, 2**num_bits - 1)
    return (q - zero_point) * scale
