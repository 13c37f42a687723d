# cell: q4-solution
# loses: q4-tests
# Takes the channel mean of |F| first and raises it to the power p afterwards.


def importance_map(features, p=4):
    q = features.abs().mean(dim=1).pow(p).flatten(1)
    return q / q.norm(dim=1, keepdim=True)
