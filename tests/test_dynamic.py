"""medeff.dynamic: early exit, slimmable network with switchable BN, sandwich rule, slice gate."""

from __future__ import annotations

import random

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import medeff as me
from medeff import dynamic as dyn
from medeff.models import efficient as ef


def test_early_exit_outputs_and_costs():
    torch.manual_seed(0)
    net = dyn.EarlyExitNet(num_classes=8).eval()
    x = torch.randn(5, 1, 28, 28)
    outs = net(x)
    assert [tuple(o.shape) for o in outs] == [(5, 8)] * 3
    assert torch.allclose(net(x, exits=2)[1], outs[1])
    costs = dyn.exit_costs(net)
    assert costs[0] < costs[1] < costs[2] == me.count_macs(net, (1, 28, 28))
    assert costs[0] < costs[2] / 5  # the low-resolution exit is cheap
    with pytest.raises(ValueError):
        net(x, exits=4)


def test_exit_index_and_curve_by_hand():
    # exit 1 confident on sample 0 only, exit 2 confident on sample 1, sample 2 goes to the end
    l1 = torch.tensor([[5.0, 0.0], [0.0, 0.1], [0.0, 0.0]])
    l2 = torch.tensor([[0.0, 0.0], [0.0, 6.0], [0.0, 0.2]])
    l3 = torch.tensor([[0.0, 1.0], [1.0, 0.0], [3.0, 0.0]])
    assert dyn.exit_index([l1, l2, l3], 0.9).tolist() == [0, 1, 2]
    assert dyn.exit_index([l1, l2, l3], 0.0).tolist() == [0, 0, 0]
    assert dyn.exit_index([l1, l2, l3], 1.01).tolist() == [2, 2, 2]
    rows = dyn.early_exit_curve([l1, l2, l3], torch.tensor([0, 1, 0]), [10, 100, 1000], [0.9, 1.01])
    assert rows[0]["accuracy"] == 1.0
    assert rows[0]["macs"] == pytest.approx((10 + 100 + 1000) / 3)
    assert rows[0]["fractions"] == pytest.approx([1 / 3] * 3)
    assert rows[1]["macs"] == 1000 and rows[1]["accuracy"] == pytest.approx(
        1 / 3
    )  # exit 3: [1, 0, 0]


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.01])
def test_predict_dynamic_matches_simulation(threshold):
    torch.manual_seed(1)
    net = dyn.EarlyExitNet(num_classes=4).eval()
    with torch.no_grad():  # make the heads' confidences spread out
        for head in (net.head1, net.head2):
            head.fc.weight.mul_(30)
    x = torch.randn(32, 1, 28, 28)
    pred, leave = dyn.predict_dynamic(net, x, threshold)
    logits = [o.detach() for o in net(x)]
    want_leave = dyn.exit_index(logits, threshold)
    assert leave.tolist() == want_leave.tolist()
    want = torch.stack([o.argmax(1) for o in logits])[want_leave, torch.arange(32)]
    assert pred.tolist() == want.tolist()


def test_early_exit_loss_trains():
    torch.manual_seed(0)
    net = dyn.EarlyExitNet(num_classes=3)
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 3, (16,))
    loss = dyn.early_exit_loss(net, (x, y))
    loss.backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize("width", [0.25, 0.5, 0.75, 1.0])
def test_slimmable_equals_static_classifier(width):
    torch.manual_seed(0)
    net = dyn.SlimmableNet(num_classes=8)
    for m in net.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    net.eval().set_width(width)
    static = ef.make_classifier("standard", width, num_classes=8)
    assert me.count_macs(net, (1, 28, 28)) == me.count_macs(static, (1, 28, 28))
    exported = net.export(width)
    assert me.count_params(exported) == me.count_params(static)
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(net(x), exported(x), atol=1e-5)


def test_slimmable_one_checkpoint_smaller_than_zoo():
    net = dyn.SlimmableNet()
    zoo = sum(me.model_size_bytes(ef.make_classifier("standard", w, 8)) for w in net.widths)
    assert me.model_size_bytes(net) < zoo
    with pytest.raises(ValueError):
        net.set_width(0.3)


def test_sandwich_step_and_calibration():
    torch.manual_seed(0)
    net = dyn.SlimmableNet(num_classes=3)
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 3, (8,))
    loss = dyn.sandwich_step(net, (x, y), resolutions=(20, 28), rng=random.Random(0))
    loss.backward()
    assert torch.isfinite(loss) and net.width == 1.0
    # the narrowest width was trained: its BN has gradients, and so does the slice it uses
    assert net.stem[1].bn[0].weight.grad is not None
    loader = DataLoader(
        TensorDataset(torch.randn(32, 1, 28, 28) * 3 + 1, torch.zeros(32)), batch_size=8
    )
    before = net.stem[1].bn[3].running_var.clone()
    net.set_width(0.25)
    dyn.calibrate_bn(net, loader, batches=4)
    assert not net.training
    assert net.stem[1].bn[0].running_var.mean() > 2.0  # saw the scaled data
    assert torch.equal(net.stem[1].bn[3].running_var, before)  # other width untouched


def test_slice_gate_and_sweep():
    gate = dyn.SliceGate()
    assert gate(torch.randn(3, 1, 96, 96)).shape == (3,)
    assert me.count_macs(gate, (1, 96, 96)) < 1_000_000
    target = torch.zeros(4, 2, 2, dtype=torch.bool)
    target[1, 0, 0] = target[2] = True  # slices 1, 2 hold the organ (one case of 4 slices)
    seg = target.clone()
    seg[0, 1, 1] = True  # a false positive on an empty slice
    prob = torch.tensor([0.1, 0.6, 0.9, 0.2])
    rows = dyn.gate_sweep(
        prob, seg, target, [0, 0, 0, 0], [0.0, 0.5, 0.7], gate_macs=1, seg_macs=10
    )
    assert rows[0]["macs_per_volume"] == 4 + 40 and rows[0]["run_fraction"] == 1.0
    assert rows[0]["dice"] == pytest.approx(2 * 5 / 11)
    assert rows[1]["dice"] == 1.0 and rows[1]["macs_per_volume"] == 4 + 20
    assert rows[2]["missed_slices"] == 1 and rows[2]["dice"] == pytest.approx(2 * 4 / 9)


def test_subset_loader_is_fixed_and_sized():
    ds = TensorDataset(torch.arange(50.0)[:, None], torch.arange(50))
    loader = DataLoader(ds, batch_size=8)
    a = dyn.subset_loader(loader, 20, seed=3)
    b = dyn.subset_loader(loader, 20, seed=3)
    assert len(a.dataset) == 20 and a.batch_size == 8
    assert torch.equal(a.dataset.tensors[1], b.dataset.tensors[1])  # the same sample
    assert len(set(a.dataset.tensors[1].tolist())) == 20  # without repeats
    assert len(dyn.subset_loader(loader, 500, batch_size=4).dataset) == 50


def test_slimmable_vs_separate_small(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path))
    torch.manual_seed(0)
    x, y = torch.rand(48, 1, 28, 28), torch.randint(0, 8, (48,))
    train = DataLoader(TensorDataset(x, y), batch_size=16)
    test = DataLoader(TensorDataset(x[:16], y[:16]), batch_size=16)
    kw = dict(widths=(0.25, 1.0), resolutions=(20, 28), seeds=(0, 1), batch_size=16)
    nets, rows, spent = dyn.slimmable_vs_separate((train, test, test), **kw)
    assert len(nets) == 2 and [r["width"] for r in rows] == [0.25, 1.0] and spent > 0
    for r in rows:
        assert len(r["separate"]) == len(r["slimmable"]) == len(r["diff"]) == 2
        assert set(r["grid"]) == {20, 28} and r["grid"][28] == r["slimmable"]
        assert r["diff"][0] == pytest.approx(r["slimmable"][0] - r["separate"][0])
    assert rows[0]["macs"] == me.count_macs(ef.make_classifier("standard", 0.25, 8), (1, 28, 28))
    # the recorded accuracy is the calibrated net's: evaluating the returned net agrees
    net = nets[0].set_width(1.0)
    got = me.evaluate(net, test, {"accuracy": me.accuracy})["accuracy"]
    assert got == pytest.approx(rows[1]["slimmable"][0])
    again = dyn.slimmable_vs_separate((train, test, test), **kw)
    assert again[2] == 0.0 and again[1] == rows  # the second run loads everything
