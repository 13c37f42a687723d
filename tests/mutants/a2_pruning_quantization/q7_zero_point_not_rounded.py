# cell: q7-solution
# loses: q7-tests
# Keeps the zero point as a float (-x_min / scale), not an integer.


def quantize_params(x_min, x_max, num_bits):
    qmax = 2**num_bits - 1
    x_min, x_max = min(float(x_min), 0.0), max(float(x_max), 0.0)
    if x_min == x_max:
        return 1.0, 0
    scale = (x_max - x_min) / qmax
    zero_point = min(max(-x_min / scale, 0.0), float(qmax))
    return scale, zero_point
