"""Group Shift Pointwise convolution and a small 3-D U-Net that can use it.

Paper: Junjun He, Jin Ye, Cheng Li et al., "Group Shift Pointwise Convolution for
Volumetric Medical Image Segmentation", MICCAI 2021 (arXiv 2109.12629). It replaces the
3x3x3 convolutions of a 3-D segmentation network by 1x1x1 (pointwise) ones, 27 times
cheaper in parameters and MACs, and recovers spatial context with a *group shift*: the
channels are split into groups and each group's feature maps are shifted by one voxel
along a different spatial direction before the pointwise convolution. The shift has no
parameters and no multiply-accumulates (it only moves memory). It builds on "Shift: A
Zero FLOP, Zero Parameter Alternative to Spatial Convolutions" (Bichen Wu et al., CVPR
2018), the 2-D version.

This is the course's miniature: the grouping (one unshifted group and one group per
direction +-z, +-y, +-x, a one-voxel shift, zeros shifted in) is our choice, not the
authors' code. Explained in: the worked reproduction ``lectures/papers/gsp_conv_reproduction``
(the cost argument is that of lecture 01: cheaper than a full spatial convolution).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._checks import eval_mode

# (dz, dy, dx) per group: one group stays, the others move one voxel along +-z, +-y, +-x.
DIRECTIONS_3D: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (1, 0, 0),
    (-1, 0, 0),
    (0, 1, 0),
    (0, -1, 0),
    (0, 0, 1),
    (0, 0, -1),
)


def shift3d(x: torch.Tensor, offset: Sequence[int]) -> torch.Tensor:
    """Shift a ``(N, C, D, H, W)`` tensor by ``offset = (dz, dy, dx)`` voxels, zeros shifted in.

    ``out[..., z, y, x] = x[..., z - dz, y - dy, x - dx]`` where that index exists, else 0
    (unlike ``torch.roll``, nothing wraps around). Explained in: the GSP-Conv reproduction.
    """
    if x.dim() != 5:
        raise ValueError(f"shift3d expects (N, C, D, H, W), got shape {tuple(x.shape)}")
    out = torch.zeros_like(x)
    dst: list[slice] = [slice(None), slice(None)]
    src: list[slice] = [slice(None), slice(None)]
    for d, size in zip(offset, x.shape[2:], strict=True):
        if abs(d) >= size:
            return out
        dst.append(slice(d, None) if d >= 0 else slice(None, d))
        src.append(slice(None, size - d) if d >= 0 else slice(-d, None))
    out[tuple(dst)] = x[tuple(src)]
    return out


def group_shift3d(
    x: torch.Tensor, directions: Sequence[Sequence[int]] = DIRECTIONS_3D, distance: int = 1
) -> torch.Tensor:
    """Group shift: split the channels into ``len(directions)`` groups, shift group ``g`` by
    ``distance * directions[g]``; the groups are as equal as ``torch.tensor_split`` makes them.

    No parameters, no MACs. Explained in: the GSP-Conv reproduction, "Approach".
    """
    groups = torch.tensor_split(x, len(directions), dim=1)
    return torch.cat(
        [
            shift3d(g, [distance * d for d in direction])
            for g, direction in zip(groups, directions, strict=True)
        ],
        dim=1,
    )


class GroupShift3d(nn.Module):
    """:func:`group_shift3d` as a module (parameter-free).

    Explained in: the GSP-Conv reproduction.
    """

    def __init__(self, directions: Sequence[Sequence[int]] = DIRECTIONS_3D, distance: int = 1):
        super().__init__()
        self.directions = tuple(tuple(d) for d in directions)
        self.distance = distance

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return group_shift3d(x, self.directions, self.distance)

    def extra_repr(self) -> str:
        return f"groups={len(self.directions)}, distance={self.distance}"


class GSPConv3d(nn.Module):
    """Group shift, then a 1x1x1 convolution: the drop-in replacement of a 3x3x3 conv.

    Parameters ``in_channels * out_channels`` (+ bias) instead of ``27 *`` that.
    Explained in: the GSP-Conv reproduction, "Approach".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        bias: bool = False,
        directions: Sequence[Sequence[int]] = DIRECTIONS_3D,
        distance: int = 1,
    ):
        super().__init__()
        self.shift = GroupShift3d(directions, distance)  # parameter-free
        self.pointwise = nn.Conv3d(in_channels, out_channels, 1, bias=bias)  # pw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.shift(x))


def conv3d_block(in_channels: int, out_channels: int, conv: str = "standard") -> nn.Sequential:
    """Two (conv -> BatchNorm -> ReLU) layers; ``conv`` is ``"standard"`` (3x3x3) or ``"gsp"``.

    In the ``"gsp"`` block a layer whose input has fewer channels than there are shift
    groups (the one-channel CT input) stays a 3x3x3 convolution: a group shift of one
    channel would shift the whole image one way. Explained in: the GSP-Conv reproduction.
    """
    if conv not in ("standard", "gsp"):
        raise ValueError(f"conv must be 'standard' or 'gsp', got {conv!r}")
    layers: list[nn.Module] = []
    for cin in (in_channels, out_channels):
        if conv == "gsp" and cin >= len(DIRECTIONS_3D):
            layers.append(GSPConv3d(cin, out_channels))  # group shift + pw
        else:
            layers.append(nn.Conv3d(cin, out_channels, 3, padding=1, bias=False))  # 3x3x3
        layers += [nn.BatchNorm3d(out_channels), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class UNet3D(nn.Module):
    """A small 3-D U-Net: ``(B, in_channels, D, H, W) -> (B, num_classes, D, H, W)`` logits.

    ``depth`` levels with ``base_width * 2**i`` channels, two conv layers per level
    (:func:`conv3d_block`), 2x2x2 max-pool down, 2x2x2 transposed conv up, skip
    concatenation, a 1x1x1 head. ``conv="gsp"`` swaps every 3x3x3 convolution whose input
    has at least 7 channels for a :class:`GSPConv3d`. ``D, H, W`` must be divisible by
    ``2 ** (depth - 1)``. Explained in: the GSP-Conv reproduction.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        base_width: int = 8,
        depth: int = 3,
        conv: str = "standard",
    ):
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2, got {depth}")
        widths = [base_width * 2**i for i in range(depth)]
        self.depth, self.conv = depth, conv
        self.encoders = nn.ModuleList(
            [
                conv3d_block(in_channels if i == 0 else widths[i - 1], widths[i], conv)
                for i in range(depth)
            ]
        )
        self.pool = nn.MaxPool3d(2)
        self.ups = nn.ModuleList(
            [
                nn.ConvTranspose3d(widths[i], widths[i - 1], 2, stride=2)
                for i in range(depth - 1, 0, -1)
            ]
        )
        self.decoders = nn.ModuleList(
            [conv3d_block(2 * widths[i - 1], widths[i - 1], conv) for i in range(depth - 1, 0, -1)]
        )
        self.head = nn.Conv3d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 2 ** (self.depth - 1)
        if x.dim() != 5 or any(s % factor for s in x.shape[2:]):
            raise ValueError(
                f"UNet3D(depth={self.depth}) needs (B, C, D, H, W) with D, H, W "
                f"divisible by {factor}; got {tuple(x.shape)}"
            )
        skips = []
        for i, enc in enumerate(self.encoders):
            x = enc(x if i == 0 else self.pool(x))
            skips.append(x)
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips[:-1]), strict=True):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.head(x)


# ---------------------------------------------------------------------------- data, training
# The liver of the phantom (96 x 96 slices) lies inside rows 27-74 and columns 10-64.
LIVER_CROP: tuple[tuple[int, int], ...] = ((0, 32), (20, 84), (8, 72))


def task_volumes_3d(
    task: str = "liver",
    shape: Sequence[int] = (16, 32, 32),
    crop: Sequence[Sequence[int]] | None = LIVER_CROP,
    n_cases: int = 60,
    seed: int = 0,
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Phantom volumes for 3-D segmentation, cropped to ``crop`` ((z0, z1), (y0, y1), (x0, x1)
    of the 32 x 96 x 96 phantom; ``None`` keeps it whole), resampled to ``shape``, split by case.

    Returns ``{"train": (x, y), "val": ..., "test": ...}`` with ``x`` float32
    ``(N, 1, *shape)`` windowed to [-1, 1] (the task's HU window) and ``y`` int64
    ``(N, *shape)`` in {0, 1}; images are resampled trilinearly, labels by nearest
    neighbour. The case split is :func:`medeff.data.cohort_split`, the one every phantom
    dataset uses. Explained in: the
    GSP-Conv reproduction, "Experiments".
    """
    import torch.nn.functional as F

    from ..data import TASKS, binary_target, cohort_split, phantom_task_volumes, window_hu

    images, labels = phantom_task_volumes(task, n_cases, seed)
    if crop is not None:
        box = (slice(None), *(slice(a, b) for a, b in crop))
        images, labels = images[box], labels[box]
    x = window_hu(torch.from_numpy(images.astype("float32")), *TASKS[task]["window"])[:, None]
    y = torch.from_numpy(binary_target(labels, task).astype("float32"))[:, None]
    x = F.interpolate(x, size=tuple(shape), mode="trilinear", align_corners=False)
    y = F.interpolate(y, size=tuple(shape), mode="nearest")[:, 0].long()
    split = cohort_split(n_cases, seed)
    return {
        name: (x[torch.from_numpy(idx)], y[torch.from_numpy(idx)]) for name, idx in split.items()
    }


def volume_dice(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4, threshold: float = 0.4
) -> list[float]:
    """Per-volume foreground Dice (probability > ``threshold``, the case-study rule).

    Explained in: the GSP-Conv reproduction, "Experiments".
    """
    from ..metrics import foreground_probability

    scores = []
    with eval_mode(model, no_grad=True):
        for i in range(0, len(x), batch_size):
            pred = foreground_probability(model(x[i : i + batch_size])) > threshold
            for p, g in zip(pred, y[i : i + batch_size].bool(), strict=True):
                total = int(p.sum()) + int(g.sum())
                scores.append(1.0 if total == 0 else 2.0 * int((p & g).sum()) / total)
    return scores


def train_unet3d(
    conv: str,
    data: dict,
    *,
    base_width: int = 8,
    depth: int = 3,
    epochs: int = 5,
    lr: float = 3e-3,
    batch_size: int = 2,
    seed: int = 0,
) -> tuple[UNet3D, dict]:
    """Train (or load from ``me.train_cached``) ``UNet3D(conv=conv)`` on ``data["train"]`` of
    :func:`task_volumes_3d` (cross-entropy, Adam, cosine schedule); the record holds
    ``train_seconds`` and the per-volume test Dice (:func:`volume_dice`).

    Explained in: the GSP-Conv reproduction, "Miniature reproduction".
    """
    import time

    from torch.utils.data import TensorDataset

    from ..model_cache import data_fingerprint, train_cached
    from ..training import fit, seeded_loader, set_seed

    x, y = data["train"]
    config = {
        "conv": conv,
        "base_width": base_width,
        "depth": depth,
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "data": data_fingerprint(TensorDataset(x, y)),
    }

    def build() -> UNet3D:
        set_seed(seed)
        return UNet3D(base_width=base_width, depth=depth, conv=conv)

    def run(model: nn.Module) -> dict:
        loader = seeded_loader(TensorDataset(x, y), seed, batch_size)
        start = time.perf_counter()
        history = fit(model, loader, epochs=epochs, lr=lr, progress=False)
        seconds = time.perf_counter() - start
        return {
            "train_seconds": seconds,
            "train_loss": history["train_loss"],
            "test_dice": volume_dice(model, *data["test"]),
        }

    return train_cached(f"gsp-unet3d-{conv}", config, build, run)
