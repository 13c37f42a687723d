# cell: q3-solution
# loses: q3-tests
# Transposes the wrong way: reshape to (C/G, G) gives the inverse shuffle.


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f"{c} channels, {groups} groups")
    return x.reshape(n, c // groups, groups, h, w).transpose(1, 2).reshape(n, c, h, w)
