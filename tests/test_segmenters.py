"""The case study's student segmenters: shapes, feature taps, sizes, errors."""

from __future__ import annotations

import pytest
import torch

from medeff.models.segmenters import (
    STUDENTS,
    ENetBottleneck,
    ENetLike,
    InvertedResidualBlock,
    MobileNetV2Like,
    ResNet18Like,
    make_segmenter,
)
from medeff.models.unet import UNet


@pytest.mark.parametrize("kind", sorted(STUDENTS))
def test_logits_and_taps(kind):
    model = make_segmenter(kind).eval()
    x = torch.randn(2, 1, 96, 96)
    logits, feats = model(x, return_features=True)
    assert logits.shape == (2, 2, 96, 96)
    assert set(feats) == {"low", "high"}
    assert feats["low"].shape == (2, model.feature_channels["low"], 48, 48)  # stride 2
    assert feats["high"].shape == (2, model.feature_channels["high"], 12, 12)  # stride 8
    assert torch.equal(model(x), logits)


@pytest.mark.parametrize("kind", sorted(STUDENTS))
def test_students_are_much_smaller_than_the_teacher(kind):
    n = sum(p.numel() for p in make_segmenter(kind).parameters())
    teacher = sum(p.numel() for p in UNet(base_width=16).parameters())
    assert 5_000 < n < teacher / 5


def test_taps_match_the_teacher_strides():
    x = torch.randn(1, 1, 64, 64)
    _, t = UNet(base_width=8).eval()(x, return_features=True)
    for kind in STUDENTS:
        _, s = make_segmenter(kind).eval()(x, return_features=True)
        for tap in ("low", "high"):
            assert s[tap].shape[-2:] == t[tap].shape[-2:], (kind, tap)


def test_gradients_reach_every_parameter():
    for kind in STUDENTS:
        model = make_segmenter(kind)
        logits, feats = model(torch.randn(2, 1, 64, 64), return_features=True)
        (logits.mean() + feats["low"].mean() + feats["high"].mean()).backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, (kind, missing)


def test_widths_and_options():
    assert ENetLike(width=16).feature_channels == {"low": 16, "high": 64}
    assert MobileNetV2Like(width_mult=2.0).feature_channels["low"] == 32
    assert ResNet18Like(width=4, num_classes=3)(torch.randn(1, 1, 64, 64)).shape == (1, 3, 64, 64)
    assert ENetLike(in_channels=3)(torch.randn(1, 3, 32, 32)).shape == (1, 2, 32, 32)


@pytest.mark.parametrize("kind", ["regular", "dilated", "asym", "down", "up"])
def test_enet_bottleneck_kinds(kind):
    block = ENetBottleneck(8, 16, kind, dilation=2)
    out = block(torch.randn(1, 8, 16, 16))
    size = {"down": 8, "up": 32}.get(kind, 16)
    assert out.shape == (1, 16, size, size)


def test_inverted_residual_uses_residual_only_when_shapes_match():
    assert InvertedResidualBlock(8, 8, 1, 4).residual
    assert not InvertedResidualBlock(8, 8, 2, 4).residual
    assert not InvertedResidualBlock(8, 12, 1, 4).residual


def test_errors_are_clear():
    with pytest.raises(ValueError, match="unknown student"):
        make_segmenter("vgg")
    with pytest.raises(ValueError, match="divisible by 8"):
        make_segmenter("enet")(torch.randn(1, 1, 30, 30))
    with pytest.raises(ValueError, match="divisible by 8"):
        make_segmenter("resnet18")(torch.randn(1, 1, 44, 44))
    assert make_segmenter("resnet18")(torch.randn(1, 1, 48, 48)).shape == (1, 2, 48, 48)
    with pytest.raises(ValueError, match="unknown ENet bottleneck"):
        ENetBottleneck(8, 8, "sideways")
