# cell: q1-solution
# loses: q1-tests
# Right number, wrong type: a float from the ratio formula (and float rounding).


def depthwise_separable_macs(in_channels, out_channels, kernel_size, out_h, out_w):
    standard = kernel_size**2 * in_channels * out_channels * out_h * out_w
    return standard * (1 / out_channels + 1 / kernel_size**2)
