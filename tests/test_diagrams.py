"""Schematic figures (medeff.diagrams): they draw, and the shuffle figure draws medeff's permutation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from medeff import diagrams  # noqa: E402
from medeff.models import efficient as ef  # noqa: E402


@pytest.mark.parametrize(
    "draw",
    [diagrams.depthwise_vs_pointwise, diagrams.group_conv_and_shuffle, diagrams.ghost_module],
)
def test_diagrams_draw_and_save(draw, tmp_path):
    fig = draw()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert sum(len(ax.patches) + len(ax.lines) + len(ax.collections) for ax in fig.axes) > 5
    fig.savefig(tmp_path / "fig.png")
    assert (tmp_path / "fig.png").stat().st_size > 1000
    plt.close(fig)


@pytest.mark.parametrize("c,g", [(9, 3), (8, 2), (12, 4)])
def test_shuffle_edges_are_channel_shuffle(c, g):
    edges = diagrams.shuffle_edges(c, g)
    x = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1)
    y = ef.channel_shuffle(x, g).flatten().long().tolist()
    assert sorted(dst for _, dst in edges) == list(range(c))
    assert all(y[dst] == src for src, dst in edges)


def test_depthwise_panel_has_one_filter_per_channel():
    fig = diagrams.depthwise_vs_pointwise(m=5, n=2)
    standard, depthwise, pointwise = fig.axes
    assert len(depthwise.patches) == 5  # M filters of depth 1
    assert len(standard.patches) == 2 * 5 and len(pointwise.patches) == 2 * 5
    plt.close(fig)
