"""Small student segmenters of the liver-segmentation case study, with feature taps.

Explained in: lecture 07 (case study: Qin et al., "Efficient medical image segmentation
based on knowledge distillation", IEEE TMI 40(12):3820-3831, 2021).

The case study distils a large teacher (RA-UNet, PSPNet, UNet++; here the course's
:class:`~medeff.models.unet.UNet`) into three light students: ENet, MobileNetV2 and
ResNet18. This module holds miniature versions of the three, sized for 96x96 CPU training
(tens of thousands of parameters instead of 0.35M / 2.2M / 11.2M), each with

* ``forward(x) -> logits (B, num_classes, H, W)`` and
  ``forward(x, return_features=True) -> (logits, {"low": ..., "high": ...})``, where
  ``"low"`` is a stride-2 feature (ENet initial block, MobileNetV2 stem, ResNet conv1) and
  ``"high"`` a stride-8 feature (ENet stage 3, MobileNetV2 stride-8 stage, ResNet layer2):
  the two taps of the paper's importance-map and region-affinity terms;
* ``feature_channels = {"low": C_low, "high": C_high}``.

Architectures are configuration as data (lists of block settings), torchvision style.
Input height and width must be divisible by 8.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

Features = dict[str, torch.Tensor]


def _check_input(x: torch.Tensor, factor: int, name: str) -> None:
    if x.dim() != 4 or x.shape[-1] % factor or x.shape[-2] % factor:
        raise ValueError(
            f"{name} needs (B, C, H, W) with H, W divisible by {factor}; got {tuple(x.shape)}"
        )


def _conv_bn(
    cin: int,
    cout: int,
    k: int = 3,
    stride: int = 1,
    groups: int = 1,
    dilation: int = 1,
    act: type[nn.Module] | None = nn.ReLU,
) -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


# ------------------------------------------------------------------------------- ENet
class ENetInitial(nn.Module):
    """ENet's initial block: a stride-2 3x3 conv (``out - in`` channels) concatenated
    with a 2x2 max-pool of the input, then BN + PReLU (Paszke et al. 2016, Fig. 2a)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        if out_channels <= in_channels:
            raise ValueError("ENet's initial block needs out_channels > in_channels")
        self.conv = nn.Conv2d(in_channels, out_channels - in_channels, 3, 2, 1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(torch.cat([self.conv(x), self.pool(x)], dim=1)))


class ENetBottleneck(nn.Module):
    """ENet bottleneck (Fig. 2b): 1x1 reduce -> main conv -> 1x1 expand, plus a shortcut.

    ``kind``: ``"regular"`` (3x3), ``"dilated"`` (3x3 with ``dilation``), ``"asym"``
    (5x1 then 1x5), ``"down"`` (stride 2; shortcut = max-pool + zero channel padding) or
    ``"up"`` (transposed conv; shortcut = 1x1 conv + bilinear upsampling).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kind: str = "regular",
        dilation: int = 1,
        ratio: int = 4,
        dropout: float = 0.0,
    ):
        super().__init__()
        mid = max(cout // ratio, 2)
        self.kind = kind
        if kind == "down":
            reduce = _conv_bn(cin, mid, 2, stride=2, act=nn.PReLU)  # 2x2 s2 reduce
            main = _conv_bn(mid, mid, 3, act=nn.PReLU)
        elif kind == "up":
            reduce = _conv_bn(cin, mid, 1, act=nn.PReLU)
            main = nn.Sequential(
                nn.ConvTranspose2d(mid, mid, 2, stride=2, bias=False),
                nn.BatchNorm2d(mid),
                nn.PReLU(mid),
            )
        elif kind == "asym":
            reduce = _conv_bn(cin, mid, 1, act=nn.PReLU)
            main = nn.Sequential(
                nn.Conv2d(mid, mid, (5, 1), padding=(2, 0), bias=False),  # 5x1
                nn.Conv2d(mid, mid, (1, 5), padding=(0, 2), bias=False),  # 1x5
                nn.BatchNorm2d(mid),
                nn.PReLU(mid),
            )
        elif kind in ("regular", "dilated"):
            reduce = _conv_bn(cin, mid, 1, act=nn.PReLU)
            main = _conv_bn(mid, mid, 3, dilation=dilation, act=nn.PReLU)
        else:
            raise ValueError(f"unknown ENet bottleneck kind {kind!r}")
        self.branch = nn.Sequential(
            reduce,
            main,
            _conv_bn(mid, cout, 1, act=None),  # expand
            nn.Dropout2d(dropout),
        )
        if kind == "up":
            self.shortcut: nn.Module = _conv_bn(cin, cout, 1, act=None)
        elif cin != cout and kind != "down":
            self.shortcut = _conv_bn(cin, cout, 1, act=None)
        else:
            self.shortcut = nn.Identity()
        self.pad = cout - cin if kind == "down" else 0
        self.act = nn.PReLU(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.branch(x)
        if self.kind == "down":
            skip = F.max_pool2d(x, 2)
            if self.pad:
                skip = F.pad(skip, (0, 0, 0, 0, 0, self.pad))
        elif self.kind == "up":
            skip = F.interpolate(
                self.shortcut(x), scale_factor=2, mode="bilinear", align_corners=False
            )
        else:
            skip = self.shortcut(x)
        return self.act(branch + skip)


# (stage name, output channels as a multiple of `width`, [(kind, dilation), ...])
ENET_TINY = [
    ("stage1", 2, [("down", 1), ("regular", 1)]),  # s4
    ("stage2", 4, [("down", 1), ("dilated", 2), ("asym", 1), ("dilated", 4)]),  # s8
    ("stage3", 4, [("regular", 1), ("dilated", 8), ("asym", 1), ("dilated", 2)]),  # s8, "high"
    ("stage4", 2, [("up", 1), ("regular", 1)]),  # s4
    ("stage5", 1, [("up", 1)]),  # s2
]


class ENetLike(nn.Module):
    """A miniature ENet (Paszke et al., arXiv:1606.02147; the case study's first student).

    Initial block (stride 2, ``width`` channels: the ``"low"`` tap), encoder stages 1-3
    of bottlenecks (stride 4, then stride 8 with dilated and asymmetric convs; the end of
    stage 3 is the ``"high"`` tap), a light decoder (stages 4-5, upsampling bottlenecks)
    and a full-resolution transposed-conv head. ``width=8``: about 17k parameters
    (the original ENet, width 16 and more blocks, has 0.35M). Explained in: lecture 07.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        width: int = 8,
        config: list | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        config = ENET_TINY if config is None else config
        self.initial = ENetInitial(in_channels, width)
        stages, cin = [], width
        for name, mult, blocks in config:
            layers = []
            for kind, dil in blocks:
                cout = width * mult
                layers.append(ENetBottleneck(cin, cout, kind, dil, dropout=dropout))
                cin = cout
            stages.append((name, nn.Sequential(*layers)))
        self.stages = nn.ModuleDict(stages)
        self.head = nn.ConvTranspose2d(cin, num_classes, 2, stride=2)  # fullconv
        self.feature_channels = {"low": width, "high": width * config[2][1]}

    def forward(
        self, x: torch.Tensor, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Features]:
        """Logits, or ``(logits, {"low": stride-2 feature, "high": stride-8 feature})``."""
        _check_input(x, 8, "ENetLike")
        x = low = self.initial(x)
        high = x
        for name, stage in self.stages.items():
            x = stage(x)
            if name == "stage3":
                high = x
        logits = self.head(x)
        return (logits, {"low": low, "high": high}) if return_features else logits


# ------------------------------------------------------------------------- MobileNetV2
class InvertedResidualBlock(nn.Module):
    """MobileNetV2 block: 1x1 expand (``t``) -> 3x3 depthwise (stride, dilation) ->
    1x1 linear projection, with a residual when shapes match (Sandler et al., CVPR 2018)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int, dilation: int = 1):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(_conv_bn(cin, hidden, 1, act=nn.ReLU6))  # pw expand
        layers += [
            _conv_bn(
                hidden, hidden, 3, stride, groups=hidden, dilation=dilation, act=nn.ReLU6
            ),  # dw
            _conv_bn(hidden, cout, 1, act=None),
        ]  # pw linear
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.residual else out


# (expansion t, output channels c, repeats n, stride s, dilation d) as in MobileNetV2 Table 2
MOBILENETV2_TINY = [
    (1, 8, 1, 1, 1),  # s2
    (4, 12, 2, 2, 1),  # s4
    (4, 16, 2, 2, 1),  # s8  <- "high"
    (4, 24, 2, 1, 2),  # s8, dilated instead of a further stride (segmentation backbone)
]


class MobileNetV2Like(nn.Module):
    """A miniature MobileNetV2 segmenter (the case study's second student).

    Stem: 3x3 stride-2 conv (``"low"`` tap, 16 channels at width 1); inverted-residual
    stages down to stride 8 (``"high"`` tap = the stride-8 stage output); a dilated stage
    keeps stride 8 (as MobileNetV2 in DeepLabv3). Decoder (DeepLabv3+-like): project the
    deep feature, upsample x4 to stride 2, concatenate the stem feature, a depthwise-
    separable 3x3 fuse, 1x1 classifier, bilinear x2 to full size. ``width_mult=1``: about
    17k parameters (the paper's MobileNetV2 segmenter: 2.2M). Explained in: lecture 07.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        width_mult: float = 1.0,
        config: list | None = None,
    ):
        super().__init__()
        config = MOBILENETV2_TINY if config is None else config

        def ch(c: int) -> int:
            return max(4, int(round(c * width_mult)))

        stem = ch(16)
        self.stem = _conv_bn(in_channels, stem, 3, 2, act=nn.ReLU6)
        stages, cin = [], stem
        high_index, stride = None, 2
        for i, (t, c, n, s, d) in enumerate(config):
            blocks = []
            for j in range(n):
                blocks.append(InvertedResidualBlock(cin, ch(c), s if j == 0 else 1, t, d))
                cin = ch(c)
            stride *= s
            if stride == 8 and high_index is None:
                high_index = i
            stages.append(nn.Sequential(*blocks))
        if high_index is None:
            raise ValueError("the MobileNetV2 config never reaches stride 8")
        self.stages = nn.ModuleList(stages)
        self.high_index = high_index
        dec = ch(16)
        self.project = _conv_bn(cin, dec, 1, act=nn.ReLU6)  # pw
        self.fuse = nn.Sequential(
            _conv_bn(dec + stem, dec + stem, 3, groups=dec + stem, act=nn.ReLU6),  # dw
            _conv_bn(dec + stem, dec, 1, act=nn.ReLU6),
        )  # pw
        self.classifier = nn.Conv2d(dec, num_classes, 1)
        self.feature_channels = {"low": stem, "high": ch(config[high_index][1])}

    def forward(
        self, x: torch.Tensor, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Features]:
        """Logits, or ``(logits, {"low": stride-2 feature, "high": stride-8 feature})``."""
        _check_input(x, 8, "MobileNetV2Like")
        size = x.shape[-2:]
        x = low = self.stem(x)
        high = x
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i == self.high_index:
                high = x
        y = F.interpolate(
            self.project(x), size=low.shape[-2:], mode="bilinear", align_corners=False
        )
        y = self.classifier(self.fuse(torch.cat([y, low], dim=1)))
        logits = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
        return (logits, {"low": low, "high": high}) if return_features else logits


# ----------------------------------------------------------------------------- ResNet18
class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv-BN, ReLU, identity or 1x1-projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(_conv_bn(cin, cout, 3, stride), _conv_bn(cout, cout, 3, act=None))
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else _conv_bn(cin, cout, 1, stride, act=None)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


# (output channels as a multiple of `width`, blocks, stride): ResNet18's layer1-4
RESNET18_TINY = [(1, 2, 1), (2, 2, 2), (3, 2, 2), (4, 2, 2)]


class ResNet18Like(nn.Module):
    """A miniature ResNet18 segmenter (the case study's third student), FCN-style decoder.

    conv1 (3x3 stride 2, the ``"low"`` tap), max-pool, layer1 (stride 4), layer2 (stride
    8, the ``"high"`` tap), layer3 (16), layer4 (32), each two basic blocks as in
    ResNet18. Decoder: 1x1 projections of layer4, layer2 and conv1 added after bilinear
    upsampling (FCN-8s-like skips), then x2 to full size. ``width=8``: about 80k
    parameters (the paper's ResNet18 segmenter: 11.2M). Explained in: lecture 07.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 2, width: int = 8, config: list | None = None
    ):
        super().__init__()
        config = RESNET18_TINY if config is None else config
        self.conv1 = _conv_bn(in_channels, width, 3, 2)
        self.pool = nn.MaxPool2d(2)
        layers, cin = [], width
        for mult, n, s in config:
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(cin, width * mult, s if j == 0 else 1))
                cin = width * mult
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.ModuleList(layers)
        dec = 2 * width
        self.proj_deep = _conv_bn(cin, dec, 1)
        self.proj_high = _conv_bn(width * config[1][0], dec, 1)
        self.proj_low = _conv_bn(width, dec, 1)
        self.classifier = nn.Sequential(_conv_bn(dec, dec, 3), nn.Conv2d(dec, num_classes, 1))
        self.feature_channels = {"low": width, "high": width * config[1][0]}

    def forward(
        self, x: torch.Tensor, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Features]:
        """Logits, or ``(logits, {"low": stride-2 feature, "high": stride-8 feature})``."""
        _check_input(x, 8, "ResNet18Like")
        size = x.shape[-2:]
        low = self.conv1(x)
        x = self.pool(low)
        outs = []
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        high = outs[1]

        def up(t: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
            return F.interpolate(t, size=ref.shape[-2:], mode="bilinear", align_corners=False)

        y = up(self.proj_deep(x), high) + self.proj_high(high)
        y = up(y, low) + self.proj_low(low)
        logits = F.interpolate(self.classifier(y), size=size, mode="bilinear", align_corners=False)
        return (logits, {"low": low, "high": high}) if return_features else logits


STUDENTS = {"enet": ENetLike, "mobilenetv2": MobileNetV2Like, "resnet18": ResNet18Like}


def make_segmenter(kind: str, in_channels: int = 1, num_classes: int = 2, **kwargs) -> nn.Module:
    """A student segmenter by name: ``"enet"``, ``"mobilenetv2"`` or ``"resnet18"``.

    Keyword arguments go to the class (``width`` for ENet/ResNet, ``width_mult`` for
    MobileNetV2). Explained in: lecture 07 ("The students").
    """
    if kind not in STUDENTS:
        raise ValueError(f"unknown student {kind!r}; choose one of {sorted(STUDENTS)}")
    return STUDENTS[kind](in_channels=in_channels, num_classes=num_classes, **kwargs)
