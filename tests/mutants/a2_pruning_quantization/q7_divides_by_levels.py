# cell: q7-solution
# loses: q7-tests
# scale = range / 2**b (the number of levels) instead of range / (2**b - 1) (the number of steps).


def quantize_params(x_min, x_max, num_bits):
    qmax = 2**num_bits - 1
    x_min, x_max = min(float(x_min), 0.0), max(float(x_max), 0.0)
    if x_min == x_max:
        return 1.0, 0
    scale = (x_max - x_min) / 2**num_bits
    zero_point = min(max(round(-x_min / scale), 0), qmax)
    return scale, int(zero_point)
