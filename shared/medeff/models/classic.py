"""Classic CNNs that torchvision does not ship, built as their papers describe them.

Explained in: lecture 00 (compute demands of popular DNNs: the "Popular DNN Models" table).

* :func:`lenet5` -- LeNet-5 (LeCun et al., Proc. IEEE 1998) at 32x32, with the full or the
  paper's sparse C3 connection table (Table I of the paper).
* :func:`alexnet_2012` -- the original two-GPU AlexNet (Krizhevsky et al., NeurIPS 2012) at
  227x227: conv2, conv4 and conv5 only see the 48/192 channels on "their" GPU, which is a
  grouped convolution with ``groups=2``.
* :func:`mobilenet_v1` -- MobileNet v1 (Howard et al., 2017, Table 1), with the width
  multiplier alpha.

All weights are randomly initialised: nothing is downloaded.
"""

from __future__ import annotations

import torch
from torch import nn

from .efficient import DepthwiseSeparableConv, conv_bn_relu

# LeCun et al. 1998, Table I: the S2 feature maps (0-5) each C3 feature map (0-15) reads.
LENET5_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (4, 5, 0),
    (5, 0, 1),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (3, 4, 5, 0),
    (4, 5, 0, 1),
    (5, 0, 1, 2),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class SparseC3(nn.Module):
    """LeNet-5's C3 layer with LeCun's connection table: 60 of the 96 map pairs connected.

    The 16 output maps fall into runs of maps with the same fan-in (6 maps x 3 inputs,
    6 x 4, 3 x 4, 1 x 6). Each run is one grouped convolution over the gathered input
    maps, so parameters (60 * 25 weights + 16 biases) and MACs are exact, with no masks.

    Explained in: lecture 00, "LeNet-5".
    """

    def __init__(
        self,
        table: tuple[tuple[int, ...], ...] = LENET5_C3_TABLE,
        in_channels: int = 6,
        kernel_size: int = 5,
    ):
        super().__init__()
        if any(not 0 <= c < in_channels for row in table for c in row):
            raise ValueError(f"connection table refers to a channel outside 0..{in_channels - 1}")
        runs: list[list[tuple[int, ...]]] = []
        for row in table:
            if runs and len(runs[-1][0]) == len(row):
                runs[-1].append(row)
            else:
                runs.append([row])
        self.convs = nn.ModuleList()
        for i, run in enumerate(runs):
            fan_in = len(run[0])
            index = torch.tensor([c for row in run for c in row], dtype=torch.long)
            self.register_buffer(f"index{i}", index, persistent=False)
            self.convs.append(nn.Conv2d(fan_in * len(run), len(run), kernel_size, groups=len(run)))
        self.table = table

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [
            conv(x.index_select(1, getattr(self, f"index{i}"))) for i, conv in enumerate(self.convs)
        ]
        return torch.cat(outs, dim=1)


class LeNet5(nn.Module):
    """LeNet-5 on 1x32x32 input: C1-S2-C3-S4-C5-F6-output.

    C5 is a 5x5 convolution over a 5x5 map (so it acts as a fully connected layer, and
    the lecture's table counts it as one). Activations are tanh; S2/S4 are 2x2 average
    pooling. Differences from the 1998 paper, which change neither conv/FC parameters
    nor MACs: the paper's subsampling layers also had a trainable coefficient and bias per
    map (+44 parameters), its tanh was scaled (1.7159 tanh(2x/3)) and its output layer was
    84x10 Euclidean RBF units (840 parameters) instead of a Linear layer (850).

    Explained in: lecture 00, "LeNet-5".
    """

    def __init__(self, sparse_c3: bool = False, num_classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.AvgPool2d(2)
        self.c3: nn.Module = SparseC3() if sparse_c3 else nn.Conv2d(6, 16, 5)
        self.s4 = nn.AvgPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.act(self.c5(x)).flatten(1)
        return self.output(self.act(self.f6(x)))


def lenet5(sparse_c3: bool = False, num_classes: int = 10) -> LeNet5:
    """LeNet-5 at 32x32; ``sparse_c3=True`` uses LeCun's C3 connection table.

    Full C3: 61,706 parameters and 416,520 MACs; sparse C3: 60,806 and 326,520.
    Explained in: lecture 00, "LeNet-5".
    """
    return LeNet5(sparse_c3=sparse_c3, num_classes=num_classes)


class AlexNet2012(nn.Module):
    """The original AlexNet at 3x227x227, with its two-GPU split as ``groups=2``.

    conv1 and conv3 see all input channels; conv2, conv4 and conv5 see only the half of the
    channels computed on the same GPU. Dropout in front of fc6 and fc7; optional local
    response normalisation after conv1 and conv2 (k=2, n=5, alpha=1e-4, beta=0.75).
    About 61.0M parameters and 724.4M MACs (666M in convolutions, 58.6M in FC layers).

    Explained in: lecture 00, "AlexNet".
    """

    def __init__(self, num_classes: int = 1000, lrn: bool = True, dropout: float = 0.5):
        super().__init__()

        def norm() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0) if lrn else nn.Identity()

        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4),
            nn.ReLU(inplace=True),
            norm(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2),
            nn.ReLU(inplace=True),
            norm(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def alexnet_2012(num_classes: int = 1000, lrn: bool = True) -> AlexNet2012:
    """The two-GPU AlexNet of Krizhevsky et al. (2012) at 227x227 (see :class:`AlexNet2012`).

    Explained in: lecture 00, "AlexNet".
    """
    return AlexNet2012(num_classes=num_classes, lrn=lrn)


# MobileNet v1, Table 1 of Howard et al. (2017): (output channels, stride) of the 13
# depthwise-separable layers after the 3x3 stride-2 stem with 32 channels.
MOBILENET_V1_LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


class MobileNetV1(nn.Module):
    """MobileNet v1: conv stem, 13 depthwise-separable layers, global pool, one FC layer.

    Channel counts are ``max(8, int(c * width_mult))`` as in the reference implementation.
    At width 1.0 and 224x224: 4,231,976 parameters and 568.7M MACs.

    Explained in: lecture 00 ("Different models with different sizes") and lecture 01.
    """

    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000):
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"width_mult must be positive, got {width_mult}")

        def ch(c: int) -> int:
            return max(8, int(c * width_mult))

        layers: list[nn.Module] = [conv_bn_relu(3, ch(32), 3, stride=2)]
        cin = ch(32)
        for cout, stride in MOBILENET_V1_LAYERS:
            layers.append(DepthwiseSeparableConv(cin, ch(cout), stride))
            cin = ch(cout)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


def mobilenet_v1(width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV1:
    """MobileNet v1 (Howard et al., 2017) with width multiplier ``width_mult``.

    Explained in: lecture 00 ("Different models with different sizes") and lecture 01.
    """
    return MobileNetV1(width_mult=width_mult, num_classes=num_classes)


# ---------------------------------------------------------------------------- CIFAR VGG
# Network slimming's VGGNet on CIFAR (Liu et al., ICCV 2017; their public code's "vgg19"):
# 16 3x3 convolutions with BatchNorm, max pooling after each stage, one Linear classifier.
VGG_CIFAR_CFG: tuple[int | str, ...] = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
)


def vgg_cifar(num_classes: int = 10, cfg: tuple[int | str, ...] = VGG_CIFAR_CFG) -> nn.Sequential:
    """The VGG-19 variant of network slimming for 32x32 CIFAR images (``"M"`` = max pool).

    Explained in: lecture 00 ("Which convention does each table use?"): its MACs times 2
    give the 7.97e8 FLOPs of the seed's network-slimming table.
    """
    layers: list[nn.Module] = []
    channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [
                nn.Conv2d(channels, int(v), 3, padding=1, bias=False),
                nn.BatchNorm2d(int(v)),
                nn.ReLU(inplace=True),
            ]
            channels = int(v)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)
