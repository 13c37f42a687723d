"""medeff.quantization: the a2 reference functions against hand-worked values and invariants,
observers, fake-quant wrappers, energy data and (when torchao is importable) the PT2E path.
"""

from __future__ import annotations

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
    for bad in [(1.0, 0.0, 8), (0.0, 1.0, 0), (0.0, 1.0, -3), (0.0, float("inf"), 8),
                (float("nan"), 1.0, 8)]:
        with pytest.raises(ValueError):
            mq.quantize_params(*bad)


def test_quantize_params_accepts_tensors():
    x = torch.tensor([-0.3, 1.2])
    assert mq.quantize_params(x.min(), x.max(), 8) == mq.quantize_params(x[0].item(), x[1].item(), 8)


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
