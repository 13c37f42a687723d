"""Tests of medeff.distillation: each loss against an independent formula or a known value."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import medeff as me
from medeff import distillation as kd


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- kd_loss
def test_kd_loss_matches_explicit_formula():
    g = _g(1)
    s, t = torch.randn(6, 5, generator=g), 3 * torch.randn(6, 5, generator=g)
    y = torch.randint(0, 5, (6,), generator=g)
    T, a = 3.0, 0.7
    p_t = torch.softmax(t / T, 1)
    kl = (p_t * (p_t.log() - torch.log_softmax(s / T, 1))).sum(1).mean()
    ce = -torch.log_softmax(s, 1)[torch.arange(6), y].mean()
    want = a * T * T * kl + (1 - a) * ce
    assert torch.allclose(kd.kd_loss(s, t, y, T, a), want, atol=1e-6)


def test_kd_loss_limits():
    g = _g(2)
    s = torch.randn(4, 3, generator=g)
    y = torch.randint(0, 3, (4,), generator=g)
    # identical logits: the KL term vanishes, alpha = 1 leaves nothing
    assert kd.kd_loss(s, s, y, 4.0, 1.0).abs().item() < 1e-6
    # alpha = 0 is plain cross-entropy
    assert torch.allclose(kd.kd_loss(s, 5 * s, y, 4.0, 0.0), F.cross_entropy(s, y))
    # labels may come as (N, 1)
    assert torch.allclose(kd.kd_loss(s, 2 * s, y[:, None]), kd.kd_loss(s, 2 * s, y))


def test_kd_loss_teacher_detached_and_student_gets_gradient():
    g = _g(3)
    s = torch.randn(4, 3, generator=g, requires_grad=True)
    t = torch.randn(4, 3, generator=g, requires_grad=True)
    kd.kd_loss(s, t, torch.tensor([0, 1, 2, 0])).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_kd_loss_shape_and_temperature_errors():
    with pytest.raises(ValueError, match="same shape"):
        kd.kd_loss(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2))
    with pytest.raises(ValueError, match="temperature"):
        kd.kd_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2), temperature=0)


def test_soft_targets_flatten_with_temperature():
    z = torch.tensor([[4.0, 1.0, 0.0]])
    p1, p4 = kd.soft_targets(z, 1.0), kd.soft_targets(z, 4.0)
    assert torch.allclose(p1.sum(), torch.tensor(1.0))
    assert p4.max() < p1.max() and p4.min() > p1.min()


# ---------------------------------------------------------------- dice
def test_dice_coefficient_values():
    a = torch.tensor([[1, 1, 0, 0]])
    b = torch.tensor([[1, 0, 1, 0]])
    assert kd.dice_coefficient(a, b) == pytest.approx(0.5, abs=1e-6)
    assert kd.dice_coefficient(a, a) == pytest.approx(1.0, abs=1e-9)
    assert kd.dice_coefficient(a, 1 - a) == pytest.approx(0.0, abs=1e-6)
    empty = torch.zeros(3, 4, 4)
    assert kd.dice_coefficient(empty, empty) == 1.0
    assert kd.dice_coefficient(empty.bool(), empty.bool()) == 1.0
    with pytest.raises(ValueError):
        kd.dice_coefficient(a, torch.zeros(4))


def test_dice_coefficient_agrees_with_metrics_dice_score():
    g = _g(4)
    logits = torch.randn(2, 2, 8, 8, generator=g)
    target = torch.randint(0, 2, (2, 8, 8), generator=g)
    pred = torch.softmax(logits, 1)[:, 1] > 0.5
    assert kd.dice_coefficient(pred, target) == pytest.approx(
        me.dice_score(logits, target), abs=1e-5
    )


# ---------------------------------------------------------------- pixel-wise KD
def test_pixelwise_kd_loss_is_kd_on_flattened_pixels():
    g = _g(5)
    s, t = torch.randn(2, 3, 4, 5, generator=g), torch.randn(2, 3, 4, 5, generator=g)
    flat = lambda z: z.permute(0, 2, 3, 1).reshape(-1, 3)  # noqa: E731
    T = 4.0
    want = (
        F.kl_div(F.log_softmax(flat(s) / T, 1), F.softmax(flat(t) / T, 1), reduction="batchmean")
        * T
        * T
    )
    assert torch.allclose(kd.pixelwise_kd_loss(s, t, T), want, atol=1e-6)
    # EMKD's two-class version views NCHW as (-1, 2); its sum is the same
    s2, t2 = s[:, :2], t[:, :2]
    emkd = (
        F.kl_div(
            F.log_softmax(s2 / T, 1).reshape(-1, 2),
            F.softmax(t2 / T, 1).reshape(-1, 2),
            reduction="batchmean",
        )
        * T
        * T
    )
    assert torch.allclose(kd.pixelwise_kd_loss(s2, t2, T), emkd, atol=1e-6)


# ---------------------------------------------------------------- importance maps
def test_importance_map_shape_norm_and_formula():
    g = _g(6)
    f = torch.randn(3, 7, 5, 4, generator=g)
    a = kd.importance_map(f, p=4)
    assert a.shape == (3, 20)
    assert torch.allclose(a.norm(dim=1), torch.ones(3), atol=1e-6)
    raw = (f**4).mean(1).reshape(3, -1)  # EMKD's at(x, 4): even p needs no abs
    assert torch.allclose(a, raw / raw.norm(dim=1, keepdim=True), atol=1e-6)
    raw3 = f.abs().pow(3).mean(1).reshape(3, -1)
    assert torch.allclose(
        kd.importance_map(f, p=3), raw3 / raw3.norm(dim=1, keepdim=True), atol=1e-6
    )


def test_imd_loss_resizes_student_and_matches_emkd():
    g = _g(7)
    fs, ft = torch.randn(2, 4, 8, 8, generator=g), torch.randn(2, 16, 16, 16, generator=g)
    at = lambda x: F.normalize(x.pow(4).mean(1).view(x.size(0), -1))  # noqa: E731
    up = F.interpolate(fs, (16, 16), mode="bilinear")
    want = (at(up) - at(ft)).pow(2).sum(1).mean()
    assert torch.allclose(kd.imd_loss(fs, ft), want, atol=1e-6)
    assert kd.imd_loss(ft, ft).item() == pytest.approx(0.0, abs=1e-9)
    # bounded by 4 (two unit vectors) and non-negative
    assert 0 <= kd.imd_loss(fs, ft).item() <= 4


# ---------------------------------------------------------------- region affinity
def test_region_affinity_matches_emkd_region_contrast():
    g = _g(8)
    f = torch.randn(3, 6, 8, 8, generator=g)
    mask = (torch.rand(3, 32, 32, generator=g) > 0.6).long()
    gt = torch.stack([1 - mask, mask], 1).float()
    gt = F.interpolate(gt, (8, 8))  # EMKD: nearest, one-hot
    m0, m1 = gt[:, :1], gt[:, 1:]
    r0 = (f * m0).sum((2, 3)) / m0.sum((2, 3))
    r1 = (f * m1).sum((2, 3)) / (m1.sum((2, 3)) + 1.0)
    want = F.cosine_similarity(r0, r1, dim=1)
    got = kd.region_affinity(f, mask)
    assert got.shape == (3,)
    assert torch.allclose(got, want, atol=1e-6)
    assert torch.allclose(kd.region_affinity(f, mask[:, None]), got)


def test_region_affinity_nearest_not_bilinear_and_empty_region():
    f = torch.zeros(1, 2, 2, 2)
    f[0, 0] = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    f[0, 1] = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    mask = torch.zeros(1, 4, 4)
    mask[0, :2, :2] = 1  # nearest picks pixel (0,0) of each 2x2 block
    assert kd.region_affinity(f, mask).item() == pytest.approx(0.0, abs=1e-6)
    assert kd.region_affinity(f, torch.zeros(1, 4, 4)).item() == 0.0


def test_rad_loss_zero_for_same_features_and_differentiable():
    g = _g(9)
    fs = torch.randn(2, 3, 8, 8, generator=g, requires_grad=True)
    ft = torch.randn(2, 5, 8, 8, generator=g)
    mask = torch.rand(2, 16, 16, generator=g) > 0.5
    assert kd.rad_loss(ft, ft, mask).item() == pytest.approx(0.0, abs=1e-9)
    loss = kd.rad_loss(fs, ft, mask)
    loss.backward()
    assert loss.item() > 0 and fs.grad.abs().sum() > 0


# ---------------------------------------------------------------- segmentation loss
def test_segmentation_loss_matches_emkd_calc_loss():
    g = _g(10)
    logits = torch.randn(2, 2, 6, 6, generator=g)
    mask = torch.randint(0, 2, (2, 6, 6), generator=g)
    logp = F.log_softmax(logits, 1)
    logpt = logp.gather(1, mask[:, None]).squeeze(1)
    focal = (-((1 - logpt.exp()) ** 2) * logpt).mean()
    p1 = logp[:, 1].exp()
    dice = (2 * (p1 * mask).sum() + 1) / (p1.sum() + mask.sum() + 1)
    want = 0.5 * focal + 0.5 * (1 - dice)
    assert torch.allclose(kd.segmentation_loss(logits, mask), want, atol=1e-6)
    perfect = torch.stack([-20 * (mask * 2 - 1), 20 * (mask * 2 - 1)], 1).float()
    assert kd.segmentation_loss(perfect, mask).item() < 1e-3


def test_emkd_loss_total_and_ablation():
    g = _g(11)
    s, t = torch.randn(2, 2, 16, 16, generator=g), torch.randn(2, 2, 16, 16, generator=g)
    mask = torch.randint(0, 2, (2, 16, 16), generator=g)
    fs = [torch.randn(2, 4, 8, 8, generator=g), torch.randn(2, 8, 2, 2, generator=g)]
    ft = [torch.randn(2, 8, 8, 8, generator=g), torch.randn(2, 16, 2, 2, generator=g)]
    parts = kd.emkd_loss(s, t, mask, fs, ft)
    want = (
        kd.segmentation_loss(s, mask)
        + 0.1 * kd.pixelwise_kd_loss(s, t)
        + 0.9 * (kd.imd_loss(fs[0], ft[0]) + kd.imd_loss(fs[1], ft[1]))
        + 0.9 * (kd.rad_loss(fs[0], ft[0], mask) + kd.rad_loss(fs[1], ft[1], mask))
    )
    assert torch.allclose(parts["total"], want, atol=1e-6)
    no_rad = kd.emkd_loss(s, t, mask, fs, ft, rad=0.0)
    assert torch.allclose(no_rad["total"], want - 0.9 * parts["rad"], atol=1e-6)


# ---------------------------------------------------------------- training
def _tiny(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * width, 3),
    )


def test_kd_train_step_with_fit_and_features():
    torch.manual_seed(0)
    x = torch.randn(32, 1, 6, 6)
    y = torch.randint(0, 3, (32,))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    teacher, student = _tiny(8), _tiny(2)
    before = [p.clone() for p in teacher.parameters()]
    step = kd.kd_train_step(teacher, temperature=2.0, alpha=0.5)
    hist = me.fit(student, loader, epochs=1, train_step=step, progress=False)
    assert math.isfinite(hist.last("train_loss"))
    step_f = kd.kd_train_step(teacher, feature_weight=1.0, student_layer="1", teacher_layer="1")
    loss = step_f(student, (x[:8], y[:8]))
    plain = kd.kd_train_step(teacher)(student, (x[:8], y[:8]))
    assert loss.item() > plain.item()
    assert all(torch.equal(a, b) for a, b in zip(before, teacher.parameters(), strict=True))
    assert not student[1]._forward_hooks  # capture removed its hooks
    with pytest.raises(ValueError, match="student_layer"):
        kd.kd_train_step(teacher, feature_weight=1.0)


def test_draw_kd_diagram_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = kd.draw_kd_diagram()
    assert len(ax.patches) >= 7 and "distillation" in ax.get_title()
    plt.close("all")
