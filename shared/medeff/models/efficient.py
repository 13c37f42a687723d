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

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

KINDS = ("standard", "mobilenet", "shufflenet", "ghost")

# The common skeleton of make_classifier at width 1.0: (channels, stride) after a stem of
# half the first stage's width.
STAGES: tuple[tuple[int, int], ...] = ((32, 2), (32, 1), (64, 2), (64, 1), (64, 1))


# ---------------------------------------------------------------------------- costs
def standard_conv_macs(
    in_channels: int, out_channels: int, kernel_size: int, out_h: int, out_w: int
) -> int:
    """MACs of a standard convolution: ``D_K^2 * M * N * D_F^2`` (no bias).

    ``M`` = in_channels, ``N`` = out_channels, ``D_F^2`` = out_h * out_w.
    Explained in: lecture 01, "Cost of a standard convolution".
    """
    return kernel_size * kernel_size * in_channels * out_channels * out_h * out_w


def depthwise_separable_macs(
    in_channels: int, out_channels: int, kernel_size: int, out_h: int, out_w: int
) -> int:
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
def conv_bn_relu(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    groups: int = 1,
    relu: bool = True,
) -> nn.Sequential:
    """Conv (no bias, 'same' padding) -> BatchNorm -> ReLU: the standard CNN layer.

    Explained in: lecture 01, "Standard convolution".
    """
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False,
        ),
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
        self.depthwise = nn.Conv2d(
            in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False
        )
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

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, expand_ratio: int = 6):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers += [
                nn.Conv2d(in_channels, hidden, 1, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True),
            ]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
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

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        groups: int = 2,
        stride: int = 1,
        shuffle: bool = True,
    ):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError("a stride-1 ShuffleUnit needs in_channels == out_channels")
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        mid = out_channels // 4
        for name, c in (
            ("in_channels", in_channels),
            ("bottleneck", mid),
            ("branch output", branch_out),
        ):
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
    This follows the huawei-noah GhostNet reference code; every argument after
    ``out_channels`` is keyword-only, because the reference's third positional argument
    is ``kernel_size`` (``GhostModule(16, 32, 3)`` would silently mean two things).
    Explained in: lecture 03, "The Ghost module".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        ratio: int = 2,
        kernel_size: int = 1,
        dw_size: int = 3,
        stride: int = 1,
        relu: bool = True,
    ):
        super().__init__()
        if ratio < 2:
            raise ValueError(f"ratio must be >= 2, got {ratio}")
        self.out_channels = out_channels
        init_channels = math.ceil(out_channels / ratio)
        new_channels = init_channels * (ratio - 1)
        act = [nn.ReLU(inplace=True)] if relu else []
        self.primary_conv = nn.Sequential(
            nn.Conv2d(
                in_channels, init_channels, kernel_size, stride, kernel_size // 2, bias=False
            ),
            nn.BatchNorm2d(init_channels),
            *act,
        )
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(
                init_channels,
                new_channels,
                dw_size,
                1,
                dw_size // 2,
                groups=init_channels,
                bias=False,
            ),
            nn.BatchNorm2d(new_channels),
            *([nn.ReLU(inplace=True)] if relu else []),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        return torch.cat([x1, x2], dim=1)[:, : self.out_channels]


class GhostBottleneck(nn.Module):
    """Ghost bottleneck (GhostNet, Fig. 3): Ghost module (expand, ReLU) -> [3x3 depthwise,
    stride 2] -> Ghost module (project, no ReLU), plus a shortcut.

    Like MobileNetV2's inverted residual it goes narrow -> wide (``mid_channels``) ->
    narrow, with a linear projection; the two 1x1 convolutions are Ghost modules. The
    shortcut is the identity when ``stride == 1`` and ``in_channels == out_channels``,
    else a depthwise conv (with the stride) and a 1x1 conv, as in the huawei-noah
    reference code. The reference's optional squeeze-and-excitation is left out.
    Explained in: lecture 03, "The Ghost bottleneck".
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        *,
        stride: int = 1,
        dw_size: int = 3,
        ratio: int = 2,
    ):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        self.stride = stride
        self.ghost1 = GhostModule(in_channels, mid_channels, ratio=ratio, relu=True)  # expand
        self.depthwise: nn.Module = nn.Identity()
        if stride == 2:  # dw, no ReLU
            self.depthwise = nn.Sequential(
                nn.Conv2d(
                    mid_channels,
                    mid_channels,
                    dw_size,
                    2,
                    dw_size // 2,
                    groups=mid_channels,
                    bias=False,
                ),
                nn.BatchNorm2d(mid_channels),
            )
        self.ghost2 = GhostModule(mid_channels, out_channels, ratio=ratio, relu=False)  # project
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(
                    in_channels,
                    in_channels,
                    dw_size,
                    stride,
                    dw_size // 2,
                    groups=in_channels,
                    bias=False,
                ),  # dw
                nn.BatchNorm2d(in_channels),
                nn.Conv2d(in_channels, out_channels, 1, bias=False),  # pw
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.ghost2(self.depthwise(self.ghost1(x)))
        return out + self.shortcut(x)


# ---------------------------------------------------------------------------- family
class Resize(nn.Module):
    """Resample the input to ``size x size`` (bilinear, antialiased): the resolution
    multiplier ``rho = size / 28`` as a layer, so a net can be fed the course's 28x28
    patches and still run at a lower resolution. Costs no MACs.
    Explained in: lecture 01, "Width and resolution multipliers".
    """

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] == self.size and x.shape[-2] == self.size:
            return x
        return nn.functional.interpolate(
            x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True
        )

    def extra_repr(self) -> str:
        return f"size={self.size}"


def _block(
    kind: str,
    cin: int,
    cout: int,
    stride: int,
    groups: int,
    shuffle: bool = True,
    ghost_ratio: int = 2,
    ghost_dw: int = 3,
) -> nn.Module:
    if kind == "standard":
        return conv_bn_relu(cin, cout, 3, stride)
    if kind == "mobilenet":
        return DepthwiseSeparableConv(cin, cout, stride)
    if kind == "shufflenet":
        return ShuffleUnit(cin, cout, groups, stride, shuffle)
    if kind == "ghost":
        # As in the paper's Ghost-VGG: every 3x3 conv becomes a Ghost module (s = 2, d = 3).
        return GhostModule(
            cin, cout, ratio=ghost_ratio, kernel_size=3, dw_size=ghost_dw, stride=stride
        )
    raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")


class SmallClassifier(nn.Module):
    """[Resize], stem conv, five blocks of one kind (28 -> 14 -> 7), average pool, linear.

    Built by :func:`make_classifier`. Explained in: lecture 01 (standard vs MobileNet),
    lecture 02 (ShuffleNet) and lecture 03 (all four families).
    """

    def __init__(
        self,
        kind: str,
        channels: list[int],
        strides: list[int],
        num_classes: int,
        in_channels: int = 1,
        groups: int = 2,
        shuffle: bool = True,
        *,
        ghost_ratio: int = 2,
        ghost_dw: int = 3,
        resolution: int | None = None,
    ):
        super().__init__()
        self.kind = kind
        self.resize: nn.Module = Resize(resolution) if resolution else nn.Identity()
        self.stem = conv_bn_relu(in_channels, channels[0], 3, 1)
        blocks = [
            _block(kind, cin, cout, s, groups, shuffle, ghost_ratio, ghost_dw)
            for cin, cout, s in zip(channels[:-1], channels[1:], strides, strict=True)
        ]
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.stem(self.resize(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))


def make_classifier(
    kind: str,
    width: float = 1.0,
    num_classes: int = 2,
    in_channels: int = 1,
    groups: int = 2,
    shuffle: bool = True,
    *,
    ghost_ratio: int = 2,
    ghost_dw: int = 3,
    resolution: int | None = None,
) -> SmallClassifier:
    """A small classifier for 28x28 patches; ``kind`` in ``KINDS``, ``width`` multiplier.

    All four kinds share one skeleton (a 3x3 stem of 16 channels, then blocks of 32, 32,
    64, 64, 64 channels with strides 2, 1, 2, 1, 1; channels scaled by ``width`` and
    rounded to a multiple of 8 (of ``4 * groups`` for ShuffleNet), the stem is half the
    first block); only the block differs: 3x3 conv ("standard", ~106k parameters at
    width 1), depthwise-separable ("mobilenet"), ShuffleNet unit with ``groups``
    ("shufflenet"; ``shuffle=False`` for the no-shuffle ablation) or Ghost module
    ("ghost", ratio ``ghost_ratio`` = s and cheap-operation size ``ghost_dw`` = d). The
    stem stays an ordinary conv: a depthwise conv on one input channel would learn a
    single filter. ``resolution`` resamples the input first (the resolution multiplier).
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
    return SmallClassifier(
        kind,
        channels,
        strides,
        num_classes,
        in_channels,
        groups,
        shuffle,
        ghost_ratio=ghost_ratio,
        ghost_dw=ghost_dw,
        resolution=resolution,
    )


def classifier_macs(kind: str, width: float = 1.0, num_classes: int = 8, **options: object) -> int:
    """MACs per 28x28 patch of ``make_classifier(kind, width, num_classes, **options)``.

    Explained in: lecture 02, "More groups, wider layers" (matching a MAC budget).
    """
    return _classifier_macs(kind, width, num_classes, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=4096)
def _classifier_macs(
    kind: str, width: float, num_classes: int, options: tuple[tuple[str, object], ...]
) -> int:
    from ..counting import count_macs
    from ..latency import num_threads

    model = make_classifier(kind, width, num_classes, **dict(options))  # type: ignore[arg-type]
    with num_threads(1):  # a count needs no threads, and one is fastest on a busy machine
        return count_macs(model, (model.stem[0].in_channels, 28, 28))


def width_for_macs(
    kind: str,
    target_macs: float,
    num_classes: int = 8,
    widths: tuple[float, ...] | None = None,
    **options: object,
) -> float:
    """The width (from a grid of steps of 1/16) whose MACs are closest to ``target_macs``.

    Channel rounding makes the cost a step function of the width, so a family can only
    come close to a budget; the caller should print the MACs it got. Explained in:
    lecture 02, "More groups, wider layers", and lecture 03, "Accuracy vs MACs".
    """
    costs = {}
    for w in widths or tuple(i / 16 for i in range(2, 65)):
        try:
            costs[w] = classifier_macs(kind, w, num_classes, **options)
        except ValueError:  # too narrow for this block (e.g. a ShuffleNet branch of 0 channels)
            continue
    return min(costs, key=lambda w: (abs(math.log(costs[w] / target_macs)), w))


# ---------------------------------------------------------------------------- training
# Everything about training that is not an argument of train_or_load; part of the cache key.
FIT_SETTINGS: dict[str, object] = {
    "optimizer": "adam",
    "cosine": True,
    "loss": "cross_entropy",
    "shuffle": "seeded-per-run",
}

# The one training budget of lectures 01-03: every net of the zoo is trained like this, so
# a net has one accuracy in every notebook (cached by course_net).
COURSE_BUDGET: dict[str, object] = {"epochs": 1, "lr": 3e-3, "batch_size": 128}
COURSE_SEEDS: tuple[int, ...] = (0, 1, 2)


def train_or_load(
    kind: str,
    width: float,
    loaders: tuple,
    *,
    num_classes: int,
    epochs: int,
    lr: float = 3e-3,
    seed: int = 0,
    batch_size: int | None = None,
    data_tag: str = "",
    cache: bool = True,
    progress: bool = False,
    options: dict | None = None,
) -> tuple[SmallClassifier, dict]:
    """Train ``make_classifier(kind, width)`` (or load it from the cache); return it + a record.

    ``loaders`` is ``(train, val, test)``. Training draws its batches from a fresh loader
    over ``train.dataset`` (``batch_size``, default the train loader's), shuffled by a
    generator seeded with ``seed``, so the weights depend only on the arguments, never on
    what ran before. The record holds ``kind``, ``width``, ``seed``, ``options``,
    ``params``, ``macs`` (per 28x28 image), ``val_accuracy``, ``test_accuracy``,
    ``train_seconds`` and ``cached``. ``options`` go to :func:`make_classifier` (e.g.
    ``{"groups": 4}``). Results and weights are cached in ``me.cache_dir() / "efficient"``,
    keyed by everything that determines the weights: every argument, fast mode,
    ``FIT_SETTINGS``, a hash of the training data and a hash of the whole medeff source;
    delete that folder, or pass ``cache=False``, to retrain. Explained in: lecture 03,
    "Accuracy vs MACs" (and used in lectures 01 and 02).
    """
    import hashlib
    import json
    import time

    from .. import model_cache
    from ..config import cache_dir, is_fast
    from ..counting import count_macs, count_params
    from ..metrics import accuracy
    from ..training import evaluate, fit, seeded_loader, set_seed

    train, val, test = loaders
    batch_size = batch_size or getattr(train, "batch_size", None) or 128
    config = {
        "kind": kind,
        "width": width,
        "num_classes": num_classes,
        "epochs": epochs,
        "lr": lr,
        "seed": seed,
        "batch_size": batch_size,
        "data": data_tag,
        "fast": is_fast(),
        "fit": FIT_SETTINGS,
        "data_hash": model_cache.data_fingerprint(train.dataset),
        "options": options or {},
        "code": model_cache.source_fingerprint(),
    }
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    folder = cache_dir() / "efficient"
    stem = f"{kind}-{width:g}-s{seed}-{key}"
    weights, meta = folder / f"{stem}.pt", folder / f"{stem}.json"
    set_seed(seed)
    model = make_classifier(kind, width, num_classes, **(options or {}))
    if cache and weights.exists() and meta.exists():
        model.load_state_dict(torch.load(weights, weights_only=True))
        model.eval()
        return model, json.loads(meta.read_text()) | {"cached": True}
    shuffled = seeded_loader(train.dataset, seed, batch_size)
    start = time.perf_counter()
    fit(model, shuffled, epochs=epochs, lr=lr, progress=progress, desc=f"{kind} x{width:g}")
    seconds = time.perf_counter() - start
    metrics = {"accuracy": accuracy}
    record = {
        "kind": kind,
        "width": width,
        "seed": seed,
        "options": options or {},
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


_COURSE_LOADERS: dict[bool, tuple] = {}


def course_loaders() -> tuple:
    """The organ-patch loaders every net of lectures 01-03 is trained and tested on.

    ``organ_patch_loaders(size=28, batch_size=COURSE_BUDGET["batch_size"], seed=0)``,
    built once per process. Explained in: lecture 01, "Training on the organ patches".
    """
    from ..config import is_fast
    from ..data import organ_patch_loaders

    fast = is_fast()
    if fast not in _COURSE_LOADERS:
        _COURSE_LOADERS[fast] = organ_patch_loaders(
            size=28, batch_size=int(COURSE_BUDGET["batch_size"]), seed=0
        )  # type: ignore[arg-type]
    return _COURSE_LOADERS[fast]


def course_net(
    kind: str, width: float = 1.0, *, seed: int = 0, options: dict | None = None
) -> tuple[SmallClassifier, dict]:
    """One net of the course zoo: :func:`train_or_load` with ``COURSE_BUDGET`` on
    :func:`course_loaders`, so lectures 01, 02 and 03 share one cache and show the same
    accuracy for the same net. Explained in: lecture 01, "Training on the organ patches".
    """
    from ..data import ORGAN_CLASSES

    return train_or_load(
        kind,
        width,
        course_loaders(),
        num_classes=len(ORGAN_CLASSES),
        epochs=int(COURSE_BUDGET["epochs"]),  # type: ignore[arg-type]
        lr=float(COURSE_BUDGET["lr"]),  # type: ignore[arg-type]
        batch_size=int(COURSE_BUDGET["batch_size"]),  # type: ignore[arg-type]
        seed=seed,
        data_tag="organ28-seed0",
        options=options,
    )


def separated(a: Mapping[str, Any], b: Mapping[str, Any], k: float = 2.0) -> bool:
    """Whether two :func:`course_nets` summaries differ by more than ``k`` times their
    combined seed spread: ``|mean_a - mean_b| > k * hypot(std_a, std_b)``.

    Never with a single seed (no spread is known). The course's test for "a difference
    above noise". Explained in: lecture 01, "Training on the organ patches".
    """
    if min(len(a["accuracies"]), len(b["accuracies"])) < 2:
        return False
    return abs(a["mean"] - b["mean"]) > k * math.hypot(a["std"], b["std"])


def course_nets(
    kind: str,
    width: float = 1.0,
    *,
    seeds: tuple[int, ...] | None = None,
    options: dict | None = None,
) -> tuple[list[SmallClassifier], dict]:
    """:func:`course_net` for several seeds; returns the nets and a summary record.

    The summary holds ``kind``, ``width``, ``options``, ``params``, ``macs``, the per-seed
    ``accuracies`` (test), their ``mean`` and sample standard deviation ``std`` (0 for one
    seed), ``train_seconds`` (sum over the seeds trained now) and ``cached`` (all loaded).
    Seeds default to ``COURSE_SEEDS`` (the first one in fast mode, where only the
    code path matters).
    Explained in: lecture 01, "Training on the organ patches".
    """
    import statistics

    from ..config import pick

    seeds = seeds or pick(COURSE_SEEDS, COURSE_SEEDS[:1])
    nets, recs = [], []
    for seed in seeds:
        net, rec = course_net(kind, width, seed=seed, options=options)
        nets.append(net)
        recs.append(rec)
    accs = [r["test_accuracy"] for r in recs]
    return nets, {
        "kind": kind,
        "width": width,
        "options": options or {},
        "params": recs[0]["params"],
        "macs": recs[0]["macs"],
        "accuracies": accs,
        "mean": statistics.fmean(accs),
        "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "train_seconds": sum(r["train_seconds"] for r in recs if not r["cached"]),
        "cached": all(r["cached"] for r in recs),
    }


def zoo_name(summary: dict) -> str:
    """A short label for a :func:`course_nets` summary, e.g. ``"shufflenet x2.75 g=8"``.

    Explained in: lecture 01, "Training on the organ patches".
    """
    opts = summary.get("options") or {}
    parts = [f"{summary['kind']} x{summary['width']:g}"]
    names = {"groups": "g={}", "resolution": "{}px", "ghost_ratio": "s={}", "ghost_dw": "d={}"}
    parts += [fmt.format(opts[k]) for k, fmt in names.items() if k in opts]
    if opts.get("shuffle") is False:
        parts.append("no shuffle")
    return " ".join(parts)


def zoo_table(summaries: list[dict]) -> str:
    """Text table of :func:`course_nets` summaries: MACs, parameters, test accuracy as
    mean +- standard deviation over the seeds, and whether the nets were trained now.

    Explained in: lecture 01, "Training on the organ patches".
    """
    lines = [f"{'net':<32} {'MACs':>10} {'params':>8} {'test accuracy':>22} {'trained':>10}"]
    for s in summaries:
        acc = f"{s['mean']:.3f} +- {s['std']:.3f} (n={len(s['accuracies'])})"
        status = "cached" if s["cached"] else f"{s['train_seconds']:.0f} s now"
        lines.append(f"{zoo_name(s):<32} {s['macs']:>10,} {s['params']:>8,} {acc:>22} {status:>10}")
    return "\n".join(lines)


def plot_zoo(
    families: dict[str, list[dict]],
    ax=None,
    *,
    xlabel: str = "MACs per 28x28 patch",
    annotate: bool = True,
    logx: bool = True,
):
    """Test accuracy (mean, error bar = +-1 standard deviation over seeds) against MACs,
    one line per family of :func:`course_nets` summaries. Returns the axes.

    Explained in: lecture 01, "Accuracy against alpha and rho".
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 4))[1]
    for name, items in families.items():
        items = sorted(items, key=lambda s: s["macs"])
        ax.errorbar(
            [s["macs"] for s in items],
            [s["mean"] for s in items],
            yerr=[s["std"] for s in items],
            marker="o",
            capsize=3,
            label=name,
        )
        if annotate:
            for s in items:
                ax.annotate(
                    zoo_name(s).split(" ", 1)[1],
                    (s["macs"], s["mean"]),
                    fontsize=7,
                    textcoords="offset points",
                    xytext=(4, -10),
                )
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (mean +- sd over seeds)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax
