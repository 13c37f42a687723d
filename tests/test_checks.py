"""medeff._checks: input-shape errors are explained, real bugs are not disguised."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import medeff as me
from medeff._checks import eval_mode, run_forward


class _Buggy(nn.Module):
    def forward(self, x):
        raise RuntimeError("a real bug inside the model")


def test_shape_mismatch_names_the_input_shape():
    with pytest.raises(ValueError, match=r"input of shape \(1, 5, 8, 8\)"):
        run_forward(nn.Conv2d(3, 4, 3), torch.zeros(1, 5, 8, 8))
    with pytest.raises(ValueError, match=r"shape \(2, 7\)"):
        run_forward(nn.Linear(3, 4), torch.zeros(2, 7))


def test_other_errors_inside_the_model_propagate_unchanged():
    with pytest.raises(RuntimeError, match="a real bug inside the model"):
        run_forward(_Buggy(), torch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="a real bug"):
        me.count_macs(_Buggy(), torch.zeros(1, 3))


def test_eval_mode_restores_every_submodule_own_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    model.train()
    model[1].eval()  # e.g. a frozen BatchNorm inside a training model
    with eval_mode(model, no_grad=True):
        assert not model.training and not model[0].training
        assert not torch.is_grad_enabled()
    assert model.training and model[0].training and not model[1].training
    with pytest.raises(KeyError), eval_mode(model):
        raise KeyError
    assert model.training and not model[1].training


def test_latency_restores_threads_and_modes():
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout())
    before = torch.get_num_threads()
    lat = me.measure_latency(model, torch.zeros(1, 8), runs=5, warmup=1, threads=1)
    assert lat.runs == 5 and lat.threads == 1 and lat.median_ms > 0
    assert torch.get_num_threads() == before and model.training
    cmp = me.compare_latency(model, nn.Linear(8, 8), torch.zeros(1, 8), runs=4, warmup=1)
    assert cmp.a.runs == cmp.b.runs == 4 and model.training


def test_verdict_says_n_times_slower_not_a_fraction():
    from medeff.latency import Latency, LatencyComparison

    lat = Latency(1.0, 0.1, 0.9, 1.1, 3, 2, (1.0, 1.0, 1.0))
    assert (
        LatencyComparison(lat, lat, 2.5, 2.0, 3.0).verdict("conv", "dw")
        == "dw is 2.50 times faster than conv"
    )
    slow = LatencyComparison(lat, lat, 0.5, 0.4, 0.6)
    assert slow.verdict() == "B is 2.00 times slower than A"
    assert "0.50x" not in str(slow) and "IQR" in str(slow)
