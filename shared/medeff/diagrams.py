"""Schematic figures of the efficient-architecture lectures, drawn with matplotlib.

The seed lecture shows three figures from the papers: MobileNet's standard vs depthwise vs
pointwise filters, ShuffleNet's group convolutions with and without channel shuffle, and
GhostNet's Ghost module. These functions redraw them (no image files, nothing
downloaded); each returns the ``Figure`` so a notebook can show or save it.

Explained in: lecture 01 (:func:`depthwise_vs_pointwise`), lecture 02
(:func:`group_conv_and_shuffle`) and lecture 03 (:func:`ghost_module`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

# one colour per input channel / group (matplotlib's tab10)
_COLORS = plt.get_cmap("tab10").colors


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    color,
    depth: int = 1,
    step: float = 0.12,
    grid: int = 0,
) -> None:
    """A stack of ``depth`` squares offset diagonally (a kernel of ``depth`` channels)."""
    for d in reversed(range(depth)):
        c = (
            color[d % len(color)]
            if isinstance(color, (list, tuple)) and isinstance(color[0], (list, tuple))
            else color
        )
        ax.add_patch(
            Rectangle(
                (x + d * step, y + d * step),
                w,
                h,
                facecolor=c,
                edgecolor="black",
                lw=0.8,
                alpha=0.9,
            )
        )
    if grid > 1:  # the k x k taps on the front square
        for i in range(1, grid):
            ax.plot([x + i * w / grid] * 2, [y, y + h], color="black", lw=0.4)
            ax.plot([x, x + w], [y + i * h / grid] * 2, color="black", lw=0.4)


def depthwise_vs_pointwise(m: int = 4, n: int = 3, kernel: int = 3) -> Figure:
    """MobileNet's Figure 2: (a) ``N`` standard filters of size ``D_K x D_K x M``,
    (b) ``M`` depthwise filters ``D_K x D_K x 1``, one per input channel, (c) ``N``
    pointwise filters ``1 x 1 x M``. Colours are input channels.

    Explained in: lecture 01, "What a convolution costs".
    """
    colors = list(_COLORS[:m])
    fig, axes = plt.subplots(1, 3, figsize=(12, 2.6))
    panels = [
        (f"(a) standard: {n} filters of {kernel}x{kernel}x{m}\nMACs $D_K^2 M N D_F^2$", n, m, 1.0),
        (f"(b) depthwise: {m} filters of {kernel}x{kernel}x1\nMACs $D_K^2 M D_F^2$", m, 1, 1.0),
        (f"(c) pointwise: {n} filters of 1x1x{m}\nMACs $M N D_F^2$", n, m, 0.35),
    ]
    for p, (ax, (title, count, depth, size)) in enumerate(zip(axes, panels, strict=True)):
        for i in range(count):
            x = i * 1.6
            color = [colors[i]] if p == 1 else colors  # depthwise: filter i sees channel i
            _box(ax, x, 0.0, size, size, color, depth=depth, grid=kernel if size == 1.0 else 0)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(-0.3, max(n, m) * 1.6 + 0.3)
        ax.set_ylim(-0.2, 1.6)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(
        "Standard convolution filters vs depthwise + pointwise (colour = input channel)",
        fontsize=10,
    )
    return fig


def shuffle_edges(channels: int, groups: int) -> list[tuple[int, int]]:
    """``(source, destination)`` channel pairs of :func:`medeff.models.efficient.channel_shuffle`
    (output channel ``dst`` is input channel ``src``), computed by running it.

    Explained in: lecture 02, "Channel shuffle".
    """
    from .models.efficient import channel_shuffle

    order = (
        channel_shuffle(torch.arange(channels, dtype=torch.float32).view(1, channels, 1, 1), groups)
        .flatten()
        .long()
        .tolist()
    )
    return [(src, dst) for dst, src in enumerate(order)]


def _group_layer(
    ax: Axes, y0: float, y1: float, channels: int, groups: int, input_groups: list[int]
) -> None:
    """Edges of one group convolution from row ``y0`` to row ``y1`` (all within a group)."""
    per = channels // groups
    for dst in range(channels):
        g = dst // per
        for src in range(g * per, (g + 1) * per):
            ax.plot([src, dst], [y0, y1], color=_COLORS[input_groups[src]], lw=0.7, alpha=0.6)


def _nodes(ax: Axes, y: float, colors: list[int], label: str) -> None:
    ax.scatter(
        range(len(colors)),
        [y] * len(colors),
        c=[_COLORS[c] for c in colors],
        s=90,
        edgecolors="black",
        zorder=3,
    )
    ax.text(-0.8, y, label, ha="right", va="center", fontsize=8)


def group_conv_and_shuffle(channels: int = 9, groups: int = 3) -> Figure:
    """ShuffleNet's Figure 1: (a) two stacked group convolutions, where each output group
    only sees its own input group; (b) the same with a channel shuffle between them, so
    every group of GConv2 sees every group of GConv1. Colours track the input group each
    channel's information comes from; the shuffle edges come from running
    :func:`medeff.models.efficient.channel_shuffle`.

    Explained in: lecture 02, "The side effect of stacking group convolutions".
    """
    per = channels // groups
    origin = [c // per for c in range(channels)]  # group of each input channel
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, shuffle in zip(axes, (False, True), strict=True):
        _nodes(ax, 3, origin, "input")
        _group_layer(ax, 3, 2, channels, groups, origin)
        _nodes(ax, 2, origin, "GConv1")
        top = origin
        if shuffle:
            shuffled = [0] * channels
            for src, dst in shuffle_edges(channels, groups):
                ax.plot([src, dst], [2, 1.2], color=_COLORS[origin[src]], lw=1.2)
                shuffled[dst] = origin[src]
            _nodes(ax, 1.2, shuffled, "shuffle")
            top = shuffled
        y = 1.2 if shuffle else 2
        _group_layer(ax, y, 0, channels, groups, top)
        # an output node's colours: the input groups that reach it
        for dst in range(channels):
            g = dst // per
            seen = sorted({top[s] for s in range(g * per, (g + 1) * per)})
            for k, c in enumerate(seen):
                ax.scatter(
                    [dst + 0.18 * (k - (len(seen) - 1) / 2)],
                    [0],
                    color=_COLORS[c],
                    s=60,
                    edgecolors="black",
                    zorder=3,
                )
        ax.text(-0.8, 0, "GConv2", ha="right", va="center", fontsize=8)
        ax.set_title(
            "(b) with channel shuffle: every output sees every input group"
            if shuffle
            else "(a) no shuffle: each output sees one input group",
            fontsize=9,
        )
        ax.set_xlim(-2.5, channels)
        ax.set_ylim(-0.5, 3.5)
        ax.axis("off")
    fig.suptitle(
        f"Two stacked group convolutions, {channels} channels, {groups} groups "
        "(colour = input group)",
        fontsize=10,
    )
    return fig


def _arrow(
    ax: Axes, start: tuple[float, float], end: tuple[float, float], text: str = "", dy: float = 0.18
) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2))
    if text:
        ax.text(
            (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + dy, text, ha="center", fontsize=8
        )


def _maps(ax: Axes, x: float, y: float, count: int, color, label: str) -> None:
    for i in range(count):
        ax.add_patch(
            Rectangle(
                (x + 0.08 * i, y + 0.08 * i), 0.7, 0.7, facecolor=color, edgecolor="black", lw=0.6
            )
        )
    ax.text(x + 0.35 + 0.04 * count, y - 0.3, label, ha="center", fontsize=8)


def ghost_module(s: int = 2) -> Figure:
    """GhostNet's Figure 2: (a) a convolution makes all ``n`` output maps; (b) the Ghost
    module makes ``n/s`` intrinsic maps with the convolution, and from each of them
    ``s - 1`` ghosts with a cheap depthwise operation (Phi); identity + ghosts are
    concatenated.

    Explained in: lecture 03, "The Ghost module".
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
    ax = axes[0]
    _maps(ax, 0, 1, 4, "0.85", "input (c maps)")
    _arrow(ax, (1.4, 1.5), (3.4, 1.5), "conv k x k")
    _maps(ax, 3.6, 1, 8, "tab:blue", "output (n maps)")
    ax.set_title("(a) convolutional layer: every map from a full convolution", fontsize=9)
    ax = axes[1]
    _maps(ax, 0, 1, 4, "0.85", "input (c maps)")
    _arrow(ax, (1.4, 1.5), (2.9, 1.5), "conv k x k")
    _maps(ax, 3.1, 1, 3, "tab:blue", f"intrinsic (n/{s})")
    _arrow(ax, (4.2, 1.9), (5.9, 2.5), "identity")
    _arrow(ax, (4.2, 1.3), (5.9, 0.5), f"$\\Phi$ (d x d dw) x{s - 1}", dy=-0.6)
    _maps(ax, 6.0, 2.2, 3, "tab:blue", "")
    _maps(ax, 6.0, 0.0, 3 * (s - 1), "tab:orange", "ghosts")
    ax.text(7.6, 1.5, "concat\n= n maps", ha="center", va="center", fontsize=8)
    ax.set_title(
        "(b) Ghost module: 1/s of the maps from the convolution, the rest cheap", fontsize=9
    )
    for ax in axes:
        ax.set_xlim(-0.3, 8.3)
        ax.set_ylim(-0.6, 3.4)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig
