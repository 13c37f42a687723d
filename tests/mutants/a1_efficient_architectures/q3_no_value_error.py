# cell: q3-solution
# loses: q3-tests
# Right permutation, but a bad channel count raises RuntimeError from reshape, not ValueError.


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
