# cell: q4-solution
# loses: q4-tests
# Divides by one norm for the whole batch instead of one per sample.


def importance_map(features, p=4):
    q = features.abs().pow(p).mean(dim=1).flatten(1)
    return q / q.norm()
