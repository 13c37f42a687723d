# cell: q1-solution
# loses: q1-tests
# keeps: q4-tests
# Right formula, but silently accepts channels that are not divisible by groups
# (floor division hides the error instead of raising ValueError).


def conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * out_h * out_w * (in_channels // groups) * kh * kw)
