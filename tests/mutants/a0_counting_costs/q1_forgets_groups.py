# cell: q1-solution
# loses: q1-tests
# keeps: q4-tests
# Forgets groups: every output channel is charged all input channels (grouped and
# depthwise convolutions come out g times too expensive).


def conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1):
    if in_channels % groups or out_channels % groups:
        raise ValueError("channels must be divisible by groups")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * out_h * out_w * in_channels * kh * kw)
