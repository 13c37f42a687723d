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
# # Assignment 0: Counting the cost of a network
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency". Read lecture 00
# (compute demands of popular DNNs) first.*
#
# **Goals.** Every efficiency claim in this lecture ("MobileNet needs 9x fewer operations",
# "the student network is 20x cheaper") is a count of **multiply-accumulates (MACs)** and
# **parameters**. In this assignment you derive these counts yourself, for one layer and for
# a whole network, and check them against PyTorch.
#
# **Contents: 6 questions, 100 points** (80 autograded, 20 for two short written answers
# that a TA grades by hand).
#
# | question | what | points |
# | --- | --- | --- |
# | 1 | `conv2d_macs`: MACs of one (grouped) convolution | 20 |
# | 2 | `conv2d_params`: parameters of one convolution | 15 |
# | 3 | `linear_macs`: MACs of a fully connected layer | 10 |
# | 4 | `network_macs`: MACs of a whole network, with forward hooks | 35 |
# | 5 | written: why two profilers disagree | 10 |
# | 6 | written: MACs, FLOPs and the seed's tables | 10 |
#
# **How it is graded.** Write your code between the function header and the end of each
# solution cell (replace `raise NotImplementedError()`). Each question is followed by a cell
# of visible checks: run it to check your work. The grading tests contain these checks and
# more (hidden), on randomized layers and networks, so do not special-case the visible
# examples. Do not rename the functions and do not edit the test cells.
#
# - Each question is graded on its own: the hidden tests of question 4 use trusted
#   reference versions of `conv2d_macs` and `linear_macs`, so a mistake in questions 1-3
#   is not paid twice.
# - Write the counting yourself. While your answers are graded, the course's own counters
#   (`me.count_macs`, `me.mac_breakdown`, `me.thop_macs` and the MAC formulas in
#   `medeff.models.efficient`) raise an error, so a function that only calls them scores 0.
#   Use them freely to *check* your work.
# - The whole notebook runs in a few seconds on a laptop CPU.

# %%
import random

import torch
from torch import nn

import medeff as me

me.set_seed(0)
print("torch", torch.__version__)


# %% [markdown]
# ## Convolutions
#
# We follow the convention of the papers (AlexNet, VGG, ResNet, MobileNet): a MAC is one
# multiplication followed by one addition, and only convolutions and fully connected layers
# are counted (no bias, no BatchNorm, no activations, no pooling).
#
# A `nn.Conv2d` with $C_\text{in}$ input channels, $C_\text{out}$ output channels, a
# $k_h \times k_w$ kernel and $g$ groups splits the input channels into $g$ groups; each
# output channel sees only the $C_\text{in}/g$ channels of its group. Every output value is a
# dot product of length $\frac{C_\text{in}}{g} k_h k_w$, and there are
# $C_\text{out} H_\text{out} W_\text{out}$ output values (for one image), so
#
# $$\text{MACs} = C_\text{out}\, H_\text{out}\, W_\text{out} \cdot \frac{C_\text{in}}{g}\, k_h\, k_w .$$
#
# Stride, padding and dilation only enter through the output size,
# $H_\text{out} = \left\lfloor \frac{H + 2p - d\,(k_h - 1) - 1}{s} \right\rfloor + 1$.
# A **depthwise** convolution (MobileNet) is the case $g = C_\text{in}$.
#
# ### Question 1 (20 points)
#
# Write `conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1)`: the
# MACs of one convolution for **one** image whose output is `out_h` x `out_w`. `kernel_size`
# is an `int` (square kernel) or a pair `(k_h, k_w)`, as in `nn.Conv2d`. Return a Python
# `int`. Raise `ValueError` when `in_channels` or `out_channels` is not divisible by
# `groups` (as `nn.Conv2d` does).
#
# Hints:
# - [`torch.nn.Conv2d`](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html):
#   the meaning of `groups`, `kernel_size` and the output-size formula.
# - Turn an `int` kernel size into a pair first; `isinstance(kernel_size, int)`.

# %% nbgrader={"grade": false, "grade_id": "q1-solution", "locked": false, "schema_version": 3, "solution": true}
def conv2d_macs(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                out_h: int, out_w: int, groups: int = 1) -> int:
    """Multiply-accumulates of one Conv2d (bias not counted) for one input image."""
    ### BEGIN SOLUTION
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels={in_channels} and out_channels={out_channels} "
                         f"must both be divisible by groups={groups}")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * out_h * out_w * (in_channels // groups) * kh * kw)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q1-tests", "locked": true, "points": 20, "schema_version": 3, "solution": false}
# Visible checks; the grading tests contain these and more (randomized layers).
# A hand-derived case: MobileNet's first layer, 3 -> 32 channels, 3x3 kernel, 112x112 output.
_got = conv2d_macs(3, 32, 3, 112, 112)
assert _got == 32 * 112 * 112 * 3 * 3 * 3, f"conv2d_macs(3, 32, 3, 112, 112) = {_got}, expected 32*112*112*3*3*3"
assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
# Depthwise (groups = channels): each output channel sees one input channel.
_got = conv2d_macs(32, 32, 3, 112, 112, groups=32)
assert _got == 32 * 112 * 112 * 1 * 3 * 3, f"depthwise 3x3 on 32 channels: {_got}, expected 32*112*112*3*3"
# A rectangular kernel given as a pair (k_h, k_w).
_got = conv2d_macs(8, 16, (1, 7), 10, 12)
assert _got == 16 * 10 * 12 * 8 * 1 * 7, f"kernel (1, 7): {_got}, expected 16*10*12*8*1*7"
# A real nn.Conv2d with stride, padding, dilation and groups, against torch's flop counter.
_conv = nn.Conv2d(12, 18, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=3)
_oh, _ow = _conv(torch.zeros(1, 12, 21, 17)).shape[-2:]
_got = conv2d_macs(12, 18, (3, 5), _oh, _ow, groups=3)
_ref = me.count_macs(_conv, (12, 21, 17))
assert _got == _ref, f"{_conv}: conv2d_macs gives {_got}, torch.utils.flop_counter gives {_ref}"
try:
    conv2d_macs(6, 8, 3, 4, 4, groups=4)
except ValueError:
    pass
else:
    raise AssertionError("conv2d_macs(6, 8, 3, 4, 4, groups=4) must raise ValueError (6 % 4 != 0)")
### BEGIN HIDDEN TESTS
import random

import torch
from torch import nn

import medeff as me
from medeff import grading as _g

_BLOCKED = ("medeff.counting.count_macs", "medeff.counting.mac_breakdown",
            "medeff.counting.thop_macs", "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.depthwise_separable_macs")
_rng = random.Random(1401)
_cases = []
for _trial in range(40):
    _g_ = _rng.choice([1, 1, 2, 3, 4, "depthwise"])
    if _g_ == "depthwise":
        _cin = _rng.randint(1, 12)
        _g_, _cout = _cin, _cin * _rng.choice([1, 1, 2])
    else:
        _cin, _cout = _g_ * _rng.randint(1, 5), _g_ * _rng.randint(1, 5)
    _kh, _kw = _rng.randint(1, 5), _rng.randint(1, 5)
    _k = _kh if _kh == _kw and _rng.random() < 0.5 else (_kh, _kw)
    _layer = nn.Conv2d(_cin, _cout, _k, stride=(_rng.randint(1, 3), _rng.randint(1, 3)),
                       padding=(_rng.randint(0, 2), _rng.randint(0, 2)),
                       dilation=(_rng.randint(1, 2), _rng.randint(1, 2)), groups=_g_,
                       bias=_rng.random() < 0.5)
    _h, _w = _rng.randint(11, 24), _rng.randint(11, 24)
    _oh, _ow = _layer(torch.zeros(1, _cin, _h, _w)).shape[-2:]
    # two independent references: torch's flop counter, and weight count x output pixels
    _ref_counter = me.count_macs(_layer, (_cin, _h, _w))
    _ref_weights = _layer.weight.numel() * int(_oh) * int(_ow)
    assert _ref_counter == _ref_weights, "internal check of the references failed"
    _cases.append((_layer, (_cin, _cout, _k, int(_oh), int(_ow), _g_), _ref_counter))
with _g.unusable(*_BLOCKED):
    for _layer, (_cin, _cout, _k, _oh, _ow, _g_), _ref in _cases:
        _got = conv2d_macs(_cin, _cout, _k, _oh, _ow, groups=_g_)
        assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
        assert _got == _ref, f"{_layer} with a {_oh}x{_ow} output: got {_got}, expected {_ref}"
    assert conv2d_macs(2048, 2048, 3, 1000, 1000) == 2048 * 2048 * 9 * 1000 * 1000, \
        "large layers must be exact: expected 2048*2048*9*1000*1000 (use integers, not floats)"
    assert conv2d_macs(5, 7, 2, 3, 4) == 7 * 3 * 4 * 5 * 2 * 2, \
        "groups must default to 1: conv2d_macs(5, 7, 2, 3, 4) should be 7*3*4*5*2*2 = 1680"
    for _bad in [(8, 6, 4), (6, 8, 4), (9, 9, 2), (4, 6, 3)]:
        _g.assert_raises(ValueError, conv2d_macs, _bad[0], _bad[1], 3, 5, 5, groups=_bad[2],
                         what=f"conv2d_macs({_bad[0]}, {_bad[1]}, 3, 5, 5, groups={_bad[2]})")
### END HIDDEN TESTS

# %% [markdown]
# ### Question 2 (15 points)
#
# A convolution stores one $\frac{C_\text{in}}{g} \times k_h \times k_w$ filter per output
# channel, plus one bias per output channel when `bias=True`:
#
# $$\text{params} = C_\text{out} \cdot \frac{C_\text{in}}{g}\, k_h\, k_w \;+\; [\text{bias}]\, C_\text{out} .$$
#
# Write `conv2d_params(in_channels, out_channels, kernel_size, groups=1, bias=True)`; return a
# Python `int` and raise `ValueError` for channels not divisible by `groups`, as in question 1.
#
# Hints:
# - [`torch.nn.Conv2d`](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html),
#   section *Variables*: the shapes of `weight` and `bias`.
# - You can check yourself with `sum(p.numel() for p in layer.parameters())`
#   ([`Tensor.numel`](https://pytorch.org/docs/stable/generated/torch.Tensor.numel.html)).

# %% nbgrader={"grade": false, "grade_id": "q2-solution", "locked": false, "schema_version": 3, "solution": true}
def conv2d_params(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                  groups: int = 1, bias: bool = True) -> int:
    """Number of parameters (weights + optional bias) of one Conv2d."""
    ### BEGIN SOLUTION
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels={in_channels} and out_channels={out_channels} "
                         f"must both be divisible by groups={groups}")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q2-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
# Hand-derived: ResNet's 7x7 stem without bias, 3 -> 64 channels.
_got = conv2d_params(3, 64, 7, bias=False)
assert _got == 64 * 3 * 7 * 7, f"conv2d_params(3, 64, 7, bias=False) = {_got}, expected 64*3*7*7 = 9408"
assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
# Against a real layer: a grouped convolution with a rectangular kernel and a bias.
_layer = nn.Conv2d(12, 20, (3, 1), groups=4, bias=True)
_ref = sum(p.numel() for p in _layer.parameters())
_got = conv2d_params(12, 20, (3, 1), groups=4, bias=True)
assert _got == _ref, f"{_layer}: conv2d_params gives {_got}, the layer has {_ref} parameters"
### BEGIN HIDDEN TESTS
import random

import torch
from torch import nn

import medeff as me
from medeff import grading as _g

_BLOCKED = ("medeff.counting.count_macs", "medeff.counting.mac_breakdown",
            "medeff.counting.thop_macs", "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.depthwise_separable_macs")
_rng = random.Random(1402)
_cases = []
for _trial in range(40):
    _grp = _rng.choice([1, 1, 2, 3, 4, "depthwise"])
    if _grp == "depthwise":
        _cin = _rng.randint(1, 12)
        _grp, _cout = _cin, _cin * _rng.choice([1, 1, 2])
    else:
        _cin, _cout = _grp * _rng.randint(1, 5), _grp * _rng.randint(1, 5)
    _kh, _kw = _rng.randint(1, 5), _rng.randint(1, 5)
    _k = _kh if _kh == _kw and _rng.random() < 0.5 else (_kh, _kw)
    _bias = _rng.random() < 0.5
    _layer = nn.Conv2d(_cin, _cout, _k, groups=_grp, bias=_bias)
    _ref = sum(p.numel() for p in _layer.parameters())
    _ref_formula = _cout * (_cin // _grp) * _kh * _kw + (_cout if _bias else 0)
    assert _ref == _ref_formula, "internal check of the references failed"
    _cases.append((_layer, (_cin, _cout, _k), {"groups": _grp, "bias": _bias}, _ref))
with _g.unusable(*_BLOCKED):  # one block for all cases (entering it scans every live object)
    _gots = [conv2d_params(*_args, **_opts) for _layer, _args, _opts, _ref in _cases]
for (_layer, _args, _opts, _ref), _got in zip(_cases, _gots, strict=True):
    assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
    assert _got == _ref, f"{_layer}: got {_got}, the layer has {_ref} parameters"
assert conv2d_params(5, 7, 2) == 7 * 5 * 4 + 7, "defaults must be groups=1, bias=True: expected 147"
for _bad in [(8, 6, 4), (6, 8, 4), (9, 9, 2)]:
    _g.assert_raises(ValueError, conv2d_params, _bad[0], _bad[1], 3, groups=_bad[2],
                     what=f"conv2d_params({_bad[0]}, {_bad[1]}, 3, groups={_bad[2]})")
### END HIDDEN TESTS

# %% [markdown]
# ## Fully connected layers
#
# ### Question 3 (10 points)
#
# A `nn.Linear(in_features, out_features)` applied to one input vector computes
# `out_features` dot products of length `in_features`:
# $\text{MACs} = F_\text{in} \cdot F_\text{out}$ (bias not counted). Write
# `linear_macs(in_features, out_features)`, returning a Python `int`.
#
# Hint: [`torch.nn.Linear`](https://pytorch.org/docs/stable/generated/torch.nn.Linear.html).

# %% nbgrader={"grade": false, "grade_id": "q3-solution", "locked": false, "schema_version": 3, "solution": true}
def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-accumulates of one nn.Linear on one input vector (bias not counted)."""
    ### BEGIN SOLUTION
    return int(in_features * out_features)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q3-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
# Hand-derived: the classifier of ResNet-18/34, 512 -> 1000 classes.
_got = linear_macs(512, 1000)
assert _got == 512 * 1000, f"linear_macs(512, 1000) = {_got}, expected 512000"
assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
_ref = me.count_macs(nn.Linear(7, 5), (7,))
assert linear_macs(7, 5) == _ref, f"nn.Linear(7, 5): got {linear_macs(7, 5)}, flop counter says {_ref}"
### BEGIN HIDDEN TESTS
import random

import torch
from torch import nn

import medeff as me
from medeff import grading as _g

_BLOCKED = ("medeff.counting.count_macs", "medeff.counting.mac_breakdown",
            "medeff.counting.thop_macs", "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.depthwise_separable_macs")
_rng = random.Random(1403)
_cases = []
for _trial in range(20):
    _fin, _fout = _rng.randint(1, 300), _rng.randint(1, 300)
    _layer = nn.Linear(_fin, _fout, bias=_rng.random() < 0.5)
    _ref = me.count_macs(_layer, (_fin,))
    assert _ref == _layer.weight.numel(), "internal check of the references failed"
    _cases.append((_fin, _fout, _ref))
with _g.unusable(*_BLOCKED):
    for _fin, _fout, _ref in _cases:
        _got = linear_macs(_fin, _fout)
        assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
        assert _got == _ref, f"linear_macs({_fin}, {_fout}): got {_got}, expected {_ref}"
### END HIDDEN TESTS

# %% [markdown]
# ## A whole network
#
# A network's cost is the sum over the convolutions and linear layers that **run** in a
# forward pass. The output size of each layer is easiest to get by running the network once
# and watching every layer with a **forward hook**: `module.register_forward_hook(fn)` makes
# PyTorch call `fn(module, inputs, output)` after each call of `module`, and returns a handle
# whose `.remove()` takes the hook off again.
#
# ### Question 4 (35 points)
#
# Write `network_macs(model, input_shape)`: the Conv2d + Linear MACs of `model` for **one**
# input of shape `input_shape = (C, H, W)`, computed with forward hooks and your functions
# from questions 1 and 3. Requirements:
#
# - hook every `nn.Conv2d` and `nn.Linear` in `model` (also nested ones), run one forward pass
#   on a batch of one, `torch.zeros(1, *input_shape)`, and add the cost of every call;
#   a module that is called twice counts twice;
# - a `nn.Linear` applied to several rows at once (an output of shape `(1, N, F_out)`, e.g.
#   per-pixel features) costs `linear_macs` once per row: `output.numel() // out_features`
#   rows;
# - BatchNorm, activations and pooling are not counted;
# - leave the model exactly as it was: remove every hook afterwards, even when the forward
#   pass raises; restore the train/eval mode of every submodule; and do not let the forward
#   pass change parameters or buffers (BatchNorm's running statistics change in training
#   mode!);
# - return a Python `int`.
#
# Hints:
# - [`Module.register_forward_hook`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_forward_hook),
#   [`Module.modules`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.modules),
#   [`Module.eval`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval),
#   [`torch.no_grad`](https://pytorch.org/docs/stable/generated/torch.no_grad.html).
# - `try: ... finally: ...` runs the clean-up even when an exception is raised.
# - `module.training` is the mode flag of one module; `model.eval()` changes all of them.

# %% nbgrader={"grade": false, "grade_id": "q4-solution", "locked": false, "schema_version": 3, "solution": true}
def network_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Conv2d + Linear MACs of one forward pass on ONE input of shape (C, H, W)."""
    ### BEGIN SOLUTION
    total = 0

    def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += conv2d_macs(module.in_channels, module.out_channels, module.kernel_size,
                                 output.shape[-2], output.shape[-1], groups=module.groups)
        else:
            rows = output.numel() // module.out_features
            total += rows * linear_macs(module.in_features, module.out_features)

    modes = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in modes.items():
            m.training = mode
    return int(total)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "q4-checks", "locked": true, "schema_version": 3, "solution": false}
# Visible checks of question 4 (run them; the graded tests are in the next cell).
# A hand-derived network on a 3x16x16 input.
_net = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),  # 8x16x16 -> 8x8x8
    nn.Conv2d(8, 16, 3, padding=1, groups=2), nn.BatchNorm2d(16), nn.ReLU(),      # 16x8x8
    nn.Flatten(), nn.Linear(16 * 8 * 8, 10),
)
_hand = 8 * 16 * 16 * 3 * 9 + 16 * 8 * 8 * (8 // 2) * 9 + 16 * 8 * 8 * 10
_got = network_macs(_net, (3, 16, 16))
assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
assert _got == _hand, f"network_macs = {_got}, expected {_hand} (conv 1 + conv 2 + linear, no BatchNorm)"
assert _got == me.count_macs(_net, (3, 16, 16)), "network_macs disagrees with me.count_macs"
# The model is left as it was: mode, running statistics, no hooks.
_net.train()
_before = {k: v.clone() for k, v in _net.state_dict().items()}
network_macs(_net, (3, 16, 16))
assert all(m.training for m in _net.modules()), "restore the train/eval mode of every submodule"
assert all(torch.equal(_before[k], v) for k, v in _net.state_dict().items()), \
    "the forward pass changed parameters or buffers (BatchNorm running statistics?)"
assert not any(m._forward_hooks for m in _net.modules()), "remove your hooks afterwards"

# %% nbgrader={"grade": true, "grade_id": "q4-tests", "locked": true, "points": 35, "schema_version": 3, "solution": false}
# Hidden tests of question 4 (35 points): the checks above and more, on random networks.
# They run your network_macs with trusted reference versions of conv2d_macs and
# linear_macs in place of yours, so a mistake in questions 1-3 is not paid twice.
### BEGIN HIDDEN TESTS
import random

import torch
from torch import nn

import medeff as me
from medeff import grading as _g

_BLOCKED = ("medeff.counting.count_macs", "medeff.counting.mac_breakdown",
            "medeff.counting.thop_macs", "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.depthwise_separable_macs")


def _ref_conv2d_macs(in_channels, out_channels, kernel_size, out_h, out_w, groups=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(out_channels * out_h * out_w * (in_channels // groups) * kh * kw)


def _ref_linear_macs(in_features, out_features):
    return int(in_features * out_features)


def _reference_macs(net, shape):
    """Independent reference: run an nn.Sequential layer by layer (no hooks), weights x outputs."""
    x, total = torch.zeros(1, *shape), 0
    with torch.no_grad():
        for layer in net.eval():
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                total += layer.weight.numel() * x.shape[-2] * x.shape[-1]
            elif isinstance(layer, nn.Linear):
                total += layer.weight.numel() * (x.numel() // layer.out_features)
    return total


def _random_net(rng):
    layers, c, size = [], rng.randint(1, 4), rng.randint(12, 28)
    shape = (c, size, size)
    for _block in range(rng.randint(1, 4)):
        g = rng.choice([1, 1, 2, "depthwise"])
        if g == "depthwise":
            g, cout = c, c
        else:
            c_new = g * rng.randint(1, 6)
            if c % g:
                g = 1
            cout = c_new
        kh, kw = rng.choice([1, 3, 5]), rng.choice([1, 3])
        layers += [nn.Conv2d(c, cout, (kh, kw), stride=rng.randint(1, 2), padding=(kh // 2, kw // 2),
                             dilation=rng.choice([1, 1, 2]) if kh == 3 == kw else 1, groups=g,
                             bias=rng.random() < 0.5),
                   nn.BatchNorm2d(cout), nn.ReLU()]
        if rng.random() < 0.3:
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
        c = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, rng.randint(2, 20))]
    if rng.random() < 0.5:
        layers += [nn.ReLU(), nn.Linear(layers[-1].out_features, rng.randint(2, 5))]
    return nn.Sequential(*layers), shape


class _Twice(nn.Module):  # weight sharing: a module called twice counts twice
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(self.conv(x))


class _PixelMLP(nn.Module):  # a Linear on per-pixel features, nested in submodules
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 6, 1, bias=False))
        self.head = nn.Sequential(nn.Linear(6, 11), nn.GELU(), nn.Linear(11, 2))

    def forward(self, x):
        return self.head(self.body(x).flatten(2).transpose(1, 2))


class _Broken(nn.Module):  # hooks must be removed even when the forward pass raises
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        self.conv(x)
        raise RuntimeError("broken on purpose")


_rng = random.Random(1404)
torch.manual_seed(1404)
_cases = []  # (description, net, input shape, expected MACs), references computed first
for _trial in range(12):
    _net, _shape = _random_net(_rng)
    _ref_counter = me.count_macs(_net, _shape)
    assert _ref_counter == _reference_macs(_net, _shape), "internal check of the references failed"
    _cases.append((f"random network {_trial}\n{_net}", _net.train(), _shape, _ref_counter))
_cases.append(("a conv called twice", _Twice(), (4, 9, 7), 2 * 4 * 9 * 7 * 4 * 9))
_cases.append(("per-pixel Linear layers in submodules", _PixelMLP(), (3, 5, 8),
               6 * 40 * 3 + 40 * (6 * 11 + 11 * 2)))
_net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5), nn.Flatten(),
                     nn.Linear(4 * 6 * 6, 3))
_net[1].running_mean.fill_(0.25)
_net.eval()
_net[2].train()  # a module left in its own mode
_cases.append(("an eval-mode network with one module in train mode", _net, (2, 8, 8),
               4 * 36 * 2 * 9 + 144 * 3))
for _what, _net, _shape, _want in _cases:
    assert me.count_macs(_net, _shape) == _want, "internal check of the references failed"
_broken = _Broken()

with _g.replaced(conv2d_macs=_ref_conv2d_macs, linear_macs=_ref_linear_macs), \
        _g.unusable(*_BLOCKED):
    for _what, _net, _shape, _want in _cases:
        _modes = [m.training for m in _net.modules()]
        _before = {k: v.clone() for k, v in _net.state_dict().items()}
        _got = network_macs(_net, _shape)
        assert type(_got) is int, f"return a Python int, got {type(_got).__name__}"
        assert _got == _want, f"{_what} on input {_shape}: got {_got}, expected {_want}"
        assert [m.training for m in _net.modules()] == _modes, \
            f"{_what}: restore the train/eval mode of every submodule"
        assert all(torch.equal(_before[k], v) for k, v in _net.state_dict().items()), \
            f"{_what}: the forward pass changed parameters or buffers (BatchNorm statistics?)"
        assert not any(m._forward_hooks for m in _net.modules()), \
            f"{_what}: remove your hooks afterwards"
    try:
        network_macs(_broken, (1, 5, 5))
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error of a failing forward pass must not be swallowed")
    assert not _broken.conv._forward_hooks, \
        "remove your hooks even when the forward pass raises (try/finally)"
### END HIDDEN TESTS

# %% [markdown]
# ## Written answers (graded by hand)
#
# Popular profilers do not all agree. The `thop` package, for instance, also charges
# BatchNorm, pooling and some activations, so its count of a modern network is a few percent
# higher than the papers' figure. Run the cell below before you answer question 5.

# %%
_demo = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4))
print("papers' convention (me.count_macs):", me.count_macs(_demo, (3, 32, 32)))
print("thop's convention  (me.thop_macs): ", me.thop_macs(_demo, (3, 32, 32)))

# %% [markdown]
# ### Question 5 (10 points)
#
# Explain the difference between the two numbers printed above for this small network:
# which layers does `thop` add, and how many operations per element does it charge for
# BatchNorm (show the arithmetic that reproduces the difference)? Which convention would
# you report in a paper, and why must the convention be stated next to the number?
# Three to six sentences.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q5-written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Rubric (10 points):
# - 4: names the extra layers: BatchNorm and the adaptive average pooling (thop charges
#   ReLU nothing here); the conv (16*32*32*27 = 442,368) and linear (64) MACs are the same
#   in both counts (442,432).
# - 3: reproduces the difference 524,368 - 442,432 = 81,936 = 65,536 (BatchNorm: 4 ops
#   per element x 16 x 32 x 32) + 16,400 (pooling: 16 x (1,024 + 1)).
# - 3: reports the papers' convention (conv + linear multiply-accumulates) for comparison
#   with published tables, and says a number without its convention cannot be compared
#   (18 % here, and a factor of 2 between MACs and FLOPs).
# Model answer: thop adds BatchNorm and pooling; the difference equals thop's
# per-element charges for those layers. Papers count only conv and linear MACs, so report
# that, and always state it, because the same network has several valid "costs".
# ### END SOLUTION

# %% [markdown]
# ### Question 6 (10 points)
#
# The Network Slimming table of the lecture lists VGGNet on CIFAR-10 with
# $7.97 \times 10^{8}$ "FLOPs", while the "Popular DNN Models" table lists VGG-16 with
# 15.5G "MACs" on ImageNet. Using your `network_macs` (or `me.count_macs`) and the
# convention FLOPs = 2 x MACs, say which convention each table uses and why the two
# numbers differ by far more than that factor of 2 (hint: input size and the
# classifier). Three to five sentences; quote the numbers you computed.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q6-written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Rubric (10 points):
# - 4: the Network Slimming table counts FLOPs = 2 x MACs (VGG-19-style CIFAR net: about
#   399M MACs, i.e. 7.97e8 FLOPs); the Popular DNN table counts MACs (15.5G for VGG-16).
# - 4: the gap beyond 2x comes from the input: 32x32 CIFAR images instead of 224x224
#   (49x fewer pixels at every layer), and the CIFAR variant's small classifier instead of
#   the 4096-wide fully connected layers.
# - 2: quotes numbers they computed (any reasonable model of the CIFAR VGG).
# ### END SOLUTION
