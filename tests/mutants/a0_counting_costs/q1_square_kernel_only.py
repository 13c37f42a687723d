# cell: q1-solution
# loses: q1-tests
# keeps: q4-tests
# Treats every kernel as square: a pair (k_h, k_w) is read as k_h x k_h.


def conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1):
    if in_channels % groups or out_channels % groups:
        raise ValueError("channels must be divisible by groups")
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    return int(out_channels * out_h * out_w * (in_channels // groups) * k * k)
