# cell: q5-solution
# loses: q5-tests
# Resizes the mask bilinearly (fractional weights at the edges) instead of nearest.


def region_affinity(features, mask):
    m = F.interpolate(mask.unsqueeze(1).float(), size=features.shape[-2:], mode="bilinear")  # noqa: F821
    r_fg = (features * m).sum(dim=(2, 3)) / m.sum(dim=(2, 3))
    r_bg = (features * (1 - m)).sum(dim=(2, 3)) / (1 - m).sum(dim=(2, 3))
    return F.cosine_similarity(r_bg, r_fg, dim=1)  # noqa: F821
