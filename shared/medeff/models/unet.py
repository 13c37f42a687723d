"""A small 2-D U-Net whose intermediate features can be tapped for distillation.

Explained in: lecture A (data, the segmentation baseline) and the knowledge-distillation
lecture (liver case study: a wide U-Net teaches a narrow one).

``UNet(base_width=w, depth=d)`` has ``d`` resolution levels with ``w, 2w, 4w, ...``
channels (two 3x3 conv-BN-ReLU per level, max-pool down, transposed-conv up, skip
concatenation). With ``forward(x, return_features=True)`` it also returns the encoder
features at stride 2 (``"low"``) and stride 8 (``"high"``), the taps of the case study
(Qin et al., TMI 2021: ENet initial block / stage 3). Width 8, depth 4: 121k parameters;
width 16: 482k.
"""

from __future__ import annotations

import torch
from torch import nn


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 conv -> BatchNorm -> ReLU layers (the U-Net level block)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net for 2-D slices: ``(B, in_channels, H, W) -> (B, num_classes, H, W)`` logits.

    ``H`` and ``W`` must be divisible by ``2 ** (depth - 1)``. ``feature_channels`` gives
    the channel counts of the ``"low"`` (stride 2) and ``"high"`` (stride 8, or the
    deepest level when ``depth < 4``) features. Explained in: lecture A and the
    distillation lecture.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 2, base_width: int = 8, depth: int = 4
    ):
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2 (one downsampling), got {depth}")
        if base_width < 1 or in_channels < 1 or num_classes < 1:
            raise ValueError("in_channels, num_classes and base_width must be positive")
        widths = [base_width * 2**i for i in range(depth)]
        self.depth = depth
        self.encoders = nn.ModuleList(
            [double_conv(in_channels, widths[0])]
            + [double_conv(widths[i - 1], widths[i]) for i in range(1, depth)]
        )
        self.pool = nn.MaxPool2d(2)
        self.ups = nn.ModuleList(
            [
                nn.ConvTranspose2d(widths[i], widths[i - 1], 2, stride=2)
                for i in range(depth - 1, 0, -1)
            ]
        )
        self.decoders = nn.ModuleList(
            [double_conv(2 * widths[i - 1], widths[i - 1]) for i in range(depth - 1, 0, -1)]
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        self.low_level = 1
        self.high_level = min(3, depth - 1)
        self.feature_channels = {"low": widths[self.low_level], "high": widths[self.high_level]}

    def forward(
        self, x: torch.Tensor, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits, or ``(logits, {"low": stride-2 feature, "high": stride-8 feature})``."""
        factor = 2 ** (self.depth - 1)
        if x.dim() != 4 or x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(
                f"UNet(depth={self.depth}) needs (B, C, H, W) with H, W "
                f"divisible by {factor}; got {tuple(x.shape)}"
            )
        skips = []
        for i, enc in enumerate(self.encoders):
            x = enc(x if i == 0 else self.pool(x))
            skips.append(x)
        feats = {"low": skips[self.low_level], "high": skips[self.high_level]}
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips[:-1]), strict=True):
            x = dec(torch.cat([up(x), skip], dim=1))
        logits = self.head(x)
        return (logits, feats) if return_features else logits
