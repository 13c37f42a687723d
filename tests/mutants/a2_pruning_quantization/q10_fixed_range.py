# cell: q10-solution
# loses: q10-tests
# Uses a fixed range [-1, 1] instead of the tensor's own min and max.


def fake_quantize_ste(x, num_bits):
    scale, zero_point = quantize_params(-1.0, 1.0, num_bits)  # noqa: F821
    y = dequantize(quantize(x.detach(), scale, zero_point, num_bits), scale, zero_point)  # noqa: F821
    return x + (y.to(x.dtype) - x).detach()
