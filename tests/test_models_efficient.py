"""Reference efficient blocks (medeff.models.efficient): shapes, costs, permutations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import medeff as me
from medeff.models import efficient as ef


@pytest.mark.parametrize("m,n,k,h", [(8, 16, 3, 14), (32, 64, 3, 7), (3, 5, 5, 9), (16, 16, 1, 4)])
def test_depthwise_separable_macs_formula_matches_counter(m, n, k, h):
    dw = nn.Sequential(
        nn.Conv2d(m, m, k, padding=k // 2, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False)
    )
    std = nn.Conv2d(m, n, k, padding=k // 2, bias=False)
    assert me.count_macs(dw, (m, h, h)) == ef.depthwise_separable_macs(m, n, k, h, h)
    assert me.count_macs(std, (m, h, h)) == ef.standard_conv_macs(m, n, k, h, h)
    ratio = ef.depthwise_separable_macs(m, n, k, h, h) / ef.standard_conv_macs(m, n, k, h, h)
    assert ratio == pytest.approx(1 / n + 1 / k**2)


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_separable_conv_structure(stride):
    block = ef.DepthwiseSeparableConv(12, 20, stride)
    out = block(torch.randn(2, 12, 10, 10))
    assert out.shape == (2, 20, 10 // stride, 10 // stride)
    assert block.depthwise.groups == 12 and block.depthwise.bias is None
    assert me.count_params(block) == 12 * 9 + 2 * 12 + 12 * 20 + 2 * 20
    assert (out >= 0).all()


def test_make_divisible():
    assert ef.make_divisible(32 * 0.75) == 24
    assert ef.make_divisible(3) == 8
    assert ef.make_divisible(100) == 104
    assert all(ef.make_divisible(v) >= 0.9 * v for v in range(1, 300))


@pytest.mark.parametrize("cin,cout,stride,t", [(16, 16, 1, 6), (16, 24, 2, 6), (8, 8, 1, 1)])
def test_inverted_residual(cin, cout, stride, t):
    block = ef.InvertedResidual(cin, cout, stride, t).eval()
    x = torch.randn(2, cin, 8, 8)
    out = block(x)
    assert out.shape == (2, cout, 8 // stride, 8 // stride)
    assert block.use_residual == (stride == 1 and cin == cout)
    if block.use_residual:
        assert torch.allclose(out - x, block.block(x), atol=1e-6)
    assert not isinstance(block.block[-1], (nn.ReLU, nn.ReLU6))  # linear bottleneck


@pytest.mark.parametrize("c,g", [(6, 2), (6, 3), (12, 4), (8, 8), (5, 1)])
def test_channel_shuffle_is_the_reference_permutation(c, g):
    x = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1).expand(2, c, 3, 3).contiguous()
    y = ef.channel_shuffle(x, g)
    expected = [gi * (c // g) + i for i in range(c // g) for gi in range(g)]
    assert y[0, :, 0, 0].tolist() == expected
    assert torch.equal(ef.channel_shuffle(y, c // g), x)  # inverse
    assert torch.equal(ef.ChannelShuffle(g)(x), y)


def test_channel_shuffle_rejects_bad_input():
    with pytest.raises(ValueError, match="groups"):
        ef.channel_shuffle(torch.zeros(1, 6, 2, 2), 4)
    with pytest.raises(ValueError, match="NCHW"):
        ef.channel_shuffle(torch.zeros(6, 2, 2), 2)


def test_shuffle_unit_shapes_and_residual():
    unit = ef.ShuffleUnit(16, 16, groups=2).eval()
    assert unit(torch.randn(2, 16, 8, 8)).shape == (2, 16, 8, 8)
    down = ef.ShuffleUnit(16, 48, groups=4, stride=2).eval()
    assert down(torch.randn(2, 16, 8, 8)).shape == (2, 48, 4, 4)
    assert down.compress[0].groups == 4 and down.expand[0].groups == 4
    with pytest.raises(ValueError):
        ef.ShuffleUnit(16, 24, groups=2, stride=1)
    with pytest.raises(ValueError):
        ef.ShuffleUnit(12, 24, groups=5, stride=2)


@pytest.mark.parametrize(
    "cin,cout,ratio,k,dw,stride,relu",
    [
        (8, 16, 2, 1, 3, 1, True),
        (5, 7, 3, 3, 3, 2, False),
        (16, 33, 2, 3, 5, 1, True),
        (4, 9, 4, 1, 1, 1, True),
    ],
)
def test_ghost_module_shapes_and_params(cin, cout, ratio, k, dw, stride, relu):
    mod = ef.GhostModule(
        cin, cout, ratio=ratio, kernel_size=k, dw_size=dw, stride=stride, relu=relu
    )
    out = mod(torch.randn(2, cin, 10, 10))
    h = (10 + 2 * (k // 2) - k) // stride + 1
    assert out.shape == (2, cout, h, h)
    init = math.ceil(cout / ratio)
    new = init * (ratio - 1)
    assert mod.cheap_operation[0].groups == init
    assert me.count_params(mod) == cin * init * k * k + 2 * init + new * dw * dw + 2 * new
    assert any(isinstance(m, nn.ReLU) for m in mod.modules()) == relu


def test_ghost_module_first_maps_are_the_primary_conv():
    mod = ef.GhostModule(6, 10, ratio=2, kernel_size=3).eval()
    x = torch.randn(1, 6, 7, 7)
    assert torch.allclose(mod(x)[:, :5], mod.primary_conv(x))


def test_ghost_module_cost_ratio_is_about_s():
    h = 14
    std = ef.conv_bn_relu(64, 64, 3)
    for s in (2, 3, 4):
        ghost = ef.GhostModule(64, 64, ratio=s, kernel_size=3, dw_size=3)
        r = me.count_macs(std, (64, h, h)) / me.count_macs(ghost, (64, h, h))
        assert s * 0.75 < r <= s + 0.5, (s, r)


@pytest.mark.parametrize("kind", ef.KINDS)
@pytest.mark.parametrize("width", [0.25, 0.5, 1.0, 2.0])
def test_make_classifier_all_kinds_and_widths(kind, width):
    model = ef.make_classifier(kind, width, num_classes=5)
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 5)
    assert me.count_params(model) > 0


def test_make_classifier_sizes_and_order():
    params = {k: me.count_params(ef.make_classifier(k, 1.0, 8)) for k in ef.KINDS}
    macs = {k: me.count_macs(ef.make_classifier(k, 1.0, 8), (1, 28, 28)) for k in ef.KINDS}
    assert 80_000 < params["standard"] < 130_000
    # every efficient family is cheaper than the standard net at the same width
    for k in ("mobilenet", "shufflenet", "ghost"):
        assert params[k] < params["standard"] and macs[k] < macs["standard"]
    # widths scale the cost monotonically
    for k in ef.KINDS:
        series = [me.count_macs(ef.make_classifier(k, w, 8), (1, 28, 28)) for w in (0.5, 1, 2)]
        assert series == sorted(series)
    assert ef.make_classifier("standard", 1.0, 3, in_channels=3)(
        torch.zeros(1, 3, 28, 28)
    ).shape == (1, 3)


def test_make_classifier_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        ef.make_classifier("resnet")
    with pytest.raises(ValueError, match="width"):
        ef.make_classifier("standard", 0)


def test_shuffle_unit_without_shuffle_keeps_groups_apart():
    torch.manual_seed(0)
    unit = ef.ShuffleUnit(16, 16, groups=2, shuffle=False).eval()
    shuffled = ef.ShuffleUnit(16, 16, groups=2).eval()
    shuffled.load_state_dict(unit.state_dict())
    x = torch.randn(1, 16, 6, 6)
    x2 = x.clone()
    x2[:, :8] += torch.randn(1, 8, 6, 6)  # perturb group 0 only
    with torch.no_grad():
        # the branch of the unit without shuffle: group 1's outputs cannot change
        def branch(u, t):
            c = u.compress(t)
            return u.expand(u.depthwise(ef.channel_shuffle(c, 2) if u.shuffle else c))

        assert torch.equal(branch(unit, x)[:, 8:], branch(unit, x2)[:, 8:])
        assert not torch.equal(branch(shuffled, x)[:, 8:], branch(shuffled, x2)[:, 8:])
    model = ef.make_classifier("shufflenet", 1.0, 4, shuffle=False)
    assert all(not u.shuffle for u in model.modules() if isinstance(u, ef.ShuffleUnit))


def test_train_or_load_trains_then_loads_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path))
    monkeypatch.setenv("MEDEFF_FAST", "1")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 28, 28, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    loaders = (loader, loader, loader)
    model, rec = ef.train_or_load(
        "mobilenet", 0.5, loaders, num_classes=3, epochs=1, data_tag="random"
    )
    assert not rec["cached"] and rec["params"] == me.count_params(model)
    assert rec["macs"] == me.count_macs(model, (1, 28, 28)) and 0 <= rec["test_accuracy"] <= 1
    again, rec2 = ef.train_or_load(
        "mobilenet", 0.5, loaders, num_classes=3, epochs=1, data_tag="random"
    )
    assert rec2["cached"] and rec2["test_accuracy"] == rec["test_accuracy"]
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    _, rec3 = ef.train_or_load(
        "mobilenet", 0.5, loaders, num_classes=3, epochs=1, data_tag="random", options={"groups": 4}
    )
    assert not rec3["cached"]  # a different configuration is a different cache entry


def test_ghost_module_arguments_after_out_channels_are_keyword_only():
    # huawei-noah's GhostModule(16, 32, 3) means kernel_size=3; medeff refuses the ambiguity
    with pytest.raises(TypeError):
        ef.GhostModule(16, 32, 3)
    assert ef.GhostModule(16, 32, ratio=3).primary_conv[0].out_channels == math.ceil(32 / 3)


@pytest.mark.parametrize("cin,mid,cout,stride", [(16, 48, 16, 1), (16, 48, 24, 1), (16, 64, 24, 2)])
def test_ghost_bottleneck(cin, mid, cout, stride):
    block = ef.GhostBottleneck(cin, mid, cout, stride=stride).eval()
    x = torch.randn(2, cin, 8, 8)
    assert block(x).shape == (2, cout, 8 // stride, 8 // stride)
    assert isinstance(block.shortcut, nn.Identity) == (stride == 1 and cin == cout)
    assert not any(isinstance(m, nn.ReLU) for m in block.ghost2.modules())  # linear projection
    if isinstance(block.shortcut, nn.Identity):
        with torch.no_grad():
            assert torch.allclose(block(x) - x, block.ghost2(block.ghost1(x)), atol=1e-6)


def test_resolution_option_resamples_and_scales_macs():
    full = ef.make_classifier("mobilenet", 1.0, 8)
    half = ef.make_classifier("mobilenet", 1.0, 8, resolution=14)
    assert half(torch.randn(2, 1, 28, 28)).shape == (2, 8)
    assert me.count_params(half) == me.count_params(full)
    assert me.count_macs(half, (1, 28, 28)) == me.count_macs(full, (1, 14, 14))


def test_ghost_options_and_width_for_macs():
    base = ef.classifier_macs("ghost", 1.0)
    assert (
        ef.classifier_macs("ghost", 1.0, ghost_ratio=4)
        < base
        < ef.classifier_macs("ghost", 1.0, ghost_dw=5)
    )
    target = ef.classifier_macs("mobilenet", 1.0)
    for kind in ("standard", "shufflenet", "ghost"):
        w = ef.width_for_macs(kind, target)
        assert 0.6 < ef.classifier_macs(kind, w) / target < 1.6, (kind, w)


def test_source_fingerprint_covers_what_can_change_weights(tmp_path):
    import shutil
    from pathlib import Path

    from medeff.model_cache import TOOLING, source_fingerprint

    pkg = Path(me.__file__).parent
    copy = tmp_path / "medeff"
    shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_fingerprint(copy)
    assert before == source_fingerprint(pkg)  # the same files, the same hash
    assert TOOLING <= {p.name for p in pkg.glob("*.py")}  # no stale names in the list
    for name in sorted(TOOLING):  # course tooling: editing it keeps the cached nets
        with open(copy / name, "a") as f:
            f.write("\n# changed\n")
    assert source_fingerprint(copy) == before
    for rel in ("training.py", "data/phantom.py", "models/efficient.py"):  # these can
        edited = tmp_path / rel.replace("/", "_")
        shutil.copytree(copy, edited)
        with open(edited / rel, "a") as f:
            f.write("\n# changed\n")
        assert source_fingerprint(edited) != before, rel


def _random_loaders(n=64, batch_size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=batch_size
    )
    return loader, loader, loader


def test_changing_a_training_setting_retrains(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path))
    monkeypatch.setenv("MEDEFF_FAST", "1")
    loaders = _random_loaders()
    args = dict(num_classes=3, epochs=1, lr=3e-3, batch_size=16, data_tag="random")
    _, first = ef.train_or_load("standard", 0.25, loaders, **args)
    assert not first["cached"]
    assert ef.train_or_load("standard", 0.25, loaders, **args)[1]["cached"]
    for change in ({"lr": 1e-3}, {"batch_size": 8}, {"epochs": 2}, {"seed": 1}):
        assert not ef.train_or_load("standard", 0.25, loaders, **(args | change))[1]["cached"], (
            change
        )
    # a change to the training loop (any medeff source) or to the fit settings retrains too
    monkeypatch.setattr(me.model_cache, "source_fingerprint", lambda: "edited-training-py")
    assert not ef.train_or_load("standard", 0.25, loaders, **args)[1]["cached"]
    monkeypatch.setattr(ef, "FIT_SETTINGS", ef.FIT_SETTINGS | {"optimizer": "sgd"})
    assert not ef.train_or_load("standard", 0.25, loaders, **args)[1]["cached"]
    # and different data with the same tag
    assert not ef.train_or_load("standard", 0.25, _random_loaders(seed=1), **args)[1]["cached"]


def test_train_or_load_weights_do_not_depend_on_what_ran_before(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_FAST", "1")
    loaders = _random_loaders()
    args = dict(num_classes=3, epochs=1, data_tag="random", cache=False)
    alone, _ = ef.train_or_load("mobilenet", 0.25, loaders, **args)
    for _ in loaders[0]:  # consume the caller's loader (advances its shuffling, if any)
        pass
    ef.train_or_load("standard", 0.25, loaders, **args)
    after, _ = ef.train_or_load("mobilenet", 0.25, loaders, **args)
    for a, b in zip(alone.state_dict().values(), after.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_course_nets_summarizes_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDEFF_CACHE", str(tmp_path))
    monkeypatch.setenv("MEDEFF_FAST", "1")
    monkeypatch.setitem(ef._COURSE_LOADERS, True, _random_loaders())
    nets, summary = ef.course_nets("mobilenet", 0.25, seeds=(0, 1))
    assert len(nets) == 2 and len(summary["accuracies"]) == 2 and not summary["cached"]
    assert summary["mean"] == pytest.approx(sum(summary["accuracies"]) / 2)
    again, summary2 = ef.course_nets("mobilenet", 0.25, seeds=(0, 1))
    assert summary2["cached"] and summary2["accuracies"] == summary["accuracies"]


def test_zoo_table_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    s = {
        "kind": "shufflenet",
        "width": 2.75,
        "options": {"groups": 8, "shuffle": False},
        "macs": 1000,
        "params": 10,
        "accuracies": [0.5, 0.7],
        "mean": 0.6,
        "std": 0.1414,
        "train_seconds": 3.0,
        "cached": False,
    }
    assert ef.zoo_name(s) == "shufflenet x2.75 g=8 no shuffle"
    table = ef.zoo_table([s, s | {"cached": True}])
    assert "0.600 +- 0.141 (n=2)" in table and "cached" in table
    ax = ef.plot_zoo({"family": [s, s | {"macs": 2000, "mean": 0.7}]})
    assert len(ax.lines) >= 1 and ax.get_xscale() == "log"


def test_separated_needs_twice_the_combined_spread_and_two_seeds():
    a = {"accuracies": [0.80, 0.84], "mean": 0.82, "std": 0.03}
    b = {"accuracies": [0.70, 0.72], "mean": 0.71, "std": 0.04}  # gap 0.11 > 2 * 0.05
    assert ef.separated(a, b) and ef.separated(b, a)
    assert not ef.separated(a, b | {"mean": 0.73})  # gap 0.09 < 0.10
    assert ef.separated(a, b | {"mean": 0.73}, k=1)
    one = {"accuracies": [0.5], "mean": 0.5, "std": 0.0}
    assert not ef.separated(one, a) and not ef.separated(a, one)  # one seed: no spread known
