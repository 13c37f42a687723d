"""Counting the cost of a model: multiply-accumulates (MACs), parameters and bytes.

Explained in: lecture 00 (compute demands of popular DNNs); used in every later lecture.

Convention. Papers (AlexNet, VGG, ResNet, MobileNet, ...) count the multiply-accumulates
of convolutions, fully connected layers and matrix products only. ``count_macs`` follows
that convention: it counts at the level of PyTorch operators (``torch.utils.flop_counter``),
so functional calls are seen too, and grouped/depthwise convolutions are exact.
``thop_macs`` gives the figure of the popular ``thop`` profiler, which also charges
BatchNorm (4 operations per element when affine), pooling and some activations, so it
is a few percent higher on modern nets (e.g. MobileNetV2 327.5M vs 300.8M).
Neither counts element-wise additions or multiplications (residual adds, SE scaling).
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils import flop_counter
from torch.utils.flop_counter import FlopCounterMode

from ._checks import as_example_input, eval_mode, require_module, run_forward


@dataclass(frozen=True)
class LayerCost:
    """One row of :func:`mac_breakdown`."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


def _sdpa_cpu_flop(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    """FLOPs of the CPU attention kernel (torch's formula for the GPU kernels)."""
    return flop_counter.sdpa_flop_count(query_shape, key_shape, value_shape)


# Attention kernels that torch.utils.flop_counter does not register (yet): the CPU one.
_EXTRA_FORMULAS = {
    getattr(torch.ops.aten, name): _sdpa_cpu_flop
    for name in ("_scaled_dot_product_flash_attention_for_cpu",)
    if hasattr(torch.ops.aten, name)
}


@contextlib.contextmanager
def _countable_attention() -> Iterator[None]:
    """Turn off nn.MultiheadAttention's fused fast path, which the counter cannot see."""
    mha = getattr(torch.backends, "mha", None)
    if mha is None:
        yield
        return
    old = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(old)


def _flop_counts(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """FLOPs (2 x MACs) per module name, as ``torch.utils.flop_counter`` attributes them.

    Attention is counted in every mode: the fused ``nn.MultiheadAttention`` fast path is
    switched off while counting, and the CPU attention kernel gets torch's SDPA formula.
    """
    with (
        eval_mode(model, no_grad=True),
        _countable_attention(),
        FlopCounterMode(display=False, custom_mapping=_EXTRA_FORMULAS) as counter,
    ):
        run_forward(model, x)
    return {name: int(sum(ops.values())) for name, ops in counter.get_flop_counts().items()}


def count_macs(model: nn.Module, example: torch.Tensor | Sequence[int]) -> int:
    """Multiply-accumulates of one forward pass, in the papers' convention.

    ``example`` is either a batched input tensor or a per-sample shape such as
    ``(3, 224, 224)`` (a batch of one is then used). The count is for the whole batch
    given, so pass batch 1 for the per-image figure papers quote. Conv, linear, matmul
    and attention MACs are counted; BatchNorm, activations, pooling and element-wise ops
    are not. The model is left unchanged (mode, parameters, buffers, state_dict).

    Explained in: lecture 00, "Counting MACs".
    """
    require_module(model)
    x = as_example_input(model, example)
    flops = _flop_counts(model, x).get("Global", 0)
    return flops // 2


def mac_breakdown(model: nn.Module, example: torch.Tensor | Sequence[int]) -> list[LayerCost]:
    """Per-layer MACs, parameters and output shapes for every leaf module that runs.

    Leaf modules come in execution order. MACs that no leaf module owns (functional
    calls in a parent's ``forward``, e.g. ``x @ w`` or ``F.conv2d``) are reported in a
    final row named ``"(functional)"``. The MACs column sums to :func:`count_macs`.

    Explained in: lecture 00, "Counting MACs".
    """
    require_module(model)
    x = as_example_input(model, example)
    root = type(model).__name__
    # A model without children is its own single leaf; FlopCounterMode names it ``root``.
    leaves = {m: n for n, m in model.named_modules() if not list(m.children())}
    seen: dict[str, tuple[int, ...]] = {}
    order: list[nn.Module] = []

    def hook(module, _inputs, output):
        if module not in order:
            order.append(module)
        if isinstance(output, torch.Tensor):
            seen[leaves[module]] = tuple(output.shape)

    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        counts = _flop_counts(model, x)
    finally:
        for h in handles:
            h.remove()
    rows = []
    for module in order:
        name = leaves[module]
        macs = counts.get(f"{root}.{name}" if name else root, 0) // 2
        params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(
            LayerCost(name or root, type(module).__name__, seen.get(name, ()), params, macs)
        )
    rest = counts.get("Global", 0) // 2 - sum(r.macs for r in rows)
    if rest:
        rows.append(LayerCost("(functional)", "functional", (), 0, rest))
    return rows


def thop_macs(model: nn.Module, example: torch.Tensor | Sequence[int]) -> int:
    """MACs as the ``thop`` profiler counts them (BatchNorm, pooling, activations included).

    thop adds ``total_ops``/``total_params`` buffers to every module it profiles, which
    breaks a later strict ``load_state_dict``; this helper profiles a deep copy, so the
    model you pass is untouched. Compare with :func:`count_macs` to see the convention gap.

    Explained in: lecture 00, "Two conventions for MACs".
    """
    require_module(model)
    x = as_example_input(model, example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import thop

        clone = copy.deepcopy(model).eval()
        with torch.no_grad():
            run_forward(clone, x)  # clear error on a bad shape before thop's own
            macs, _params = thop.profile(clone, inputs=(x,), verbose=False)
    return int(macs)


def count_params(model: nn.Module, nonzero_only: bool = False) -> int:
    """Number of parameters (shared tensors counted once); ``nonzero_only`` for pruned nets.

    A pruned model built with ``torch.nn.utils.prune`` keeps ``weight_orig`` as the
    parameter and a mask as a buffer; with ``nonzero_only=True`` the effective (masked)
    weights are counted instead.

    Explained in: lecture 00 ("Parameters") and lecture 04 (pruning).
    """
    require_module(model)
    total = 0
    seen: set[int] = set()
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:  # tied weights (the same Parameter in two modules)
                continue
            seen.add(id(p))
            if nonzero_only:
                if name.endswith("_orig") and hasattr(module, name[: -len("_orig")]):
                    p = getattr(module, name[: -len("_orig")])
                total += int(torch.count_nonzero(p).item())
            else:
                total += p.numel()
    return total


def _tensor_bytes(obj: object) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (tuple, list)):
        return sum(_tensor_bytes(o) for o in obj)
    return 0


def model_size_bytes(model: nn.Module) -> int:
    """Bytes of tensor data in the model's ``state_dict``, from the real dtypes.

    float32 weights cost 4 bytes each, int8-quantized weights 1 byte, so a quantized model
    is about 4x smaller. Packed quantized parameters (tuples) are unpacked and counted.
    Bookkeeping such as per-channel scales is counted when it is stored as a tensor.

    Explained in: lecture 00 ("Model size") and lecture 05 (quantization).
    """
    require_module(model)
    return sum(_tensor_bytes(v) for v in model.state_dict().values())


def serialized_size_bytes(model: nn.Module) -> int:
    """Size in bytes of ``torch.save(model.state_dict())``: what a checkpoint file costs.

    Explained in: lecture 05 (quantization).
    """
    require_module(model)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes
