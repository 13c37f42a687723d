# cell: q1-solution
# loses: q1-tests
# Counts the depthwise convolution and forgets the pointwise one.


def depthwise_separable_macs(in_channels, out_channels, kernel_size, out_h, out_w):
    return kernel_size * kernel_size * in_channels * out_h * out_w
