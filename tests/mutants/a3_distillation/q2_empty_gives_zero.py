# cell: q2-solution
# loses: q2-tests
# Puts eps only in the denominator: two empty masks give 0 instead of 1.


def dice_coefficient(pred, target, eps=1e-6):
    p, g = pred.bool(), target.bool()
    return (2.0 * (p & g).sum().item()) / (p.sum().item() + g.sum().item() + eps)
