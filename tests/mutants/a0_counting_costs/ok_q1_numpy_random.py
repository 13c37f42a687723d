# cell: q1-solution
# loses: nothing
# keeps: all
# Honest variant: a correct answer that imports numpy's random over the notebook's
# `import random`. Hidden tests import what they use, so this must keep full marks.
from numpy import random  # noqa: F401


def conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1):
    if in_channels % groups or out_channels % groups:
        raise ValueError("channels must be divisible by groups")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * out_h * out_w * (in_channels // groups) * kh * kw)
