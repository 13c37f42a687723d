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

import copy
import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

__all__ = [
    "quantize_params",
    "quantize",
    "dequantize",
    "fake_quantize_ste",
    "fake_quantize",
    "quantization_mse",
    "OBSERVERS",
    "calibration_range",
    "FakeQuant",
    "QuantLayer",
    "fold_batchnorm",
    "prepare_fake_quant",
    "calibrate",
    "qat_finetune",
    "out_of_place_residuals",
    "int8_pt2e",
    "compile_frozen",
    "stored_bytes",
    "HOROWITZ_SOURCE",
    "HOROWITZ_45NM_PJ",
    "inference_energy_pj",
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


# ------------------------------------------------------------------ general fake quantization
def _ranges(x: Tensor, axis: int | None) -> tuple[Tensor, Tensor]:
    """Per-tensor (0-d) or per-channel (1-d, along ``axis``) min and max."""
    if axis is None:
        return torch.aminmax(x)
    return torch.aminmax(x.transpose(0, axis).reshape(x.shape[axis], -1), dim=1)


def fake_quantize(
    x: Tensor,
    num_bits: int,
    *,
    symmetric: bool = False,
    axis: int | None = None,
    x_min: Tensor | float | None = None,
    x_max: Tensor | float | None = None,
) -> Tensor:
    """Quantize-dequantize ``x`` with a straight-through gradient; the general form.

    * asymmetric (default): unsigned ``[0, 2**b - 1]`` with a zero point, the range
      extended to contain 0, as :func:`quantize_params`;
    * ``symmetric=True``: signed restricted range ``[-(2**(b-1) - 1), 2**(b-1) - 1]``,
      zero point 0, ``scale = max(|x_min|, |x_max|) / (2**(b-1) - 1)`` (needs ``b >= 2``);
    * ``axis=None``: one range for the whole tensor (per-tensor); ``axis=k``: one range per
      index along dimension ``k`` (per-channel, e.g. per output filter of a conv weight);
    * ``x_min``/``x_max``: the clipping range (from a calibration observer); default the
      min and max of ``x``. Values outside it are clipped.

    Runs PyTorch's fused kernels (``torch.fake_quantize_per_tensor_affine`` /
    ``..._per_channel_affine``), which round half to even and multiply by ``1 / scale``.
    Their gradient is the *clipped* straight-through estimator: 1 inside the clipping range,
    0 for clipped values (with the default min-max range nothing is clipped).
    Explained in: lecture 05 (sections 2 and 3).
    """
    _check_bits(num_bits)
    xf = x if x.dtype == torch.float32 else x.float()
    lo, hi = _ranges(xf.detach(), axis)
    lo = lo if x_min is None else torch.as_tensor(x_min, dtype=torch.float32).expand_as(lo)
    hi = hi if x_max is None else torch.as_tensor(x_max, dtype=torch.float32).expand_as(hi)
    if symmetric:
        if num_bits < 2:
            raise ValueError("symmetric quantization needs num_bits >= 2")
        qmin, qmax = -(2 ** (num_bits - 1) - 1), 2 ** (num_bits - 1) - 1
        scale = torch.maximum(lo.abs(), hi.abs()) / qmax
        zp = torch.zeros_like(scale, dtype=torch.int32)
    else:
        qmin, qmax = 0, 2**num_bits - 1
        lo, hi = torch.clamp(lo, max=0.0), torch.clamp(hi, min=0.0)
        scale = (hi - lo) / qmax
    scale = torch.where(scale > 0, scale, torch.ones_like(scale)).float()
    if not symmetric:
        zp = torch.round(-lo / scale).clamp(0, qmax).to(torch.int32)
    if axis is None:
        out = torch.fake_quantize_per_tensor_affine(
            xf, scale.reshape(()), zp.reshape(()), qmin, qmax
        )
    else:
        out = torch.fake_quantize_per_channel_affine(
            xf, scale.contiguous(), zp.contiguous(), axis, qmin, qmax
        )
    return out.to(x.dtype)


def quantization_mse(x: Tensor, num_bits: int, **kwargs) -> float:
    """Mean squared error of :func:`fake_quantize` on ``x`` (same keyword arguments).

    Explained in: lecture 05 (section 2, "Quantization error vs bit width").
    """
    with torch.no_grad():
        return float(((fake_quantize(x, num_bits, **kwargs) - x) ** 2).mean())


# ------------------------------------------------------------------ calibration observers
OBSERVERS = ("minmax", "percentile", "mse")


def calibration_range(
    samples: Tensor,
    num_bits: int,
    method: str = "minmax",
    *,
    symmetric: bool = False,
    percentile: float = 99.99,
    grid: int = 40,
) -> tuple[float, float]:
    """Clipping range ``(x_min, x_max)`` for ``samples`` chosen by an observer ``method``.

    * ``"minmax"``: the smallest and largest value (no clipping; one outlier stretches the
      step for everybody);
    * ``"percentile"``: the ``100 - percentile`` and ``percentile`` percentiles (clips the
      rarest values);
    * ``"mse"``: the min-max range shrunk by the factor in ``linspace(0.05, 1, grid)`` that
      minimises the quantization MSE on the samples.

    Explained in: lecture 05 (section 3, "Calibration").
    """
    if method not in OBSERVERS:
        raise ValueError(f"unknown observer {method!r}; choose one of {OBSERVERS}")
    x = samples.detach().float().flatten()
    lo, hi = float(x.min()), float(x.max())
    if method == "percentile":
        if x.numel() > 1_000_000:
            x = x[torch.randperm(x.numel(), generator=torch.Generator().manual_seed(0))[:1_000_000]]
        p = torch.tensor([1 - percentile / 100, percentile / 100])
        lo, hi = (float(v) for v in torch.quantile(x, p))
    elif method == "mse":
        errors = [
            (quantization_mse(x, num_bits, symmetric=symmetric, x_min=a * lo, x_max=a * hi), a)
            for a in torch.linspace(0.05, 1, grid).tolist()
        ]
        best = min(errors)[1]
        lo, hi = best * lo, best * hi
    return lo, hi


# ------------------------------------------------------------------ fake-quantized models (PTQ, QAT)
class FakeQuant(nn.Module):
    """Fake-quantizes the tensors passing through it, after observing them (calibration).

    ``dynamic=True`` takes the range from each tensor itself (used for weights, per-channel
    with ``axis=0``). Otherwise the module first *observes* (``observing = True``: keeps a
    random subsample of every batch and passes it unchanged) and :meth:`freeze` fixes the
    clipping range with :func:`calibration_range`. Explained in: lecture 05 (section 4, PTQ).
    """

    def __init__(
        self,
        num_bits: int,
        *,
        symmetric: bool = False,
        axis: int | None = None,
        observer: str = "minmax",
        dynamic: bool = False,
        keep: int = 4096,
    ):
        super().__init__()
        self.num_bits, self.symmetric, self.axis = _check_bits(num_bits), symmetric, axis
        self.observer, self.dynamic, self.keep = observer, dynamic, keep
        self.observing = not dynamic
        self._samples: list[Tensor] = []
        self.register_buffer("x_min", torch.tensor(0.0))
        self.register_buffer("x_max", torch.tensor(0.0))

    def forward(self, x: Tensor) -> Tensor:
        if self.dynamic:
            return fake_quantize(x, self.num_bits, symmetric=self.symmetric, axis=self.axis)
        if self.observing:
            flat = x.detach().flatten()
            idx = torch.randint(flat.numel(), (min(self.keep, flat.numel()),))
            self._samples.append(torch.cat([flat[idx], flat.min().view(1), flat.max().view(1)]))
            return x
        return fake_quantize(
            x, self.num_bits, symmetric=self.symmetric, x_min=self.x_min, x_max=self.x_max
        )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # a loaded range is a calibrated range: a cached PTQ/QAT model needs no recalibration
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if not self.dynamic and prefix + "x_min" in state_dict:
            self._samples, self.observing = [], False

    def freeze(self) -> None:
        """End observation: set the clipping range from the observed samples."""
        if self.dynamic or not self.observing:
            return
        if not self._samples:
            raise RuntimeError("FakeQuant saw no data: run calibration batches before freeze()")
        lo, hi = calibration_range(
            torch.cat(self._samples), self.num_bits, self.observer, symmetric=self.symmetric
        )
        self.x_min.fill_(lo)
        self.x_max.fill_(hi)
        self._samples, self.observing = [], False

    def extra_repr(self) -> str:
        kind = "dynamic" if self.dynamic else self.observer
        return f"bits={self.num_bits}, symmetric={self.symmetric}, axis={self.axis}, range={kind}"


class QuantLayer(nn.Module):
    """A Conv2d or Linear whose input activation and weight are fake-quantized.

    Weights: symmetric, per output channel (``per_channel``) or per tensor, range from the
    weight itself (recomputed each call, so QAT sees its own updates). Input activations:
    asymmetric, per tensor, range from calibration. The bias stays in float (int32 in real
    int8 kernels). Explained in: lecture 05 (section 4, PTQ).
    """

    def __init__(
        self,
        layer: nn.Conv2d | nn.Linear,
        weight_bits: int,
        act_bits: int,
        *,
        observer: str = "minmax",
        per_channel: bool = True,
    ):
        super().__init__()
        self.layer = layer
        self.weight_q = FakeQuant(
            weight_bits, symmetric=True, axis=0 if per_channel else None, dynamic=True
        )
        self.act_q = FakeQuant(act_bits, observer=observer)

    def forward(self, x: Tensor) -> Tensor:
        w, x = self.weight_q(self.layer.weight), self.act_q(x)
        if isinstance(self.layer, nn.Conv2d):
            return self.layer._conv_forward(x, w, self.layer.bias)
        return nn.functional.linear(x, w, self.layer.bias)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (eval mode) with every BatchNorm2d that directly follows a Conv2d
    inside an ``nn.Sequential`` folded into that conv (BN replaced by ``nn.Identity``).

    Deployment folds BN before quantizing: ``w' = w * gamma / sigma``, ``b' = (b - mu) *
    gamma / sigma + beta``. Explained in: lecture 05 (section 4, PTQ).
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = copy.deepcopy(model).eval()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for a, b in zip(names[:-1], names[1:], strict=True):
            conv, bn = seq._modules[a], seq._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq._modules[a] = fuse_conv_bn_eval(conv, bn)
                seq._modules[b] = nn.Identity()
    return model


def prepare_fake_quant(
    model: nn.Module,
    num_bits: int,
    *,
    act_bits: int | None = None,
    observer: str = "minmax",
    per_channel: bool = True,
    first_last_bits: int | None = 8,
) -> nn.Module:
    """A BN-folded copy of ``model`` with every Conv2d/Linear wrapped in :class:`QuantLayer`.

    ``num_bits`` for weights, ``act_bits`` (default ``num_bits``) for activations. The first
    and the last layer use ``first_last_bits`` (8 by default, the usual convention of
    low-bit papers; ``None``: like the rest). The copy starts observing: run
    :func:`calibrate` next. Explained in: lecture 05 (section 4, PTQ).
    """
    act_bits = num_bits if act_bits is None else act_bits
    model = fold_batchnorm(model)
    targets = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if isinstance(child, nn.Conv2d | nn.Linear)
    ]
    if not targets:
        raise ValueError("the model has no Conv2d or Linear layer to quantize")
    for i, (parent, name, child) in enumerate(targets):
        edge = first_last_bits is not None and i in (0, len(targets) - 1)
        wb, ab = (first_last_bits, first_last_bits) if edge else (num_bits, act_bits)
        setattr(parent, name, QuantLayer(child, wb, ab, observer=observer, per_channel=per_channel))
    return model


def calibrate(model: nn.Module, loader, batches: int = 8) -> nn.Module:
    """Run ``batches`` batches through a :func:`prepare_fake_quant` model, then freeze every
    observer (post-training calibration on a small subset). Returns the model (eval mode).

    Explained in: lecture 05 (section 4, PTQ).
    """
    quants = [m for m in model.modules() if isinstance(m, FakeQuant)]
    for q in quants:
        if not q.dynamic:
            q.observing, q._samples = True, []
    model.eval()
    with torch.no_grad():
        for i, batch in enumerate(loader):
            if i >= batches:
                break
            model(batch[0] if isinstance(batch, list | tuple) else batch)
    for q in quants:
        q.freeze()
    return model


def qat_finetune(
    model: nn.Module,
    loader: Iterable,
    *,
    steps: int,
    lr: float = 1e-3,
    calib_batches: int = 8,
) -> nn.Module:
    """Quantization-aware training of a calibrated :func:`prepare_fake_quant` model, in place.

    ``me.fit`` (Adam, cosine schedule) for ``steps`` batches of ``loader`` with fake
    quantization in the forward pass: weights are re-quantized from their current values at
    every step, gradients pass the rounding by the straight-through estimator, activation
    ranges stay fixed. Then the activation ranges are recalibrated on ``calib_batches``
    batches (the weights moved). Returns the model in eval mode. Seed the global RNG and
    the loader's order beforehand for a reproducible run.
    Explained in: lecture 05 (section 5, "Quantization-aware training").
    """
    from .training import fit

    fit(model, loader, epochs=1, lr=lr, steps_per_epoch=steps, progress=False, desc="QAT")
    return calibrate(model, loader, calib_batches)


# ------------------------------------------------------------------ real int8: torchao PT2E
def out_of_place_residuals(model: nn.Module) -> nn.Module:
    """Make torchvision ResNet blocks exportable by PT2E's x86 quantizer (in place).

    torchvision's ``BasicBlock``/``Bottleneck`` add the residual in place (``out +=
    identity``) and call one ReLU module twice; torchao's ``X86InductorQuantizer`` then fails
    ("Input partition has more than one output node"). This swaps each block's class for one
    whose forward adds out of place and applies a functional ReLU after the add; weights
    and results are unchanged. Explained in: lecture 05 (section 6, "A real int8 model").
    """
    from torchvision.models import resnet

    def basic(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return nn.functional.relu(self.bn2(self.conv2(out)) + identity)

    def bottleneck(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return nn.functional.relu(self.bn3(self.conv3(out)) + identity)

    swaps = {
        resnet.BasicBlock: type("OutOfPlaceBasicBlock", (resnet.BasicBlock,), {"forward": basic}),
        resnet.Bottleneck: type(
            "OutOfPlaceBottleneck", (resnet.Bottleneck,), {"forward": bottleneck}
        ),
    }
    for m in model.modules():
        if type(m) in swaps:
            m.__class__ = swaps[type(m)]
    return model


def int8_pt2e(
    model: nn.Module, example: Tensor, calibration: Iterable[Tensor], *, dynamic_batch: bool = False
) -> nn.Module:
    """A real int8 model through torchao's PT2E flow, not yet compiled.

    ``torch.export`` captures the graph, ``prepare_pt2e`` with the ``X86InductorQuantizer``
    (static int8: per-channel symmetric weights, per-tensor asymmetric activations) inserts
    observers, the ``calibration`` inputs set the ranges, ``convert_pt2e`` stores int8 weights
    with quantize/dequantize nodes. Run eagerly this graph is *slower* than fp32: pass it to
    :func:`compile_frozen`, which lets Inductor fuse the patterns into int8 kernels (oneDNN).
    The graph is exported for ``example``'s shape; ``dynamic_batch=True`` lets it take any
    batch size (e.g. to evaluate accuracy over a test loader); without it, calibration
    batches are split into chunks of ``example``'s batch size (a remainder is dropped).
    Explained in: lecture 05 (section 6, "A real int8 model").
    """
    from torchao.quantization.pt2e import allow_exported_model_train_eval
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as xiq

    quantizer = xiq.X86InductorQuantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    with torch.no_grad():
        dynamic = None
        if dynamic_batch:
            example = torch.cat([example, example]) if len(example) == 1 else example
            dynamic = ({0: torch.export.Dim("batch", min=1, max=1 << 16)},)
        exported = torch.export.export(
            copy.deepcopy(model).eval(), (example,), dynamic_shapes=dynamic
        ).module()
        prepared = prepare_pt2e(exported, quantizer)
        for x in calibration:  # a static graph takes example-sized chunks
            for chunk in [x] if dynamic_batch else x.split(len(example)):
                if dynamic_batch or len(chunk) == len(example):
                    prepared(chunk)
        # .eval()/.train() become no-ops instead of errors (me.evaluate calls them)
        return allow_exported_model_train_eval(convert_pt2e(prepared))


def compile_frozen(model: nn.Module) -> nn.Module:
    """``torch.compile`` with Inductor's ``freezing`` on (weights become constants, so int8
    patterns are fused and prepacked). Compilation happens on the first call (seconds to a
    minute on 2 cores; Inductor caches compiled graphs on disk for later runs).
    Explained in: lecture 05 (section 6, "A real int8 model").
    """
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True
    return torch.compile(model)


def _get_attr(model: nn.Module, target: str) -> object:
    obj = model
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def stored_bytes(model: nn.Module) -> int:
    """Bytes of every tensor the model holds: parameters and buffers, or for an exported
    graph module (e.g. PT2E's) the tensors its graph uses (int8 weights, scales, zero
    points, biases), each counted once.

    Explained in: lecture 05 (section 6, "A real int8 model").
    """
    seen, total = set(), 0
    if isinstance(model, torch.fx.GraphModule):
        # only what the graph uses: convert_pt2e leaves the dead fp32 weights as attributes
        tensors = [_get_attr(model, n.target) for n in model.graph.nodes if n.op == "get_attr"]
        tensors += [
            p
            for n in model.graph.nodes
            if n.op == "call_module"
            for p in model.get_submodule(n.target).state_dict(keep_vars=True).values()
        ]
    else:
        tensors = list(model.state_dict(keep_vars=True).values())
    for t in tensors:
        if isinstance(t, Tensor) and id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    return total


# ------------------------------------------------------------------ energy (Horowitz 2014)
HOROWITZ_SOURCE = (
    'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", '
    "IEEE ISSCC 2014, pp. 10-14; 45 nm process, 0.9 V"
)

#: Energy per operation in picojoules, 45 nm (Horowitz, ISSCC 2014, as quoted in his
#: table and in Han et al. 2016): (operation, data type) -> pJ. Memory reads are per
#: 32-bit word. Explained in: lecture 05 (section 7, "Energy").
HOROWITZ_45NM_PJ: dict[tuple[str, str], float] = {
    ("add", "int8"): 0.03,
    ("add", "int32"): 0.1,
    ("add", "fp16"): 0.4,
    ("add", "fp32"): 0.9,
    ("mult", "int8"): 0.2,
    ("mult", "int32"): 3.1,
    ("mult", "fp16"): 1.1,
    ("mult", "fp32"): 3.7,
    ("read", "SRAM 8KB"): 5.0,
    ("read", "DRAM"): 640.0,
}


def inference_energy_pj(macs: int, params: int, dtype: str = "fp32") -> dict[str, float]:
    """A first-order energy estimate of one inference from Horowitz's 45 nm figures.

    * compute: ``macs`` multiply-accumulates; fp32: fp32 mult + fp32 add; int8: int8 mult +
      int32 add (int8 kernels accumulate in 32 bits);
    * on-chip: every MAC reads its two operands (weight, activation) from an 8 KB SRAM, at
      5 pJ per 32-bit word, i.e. ``bits / 32`` of that per operand (no register reuse: an
      upper bound);
    * off-chip: every weight comes once from DRAM, 640 pJ per 32-bit word (activations
      assumed to stay on chip).

    Returns picojoules per term and their ``"total"``. Explained in: lecture 05 (section 7).
    """
    if dtype not in ("fp32", "int8"):
        raise ValueError(f"dtype must be 'fp32' or 'int8', got {dtype!r}")
    e = HOROWITZ_45NM_PJ
    bits = 32 if dtype == "fp32" else 8
    mac = e[("mult", dtype)] + e[("add", "fp32" if dtype == "fp32" else "int32")]
    out = {
        "compute": macs * mac,
        "SRAM reads": 2 * macs * e[("read", "SRAM 8KB")] * bits / 32,
        "DRAM reads": params * e[("read", "DRAM")] * bits / 32,
    }
    out["total"] = sum(out.values())
    return out
