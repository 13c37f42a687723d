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
# # Assignment 1: Efficient architectures (MobileNet, ShuffleNet, GhostNet)
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency". Read lectures
# 01 (MobileNet), 02 (ShuffleNet) and 03 (GhostNet) first.*
#
# **Goals.** Write the four building blocks of the lecture yourself, from their
# definitions, and use them to build and cost a small network:
#
# | question | what | points |
# | --- | --- | --- |
# | 1 | `depthwise_separable_macs`: the cost formula of MobileNet | 10 |
# | 2 | `DepthwiseSeparableConv`: the MobileNet block | 15 |
# | 3 | `channel_shuffle`: ShuffleNet's channel shuffle | 15 |
# | 4 | `GhostModule`: GhostNet's Ghost module | 25 |
# | 5 | a small network from your blocks: (a) build it, (b) its MACs and parameters, (c) the Ghost saving | 5 + 5 + 5 |
# | 6 | written: why the depthwise convolution is slower than its MAC count says | 10 |
# | 7 | written: what the channel shuffle buys, and what it cannot | 10 |
#
# 7 questions, 100 points (80 autograded, 20 for two written answers that a TA grades by
# hand). Nothing is trained; the whole notebook runs in a few seconds.
#
# **Rules.** Write your code between `# YOUR CODE HERE` and the end of the cell (delete the
# `raise NotImplementedError()`). Do not rename the functions and classes. Define them in
# this notebook yourself: while your answers are graded, medeff's own versions
# (`medeff.models.efficient.DepthwiseSeparableConv`, `channel_shuffle`, `GhostModule`, the
# MAC formulas) raise an error, so importing, subclassing or wrapping them scores nothing.
# The visible checks under each question are a subset of the grading tests; hidden tests
# use random shapes and compare your code with reference implementations, so a correct
# implementation written in your own way gets full marks. Each question is graded on its
# own: question 5 is graded with reference versions of your blocks from questions 2 and 4,
# so a mistake there is not paid twice.

# %%
import math

import torch
from torch import nn

import medeff as me

me.set_seed(0)
print("torch", torch.__version__)


# %% [markdown]
# ## Depthwise-separable convolution (MobileNet)
#
# A standard convolution with $M$ input channels, $N$ output channels, a $D_K\times D_K$
# kernel and a $D_F\times D_F$ output costs $D_K^2\,M\,N\,D_F^2$ multiply-accumulates (MACs).
# MobileNet factorizes it into a **depthwise** convolution (one $D_K\times D_K$ filter per
# input channel: $D_K^2\,M\,D_F^2$ MACs) followed by a **pointwise** $1\times1$ convolution
# that mixes channels ($M\,N\,D_F^2$ MACs), a cost ratio of $\frac{1}{N}+\frac{1}{D_K^2}$.
#
# ### Question 1 (10 points)
#
# Write `depthwise_separable_macs(in_channels, out_channels, kernel_size, out_h, out_w)`
# returning the MACs (an `int`) of a depthwise $k\times k$ convolution followed by a pointwise
# convolution, both without bias, for an output of `out_h` x `out_w` pixels (the depthwise
# conv's stride is already in the output size). Count multiply-accumulates only, as the
# papers do (no BatchNorm, no ReLU).
#
# Hints:
# - [`torch.nn.Conv2d`](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html): a
#   depthwise conv is `groups=in_channels`; each of its filters sees one input channel.
# - You can check your formula with `me.count_macs(module, (C, H, W))`.

# %% nbgrader={"grade": false, "grade_id": "q1-solution", "locked": false, "schema_version": 3, "solution": true}
def depthwise_separable_macs(in_channels: int, out_channels: int, kernel_size: int,
                             out_h: int, out_w: int) -> int:
    """MACs of a k x k depthwise conv followed by a 1x1 pointwise conv (no bias)."""
    ### BEGIN SOLUTION
    spatial = out_h * out_w
    depthwise = kernel_size * kernel_size * in_channels * spatial
    pointwise = in_channels * out_channels * spatial
    return int(depthwise + pointwise)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q1-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
# Visible checks (the grading tests include these and more).
assert depthwise_separable_macs(32, 64, 3, 112, 112) == 3 * 3 * 32 * 112 * 112 + 32 * 64 * 112 * 112, \
    "MobileNet's 2nd layer: 3*3*32*112*112 (depthwise) + 32*64*112*112 (pointwise)"
assert isinstance(depthwise_separable_macs(8, 16, 3, 7, 7), int), "return a Python int"
ratio = depthwise_separable_macs(64, 128, 3, 14, 14) / (3 * 3 * 64 * 128 * 14 * 14)
assert abs(ratio - (1 / 128 + 1 / 9)) < 1e-12, f"ratio to a standard conv should be 1/N + 1/D_K^2, got {ratio}"
### BEGIN HIDDEN TESTS
import math as _math
import random as _random

import torch as _torch
from torch import nn as _nn

import medeff as me
from medeff import grading as _g

# medeff's versions of the graded blocks raise while the answers run (a wrapper earns nothing)
_BLOCKED = ("medeff.models.efficient.depthwise_separable_macs",
            "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.DepthwiseSeparableConv",
            "medeff.models.efficient.channel_shuffle", "medeff.models.efficient.ChannelShuffle",
            "medeff.models.efficient.ShuffleUnit", "medeff.models.efficient.GhostModule")


_g.defined_in_notebook(depthwise_separable_macs, "depthwise_separable_macs")
with _g.unusable(*_BLOCKED):
    _rng = _random.Random(1401)
    for _ in range(25):
        m, n, k = _rng.randint(1, 96), _rng.randint(1, 96), _rng.choice([1, 3, 5, 7])
        h, w = _rng.randint(1, 40), _rng.randint(1, 40)
        want = k * k * m * h * w + m * n * h * w
        got = depthwise_separable_macs(m, n, k, h, w)
        assert isinstance(got, int) and not isinstance(got, bool), f"return an int, got {type(got).__name__}"
        assert got == want, f"depthwise_separable_macs{(m, n, k, h, w)} = {got}, expected {want}"
    # and against an operator-level count of real layers
    _pair = _nn.Sequential(_nn.Conv2d(12, 12, 5, 2, 2, groups=12, bias=False), _nn.Conv2d(12, 20, 1, bias=False))
    _want = me.count_macs(_pair, (12, 17, 23))
    assert depthwise_separable_macs(12, 20, 5, 9, 12) == _want, f"expected {_want} (as me.count_macs counts)"
### END HIDDEN TESTS

# %% [markdown]
# ### Question 2 (15 points)
#
# Write the MobileNet block `DepthwiseSeparableConv(in_channels, out_channels, stride=1)`,
# an `nn.Module` whose `forward(x)` applies, in this order:
#
# 1. a $3\times3$ **depthwise** convolution (`in_channels` -> `in_channels`, stride `stride`,
#    padding 1, no bias),
# 2. `BatchNorm2d`, 3. ReLU,
# 4. a $1\times1$ **pointwise** convolution (`in_channels` -> `out_channels`, no bias),
# 5. `BatchNorm2d`, 6. ReLU.
#
# Hints:
# - [`torch.nn.Conv2d`](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html)
#   (`groups`, `bias`),
#   [`torch.nn.BatchNorm2d`](https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html),
#   [`torch.nn.ReLU`](https://pytorch.org/docs/stable/generated/torch.nn.ReLU.html).
# - Parameters: $9M + 2M + MN + 2N$ (each BatchNorm has a weight and a bias per channel).
#
# The tests give your block and a reference the same weights by matching the `nn.Conv2d`
# and `nn.BatchNorm2d` **modules** in the order they run, so use these modules (not
# `F.conv2d`) with PyTorch's default BatchNorm settings (`eps=1e-5`, `momentum=0.1`); the
# outputs must then agree to within 1e-4 in eval and in train mode.

# %% nbgrader={"grade": false, "grade_id": "q2-solution", "locked": false, "schema_version": 3, "solution": true}
class DepthwiseSeparableConv(nn.Module):
    """3x3 depthwise conv -> BN -> ReLU -> 1x1 pointwise conv -> BN -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        ### BEGIN SOLUTION
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=stride,
                                   padding=1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = self.relu(self.bn1(self.depthwise(x)))
        return self.relu(self.bn2(self.pointwise(x)))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q2-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
_block = DepthwiseSeparableConv(16, 32, stride=2)
_out = _block(torch.randn(2, 16, 28, 28))
assert _out.shape == (2, 32, 14, 14), f"output shape {tuple(_out.shape)}, expected (2, 32, 14, 14)"
_n = sum(p.numel() for p in _block.parameters())
assert _n == 9 * 16 + 2 * 16 + 16 * 32 + 2 * 32, f"{_n} parameters, expected {9 * 16 + 2 * 16 + 16 * 32 + 2 * 32}"
_convs = [m for m in _block.modules() if isinstance(m, nn.Conv2d)]
assert len(_convs) == 2, f"expected 2 convolutions, found {len(_convs)}"
assert (_out >= 0).all(), "the block ends with a ReLU"
### BEGIN HIDDEN TESTS
import math as _math
import random as _random

import torch as _torch
from torch import nn as _nn

import medeff as me
from medeff import grading as _g

# medeff's versions of the graded blocks raise while the answers run (a wrapper earns nothing)
_BLOCKED = ("medeff.models.efficient.depthwise_separable_macs",
            "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.DepthwiseSeparableConv",
            "medeff.models.efficient.channel_shuffle", "medeff.models.efficient.ChannelShuffle",
            "medeff.models.efficient.ShuffleUnit", "medeff.models.efficient.GhostModule")


class _RefDSConv(_nn.Module):  # trusted reference of question 2
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = _nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = _nn.BatchNorm2d(cin)
        self.pw = _nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = _nn.BatchNorm2d(cout)

    def forward(self, x):
        return _torch.relu(self.bn2(self.pw(_torch.relu(self.bn1(self.dw(x))))))


_g.defined_in_notebook(DepthwiseSeparableConv, "DepthwiseSeparableConv")
with _g.unusable(*_BLOCKED):
    _rng = _random.Random(1402)
    _gen = _torch.Generator().manual_seed(1402)
    for _ in range(6):
        cin, cout, s = _rng.randint(2, 24), _rng.randint(1, 24), _rng.choice([1, 2])
        h = _rng.randint(5, 15)
        blk = DepthwiseSeparableConv(cin, cout, stride=s)
        assert isinstance(blk, _nn.Module), "DepthwiseSeparableConv must be an nn.Module"
        x = _torch.randn(3, cin, h, h + 1, generator=_gen)
        convs = [m for m in _g.layer_order(blk, x) if isinstance(m, _nn.Conv2d)]
        assert len(convs) == 2, f"expected 2 convolutions to run, found {len(convs)}"
        dw, pw = convs
        assert dw.groups == cin and dw.in_channels == cin and dw.out_channels == cin, (
            f"the first conv must be depthwise: groups={dw.groups}, expected {cin}")
        assert dw.kernel_size == (3, 3) and dw.padding == (1, 1) and dw.stride == (s, s), (
            f"depthwise conv: kernel 3, padding 1, stride {s}; got {dw}")
        assert pw.kernel_size == (1, 1) and pw.groups == 1 and pw.out_channels == cout, f"pointwise conv wrong: {pw}"
        assert dw.bias is None and pw.bias is None, "the convolutions have no bias"
        want_p = 9 * cin + 2 * cin + cin * cout + 2 * cout
        assert _g.n_params(blk) == want_p, f"({cin}, {cout}): {_g.n_params(blk)} parameters, expected {want_p}"
        ho, wo = (h - 1) // s + 1, h // s + 1
        assert me.count_macs(blk, (cin, h, h + 1)) == 9 * cin * ho * wo + cin * cout * ho * wo
        _g.same_behaviour(_RefDSConv(cin, cout, s), blk, x, gen=_gen, what=f"DepthwiseSeparableConv({cin}, {cout}, stride={s})")
### END HIDDEN TESTS

# %% [markdown]
# ## Channel shuffle (ShuffleNet)
#
# A group convolution with $G$ groups splits the channels into $G$ groups and convolves each
# group separately: $G$ times fewer parameters and MACs. Stacked group convolutions have a
# side effect: an output of group $g$ only ever sees inputs of group $g$. ShuffleNet's
# **channel shuffle** fixes this with no parameters and no MACs: view the $C$ channels as a
# $G \times (C/G)$ grid, transpose it to $(C/G) \times G$, and flatten it back. With $C=6$,
# $G=2$ the channel order `0 1 2 | 3 4 5` becomes `0 3 1 4 2 5`, so the next group
# convolution's groups each receive channels from both previous groups.
#
# ### Question 3 (15 points)
#
# Write `channel_shuffle(x, groups)` for an input `x` of shape (N, C, H, W). It returns a
# tensor of the same shape with the channels permuted as above. If `C` is not divisible by
# `groups`, raise a `ValueError`.
#
# Hints:
# - [`torch.Tensor.view`](https://pytorch.org/docs/stable/generated/torch.Tensor.view.html) /
#   [`torch.reshape`](https://pytorch.org/docs/stable/generated/torch.reshape.html),
#   [`torch.transpose`](https://pytorch.org/docs/stable/generated/torch.transpose.html)
#   (after a transpose the tensor is no longer contiguous: `reshape` copies when needed).
# - Channel `i * groups + g` of the output is channel `g * (C // groups) + i` of the input.

# %% nbgrader={"grade": false, "grade_id": "q3-solution", "locked": false, "schema_version": 3, "solution": true}
def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Shuffle the channels of an NCHW tensor across `groups` groups."""
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    if c % groups != 0:
        raise ValueError(f"{c} channels are not divisible into {groups} groups")
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q3-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
_x = torch.arange(6.0).view(1, 6, 1, 1)
_y = channel_shuffle(_x, 2)
assert _y.shape == (1, 6, 1, 1), f"shape {tuple(_y.shape)}, expected (1, 6, 1, 1)"
assert _y.flatten().tolist() == [0, 3, 1, 4, 2, 5], f"got channel order {_y.flatten().tolist()}, expected [0, 3, 1, 4, 2, 5]"
try:
    channel_shuffle(torch.zeros(1, 6, 2, 2), 4)
except ValueError:
    pass
else:
    raise AssertionError("6 channels in 4 groups must raise ValueError")
### BEGIN HIDDEN TESTS
import math as _math
import random as _random

import torch as _torch
from torch import nn as _nn

import medeff as me
from medeff import grading as _g

# medeff's versions of the graded blocks raise while the answers run (a wrapper earns nothing)
_BLOCKED = ("medeff.models.efficient.depthwise_separable_macs",
            "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.DepthwiseSeparableConv",
            "medeff.models.efficient.channel_shuffle", "medeff.models.efficient.ChannelShuffle",
            "medeff.models.efficient.ShuffleUnit", "medeff.models.efficient.GhostModule")


def _ref_shuffle(x, groups):  # trusted reference of question 3
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


_g.defined_in_notebook(channel_shuffle, "channel_shuffle")
with _g.unusable(*_BLOCKED):
    _rng = _random.Random(1403)
    _gen = _torch.Generator().manual_seed(1403)
    for _ in range(20):
        g, k = _rng.randint(1, 8), _rng.randint(1, 8)
        n, h, w = _rng.randint(1, 3), _rng.randint(1, 6), _rng.randint(1, 6)
        c = g * k
        x = _torch.randn(n, c, h, w, generator=_gen)
        x_copy = x.clone()
        y = channel_shuffle(x, g)
        assert _torch.equal(x, x_copy), "channel_shuffle must not modify its input"
        assert isinstance(y, _torch.Tensor) and y.shape == x.shape, f"shape {tuple(getattr(y, 'shape', ()))}, expected {tuple(x.shape)}"
        assert _torch.equal(y, _ref_shuffle(x, g)), f"wrong permutation for C={c}, groups={g}"
        # a permutation of the channels, whose inverse is the shuffle with C // groups groups
        idx = _torch.arange(c, dtype=_torch.float32).view(1, c, 1, 1)
        perm = channel_shuffle(idx, g).flatten().long()
        assert sorted(perm.tolist()) == list(range(c)), "the output channels must be a permutation of the input channels"
        assert _torch.equal(channel_shuffle(y, c // g), x), "shuffling with C // groups must undo the shuffle"
    for c, g in ((6, 4), (10, 3), (7, 2), (12, 5)):
        try:
            channel_shuffle(_torch.zeros(2, c, 3, 3), g)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{c} channels in {g} groups must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## The Ghost module (GhostNet)
#
# Feature maps of a trained CNN are redundant: many are close to a cheap transformation of
# another one. A **Ghost module** therefore makes only $m = \lceil n/s \rceil$ "intrinsic"
# maps with an ordinary convolution and derives the others ("ghosts") from them with a cheap
# depthwise convolution: each intrinsic map yields $s-1$ ghosts. Intrinsic maps and ghosts
# are concatenated, and the result is cut to $n$ channels. Its cost is about $1/s$ of an
# ordinary convolution with the same output.
#
# ### Question 4 (25 points)
#
# Write `GhostModule(in_channels, out_channels, *, ratio=2, kernel_size=1, dw_size=3,
# stride=1, relu=True)` as in the GhostNet paper's code (huawei-noah/ghostnet); the
# arguments after `out_channels` are keyword-only (`GhostModule(16, 32, ratio=3)`), so
# `GhostModule(16, 32, 3)` cannot be misread as a kernel size:
#
# - **primary conv**: `Conv2d(in_channels, init_channels, kernel_size, stride,
#   padding=kernel_size // 2, bias=False)` with `init_channels = ceil(out_channels / ratio)`,
#   then `BatchNorm2d`, then ReLU if `relu`;
# - **cheap operation** on the primary output: a depthwise `Conv2d(init_channels,
#   init_channels * (ratio - 1), dw_size, stride=1, padding=dw_size // 2,
#   groups=init_channels, bias=False)`, then `BatchNorm2d`, then ReLU if `relu`;
# - `forward` returns the primary output and the cheap output concatenated along the
#   channels, cut to the first `out_channels` channels.
#
# The tests give your module and a reference the same weights by matching the
# `nn.Conv2d` and `nn.BatchNorm2d` **modules** in the order they run, so build the layers
# from these modules (not `F.conv2d`), with PyTorch's default BatchNorm settings
# (`eps=1e-5`, `momentum=0.1`); the outputs must then agree to within 1e-4.
#
# Hints:
# - [`torch.cat`](https://pytorch.org/docs/stable/generated/torch.cat.html),
#   [`math.ceil`](https://docs.python.org/3/library/math.html#math.ceil),
#   [`torch.nn.Sequential`](https://pytorch.org/docs/stable/generated/torch.nn.Sequential.html),
#   [`torch.nn.Identity`](https://pytorch.org/docs/stable/generated/torch.nn.Identity.html).
# - A depthwise conv with `out_channels = k * in_channels` and `groups=in_channels` gives
#   each input channel `k` filters of its own.

# %% nbgrader={"grade": false, "grade_id": "q4-solution", "locked": false, "schema_version": 3, "solution": true}
class GhostModule(nn.Module):
    """Primary conv -> intrinsic maps; cheap depthwise conv on them -> ghost maps; concatenate."""

    def __init__(self, in_channels: int, out_channels: int, *, ratio: int = 2,
                 kernel_size: int = 1, dw_size: int = 3, stride: int = 1, relu: bool = True):
        super().__init__()
        ### BEGIN SOLUTION
        self.out_channels = out_channels
        init_channels = math.ceil(out_channels / ratio)
        new_channels = init_channels * (ratio - 1)
        self.primary_conv = nn.Sequential(
            nn.Conv2d(in_channels, init_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(init_channels),
            nn.ReLU(inplace=True) if relu else nn.Identity(),
        )
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(init_channels, new_channels, dw_size, 1, dw_size // 2,
                      groups=init_channels, bias=False),
            nn.BatchNorm2d(new_channels),
            nn.ReLU(inplace=True) if relu else nn.Identity(),
        )
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        return torch.cat([x1, x2], dim=1)[:, :self.out_channels]
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q4-tests", "locked": true, "points": 25, "schema_version": 3, "solution": false}
_ghost = GhostModule(16, 32)
_out = _ghost(torch.randn(2, 16, 14, 14))
assert _out.shape == (2, 32, 14, 14), f"output shape {tuple(_out.shape)}, expected (2, 32, 14, 14)"
_n = sum(p.numel() for p in _ghost.parameters())
# primary 16*16 + BN 2*16, cheap 16*9 + BN 2*16
assert _n == 16 * 16 + 32 + 16 * 9 + 32, f"{_n} parameters, expected {16 * 16 + 32 + 16 * 9 + 32}"
_odd = GhostModule(8, 7, ratio=3, kernel_size=3, stride=2)(torch.randn(1, 8, 10, 10))
assert _odd.shape == (1, 7, 5, 5), f"GhostModule(8, 7, ratio=3, kernel_size=3, stride=2): shape {tuple(_odd.shape)}, expected (1, 7, 5, 5)"
### BEGIN HIDDEN TESTS
import math as _math
import random as _random

import torch as _torch
from torch import nn as _nn

import medeff as me
from medeff import grading as _g

# medeff's versions of the graded blocks raise while the answers run (a wrapper earns nothing)
_BLOCKED = ("medeff.models.efficient.depthwise_separable_macs",
            "medeff.models.efficient.standard_conv_macs",
            "medeff.models.efficient.DepthwiseSeparableConv",
            "medeff.models.efficient.channel_shuffle", "medeff.models.efficient.ChannelShuffle",
            "medeff.models.efficient.ShuffleUnit", "medeff.models.efficient.GhostModule")


class _RefGhost(_nn.Module):  # trusted reference of question 4
    def __init__(self, cin, cout, *, ratio=2, kernel_size=1, dw_size=3, stride=1, relu=True):
        super().__init__()
        self.cout = cout
        init = _math.ceil(cout / ratio)
        new = init * (ratio - 1)
        self.primary = _nn.Sequential(
            _nn.Conv2d(cin, init, kernel_size, stride, kernel_size // 2, bias=False),
            _nn.BatchNorm2d(init), _nn.ReLU() if relu else _nn.Identity())
        self.cheap = _nn.Sequential(
            _nn.Conv2d(init, new, dw_size, 1, dw_size // 2, groups=init, bias=False),
            _nn.BatchNorm2d(new), _nn.ReLU() if relu else _nn.Identity())

    def forward(self, x):
        x1 = self.primary(x)
        return _torch.cat([x1, self.cheap(x1)], dim=1)[:, :self.cout]


_g.defined_in_notebook(GhostModule, "GhostModule")
with _g.unusable(*_BLOCKED):
    _rng = _random.Random(1404)
    _gen = _torch.Generator().manual_seed(1404)
    _cases = [(_rng.randint(1, 20), _rng.randint(1, 40), _rng.choice([2, 3, 4]), _rng.choice([1, 3]),
               _rng.choice([1, 3, 5]), _rng.choice([1, 2]), _rng.choice([True, False])) for _ in range(8)]
    _cases += [(6, 9, 2, 1, 3, 1, False), (5, 10, 5, 3, 3, 2, True)]
    for cin, cout, ratio, k, d, s, relu in _cases:
        args = dict(ratio=ratio, kernel_size=k, dw_size=d, stride=s, relu=relu)
        what = f"GhostModule({cin}, {cout}, {args})"
        mod = GhostModule(cin, cout, **args)
        h = _rng.randint(4, 12)
        x = _torch.randn(2, cin, h, h + 2, generator=_gen)
        init = _math.ceil(cout / ratio)
        new = init * (ratio - 1)
        convs = [m for m in _g.layer_order(mod, x) if isinstance(m, _nn.Conv2d)]
        assert len(convs) == 2, f"{what}: expected 2 convolutions to run, found {len(convs)}"
        prim, cheap = convs
        assert prim.out_channels == init and prim.kernel_size == (k, k) and prim.stride == (s, s), (
            f"{what}: primary conv {prim}, expected {init} outputs, kernel {k}, stride {s}")
        assert cheap.groups == init and cheap.out_channels == new and cheap.kernel_size == (d, d), (
            f"{what}: cheap conv {cheap}, expected depthwise (groups={init}) with {new} outputs, kernel {d}")
        assert cheap.stride == (1, 1) and prim.bias is None and cheap.bias is None, f"{what}: cheap conv stride 1, no biases"
        want_p = cin * init * k * k + 2 * init + new * d * d + 2 * new
        assert _g.n_params(mod) == want_p, f"{what}: {_g.n_params(mod)} parameters, expected {want_p}"
        ho, wo = (h - 1) // s + 1, (h + 1) // s + 1
        want_macs = cin * init * k * k * ho * wo + new * d * d * ho * wo
        got_macs = me.count_macs(mod, x[:1])
        assert got_macs == want_macs, f"{what}: {got_macs} MACs, expected {want_macs}"
        _g.same_behaviour(_RefGhost(cin, cout, **args), mod, x, gen=_gen, what=what)
### END HIDDEN TESTS

# %% [markdown]
# ## Putting the blocks together
#
# ### Question 5 (15 points: a, b and c are graded separately, 5 points each)
#
# (a) Write `build_small_net(num_classes=8)` returning an `nn.Sequential` for 1x28x28
# patches with exactly these layers, using **your** classes from questions 2 and 4 (look
# them up by name when the function runs, as the code below does):
#
# | # | layer | output |
# | --- | --- | --- |
# | 0-2 | `Conv2d(1, 16, 3, padding=1, bias=False)`, `BatchNorm2d(16)`, `ReLU` | 16 x 28 x 28 |
# | 3 | `DepthwiseSeparableConv(16, 32, stride=2)` | 32 x 14 x 14 |
# | 4 | `GhostModule(32, 64)` (defaults: ratio 2, 1x1 primary, 3x3 cheap) | 64 x 14 x 14 |
# | 5 | `DepthwiseSeparableConv(64, 64, stride=2)` | 64 x 7 x 7 |
# | 6 | `GhostModule(64, 128, kernel_size=3)` | 128 x 7 x 7 |
# | 7-9 | `AdaptiveAvgPool2d(1)`, `Flatten()`, `Linear(128, num_classes)` | num_classes |
#
# (b) Store its MACs per image (from `me.count_macs`, batch 1) in `small_net_macs` and its
# parameter count in `small_net_params` (both `int`, for `num_classes=8`). They are graded
# against *your* network, so a mistake in (a) or in questions 2 and 4 costs nothing here.
#
# (c) Compare two designs for layer 6: store in `ghost_mac_ratio` the MACs of an ordinary
# `Conv2d(64, 128, 3, padding=1, bias=False)` on a 64x7x7 input divided by the MACs of
# `GhostModule(64, 128, kernel_size=3)` on the same input, as a `float`, **not rounded**
# (the test compares it to 1e-9). The paper predicts about $s = 2$; is it a little less,
# and why?
#
# Hints:
# - [`torch.nn.Sequential`](https://pytorch.org/docs/stable/generated/torch.nn.Sequential.html),
#   [`torch.nn.AdaptiveAvgPool2d`](https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html),
#   [`torch.nn.Flatten`](https://pytorch.org/docs/stable/generated/torch.nn.Flatten.html).
# - `me.count_macs(model, (1, 28, 28))` counts conv and linear MACs for one image;
#   `me.count_params(model)` counts parameters.

# %% nbgrader={"grade": false, "grade_id": "q5-solution", "locked": false, "schema_version": 3, "solution": true}
def build_small_net(num_classes: int = 8) -> nn.Sequential:
    """Stem conv, two depthwise-separable blocks and two Ghost modules, pool, linear."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
        DepthwiseSeparableConv(16, 32, stride=2),
        GhostModule(32, 64),
        DepthwiseSeparableConv(64, 64, stride=2),
        GhostModule(64, 128, kernel_size=3),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes),
    )
    ### END SOLUTION


small_net_macs = None
small_net_params = None
ghost_mac_ratio = None
### BEGIN SOLUTION
_net = build_small_net(8)
small_net_macs = me.count_macs(_net, (1, 28, 28))
small_net_params = me.count_params(_net)
ghost_mac_ratio = (me.count_macs(nn.Conv2d(64, 128, 3, padding=1, bias=False), (64, 7, 7))
                   / me.count_macs(GhostModule(64, 128, kernel_size=3), (64, 7, 7)))
### END SOLUTION
print(f"MACs {small_net_macs:,}  params {small_net_params:,}  ghost ratio {ghost_mac_ratio:.3f}")

# %% nbgrader={"grade": false, "grade_id": "q5-checks", "locked": true, "schema_version": 3, "solution": false}
# Visible checks of question 5 (run them; the graded tests are in the next three cells).
_net = build_small_net(8)
_out = _net(torch.randn(2, 1, 28, 28))
assert _out.shape == (2, 8), f"output shape {tuple(_out.shape)}, expected (2, 8)"
assert isinstance(_net, nn.Sequential) and len(_net) == 10, "an nn.Sequential of the 10 layers in the table"
assert isinstance(small_net_macs, int) and isinstance(small_net_params, int), "store ints"
assert small_net_macs == me.count_macs(_net, (1, 28, 28)), "small_net_macs must be me.count_macs of the net"
assert 1.5 < ghost_mac_ratio < 2.0, f"ghost_mac_ratio = {ghost_mac_ratio}: expected a bit under 2"

# %% nbgrader={"grade": true, "grade_id": "q5a-tests", "locked": true, "points": 5, "schema_version": 3, "solution": false}
# Hidden tests of question 5 (a): build_small_net runs with reference versions of
# DepthwiseSeparableConv and GhostModule in place of yours.
### BEGIN HIDDEN TESTS
import math as _math

import torch as _torch
from torch import nn as _nn

from medeff import grading as _g

_BLOCKED = ("medeff.models.efficient.DepthwiseSeparableConv",
            "medeff.models.efficient.GhostModule")


class _RefDSConv(_nn.Module):  # trusted reference of question 2
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = _nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = _nn.BatchNorm2d(cin)
        self.pw = _nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = _nn.BatchNorm2d(cout)

    def forward(self, x):
        return _torch.relu(self.bn2(self.pw(_torch.relu(self.bn1(self.dw(x))))))


class _RefGhost(_nn.Module):  # trusted reference of question 4
    def __init__(self, cin, cout, *, ratio=2, kernel_size=1, dw_size=3, stride=1, relu=True):
        super().__init__()
        self.cout = cout
        init = _math.ceil(cout / ratio)
        new = init * (ratio - 1)
        self.primary = _nn.Sequential(
            _nn.Conv2d(cin, init, kernel_size, stride, kernel_size // 2, bias=False),
            _nn.BatchNorm2d(init), _nn.ReLU() if relu else _nn.Identity())
        self.cheap = _nn.Sequential(
            _nn.Conv2d(init, new, dw_size, 1, dw_size // 2, groups=init, bias=False),
            _nn.BatchNorm2d(new), _nn.ReLU() if relu else _nn.Identity())

    def forward(self, x):
        x1 = self.primary(x)
        return _torch.cat([x1, self.cheap(x1)], dim=1)[:, :self.cout]


def _ref_net(k):
    return _nn.Sequential(
        _nn.Conv2d(1, 16, 3, padding=1, bias=False), _nn.BatchNorm2d(16), _nn.ReLU(),
        _RefDSConv(16, 32, 2), _RefGhost(32, 64), _RefDSConv(64, 64, 2),
        _RefGhost(64, 128, kernel_size=3),
        _nn.AdaptiveAvgPool2d(1), _nn.Flatten(), _nn.Linear(128, k))


_gen = _torch.Generator().manual_seed(1405)
with _g.replaced(DepthwiseSeparableConv=_RefDSConv, GhostModule=_RefGhost), \
        _g.unusable(*_BLOCKED):
    for _k in (3, 8, 11):
        _net = build_small_net(_k)
        assert isinstance(_net, _nn.Sequential) and len(_net) == 10, (
            f"build_small_net({_k}): expected an nn.Sequential of 10 layers, got {type(_net).__name__}"
            f" of {len(_net) if isinstance(_net, _nn.Sequential) else '?'}")
        assert isinstance(_net[3], _RefDSConv) and isinstance(_net[5], _RefDSConv), (
            "layers 3 and 5 must be DepthwiseSeparableConv blocks (looked up by name)")
        assert isinstance(_net[4], _RefGhost) and isinstance(_net[6], _RefGhost), (
            "layers 4 and 6 must be GhostModule blocks (looked up by name)")
        _x = _torch.randn(4, 1, 28, 28, generator=_gen)
        _g.same_behaviour(_ref_net(_k), _net, _x, gen=_gen, what=f"build_small_net({_k})")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "q5b-tests", "locked": true, "points": 5, "schema_version": 3, "solution": false}
# Hidden tests of question 5 (b): your numbers must be those of your own network.
### BEGIN HIDDEN TESTS
import medeff as me

_ref_counts = me.count_macs, me.count_params  # trusted: medeff's counters, not blocked here
_net = build_small_net(8)
_want_macs, _want_params = _ref_counts[0](_net, (1, 28, 28)), _ref_counts[1](_net)
assert type(small_net_macs) is int and type(small_net_params) is int, (
    f"store ints, got {type(small_net_macs).__name__} and {type(small_net_params).__name__}")
assert small_net_macs == _want_macs, (
    f"small_net_macs = {small_net_macs}, expected {_want_macs} (me.count_macs of your network, batch 1)")
assert small_net_params == _want_params, (
    f"small_net_params = {small_net_params}, expected {_want_params} (me.count_params of your network)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "q5c-tests", "locked": true, "points": 5, "schema_version": 3, "solution": false}
# Hidden tests of question 5 (c): the exact ratio, unrounded (that of your own GhostModule
# is accepted too, so a mistake in question 4 is not paid twice).
### BEGIN HIDDEN TESTS
import medeff as me

_want_ratio = (3 * 3 * 64 * 128 * 49) / (64 * 64 * 9 * 49 + 64 * 9 * 49)
_mine = me.count_macs(_nn.Conv2d(64, 128, 3, padding=1, bias=False), (64, 7, 7))
try:
    _own_ratio = _mine / me.count_macs(GhostModule(64, 128, kernel_size=3), (64, 7, 7))
except Exception:  # the student's module fails: only the reference value counts
    _own_ratio = _want_ratio
assert isinstance(ghost_mac_ratio, float), f"store a float, got {type(ghost_mac_ratio).__name__}"
assert min(abs(ghost_mac_ratio - _want_ratio), abs(ghost_mac_ratio - _own_ratio)) < 1e-9, (
    f"ghost_mac_ratio = {ghost_mac_ratio!r}, expected {_want_ratio!r} (not rounded; tolerance 1e-9)")
### END HIDDEN TESTS

# %% [markdown]
# **Why is `ghost_mac_ratio` below $s$?** The cheap depthwise convolution is not free: with
# $m = n/s$ intrinsic maps, the ratio is
# $\frac{c\,k^2\,n}{c\,k^2\,n/s + (s-1)\,d^2\,n/s} = \frac{s\,c\,k^2}{c\,k^2 + (s-1)\,d^2}
# \approx s$ when $c\,k^2 \gg (s-1)\,d^2$ (paper, Eq. 4). Try larger `ratio` values in a new
# cell and see how far the saving follows $s$.

# %% [markdown]
# ## Written answers (graded by hand)
#
# ### Question 6 (10 points)
#
# Lecture 01 measured that a depthwise-separable block needs 8-9 times fewer MACs than a
# standard 3x3 convolution but is far less than 8-9 times faster on a CPU (at small channel
# counts it can even be slower). Explain why, using the idea of arithmetic intensity (MACs
# per byte moved) and what limits a depthwise convolution. Three to six sentences.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q6-written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Rubric (10 points):
# - 4: a depthwise conv does only k*k = 9 MACs per input element it reads (one filter per
#   channel, no reuse across channels), so it is memory bound: its time is set by bytes
#   moved, not by MACs; the 1x1 pointwise conv is a dense matrix multiply with high reuse.
# - 3: MAC counts ignore memory traffic, kernel launch / framework overhead and how well
#   the library's kernels are optimised (depthwise kernels are less tuned than GEMM).
# - 3: connects to the measurement: the saving is real in MACs but latency depends on the
#   hardware; ShuffleNetV2's point: judge by the direct metric (latency) on the target.
# ### END SOLUTION

# %% [markdown]
# ### Question 7 (10 points)
#
# Your `channel_shuffle` has no parameters and no MACs. What problem of stacked group
# convolutions does it solve, why is a shuffle enough (rather than a learned mixing layer),
# and what does it cost on real hardware even though it has zero MACs? Three to five
# sentences.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q7-written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Rubric (10 points):
# - 4: without a shuffle, an output group of stacked group convolutions only sees its own
#   input group: information never crosses groups, which weakens the representation.
# - 3: the next group convolution already mixes channels within each group, so a fixed
#   permutation that sends channels of every group into every next group is enough; a
#   learned 1x1 mixing layer would bring back the MACs the groups saved.
# - 3: the shuffle still moves every element in memory (a transpose/copy): zero MACs but
#   non-zero memory traffic and latency (ShuffleNetV2's guideline on element-wise ops).
# ### END SOLUTION
