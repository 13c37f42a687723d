"""Plots the lectures share: cost/accuracy trade-offs, latency vs MACs, training curves.

Explained in: lecture 00 (latency vs MACs) and lecture 03 (accuracy vs MACs, the shape of
GhostNet's Figure 6). Every function draws on the given ``ax`` (or a new one) and returns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes


def _axes(ax: Axes | None, figsize=(6, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_tradeoff(
    families: Mapping[str, Sequence[tuple[float, float]]],
    *,
    xlabel: str = "MACs (log scale)",
    ylabel: str = "accuracy",
    labels: Mapping[str, Sequence[str]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Accuracy (y) against cost (x, log axis), one line per model family.

    ``families`` maps a family name to its ``(cost, accuracy)`` points, e.g. one point
    per width multiplier. ``labels`` optionally names each point. Explained in: lecture 03.
    """
    ax = _axes(ax)
    for name, points in families.items():
        if not points:
            continue
        pts = sorted(points)
        xs, ys = zip(*pts, strict=True)
        ax.plot(xs, ys, marker="o", label=name)
        if labels and name in labels:
            order = sorted(range(len(points)), key=lambda i: points[i])
            for (x, y), i in zip(pts, order, strict=True):
                ax.annotate(
                    labels[name][i], (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8
                )
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_latency_vs_macs(
    names: Sequence[str],
    macs: Sequence[float],
    latency_ms: Sequence[float],
    *,
    ax: Axes | None = None,
    title: str = "Latency is not proportional to MACs",
) -> Axes:
    """Log-log scatter of measured latency against MACs, with a proportional reference line.

    The reference line goes through the geometric mean of the points with slope 1: models
    above it are slower than their MACs suggest (memory-bound layers, many small ops).
    Explained in: lecture 00 ("MACs are not latency").
    """
    if not (len(names) == len(macs) == len(latency_ms)) or not names:
        raise ValueError("names, macs and latency_ms must be non-empty and of equal length")
    ax = _axes(ax)
    ax.scatter(macs, latency_ms, zorder=3)
    for n, x, y in zip(names, macs, latency_ms, strict=True):
        ax.annotate(n, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    import math

    gx = math.exp(sum(math.log(m) for m in macs) / len(macs))
    gy = math.exp(sum(math.log(t) for t in latency_ms) / len(latency_ms))
    lo, hi = min(macs) / 2, max(macs) * 2
    ax.plot(
        [lo, hi],
        [gy * lo / gx, gy * hi / gx],
        "--",
        color="gray",
        label="latency proportional to MACs",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MACs per image")
    ax.set_ylabel("median latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return ax


def plot_history(
    history: Mapping[str, Sequence[float]],
    keys: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Training curves: one line per key of a :class:`medeff.training.History`.

    Explained in: lecture 01.
    """
    ax = _axes(ax)
    keys = list(keys) if keys is not None else [k for k in history if k != "epoch_seconds"]
    for key in keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
