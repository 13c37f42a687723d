# cell: q4-solution
# loses: q4-tests
# Uses F^p instead of |F|^p (the same for even p, wrong for odd p).


def importance_map(features, p=4):
    q = features.pow(p).mean(dim=1).flatten(1)
    return q / q.norm(dim=1, keepdim=True)
