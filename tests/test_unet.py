"""The small U-Net used by lecture A and the distillation case study."""

from __future__ import annotations

import pytest
import torch

import medeff as me
from medeff.models.unet import UNet


def test_shapes_and_params():
    model = UNet(in_channels=1, num_classes=2, base_width=8)
    assert me.count_params(model) < 500_000
    assert me.count_params(UNet(base_width=16)) < 500_000
    assert me.count_params(UNet(base_width=16)) > 3 * me.count_params(model)
    out = model(torch.randn(2, 1, 96, 96))
    assert out.shape == (2, 2, 96, 96)


def test_features_at_stride_2_and_8():
    model = UNet(base_width=8)
    logits, feats = model(torch.randn(2, 1, 96, 96), return_features=True)
    assert logits.shape == (2, 2, 96, 96)
    assert feats["low"].shape == (2, 16, 48, 48)
    assert feats["high"].shape == (2, 64, 12, 12)
    assert model.feature_channels == {"low": 16, "high": 64}
    teacher = UNet(base_width=16)
    _, tf = teacher(torch.randn(1, 1, 96, 96), return_features=True)
    assert tf["low"].shape[-2:] == feats["low"].shape[-2:]
    assert tf["high"].shape[-2:] == feats["high"].shape[-2:]


def test_depth_and_training_step():
    model = UNet(base_width=4, depth=3, num_classes=3)
    x = torch.randn(2, 1, 32, 32)
    _, feats = model(x, return_features=True)
    assert feats["high"].shape[-1] == 8  # deepest level (stride 4) when depth < 4
    loss = torch.nn.functional.cross_entropy(model(x), torch.randint(0, 3, (2, 32, 32)))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_bad_input_size():
    with pytest.raises(ValueError, match="divisible by 8"):
        UNet()(torch.randn(1, 1, 90, 90))
    with pytest.raises(ValueError):
        UNet(depth=1)
