# cell: q2-solution
# loses: q2-tests
# Averages the Dice of each sample (first dimension) instead of pooling all elements.


def dice_coefficient(pred, target, eps=1e-6):
    p, g = pred.bool().reshape(len(pred), -1), target.bool().reshape(len(target), -1)
    inter = (p & g).sum(1).float()
    return ((2 * inter + eps) / (p.sum(1) + g.sum(1) + eps)).mean().item()
