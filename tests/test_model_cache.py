"""medeff.model_cache: train once, reload by key, retrain when anything that matters changes."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import medeff as me


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path))
    return tmp_path


def _trainer(calls: list):
    def train(model: nn.Module) -> dict:
        calls.append(1)
        with torch.no_grad():
            model.weight.add_(1.0)
        return {"accuracy": 0.5}

    return train


def test_second_call_loads_the_same_weights(cache):
    calls: list = []
    m1, r1 = me.train_cached("lin", {"lr": 0.1}, lambda: nn.Linear(3, 2), _trainer(calls))
    m2, r2 = me.train_cached("lin", {"lr": 0.1}, lambda: nn.Linear(3, 2), _trainer(calls))
    assert len(calls) == 1
    assert (r1["cached"], r2["cached"]) == (False, True)
    assert r2["accuracy"] == 0.5
    assert torch.equal(m1.weight, m2.weight)
    assert not m2.training


def test_changing_a_training_setting_retrains(cache):
    calls: list = []
    me.train_cached("lin", {"lr": 0.1}, lambda: nn.Linear(3, 2), _trainer(calls))
    me.train_cached("lin", {"lr": 0.2}, lambda: nn.Linear(3, 2), _trainer(calls))
    me.train_cached("lin", {"lr": 0.1}, lambda: nn.Linear(3, 2), _trainer(calls), cache=False)
    assert len(calls) == 3


def test_fast_mode_and_source_are_part_of_the_key(cache, monkeypatch):
    from medeff import model_cache

    monkeypatch.delenv("MEDEFF_FAST", raising=False)
    slow = model_cache.cache_key("n", {"a": 1})
    monkeypatch.setenv("MEDEFF_FAST", "1")
    assert model_cache.cache_key("n", {"a": 1}) != slow
    monkeypatch.setattr(model_cache, "source_fingerprint", lambda: "changed")
    assert model_cache.cache_key("n", {"a": 1}) != slow


def test_corrupt_cache_file_is_retrained(cache, capsys):
    calls: list = []
    me.train_cached("lin", {}, lambda: nn.Linear(3, 2), _trainer(calls))
    for f in (cache / "models").glob("*.pt"):
        f.write_bytes(b"garbage")
    _, rec = me.train_cached("lin", {}, lambda: nn.Linear(3, 2), _trainer(calls))
    assert len(calls) == 2 and rec["cached"] is False
    assert "corrupt" in capsys.readouterr().out


def test_config_must_be_json(cache):
    with pytest.raises(TypeError, match="JSON"):
        me.train_cached("lin", {"x": object()}, lambda: nn.Linear(3, 2), _trainer([]))


def test_data_fingerprint_tracks_contents():
    a = TensorDataset(torch.zeros(4, 2), torch.zeros(4))
    b = TensorDataset(torch.zeros(4, 2), torch.ones(4))
    assert me.data_fingerprint(a) == me.data_fingerprint(
        TensorDataset(torch.zeros(4, 2), torch.zeros(4))
    )
    assert me.data_fingerprint(a) != me.data_fingerprint(b)
    plain = [(torch.zeros(2), torch.tensor(0))] * 3
    assert me.data_fingerprint(plain) != me.data_fingerprint(a)
    with pytest.raises(TypeError, match="fingerprint"):
        me.data_fingerprint(object())


def test_read_only_cache_trains_without_storing(cache, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(torch, "save", refuse)
    model, rec = me.train_cached("lin", {}, lambda: nn.Linear(3, 2), _trainer([]))
    assert rec["cached"] is False and rec["accuracy"] == 0.5
    assert "not cached" in capsys.readouterr().out
