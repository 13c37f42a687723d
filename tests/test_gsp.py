"""medeff.models.gsp: shift, group shift, GSP conv and the small 3-D U-Net."""

from __future__ import annotations

import pytest
import torch

import medeff as me
from medeff.models import gsp


def test_shift3d_moves_and_zero_fills():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(1, 2, 3, 4, 5)
    out = gsp.shift3d(x, (1, 0, -2))
    assert torch.equal(out[:, :, 1:, :, :-2], x[:, :, :-1, :, 2:])
    assert out[:, :, 0].abs().sum() == 0 and out[..., -2:].abs().sum() == 0
    assert torch.equal(gsp.shift3d(x, (0, 0, 0)), x)
    assert gsp.shift3d(x, (3, 0, 0)).abs().sum() == 0
    with pytest.raises(ValueError):
        gsp.shift3d(torch.zeros(2, 3, 4, 5), (1, 0, 0))


def test_group_shift_per_group_direction():
    x = torch.randn(2, 14, 4, 5, 6)
    out = gsp.group_shift3d(x)
    for g, d in enumerate(gsp.DIRECTIONS_3D):  # 14 channels / 7 groups = 2 each
        assert torch.equal(out[:, 2 * g : 2 * g + 2], gsp.shift3d(x[:, 2 * g : 2 * g + 2], d))
    assert me.count_params(gsp.GroupShift3d()) == 0


def test_gsp_conv_costs_27x_less_than_3x3x3():
    conv = torch.nn.Conv3d(16, 32, 3, padding=1, bias=False)
    gconv = gsp.GSPConv3d(16, 32)
    shape = (16, 8, 8, 8)
    assert me.count_params(conv) == 27 * me.count_params(gconv)
    assert me.count_macs(conv, shape) == 27 * me.count_macs(gconv, shape)
    assert gconv(torch.randn(1, *shape)).shape == (1, 32, 8, 8, 8)


def test_gsp_conv_sees_neighbours():
    # a voxel's output depends on its 6 face neighbours (through the shifted groups)
    gconv = gsp.GSPConv3d(7, 1)
    x = torch.zeros(1, 7, 5, 5, 5, requires_grad=True)
    gconv(x)[0, 0, 2, 2, 2].backward()
    touched = {tuple(i) for i in (x.grad[0].abs().sum(0) > 0).nonzero().tolist()}
    assert touched == {(2, 2, 2), (1, 2, 2), (3, 2, 2), (2, 1, 2), (2, 3, 2), (2, 2, 1), (2, 2, 3)}


@pytest.mark.parametrize("conv", ["standard", "gsp"])
def test_unet3d_shapes_and_costs(conv):
    net = gsp.UNet3D(conv=conv, base_width=8, depth=3).eval()
    out = net(torch.randn(2, 1, 8, 16, 16))
    assert out.shape == (2, 2, 8, 16, 16)
    with pytest.raises(ValueError):
        net(torch.randn(1, 1, 6, 16, 16))


def test_unet3d_gsp_is_much_cheaper():
    std, g = gsp.UNet3D(conv="standard"), gsp.UNet3D(conv="gsp")
    shape = (1, 16, 32, 32)
    assert me.count_params(g) < me.count_params(std) / 5
    assert me.count_macs(g, shape) < me.count_macs(std, shape) / 5
    # only the stem's 3x3x3 conv (1 input channel) survives in the GSP net
    k3 = [m for m in g.modules() if isinstance(m, torch.nn.Conv3d) and m.kernel_size == (3, 3, 3)]
    assert len(k3) == 1 and k3[0].in_channels == 1


def test_volume_dice_by_hand():
    class Fixed(torch.nn.Module):
        def forward(self, x):
            logits = torch.zeros(x.shape[0], 2, *x.shape[2:])
            logits[:, 1] = x[:, 0]
            return logits

    x = torch.full((2, 1, 2, 2, 2), -5.0)
    x[0, 0, 0, 0, :] = 5.0  # predicts 2 voxels in volume 0, none in volume 1
    y = torch.zeros(2, 2, 2, 2, dtype=torch.long)
    y[0, 0, 0, 0] = 1
    assert gsp.volume_dice(Fixed(), x, y) == pytest.approx([2 / 3, 1.0])


def test_task_volumes_split_by_case():
    data = gsp.task_volumes_3d("liver", shape=(8, 16, 16), n_cases=12)
    sizes = {k: len(v[0]) for k, v in data.items()}
    assert sum(sizes.values()) == 12
    x, y = data["train"]
    assert x.shape[1:] == (1, 8, 16, 16) and y.shape[1:] == (8, 16, 16)
    assert x.min() >= -1 and x.max() <= 1 and set(y.unique().tolist()) <= {0, 1}
    assert y.float().mean() > 0.05  # the liver crop keeps the liver in view
