"""medeff.training, medeff.metrics and medeff.config: seeding, fit/evaluate, fast mode."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import medeff as me
from medeff import training


def _blobs(n: int = 256, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 4, generator=g) * 0.5 + (y.float() * 2 - 1).unsqueeze(1)
    return TensorDataset(x, y)


def _loader(seed: int = 0, batch_size: int = 32) -> DataLoader:
    return DataLoader(
        _blobs(seed=seed),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )


def _model(seed: int = 0) -> nn.Module:
    me.set_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))


@pytest.fixture(autouse=True)
def _full_mode(monkeypatch):
    monkeypatch.delenv("MEDEFF_FAST", raising=False)


def test_set_seed_makes_init_and_generator_reproducible():
    g1 = me.set_seed(7)
    a, ra = nn.Linear(3, 3).weight.detach().clone(), torch.rand(3, generator=g1)
    g2 = me.set_seed(7)
    b, rb = nn.Linear(3, 3).weight.detach().clone(), torch.rand(3, generator=g2)
    assert torch.equal(a, b) and torch.equal(ra, rb)
    me.set_seed(8)
    assert not torch.equal(a, nn.Linear(3, 3).weight)


def test_fit_learns_and_records_history():
    model = _model()
    before = me.evaluate(model, _loader(), {"accuracy": me.accuracy}, nn.CrossEntropyLoss())
    hist = me.fit(
        model,
        _loader(),
        epochs=5,
        lr=1e-2,
        val_loader=_loader(1),
        metrics={"accuracy": me.accuracy},
        progress=False,
    )
    assert set(hist) >= {"train_loss", "val_loss", "val_accuracy", "epoch_seconds"}
    assert all(len(v) == 5 for v in hist.values())
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist.last("val_loss") < before["loss"]
    assert hist.last("val_accuracy") > 0.95
    with pytest.raises(KeyError, match="val_dice"):
        hist.last("val_dice")


def test_fit_is_deterministic_for_a_seed():
    runs = [me.fit(_model(3), _loader(3), epochs=2, progress=False) for _ in range(2)]
    assert runs[0]["train_loss"] == runs[1]["train_loss"]


def test_fit_restores_learning_rate_and_anneals_it():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def step(m, batch):
        seen.append(opt.param_groups[0]["lr"])
        return nn.functional.cross_entropy(m(batch[0]), batch[1])

    me.fit(model, _loader(), epochs=2, optimizer=opt, train_step=step, progress=False)
    assert seen[0] == pytest.approx(0.1)
    assert seen[-1] < 0.02  # cosine to 1% of the start
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


def test_custom_train_step_receives_whole_batch():
    x, y = torch.randn(40, 4), torch.randint(0, 2, (40,))
    extra = torch.arange(40).float()
    loader = DataLoader(TensorDataset(x, y, extra), batch_size=10)
    lengths = []

    def step(m, batch):
        lengths.append(len(batch))
        return nn.functional.cross_entropy(m(batch[0]), batch[1])

    me.fit(_model(), loader, epochs=1, train_step=step, progress=False)
    assert lengths == [3, 3, 3, 3]


def test_fast_mode_caps_epochs_and_steps(monkeypatch):
    monkeypatch.setenv("MEDEFF_FAST", "1")
    assert me.is_fast() and me.pick(10, 1) == 1
    calls = []

    def step(m, batch):
        calls.append(1)
        return nn.functional.cross_entropy(m(batch[0]), batch[1])

    big = DataLoader(_blobs(n=2048), batch_size=8)
    hist = me.fit(_model(), big, epochs=10, train_step=step, progress=False)
    assert len(calls) == training.FAST_EPOCHS * training.FAST_STEPS
    assert len(hist["train_loss"]) == training.FAST_EPOCHS


def test_pick_in_full_mode():
    assert not me.is_fast() and me.pick(10, 1) == 10


def test_evaluate_restores_mode_and_pools_metrics():
    model = _model()
    model.train()
    xs = torch.randn(10, 4)
    loader = DataLoader(TensorDataset(xs, torch.zeros(10, dtype=torch.long)), batch_size=3)
    res = me.evaluate(model, loader, {"n": lambda out, tgt: float(len(out))})
    assert model.training
    assert res["n"] == 10.0  # computed once on all 10 outputs, not per batch


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(TypeError, match="nn.Module"):
        me.fit("not a model", _loader(), progress=False)
    with pytest.raises(ValueError, match="epochs"):
        me.fit(_model(), _loader(), epochs=0, progress=False)
    empty = DataLoader(TensorDataset(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)))
    with pytest.raises(ValueError, match="no batches"):
        me.fit(_model(), empty, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        me.evaluate(_model(), empty)
    with pytest.raises(ValueError, match="inputs, targets"):
        me.fit(_model(), [torch.zeros(2, 4)], progress=False)


def test_nan_loss_stops_training():
    def step(m, batch):
        return m(batch[0]).sum() * float("nan")

    with pytest.raises(FloatingPointError, match="epoch 0"):
        me.fit(_model(), _loader(), train_step=step, progress=False)


def test_accuracy_against_manual_count():
    g = torch.Generator().manual_seed(1)
    logits, y = torch.randn(50, 5, generator=g), torch.randint(0, 5, (50,), generator=g)
    manual = sum(int(logits[i].argmax() == y[i]) for i in range(50)) / 50
    assert me.accuracy(logits, y) == pytest.approx(manual)
    with pytest.raises(ValueError, match="logits"):
        me.accuracy(logits[:10], y)


@pytest.mark.parametrize("channels", [1, 2])
def test_dice_score_matches_set_formula(channels):
    g = torch.Generator().manual_seed(2)
    gt = torch.rand(3, 16, 16, generator=g) > 0.6
    pred = torch.rand(3, 16, 16, generator=g) > 0.5
    big = 10.0 * (pred.float() * 2 - 1)
    logits = big.unsqueeze(1) if channels == 1 else torch.stack([-big, big], 1) / 2
    inter = (pred & gt).sum().item()
    expected = 2 * inter / (pred.sum().item() + gt.sum().item())
    assert me.dice_score(logits, gt.long()) == pytest.approx(expected, rel=1e-6)


def test_dice_edge_cases():
    empty = torch.zeros(1, 4, 4, dtype=torch.long)
    assert me.dice_score(torch.full((1, 1, 4, 4), -10.0), empty) == 1.0
    with pytest.raises(ValueError, match="1 or 2 output channels"):
        me.dice_score(torch.zeros(1, 3, 4, 4), empty)
    with pytest.raises(ValueError, match="does not match"):
        me.dice_score(torch.zeros(1, 2, 4, 4), torch.zeros(1, 5, 5))


def test_cache_dir_honours_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path / "c"))
    assert me.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_seeded_loader_order_depends_only_on_the_seed():
    data = TensorDataset(torch.arange(50))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    next(iter(loader))  # advancing the original loader must not change the seeded copies
    a = [b[0].tolist() for b in me.seeded_loader(loader, 3)]
    b = [b[0].tolist() for b in me.seeded_loader(loader, 3)]
    c = [b[0].tolist() for b in me.seeded_loader(loader, 4)]
    assert a == b and a != c and sorted(sum(a, [])) == list(range(50))
    assert [b[0].tolist() for b in me.seeded_loader(data, 3, 8)] == a  # a bare dataset: same order
    assert [len(b[0]) for b in me.seeded_loader(loader, 3, batch_size=20)] == [20, 20, 10]
    assert [len(b[0]) for b in me.seeded_loader(data, 3, 20, drop_last=True)] == [20, 20]
    assert me.seeded_loader([1, 2], 0) == [1, 2]  # other iterables unchanged
    with pytest.raises(ValueError, match="batch_size"):
        me.seeded_loader(data, 0)
