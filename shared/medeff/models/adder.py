"""An adder layer (AdderNet): convolution with the L1 distance instead of multiplications.

Chen, Wang, Xu, Shi, Xu, Tian, Xu. "AdderNet: Do we really need multiplications in deep
learning?", CVPR 2020. Explained in: lecture 00 ("Four families of efficient networks").

A convolution's output is a cross-correlation, :math:`Y = \\sum X \\cdot F`; an adder layer
outputs :math:`Y = -\\sum |X - F|` over the same window, so it needs subtractions, absolute
values and additions, and no multiplications. (The paper also adapts the gradient and the
learning rate per layer to train it; this module only shows the forward cost.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def adder2d(
    x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0
) -> torch.Tensor:
    """``-sum |x_window - w|`` for every output position and filter (shape like ``conv2d``).

    Explained in: lecture 00 ("Four families of efficient networks").
    """
    if x.dim() != 4 or weight.dim() != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"adder2d needs x (N, C, H, W) and weight (O, C, k, k) with the same C; "
            f"got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    n, _, h, w = x.shape
    out_c, _, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)  # (N, C*k*k, L)
    dist = (cols.unsqueeze(1) - weight.view(1, out_c, -1, 1)).abs()  # (N, O, C*k*k, L)
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    return -dist.sum(2).view(n, out_c, oh, ow)


class AdderConv2d(nn.Module):
    """A drop-in for ``nn.Conv2d`` (no bias, no groups) computing :func:`adder2d`.

    Explained in: lecture 00 ("Four families of efficient networks").
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
    ):
        super().__init__()
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(
            torch.randn(out_channels, in_channels, kernel_size, kernel_size) * 0.1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return adder2d(x, self.weight, self.stride, self.padding)


def adder_op_counts(layer: AdderConv2d, out_h: int, out_w: int) -> dict[str, int]:
    """Operations of one image: the conv's MACs become subtractions + additions, no mults.

    Explained in: lecture 00 ("Four families of efficient networks").
    """
    per_output = layer.weight[0].numel()
    outputs = layer.weight.shape[0] * out_h * out_w
    return {
        "multiplications": 0,
        "subtractions": per_output * outputs,
        "additions": per_output * outputs,
        "conv_macs_replaced": per_output * outputs,
    }
