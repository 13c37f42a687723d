"""medeff.counting and medeff.latency: exact MACs against formulas, sizes, restored state.

MAC expectations are computed here from the layer formulas (never copied from a tool);
latency tests check structure and restored state, never timing values.
"""

from __future__ import annotations

import math
import random
import warnings

import pytest
import torch
import torchvision
from torch import nn
from torch.nn.utils import prune

import medeff as me
from medeff import seed_figures as sf

RNG_SEEDS = range(4)


def conv_out(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def conv_macs_formula(batch: int, cin: int, cout: int, groups: int, kernel, out_sizes) -> int:
    """N * prod(K) * C_in/g * C_out * prod(out): one MAC per weight per output position."""
    return batch * math.prod(kernel) * (cin // groups) * cout * math.prod(out_sizes)


# ---------------------------------------------------------------- exact MACs per layer type
CONV2D_KINDS = ["standard", "grouped", "depthwise", "dilated", "strided"]


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("kind", CONV2D_KINDS)
def test_conv2d_macs_exact(kind, seed):
    r = random.Random(f"{kind}-{seed}")
    groups = {"grouped": r.choice([2, 3, 4]), "depthwise": None}.get(kind, 1)
    cin = r.randint(1, 6) * (groups or 1) if kind != "depthwise" else r.randint(2, 24)
    groups = cin if kind == "depthwise" else groups
    cout = (r.randint(1, 4) * groups) if kind != "depthwise" else cin * r.choice([1, 2])
    kh, kw = r.choice([1, 3, 5]), r.choice([1, 3, 5])
    stride = r.choice([2, 3]) if kind == "strided" else 1
    dilation = r.choice([2, 3]) if kind == "dilated" else 1
    pad = r.randint(0, 2)
    h, w = r.randint(12, 30), r.randint(12, 30)
    batch = r.randint(1, 3)
    layer = nn.Conv2d(
        cin,
        cout,
        (kh, kw),
        stride=stride,
        padding=pad,
        dilation=dilation,
        groups=groups,
        bias=r.random() < 0.5,
    )
    outs = [conv_out(h, kh, stride, pad, dilation), conv_out(w, kw, stride, pad, dilation)]
    expected = conv_macs_formula(batch, cin, cout, groups, (kh, kw), outs)
    assert me.count_macs(layer, torch.randn(batch, cin, h, w)) == expected


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("dims", [1, 3])
def test_conv1d_conv3d_macs_exact(dims, seed):
    r = random.Random(f"{dims}-{seed}")
    groups = r.choice([1, 2])
    cin, cout = 2 * r.randint(1, 4), 2 * r.randint(1, 4)
    k = [r.choice([1, 3]) for _ in range(dims)]
    sizes = [r.randint(5, 12 if dims == 3 else 40) for _ in range(dims)]
    stride, pad = r.choice([1, 2]), r.randint(0, 1)
    cls = nn.Conv1d if dims == 1 else nn.Conv3d
    layer = cls(cin, cout, tuple(k), stride=stride, padding=pad, groups=groups)
    outs = [conv_out(s, kk, stride, pad, 1) for s, kk in zip(sizes, k, strict=True)]
    expected = conv_macs_formula(2, cin, cout, groups, k, outs)
    assert me.count_macs(layer, torch.randn(2, cin, *sizes)) == expected


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_linear_macs_exact(seed):
    r = random.Random(seed)
    n, t, fin, fout = r.randint(1, 4), r.randint(1, 5), r.randint(1, 64), r.randint(1, 64)
    layer = nn.Linear(fin, fout, bias=r.random() < 0.5)
    assert me.count_macs(layer, torch.randn(n, fin)) == n * fin * fout
    assert me.count_macs(layer, torch.randn(n, t, fin)) == n * t * fin * fout


class FunctionalNet(nn.Module):
    """A Linear layer followed by a functional matmul that no leaf module owns."""

    def __init__(self, fin: int, hidden: int, fout: int):
        super().__init__()
        self.fc = nn.Linear(fin, hidden)
        self.w = nn.Parameter(torch.randn(hidden, fout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x)) @ self.w


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_functional_matmul_counted_and_in_breakdown(seed):
    r = random.Random(seed)
    n, t, fin, hidden, fout = (
        r.randint(1, 4),
        r.randint(2, 6),
        r.randint(2, 32),
        r.randint(2, 32),
        r.randint(2, 32),
    )
    model = FunctionalNet(fin, hidden, fout)
    x = torch.randn(n, t, fin)
    linear, matmul = n * t * fin * hidden, n * t * hidden * fout
    assert me.count_macs(model, x) == linear + matmul
    rows = me.mac_breakdown(model, x)
    assert [(row.name, row.macs) for row in rows] == [("fc", linear), ("(functional)", matmul)]
    assert rows[0].params == fin * hidden + hidden
    assert rows[0].output_shape == (n, t, hidden)


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 5),
    )


def small_cnn_macs(h: int, w: int) -> int:
    return 9 * 3 * 8 * h * w + 9 * 8 * h * w + 8 * 16 * (h // 2) * (w // 2) + 16 * 5


def test_mac_breakdown_sums_to_count_macs_and_follows_execution_order():
    model = small_cnn()
    rows = me.mac_breakdown(model, (3, 16, 12))
    assert sum(r.macs for r in rows) == me.count_macs(model, (3, 16, 12)) == small_cnn_macs(16, 12)
    assert [r.name for r in rows] == [str(i) for i in range(len(model))]
    assert sum(r.params for r in rows) == me.count_params(model)
    assert rows[7].output_shape == (1, 16, 8, 6) and rows[7].kind == "Conv2d"
    assert all(r.macs == 0 for r in rows if r.kind in {"BatchNorm2d", "ReLU", "MaxPool2d"})
    assert not any(m._forward_hooks for m in model.modules()), "hooks must be removed"


def test_mac_breakdown_of_a_single_layer_names_the_layer():
    layer = nn.Conv2d(3, 4, 3)
    (row,) = me.mac_breakdown(layer, (3, 10, 10))
    assert row.kind == "Conv2d" and row.macs == 9 * 3 * 4 * 64 and row.params == 112


# ---------------------------------------------------------------- thop vs papers' convention
def test_thop_counts_more_and_leaves_the_model_alone():
    torch.manual_seed(0)
    model = small_cnn()
    model(torch.randn(4, 3, 16, 12))  # train-mode pass: non-trivial BN running stats
    model.train()
    model[4].eval()  # mixed flags must come back exactly
    flags = [m.training for m in model.modules()]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    thop = me.thop_macs(model, (3, 16, 12))
    ours = me.count_macs(model, (3, 16, 12))
    assert thop > ours == small_cnn_macs(16, 12)
    assert me.thop_macs(model, (3, 16, 12)) == thop  # a second profile works and agrees
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(hasattr(m, "total_ops") for m in model.modules())
    model.load_state_dict(before, strict=True)
    assert [m.training for m in model.modules()] == flags


def test_count_macs_and_breakdown_restore_training_mode_and_buffers():
    model = small_cnn().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    me.count_macs(model, (3, 8, 8))
    me.mac_breakdown(model, (3, 8, 8))
    assert all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# ---------------------------------------------------------------- parameters and bytes
def test_count_params_counts_shared_parameters_once():
    tied = nn.Sequential(nn.Linear(6, 6, bias=False), nn.ReLU(), nn.Linear(6, 6))
    tied[2].weight = tied[0].weight
    assert me.count_params(tied) == 36 + 6
    reused = nn.Linear(5, 5)
    twice = nn.Sequential(reused, nn.ReLU(), reused)
    assert me.count_params(twice) == 30


def test_count_params_nonzero_only_with_prune_masks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 4))
    dense = 20 * 30 + 30 + 30 * 4 + 4
    prune.l1_unstructured(model[0], "weight", amount=0.6)
    prune.random_unstructured(model[2], "weight", amount=0.25)
    kept = int(model[0].weight_mask.sum()) + int(model[2].weight_mask.sum())
    assert kept == round(0.4 * 600) + round(0.75 * 120)
    assert me.count_params(model) == dense  # masks only: the stored tensors are dense
    assert me.count_params(model, nonzero_only=True) == kept + 30 + 4


def quantized_mlp_pair(width: int = 512):
    torch.manual_seed(0)
    fp32 = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = torch.ao.quantization.quantize_dynamic(fp32, {nn.Linear}, dtype=torch.qint8)
    return fp32, int8


def test_model_size_bytes_by_dtype():
    fp32, int8 = quantized_mlp_pair()
    n_weights = 512 * 512 + 512 * 10
    n_bias = 512 + 10
    assert me.model_size_bytes(fp32) == 4 * (n_weights + n_bias)
    assert me.model_size_bytes(fp32.half()) == 2 * (n_weights + n_bias)
    # int8 weights, float32 biases, per layer one float32 scale and one int64 zero point
    assert me.model_size_bytes(int8) == n_weights + 4 * n_bias + 2 * (4 + 8)
    ratio = me.model_size_bytes(fp32.float()) / me.model_size_bytes(int8)
    assert 3.9 < ratio < 4.0


def test_serialized_size_tracks_tensor_bytes():
    fp32, int8 = quantized_mlp_pair()
    for model in (fp32, int8):
        data, file = me.model_size_bytes(model), me.serialized_size_bytes(model)
        assert data <= file < data + 16_384  # pickle/zip bookkeeping only
    assert 3.5 < me.serialized_size_bytes(fp32) / me.serialized_size_bytes(int8) < 4.0


# ---------------------------------------------------------------- latency: structure only
def test_measure_latency_structure_and_restored_state():
    model = small_cnn().train()
    torch.set_num_threads(1)
    lat = me.measure_latency(model, (3, 16, 16), warmup=1, runs=5, threads=2)
    assert torch.get_num_threads() == 1
    assert all(m.training for m in model.modules())
    assert lat.runs == 5 == len(lat.samples_ms) and lat.threads == 2
    assert lat.median_ms > 0 and lat.iqr_ms >= 0
    assert lat.p10_ms <= lat.median_ms <= lat.p90_ms
    assert min(lat.samples_ms) <= lat.median_ms <= max(lat.samples_ms)


def test_measure_latency_max_seconds_stops_after_three_runs():
    lat = me.measure_latency(small_cnn(), (3, 16, 16), warmup=0, runs=50, max_seconds=0.0)
    assert lat.runs == 3


def test_compare_latency_structure():
    a, b = small_cnn().train(), small_cnn().eval()
    res = me.compare_latency(a, b, (3, 16, 16), example_b=(3, 8, 8), warmup=1, runs=4)
    assert res.a.runs == res.b.runs == 4
    assert res.speedup == pytest.approx(res.a.median_ms / res.b.median_ms)
    assert 0 < res.paired_ratio_p10 <= res.paired_ratio_p90
    assert all(m.training for m in a.modules()) and not any(m.training for m in b.modules())
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [dict(runs=0), dict(warmup=-1), dict(threads=0)])
def test_measure_latency_rejects_bad_settings(bad):
    with pytest.raises(ValueError):
        me.measure_latency(nn.Linear(2, 2), torch.randn(1, 2), **bad)


# ---------------------------------------------------------------- clear errors
HELPERS = [me.count_macs, me.mac_breakdown, me.thop_macs, me.measure_latency]


@pytest.mark.parametrize("helper", HELPERS)
def test_non_module_is_a_type_error(helper):
    with pytest.raises(TypeError, match="nn.Module"):
        helper(lambda x: x, (3, 8, 8))
    with pytest.raises(TypeError):
        me.count_params("resnet50")


@pytest.mark.parametrize("helper", HELPERS)
def test_missing_batch_dimension_is_explained(helper):
    with pytest.raises(ValueError, match="batch dimension"):
        helper(small_cnn(), torch.randn(3, 16, 16))


@pytest.mark.parametrize("helper", HELPERS)
def test_wrong_channel_count_names_the_input_shape(helper):
    with pytest.raises(ValueError, match=r"\(1, 4, 16, 16\)"):
        helper(small_cnn(), torch.randn(1, 4, 16, 16))


# ---------------------------------------------------------------- the slides' figures (2%)
SEED_CHECKS = [
    (
        "VGG-16",
        lambda: torchvision.models.vgg16(weights=None),
        224,
        sf.POPULAR_DNN_MODELS["VGG-16"].total_macs,
    ),
    (
        "ResNet-50",
        lambda: torchvision.models.resnet50(weights=None),
        224,
        sf.MODEL_SIZES["ResNet-50"].macs,
    ),
    (
        "MobileNetV2",
        lambda: torchvision.models.mobilenet_v2(weights=None),
        224,
        sf.MODEL_SIZES["MobileNet v2"].macs,
    ),
    (
        "EfficientNet-B4",
        lambda: torchvision.models.efficientnet_b4(weights=None),
        380,
        sf.POPULAR_DNN_MODELS["EfficientNet-B4"].total_macs,
    ),
]


@pytest.mark.parametrize("name,build,size,quoted", SEED_CHECKS, ids=[c[0] for c in SEED_CHECKS])
def test_count_macs_within_two_percent_of_the_slides(name, build, size, quoted):
    macs = me.count_macs(build(), (3, size, size))
    assert abs(sf.percent_diff(macs, quoted)) < 2.0, f"{name}: {macs / 1e9:.3f}G"


def test_percent_diff():
    assert sf.percent_diff(110, 100) == pytest.approx(10.0)
    assert sf.percent_diff(95, 100) == pytest.approx(-5.0)
    with pytest.raises(ValueError):
        sf.percent_diff(1, 0)


@pytest.mark.parametrize("name", list(sf.POPULAR_DNN_MODELS))
def test_seed_table_rows_add_up(name):
    """Guards against typos in the transcribed slide: conv + FC = total, up to rounding."""
    m = sf.POPULAR_DNN_MODELS[name]
    assert m.conv_weights + m.fc_weights == pytest.approx(m.total_weights, rel=0.02)
    assert m.conv_macs + m.fc_macs == pytest.approx(m.total_macs, rel=0.02)
    assert m.fc_macs == m.fc_weights  # one MAC per FC weight for a single image


@pytest.mark.parametrize(
    "quoted,half",
    [
        (2e6, 5e5),
        (23.5e6, 5e4),
        (4.4e9, 5e7),
        (341e3, 500),
        (60e3, 5e3),
        (1.43e9, 5e6),
        (0.5, 0.05),
    ],
)
def test_rounding_halfwidth(quoted, half):
    assert sf.rounding_halfwidth(quoted) == pytest.approx(half)


def test_agrees_uses_the_larger_of_rounding_and_relative_tolerance():
    assert sf.agrees(2.049e6, 2e6)  # 2.5% off, but "2M" means [1.5M, 2.5M)
    assert not sf.agrees(2.6e6, 2e6)
    assert sf.agrees(15.47e9, 15.5e9)  # 0.2%
    assert not sf.agrees(1.498e9, 1.43e9)  # 4.8%, beyond both
    assert sf.agrees(1.498e9, 1.43e9, rel=0.05)
