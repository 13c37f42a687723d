"""medeff.models.classic: parameters and MACs against counts derived here from the papers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import medeff as me
from medeff.models import classic


def conv(cin: int, cout: int, k: int, out_hw: int, groups: int = 1, bias: bool = True):
    """(params, MACs) of a k x k convolution with a square output of side ``out_hw``."""
    weights = k * k * (cin // groups) * cout
    return weights + (cout if bias else 0), weights * out_hw * out_hw


def fc(cin: int, cout: int):
    """(params, MACs) of a fully connected layer with bias."""
    return cin * cout + cout, cin * cout


def out_size(size: int, k: int, stride: int = 1, pad: int = 0) -> int:
    return (size + 2 * pad - k) // stride + 1


def total(layers):
    return sum(p for p, _ in layers), sum(m for _, m in layers)


# ------------------------------------------------------------------------ LeNet-5
def lenet_layers(sparse: bool):
    c1 = conv(1, 6, 5, out_size(32, 5))  # 28x28
    s2 = out_size(28, 2, 2)  # 14
    if sparse:
        # Table I of LeCun et al. 1998: 6 maps read 3 S2 maps, 9 read 4, 1 reads all 6.
        fan_in = 6 * 3 + 9 * 4 + 1 * 6
        c3 = (fan_in * 25 + 16, fan_in * 25 * out_size(s2, 5) ** 2)
    else:
        c3 = conv(6, 16, 5, out_size(s2, 5))
    s4 = out_size(out_size(s2, 5), 2, 2)  # 5
    c5 = conv(16, 120, 5, out_size(s4, 5))  # 1x1
    return [c1, c3, c5, fc(120, 84), fc(84, 10)]


@pytest.mark.parametrize("sparse", [False, True])
def test_lenet5_params_and_macs(sparse):
    model = classic.lenet5(sparse_c3=sparse)
    params, macs = total(lenet_layers(sparse))
    assert me.count_params(model) == params
    assert me.count_macs(model, (1, 32, 32)) == macs
    assert model(torch.randn(3, 1, 32, 32)).shape == (3, 10)


def test_lenet5_headline_figures():
    # The figures quoted in the course notes, as a sanity check of the formulas above.
    assert total(lenet_layers(False)) == (61_706, 416_520)
    assert total(lenet_layers(True)) == (60_806, 326_520)


def test_sparse_c3_follows_the_connection_table():
    """Output map j must depend on exactly the S2 maps in row j of the table."""
    torch.manual_seed(0)
    layer = classic.SparseC3()
    x = torch.randn(1, 6, 10, 10, requires_grad=True)
    table = classic.LENET5_C3_TABLE
    assert len(table) == 16 and sum(len(r) for r in table) == 60
    out = layer(x)
    assert out.shape == (1, 16, 6, 6)
    for j, row in enumerate(table):
        (grad,) = torch.autograd.grad(out[0, j].sum(), x, retain_graph=True)
        used = {c for c in range(6) if grad[0, c].abs().sum() > 0}
        assert used == set(row), f"map {j}"


def test_sparse_c3_rejects_bad_table():
    with pytest.raises(ValueError, match="outside"):
        classic.SparseC3(table=((0, 6),))


# ------------------------------------------------------------------------ AlexNet 2012
def alexnet_layers():
    s1 = out_size(227, 11, 4)  # 55
    p1 = out_size(s1, 3, 2)  # 27
    p2 = out_size(p1, 3, 2)  # 13
    p3 = out_size(p2, 3, 2)  # 6
    convs = [
        conv(3, 96, 11, s1),
        conv(96, 256, 5, p1, groups=2),
        conv(256, 384, 3, p2),
        conv(384, 384, 3, p2, groups=2),
        conv(384, 256, 3, p2, groups=2),
    ]
    fcs = [fc(256 * p3 * p3, 4096), fc(4096, 4096), fc(4096, 1000)]
    return convs, fcs


def test_alexnet_2012_params_and_macs():
    model = classic.alexnet_2012()
    convs, fcs = alexnet_layers()
    params, macs = total(convs + fcs)
    assert me.count_params(model) == params
    assert me.count_macs(model, (3, 227, 227)) == macs
    # conv MACs alone are the seed's 666M, FC the seed's 58.6M (both to 1%)
    assert total(convs)[1] == pytest.approx(666e6, rel=0.01)
    assert total(fcs)[1] == pytest.approx(58.6e6, rel=0.01)
    groups = [m.groups for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert groups == [1, 2, 1, 2, 2]


@pytest.mark.parametrize("lrn", [True, False])
def test_alexnet_2012_lrn_is_optional_and_free(lrn):
    model = classic.alexnet_2012(num_classes=7, lrn=lrn).eval()
    has_lrn = any(isinstance(m, nn.LocalResponseNorm) for m in model.modules())
    assert has_lrn == lrn
    assert model(torch.randn(1, 3, 227, 227)).shape == (1, 7)


# ------------------------------------------------------------------------ MobileNet v1
def mobilenet_v1_layers(alpha: float, size: int = 224):
    def ch(c):
        return max(8, int(c * alpha))

    def bn(c):
        return (2 * c, 0)

    side = out_size(size, 3, 2, 1)
    layers = [conv(3, ch(32), 3, side, bias=False), bn(ch(32))]
    cin = ch(32)
    for cout, stride in (
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
        + [(512, 1)] * 5
        + [(1024, 2), (1024, 1)]
    ):
        side = out_size(side, 3, stride, 1)
        layers += [
            conv(cin, cin, 3, side, groups=cin, bias=False),
            bn(cin),
            conv(cin, ch(cout), 1, side, bias=False),
            bn(ch(cout)),
        ]
        cin = ch(cout)
    layers.append(fc(cin, 1000))
    return layers


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_mobilenet_v1_params_and_macs(alpha):
    model = classic.mobilenet_v1(width_mult=alpha)
    params, macs = total(mobilenet_v1_layers(alpha))
    assert me.count_params(model) == params
    assert me.count_macs(model, (3, 224, 224)) == macs


def test_mobilenet_v1_matches_the_paper_at_width_1():
    params, macs = total(mobilenet_v1_layers(1.0))
    # Howard et al. 2017, Table 8: 4.2M parameters, 569M mult-adds
    assert params == pytest.approx(4.2e6, rel=0.01)
    assert macs == pytest.approx(569e6, rel=0.001)
    depthwise = [
        m for m in classic.mobilenet_v1().modules() if isinstance(m, nn.Conv2d) and m.groups > 1
    ]
    assert len(depthwise) == 13 and all(m.groups == m.in_channels for m in depthwise)


def test_mobilenet_v1_forward_and_bad_width():
    model = classic.mobilenet_v1(0.25, num_classes=3).eval()
    assert model(torch.randn(2, 3, 96, 96)).shape == (2, 3)
    with pytest.raises(ValueError, match="width_mult"):
        classic.mobilenet_v1(0.0)


def test_vgg_cifar_macs_are_half_the_slimming_table_flops():
    from medeff import seed_figures as sf
    from medeff.models.classic import vgg_cifar

    macs = me.count_macs(vgg_cifar(), (3, 32, 32))
    quoted = sf.NETWORK_SLIMMING["CIFAR-10"][0].flops
    # FLOPs = 2 x MACs: 2 x 398.1M = 7.963e8 vs the printed 7.97e8 (-0.1 %), while the MACs
    # themselves are half the printed figure
    assert abs(2 * macs / quoted - 1) < 0.002
    assert abs(macs / quoted - 0.5) < 0.002
    assert abs(me.count_params(vgg_cifar()) - sf.NETWORK_SLIMMING["CIFAR-10"][0].params) < 0.05e6


def test_adder_layer_matches_the_l1_definition():
    import torch

    from medeff.models.adder import AdderConv2d, adder2d, adder_op_counts

    x, w = torch.randn(2, 3, 6, 5), torch.randn(4, 3, 3, 3)
    out = adder2d(x, w, padding=1)
    assert out.shape == torch.nn.functional.conv2d(x, w, padding=1).shape
    xp = torch.nn.functional.pad(x, (1, 1, 1, 1))
    want = -(xp[1, :, 2:5, 3:6] - w[2]).abs().sum()
    assert torch.allclose(out[1, 2, 2, 3], want)
    layer = AdderConv2d(3, 4, 3, padding=1)
    counts = adder_op_counts(layer, 6, 5)
    assert counts["multiplications"] == 0
    assert counts["conv_macs_replaced"] == me.count_macs(
        torch.nn.Conv2d(3, 4, 3, padding=1, bias=False), (3, 6, 5)
    )
    with pytest.raises(ValueError, match="same C"):
        adder2d(torch.zeros(1, 2, 4, 4), w)
