"""Quantization: uniform affine quantization, fake quantization with a straight-through
estimator, calibration observers, PTQ/QAT wrappers, a real int8 model (torchao PT2E) and
the energy per operation at 45 nm (Horowitz, ISSCC 2014).

The first four functions are also the trusted references of assignment a2:

* :func:`quantize_params` -- scale and zero point of the asymmetric unsigned range
  ``[0, 2**b - 1]``;
* :func:`quantize` -- ``clamp(round(x / scale) + zero_point, 0, 2**b - 1)`` as ``torch.int64``;
* :func:`dequantize` -- ``(q - zero_point) * scale`` as ``torch.float32``;
* :func:`fake_quantize_ste` -- per-tensor min-max quantize-dequantize forward, identity
  gradient backward.

Rounding everywhere is round-half-to-even ("banker's rounding"), the semantics of
``torch.round`` and of Python's ``round``: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.

Explained in: lecture 05 (quantization).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "quantize_params", "quantize", "dequantize", "fake_quantize_ste",
]


# ------------------------------------------------------------------ uniform affine quantization
def _check_bits(num_bits: int) -> int:
    if isinstance(num_bits, bool) or not isinstance(num_bits, int) or num_bits < 1:
        raise ValueError(f"num_bits must be an integer >= 1, got {num_bits!r}")
    return num_bits


def quantize_params(x_min: float, x_max: float, num_bits: int) -> tuple[float, int]:
    """Scale and zero point of asymmetric (affine) quantization to ``[0, 2**num_bits - 1]``.

    The float range is first extended to contain 0 (``x_min = min(x_min, 0)``,
    ``x_max = max(x_max, 0)``), so that 0.0 is represented exactly (zero padding, ReLU
    outputs). Then

    * ``scale = (x_max - x_min) / (2**num_bits - 1)`` (a Python float; computed in float64),
    * ``zero_point = round(-x_min / scale)`` clamped to ``[0, 2**num_bits - 1]`` (a Python
      int; round half to even, as ``torch.round`` and Python's ``round``).

    If the extended range is empty (``x_min == x_max == 0``) the scale is 1.0 and the zero
    point 0. Raises ``ValueError`` if ``num_bits < 1``, ``x_min > x_max`` or a bound is not
    finite. Explained in: lecture 05 (section 1, "Uniform affine quantization").
    """
    _check_bits(num_bits)
    x_min, x_max = float(x_min), float(x_max)
    if not (math.isfinite(x_min) and math.isfinite(x_max)):
        raise ValueError(f"x_min and x_max must be finite, got {x_min}, {x_max}")
    if x_min > x_max:
        raise ValueError(f"x_min must be <= x_max, got x_min={x_min} > x_max={x_max}")
    qmax = 2**num_bits - 1
    x_min, x_max = min(x_min, 0.0), max(x_max, 0.0)
    if x_max == x_min:  # only when both are 0
        return 1.0, 0
    scale = (x_max - x_min) / qmax
    zero_point = min(max(round(-x_min / scale), 0), qmax)
    return scale, int(zero_point)


def quantize(x: Tensor, scale: float, zero_point: int, num_bits: int) -> Tensor:
    """``clamp(round(x / scale) + zero_point, 0, 2**num_bits - 1)`` as a ``torch.int64`` tensor.

    ``x / scale`` is computed in ``x``'s floating dtype (float32 for float32 input), rounded
    half to even (``torch.round``). The result has ``x``'s shape and holds integers in
    ``[0, 2**num_bits - 1]``. Explained in: lecture 05 (section 1).
    """
    _check_bits(num_bits)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    x = x if x.is_floating_point() else x.float()
    q = torch.round(x / scale) + zero_point
    return q.clamp_(0, 2**num_bits - 1).to(torch.int64)


def dequantize(q: Tensor, scale: float, zero_point: int) -> Tensor:
    """``(q - zero_point) * scale`` as a ``torch.float32`` tensor of ``q``'s shape.

    Explained in: lecture 05 (section 1).
    """
    return (q.to(torch.float32) - zero_point) * scale


class _QDQSte(torch.autograd.Function):
    """Forward: the given quantize-dequantize values; backward: the gradient unchanged."""

    @staticmethod
    def forward(ctx, x: Tensor, qdq: Tensor) -> Tensor:  # noqa: ARG004
        return qdq

    @staticmethod
    def backward(ctx, grad: Tensor):  # noqa: ARG004
        return grad, None


def fake_quantize_ste(x: Tensor, num_bits: int) -> Tensor:
    """Per-tensor min-max quantize-dequantize of ``x`` with a straight-through gradient.

    Forward: ``dequantize(quantize(x, s, z, b), s, z)`` with ``(s, z) =
    quantize_params(x.min(), x.max(), b)``, returned in ``x``'s dtype (float32 for float32
    input). Backward: the straight-through estimator, ``d out / d x = 1`` everywhere
    (rounding has zero gradient almost everywhere, so the true gradient would be useless;
    Bengio et al. 2013). Explained in: lecture 05 (section 5, "Quantization-aware training").
    """
    _check_bits(num_bits)
    xd = x.detach()
    scale, zero_point = quantize_params(xd.min().item(), xd.max().item(), num_bits)
    qdq = dequantize(quantize(xd, scale, zero_point, num_bits), scale, zero_point).to(x.dtype)
    return _QDQSte.apply(x, qdq)
