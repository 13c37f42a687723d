"""Argument checks shared by the helpers, so bad input fails with a clear message, and the
one context manager that puts models in eval mode and restores every module's own mode."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence

import torch
from torch import nn

_CONV_NDIM = {
    nn.Conv1d: 3,
    nn.Conv2d: 4,
    nn.Conv3d: 5,
    nn.ConvTranspose1d: 3,
    nn.ConvTranspose2d: 4,
    nn.ConvTranspose3d: 5,
}


def require_module(model: object, name: str = "model") -> nn.Module:
    """Raise TypeError unless ``model`` is an ``nn.Module``."""
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"{name} must be a torch.nn.Module, got {type(model).__name__}. "
            "Pass the model object itself, e.g. count_macs(model, (3, 224, 224))."
        )
    return model


def _first_conv_ndim(model: nn.Module) -> int | None:
    for module in model.modules():
        for cls, ndim in _CONV_NDIM.items():
            if isinstance(module, cls):
                return ndim
    return None


def as_example_input(model: nn.Module, example: torch.Tensor | Sequence[int]) -> torch.Tensor:
    """Turn a per-sample shape (C, H, W) into a batch-1 zero tensor, or check a tensor.

    A tensor must carry a batch dimension: an input of shape (C, H, W) for a model that
    starts with a Conv2d is rejected with a message that says how to add one.
    """
    if isinstance(example, torch.Tensor):
        x = example
    elif isinstance(example, Sequence) and all(isinstance(s, int) for s in example):
        if not example or any(s <= 0 for s in example):
            raise ValueError(f"input shape must be positive integers, got {tuple(example)}")
        x = torch.zeros(1, *example)
    else:
        raise TypeError(
            "example must be a tensor with a batch dimension (N, C, H, W) or a per-sample "
            f"shape such as (3, 224, 224); got {type(example).__name__}"
        )
    expected = _first_conv_ndim(model)
    if expected is not None and x.dim() == expected - 1:
        raise ValueError(
            f"input of shape {tuple(x.shape)} has no batch dimension: the model's first "
            f"convolution expects {expected}-D input (N, C, ...). Use x.unsqueeze(0), or "
            "pass the per-sample shape as a tuple."
        )
    return x


# RuntimeError messages of torch that mean "this input does not fit the layer".
_SHAPE_ERROR = re.compile(
    r"(size mismatch|shapes? .* cannot be multiplied|mat1 and mat2|expected input"
    r"|to have \d+ channels|Expected \d+D|must match the size|input size|Given groups"
    r"|Calculated padded input size|sizes of tensors must match)",
    re.IGNORECASE,
)


def run_forward(model: nn.Module, x: torch.Tensor) -> object:
    """Call the model; an input that does not fit it gives a ValueError naming its shape.

    Only torch's shape-mismatch errors are translated; any other error raised inside the
    model (a real bug) propagates unchanged.
    """
    try:
        return model(x)
    except RuntimeError as err:
        if not _SHAPE_ERROR.search(str(err)):
            raise
        raise ValueError(
            f"{type(model).__name__} failed on an input of shape {tuple(x.shape)}: {err}"
        ) from err


@contextlib.contextmanager
def eval_mode(*models: nn.Module, no_grad: bool = False) -> Iterator[None]:
    """Put ``models`` in eval mode; afterwards restore every submodule's own mode.

    (``model.train(was_training)`` would set all submodules alike, losing e.g. a frozen
    BatchNorm kept in eval mode inside a training model.) ``no_grad=True`` also disables
    autograd inside the block.
    """
    flags = [(m, m.training) for model in models for m in model.modules()]
    for model in models:
        model.eval()
    try:
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            yield
    finally:
        for module, flag in flags:
            module.training = flag
