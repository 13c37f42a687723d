"""medeff.plotting draws what it is given (checked on the artists, not on pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import medeff as me  # noqa: E402


def test_plot_tradeoff_one_line_per_family_on_log_axis():
    ax = me.plot_tradeoff(
        {"a": [(1e6, 0.8), (1e5, 0.7)], "b": [(3e5, 0.75)]},
        labels={"a": ["x1.0", "x0.5"], "b": ["x1"]},
    )
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 2
    xs, ys = ax.get_lines()[0].get_data()
    assert list(xs) == [1e5, 1e6] and list(ys) == [0.7, 0.8]  # sorted by cost
    texts = {t.get_text(): t.xy for t in ax.texts}
    assert texts["x0.5"] == (1e5, 0.7) and texts["x1.0"] == (1e6, 0.8)
    plt.close("all")


def test_plot_latency_vs_macs_reference_line_has_slope_one():
    ax = me.plot_latency_vs_macs(["a", "b", "c"], [1e6, 1e7, 1e8], [1.0, 3.0, 50.0])
    ref = ax.get_lines()[0]
    (x0, x1), (y0, y1) = ref.get_data()
    assert y1 / y0 == pytest.approx(x1 / x0)
    with pytest.raises(ValueError, match="equal length"):
        me.plot_latency_vs_macs(["a"], [1.0, 2.0], [1.0])
    plt.close("all")


def test_plot_history_skips_timing():
    hist = me.History()
    hist.add(train_loss=1.0, epoch_seconds=3.0)
    hist.add(train_loss=0.5, epoch_seconds=3.0)
    ax = me.plot_history(hist)
    assert [ln.get_label() for ln in ax.get_lines()] == ["train_loss"]
    plt.close("all")
