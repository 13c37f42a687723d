# cell: q4-solution
# loses: q4-tests
# Forgets to divide each map by its L2 norm.


def importance_map(features, p=4):
    return features.abs().pow(p).mean(dim=1).flatten(1)
