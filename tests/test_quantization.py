"""medeff.quantization: the a2 reference functions against hand-worked values and invariants,
observers, fake-quant wrappers, energy data and (when torchao is importable) the PT2E path.
"""

from __future__ import annotations

import functools
import math

import pytest
import torch

from medeff import quantization as mq

SEEDS = range(5)


# ------------------------------------------------------------------ quantize_params
def test_quantize_params_hand_worked():
    # [-1, 3] at 8 bits: scale = 4 / 255, zero point = round(255 / 4) = round(63.75) = 64
    scale, zp = mq.quantize_params(-1.0, 3.0, 8)
    assert scale == pytest.approx(4 / 255)
    assert zp == 64 and isinstance(zp, int) and isinstance(scale, float)


def test_quantize_params_range_extended_to_zero():
    # [2, 6] becomes [0, 6]: zero point 0; [-6, -2] becomes [-6, 0]: zero point 2^b - 1
    assert mq.quantize_params(2.0, 6.0, 4) == (pytest.approx(6 / 15), 0)
    assert mq.quantize_params(-6.0, -2.0, 4) == (pytest.approx(6 / 15), 15)


def test_quantize_params_rounds_half_to_even():
    # -x_min / scale = 0.5 * 3 = 1.5 -> 2 ; [-1, 1] at 2 bits: 1 / (2/3) = 1.5 -> 2
    assert mq.quantize_params(-1.0, 1.0, 2)[1] == 2
    # [-0.5, 2.5] at 2 bits: scale 1, -x_min / scale = 0.5 -> 0 (half to even)
    assert mq.quantize_params(-0.5, 2.5, 2) == (1.0, 0)
    # [-2.5, 0.5] at 2 bits: scale 1, 2.5 -> 2
    assert mq.quantize_params(-2.5, 0.5, 2) == (1.0, 2)


def test_quantize_params_degenerate_and_errors():
    assert mq.quantize_params(0.0, 0.0, 8) == (1.0, 0)
    for bad in [
        (1.0, 0.0, 8),
        (0.0, 1.0, 0),
        (0.0, 1.0, -3),
        (0.0, float("inf"), 8),
        (float("nan"), 1.0, 8),
    ]:
        with pytest.raises(ValueError):
            mq.quantize_params(*bad)


def test_quantize_params_accepts_tensors():
    x = torch.tensor([-0.3, 1.2])
    assert mq.quantize_params(x.min(), x.max(), 8) == mq.quantize_params(
        x[0].item(), x[1].item(), 8
    )


# ------------------------------------------------------------------ quantize / dequantize
def test_quantize_hand_worked():
    x = torch.tensor([-2.0, -1.0, 0.0, 0.26, 1.0, 5.0])
    q = mq.quantize(x, 0.5, 2, 3)  # round(x/0.5) + 2, clamp to [0, 7]
    assert q.dtype == torch.int64
    assert q.tolist() == [0, 0, 2, 3, 4, 7]
    # half to even: 0.25 / 0.5 = 0.5 -> 0 ; 0.75 / 0.5 = 1.5 -> 2
    assert mq.quantize(torch.tensor([0.25, 0.75]), 0.5, 0, 8).tolist() == [0, 2]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_roundtrip_error_at_most_half_a_step(seed, bits):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1000, generator=g) * 3 + 0.5
    scale, zp = mq.quantize_params(x.min().item(), x.max().item(), bits)
    q = mq.quantize(x, scale, zp, bits)
    assert q.min() >= 0 and q.max() <= 2**bits - 1
    xr = mq.dequantize(q, scale, zp)
    assert xr.dtype == torch.float32 and xr.shape == x.shape
    assert (xr - x).abs().max() <= scale / 2 + 1e-5
    # zero is exactly representable
    assert mq.dequantize(mq.quantize(torch.zeros(1), scale, zp, bits), scale, zp).item() == 0.0
    # at most 2^b distinct levels
    assert q.unique().numel() <= 2**bits


def test_quantize_clamps_outside_range():
    q = mq.quantize(torch.tensor([-100.0, 100.0]), 0.1, 10, 4)
    assert q.tolist() == [0, 15]


def test_dequantize_formula():
    q = torch.tensor([0, 3, 255], dtype=torch.uint8)
    assert torch.equal(mq.dequantize(q, 0.5, 3), torch.tensor([-1.5, 0.0, 126.0]))


# ------------------------------------------------------------------ fake_quantize_ste
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_fake_quantize_forward_and_identity_gradient(seed, bits):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(4, 8, generator=g) * 2).requires_grad_()
    y = mq.fake_quantize_ste(x, bits)
    s, z = mq.quantize_params(x.min().item(), x.max().item(), bits)
    want = mq.dequantize(mq.quantize(x.detach(), s, z, bits), s, z)
    torch.testing.assert_close(y.detach(), want)
    assert y.unique().numel() <= 2**bits
    w = torch.randn(4, 8, generator=g)
    (y * w).sum().backward()
    torch.testing.assert_close(x.grad, w)


def test_fake_quantize_8bit_close_and_dtype():
    x = torch.linspace(-1, 1, 101, dtype=torch.float64)
    y = mq.fake_quantize_ste(x, 8)
    assert y.dtype == torch.float64
    assert (y - x).abs().max() <= (2 / 255) / 2 + 1e-6  # dequantize computes in float32
    assert not math.isnan(y.sum().item())


# ------------------------------------------------------------------ general fake quantization
@pytest.mark.parametrize("seed", SEEDS)
def test_fake_quantize_asymmetric_matches_reference(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2000, generator=g) + 0.3
    s, _ = mq.quantize_params(x.min().item(), x.max().item(), 4)
    got, want = mq.fake_quantize(x, 4), mq.fake_quantize_ste(x, 4)
    assert (got - want).abs().max() <= s * 1.001  # at most one step apart, at exact ties
    assert (got == want).float().mean() > 0.99


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_fake_quantize_symmetric_and_per_channel(bits):
    g = torch.Generator().manual_seed(bits)
    w = torch.randn(8, 4, 3, 3, generator=g) * torch.logspace(-2, 0, 8).view(8, 1, 1, 1)
    qmax = 2 ** (bits - 1) - 1
    per_tensor = mq.fake_quantize(w, bits, symmetric=True)
    per_channel = mq.fake_quantize(w, bits, symmetric=True, axis=0)
    assert (per_tensor / (w.abs().max() / qmax)).round().unique().numel() <= 2 * qmax + 1
    for c in range(8):
        step = w[c].abs().max() / qmax
        assert (per_channel[c] - w[c]).abs().max() <= step / 2 + 1e-6
    assert mq.quantization_mse(w, bits, symmetric=True, axis=0) < mq.quantization_mse(
        w, bits, symmetric=True
    )
    assert mq.fake_quantize(torch.zeros(3), bits, symmetric=True).abs().sum() == 0


def test_fake_quantize_clips_to_given_range_and_passes_gradient_inside():
    x = torch.tensor([-2.0, 0.1, 0.5, 3.0], requires_grad=True)
    y = mq.fake_quantize(x, 8, x_min=-1.0, x_max=1.0)
    assert y[0].item() == pytest.approx(-1.0, abs=0.01) and y[3].item() == pytest.approx(
        1.0, abs=0.01
    )
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]  # clipped straight-through


# ------------------------------------------------------------------ observers
def test_calibration_ranges():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(20000, generator=g), torch.tensor([50.0])])  # one outlier
    lo, hi = mq.calibration_range(x, 4, "minmax")
    assert (lo, hi) == (x.min().item(), 50.0)
    plo, phi = mq.calibration_range(x, 4, "percentile", percentile=99.9)
    assert 0.99 < phi < 1.0 and plo < 0.01
    mlo, mhi = mq.calibration_range(x, 4, "mse")
    assert mhi < hi
    mse = mq.quantization_mse(x, 4, x_min=mlo, x_max=mhi)
    assert mse < mq.quantization_mse(x, 4, x_min=lo, x_max=hi)
    with pytest.raises(ValueError):
        mq.calibration_range(x, 4, "entropy")


# ------------------------------------------------------------------ fake-quantized models
def small_net() -> torch.nn.Module:
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )
    net.train()
    for _ in range(3):  # non-trivial BN statistics
        net(torch.randn(16, 1, 12, 12) * 2 + 1)
    return net.eval()


def test_fold_batchnorm_keeps_outputs():
    net = small_net()
    x = torch.randn(4, 1, 12, 12)
    folded = mq.fold_batchnorm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    torch.testing.assert_close(folded(x), net(x), atol=1e-5, rtol=1e-4)


def test_prepare_calibrate_and_qat_gradients():
    net = small_net()
    x = torch.randn(32, 1, 12, 12)
    with pytest.raises(RuntimeError):  # freezing an observer that saw no data
        [q.freeze() for q in mq.prepare_fake_quant(net, 8).modules() if isinstance(q, mq.FakeQuant)]
    q8 = mq.calibrate(mq.prepare_fake_quant(net, 8), [(x, None)], batches=1)
    layers = [m for m in q8.modules() if isinstance(m, mq.QuantLayer)]
    assert len(layers) == 3
    torch.testing.assert_close(q8(x), net(x), atol=0.05, rtol=0.05)
    q2 = mq.calibrate(mq.prepare_fake_quant(net, 2), [(x, None)], batches=1)
    bits = [
        (m.weight_q.num_bits, m.act_q.num_bits)
        for m in q2.modules()
        if isinstance(m, mq.QuantLayer)
    ]
    assert bits == [(8, 8), (2, 2), (8, 8)]  # first and last layer stay at 8 bits
    q2(x).square().sum().backward()
    assert all(
        m.layer.weight.grad is not None and m.layer.weight.grad.abs().sum() > 0
        for m in q2.modules()
        if isinstance(m, mq.QuantLayer)
    )
    with pytest.raises(ValueError):
        mq.prepare_fake_quant(torch.nn.ReLU(), 8)


def test_cached_fake_quant_model_loads_calibrated_and_qat_trains():
    net = small_net()
    x = torch.randn(32, 1, 12, 12)
    data = [(x[:16], torch.randint(0, 3, (16,))), (x[16:], torch.randint(0, 3, (16,)))]
    q = mq.calibrate(mq.prepare_fake_quant(net, 4), data, batches=2)
    # what me.train_cached does on a hit: a fresh prepare + load_state_dict
    fresh = mq.prepare_fake_quant(net, 4)
    fresh.load_state_dict(q.state_dict())
    assert not any(m.observing for m in fresh.modules() if isinstance(m, mq.FakeQuant))
    torch.testing.assert_close(fresh.eval()(x), q(x))
    before = [m.layer.weight.detach().clone() for m in q.modules() if isinstance(m, mq.QuantLayer)]
    out = mq.qat_finetune(q, data, steps=2, lr=1e-2, calib_batches=2)
    assert out is q and not out.training
    after = [m.layer.weight.detach() for m in q.modules() if isinstance(m, mq.QuantLayer)]
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert not any(m.observing for m in q.modules() if isinstance(m, mq.FakeQuant))


# ------------------------------------------------------------------ energy
def test_horowitz_table_and_energy_estimate():
    e = mq.HOROWITZ_45NM_PJ
    assert e["add", "int8"] == 0.03 and e["add", "int32"] == 0.1 and e["add", "fp16"] == 0.4
    assert e["add", "fp32"] == 0.9 and e["mult", "int8"] == 0.2 and e["mult", "int32"] == 3.1
    assert e["mult", "fp16"] == 1.1 and e["mult", "fp32"] == 3.7
    assert e["read", "SRAM 8KB"] == 5.0 and e["read", "DRAM"] == 640.0
    assert "Horowitz" in mq.HOROWITZ_SOURCE and "2014" in mq.HOROWITZ_SOURCE
    f = mq.inference_energy_pj(10, 4, "fp32")
    assert f["compute"] == pytest.approx(10 * 4.6) and f["SRAM reads"] == pytest.approx(100)
    assert f["DRAM reads"] == pytest.approx(4 * 640) and f["total"] == pytest.approx(
        46 + 100 + 2560
    )
    i = mq.inference_energy_pj(10, 4, "int8")
    assert i["compute"] == pytest.approx(3.0) and i["DRAM reads"] == pytest.approx(640)
    with pytest.raises(ValueError):
        mq.inference_energy_pj(1, 1, "fp16")


# ------------------------------------------------------------------ real int8 (PT2E)
def test_out_of_place_residuals_keeps_outputs():
    import torchvision

    net = torchvision.models.resnet18(num_classes=10).eval()
    x = torch.randn(1, 3, 64, 64)
    want = net(x)
    got = mq.out_of_place_residuals(net)(x)
    torch.testing.assert_close(got, want)


def test_int8_pt2e_small_net():
    pytest.importorskip("torchao")
    net = small_net()
    calib = [torch.randn(8, 1, 12, 12) for _ in range(2)]
    q = mq.int8_pt2e(net, torch.zeros(1, 1, 12, 12), calib, dynamic_batch=True)
    x = torch.randn(5, 1, 12, 12)
    with torch.no_grad():
        torch.testing.assert_close(q(x), net(x), atol=0.1, rtol=0.1)
    q.eval()  # allowed (a no-op) on the exported graph
    assert mq.stored_bytes(net) / mq.stored_bytes(q) > 1.5
    attrs = [
        functools.reduce(getattr, n.target.split("."), q)
        for n in q.graph.nodes
        if n.op == "get_attr"
    ]
    int8 = [t for t in attrs if isinstance(t, torch.Tensor) and t.dtype == torch.int8]
    assert len(int8) == 3
