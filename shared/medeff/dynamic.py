"""Dynamic networks: the cost of a prediction depends on the input (or on the budget).

Explained in: lecture 08 (dynamic networks). Three mechanisms, each in a miniature:

* **Early exit** in the spirit of RANet (Le Yang et al., "Resolution Adaptive Networks for
  Efficient Inference", CVPR 2020): a cheap sub-network looks at a low-resolution copy of
  the input and classifies; a sample whose confidence (max softmax) passes a threshold
  leaves; the others go on to a full-resolution sub-network that reuses the cheap one's
  features (:class:`EarlyExitNet`, :func:`exit_costs`, :func:`early_exit_curve`,
  :func:`predict_dynamic`).
* **One network, many widths** in the spirit of slimmable networks (Yu et al., ICLR 2019:
  switchable BatchNorm), US-Nets (Yu and Huang, ICCV 2019: the sandwich rule and in-place
  distillation) and MutualNet (Taojiannan Yang et al., ECCV 2020 / TPAMI 2021: widths and
  input resolutions trained together) (:class:`SlimmableNet`, :func:`sandwich_step`,
  :func:`calibrate_bn`).
* **Skip work that is not needed**: a per-slice gate decides whether the organ is in a CT
  slice, and the segmentation network runs only there (:class:`SliceGate`,
  :func:`gate_sweep`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import eval_mode
from .models.efficient import STAGES, SmallClassifier, conv_bn_relu, make_classifier, make_divisible
from .training import seeded_loader


# ============================================================================ early exit
class _Head(nn.Module):
    """Global average pool + linear classifier (one per exit)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class EarlyExitNet(nn.Module):
    """A three-exit classifier for 28x28 patches, RANet-style (coarse to fine resolution).

    Exit 1: a small sub-network on the input average-pooled to 14x14 (14 -> 7).
    Exit 2: a full-resolution sub-network (28 -> 14 -> 7) whose 7x7 features are
    concatenated with exit 1's features and fused by a 3x3 conv (RANet's feature reuse).
    Exit 3: two more 3x3 convs on the fused features. Channels ``(c1, c2, c3)`` default
    to ``(16, 32, 64)``, the standard CNN of lectures 01-03 at width 1 (its 7.3M MACs are
    close to the 7.6M MACs of all three exits). ``forward(x, exits=k)`` returns the logits
    of exits ``1..k`` (all three by default). Explained in: lecture 08, "Early exit".
    """

    def __init__(
        self,
        num_classes: int = 8,
        in_channels: int = 1,
        channels: tuple[int, int, int] = (16, 32, 64),
    ):
        super().__init__()
        c1, c2, c3 = channels
        self.low = nn.Sequential(
            conv_bn_relu(in_channels, c1, 3, 1),  # 14x14
            conv_bn_relu(c1, c2, 3, 2),  # 7x7
            conv_bn_relu(c2, c2, 3, 1),
        )
        self.head1 = _Head(c2, num_classes)
        self.high = nn.Sequential(
            conv_bn_relu(in_channels, c1, 3, 1),  # 28x28
            conv_bn_relu(c1, c2, 3, 2),  # 14x14
            conv_bn_relu(c2, c2, 3, 2),
        )  # 7x7
        self.fuse = conv_bn_relu(2 * c2, c3, 3, 1)  # reuse: concat(high, low) at 7x7
        self.head2 = _Head(c3, num_classes)
        self.deep = nn.Sequential(conv_bn_relu(c3, c3, 3, 1), conv_bn_relu(c3, c3, 3, 1))
        self.head3 = _Head(c3, num_classes)
        self.num_exits = 3

    def forward(self, x: torch.Tensor, exits: int | None = None) -> list[torch.Tensor]:
        k = self.num_exits if exits is None else exits
        if not 1 <= k <= self.num_exits:
            raise ValueError(f"exits must be in 1..{self.num_exits}, got {k}")
        low = self.low(F.avg_pool2d(x, 2))
        outs = [self.head1(low)]
        if k == 1:
            return outs
        fused = self.fuse(torch.cat([self.high(x), low], dim=1))
        outs.append(self.head2(fused))
        if k == 2:
            return outs
        outs.append(self.head3(self.deep(fused)))
        return outs


class _UpTo(nn.Module):
    """The last logits of ``model(x, exits=k)``: what running up to exit ``k`` costs."""

    def __init__(self, model: nn.Module, k: int):
        super().__init__()
        self.model, self.k = model, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, exits=self.k)[-1]


def exit_costs(model: EarlyExitNet, shape: Sequence[int] = (1, 28, 28)) -> list[int]:
    """Cumulative MACs of one sample that leaves at exit 1, 2, ... (earlier heads included).

    Explained in: lecture 08, "Early exit".
    """
    from .counting import count_macs

    return [count_macs(_UpTo(model, k), shape) for k in range(1, model.num_exits + 1)]


def early_exit_loss(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
    """Training loss of a multi-exit net: the mean cross-entropy over its exits.

    Use as ``me.fit(model, loader, train_step=early_exit_loss)``. Explained in: lecture 08.
    """
    x, y = batch[0], batch[1]
    outs = model(x)
    return sum(F.cross_entropy(o, y) for o in outs) / len(outs)


@torch.no_grad()
def exit_logits(model: nn.Module, loader: Iterable) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Logits of every exit for every sample of ``loader``, and the targets.

    Explained in: lecture 08, "Early exit".
    """
    outs: list[list[torch.Tensor]] = []
    ys = []
    with eval_mode(model):
        for x, y, *_ in loader:
            outs.append(model(x))
            ys.append(y)
    return [torch.cat(per_exit) for per_exit in zip(*outs, strict=True)], torch.cat(ys)


def exit_index(logits: Sequence[torch.Tensor], threshold: float) -> torch.Tensor:
    """Which exit (0-based) each sample leaves at: the first whose max softmax probability
    is at least ``threshold``; the last exit takes everything that is left.

    Explained in: lecture 08, "Early exit".
    """
    n = logits[0].shape[0]
    leave = torch.full((n,), len(logits) - 1, dtype=torch.long)
    decided = torch.zeros(n, dtype=torch.bool)
    for k, out in enumerate(logits[:-1]):
        confident = (out.softmax(1).max(1).values >= threshold) & ~decided
        leave[confident] = k
        decided |= confident
    return leave


def early_exit_curve(
    logits: Sequence[torch.Tensor],
    targets: torch.Tensor,
    costs: Sequence[int],
    thresholds: Iterable[float],
) -> list[dict]:
    """Accuracy and expected MACs per sample for each confidence threshold.

    Expected cost = sum over exits of (fraction of samples leaving there) x (MACs up to
    that exit). Each row: ``threshold``, ``accuracy``, ``macs`` (average per sample) and
    ``fractions`` (share of samples per exit). Explained in: lecture 08, "Early exit".
    """
    rows = []
    for t in thresholds:
        leave = exit_index(logits, t)
        pred = torch.stack([o.argmax(1) for o in logits])[leave, torch.arange(len(leave))]
        frac = torch.bincount(leave, minlength=len(logits)).double() / len(leave)
        rows.append(
            {
                "threshold": float(t),
                "accuracy": (pred == targets).double().mean().item(),
                "macs": float(sum(f * c for f, c in zip(frac.tolist(), costs, strict=True))),
                "fractions": frac.tolist(),
            }
        )
    return rows


@torch.no_grad()
def predict_dynamic(
    model: EarlyExitNet, x: torch.Tensor, threshold: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real conditional inference: the full-resolution path runs only on the samples that
    did not leave at exit 1 (and exit 3's layers only on those that did not leave at 2).

    Returns ``(predictions, exit index)``; equal to what :func:`early_exit_curve`
    simulates from all exits' logits. Explained in: lecture 08, "Early exit".
    """
    with eval_mode(model):
        n = x.shape[0]
        pred = torch.empty(n, dtype=torch.long)
        leave = torch.full((n,), 2, dtype=torch.long)
        low = model.low(F.avg_pool2d(x, 2))
        p1 = model.head1(low).softmax(1)
        go = p1.max(1).values < threshold
        pred[~go], leave[~go] = p1.argmax(1)[~go], 0
        idx = go.nonzero().flatten()
        if len(idx):
            fused = model.fuse(torch.cat([model.high(x[idx]), low[idx]], dim=1))
            p2 = model.head2(fused).softmax(1)
            go2 = p2.max(1).values < threshold
            pred[idx[~go2]], leave[idx[~go2]] = p2.argmax(1)[~go2], 1
            if go2.any():
                pred[idx[go2]] = model.head3(model.deep(fused[go2])).argmax(1)
    return pred, leave


# ============================================================================ slimmable
def slimmable_channels(width: float) -> list[int]:
    """Channel counts (stem, five blocks) of ``make_classifier("standard", width)``.

    Explained in: lecture 08, "One network, many widths".
    """
    stages = [make_divisible(c * width, 8) for c, _ in STAGES]
    return [stages[0] // 2, *stages]


class SlimmableConv2d(nn.Conv2d):
    """A conv holding the widest weights; at width index ``i`` it uses the first
    ``in_list[i]`` input and ``out_list[i]`` output channels (a slice, no copy).

    Explained in: lecture 08, "One network, many widths".
    """

    def __init__(
        self, in_list: Sequence[int], out_list: Sequence[int], kernel_size: int, stride: int = 1
    ):
        super().__init__(
            max(in_list), max(out_list), kernel_size, stride, kernel_size // 2, bias=False
        )
        self.in_list, self.out_list = list(in_list), list(out_list)
        self.width_index = len(out_list) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i = self.width_index
        weight = self.weight[: self.out_list[i], : self.in_list[i]]
        return F.conv2d(x, weight, None, self.stride, self.padding)


class SwitchableBatchNorm2d(nn.Module):
    """One BatchNorm per width (slimmable networks' switchable BN): the statistics of a
    narrow sub-network differ from the wide one's, so each width keeps its own.

    Explained in: lecture 08, "One network, many widths".
    """

    def __init__(self, out_list: Sequence[int]):
        super().__init__()
        self.bn = nn.ModuleList(nn.BatchNorm2d(c) for c in out_list)
        self.width_index = len(out_list) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn[self.width_index](x)


class SlimmableLinear(nn.Linear):
    """A linear layer that reads the first ``in_list[i]`` features at width index ``i``.

    Explained in: lecture 08, "One network, many widths".
    """

    def __init__(self, in_list: Sequence[int], out_features: int):
        super().__init__(max(in_list), out_features)
        self.in_list = list(in_list)
        self.width_index = len(in_list) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight[:, : self.in_list[self.width_index]], self.bias)


def _slim_layer(in_list: Sequence[int], out_list: Sequence[int], stride: int) -> nn.Sequential:
    return nn.Sequential(
        SlimmableConv2d(in_list, out_list, 3, stride),
        SwitchableBatchNorm2d(out_list),
        nn.ReLU(inplace=True),
    )


class SlimmableNet(nn.Module):
    """The standard CNN of lectures 01-03 as one slimmable network over ``widths``.

    At width ``w`` (:meth:`set_width`) it is exactly ``make_classifier("standard", w)``:
    the same layers, channels and MACs, with the weights a slice of the widest ones and
    a BatchNorm of its own; :meth:`export` writes that static net out.
    Explained in: lecture 08, "One network, many widths".
    """

    def __init__(
        self,
        widths: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
        num_classes: int = 8,
        in_channels: int = 1,
    ):
        super().__init__()
        self.widths = sorted(widths)
        self.num_classes, self.in_channels = num_classes, in_channels
        chans = [slimmable_channels(w) for w in self.widths]  # per width: stem + 5 blocks
        per_layer = list(zip(*chans, strict=True))  # per layer: one count per width
        n = len(self.widths)
        self.stem = _slim_layer([in_channels] * n, per_layer[0], 1)
        self.features = nn.Sequential(
            *[_slim_layer(per_layer[i], per_layer[i + 1], s) for i, (_, s) in enumerate(STAGES)]
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = SlimmableLinear(per_layer[-1], num_classes)
        self.width = self.widths[-1]

    def set_width(self, width: float) -> SlimmableNet:
        """Switch every layer to ``width`` (one of ``self.widths``); returns ``self``."""
        if width not in self.widths:
            raise ValueError(f"width {width} is not one of {self.widths}")
        index = self.widths.index(width)
        for m in self.modules():
            if hasattr(m, "width_index"):
                m.width_index = index
        self.width = width
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.stem(x))
        return self.classifier(torch.flatten(self.pool(x), 1))

    @torch.no_grad()
    def export(self, width: float) -> SmallClassifier:
        """The static ``make_classifier("standard", width)`` with this net's weights."""
        self.set_width(width)
        i = self.widths.index(width)
        static = make_classifier("standard", width, self.num_classes, self.in_channels)
        convs = [m for m in self.modules() if isinstance(m, SlimmableConv2d)]
        bns = [m.bn[i] for m in self.modules() if isinstance(m, SwitchableBatchNorm2d)]
        s_convs = [m for m in static.modules() if isinstance(m, nn.Conv2d)]
        s_bns = [m for m in static.modules() if isinstance(m, nn.BatchNorm2d)]
        for src, dst in zip(convs, s_convs, strict=True):
            dst.weight.copy_(src.weight[: dst.out_channels, : dst.in_channels])
        for src, dst in zip(bns, s_bns, strict=True):
            dst.load_state_dict(src.state_dict())
        static.classifier.weight.copy_(self.classifier.weight[:, : static.classifier.in_features])
        static.classifier.bias.copy_(self.classifier.bias)
        return static.eval()


class Resized(nn.Module):
    """Run ``model`` on the input resized (bilinear) to ``size`` x ``size``: MutualNet's
    input-resolution axis. Explained in: lecture 08, "One network, many widths"."""

    def __init__(self, model: nn.Module, size: int):
        super().__init__()
        self.model, self.size = model, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return self.model(x)


def sandwich_step(
    model: SlimmableNet,
    batch: Sequence[torch.Tensor],
    *,
    n_random: int = 1,
    resolutions: Sequence[int] = (28,),
    rng: random.Random | None = None,
) -> torch.Tensor:
    """One training step of the sandwich rule with in-place distillation (MutualNet-style).

    The widest network sees the full-resolution input and learns from the labels; its
    (detached) softmax is the soft target of the narrowest network and of ``n_random``
    widths drawn from those in between, each at an input resolution drawn from
    ``resolutions``. Returns the summed loss (one ``backward`` accumulates all widths).
    Use as ``me.fit(net, loader, train_step=lambda m, b: sandwich_step(m, b, ...))``.
    Explained in: lecture 08, "One network, many widths".
    """
    rng = rng or random
    x, y = batch[0], batch[1]
    widths = model.widths
    model.set_width(widths[-1])
    full = model(x)
    loss = F.cross_entropy(full, y)
    soft = full.detach().softmax(1)
    middle = widths[1:-1]
    chosen = [widths[0], *rng.sample(middle, min(n_random, len(middle)))]
    for w in chosen:
        model.set_width(w)
        out = Resized(model, rng.choice(list(resolutions)))(x)
        loss = loss + F.kl_div(out.log_softmax(1), soft, reduction="batchmean")
    model.set_width(widths[-1])
    return loss


@torch.no_grad()
def calibrate_bn(
    model: nn.Module,
    loader: Iterable,
    batches: int = 10,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> nn.Module:
    """Recompute the running statistics of the BatchNorm layers ``model`` uses, from a few
    training batches (US-Nets' / MutualNet's post-training BN calibration per configuration).

    Only the BN layers that run are touched (with a :class:`SlimmableNet`, the active
    width's). ``transform`` is applied to each input batch first (e.g. a resize).
    Returns the model in eval mode. Explained in: lecture 08, "One network, many widths".
    """
    used: list[nn.BatchNorm2d] = []
    hooks = [
        m.register_forward_pre_hook(lambda mod, _i: used.append(mod))
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    ]
    model.eval()
    first = next(iter(loader))[0]
    model(transform(first) if transform else first)  # find which BN layers run
    for h in hooks:
        h.remove()
    saved = {}
    for bn in set(used):
        saved[bn] = bn.momentum
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
        bn.train()
    for i, batch in enumerate(loader):
        if i >= batches:
            break
        x = batch[0]
        model(transform(x) if transform else x)
    for bn, momentum in saved.items():
        bn.momentum = momentum
        bn.eval()
    return model.eval()


# ============================================================================ slice gate
class SliceGate(nn.Module):
    """A tiny per-slice classifier: "is the organ in this slice?" (one logit).

    The slice is average-pooled by ``pool`` first (96 -> 24 by default), then three
    stride-2 3x3 convs and a linear layer: a few hundred thousand MACs, against the
    segmentation network's tens of millions. Explained in: lecture 08, "A dynamic network
    for medical imaging".
    """

    def __init__(self, in_channels: int = 1, width: int = 8, pool: int = 4):
        super().__init__()
        self.pool = nn.AvgPool2d(pool) if pool > 1 else nn.Identity()
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, width, 3, 2),
            conv_bn_relu(width, 2 * width, 3, 2),
            conv_bn_relu(2 * width, 2 * width, 3, 2),
        )
        self.fc = nn.Linear(2 * width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.pool(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))[:, 0]


def gate_sweep(
    gate_prob: torch.Tensor,
    seg_pred: torch.Tensor,
    target: torch.Tensor,
    case_ids: Sequence[int],
    thresholds: Iterable[float],
    gate_macs: int,
    seg_macs: int,
) -> list[dict]:
    """Gated segmentation over thresholds, from per-slice gate probabilities ``(S,)`` and the
    segmentation net's masks on *every* slice ``(S, H, W)`` (computed once).

    At threshold ``t`` the segmentation runs on the slices with ``gate_prob >= t`` and the
    others are predicted empty. Each row: ``threshold``, ``dice`` (mean per-case Dice,
    counts pooled over a case's slices), ``macs_per_volume`` (gate on every slice + the
    segmentation where it runs), ``run_fraction``, ``missed_slices`` (slices with organ
    the gate skipped). ``threshold = 0`` is the ungated baseline plus the gate's cost.
    Explained in: lecture 08, "A dynamic network for medical imaging".
    """
    from .data import case_scores, summarize

    ids = np.asarray(case_ids)
    n_cases = len(np.unique(ids))
    present = target.reshape(len(target), -1).any(1)
    rows = []
    for t in thresholds:
        run = gate_prob >= t
        pred = seg_pred & run[:, None, None]
        scores = summarize(case_scores(pred, target, ids))
        rows.append(
            {
                "threshold": float(t),
                "dice": scores["dice"],
                "macs_per_volume": (len(ids) * gate_macs + int(run.sum()) * seg_macs) / n_cases,
                "run_fraction": run.double().mean().item(),
                "missed_slices": int((present & ~run).sum()),
            }
        )
    return rows


# ============================================================================ training (cached)
def train_early_exit(
    loaders: tuple,
    *,
    num_classes: int = 8,
    epochs: int = 2,
    lr: float = 3e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> tuple[EarlyExitNet, dict]:
    """Train (or load from ``me.train_cached``) an :class:`EarlyExitNet` on ``loaders`` =
    (train, val, test) with the course budget (Adam, cosine, mean CE over the exits).

    Explained in: lecture 08, "Early exit".
    """
    import time

    from .model_cache import data_fingerprint, train_cached
    from .training import fit, set_seed

    train = loaders[0]
    config = {
        "num_classes": num_classes,
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "data": data_fingerprint(train.dataset),
    }

    def build() -> EarlyExitNet:
        set_seed(seed)
        return EarlyExitNet(num_classes)

    def run(model: nn.Module) -> dict:
        start = time.perf_counter()
        fit(
            model,
            seeded_loader(train.dataset, seed, batch_size),
            epochs=epochs,
            lr=lr,
            train_step=early_exit_loss,
            progress=False,
        )
        return {"train_seconds": time.perf_counter() - start}

    return train_cached("dynamic-early-exit", config, build, run)


def subset_loader(loader, n: int, *, seed: int = 0, batch_size: int | None = None):
    """A shuffled loader over ``n`` samples of ``loader.dataset`` (a ``TensorDataset``),
    drawn once with a generator seeded by ``seed`` (all of them if ``n`` is larger).

    A smaller training budget with a fixed, reproducible sample (its contents go into the
    cache key through ``data_fingerprint``). Explained in: lecture 08, "One network, many
    widths".
    """
    from torch.utils.data import TensorDataset

    tensors = loader.dataset.tensors
    idx = torch.randperm(len(tensors[0]), generator=torch.Generator().manual_seed(seed))
    sub = TensorDataset(*(t[idx[: min(n, len(idx))]] for t in tensors))
    return seeded_loader(sub, seed, batch_size or loader.batch_size)


def slimmable_accuracy(
    model: SlimmableNet,
    calibration: Iterable,
    test: Iterable,
    resolutions: Sequence[int] = (28,),
    calibrate_batches: int = 8,
) -> dict[int, list[float]]:
    """Test accuracy of every width at every input resolution, each after recalibrating
    its BatchNorm statistics (:func:`calibrate_bn`) on ``calibrate_batches`` batches of
    ``calibration`` resized to that resolution. Returns ``{resolution: [accuracy per
    width]}`` (widths ascending). The largest resolution is calibrated last, so the net
    is left calibrated for it. Explained in: lecture 08, "One network, many widths".
    """
    from .metrics import accuracy
    from .training import evaluate

    out: dict[int, list[float]] = {}
    for res in sorted(resolutions):
        accs = []
        for w in model.widths:
            net = Resized(model.set_width(w), res)
            calibrate_bn(net, calibration, batches=calibrate_batches)
            accs.append(evaluate(net, test, {"accuracy": accuracy})["accuracy"])
        out[res] = accs
    model.set_width(model.widths[-1])
    return out


def train_slimmable(
    loaders: tuple,
    *,
    widths: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
    resolutions: Sequence[int] = (28,),
    num_classes: int = 8,
    epochs: int = 2,
    lr: float = 3e-3,
    batch_size: int = 128,
    seed: int = 0,
    calibrate_batches: int = 8,
) -> tuple[SlimmableNet, dict]:
    """Train (or load) a :class:`SlimmableNet` with :func:`sandwich_step` (largest, smallest
    and one random width per step; the smaller ones at a random input size from
    ``resolutions``, distilled from the largest) on ``loaders`` = (train, val, test).

    After training, every width is recalibrated and tested at every resolution
    (:func:`slimmable_accuracy`); the record holds ``train_seconds`` and ``accuracy``
    (``{str(resolution): [test accuracy per width]}``), so a cached run does not evaluate
    again. The returned net is calibrated for the largest resolution. Explained in:
    lecture 08, "One network, many widths".
    """
    import time

    from .model_cache import data_fingerprint, train_cached
    from .training import fit, set_seed

    train = loaders[0]
    config = {
        "widths": sorted(widths),
        "resolutions": list(resolutions),
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "num_classes": num_classes,
        "calibrate_batches": calibrate_batches,
        "data": data_fingerprint(train.dataset),
        "test": data_fingerprint(loaders[2].dataset),
    }

    def build() -> SlimmableNet:
        set_seed(seed)
        return SlimmableNet(widths, num_classes)

    def run(model: nn.Module) -> dict:
        rng = random.Random(seed)
        start = time.perf_counter()
        fit(
            model,
            seeded_loader(train.dataset, seed, batch_size),
            epochs=epochs,
            lr=lr,
            train_step=lambda m, b: sandwich_step(m, b, resolutions=resolutions, rng=rng),
            progress=False,
        )
        seconds = time.perf_counter() - start
        grid = slimmable_accuracy(
            model,  # type: ignore[arg-type]
            seeded_loader(train.dataset, seed + 1, batch_size),
            loaders[2],
            resolutions,
            calibrate_batches,
        )
        return {"train_seconds": seconds, "accuracy": {str(r): a for r, a in grid.items()}}

    return train_cached("dynamic-slimmable", config, build, run)


def slimmable_vs_separate(
    loaders: tuple,
    *,
    widths: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
    resolutions: Sequence[int] = (28,),
    seeds: Sequence[int] = (0,),
    epochs: int = 1,
    lr: float = 3e-3,
    batch_size: int = 128,
    data_tag: str = "",
) -> tuple[list[SlimmableNet], list[dict], float]:
    """One slimmable net per seed (:func:`train_slimmable`) against
    ``make_classifier("standard", w)`` trained separately at each width with the same
    budget (loaders, epochs, learning rate, batch size, seed; ``efficient.train_or_load``,
    cached). Both are tested on ``loaders[2]``.

    Returns ``(slimmable nets, rows, seconds trained now)``; one row per width: ``width``,
    ``macs``, ``separate`` and ``slimmable`` (test accuracy per seed, the slimmable one at
    the largest resolution), ``grid`` (``{resolution: [accuracy per seed]}``) and
    ``diff`` (slimmable minus separate, per seed). Explained in: lecture 08, "One network,
    many widths".
    """
    from .models.efficient import train_or_load

    full = str(max(resolutions))
    nets, recs, seps, spent = [], [], {}, 0.0
    for seed in seeds:
        net, rec = train_slimmable(
            loaders, widths=widths, resolutions=resolutions, num_classes=8, epochs=epochs,
            lr=lr, batch_size=batch_size, seed=seed,
        )  # fmt: skip
        nets.append(net)
        recs.append(rec)
        spent += 0.0 if rec["cached"] else rec["train_seconds"]
        for w in sorted(widths):
            _, srec = train_or_load(
                "standard", w, loaders, num_classes=8, epochs=epochs, lr=lr, seed=seed,
                batch_size=batch_size, data_tag=data_tag,
            )  # fmt: skip
            seps[(w, seed)] = srec
            spent += 0.0 if srec["cached"] else srec["train_seconds"]
    rows = []
    for i, w in enumerate(sorted(widths)):
        sep = [seps[(w, s)]["test_accuracy"] for s in seeds]
        slim = [r["accuracy"][full][i] for r in recs]
        rows.append(
            {
                "width": w,
                "macs": seps[(w, seeds[0])]["macs"],
                "separate": sep,
                "slimmable": slim,
                "grid": {
                    int(r): [rec["accuracy"][r][i] for rec in recs] for r in recs[0]["accuracy"]
                },
                "diff": [a - b for a, b in zip(slim, sep, strict=True)],
            }
        )
    return nets, rows, spent


def liver_slices(
    size: int = 48, seed: int = 0, n_cases: int = 60
) -> dict[str, tuple[torch.Tensor, torch.Tensor, np.ndarray]]:
    """Every axial slice of the phantom cohort for the liver task, downsampled to
    ``size`` x ``size``: ``{"train"|"val"|"test": (x (S, 1, size, size), y (S, size, size),
    case_ids (S,))}``, slices in order within each case (``keep="all"``: empty slices too).

    Explained in: lecture 08, "A dynamic network for medical imaging".
    """
    from .data import segmentation_datasets

    out = {}
    for name, ds in zip(
        ("train", "val", "test"),
        segmentation_datasets("liver", seed, n_cases=n_cases, keep="all", eval_keep="all"),
        strict=True,
    ):
        x = F.interpolate(ds.x, size=(size, size), mode="area")
        y = F.interpolate(ds.y[:, None].float(), size=(size, size), mode="nearest")[:, 0].long()
        out[name] = (x, y, np.asarray(ds.case_ids))
    return out


def train_slice_models(
    slices: dict, *, epochs: int = 2, lr: float = 3e-3, batch_size: int = 32, seed: int = 0
) -> tuple[nn.Module, nn.Module, dict]:
    """Train (or load) the per-slice gate (:class:`SliceGate`, "liver in this slice?") and
    the segmentation net (``UNet(base_width=8, depth=3)``) on every training slice.

    Returns ``(gate, seg, {"gate": record, "seg": record})``. Explained in: lecture 08.
    """
    import time

    from torch.utils.data import TensorDataset

    from .model_cache import data_fingerprint, train_cached
    from .models.unet import UNet
    from .training import fit, set_seed

    x, y, _ = slices["train"]
    present = y.reshape(len(y), -1).any(1).float()
    base = {
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "data": data_fingerprint(TensorDataset(x, y)),
    }

    def build_gate() -> nn.Module:
        set_seed(seed)
        return SliceGate(pool=2)

    def build_seg() -> nn.Module:
        set_seed(seed)
        return UNet(base_width=8, depth=3)

    def run(model: nn.Module, target: torch.Tensor, loss_fn) -> dict:
        start = time.perf_counter()
        fit(
            model,
            seeded_loader(TensorDataset(x, target), seed, batch_size),
            epochs=epochs,
            lr=lr,
            loss_fn=loss_fn,
            progress=False,
        )
        return {"train_seconds": time.perf_counter() - start}

    gate, grec = train_cached(
        "dynamic-slice-gate",
        base | {"model": "SliceGate(pool=2)"},
        build_gate,
        lambda m: run(m, present, F.binary_cross_entropy_with_logits),
    )
    seg, srec = train_cached(
        "dynamic-liver-unet", base | {"model": "UNet(8, 3)"}, build_seg, lambda m: run(m, y, None)
    )
    return gate, seg, {"gate": grec, "seg": srec}
