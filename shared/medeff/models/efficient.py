"""Reference building blocks of efficient CNNs, and a small classifier family for 28x28 patches.

Explained in: lecture 01 (depthwise-separable convolution, inverted residual), lecture 02
(group convolution, channel shuffle, the ShuffleNet unit) and lecture 03 (the Ghost
module, the accuracy-vs-MACs comparison of the four families).

The assignment ``a1_efficient_architectures`` asks students to write their own versions
of :func:`depthwise_separable_macs`, :class:`DepthwiseSeparableConv`,
:func:`channel_shuffle` and :class:`GhostModule`; its hidden tests compare against
these references.
"""

from __future__ import annotations

import math

import torch
from torch import nn

KINDS = ("standard", "mobilenet", "shufflenet", "ghost")

# The common skeleton of make_classifier at width 1.0: (channels, stride) after a stem of
# half the first stage's width.
STAGES: tuple[tuple[int, int], ...] = ((32, 2), (32, 1), (64, 2), (64, 1), (64, 1))


# ---------------------------------------------------------------------------- costs
def standard_conv_macs(in_channels: int, out_channels: int, kernel_size: int,
                       out_h: int, out_w: int) -> int:
    """MACs of a standard convolution: ``D_K^2 * M * N * D_F^2`` (no bias).

    ``M`` = in_channels, ``N`` = out_channels, ``D_F^2`` = out_h * out_w.
    Explained in: lecture 01, "Cost of a standard convolution".
    """
    return kernel_size * kernel_size * in_channels * out_channels * out_h * out_w


def depthwise_separable_macs(in_channels: int, out_channels: int, kernel_size: int,
                             out_h: int, out_w: int) -> int:
    """MACs of depthwise (``D_K^2 M D_F^2``) plus pointwise (``M N D_F^2``) convolution.

    The ratio to :func:`standard_conv_macs` is ``1/N + 1/D_K^2``.
    Explained in: lecture 01, "Cost of a depthwise-separable convolution".
    """
    spatial = out_h * out_w
    return kernel_size * kernel_size * in_channels * spatial + in_channels * out_channels * spatial


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor`` (never down by more than 10%).

    This is the rounding of the MobileNet/GhostNet reference code, used for width
    multipliers. Explained in: lecture 01, "Width and resolution multipliers".
    """
    min_value = divisor if min_value is None else min_value
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


# ---------------------------------------------------------------------------- blocks
def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 groups: int = 1, relu: bool = True) -> nn.Sequential:
    """Conv (no bias, 'same' padding) -> BatchNorm -> ReLU: the standard CNN layer.

    Explained in: lecture 01, "Standard convolution".
    """
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DepthwiseSeparableConv(nn.Module):
    """MobileNetV1 block: 3x3 depthwise conv -> BN -> ReLU -> 1x1 pointwise conv -> BN -> ReLU.

    Explained in: lecture 01, "Depthwise-separable convolution".
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, stride, 1,
                                   groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.depthwise(x)))
        return self.relu(self.bn2(self.pointwise(x)))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand -> ReLU6 -> 3x3 depthwise -> ReLU6 -> 1x1 linear project.

    Narrow -> wide -> narrow (the inverse of a ResNet bottleneck); the residual connects
    the narrow ends when ``stride == 1`` and ``in_channels == out_channels``; the last
    1x1 has no activation (a "linear bottleneck").
    Explained in: lecture 01, "MobileNetV2: the inverted residual".
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 expand_ratio: int = 6):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers += [nn.Conv2d(in_channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                       nn.ReLU6(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_residual else out


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle: reshape (N, G, C/G, H, W) -> transpose -> flatten.

    Output channel ``i * G + g`` is input channel ``g * (C/G) + i``, so after the shuffle
    every group of a following group convolution sees channels from every input group.
    The inverse is ``channel_shuffle(x, C // groups)``.
    Explained in: lecture 02, "Channel shuffle".
    """
    if x.dim() != 4:
        raise ValueError(f"channel_shuffle expects NCHW input, got shape {tuple(x.shape)}")
    n, c, h, w = x.shape
    if groups < 1 or c % groups:
        raise ValueError(f"{c} channels cannot be split into {groups} groups")
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ChannelShuffle(nn.Module):
    """:func:`channel_shuffle` as a module, so it can sit in an ``nn.Sequential``.

    Explained in: lecture 02, "Channel shuffle".
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class ShuffleUnit(nn.Module):
    """ShuffleNet (v1) unit: 1x1 group conv -> shuffle -> 3x3 depthwise -> 1x1 group conv.

    ``stride == 1`` (needs ``in_channels == out_channels``): residual add, then ReLU.
    ``stride == 2``: the shortcut is a 3x3 average pool (stride 2) and is concatenated,
    so the residual branch produces ``out_channels - in_channels`` channels. The
    bottleneck is a quarter of the output width, as in the paper. ``shuffle=False`` drops
    the channel shuffle (an ablation: the groups then never exchange information).
    Explained in: lecture 02, "The ShuffleNet unit".
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int = 2, stride: int = 1,
                 shuffle: bool = True):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError("a stride-1 ShuffleUnit needs in_channels == out_channels")
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        mid = out_channels // 4
        for name, c in (("in_channels", in_channels), ("bottleneck", mid),
                        ("branch output", branch_out)):
            if c <= 0 or c % groups:
                raise ValueError(f"{name} = {c} must be a positive multiple of groups={groups}")
        self.stride = stride
        self.groups = groups
        self.shuffle = shuffle
        self.compress = conv_bn_relu(in_channels, mid, 1, groups=groups)
        self.depthwise = conv_bn_relu(mid, mid, 3, stride, groups=mid, relu=False)
        self.expand = conv_bn_relu(mid, branch_out, 1, groups=groups, relu=False)
        self.shortcut = nn.AvgPool2d(3, 2, 1) if stride == 2 else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.compress(x)
        if self.shuffle:
            out = channel_shuffle(out, self.groups)
        out = self.expand(self.depthwise(out))
        if self.stride == 2:
            return self.relu(torch.cat([self.shortcut(x), out], dim=1))
        return self.relu(x + out)


class GhostModule(nn.Module):
    """Ghost module (Han et al., CVPR 2020): a few "intrinsic" maps from an ordinary conv,
    the rest ("ghosts") from a cheap depthwise conv on them, concatenated.

    The primary conv gives ``ceil(out_channels / ratio)`` maps; the depthwise conv
    (``dw_size`` x ``dw_size``, groups = that number) gives ``ratio - 1`` times as many;
    the concatenation is cut to ``out_channels``. Compared with one conv of the same
    output, MACs and parameters shrink by about ``ratio`` (``s`` in the paper).
    This follows the huawei-noah GhostNet reference code.
    Explained in: lecture 03, "The Ghost module".
    """

    def __init__(self, in_channels: int, out_channels: int, ratio: int = 2,
                 kernel_size: int = 1, dw_size: int = 3, stride: int = 1, relu: bool = True):
        super().__init__()
        if ratio < 2:
            raise ValueError(f"ratio must be >= 2, got {ratio}")
        self.out_channels = out_channels
        init_channels = math.ceil(out_channels / ratio)
        new_channels = init_channels * (ratio - 1)
        act = [nn.ReLU(inplace=True)] if relu else []
        self.primary_conv = nn.Sequential(
            nn.Conv2d(in_channels, init_channels, kernel_size, stride, kernel_size // 2,
                      bias=False),
            nn.BatchNorm2d(init_channels), *act)
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(init_channels, new_channels, dw_size, 1, dw_size // 2,
                      groups=init_channels, bias=False),
            nn.BatchNorm2d(new_channels), *([nn.ReLU(inplace=True)] if relu else []))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        return torch.cat([x1, x2], dim=1)[:, : self.out_channels]


# ---------------------------------------------------------------------------- family
def _block(kind: str, cin: int, cout: int, stride: int, groups: int,
           shuffle: bool = True) -> nn.Module:
    if kind == "standard":
        return conv_bn_relu(cin, cout, 3, stride)
    if kind == "mobilenet":
        return DepthwiseSeparableConv(cin, cout, stride)
    if kind == "shufflenet":
        return ShuffleUnit(cin, cout, groups, stride, shuffle)
    if kind == "ghost":
        # As in the paper's Ghost-VGG: every 3x3 conv becomes a Ghost module (s = 2, d = 3).
        return GhostModule(cin, cout, ratio=2, kernel_size=3, dw_size=3, stride=stride)
    raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")


class SmallClassifier(nn.Module):
    """Stem conv, five blocks of one kind (28 -> 14 -> 7), global average pool, linear.

    Built by :func:`make_classifier`. Explained in: lecture 01 (standard vs MobileNet),
    lecture 02 (ShuffleNet) and lecture 03 (all four families).
    """

    def __init__(self, kind: str, channels: list[int], strides: list[int],
                 num_classes: int, in_channels: int = 1, groups: int = 2, shuffle: bool = True):
        super().__init__()
        self.kind = kind
        self.stem = conv_bn_relu(in_channels, channels[0], 3, 1)
        blocks = [_block(kind, cin, cout, s, groups, shuffle)
                  for cin, cout, s in zip(channels[:-1], channels[1:], strides, strict=True)]
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.stem(x))
        return self.classifier(torch.flatten(self.pool(x), 1))


def make_classifier(kind: str, width: float = 1.0, num_classes: int = 2,
                    in_channels: int = 1, groups: int = 2, shuffle: bool = True) -> SmallClassifier:
    """A small classifier for 28x28 patches; ``kind`` in ``KINDS``, ``width`` multiplier.

    All four kinds share one skeleton (a 3x3 stem of 16 channels, then blocks of 32, 32,
    64, 64, 64 channels with strides 2, 1, 2, 1, 1; channels scaled by ``width`` and
    rounded to a multiple of 8, the stem is half the first block); only the block differs: 3x3 conv ("standard", ~106k parameters at
    width 1), depthwise-separable ("mobilenet"), ShuffleNet unit with ``groups``
    ("shufflenet"; ``shuffle=False`` for the no-shuffle ablation) or Ghost module ("ghost"). The stem stays an ordinary conv: a
    depthwise conv on one input channel would learn a single filter.
    Explained in: lecture 03, "Accuracy vs MACs".
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    divisor = 4 * groups if kind == "shufflenet" else 8
    stages = [make_divisible(c * width, divisor) for c, _ in STAGES]
    channels = [stages[0] // 2, *stages]  # the stem is half the first stage (16 at width 1)
    strides = [s for _, s in STAGES]
    return SmallClassifier(kind, channels, strides, num_classes, in_channels, groups, shuffle)


# ---------------------------------------------------------------------------- training
def _source_fingerprint() -> str:
    """Hash of this file, so cached results are dropped when an architecture changes."""
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _data_fingerprint(dataset: object) -> str:
    """Hash of a TensorDataset's contents (empty for other datasets): stale data never hits."""
    import hashlib

    tensors = getattr(dataset, "tensors", None)
    if not tensors:
        return ""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(str(tuple(t.shape)).encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def train_or_load(
    kind: str,
    width: float,
    loaders: tuple,
    *,
    num_classes: int,
    epochs: int,
    lr: float = 3e-3,
    seed: int = 0,
    data_tag: str = "",
    cache: bool = True,
    progress: bool = False,
    options: dict | None = None,
) -> tuple[SmallClassifier, dict]:
    """Train ``make_classifier(kind, width)`` (or load it from the cache); return it + a record.

    ``loaders`` is ``(train, val, test)``. The record holds ``kind``, ``width``, ``params``,
    ``macs`` (per 28x28 image), ``val_accuracy``, ``test_accuracy``, ``train_seconds``
    and ``cached``. ``options`` go to :func:`make_classifier` (e.g. ``{"groups": 4}``). Results and weights are cached in ``me.cache_dir() / "efficient"``,
    keyed by every argument that changes the outcome (including fast mode, ``data_tag``,
    a hash of the training data's contents and a hash of this file), so re-running a lecture is fast; delete
    that folder, or pass ``cache=False``, to retrain. Explained in: lecture 03,
    "Accuracy vs MACs" (and used in lectures 01 and 02).
    """
    import hashlib
    import json
    import time

    from ..config import cache_dir, is_fast
    from ..counting import count_macs, count_params
    from ..metrics import accuracy
    from ..training import evaluate, fit, set_seed

    train, val, test = loaders
    config = {"kind": kind, "width": width, "num_classes": num_classes, "epochs": epochs,
              "lr": lr, "seed": seed, "data": data_tag, "fast": is_fast(),
              "data_hash": _data_fingerprint(getattr(train, "dataset", None)),
              "options": options or {},
              "code": _source_fingerprint()}
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    folder = cache_dir() / "efficient"
    weights, meta = folder / f"{kind}-{width:g}-{key}.pt", folder / f"{kind}-{width:g}-{key}.json"
    set_seed(seed)
    model = make_classifier(kind, width, num_classes, **(options or {}))
    if cache and weights.exists() and meta.exists():
        model.load_state_dict(torch.load(weights, weights_only=True))
        model.eval()
        record = json.loads(meta.read_text()) | {"cached": True}
        return model, record
    start = time.perf_counter()
    fit(model, train, epochs=epochs, lr=lr, progress=progress, desc=f"{kind} x{width:g}")
    seconds = time.perf_counter() - start
    metrics = {"accuracy": accuracy}
    record = {
        "kind": kind, "width": width,
        "params": count_params(model),
        "macs": count_macs(model, (model.stem[0].in_channels, 28, 28)),
        "val_accuracy": evaluate(model, val, metrics)["accuracy"],
        "test_accuracy": evaluate(model, test, metrics)["accuracy"],
        "train_seconds": seconds,
    }
    model.eval()
    if cache:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), weights)
        meta.write_text(json.dumps(record | {"config": config}, indent=1))
    return model, record | {"cached": False}
