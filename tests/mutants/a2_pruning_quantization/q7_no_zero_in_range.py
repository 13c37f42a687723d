# cell: q7-solution
# loses: q7-tests
# Does not extend the range to contain 0: 0.0 is not exactly representable.


def quantize_params(x_min, x_max, num_bits):
    qmax = 2**num_bits - 1
    x_min, x_max = float(x_min), float(x_max)
    if x_min == x_max:
        return 1.0, 0
    scale = (x_max - x_min) / qmax
    zero_point = min(max(round(-x_min / scale), 0), qmax)
    return scale, int(zero_point)
