# cell: q5-solution
# loses: q5-tests
# Uses the mean over all pixels as the background vector.


def region_affinity(features, mask):
    m = F.interpolate(mask.unsqueeze(1).float(), size=features.shape[-2:], mode="nearest")  # noqa: F821
    r_fg = (features * m).sum(dim=(2, 3)) / m.sum(dim=(2, 3))
    r_bg = features.mean(dim=(2, 3))
    return F.cosine_similarity(r_bg, r_fg, dim=1)  # noqa: F821
