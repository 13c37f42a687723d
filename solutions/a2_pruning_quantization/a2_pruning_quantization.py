# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Assignment 2: Pruning and quantization
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency". Read lectures
# 04 (pruning) and 05 (quantization) first.*
#
# **Goals.** Write the core operations of the two compression lectures yourself, from
# their definitions, and apply them to a small trained organ classifier:
#
# | question | what | points |
# | --- | --- | --- |
# | 1 | `magnitude_prune_mask`: unstructured magnitude pruning | 10 |
# | 2 | `select_filters`: L1-norm filter ranking (structured pruning) | 10 |
# | 3 | `slimming_threshold`: the global threshold of network slimming | 10 |
# | 4 | `prune_model`, `accuracy_vs_sparsity`: prune the trained net, report accuracy | 10 |
# | 5 | written: why a sparse net is not faster (graded by hand) | 5 |
# | 6 | written: one global threshold vs. a fixed ratio per layer (graded by hand) | 5 |
# | 7 | `quantize_params`: scale and zero point | 10 |
# | 8 | `quantize`: float to integers | 10 |
# | 9 | `dequantize`: integers back to float | 5 |
# | 10 | `fake_quantize_ste`: fake quantization with a straight-through estimator | 10 |
# | 11 | `quantize_model`, `quantization_report`: quantize the trained net, report the error | 10 |
# | 12 | written: what the bit width does, and what QAT fixes (graded by hand) | 5 |
#
# 12 questions, 100 points: 85 graded automatically, 15 (three short written answers)
# graded by hand. The network trains in a few seconds the first time and is cached after.
#
# **Rules.** Write your code between `# YOUR CODE HERE` and the end of the cell (delete the
# `raise NotImplementedError()`). Do not rename the functions. Define them in this
# notebook: `medeff` contains reference versions of the graded functions
# (`me.pruning.*`, `me.quantization.*`), and **while your answer is graded they, and the
# medeff helpers that compute the same thing (e.g. medeff's fake quantizers), are made
# unusable** (they raise `ReferenceUnavailable`), so an answer that imports or wraps them
# scores nothing. You may use anything from PyTorch. The visible checks under each
# question are a subset of the grading tests; hidden tests use random inputs and compare
# your results with reference implementations, within the tolerances stated. **Each
# question is graded on its own**: where a question calls a function of an earlier
# question, the tests call the reference version in its place, so one mistake is not
# paid twice.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import warnings

import torch
from torch import nn

import medeff as me

# nbgrader scores a test cell that prints to stderr as failed: a harmless warning from your
# code must not cost points, so warnings are not shown.
warnings.simplefilter("ignore")
me.set_seed(0)
# One thread: the networks here are tiny (a second thread saves nothing), and autograding
# runs many notebooks side by side.
torch.set_num_threads(1)
print(f"torch {torch.__version__}, fast mode: {me.is_fast()}")

# %% [markdown]
# # Part A: Pruning
#
# The seed's recipe for pruning is "remove weights close to zero, retrain, repeat".
# **Unstructured** pruning zeroes single weights (a mask of the weight's shape);
# **structured** pruning removes whole filters or channels, so the remaining layers are
# smaller dense layers that run faster on ordinary hardware.
#
# ## Unstructured magnitude pruning
#
# ### Question 1 (10 points)
#
# Write `magnitude_prune_mask(weight, sparsity)` returning a **mask**: a tensor with the
# shape and dtype of `weight`, holding 1 for the weights that stay and 0 for the pruned
# ones, such that
#
# - exactly $k = \operatorname{round}(\text{sparsity}\cdot\text{numel})$ entries are 0,
#   where `round` is Python's built-in `round` (round half to even: `round(2.5) == 2`);
# - the pruned entries are those of smallest magnitude $|w|$ (every pruned $|w|$ is
#   $\le$ every kept $|w|$; among equal magnitudes you may choose any);
# - `weight` itself is not modified (it may be a layer's `nn.Parameter`);
# - `ValueError` is raised unless $0 \le \text{sparsity} < 1$.
#
# Hints:
# - [`torch.abs`](https://pytorch.org/docs/stable/generated/torch.abs.html),
#   [`torch.argsort`](https://pytorch.org/docs/stable/generated/torch.argsort.html)
#   (or [`torch.topk`](https://pytorch.org/docs/stable/generated/torch.topk.html)),
#   [`torch.Tensor.flatten`](https://pytorch.org/docs/stable/generated/torch.Tensor.flatten.html),
#   [`torch.ones`](https://pytorch.org/docs/stable/generated/torch.ones.html).
# - A threshold `|w| > t` prunes *more* than $k$ entries when several weights share the
#   magnitude $t$: count what you prune.
# - [`torch.nn.utils.prune`](https://pytorch.org/docs/stable/nn.html#utilities) computes
#   such masks for a module (`prune.l1_unstructured`); it keeps the mask beside the weight.

# %% nbgrader={"grade": false, "grade_id": "q1-solution", "locked": false, "schema_version": 3, "solution": true}
def magnitude_prune_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Mask (weight's shape and dtype; 1 keep, 0 prune) zeroing the round(sparsity * numel)
    entries of smallest |w|."""
    ### BEGIN SOLUTION
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must satisfy 0 <= sparsity < 1, got {sparsity}")
    k = round(sparsity * weight.numel())
    mask = torch.ones(weight.numel(), dtype=weight.dtype, device=weight.device)
    if k > 0:
        smallest = torch.argsort(weight.detach().abs().flatten(), stable=True)[:k]
        mask[smallest] = 0
    return mask.reshape(weight.shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q1-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
# Visible checks (the grading tests include these and more).
_w = torch.tensor([[0.5, -0.1, 2.0], [-3.0, 0.05, 1.0]])
_m = magnitude_prune_mask(_w, 0.5)
assert _m.shape == _w.shape and _m.dtype == _w.dtype, "the mask has the weight's shape and dtype"
assert _m.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]], f"got {_m.tolist()}: prune 0.05, -0.1 and 0.5"
assert magnitude_prune_mask(_w, 0.0).eq(1).all(), "sparsity 0 keeps everything"
assert int((magnitude_prune_mask(torch.randn(10, 10), 0.37) == 0).sum()) == 37, "round(0.37 * 100) = 37 zeros"
try:
    magnitude_prune_mask(_w, 1.0)
except ValueError:
    pass
else:
    raise AssertionError("sparsity 1.0 must raise ValueError (0 <= sparsity < 1)")
### BEGIN HIDDEN TESTS
import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_P = _g.trusted("medeff.pruning")
_g.defined_in_notebook(magnitude_prune_mask, "magnitude_prune_mask")
_gen = _g.rng(2101)
_shapes = [(7,), (5, 9), (8, 3, 3, 3), (16, 4, 1, 1), (3, 5, 2, 2), (10,)]
_cases = [(_torch.randn(_shapes[i % len(_shapes)], generator=_gen) * (i + 1),
           float(_torch.rand((), generator=_gen)) * 0.99) for i in range(14)]
_cases += [(_torch.randn(10, generator=_gen), 0.37),  # 3.7 entries: round, not floor
           (_torch.randn(7, generator=_gen), 0.5),    # 3.5 entries: round half to even -> 4
           (_torch.randn(6, 6, generator=_gen), 0.0),
           (_torch.randint(-3, 4, (6, 6), generator=_gen).float(), 0.5),  # many ties
           (_torch.randn(4, 4, generator=_gen).double(), 0.3),
           (_nn.Parameter(_torch.randn(4, 3, 3, 3, generator=_gen)), 0.6)]  # requires grad
_befores = [_w.detach().clone() for _w, _s in _cases]
with _g.unusable("medeff.pruning.magnitude_prune_mask"):  # one block (entering it scans all objects)
    _masks = [magnitude_prune_mask(_w, _s) for _w, _s in _cases]
for (_w, _s), _before, _m in zip(_cases, _befores, _masks, strict=True):
    _what = f"magnitude_prune_mask(<{tuple(_w.shape)} {str(_w.dtype)[6:]} tensor>, {_s:.4f})"
    _k = round(_s * _w.numel())
    assert isinstance(_m, _torch.Tensor), f"{_what}: returned a {type(_m).__name__}, expected a tensor"
    assert tuple(_m.shape) == tuple(_w.shape) and _m.dtype == _w.dtype, (
        f"{_what}: mask of shape {tuple(_m.shape)} and dtype {_m.dtype}, "
        f"expected {tuple(_w.shape)} and {_w.dtype}")
    _m = _m.detach()
    assert bool(((_m == 0) | (_m == 1)).all()), f"{_what}: the mask must hold only 0 and 1"
    assert _torch.equal(_w.detach(), _before), f"{_what}: the weight was modified"
    _zeros = int((_m == 0).sum())
    assert _zeros == _k, f"{_what}: {_zeros} entries pruned, expected round({_s:.4f} * {_w.numel()}) = {_k}"
    _mag = _w.detach().abs()
    if 0 < _k < _w.numel():
        _hi, _lo = _mag[_m == 0].max().item(), _mag[_m == 1].min().item()
        assert _hi <= _lo, (f"{_what}: a pruned weight has |w| = {_hi:.4g} but a kept one has "
                            f"|w| = {_lo:.4g}: prune the smallest magnitudes")
    if _mag.flatten().unique().numel() == _w.numel():  # no ties: the mask is unique
        _g.assert_close(_m, _P.magnitude_prune_mask(_w, _s), atol=0, rtol=0, what=_what)
with _g.unusable("medeff.pruning.magnitude_prune_mask"):
    for _s in (1.0, 1.2, -0.1):
        _g.assert_raises(ValueError, magnitude_prune_mask, _torch.randn(5, 5), _s,
                         what=f"magnitude_prune_mask(w, {_s})")
### END HIDDEN TESTS

# %% [markdown]
# ## Structured pruning: L1-norm filter ranking
#
# Li et al. ("Pruning Filters for Efficient ConvNets", ICLR 2017) rank the output filters
# of a convolution by the L1 norm of their weights, $s_j = \sum_{c,u,v} |W_{j,c,u,v}|$, and
# remove the filters with the smallest sums (and, with them, the matching input channels
# of the next layer).
#
# ### Question 2 (10 points)
#
# Write `select_filters(conv, keep_ratio)` for an `nn.Conv2d` `conv`: return the indices
# of the $n = \max(1, \operatorname{round}(\text{keep\_ratio}\cdot\text{out\_channels}))$
# output filters with the **largest** L1 norms (Python's `round`), as a 1-D
# `torch.long` tensor **sorted in increasing order** (so `conv.weight[idx]` keeps the
# filters in their original order). `0 < keep_ratio <= 1`; the tests use filters whose
# norms are all different.
#
# Hints:
# - The weight of `nn.Conv2d` has shape `(out_channels, in_channels / groups, kH, kW)`
#   ([`torch.nn.Conv2d`](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html)).
# - [`torch.Tensor.sum`](https://pytorch.org/docs/stable/generated/torch.sum.html) over
#   several dims, [`torch.topk`](https://pytorch.org/docs/stable/generated/torch.topk.html),
#   [`torch.sort`](https://pytorch.org/docs/stable/generated/torch.sort.html).

# %% nbgrader={"grade": false, "grade_id": "q2-solution", "locked": false, "schema_version": 3, "solution": true}
def select_filters(conv: nn.Conv2d, keep_ratio: float) -> torch.Tensor:
    """Sorted indices of the max(1, round(keep_ratio * out_channels)) filters of largest L1 norm."""
    ### BEGIN SOLUTION
    norms = conv.weight.detach().abs().sum(dim=(1, 2, 3))
    n = max(1, round(keep_ratio * conv.out_channels))
    return torch.topk(norms, n).indices.sort().values.long()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q2-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_conv = nn.Conv2d(2, 4, 1, bias=False)
with torch.no_grad():  # L1 norms of the 4 filters: 3, 1, 4, 2
    _conv.weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.5], [-4.0, 0.0], [1.0, 1.0]]).view(4, 2, 1, 1))
_idx = select_filters(_conv, 0.5)
assert isinstance(_idx, torch.Tensor) and _idx.dtype == torch.long, "return a torch.long tensor"
assert _idx.tolist() == [0, 2], f"got {_idx.tolist()}, expected [0, 2] (norms 3 and 4), sorted"
assert select_filters(_conv, 0.1).tolist() == [2], "keep at least one filter: max(1, round(0.4)) = 1"
assert select_filters(_conv, 1.0).tolist() == [0, 1, 2, 3], "keep_ratio 1 keeps every filter"
### BEGIN HIDDEN TESTS
import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_P = _g.trusted("medeff.pruning")
_g.defined_in_notebook(select_filters, "select_filters")
_gen = _g.rng(2102)
_cases = []
for _i in range(12):
    _cin, _cout = int(_torch.randint(1, 9, (), generator=_gen)), int(_torch.randint(2, 40, (), generator=_gen))
    _k = [1, 3, 5][_i % 3]
    _c = _nn.Conv2d(_cin, _cout, _k, bias=_i % 2 == 0)
    with _torch.no_grad():
        _c.weight.copy_(_torch.randn(_c.weight.shape, generator=_gen))
    _cases.append((_c, float(_torch.rand((), generator=_gen)) * 0.9 + 0.1))
_dw = _nn.Conv2d(12, 12, 3, groups=12, bias=False)  # depthwise: one input channel per filter
with _torch.no_grad():
    _dw.weight.copy_(_torch.randn(_dw.weight.shape, generator=_gen))
_cases += [(_dw, 0.5), (_cases[0][0], 1.0), (_cases[1][0], 0.01), (_cases[2][0], 0.37)]
# L1 and L2 rank these two filters differently: L1 norms 4 and 3, L2 norms 2 and 3
_l1 = _nn.Conv2d(1, 2, 2, bias=False)
with _torch.no_grad():
    _l1.weight.copy_(_torch.tensor([[1.0, -1.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0]]).view(2, 1, 2, 2))
_cases.append((_l1, 0.5))
for _c, _r in _cases:
    _what = (f"select_filters(Conv2d({_c.in_channels}, {_c.out_channels}, {_c.kernel_size[0]}, "
             f"groups={_c.groups}), {_r:.4f})")
    _want = _P.select_filters(_c, _r)
    _before = _c.weight.detach().clone()
    with _g.unusable("medeff.pruning.select_filters", "medeff.pruning.filter_l1_norms"):
        _got = select_filters(_c, _r)
    assert isinstance(_got, _torch.Tensor) and _got.dtype == _torch.long, (
        f"{_what}: returned {type(_got).__name__} {getattr(_got, 'dtype', '')}, expected a torch.long tensor")
    assert _got.dim() == 1, f"{_what}: a 1-D tensor of indices, got shape {tuple(_got.shape)}"
    assert _torch.equal(_c.weight.detach(), _before), f"{_what}: the conv's weight was modified"
    assert _got.tolist() == _want.tolist(), (
        f"{_what}: got {_got.tolist()}, expected {_want.tolist()} "
        f"(keep max(1, round({_r:.4f} * {_c.out_channels})) = {_want.numel()} filters of largest "
        "L1 norm, sorted increasingly)")
### END HIDDEN TESTS

# %% [markdown]
# ## Network slimming
#
# Network slimming (Liu et al., ICCV 2017) trains with an L1 penalty on the BatchNorm
# scale factors $\gamma$, then removes the channels whose $|\gamma|$ is small, with **one
# threshold for the whole network**, so layers that need fewer channels lose more.
#
# ### Question 3 (10 points)
#
# Write `slimming_threshold(model, prune_ratio)` returning that global threshold as a
# Python `float`, with exactly this convention:
#
# 1. collect $|\gamma|$ (the absolute value of `weight`) of every channel of every
#    `nn.BatchNorm2d` module in `model` (other normalization layers, e.g. `BatchNorm1d`,
#    do not count), $n$ values in total;
# 2. sort them in increasing order;
# 3. $k = \operatorname{round}(\text{prune\_ratio}\cdot n)$ (Python's `round`), capped at
#    $n - 1$ so one channel always survives;
# 4. return the sorted value at 0-based index $k$ (the $(k+1)$-th smallest).
#
# The channels with $|\gamma| <$ threshold are then pruned: $k$ of them when the values
# are distinct. `0 <= prune_ratio < 1`; `prune_ratio = 0` returns the smallest $|\gamma|$.
#
# Hints:
# - [`torch.nn.Module.modules`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.modules),
#   [`torch.cat`](https://pytorch.org/docs/stable/generated/torch.cat.html),
#   [`torch.sort`](https://pytorch.org/docs/stable/generated/torch.sort.html),
#   [`torch.Tensor.item`](https://pytorch.org/docs/stable/generated/torch.Tensor.item.html).

# %% nbgrader={"grade": false, "grade_id": "q3-solution", "locked": false, "schema_version": 3, "solution": true}
def slimming_threshold(model: nn.Module, prune_ratio: float) -> float:
    """Global threshold on |gamma| of all BatchNorm2d channels (network slimming)."""
    ### BEGIN SOLUTION
    gammas = torch.cat([m.weight.detach().abs().flatten() for m in model.modules()
                        if isinstance(m, nn.BatchNorm2d)])
    values = torch.sort(gammas).values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[k])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q3-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6))
with torch.no_grad():
    _net[1].weight.copy_(torch.tensor([0.9, -0.05, 0.3, 0.02]))
    _net[3].weight.copy_(torch.tensor([0.5, 0.01, -0.7, 0.04, 0.2, 0.6]))
# |gamma| sorted: 0.01 0.02 0.04 0.05 0.2 0.3 0.5 0.6 0.7 0.9 (n = 10)
_t = slimming_threshold(_net, 0.4)
assert isinstance(_t, float), f"return a Python float, got {type(_t).__name__}"
assert abs(_t - 0.2) < 1e-6, f"got {_t}, expected 0.2 (index k = round(0.4 * 10) = 4 of the sorted |gamma|)"
assert abs(slimming_threshold(_net, 0.0) - 0.01) < 1e-6, "prune_ratio 0 gives the smallest |gamma|"
### BEGIN HIDDEN TESTS
import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_P = _g.trusted("medeff.pruning")
_g.defined_in_notebook(slimming_threshold, "slimming_threshold")
_gen = _g.rng(2103)


def _random_net(gen, layers):
    """Conv/BN blocks with random gammas, nested, plus a BatchNorm1d head that must not count."""
    blocks, cin = [], 1
    for i, cout in enumerate(layers):
        bn = _nn.BatchNorm2d(cout)
        with _torch.no_grad():
            bn.weight.copy_(_torch.randn(cout, generator=gen) * (0.2 + i))  # layers differ in scale
        blocks.append(_nn.Sequential(_nn.Conv2d(cin, cout, 3, padding=1), bn, _nn.ReLU()))
        cin = cout
    head = _nn.BatchNorm1d(cin)
    with _torch.no_grad():
        head.weight.copy_(_torch.rand(cin, generator=gen) * 1e-3)  # tiny: would shift the threshold
    return _nn.Sequential(*blocks, _nn.AdaptiveAvgPool2d(1), _nn.Flatten(), head, _nn.Linear(cin, 3))


_cases = []
for _i in range(10):
    _layers = [int(_torch.randint(2, 24, (), generator=_gen)) for _ in range(1 + _i % 4)]
    _cases.append((_random_net(_gen, _layers), float(_torch.rand((), generator=_gen)) * 0.95))
_cases += [(_random_net(_gen, [8, 16, 4]), 0.0), (_random_net(_gen, [5, 7, 8]), 0.99),
           (_random_net(_gen, [3, 4, 3]), 0.5), (_random_net(_gen, [6, 10]), 0.25)]
_wants = [_P.slimming_threshold(_net, _r) for _net, _r in _cases]
with _g.unusable("medeff.pruning.slimming_threshold", "medeff.pruning.bn_gammas"):
    _gots = [slimming_threshold(_net, _r) for _net, _r in _cases]
for (_net, _r), _want, _got in zip(_cases, _wants, _gots, strict=True):
    _sizes = [m.num_features for m in _net.modules() if isinstance(m, _nn.BatchNorm2d)]
    _what = f"slimming_threshold(<net with BatchNorm2d sizes {_sizes}>, {_r:.4f})"
    assert isinstance(_got, float), f"{_what}: returned a {type(_got).__name__}, expected a Python float"
    _g.assert_close(_got, _want, atol=1e-7, rtol=0, what=_what)
### END HIDDEN TESTS

# %% [markdown]
# ## Applying pruning to a trained network
#
# The cell below trains a small CNN on the organ patches of lecture A (8 classes, 28x28)
# for a few seconds, or loads it from the cache (`me.train_cached`) when it was trained
# before with the same settings. It is not graded (and it is restored as it is when your
# notebook is graded); run it before question 4.

# %% nbgrader={"grade": false, "grade_id": "train-model", "locked": true, "schema_version": 3, "solution": false}
train_loader, val_loader, test_loader = me.data.organ_patch_loaders(size=28, batch_size=128, seed=0)
TRAIN = {"kind": "standard", "width": 0.25, "steps": me.pick(100, 8), "lr": 1e-2, "seed": 0,
         "batch_size": 128, "data": me.data_fingerprint(train_loader.dataset)}


def _train(m: nn.Module) -> dict:
    me.fit(m, train_loader, epochs=1, steps_per_epoch=TRAIN["steps"], lr=TRAIN["lr"], progress=False)
    return {"test_accuracy": me.evaluate(m, test_loader, {"accuracy": me.accuracy})["accuracy"]}


def _build() -> nn.Module:
    me.set_seed(TRAIN["seed"])
    return me.models.efficient.make_classifier(TRAIN["kind"], TRAIN["width"], num_classes=8)


model, record = me.train_cached("a2-organ-cnn", TRAIN, build=_build, train=_train)
print(f"{me.count_params(model):,} parameters, test accuracy {record['test_accuracy']:.3f}"
      f" ({'loaded from the cache' if record['cached'] else 'trained now'})")

# %% [markdown]
# ### Question 4 (10 points: (a) 6, (b) 4)
#
# (a) Write `prune_model(model, sparsity)` returning a **pruned copy** of `model`
# (`copy.deepcopy`): in the copy, the `weight` of every `nn.Conv2d` and every `nn.Linear`
# module is multiplied by `magnitude_prune_mask(weight, sparsity)` (your function from
# question 1), **each layer on its own** at the same sparsity (not one global threshold).
# Change the weight tensor itself: the copy has the same parameters and buffers as `model`
# (no `weight_orig`/`weight_mask` as `torch.nn.utils.prune` would add). Biases, BatchNorm
# parameters and buffers stay as they are, and `model` itself is not changed.
#
# (b) Write `accuracy_vs_sparsity(model, loader, sparsities)` returning a `dict` that maps
# each sparsity `s` in `sparsities` to the accuracy of `prune_model(model, s)` on `loader`,
# computed as `me.evaluate(pruned, loader, {"accuracy": me.accuracy})["accuracy"]` (a
# float). `model` is not changed. The cell after it applies your function to the trained
# network, without fine-tuning (lecture 04 shows how retraining after pruning recovers
# accuracy). (Accuracies are compared within 1e-6.)
#
# Hints:
# - [`copy.deepcopy`](https://docs.python.org/3/library/copy.html#copy.deepcopy),
#   [`torch.nn.Module.modules`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.modules),
#   [`torch.no_grad`](https://pytorch.org/docs/stable/generated/torch.no_grad.html)
#   (change a parameter in place with `with torch.no_grad(): layer.weight.mul_(mask)`).

# %% nbgrader={"grade": false, "grade_id": "q4-solution", "locked": false, "schema_version": 3, "solution": true}
def prune_model(model: nn.Module, sparsity: float) -> nn.Module:
    """A copy of model whose Conv2d/Linear weights are magnitude-pruned layer by layer."""
    ### BEGIN SOLUTION
    pruned = copy.deepcopy(model)
    with torch.no_grad():
        for m in pruned.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.mul_(magnitude_prune_mask(m.weight, sparsity))
    return pruned
    ### END SOLUTION


def accuracy_vs_sparsity(model: nn.Module, loader, sparsities) -> dict[float, float]:
    """{sparsity: accuracy of prune_model(model, sparsity) on loader}."""
    ### BEGIN SOLUTION
    return {s: me.evaluate(prune_model(model, s), loader, {"accuracy": me.accuracy})["accuracy"]
            for s in sparsities}
    ### END SOLUTION


# %%
SPARSITIES = [0.0, 0.2, 0.4, 0.6, 0.8]
pruned_accuracy = accuracy_vs_sparsity(model, test_loader, SPARSITIES)
for _s, _acc in pruned_accuracy.items():
    print(f"sparsity {_s:4.2f}: test accuracy {_acc:.3f}")
_pruned = prune_model(model, 0.7)
print(f"MACs dense {me.count_macs(model, (1, 28, 28)):,}, at 70 % sparsity "
      f"{me.count_macs(_pruned, (1, 28, 28)):,} (the counter counts the dense shapes)")

# %% nbgrader={"grade": true, "grade_id": "q4a-tests", "locked": true, "points": 6, "schema_version": 3, "solution": false}
from medeff import grading as _g

# Each question is graded on its own: here your prune_model runs with the course's
# magnitude_prune_mask in place of yours (question 1 is graded above).
_P = _g.trusted("medeff.pruning")
_net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
with _g.replaced(magnitude_prune_mask=_P.magnitude_prune_mask):
    _copy = prune_model(_net, 0.5)
assert _copy is not _net, "return a pruned copy, not the model itself"
assert int((_copy[0].weight == 0).sum()) == 18 and int((_copy[3].weight == 0).sum()) == 96, \
    "half of each layer's weights are zero (18 of 36 in the conv, 96 of 192 in the linear layer)"
assert int((_net[0].weight == 0).sum()) == 0, "the original model must not be changed"
### BEGIN HIDDEN TESTS
import copy as _copy_mod

import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_P = _g.trusted("medeff.pruning")
_g.defined_in_notebook(prune_model, "prune_model")
_gen = _g.rng(2104)


def _test_net(gen):
    net = _nn.Sequential(
        _nn.Conv2d(1, 8, 3, padding=1), _nn.BatchNorm2d(8), _nn.ReLU(),
        _nn.Sequential(_nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), _nn.BatchNorm2d(8),
                       _nn.ReLU(), _nn.Conv2d(8, 16, 1)),
        _nn.AdaptiveAvgPool2d(1), _nn.Flatten(), _nn.Linear(16, 12), _nn.ReLU(), _nn.Linear(12, 5))
    with _torch.no_grad():
        for p in net.parameters():  # layers of very different scales: a global threshold fails
            p.copy_(_torch.randn(p.shape, generator=gen) * float(_torch.rand((), generator=gen) * 3 + 0.05))
    _g.randomize_bn(net, gen)
    return net


def _ref_prune_model(model, sparsity):
    pruned = _copy_mod.deepcopy(model)
    with _torch.no_grad():
        for m in pruned.modules():
            if isinstance(m, (_nn.Conv2d, _nn.Linear)):
                m.weight.mul_(_P.magnitude_prune_mask(m.weight, sparsity))
    return pruned


for _s in (0.0, 0.35, 0.6, 0.9):
    _net = _test_net(_gen)
    _what = f"prune_model(<net>, {_s})"
    _before = {k: v.clone() for k, v in _net.state_dict().items()}
    _want = _ref_prune_model(_net, _s).state_dict()
    with _g.replaced(magnitude_prune_mask=_P.magnitude_prune_mask):
        _got = prune_model(_net, _s)
    assert isinstance(_got, _nn.Module) and _got is not _net, f"{_what}: return a pruned copy of the model"
    for _k, _v in _net.state_dict().items():
        assert _torch.equal(_v, _before[_k]), f"{_what}: the original model's {_k} was changed"
    _got_sd = _got.state_dict()
    assert sorted(_got_sd) == sorted(_want), f"{_what}: the copy has entries {sorted(_got_sd)}, expected {sorted(_want)}"
    for _k, _v in _want.items():
        _g.assert_close(_got_sd[_k], _v, atol=0, rtol=0, what=f"{_what}: {_k}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "q4b-tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
from medeff import grading as _g

# The bookkeeping, with pruning switched off (prune_model replaced by a plain copy): every
# sparsity must then give the unpruned test accuracy. The hidden tests prune for real.
_m = copy.deepcopy(model)
_want = me.evaluate(_m, test_loader, {"accuracy": me.accuracy})["accuracy"]
with _g.replaced(prune_model=lambda m, s: copy.deepcopy(m)):
    _acc = accuracy_vs_sparsity(_m, test_loader, [0.0, 0.5])
assert isinstance(_acc, dict) and list(_acc) == [0.0, 0.5], f"keys {list(_acc)}, expected [0.0, 0.5] in order"
assert all(isinstance(a, float) for a in _acc.values()), "accuracies are Python floats"
assert all(abs(a - _want) < 1e-6 for a in _acc.values()), \
    f"got {_acc}, expected the unpruned accuracy {_want:.6f} for both"
### BEGIN HIDDEN TESTS
import copy as _copy_mod

import torch as _torch
from torch import nn as _nn
from torch.utils.data import DataLoader as _DataLoader
from torch.utils.data import TensorDataset as _TensorDataset

from medeff import grading as _g

_P = _g.trusted("medeff.pruning")
_T = _g.trusted("medeff.training")
_Mx = _g.trusted("medeff.metrics")
_g.defined_in_notebook(accuracy_vs_sparsity, "accuracy_vs_sparsity")
_gen = _g.rng(2105)


def _ref_prune_model(model, sparsity):
    pruned = _copy_mod.deepcopy(model)
    with _torch.no_grad():
        for m in pruned.modules():
            if isinstance(m, (_nn.Conv2d, _nn.Linear)):
                m.weight.mul_(_P.magnitude_prune_mask(m.weight, sparsity))
    return pruned


_net = _nn.Sequential(_nn.Conv2d(1, 8, 3, padding=1), _nn.BatchNorm2d(8), _nn.ReLU(), _nn.MaxPool2d(2),
                      _nn.Conv2d(8, 16, 3, padding=1), _nn.BatchNorm2d(16), _nn.ReLU(),
                      _nn.AdaptiveAvgPool2d(2), _nn.Flatten(), _nn.Linear(64, 6))
with _torch.no_grad():
    for _p in _net.parameters():
        _p.copy_(_torch.randn(_p.shape, generator=_gen) * 0.3)
_g.randomize_bn(_net, _gen)
_net.eval()
_x = _torch.randn(160, 1, 12, 12, generator=_gen)
with _torch.no_grad():  # labels = the dense net's own predictions: accuracy 1 at sparsity 0
    _y = _net(_x).argmax(1)
_loader = _DataLoader(_TensorDataset(_x, _y), batch_size=32)
_sp = [0.0, 0.4, 0.7, 0.9, 0.97]
_want = {s: _T.evaluate(_ref_prune_model(_net, s), _loader, {"accuracy": _Mx.accuracy})["accuracy"]
         for s in _sp}
_before = {k: v.clone() for k, v in _net.state_dict().items()}
with _g.replaced(prune_model=_ref_prune_model, magnitude_prune_mask=_P.magnitude_prune_mask):
    _got = accuracy_vs_sparsity(_net, _loader, _sp)
_what = f"accuracy_vs_sparsity(<net>, <loader>, {_sp})"
assert isinstance(_got, dict), f"{_what}: returned a {type(_got).__name__}, expected a dict"
assert list(_got) == _sp, f"{_what}: keys {list(_got)}, expected {_sp}"
for _s in _sp:
    _g.assert_close(_got[_s], _want[_s], atol=1e-6, rtol=0, what=f"{_what}[{_s}]")
for _k, _v in _net.state_dict().items():
    assert _torch.equal(_v, _before[_k]), f"{_what}: the model's {_k} was changed"
### END HIDDEN TESTS

# %% [markdown]
# ### Question 5 (5 points, written; graded by hand)
#
# The MAC counter above gives your 70 %-sparse network the same count as the dense one.
# Will the sparse network run faster in PyTorch? (You can measure it:
# `me.compare_latency` in a new cell.) In 3-5 sentences: explain why or why not, then name
# two different ways to turn unstructured sparsity into a real saving (of time or of
# bytes), and say what each one needs.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q5-written", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# *Rubric (5 points; for the TA, not shown to students).*
# - 2 points: not faster (a measurement, if made, shows a ratio near 1): the zeros are
#   still stored and multiplied; the layer stays a dense tensor of the same shape, so the
#   dense convolution/GEMM kernel performs every multiply-accumulate (a mask, or
#   `torch.nn.utils.prune`, only zeroes values), and irregular zeros cannot be skipped by
#   dense kernels (1 point if only "the shape is the same", without the kernel argument).
# - 3 points (1.5 each, any two): sparse storage formats (CSR/COO, or compressed
#   checkpoints: zip/entropy coding, indices + values) save bytes when sparsity is high
#   enough to pay for the indices; sparse kernels or hardware (e.g. 2:4 semi-structured
#   sparsity on NVIDIA Ampere sparse tensor cores, sparse CPU kernels at very high
#   sparsity, EIE-style accelerators) save time; structured pruning (remove whole
#   filters/channels, questions 2-3) makes the layers smaller dense layers, which any
#   hardware runs faster. Each must say what it needs (a format/kernel/hardware support,
#   or a pattern the hardware accepts).
# ### END SOLUTION

# %% [markdown]
# ### Question 6 (5 points, written; graded by hand)
#
# `select_filters` removes the same fraction of filters from every layer; network
# slimming (question 3) uses one threshold for the whole network. Give one advantage and
# one risk of the global threshold, and one way an implementation guards against the
# risk. (3-5 sentences.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "q6-written", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# *Rubric (5 points; for the TA, not shown to students).*
# - 2 points, advantage: the network decides how many channels each layer keeps; layers
#   with many unimportant channels (small |gamma| after the sparsity penalty) lose more,
#   sensitive layers lose fewer, so the same overall ratio costs less accuracy than a
#   uniform per-layer ratio (the paper's "automatically identified" architecture); no
#   per-layer ratio has to be tuned.
# - 2 points, risk: |gamma| of different layers are not on a common scale (different
#   depths, widths, penalty strength), so the threshold can remove (almost) all channels of
#   one layer, which breaks the network (no path) or creates a bottleneck; also layers
#   whose channels are tied (residual additions, concatenations) need consistent pruning.
# - 1 point, guard: keep a minimum number or fraction of channels per layer (the original
#   code keeps at least one; ours caps k at n - 1 globally), normalize gammas per layer,
#   or exclude sensitive layers (first/last, residual-coupled ones); fine-tune after.
# ### END SOLUTION

# %% [markdown]
# # Part B: Quantization
#
# **Uniform affine (asymmetric) quantization** with $b$ bits maps a real value $x$ to an
# integer $q \in [0, 2^b - 1]$ and back:
#
# $$q = \operatorname{clamp}\!\left(\operatorname{round}\!\left(\frac{x}{s}\right) + z,\ 0,\ 2^b-1\right),
# \qquad \hat{x} = s\,(q - z),$$
#
# with a real **scale** $s$ and an integer **zero point** $z$ chosen so that the range
# $[x_{\min}, x_{\max}]$ spans the $2^b$ levels and $0.0$ is represented exactly
# ($\hat{x} = 0$ for $q = z$).
#
# ### Question 7 (10 points)
#
# Write `quantize_params(x_min, x_max, num_bits)` returning `(scale, zero_point)`:
#
# 1. extend the range to contain 0: $x_{\min} \leftarrow \min(x_{\min}, 0)$,
#    $x_{\max} \leftarrow \max(x_{\max}, 0)$;
# 2. `scale` $= (x_{\max} - x_{\min}) / (2^b - 1)$, a Python `float`;
# 3. `zero_point` $= \operatorname{round}(-x_{\min} / \text{scale})$ (Python's `round`),
#    clamped to $[0, 2^b - 1]$, a Python `int`;
# 4. if the extended range is empty ($x_{\min} = x_{\max} = 0$) return `(1.0, 0)`.
#
# `x_min <= x_max` are Python floats (or 0-d tensors: convert with `float(...)`);
# `num_bits >= 1`. The tests compare `scale` within a relative 1e-6 and `zero_point`
# exactly.
#
# Hints:
# - [`torch.ao.quantization.observer.MinMaxObserver`](https://pytorch.org/docs/stable/generated/torch.ao.quantization.observer.MinMaxObserver.html)
#   computes the same two numbers (with `dtype=torch.quint8`, `qscheme=torch.per_tensor_affine`).
# - Why must 0.0 be exact? Think of zero padding and of ReLU outputs.

# %% nbgrader={"grade": false, "grade_id": "q7-solution", "locked": false, "schema_version": 3, "solution": true}
def quantize_params(x_min: float, x_max: float, num_bits: int) -> tuple[float, int]:
    """(scale, zero_point) of asymmetric quantization to [0, 2**num_bits - 1]."""
    ### BEGIN SOLUTION
    qmax = 2**num_bits - 1
    x_min, x_max = min(float(x_min), 0.0), max(float(x_max), 0.0)
    if x_min == x_max:
        return 1.0, 0
    scale = (x_max - x_min) / qmax
    zero_point = min(max(round(-x_min / scale), 0), qmax)
    return scale, int(zero_point)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q7-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_s, _z = quantize_params(-1.0, 3.0, 8)
assert isinstance(_s, float) and isinstance(_z, int), "return (a Python float, a Python int)"
assert abs(_s - 4 / 255) < 1e-9 and _z == 64, f"got ({_s}, {_z}), expected ({4 / 255:.6f}, 64)"
_s, _z = quantize_params(0.5, 2.0, 4)
assert abs(_s - 2 / 15) < 1e-9 and _z == 0, f"got ({_s}, {_z}): the range [0.5, 2] is extended to [0, 2]"
### BEGIN HIDDEN TESTS
import torch as _torch

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_g.defined_in_notebook(quantize_params, "quantize_params")
_gen = _g.rng(2107)
_cases = []
for _i in range(30):
    _a, _b = sorted((_torch.randn(2, generator=_gen) * 3).tolist())
    _kind = _i % 3  # mixed signs, all positive, all negative
    if _kind == 1:
        _a, _b = abs(_a) + 0.1, abs(_a) + abs(_b) + 0.2
    elif _kind == 2:
        _a, _b = -abs(_a) - abs(_b) - 0.2, -abs(_a) - 0.1
    _cases.append((_a, _b, [2, 3, 4, 5, 8][_i % 5]))
_cases += [(-1.0, 1.0, 8), (-0.3, 2.7, 1), (0.0, 0.0, 8), (-2.0, 0.0, 4), (0.0, 5.0, 3), (-1e-3, 7.5, 16)]
_wants = [_Q.quantize_params(*_c) for _c in _cases]
with _g.unusable("medeff.quantization.quantize_params", "medeff.quantization.fake_quantize_ste"):
    _gots = [quantize_params(*_c) for _c in _cases]
for (_a, _b, _bits), (_ws, _wz), _got in zip(_cases, _wants, _gots, strict=True):
    _what = f"quantize_params({_a:.6g}, {_b:.6g}, {_bits})"
    assert isinstance(_got, tuple) and len(_got) == 2, f"{_what}: return a tuple (scale, zero_point)"
    _gs, _gz = _got
    assert isinstance(_gs, float), f"{_what}: scale is a {type(_gs).__name__}, expected a Python float"
    assert isinstance(_gz, int) and not isinstance(_gz, bool), (
        f"{_what}: zero_point is a {type(_gz).__name__}, expected a Python int")
    _g.assert_close(_gs, _ws, atol=0, rtol=1e-6, what=f"{_what}: scale")
    assert _gz == _wz, f"{_what}: zero_point {_gz}, expected {_wz}"
# 0-d tensors are accepted too
with _g.unusable("medeff.quantization.quantize_params"):
    _got = quantize_params(_torch.tensor(-0.5), _torch.tensor(1.5), 8)
_g.assert_close(float(_got[0]), 2.0 / 255, atol=0, rtol=1e-6, what="quantize_params(tensor(-0.5), tensor(1.5), 8): scale")
assert int(_got[1]) == 64, f"quantize_params(tensor(-0.5), tensor(1.5), 8): zero_point {_got[1]}, expected 64"
### END HIDDEN TESTS

# %% [markdown]
# ### Question 8 (10 points)
#
# Write `quantize(x, scale, zero_point, num_bits)` returning
# $\operatorname{clamp}(\operatorname{round}(x / \text{scale}) + \text{zero\_point},\ 0,\ 2^b - 1)$
# as a `torch.int64` tensor of `x`'s shape. Round with
# [`torch.round`](https://pytorch.org/docs/stable/generated/torch.round.html) (half to even:
# 0.5 -> 0, 1.5 -> 2, 2.5 -> 2), computing `x / scale` in `x`'s dtype. Values outside the
# range are clamped to 0 or $2^b - 1$. (Where $x/s$ lies within $10^{-3}$ of a half
# integer, the tests accept either neighbour, so `x * (1 / scale)` is fine too; exact
# halves such as $0.5$ must round to even.)
#
# Hints:
# - [`torch.clamp`](https://pytorch.org/docs/stable/generated/torch.clamp.html),
#   [`torch.Tensor.to`](https://pytorch.org/docs/stable/generated/torch.Tensor.to.html).
# - You can compare with
#   [`torch.quantize_per_tensor`](https://pytorch.org/docs/stable/generated/torch.quantize_per_tensor.html)
#   (`dtype=torch.quint8`, then `.int_repr()`), which uses the same formula for 8 bits.

# %% nbgrader={"grade": false, "grade_id": "q8-solution", "locked": false, "schema_version": 3, "solution": true}
def quantize(x: torch.Tensor, scale: float, zero_point: int, num_bits: int) -> torch.Tensor:
    """clamp(round(x / scale) + zero_point, 0, 2**num_bits - 1) as torch.int64."""
    ### BEGIN SOLUTION
    q = torch.round(x / scale) + zero_point
    return q.clamp(0, 2**num_bits - 1).to(torch.int64)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q8-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_q = quantize(torch.tensor([-1.0, 0.0, 0.26, 3.0, 9.0]), 4 / 255, 64, 8)
assert _q.dtype == torch.int64, f"return torch.int64, got {_q.dtype}"
assert _q.tolist() == [0, 64, 81, 255, 255], f"got {_q.tolist()}, expected [0, 64, 81, 255, 255]"
assert quantize(torch.tensor([0.5, 1.5, 2.5, -0.5]), 1.0, 2, 4).tolist() == [2, 4, 4, 2], "round half to even"
### BEGIN HIDDEN TESTS
import torch as _torch

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_g.defined_in_notebook(quantize, "quantize")
_gen = _g.rng(2108)


def _check_q(got, want, x, scale, what):
    """Exact, except where x / scale is within 1e-3 of a half integer (either neighbour)."""
    assert isinstance(got, _torch.Tensor), f"{what}: returned a {type(got).__name__}, expected a tensor"
    assert got.dtype == _torch.int64, f"{what}: dtype {got.dtype}, expected torch.int64"
    assert tuple(got.shape) == tuple(want.shape), f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    r = x.double() / scale
    near = ((r - r.floor()) - 0.5).abs() < 1e-3
    diff = (got - want).abs()
    bad = (diff > 1) | ((diff == 1) & ~near)
    if bad.any():
        i = int(_torch.nonzero(bad.flatten())[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {want.numel()} values differ; e.g. x = "
                             f"{x.flatten()[i].item():.6g}: got {got.flatten()[i].item()}, expected "
                             f"{want.flatten()[i].item()} (clamp(round(x / scale) + zero_point, 0, 2**b - 1))")


_cases = []
for _i in range(16):
    _bits = [2, 3, 4, 6, 8][_i % 5]
    _x = _torch.randn([(50,), (4, 30), (3, 4, 5, 6)][_i % 3], generator=_gen) * float(_torch.rand((), generator=_gen) * 4 + 0.1)
    _lo, _hi = _x.min().item() * 0.8, _x.max().item() * 0.8  # some values fall outside: clamping
    if _i % 4 == 3:
        _lo, _hi = 0.2, max(_hi, 1.0)  # positive-only range: negative values clamp to 0
    _s, _z = _Q.quantize_params(_lo, _hi, _bits)
    _cases.append((_x, _s, _z, _bits))
_wants = [_Q.quantize(*_c) for _c in _cases]
with _g.unusable("medeff.quantization.quantize", "medeff.quantization.fake_quantize_ste"):
    _gots = [quantize(*_c) for _c in _cases]  # one block (entering it scans all live objects)
for (_x, _s, _z, _bits), _want, _got in zip(_cases, _wants, _gots, strict=True):
    _what = f"quantize(<{tuple(_x.shape)} tensor>, scale={_s:.6g}, zero_point={_z}, num_bits={_bits})"
    _check_q(_got, _want, _x, _s, _what)
# exact ties round half to even
_x = _torch.tensor([0.125, 0.375, 0.625, -0.125, -0.375, 1.125, 0.0])
with _g.unusable("medeff.quantization.quantize"):
    _got = quantize(_x, 0.25, 3, 4)
_want = _Q.quantize(_x, 0.25, 3, 4)
assert isinstance(_got, _torch.Tensor) and _got.tolist() == _want.tolist(), (
    f"quantize({_x.tolist()}, 0.25, 3, 4) = {_got.tolist() if isinstance(_got, _torch.Tensor) else _got}, "
    f"expected {_want.tolist()} (x / scale = 0.5, 1.5, 2.5, ... round half to even)")
### END HIDDEN TESTS

# %% [markdown]
# ### Question 9 (5 points)
#
# Write `dequantize(q, scale, zero_point)` returning $\text{scale}\cdot(q - \text{zero\_point})$
# as a `torch.float32` tensor of `q`'s shape. `q` may have any integer dtype
# (`torch.int64` from `quantize`, or `torch.uint8`, where `q - zero_point` would wrap
# around) or be a float tensor holding integers. Compared within 1e-6 + 1e-6 x |expected|.
#
# Hints:
# - [`torch.Tensor.to`](https://pytorch.org/docs/stable/generated/torch.Tensor.to.html),
#   [Tensor dtypes](https://pytorch.org/docs/stable/tensor_attributes.html#torch-dtype).

# %% nbgrader={"grade": false, "grade_id": "q9-solution", "locked": false, "schema_version": 3, "solution": true}
def dequantize(q: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """scale * (q - zero_point) as torch.float32."""
    ### BEGIN SOLUTION
    return (q.to(torch.float32) - zero_point) * scale
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q9-tests", "locked": true, "points": 5, "schema_version": 3, "solution": false}
_x = dequantize(torch.tensor([0, 64, 81, 255]), 4 / 255, 64)
assert _x.dtype == torch.float32, f"return torch.float32, got {_x.dtype}"
assert torch.allclose(_x, torch.tensor([-64, 0, 17, 191]) * (4 / 255)), f"got {_x.tolist()}"
### BEGIN HIDDEN TESTS
import torch as _torch

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_g.defined_in_notebook(dequantize, "dequantize")
_gen = _g.rng(2109)
_cases = []
for _i in range(12):
    _bits = [2, 4, 8][_i % 3]
    _s = float(_torch.rand((), generator=_gen) * 0.5 + 1e-3)
    _z = int(_torch.randint(0, 2**_bits, (), generator=_gen))
    _q = _torch.randint(0, 2**_bits, [(40,), (3, 7), (2, 3, 4, 5)][_i % 3], generator=_gen)
    _cases.append(([_q, _q.to(_torch.uint8), _q.to(_torch.int32), _q.float()][_i % 4], _s, _z))
_wants = [_Q.dequantize(*_c) for _c in _cases]
with _g.unusable("medeff.quantization.dequantize", "medeff.quantization.fake_quantize_ste"):
    _gots = [dequantize(*_c) for _c in _cases]  # one block (entering it scans all live objects)
for (_q, _s, _z), _want, _got in zip(_cases, _wants, _gots, strict=True):
    _what = f"dequantize(<{tuple(_q.shape)} {str(_q.dtype)[6:]} tensor>, {_s:.6g}, {_z})"
    assert isinstance(_got, _torch.Tensor) and _got.dtype == _torch.float32, (
        f"{_what}: returned {type(_got).__name__} {getattr(_got, 'dtype', '')}, expected a torch.float32 tensor")
    _g.assert_close(_got, _want, atol=1e-6, rtol=1e-6, what=_what)
### END HIDDEN TESTS

# %% [markdown]
# ## Quantization-aware training: fake quantization
#
# QAT trains with quantization simulated in the forward pass. Rounding has zero gradient
# almost everywhere, so its true gradient would stop learning; the **straight-through
# estimator** (STE, Bengio et al. 2013) passes the gradient through unchanged:
# $\partial \hat{x} / \partial x := 1$.
#
# ### Question 10 (10 points)
#
# Write `fake_quantize_ste(x, num_bits)`:
#
# - **forward**: with `(s, z) = quantize_params(x.min().item(), x.max().item(), num_bits)`
#   (per-tensor min-max range), return `dequantize(quantize(x, s, z, num_bits), s, z)` in
#   `x`'s dtype (use your functions from questions 7-9);
# - **backward**: the gradient with respect to `x` is the incoming gradient unchanged
#   (identity), for every element.
#
# Forward values are compared within $10^{-6} + 10^{-5}\,|\text{expected}|$ (one
# quantization step where $x/s$ is within $10^{-3}$ of a half integer); gradients within
# $10^{-6}$.
#
# Hints:
# - The detach trick: `x + (y - x).detach()` has the value of `y` and the gradient of `x`
#   ([`torch.Tensor.detach`](https://pytorch.org/docs/stable/generated/torch.Tensor.detach.html)).
# - Or write a [`torch.autograd.Function`](https://pytorch.org/docs/stable/autograd.html#function)
#   with a `backward` that returns the gradient as it is.
# - [`torch.fake_quantize_per_tensor_affine`](https://pytorch.org/docs/stable/generated/torch.fake_quantize_per_tensor_affine.html)
#   is PyTorch's version (its gradient is zero outside the range).

# %% nbgrader={"grade": false, "grade_id": "q10-solution", "locked": false, "schema_version": 3, "solution": true}
def fake_quantize_ste(x: torch.Tensor, num_bits: int) -> torch.Tensor:
    """Per-tensor min-max quantize-dequantize forward, identity gradient backward."""
    ### BEGIN SOLUTION
    scale, zero_point = quantize_params(x.min().item(), x.max().item(), num_bits)
    y = dequantize(quantize(x.detach(), scale, zero_point, num_bits), scale, zero_point).to(x.dtype)
    return x + (y - x).detach()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q10-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
from medeff import grading as _g

# Graded on its own: your fake_quantize_ste runs with the course's quantize_params,
# quantize and dequantize in place of yours (questions 7-9 are graded above).
_Q = _g.trusted("medeff.quantization")
_x = torch.tensor([-1.0, -0.2, 0.0, 0.33, 1.0], requires_grad=True)
with _g.replaced(quantize_params=_Q.quantize_params, quantize=_Q.quantize, dequantize=_Q.dequantize):
    _y = fake_quantize_ste(_x, 2)  # scale 2/3, zero point 2: levels -4/3, -2/3, 0, 2/3
assert torch.allclose(_y, torch.tensor([-4 / 3, 0.0, 0.0, 0.0, 2 / 3])), f"forward: got {_y.tolist()}"
(_y * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
assert _x.grad is not None and _x.grad.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0], \
    f"backward: the gradient must pass through unchanged, got {_x.grad}"
### BEGIN HIDDEN TESTS
import torch as _torch

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_g.defined_in_notebook(fake_quantize_ste, "fake_quantize_ste")
_gen = _g.rng(2110)
_refs = {"quantize_params": _Q.quantize_params, "quantize": _Q.quantize, "dequantize": _Q.dequantize}
# medeff's fake quantizers (those that exist in this version) are unusable while this is graded
import medeff.quantization as _mq

_blocked = [getattr(_mq, _n) for _n in ("fake_quantize_ste", "_QDQSte", "fake_quantize", "FakeQuant")
            if hasattr(_mq, _n)]
for _i in range(10):
    _bits = [2, 3, 4, 8][_i % 4]
    _shape = [(64,), (8, 9), (2, 3, 5, 5)][_i % 3]
    _base = _torch.randn(_shape, generator=_gen) * float(_torch.rand((), generator=_gen) * 3 + 0.1)
    if _i % 5 == 4:
        _base = _base.abs() + 0.2  # all positive: the range is extended to 0
    _what = f"fake_quantize_ste(<{_shape} tensor>, {_bits})"
    _leaf = _base.clone().requires_grad_(True)
    _x = _leaf * 2.0  # a non-leaf input: the gradient must reach the leaf too
    _upstream = _torch.randn(_shape, generator=_gen)
    with _g.replaced(**_refs), _g.unusable(*_blocked):
        _y = fake_quantize_ste(_x, _bits)
        assert isinstance(_y, _torch.Tensor), f"{_what}: returned a {type(_y).__name__}, expected a tensor"
        assert _y.requires_grad, f"{_what}: the output must carry a gradient (straight-through)"
        (_y * _upstream).sum().backward()
    _want2 = _Q.fake_quantize_ste(_base * 2.0, _bits).detach()
    _s2 = _Q.quantize_params((_base * 2).min().item(), (_base * 2).max().item(), _bits)[0]
    assert _y.dtype == _base.dtype and tuple(_y.shape) == tuple(_base.shape), (
        f"{_what}: output {tuple(_y.shape)} {_y.dtype}, expected {tuple(_base.shape)} {_base.dtype}")
    _r = (_base * 2.0).double() / _s2
    _near = ((_r - _r.floor()) - 0.5).abs() < 1e-3
    _err = (_y.detach() - _want2).abs()
    _bad = (_err > 1e-6 + 1e-5 * _want2.abs()) & ~(_near & (_err <= _s2 * 1.0001))
    if _bad.any():
        _j = int(_torch.nonzero(_bad.flatten())[0])
        raise AssertionError(
            f"{_what}: forward differs from dequantize(quantize(x, s, z, b), s, z) with (s, z) from the "
            f"min-max range: at x = {(_base * 2).flatten()[_j].item():.6g} got {_y.detach().flatten()[_j].item():.6g}, "
            f"expected {_want2.flatten()[_j].item():.6g} (tolerance 1e-6 + 1e-5 x |expected|)")
    _g.assert_close(_leaf.grad, 2.0 * _upstream, atol=1e-6, rtol=1e-6,
                    what=f"{_what}: gradient (the incoming gradient, unchanged)")
### END HIDDEN TESTS

# %% [markdown]
# ## Applying quantization to the trained network
#
# ### Question 11 (10 points: (a) 6, (b) 4)
#
# (a) Write `quantize_model(model, num_bits)` returning a **copy** of `model` in which the
# `weight` of every `nn.Conv2d` and `nn.Linear` module is replaced by its per-tensor
# quantize-dequantize values: `dequantize(quantize(w, s, z, b), s, z)` with
# `(s, z) = quantize_params(w.min().item(), w.max().item(), b)` (your functions of questions
# 7-9). Biases, BatchNorm and `model` itself stay unchanged. (This simulates weight-only
# PTQ with min-max calibration.)
#
# (b) Write `quantization_report(model, loader, bit_widths)` returning a `dict` that maps
# each `b` in `bit_widths` to a tuple `(accuracy, weight_error)` for `q = quantize_model(model, b)`:
# `accuracy = me.evaluate(q, loader, {"accuracy": me.accuracy})["accuracy"]`, and the
# relative weight error over all Conv2d and Linear weights together,
#
# $$\text{weight\_error} = \sqrt{\frac{\sum_\ell \lVert \hat W_\ell - W_\ell\rVert^2}{\sum_\ell \lVert W_\ell\rVert^2}}$$
#
# (both Python floats, compared within $10^{-6} + 10^{-5}\,|\text{expected}|$). `model` is
# not changed.
#
# Hints:
# - [`torch.Tensor.copy_`](https://pytorch.org/docs/stable/generated/torch.Tensor.copy_.html),
#   [`torch.linalg.vector_norm`](https://pytorch.org/docs/stable/generated/torch.linalg.vector_norm.html),
#   [`zip`](https://docs.python.org/3/library/functions.html#zip) over `model.modules()` and
#   `q.modules()` (a deep copy has the same module order).

# %% nbgrader={"grade": false, "grade_id": "q11-solution", "locked": false, "schema_version": 3, "solution": true}
def quantize_model(model: nn.Module, num_bits: int) -> nn.Module:
    """A copy of model with per-tensor fake-quantized Conv2d/Linear weights."""
    ### BEGIN SOLUTION
    q = copy.deepcopy(model)
    with torch.no_grad():
        for m in q.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.weight
                s, z = quantize_params(w.min().item(), w.max().item(), num_bits)
                w.copy_(dequantize(quantize(w, s, z, num_bits), s, z))
    return q
    ### END SOLUTION


def quantization_report(model: nn.Module, loader, bit_widths) -> dict[int, tuple[float, float]]:
    """{bits: (accuracy, relative weight error) of quantize_model(model, bits)}."""
    ### BEGIN SOLUTION
    report = {}
    for b in bit_widths:
        q = quantize_model(model, b)
        acc = me.evaluate(q, loader, {"accuracy": me.accuracy})["accuracy"]
        num = den = 0.0
        for m, mq in zip(model.modules(), q.modules(), strict=True):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w, wq = m.weight.detach(), mq.weight.detach()
                num += float(((wq - w) ** 2).sum())
                den += float((w**2).sum())
        report[b] = (acc, (num / den) ** 0.5)
    return report
    ### END SOLUTION


# %%
BITS = [8, 4, 3, 2]
quant_report = quantization_report(model, test_loader, BITS)
print(f"float32: test accuracy {record['test_accuracy']:.3f}")
for _b, (_acc, _err) in quant_report.items():
    print(f"{_b} bits: test accuracy {_acc:.3f}, relative weight error {_err:.4f}")

# %% nbgrader={"grade": true, "grade_id": "q11a-tests", "locked": true, "points": 6, "schema_version": 3, "solution": false}
from medeff import grading as _g

# Graded on its own: your quantize_model runs with the course's quantize_params, quantize
# and dequantize in place of yours.
_Q = _g.trusted("medeff.quantization")
_net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
with _g.replaced(quantize_params=_Q.quantize_params, quantize=_Q.quantize, dequantize=_Q.dequantize):
    _q = quantize_model(_net, 2)
assert _q is not _net, "return a quantized copy, not the model itself"
assert _q[0].weight.unique().numel() <= 4 and _q[2].weight.unique().numel() <= 4, "2 bits: at most 4 values per layer"
assert _net[0].weight.unique().numel() == 27, "the original model must not be changed"
### BEGIN HIDDEN TESTS
import copy as _copy_mod

import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_g.defined_in_notebook(quantize_model, "quantize_model")
_gen = _g.rng(2111)
_refs = {"quantize_params": _Q.quantize_params, "quantize": _Q.quantize, "dequantize": _Q.dequantize}
# medeff's fake quantizers and model-quantization helpers (those that exist in this version)
import medeff.quantization as _mq

_blocked = [getattr(_mq, _n) for _n in ("fake_quantize_ste", "_QDQSte", "fake_quantize", "FakeQuant",
                                         "QuantLayer", "prepare_fake_quant") if hasattr(_mq, _n)]


def _ref_quantize_model(model, num_bits):
    q = _copy_mod.deepcopy(model)
    with _torch.no_grad():
        for m in q.modules():
            if isinstance(m, (_nn.Conv2d, _nn.Linear)):
                s, z = _Q.quantize_params(m.weight.min().item(), m.weight.max().item(), num_bits)
                m.weight.copy_(_Q.dequantize(_Q.quantize(m.weight, s, z, num_bits), s, z))
    return q


for _bits in (8, 4, 3, 2):
    _net = _nn.Sequential(
        _nn.Conv2d(1, 8, 3, padding=1), _nn.BatchNorm2d(8), _nn.ReLU(),
        _nn.Sequential(_nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), _nn.BatchNorm2d(8),
                       _nn.ReLU(), _nn.Conv2d(8, 16, 1)),
        _nn.AdaptiveAvgPool2d(1), _nn.Flatten(), _nn.Linear(16, 12), _nn.ReLU(), _nn.Linear(12, 5))
    with _torch.no_grad():
        for _p in _net.parameters():
            _p.copy_(_torch.randn(_p.shape, generator=_gen) * float(_torch.rand((), generator=_gen) * 2 + 0.05))
        _net[6].weight[0, 0] = 9.0  # one outlier weight in one layer
    _g.randomize_bn(_net, _gen)
    _what = f"quantize_model(<net>, {_bits})"
    _before = {k: v.clone() for k, v in _net.state_dict().items()}
    _want = _ref_quantize_model(_net, _bits).state_dict()
    with _g.replaced(**_refs), _g.unusable(*_blocked):
        _got = quantize_model(_net, _bits)
    assert isinstance(_got, _nn.Module) and _got is not _net, f"{_what}: return a quantized copy of the model"
    for _k, _v in _net.state_dict().items():
        assert _torch.equal(_v, _before[_k]), f"{_what}: the original model's {_k} was changed"
    _got_sd = _got.state_dict()
    assert sorted(_got_sd) == sorted(_want), f"{_what}: the copy has entries {sorted(_got_sd)}, expected {sorted(_want)}"
    for _k, _v in _want.items():
        _g.assert_close(_got_sd[_k], _v, atol=1e-6, rtol=1e-6, what=f"{_what}: {_k}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "q11b-tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
from medeff import grading as _g

# The bookkeeping, with quantization switched off (quantize_model replaced by a plain copy):
# the accuracy is then the float accuracy and the weight error 0. The hidden tests quantize.
_m = copy.deepcopy(model)
_want = me.evaluate(_m, test_loader, {"accuracy": me.accuracy})["accuracy"]
with _g.replaced(quantize_model=lambda m, b: copy.deepcopy(m)):
    _rep = quantization_report(_m, test_loader, [8, 2])
assert isinstance(_rep, dict) and list(_rep) == [8, 2], f"keys {list(_rep)}, expected [8, 2] in order"
assert all(len(v) == 2 for v in _rep.values()), "each entry is a tuple (accuracy, weight_error)"
assert all(abs(v[0] - _want) < 1e-6 and abs(v[1]) < 1e-9 for v in _rep.values()), \
    f"got {_rep}, expected ({_want:.6f}, 0.0) for both"
### BEGIN HIDDEN TESTS
import copy as _copy_mod

import torch as _torch
from torch import nn as _nn
from torch.utils.data import DataLoader as _DataLoader
from torch.utils.data import TensorDataset as _TensorDataset

from medeff import grading as _g

_Q = _g.trusted("medeff.quantization")
_T = _g.trusted("medeff.training")
_Mx = _g.trusted("medeff.metrics")
_g.defined_in_notebook(quantization_report, "quantization_report")
_gen = _g.rng(2112)
_refs = {"quantize_params": _Q.quantize_params, "quantize": _Q.quantize, "dequantize": _Q.dequantize}
# medeff's fake quantizers and model-quantization helpers (those that exist in this version)
import medeff.quantization as _mq

_blocked = [getattr(_mq, _n) for _n in ("fake_quantize_ste", "_QDQSte", "fake_quantize", "FakeQuant",
                                         "QuantLayer", "prepare_fake_quant") if hasattr(_mq, _n)]


def _ref_quantize_model(model, num_bits):
    q = _copy_mod.deepcopy(model)
    with _torch.no_grad():
        for m in q.modules():
            if isinstance(m, (_nn.Conv2d, _nn.Linear)):
                s, z = _Q.quantize_params(m.weight.min().item(), m.weight.max().item(), num_bits)
                m.weight.copy_(_Q.dequantize(_Q.quantize(m.weight, s, z, num_bits), s, z))
    return q


def _ref_error(model, q):
    num = den = 0.0
    for m, mq in zip(model.modules(), q.modules(), strict=True):
        if isinstance(m, (_nn.Conv2d, _nn.Linear)):
            w, wq = m.weight.detach().double(), mq.weight.detach().double()
            num += float(((wq - w) ** 2).sum())
            den += float((w**2).sum())
    return (num / den) ** 0.5


_net = _nn.Sequential(_nn.Conv2d(1, 8, 3, padding=1), _nn.BatchNorm2d(8), _nn.ReLU(), _nn.MaxPool2d(2),
                      _nn.Conv2d(8, 16, 3, padding=1), _nn.BatchNorm2d(16), _nn.ReLU(),
                      _nn.AdaptiveAvgPool2d(2), _nn.Flatten(), _nn.Linear(64, 6))
with _torch.no_grad():
    for _p in _net.parameters():
        _p.copy_(_torch.randn(_p.shape, generator=_gen) * 0.3)
    _net[0].weight.mul_(5.0)  # layers of different scales: the error is pooled, not averaged
_g.randomize_bn(_net, _gen)
_net.eval()
_x = _torch.randn(160, 1, 12, 12, generator=_gen)
with _torch.no_grad():
    _y = _net(_x).argmax(1)
_loader = _DataLoader(_TensorDataset(_x, _y), batch_size=32)
_bw = [8, 4, 3, 2]
_want = {}
for _b in _bw:
    _qm = _ref_quantize_model(_net, _b)
    _want[_b] = (_T.evaluate(_qm, _loader, {"accuracy": _Mx.accuracy})["accuracy"], _ref_error(_net, _qm))
_before = {k: v.clone() for k, v in _net.state_dict().items()}
with _g.replaced(quantize_model=_ref_quantize_model, **_refs), _g.unusable(*_blocked):
    _got = quantization_report(_net, _loader, _bw)
_what = f"quantization_report(<net>, <loader>, {_bw})"
assert isinstance(_got, dict), f"{_what}: returned a {type(_got).__name__}, expected a dict"
assert list(_got) == _bw, f"{_what}: keys {list(_got)}, expected {_bw}"
for _b in _bw:
    _g.assert_close(tuple(_got[_b]), _want[_b], atol=1e-6, rtol=1e-5,
                    what=f"{_what}[{_b}] = (accuracy, weight_error)")
for _k, _v in _net.state_dict().items():
    assert _torch.equal(_v, _before[_k]), f"{_what}: the model's {_k} was changed"
### END HIDDEN TESTS

# %% [markdown]
# ### Question 12 (5 points, written; graded by hand)
#
# Look at your report. (i) By about what factor does the weight error grow per bit
# removed, and why? (ii) Why can a single large weight make per-tensor min-max
# quantization of its whole layer poor, and what is one remedy? (iii) Why does
# quantization-aware training with `fake_quantize_ste` usually recover accuracy that PTQ
# loses at low bit widths, and why would it not learn at all without the straight-through
# estimator? (4-6 sentences in all.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "q12-written", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# *Rubric (5 points; for the TA, not shown to students).*
# - (i) 1.5 points: about 2x per bit: the step is scale = range / (2^b - 1), which roughly
#   doubles per bit removed, and the rounding error is uniform in +-step/2 (RMS step/sqrt(12));
#   at 2 bits (4 levels) most weights round to one or two levels near the zero point and the
#   accuracy collapses. Accept "error ~ 2^-b" with the step argument.
# - (ii) 1.5 points: min-max puts the outlier at an end of the range, so the step becomes
#   large and the many small weights fall into one or two levels (mostly 0). Remedies (one
#   suffices): per-channel scales, clipping the range (percentile / MSE-optimal
#   calibration), outlier handling (keep outliers in float), or QAT.
# - (iii) 2 points: QAT puts the rounding into the forward pass, so training adjusts the
#   weights (and the range) to the quantization grid and the loss the quantized net really
#   has (1 point); round() has zero derivative almost everywhere, so without STE every
#   gradient through the quantizer is 0 and the weights never change; the STE passes the
#   gradient through as if quantization were the identity (1 point).
# ### END SOLUTION
