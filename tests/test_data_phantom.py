"""The abdominal CT phantom: determinism, anatomy, HU statistics, label views (lecture A)."""

from __future__ import annotations

import numpy as np
import pytest

from medeff import data as md
from medeff.data.phantom import erode2d


@pytest.fixture(scope="module")
def cases() -> list[md.PhantomCase]:
    return [md.generate_case(s) for s in range(6)]


def test_deterministic_from_seed():
    a, b, c = md.generate_case(11), md.generate_case(11), md.generate_case(12)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)


def test_shapes_dtypes_and_label_values(cases):
    case = cases[0]
    assert case.image.shape == case.labels.shape == (32, 96, 96)
    assert case.image.dtype == np.float32 and case.labels.dtype == np.uint8
    assert set(np.unique(case.labels)) <= set(md.LABELS.values())
    small = md.generate_case(0, depth=8, size=64)
    assert small.image.shape == (8, 64, 64)


def test_every_structure_appears(cases):
    present = set(np.unique(np.stack([c.labels for c in cases])))
    assert present == set(md.LABELS.values()), "some structure never appears in 6 cases"
    assert sum(len(c.tumors) > 0 for c in cases) >= 3


def test_hu_statistics_within_documented_ranges(cases):
    images = np.stack([c.image for c in cases])
    labels = np.stack([c.labels for c in cases])
    stats = md.tissue_hu_stats(images, labels)
    for name, (mean, _sd, n) in stats.items():
        lo, hi = md.HU_RANGES[name]
        assert lo <= mean <= hi, f"{name}: mean {mean:.1f} HU outside [{lo}, {hi}] ({n} voxels)"
    # noise: air outside the body has an SD of about 10-20 HU
    assert 8.0 < stats["background"][1] < 22.0
    # orderings the notes insist on: liver brighter than spleen, kidney enhanced
    assert stats["liver"][0] > stats["spleen"][0]
    assert stats["kidney"][0] > stats["liver"][0]
    assert stats["liver_tumor"][0] < stats["liver"][0] - 40


def test_tumours_are_hypodense_per_case(cases):
    for case in cases:
        tumour = erode2d(case.labels == md.LABELS["liver_tumor"], 1)
        liver = erode2d(case.labels == md.LABELS["liver"], 1)
        if tumour.sum() > 20:
            assert case.image[tumour].mean() < case.image[liver].mean() - 30


def test_anatomy_is_consistent_slice_to_slice(cases):
    for case in cases:
        liver = md.lits_view(case.labels) > 0
        for z in range(len(liver) - 1):
            a, b = liver[z], liver[z + 1]
            if a.sum() > 200 and b.sum() > 200:
                dice = 2 * (a & b).sum() / (a.sum() + b.sum())
                assert dice > 0.7, f"liver jumps between slices {z} and {z + 1}"


def test_orientation_liver_left_spleen_right(cases):
    for case in cases:
        xs_liver = np.nonzero(case.labels == md.LABELS["liver"])[2]
        xs_spleen = np.nonzero(case.labels == md.LABELS["spleen"])[2]
        assert xs_liver.mean() < 48 < xs_spleen.mean()


def test_lits_and_kits_views(cases):
    lab = cases[1].labels
    lits, kits = md.lits_view(lab), md.kits_view(lab)
    assert set(np.unique(lits)) <= {0, 1, 2} and set(np.unique(kits)) <= {0, 1, 2}
    np.testing.assert_array_equal(lits == 1, lab == md.LABELS["liver"])
    np.testing.assert_array_equal(lits == 2, lab == md.LABELS["liver_tumor"])
    np.testing.assert_array_equal(kits == 1, lab == md.LABELS["kidney"])
    np.testing.assert_array_equal(kits == 2, lab == md.LABELS["kidney_tumor"])


def test_gaussian_blur_keeps_mean_and_smooths():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 32, 32)).astype(np.float32)
    y = md.gaussian_blur2d(x, 1.0)
    assert y.shape == x.shape
    assert abs(float(y.mean() - x.mean())) < 0.05 and y.std() < 0.5 * x.std()


def test_bad_arguments():
    with pytest.raises(ValueError, match="depth"):
        md.generate_case(0, depth=2)


def test_one_source_of_truth_for_intensities(monkeypatch):
    """generate_case draws from TISSUE_MEAN_HU; HU_RANGES is derived from it, not a copy."""
    from medeff.data import phantom

    lo, hi = phantom.TISSUE_MEAN_HU["liver"]
    assert phantom.HU_RANGES["liver"] == (lo - 15.0, hi + 15.0)
    monkeypatch.setitem(phantom.TISSUE_MEAN_HU, "liver", (300.0, 300.0))
    case = phantom.generate_case(0, depth=8, size=64)
    liver = erode2d(case.labels == md.LABELS["liver"], 1)
    assert abs(case.image[liver].mean() - 300.0) < 20, "the liver's HU must come from the table"
