"""medeff.pruning: the graded references (exact semantics) and the lecture 04 mechanics."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from medeff import pruning as pr


# ---------------------------------------------------------------------------- magnitude_prune_mask
@pytest.mark.parametrize("shape", [(7,), (4, 5), (8, 3, 3, 3)])
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.25, 0.5, 0.9, 0.999])
def test_magnitude_mask_zeroes_exactly_k_smallest(shape, sparsity):
    w = torch.randn(shape)
    mask = pr.magnitude_prune_mask(w, sparsity)
    k = round(sparsity * w.numel())
    assert mask.shape == w.shape and mask.dtype == w.dtype
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert int((mask == 0).sum()) == k
    if 0 < k < w.numel():
        assert w.abs()[mask == 0].max() <= w.abs()[mask == 1].min()


def test_magnitude_mask_ties_are_stable_and_dtype_kept():
    w = torch.tensor([1.0, -1.0, 1.0, 2.0, -1.0], dtype=torch.float64)
    mask = pr.magnitude_prune_mask(w, 0.4)  # k = 2: the first two of the four |w| = 1
    assert mask.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert mask.dtype == torch.float64
    assert not mask.requires_grad


def test_magnitude_mask_rejects_bad_sparsity():
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError):
            pr.magnitude_prune_mask(torch.randn(3, 3), bad)


def test_magnitude_mask_ignores_grad_and_keeps_weight():
    w = torch.randn(10, requires_grad=True)
    before = w.detach().clone()
    mask = pr.magnitude_prune_mask(w, 0.3)
    assert torch.equal(w.detach(), before) and int((mask == 0).sum()) == 3


# ---------------------------------------------------------------------------- select_filters
def test_select_filters_keeps_largest_l1_sorted():
    conv = nn.Conv2d(3, 10, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.randn_like(conv.weight))
    norms = conv.weight.abs().sum(dim=(1, 2, 3))
    idx = pr.select_filters(conv, 0.4)
    assert idx.dtype == torch.long and idx.tolist() == sorted(idx.tolist())
    assert set(idx.tolist()) == set(torch.topk(norms, 4).indices.tolist())


@pytest.mark.parametrize(
    "ratio,out,n", [(1.0, 6, 6), (0.01, 6, 1), (0.5, 5, 2), (0.3, 5, 2), (0.7, 5, 4)]
)
def test_select_filters_count(ratio, out, n):
    conv = nn.Conv2d(2, out, 1)
    assert len(pr.select_filters(conv, ratio)) == n == max(1, round(ratio * out))


def test_select_filters_ties_and_errors():
    conv = nn.Conv2d(1, 4, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 2.0, 2.0, 2.0]).view(4, 1, 1, 1))
    assert pr.select_filters(conv, 0.5).tolist() == [1, 2]
    for bad in (0.0, -0.5, 1.01):
        with pytest.raises(ValueError):
            pr.select_filters(conv, bad)
    with pytest.raises(TypeError):
        pr.select_filters(nn.Linear(2, 2), 0.5)


# ---------------------------------------------------------------------------- slimming_threshold
def _bn_net(gammas: list[list[float]]) -> nn.Module:
    layers = []
    for g in gammas:
        bn = nn.BatchNorm2d(len(g))
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(g))
        layers.append(bn)
    return nn.Sequential(*layers, nn.BatchNorm1d(3))  # BatchNorm1d is not counted


def test_slimming_threshold_convention():
    net = _bn_net([[0.5, -0.1, 0.9], [0.3, -0.7, 0.2, 0.05]])  # |g| sorted: .05 .1 .2 .3 .5 .7 .9
    g = pr.bn_gammas(net)
    assert len(g) == 7
    for ratio, expected in [(0.0, 0.05), (0.3, 0.2), (0.5, 0.5), (0.6, 0.5), (0.95, 0.9)]:
        t = pr.slimming_threshold(net, ratio)
        assert isinstance(t, float)
        assert t == pytest.approx(expected)
        k = min(round(ratio * 7), 6)
        assert int((g < t).sum()) == k


def test_slimming_threshold_random_and_errors():
    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.BatchNorm2d(16), nn.Conv2d(16, 32, 3), nn.BatchNorm2d(32)
    )
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.randn_like(m.weight))
    g = pr.bn_gammas(net)
    for ratio in (0.1, 0.25, 0.5, 0.8):
        assert int((g < pr.slimming_threshold(net, ratio)).sum()) == round(ratio * 48)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError):
            pr.slimming_threshold(net, bad)
    with pytest.raises(ValueError):
        pr.slimming_threshold(nn.Linear(2, 2), 0.5)


# ---------------------------------------------------------------------------- lecture mechanics
def _tiny():
    from medeff.models import efficient as ef

    torch.manual_seed(0)
    return ef.make_classifier("standard", 0.5, num_classes=3).eval()


def test_sensitivity_scan_restores_weights():
    model = _tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, 1, 28, 28)
    scan = pr.sensitivity_scan(model, [0.0, 0.5, 0.9], lambda m: float(m(x).detach().abs().sum()))
    assert list(scan) == list(pr.prunable_layers(model))
    assert all(len(v) == 3 for v in scan.values())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    full = float(model(x).detach().abs().sum())
    assert all(v[0] == pytest.approx(full) for v in scan.values())


def test_global_magnitude_prune_exact_and_iterative():
    model = _tiny()
    layers = pr.prunable_layers(model)
    total = sum(m.weight.numel() for m in layers.values())
    pr.global_magnitude_prune(model, 0.5)
    assert pr.sparsity(model)["global"] == pytest.approx(round(0.5 * total) / total)
    assert all(hasattr(m, "weight_mask") for m in layers.values())
    with torch.no_grad():  # "retraining" changes weight_orig; masked entries stay zero
        for m in layers.values():
            m.weight_orig.add_(0.01)
    pr.global_magnitude_prune(model, 0.8)
    assert pr.sparsity(model)["global"] == pytest.approx(round(0.8 * total) / total)
    out = model(torch.randn(2, 1, 28, 28))
    pr.remove_masks(model)
    assert not any(n.endswith("_mask") for n, _ in model.named_buffers())
    assert out.shape == (2, 3) and model(torch.randn(2, 1, 28, 28)).shape == (2, 3)
    assert pr.sparsity(model)["global"] == pytest.approx(round(0.8 * total) / total)
    with pytest.raises(ValueError):
        pr.global_magnitude_prune(model, 1.0)


def test_checkpoint_bytes_and_sparse_linear():
    model = _tiny()
    dense = pr.checkpoint_bytes(model)
    assert set(dense) == {"dense", "dense+gzip", "csr", "csr+gzip"}
    pr.global_magnitude_prune(model, 0.95)
    sparse = pr.checkpoint_bytes(model)
    assert sparse["dense"] == pytest.approx(
        dense["dense"], rel=0.01
    )  # masks don't shrink a dense file
    assert sparse["csr"] < 0.3 * dense["dense"] and sparse["dense+gzip"] < 0.5 * dense["dense"]
    lin = nn.Linear(20, 7)
    with torch.no_grad():
        lin.weight.mul_(pr.magnitude_prune_mask(lin.weight, 0.7))
    x = torch.randn(5, 20)
    assert torch.allclose(pr.SparseLinear(lin)(x), lin(x), atol=1e-5)


def test_prune_channels_halves_widths_with_l1_ranking():
    model = _tiny()
    x = torch.zeros(1, 1, 28, 28)
    half = pr.prune_channels(model, x, 0.5)
    widths = [m.out_channels for m in half.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [m.out_channels // 2 for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert half.classifier.out_features == 3
    keep = pr.select_filters(model.stem[0], 0.5)
    assert torch.equal(half.stem[0].weight, model.stem[0].weight[keep])
    keep2 = pr.select_filters(model.features[0][0], 0.5)
    assert torch.equal(half.features[0][0].weight, model.features[0][0].weight[keep2][:, keep])
    assert half(torch.randn(2, 1, 28, 28)).shape == (2, 3)
    assert sum(p.numel() for p in model.parameters()) > 3 * sum(
        p.numel() for p in half.parameters()
    )


def test_slim_channels_removes_small_gammas():
    model = _tiny()
    torch.manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand_like(m.weight))
    t = pr.slimming_threshold(model, 0.4)
    n = len(pr.bn_gammas(model))
    slim = pr.slim_channels(model, torch.zeros(1, 1, 28, 28), t)
    assert len(pr.bn_gammas(slim)) == n - round(0.4 * n)
    assert (pr.bn_gammas(slim) >= t).all()
    assert slim(torch.randn(2, 1, 28, 28)).shape == (2, 3)
    # a layer whose channels are all below the threshold keeps its largest one
    one = pr.slim_channels(model, torch.zeros(1, 1, 28, 28), 10.0)
    assert all(m.num_features == 1 for m in one.modules() if isinstance(m, nn.BatchNorm2d))


def test_slimming_train_step_adds_l1_of_gammas():
    model = _tiny().train()
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([0, 1, 2, 0])
    plain = pr.slimming_train_step(0.0)(model, (x, y))
    penalised = pr.slimming_train_step(0.5)(model, (x, y))
    assert float(penalised - plain) == pytest.approx(
        0.5 * float(pr.bn_gammas(model).sum()), rel=1e-4
    )


def test_finetune_record_and_fingerprint(monkeypatch):
    monkeypatch.setenv("MEDEFF_FAST", "1")
    from torch.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(torch.rand(64, 1, 28, 28), torch.randint(0, 3, (64,)))
    loader = DataLoader(ds, batch_size=16)
    model = _tiny()
    fp = pr.state_fingerprint(model)
    rec = pr.finetune(model, loader, loader, steps=2)
    assert set(rec) == {"test_accuracy", "steps", "seconds"} and 0 <= rec["test_accuracy"] <= 1
    assert pr.state_fingerprint(model) != fp and len(fp) == 12


def test_seed_format_table_reproduces_seed_percentages():
    from medeff.seed_figures import NETWORK_SLIMMING

    rows = NETWORK_SLIMMING["CIFAR-10"]
    for base, pruned in [(rows[0], rows[1]), (rows[2], rows[4]), (rows[5], rows[7])]:
        p = 100 * (1 - pruned.params / base.params)
        f = 100 * (1 - pruned.flops / base.flops)
        assert abs(p - pruned.params_pruned) < 1.0 and abs(f - pruned.flops_pruned) < 1.0
    table = pr.seed_format_table(
        [
            {
                "model": "A (Baseline)",
                "test_error": 6.34,
                "params": 20.04e6,
                "flops": 7.97e8,
                "baseline": True,
            },
            {"model": "A (70% Pruned)", "test_error": 6.2, "params": 2.30e6, "flops": 3.91e8},
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 3 and "88.5%" in lines[2] and "50.9%" in lines[2] and "20.04M" in lines[1]


def test_slimming_optimizer_scales_the_bn_learning_rate():
    model = _tiny()
    opt = pr.slimming_optimizer(model, 1e-3, bn_lr_scale=10)
    rest, gammas = opt.param_groups
    assert rest["lr"] == pytest.approx(1e-3) and gammas["lr"] == pytest.approx(1e-2)
    n_bn = sum(1 for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert len(gammas["params"]) == n_bn
    assert len(rest["params"]) + n_bn == len(list(model.parameters()))


def test_refresh_masks_after_loading_allows_copy_and_counts_loaded_weights():
    import copy

    model = _tiny()
    pr.global_magnitude_prune(model, 0.5)
    trained = copy.deepcopy(pr.refresh_masks(model))
    with torch.no_grad():
        for m in pr.prunable_layers(trained).values():
            m.weight_orig.mul_(2.0)  # stands in for fine-tuning
    fresh = pr.global_magnitude_prune(_tiny(), 0.5)  # what a cache hit builds ...
    fresh.load_state_dict(trained.state_dict())  # ... and loads
    with pytest.raises(RuntimeError):
        copy.deepcopy(fresh)  # the masked weight still carries the build's autograd history
    pr.refresh_masks(fresh)
    copy.deepcopy(fresh)
    for name, m in pr.prunable_layers(fresh).items():
        t = pr.prunable_layers(trained)[name]
        torch.testing.assert_close(m.weight, t.weight_orig * t.weight_mask)
