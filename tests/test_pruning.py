"""medeff.pruning: the graded references (exact semantics) and the lecture 04 mechanics."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from medeff import pruning as pr


# ---------------------------------------------------------------------------- magnitude_prune_mask
@pytest.mark.parametrize("shape", [(7,), (4, 5), (8, 3, 3, 3)])
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.25, 0.5, 0.9, 0.999])
def test_magnitude_mask_zeroes_exactly_k_smallest(shape, sparsity):
    w = torch.randn(shape)
    mask = pr.magnitude_prune_mask(w, sparsity)
    k = round(sparsity * w.numel())
    assert mask.shape == w.shape and mask.dtype == w.dtype
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert int((mask == 0).sum()) == k
    if 0 < k < w.numel():
        assert w.abs()[mask == 0].max() <= w.abs()[mask == 1].min()


def test_magnitude_mask_ties_are_stable_and_dtype_kept():
    w = torch.tensor([1.0, -1.0, 1.0, 2.0, -1.0], dtype=torch.float64)
    mask = pr.magnitude_prune_mask(w, 0.4)  # k = 2: the first two of the four |w| = 1
    assert mask.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert mask.dtype == torch.float64
    assert not mask.requires_grad


def test_magnitude_mask_rejects_bad_sparsity():
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError):
            pr.magnitude_prune_mask(torch.randn(3, 3), bad)


def test_magnitude_mask_ignores_grad_and_keeps_weight():
    w = torch.randn(10, requires_grad=True)
    before = w.detach().clone()
    mask = pr.magnitude_prune_mask(w, 0.3)
    assert torch.equal(w.detach(), before) and int((mask == 0).sum()) == 3


# ---------------------------------------------------------------------------- select_filters
def test_select_filters_keeps_largest_l1_sorted():
    conv = nn.Conv2d(3, 10, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.randn_like(conv.weight))
    norms = conv.weight.abs().sum(dim=(1, 2, 3))
    idx = pr.select_filters(conv, 0.4)
    assert idx.dtype == torch.long and idx.tolist() == sorted(idx.tolist())
    assert set(idx.tolist()) == set(torch.topk(norms, 4).indices.tolist())


@pytest.mark.parametrize("ratio,out,n", [(1.0, 6, 6), (0.01, 6, 1), (0.5, 5, 2), (0.3, 5, 2),
                                         (0.7, 5, 4)])
def test_select_filters_count(ratio, out, n):
    conv = nn.Conv2d(2, out, 1)
    assert len(pr.select_filters(conv, ratio)) == n == max(1, round(ratio * out))


def test_select_filters_ties_and_errors():
    conv = nn.Conv2d(1, 4, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 2.0, 2.0, 2.0]).view(4, 1, 1, 1))
    assert pr.select_filters(conv, 0.5).tolist() == [1, 2]
    for bad in (0.0, -0.5, 1.01):
        with pytest.raises(ValueError):
            pr.select_filters(conv, bad)
    with pytest.raises(TypeError):
        pr.select_filters(nn.Linear(2, 2), 0.5)


# ---------------------------------------------------------------------------- slimming_threshold
def _bn_net(gammas: list[list[float]]) -> nn.Module:
    layers = []
    for g in gammas:
        bn = nn.BatchNorm2d(len(g))
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(g))
        layers.append(bn)
    return nn.Sequential(*layers, nn.BatchNorm1d(3))  # BatchNorm1d is not counted


def test_slimming_threshold_convention():
    net = _bn_net([[0.5, -0.1, 0.9], [0.3, -0.7, 0.2, 0.05]])  # |g| sorted: .05 .1 .2 .3 .5 .7 .9
    g = pr.bn_gammas(net)
    assert len(g) == 7
    for ratio, expected in [(0.0, 0.05), (0.3, 0.2), (0.5, 0.5), (0.6, 0.5), (0.95, 0.9)]:
        t = pr.slimming_threshold(net, ratio)
        assert isinstance(t, float)
        assert t == pytest.approx(expected)
        k = min(round(ratio * 7), 6)
        assert int((g < t).sum()) == k


def test_slimming_threshold_random_and_errors():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(1, 16, 3), nn.BatchNorm2d(16), nn.Conv2d(16, 32, 3),
                        nn.BatchNorm2d(32))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.randn_like(m.weight))
    g = pr.bn_gammas(net)
    for ratio in (0.1, 0.25, 0.5, 0.8):
        assert int((g < pr.slimming_threshold(net, ratio)).sum()) == round(ratio * 48)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError):
            pr.slimming_threshold(net, bad)
    with pytest.raises(ValueError):
        pr.slimming_threshold(nn.Linear(2, 2), 0.5)
