"""Measuring inference latency on the CPU, and comparing two models fairly.

Explained in: lecture 00 ("MACs are not latency") and lecture 01 (depthwise convolution is
memory bound). Timing belongs in notebooks and benchmarks, never in pass/fail unit tests.

Method: ``torch.utils.benchmark.Timer`` (PyTorch's standard timing tool: it fixes the
thread count and restores it, and synchronises accelerators), warm-up runs (allocator,
caches, lazy init), then many single timed runs under ``torch.inference_mode``; report the
median and the spread (IQR, 10th/90th percentiles), not the mean, because a laptop's
timing noise is one-sided.
A paired A/B comparison interleaves the two models (ABBA order) so that drift (thermal
throttling, another process) hits both equally, and reports the ratio of medians.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils import benchmark

from ._checks import as_example_input, eval_mode, require_module, run_forward

DEFAULT_THREADS = 2


@dataclass(frozen=True)
class Latency:
    """Summary of repeated timings, in milliseconds."""

    median_ms: float
    iqr_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    threads: int
    samples_ms: tuple[float, ...]

    def __str__(self) -> str:
        return (
            f"{self.median_ms:.3f} ms median (IQR {self.iqr_ms:.3f} ms, "
            f"{self.runs} runs, {self.threads} threads)"
        )


@dataclass(frozen=True)
class LatencyComparison:
    """Result of :func:`compare_latency`: ``speedup = a.median_ms / b.median_ms``."""

    a: Latency
    b: Latency
    speedup: float
    paired_ratio_p10: float
    paired_ratio_p90: float

    def verdict(self, a: str = "A", b: str = "B") -> str:
        """``"B is 2.1 times faster than A"`` or ``"B is 2.0 times slower than A"``.

        A ratio below 1 is written as "n times slower", never as "0.5x faster".
        Explained in: lecture 01 ("Measured: is the MAC saving a speedup?").
        """
        if self.speedup >= 1:
            return f"{b} is {self.speedup:.2f} times faster than {a}"
        return f"{b} is {1 / self.speedup:.2f} times slower than {a}"

    def __str__(self) -> str:
        return (
            f"A {self.a.median_ms:.3f} ms (IQR {self.a.iqr_ms:.3f}) vs B "
            f"{self.b.median_ms:.3f} ms (IQR {self.b.iqr_ms:.3f}): {self.verdict()} "
            f"(paired A/B ratios, 10-90 %: {self.paired_ratio_p10:.2f}-"
            f"{self.paired_ratio_p90:.2f}; {self.a.runs} runs, {self.a.threads} threads)"
        )


def _percentile(values: Sequence[float], q: float) -> float:
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _summarize(samples: list[float], threads: int) -> Latency:
    return Latency(
        median_ms=statistics.median(samples),
        iqr_ms=_percentile(samples, 0.75) - _percentile(samples, 0.25),
        p10_ms=_percentile(samples, 0.10),
        p90_ms=_percentile(samples, 0.90),
        runs=len(samples),
        threads=threads,
        samples_ms=tuple(samples),
    )


@contextlib.contextmanager
def num_threads(threads: int) -> Iterator[None]:
    """Temporarily set ``torch.set_num_threads`` (restored afterwards).

    Explained in: lecture 00 ("MACs are not latency").
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _timer(model: nn.Module, x: torch.Tensor, threads: int) -> benchmark.Timer:
    return benchmark.Timer(stmt="model(x)", globals={"model": model, "x": x}, num_threads=threads)


def _time_once(timer: benchmark.Timer) -> float:
    """One timed call, in milliseconds."""
    return timer.timeit(number=1).times[0] * 1e3


def _prepare(model: nn.Module, example, name: str) -> tuple[nn.Module, torch.Tensor]:
    require_module(model, name)
    x = as_example_input(model, example)
    return model, x


def measure_latency(
    model: nn.Module,
    example: torch.Tensor | Sequence[int],
    *,
    warmup: int = 5,
    runs: int = 30,
    threads: int = DEFAULT_THREADS,
    max_seconds: float | None = None,
) -> Latency:
    """Median latency of ``model(example)`` on the CPU, with warm-up and fixed threads.

    ``example`` is a batched tensor or a per-sample shape (batch 1). ``max_seconds``
    stops early (after at least 3 timed runs) so a slow model cannot stall a lecture.
    The model's train/eval mode is restored afterwards.

    Explained in: lecture 00 ("MACs are not latency").
    """
    model, x = _prepare(model, example, "model")
    if runs < 1 or warmup < 0:
        raise ValueError("runs must be >= 1 and warmup >= 0")
    timer = _timer(model, x, threads)
    samples: list[float] = []
    with eval_mode(model), num_threads(threads), torch.inference_mode():
        run_forward(model, x)  # first call: clear error on a bad input
        for _ in range(warmup):
            _time_once(timer)
        spent = 0.0
        for _ in range(runs):
            samples.append(_time_once(timer))
            spent += samples[-1] / 1e3
            if max_seconds is not None and len(samples) >= 3 and spent > max_seconds:
                break
    return _summarize(samples, threads)


def compare_latency(
    model_a: nn.Module,
    model_b: nn.Module,
    example: torch.Tensor | Sequence[int],
    *,
    example_b: torch.Tensor | Sequence[int] | None = None,
    warmup: int = 5,
    runs: int = 30,
    threads: int = DEFAULT_THREADS,
) -> LatencyComparison:
    """Paired A/B latency: interleaved runs (A B B A ...), ratio of medians ``A / B``.

    A speedup above 1 means B is faster. ``example_b`` gives B its own input when the
    two models take different inputs (e.g. different resolutions).

    Explained in: lecture 00 ("MACs are not latency") and lecture 01.
    """
    model_a, xa = _prepare(model_a, example, "model_a")
    model_b, xb = _prepare(model_b, example if example_b is None else example_b, "model_b")
    timer_a, timer_b = _timer(model_a, xa, threads), _timer(model_b, xb, threads)
    times_a: list[float] = []
    times_b: list[float] = []
    with eval_mode(model_a, model_b), num_threads(threads), torch.inference_mode():
        run_forward(model_a, xa)
        run_forward(model_b, xb)
        for _ in range(warmup):
            _time_once(timer_a)
            _time_once(timer_b)
        for i in range(runs):
            if i % 2 == 0:
                times_a.append(_time_once(timer_a))
                times_b.append(_time_once(timer_b))
            else:
                times_b.append(_time_once(timer_b))
                times_a.append(_time_once(timer_a))
    a, b = _summarize(times_a, threads), _summarize(times_b, threads)
    ratios = [ta / tb for ta, tb in zip(times_a, times_b, strict=True)]
    return LatencyComparison(
        a, b, a.median_ms / b.median_ms, _percentile(ratios, 0.10), _percentile(ratios, 0.90)
    )
