# cell: q2-solution
# loses: q2-tests
# Forgets the bias flag: adds out_channels biases even when bias=False.


def conv2d_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    if in_channels % groups or out_channels % groups:
        raise ValueError("channels must be divisible by groups")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * (in_channels // groups) * kh * kw + out_channels)
