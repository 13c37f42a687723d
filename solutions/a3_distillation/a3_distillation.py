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
# # Assignment 3: Knowledge distillation
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency". Read lecture 06
# (knowledge distillation) and lecture 07 (the liver-segmentation case study) first.*
#
# **Goals.** Write the losses and the metric of the lecture's case study yourself, from
# their definitions: Hinton's soft-target loss, the Dice coefficient, and the three
# distillation terms of Qin et al. (IEEE TMI 2021) for segmentation networks. Then train a
# tiny student with your loss.
#
# | question | what | points |
# | --- | --- | --- |
# | 1 | `kd_loss`: response-based distillation (soft targets + hard labels) | 20 |
# | 2 | `dice_coefficient`: the Dice overlap of two binary masks | 10 |
# | 3 | `pixelwise_kd_loss`: distillation at every pixel of a segmentation | 10 |
# | 4 | `importance_map`: the attention / importance map of a feature tensor | 15 |
# | 5 | `region_affinity`: how alike the background and the foreground features are | 15 |
# | 6 | `distill`: a training loop that distils a teacher into a student | 15 |
# | 7-9 | three short written answers (graded by hand) | 15 |
#
# 9 questions, 100 points. The whole notebook runs in a few seconds on a laptop CPU.
#
# **Rules.** Write your code between the function header and the end of each solution cell
# (delete the `raise NotImplementedError()`). Do not rename the functions. Define them in
# this notebook: `medeff.distillation` holds the course's reference implementations, and
# they are switched off while your answers are graded, so a wrapper around them scores
# nothing. The visible checks under each question are a subset of the grading tests;
# hidden tests use random inputs and compare with the references within a small
# tolerance, so a correct implementation written in your own way gets full marks. Each
# question is graded on its own: question 6 is graded with a correct `kd_loss`, whatever
# your answer to question 1.

# %%
import torch
import torch.nn.functional as F
from torch import nn

import medeff as me

me.set_seed(0)
torch.set_num_threads(1)  # the tensors here are tiny: one thread is fastest
print("torch", torch.__version__)

# %% [markdown]
# ## Response-based distillation (Hinton et al. 2014)
#
# A teacher's class probabilities carry more information than the label: how much a
# kidney patch looks like a spleen patch. Softening them with a temperature $T$,
# $p_i^{(T)} = \exp(z_i/T) / \sum_j \exp(z_j/T)$, makes that visible. The student with
# logits $s$ learns from the teacher's logits $t$ and the labels $y$ by minimising
#
# $$\mathcal{L}_{KD} = \alpha\,T^2\,\frac{1}{N}\sum_{n=1}^{N}
#   \mathrm{KL}\!\left(\mathrm{softmax}(t_n/T)\,\middle\|\,\mathrm{softmax}(s_n/T)\right)
#   + (1-\alpha)\,\mathrm{CE}(s, y),
# \qquad \mathrm{KL}(q\,\|\,p) = \sum_i q_i \log\frac{q_i}{p_i},$$
#
# where CE is the ordinary cross-entropy with the hard labels, averaged over the batch.
#
# ### Question 1 (20 points)
#
# Write `kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.9)` for
# logits of shape `(N, K)` and integer labels of shape `(N,)`. Return a scalar tensor that
# can be back-propagated to `student_logits`. The KL divergence is summed over the `K`
# classes and averaged over the `N` samples.
#
# Hints:
# - [`torch.nn.functional.kl_div`](https://pytorch.org/docs/stable/generated/torch.nn.functional.kl_div.html)
#   takes the **log**-probabilities of the model being trained as its first argument and
#   the target probabilities as its second; read what its `reduction` options divide by.
# - [`torch.nn.functional.log_softmax`](https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html),
#   [`torch.nn.functional.cross_entropy`](https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html).

# %% nbgrader={"grade": false, "grade_id": "q1-solution", "locked": false, "schema_version": 3, "solution": true}
def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
            temperature: float = 4.0, alpha: float = 0.9) -> torch.Tensor:
    """alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) (batch mean) + (1 - alpha) * CE(s, y)."""
    ### BEGIN SOLUTION
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)
    q = F.softmax(teacher_logits / t, dim=1)
    soft = (q * (torch.log(q) - log_p)).sum(dim=1).mean()
    hard = F.cross_entropy(student_logits, labels)
    return alpha * t * t * soft + (1 - alpha) * hard
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q1-tests", "locked": true, "points": 20, "schema_version": 3, "solution": false}
# Visible checks (the grading tests include these and more).
_s = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 1.0]])
_y = torch.tensor([0, 2])
_out = kd_loss(_s, _s, _y, temperature=4.0, alpha=1.0)
assert isinstance(_out, torch.Tensor) and _out.dim() == 0, "return a scalar (0-d) tensor"
assert abs(_out.item()) < 1e-6, f"identical logits with alpha=1 must give 0, got {_out.item()}"
_ce = F.cross_entropy(_s, _y)
assert abs(kd_loss(_s, 3 * _s, _y, alpha=0.0).item() - _ce.item()) < 1e-6, \
    "alpha=0 must give the plain cross-entropy"
_v = kd_loss(_s, torch.zeros(2, 3), _y, temperature=1.0, alpha=1.0).item()
_want = (torch.log(torch.tensor(1 / 3)) - F.log_softmax(_s, 1)).mean(1).mean().item()
assert abs(_v - _want) < 1e-5, f"KL(uniform || softmax(s)) at T=1: got {_v:.6f}, expected {_want:.6f}"
### BEGIN HIDDEN TESTS
import torch as _torch

import medeff as _me
from medeff import grading as _g

_ref = _g.trusted("medeff.distillation")
_g.defined_in_notebook(kd_loss, "kd_loss")
_gen = _g.rng(6301)
_cases = [(1, 2, 1.0, 0.5), (5, 8, 4.0, 0.9), (16, 3, 2.0, 0.3), (7, 11, 6.5, 0.75),
          (32, 8, 4.0, 1.0), (9, 5, 1.5, 0.0), (3, 4, 10.0, 0.6)]
for n, k, t, a in _cases:
    s = _torch.randn(n, k, generator=_gen) * 2.5
    te = _torch.randn(n, k, generator=_gen) * 4.0
    y = _torch.randint(0, k, (n,), generator=_gen)
    want = _ref.kd_loss(s, te, y, t, a)
    s_ref = s.clone().requires_grad_(True)
    _ref.kd_loss(s_ref, te, y, t, a).backward()
    s_in = s.clone().requires_grad_(True)
    what = f"kd_loss(s, t, y, temperature={t}, alpha={a}) for (N, K) = ({n}, {k})"
    with _g.unusable(_me.distillation.kd_loss, _me.distillation.kd_train_step):
        got = kd_loss(s_in, te.clone(), y.clone(), temperature=t, alpha=a)
    assert isinstance(got, _torch.Tensor) and got.numel() == 1, f"{what}: return a scalar tensor"
    _g.assert_close(got.reshape(()), want, atol=1e-5, rtol=1e-4, what=what)
    assert got.requires_grad, f"{what}: the result must be differentiable w.r.t. the student logits"
    got.reshape(()).backward()
    _g.assert_close(s_in.grad, s_ref.grad, atol=1e-5, rtol=1e-4, what=f"gradient of {what}")
# the defaults are temperature 4 and alpha 0.9
s, te = _torch.randn(6, 5, generator=_gen), _torch.randn(6, 5, generator=_gen) * 3
y = _torch.randint(0, 5, (6,), generator=_gen)
want = _ref.kd_loss(s, te, y)
with _g.unusable(_me.distillation.kd_loss, _me.distillation.kd_train_step):
    got = kd_loss(s, te, y)
_g.assert_close(got.reshape(()), want, atol=1e-5, rtol=1e-4, what="kd_loss(s, t, y) with the defaults")
### END HIDDEN TESTS

# %% [markdown]
# ## The Dice coefficient
#
# The case study measures segmentations by the Dice coefficient of the predicted mask $P$
# and the ground truth $G$, $\mathrm{Dice} = 2|P\cap G| / (|P| + |G|)$: 1 for a perfect
# overlap, 0 for none.
#
# ### Question 2 (10 points)
#
# Write `dice_coefficient(pred, target, eps=1e-6)` for two binary masks of the same shape
# (any shape; `bool`, integer or float tensors of 0s and 1s). Count over **all** elements
# of the tensors together (a batch of slices of one case is pooled, as the paper's
# per-case Dice). Return a Python `float` (or a 0-d tensor). When both masks are empty the
# Dice is **1.0**; use `eps` so that this needs no special case, while any other result
# changes by less than `1e-6`.

# %% nbgrader={"grade": false, "grade_id": "q2-solution", "locked": false, "schema_version": 3, "solution": true}
def dice_coefficient(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> float:
    """2|P and G| / (|P| + |G|) over all elements; 1.0 when both masks are empty."""
    ### BEGIN SOLUTION
    p, g = pred.bool(), target.bool()
    inter = (p & g).sum().item()
    return (2.0 * inter + eps) / (p.sum().item() + g.sum().item() + eps)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q2-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_a = torch.tensor([[1, 1, 0, 0]])
_b = torch.tensor([[1, 0, 1, 0]])
assert abs(float(dice_coefficient(_a, _b)) - 0.5) < 1e-5, "one shared pixel of 2 + 2: Dice 0.5"
assert abs(float(dice_coefficient(_a, _a)) - 1.0) < 1e-6, "identical masks: Dice 1"
assert abs(float(dice_coefficient(_a, 1 - _a))) < 1e-5, "disjoint masks: Dice 0"
_e = torch.zeros(2, 5, 5)
assert abs(float(dice_coefficient(_e, _e)) - 1.0) < 1e-9, "two empty masks: Dice 1.0"
### BEGIN HIDDEN TESTS
import torch as _torch

import medeff as _me
from medeff import grading as _g

_ref = _g.trusted("medeff.distillation")
_g.defined_in_notebook(dice_coefficient, "dice_coefficient")
_gen = _g.rng(6302)
_blocked = (_me.distillation.dice_coefficient, _me.metrics.dice_score)
for i, shape in enumerate([(7,), (3, 9, 9), (2, 1, 16, 12), (4, 5, 6, 7), (1, 32, 32)]):
    for frac_p, frac_g in [(0.3, 0.5), (0.05, 0.1), (0.9, 0.2)]:
        p = _torch.rand(shape, generator=_gen) < frac_p
        g = _torch.rand(shape, generator=_gen) < frac_g
        dtype = (_torch.bool, _torch.long, _torch.float32)[i % 3]
        want = _ref.dice_coefficient(p, g)
        what = f"dice_coefficient of two {tuple(shape)} {str(dtype)[6:]} masks"
        with _g.unusable(*_blocked):
            got = dice_coefficient(p.to(dtype), g.to(dtype))
        _g.assert_close(got, want, atol=1e-6, rtol=0, what=what)
# one empty mask: 0; both empty: exactly 1.0 (any dtype); a few hand cases
_z = _torch.zeros(3, 8, 8)
_one = _z.clone()
_one[1, 2:5, 3:6] = 1
for dtype in (_torch.bool, _torch.long, _torch.float32):
    with _g.unusable(*_blocked):
        both_empty = float(dice_coefficient(_z.to(dtype), _z.to(dtype)))
        one_empty = float(dice_coefficient(_one.to(dtype), _z.to(dtype)))
        swapped = float(dice_coefficient(_z.to(dtype), _one.to(dtype)))
    assert abs(both_empty - 1.0) < 1e-9, f"two empty {dtype} masks: got {both_empty}, expected 1.0"
    assert abs(one_empty) < 1e-6 and abs(swapped) < 1e-6, (
        f"an empty and a non-empty mask: got {one_empty} and {swapped}, expected 0")
with _g.unusable(*_blocked):
    got = dice_coefficient(_one, _one, eps=1e-3)
_g.assert_close(got, 1.0, atol=1e-9, rtol=0, what="dice_coefficient(m, m, eps=1e-3)")
### END HIDDEN TESTS

# %% [markdown]
# ## Pixel-wise distillation (Qin et al. 2021, PMD)
#
# A segmentation network outputs logits of shape $(N, C, H, W)$: a $C$-class
# classification at every pixel. Pixel-wise distillation applies the soft-target term of
# question 1 at every pixel and averages over all $N\cdot H\cdot W$ pixels:
#
# $$\mathcal{L}_{PMD} = \frac{T^2}{NHW}\sum_{n,h,w}
#   \mathrm{KL}\!\left(\mathrm{softmax}_c(t_{n,:,h,w}/T)\,\middle\|\,\mathrm{softmax}_c(s_{n,:,h,w}/T)\right).$$
#
# ### Question 3 (10 points)
#
# Write `pixelwise_kd_loss(student_logits, teacher_logits, temperature=4.0)` for NCHW
# logits (softmax over the channel dimension `C`). Return a differentiable scalar tensor.
#
# Hint: check what `reduction="batchmean"` divides by when the input has four dimensions.

# %% nbgrader={"grade": false, "grade_id": "q3-solution", "locked": false, "schema_version": 3, "solution": true}
def pixelwise_kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      temperature: float = 4.0) -> torch.Tensor:
    """T^2 * KL(softmax(t/T) || softmax(s/T)) over channels, averaged over N*H*W pixels."""
    ### BEGIN SOLUTION
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)
    q = F.softmax(teacher_logits / t, dim=1)
    kl = (q * (torch.log(q) - log_p)).sum(dim=1)  # (N, H, W)
    return kl.mean() * t * t
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q3-tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
_s = torch.randn(2, 2, 4, 4)
_out = pixelwise_kd_loss(_s, _s)
assert isinstance(_out, torch.Tensor) and _out.dim() == 0, "return a scalar (0-d) tensor"
assert abs(_out.item()) < 1e-6, "identical logits give 0"
_t = torch.zeros(1, 2, 1, 1)
_t[0, 1] = 8.0
_v = pixelwise_kd_loss(torch.zeros(1, 2, 1, 1), _t, temperature=4.0).item()
_q = torch.softmax(torch.tensor([0.0, 2.0]), 0)
_want = 16 * (_q * (_q / 0.5).log()).sum().item()
assert abs(_v - _want) < 1e-5, f"one pixel: got {_v:.6f}, expected {_want:.6f}"
### BEGIN HIDDEN TESTS
import torch as _torch

import medeff as _me
from medeff import grading as _g

_ref = _g.trusted("medeff.distillation")
_g.defined_in_notebook(pixelwise_kd_loss, "pixelwise_kd_loss")
_gen = _g.rng(6303)
for n, c, h, w, t in [(2, 2, 8, 8, 4.0), (1, 3, 5, 7, 1.0), (4, 2, 3, 16, 2.5), (3, 5, 6, 4, 8.0)]:
    s = _torch.randn(n, c, h, w, generator=_gen) * 3
    te = _torch.randn(n, c, h, w, generator=_gen) * 5
    want = _ref.pixelwise_kd_loss(s, te, t)
    s_ref = s.clone().requires_grad_(True)
    _ref.pixelwise_kd_loss(s_ref, te, t).backward()
    s_in = s.clone().requires_grad_(True)
    what = f"pixelwise_kd_loss for NCHW = {(n, c, h, w)}, temperature={t}"
    with _g.unusable(_me.distillation.pixelwise_kd_loss, _me.distillation.kd_loss):
        got = pixelwise_kd_loss(s_in, te.clone(), temperature=t)
    assert isinstance(got, _torch.Tensor) and got.numel() == 1, f"{what}: return a scalar tensor"
    _g.assert_close(got.reshape(()), want, atol=1e-5, rtol=1e-4, what=what)
    got.reshape(()).backward()
    _g.assert_close(s_in.grad, s_ref.grad, atol=1e-6, rtol=1e-4, what=f"gradient of {what}")
s, te = _torch.randn(2, 2, 6, 6, generator=_gen), _torch.randn(2, 2, 6, 6, generator=_gen) * 4
with _g.unusable(_me.distillation.pixelwise_kd_loss, _me.distillation.kd_loss):
    got = pixelwise_kd_loss(s, te)
_g.assert_close(got.reshape(()), _ref.pixelwise_kd_loss(s, te), atol=1e-5, rtol=1e-4,
                what="pixelwise_kd_loss(s, t) with the default temperature 4")
### END HIDDEN TESTS

# %% [markdown]
# ## Importance maps (attention transfer; Qin et al. IMD)
#
# Teacher and student features usually have different numbers of channels, so they cannot
# be compared directly. An **importance map** summarises where a feature tensor
# $F\in\mathbb{R}^{C\times H\times W}$ is active, whatever $C$:
#
# $$a(F) = \frac{\mathrm{vec}(Q)}{\lVert \mathrm{vec}(Q)\rVert_2},\qquad
#   Q_{h,w} = \frac{1}{C}\sum_{c=1}^{C} |F_{c,h,w}|^p .$$
#
# The case study uses $p = 4$ and matches $a(F_s)$ to $a(F_t)$ with a squared error.
#
# ### Question 4 (15 points)
#
# Write `importance_map(features, p=4)` for features of shape `(N, C, H, W)`: return the
# maps of the `N` samples, each flattened row by row (as `reshape` does) and divided by
# its own L2 norm, shape `(N, H*W)`.
#
# Hint: [`torch.nn.functional.normalize`](https://pytorch.org/docs/stable/generated/torch.nn.functional.normalize.html).

# %% nbgrader={"grade": false, "grade_id": "q4-solution", "locked": false, "schema_version": 3, "solution": true}
def importance_map(features: torch.Tensor, p: int = 4) -> torch.Tensor:
    """Channel mean of |F|^p, flattened per sample, L2-normalised: shape (N, H*W)."""
    ### BEGIN SOLUTION
    q = features.abs().pow(p).mean(dim=1).flatten(1)
    return q / q.norm(dim=1, keepdim=True).clamp_min(1e-12)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q4-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
_f = torch.randn(3, 8, 5, 6)
_a = importance_map(_f)
assert tuple(_a.shape) == (3, 30), f"shape {tuple(_a.shape)}, expected (3, 30)"
assert torch.allclose(_a.norm(dim=1), torch.ones(3), atol=1e-5), "each row has L2 norm 1"
_one = torch.zeros(1, 4, 2, 2)
_one[0, :, 1, 0] = 2.0
assert torch.allclose(importance_map(_one)[0], torch.tensor([0.0, 0.0, 1.0, 0.0])), \
    "one active pixel (row 1, column 0) gives a one-hot map at index 2"
### BEGIN HIDDEN TESTS
import torch as _torch

import medeff as _me
from medeff import grading as _g

_ref = _g.trusted("medeff.distillation")
_g.defined_in_notebook(importance_map, "importance_map")
_gen = _g.rng(6304)
_blocked = (_me.distillation.importance_map, _me.distillation.imd_loss)
for n, c, h, w, p in [(2, 16, 8, 8, 4), (3, 5, 7, 4, 2), (1, 3, 6, 9, 3), (4, 32, 4, 4, 1),
                      (2, 7, 5, 11, 4), (5, 2, 3, 3, 2)]:
    f = _torch.randn(n, c, h, w, generator=_gen) * _torch.rand(n, 1, h, w, generator=_gen) * 3
    f[0] *= 10  # samples on different scales: each is normalised on its own
    want = _ref.importance_map(f, p)
    what = f"importance_map(features {(n, c, h, w)}, p={p})"
    with _g.unusable(*_blocked):
        got = importance_map(f.clone(), p=p)
    _g.assert_close(got, want, atol=1e-6, rtol=1e-4, what=what)
f = _torch.randn(2, 6, 5, 3, generator=_gen)
with _g.unusable(*_blocked):
    got = importance_map(f.clone())
_g.assert_close(got, _ref.importance_map(f), atol=1e-6, rtol=1e-4,
                what="importance_map(features) with the default p=4")
### END HIDDEN TESTS

# %% [markdown]
# ## Region affinity (Qin et al. RAD)
#
# The third term of the case study asks the student to see the tumour and its
# surroundings as alike, or as different, as the teacher does. For a feature tensor
# $F\in\mathbb{R}^{C\times h\times w}$ (vectors $f_i\in\mathbb{R}^C$ at pixels $i$) and a
# binary mask $m$ resized to $h\times w$, the mean feature vector of each region is
#
# $$r_{fg} = \frac{\sum_i m_i f_i}{\sum_i m_i},\qquad
#   r_{bg} = \frac{\sum_i (1-m_i) f_i}{\sum_i (1-m_i)},$$
#
# and the **region affinity** is their cosine similarity
# $c = \frac{r_{bg}\cdot r_{fg}}{\lVert r_{bg}\rVert\,\lVert r_{fg}\rVert}$.
#
# ### Question 5 (15 points)
#
# Write `region_affinity(features, mask)`: `features` of shape `(N, C, h, w)`, `mask` of
# shape `(N, H, W)` with 0/1 entries (1 = foreground) at the image resolution. Resize the
# mask to `(h, w)` with `torch.nn.functional.interpolate(..., mode="nearest")` (PyTorch's
# default mode), then return the `N` region affinities, shape `(N,)`. The tests only use
# masks in which both regions keep at least one pixel after resizing.
#
# Hints:
# - [`torch.nn.functional.interpolate`](https://pytorch.org/docs/stable/generated/torch.nn.functional.interpolate.html)
#   needs a float input of shape `(N, 1, H, W)`.
# - [`torch.nn.functional.cosine_similarity`](https://pytorch.org/docs/stable/generated/torch.nn.functional.cosine_similarity.html).

# %% nbgrader={"grade": false, "grade_id": "q5-solution", "locked": false, "schema_version": 3, "solution": true}
def region_affinity(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of the mean background and foreground feature vectors: shape (N,)."""
    ### BEGIN SOLUTION
    m = F.interpolate(mask.unsqueeze(1).float(), size=features.shape[-2:], mode="nearest")
    r_fg = (features * m).sum(dim=(2, 3)) / m.sum(dim=(2, 3))
    r_bg = (features * (1 - m)).sum(dim=(2, 3)) / (1 - m).sum(dim=(2, 3))
    return F.cosine_similarity(r_bg, r_fg, dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "q5-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
_f = torch.zeros(1, 2, 2, 2)
_f[0, 0] = torch.tensor([[1.0, 1.0], [0.0, 0.0]])  # channel 0 is on in the top row
_f[0, 1] = torch.tensor([[0.0, 0.0], [1.0, 1.0]])  # channel 1 in the bottom row
_m = torch.zeros(1, 4, 4)
_m[0, :2] = 1  # the top half is foreground
_c = region_affinity(_f, _m)
assert tuple(_c.shape) == (1,), f"shape {tuple(_c.shape)}, expected (1,)"
assert abs(_c.item()) < 1e-6, "orthogonal region vectors: affinity 0"
_c2 = region_affinity(torch.ones(2, 3, 4, 4), torch.ones(2, 8, 8).tril())
assert torch.allclose(_c2, torch.ones(2), atol=1e-6), "constant features: affinity 1"
### BEGIN HIDDEN TESTS
import torch as _torch

import medeff as _me
from medeff import grading as _g

_ref = _g.trusted("medeff.distillation")
_g.defined_in_notebook(region_affinity, "region_affinity")
_gen = _g.rng(6305)


def _masks(n, h, w, gen):
    """Random boxes at image resolution whose edges do not fall on the feature grid."""
    m = _torch.zeros(n, h, w)
    for i in range(n):
        y0 = int(_torch.randint(1, h // 2, (1,), generator=gen))
        x0 = int(_torch.randint(1, w // 2, (1,), generator=gen))
        y1 = y0 + int(_torch.randint(3, h // 2 + 1, (1,), generator=gen))
        x1 = x0 + int(_torch.randint(3, w // 2 + 1, (1,), generator=gen))
        m[i, y0:y1, x0:x1] = 1
    return m


_blocked = (_me.distillation.region_affinity, _me.distillation.rad_loss)
_done = 0
for n, c, h, w, scale in [(3, 8, 8, 8, 4), (2, 5, 6, 10, 2), (4, 16, 4, 4, 8), (2, 3, 7, 5, 3),
                          (3, 4, 16, 16, 1), (2, 6, 8, 8, 4), (3, 12, 5, 9, 2)]:
    f = _torch.randn(n, c, h, w, generator=_gen) + _torch.randn(n, c, 1, 1, generator=_gen)
    mask = _masks(n, h * scale, w * scale, _gen)
    small = _torch.nn.functional.interpolate(mask[:, None], size=(h, w), mode="nearest")
    if not ((small.sum((1, 2, 3)) > 0) & (small.sum((1, 2, 3)) < h * w)).all():
        continue  # only masks with both regions present after resizing
    _done += 1
    want = _ref.region_affinity(f, mask)
    what = f"region_affinity(features {(n, c, h, w)}, mask {(n, h * scale, w * scale)})"
    with _g.unusable(*_blocked):
        got = region_affinity(f.clone(), mask.clone())
    _g.assert_close(got, want, atol=1e-5, rtol=1e-4, what=what)
assert _done >= 5, "test set-up: too few valid masks"
### END HIDDEN TESTS

# %% [markdown]
# ## Distilling a tiny student
#
# ### Question 6 (15 points)
#
# Write `distill(student, teacher, batches, epochs=1, lr=0.1, temperature=4.0, alpha=0.9)`,
# a training loop that distils `teacher` into `student` **with your `kd_loss`**:
#
# - put the student in training mode and the teacher in evaluation mode
#   (`.train()`, `.eval()`); the teacher is never updated;
# - make one `torch.optim.SGD(student.parameters(), lr=lr)` optimizer (plain SGD, no
#   momentum);
# - for each epoch, for each `(x, y)` in `batches` (a list, in its order): compute the
#   teacher's logits without gradients, the loss
#   `kd_loss(student(x), teacher_logits, y, temperature, alpha)`, and take one optimizer
#   step (zero the gradients first);
# - return the list of the loss values (Python floats), one per step.
#
# Write the loop yourself (`me.fit` and `medeff.distillation.kd_train_step` are switched
# off while this question is graded).

# %% nbgrader={"grade": false, "grade_id": "q6-solution", "locked": false, "schema_version": 3, "solution": true}
def distill(student: nn.Module, teacher: nn.Module, batches: list, epochs: int = 1,
            lr: float = 0.1, temperature: float = 4.0, alpha: float = 0.9) -> list[float]:
    """Train ``student`` in place on ``kd_loss`` against ``teacher``; return the losses."""
    ### BEGIN SOLUTION
    student.train()
    teacher.eval()
    optimizer = torch.optim.SGD(student.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        for x, y in batches:
            with torch.no_grad():
                t_logits = teacher(x)
            loss = kd_loss(student(x), t_logits, y, temperature, alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
    ### END SOLUTION


# %% [markdown]
# A tiny experiment. The labels of 8x8 noise images are the argmax of a fixed linear
# rule; the teacher *is* that rule (its logits are exact), and the student, a linear
# layer, sees only 128 labelled images (4 batches, 10 epochs). With labels only, each
# image tells it which class wins; with the teacher's soft targets it also tells it by how
# much, and how the losing classes rank. (Run it after question 6; it takes a second.)

# %%
_rule = torch.randn(4, 64, generator=torch.Generator().manual_seed(99))


def _toy_batches(n_batches: int, seed: int) -> list:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_batches * 32, 1, 8, 8, generator=gen)
    return list(zip(x.split(32), (x.flatten(1) @ _rule.T).argmax(1).split(32), strict=True))


_train, _test = _toy_batches(4, 0), _toy_batches(8, 1)
_teacher = nn.Sequential(nn.Flatten(), nn.Linear(64, 4, bias=False))
with torch.no_grad():
    _teacher[1].weight.copy_(_rule)
results = {}
for a in (0.0, 0.9):
    me.set_seed(0)
    _student = nn.Sequential(nn.Flatten(), nn.Linear(64, 4))
    _losses = distill(_student, _teacher, _train, epochs=10, lr=0.2, alpha=a)
    _student.eval()
    with torch.no_grad():
        results[a] = sum((_student(x).argmax(1) == y).float().mean().item() for x, y in _test) / 8
print(f"student test accuracy: labels only (alpha=0) {results[0.0]:.3f}, "
      f"with the teacher (alpha=0.9) {results[0.9]:.3f}")

# %% nbgrader={"grade": true, "grade_id": "q6-tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
assert isinstance(_losses, list) and len(_losses) == 40, "one loss per step: 10 epochs x 4 batches"
assert all(isinstance(v, float) for v in _losses), "the losses are Python floats"
assert _losses[-1] < _losses[0], "the loss decreases"
### BEGIN HIDDEN TESTS
import copy as _copy

import torch as _torch
import torch.nn.functional as _F
from torch import nn as _nn

import medeff as _me
from medeff import grading as _g

_g.defined_in_notebook(distill, "distill")
_gen = _g.rng(6306)


def _kd_ref(s, t, y, temperature=4.0, alpha=0.9):
    log_p = _F.log_softmax(s / temperature, dim=1)
    q = _F.softmax(t / temperature, dim=1)
    soft = _F.kl_div(log_p, q, reduction="batchmean") * temperature ** 2
    return alpha * soft + (1 - alpha) * _F.cross_entropy(s, y)


def _make(width, gen):
    net = _nn.Sequential(_nn.Conv2d(1, width, 3, padding=1), _nn.BatchNorm2d(width), _nn.ReLU(),
                         _nn.AdaptiveAvgPool2d(2), _nn.Flatten(), _nn.Linear(4 * width, 3))
    _g.randomize_bn(net, gen)
    return net


def _loop(student, teacher, batches, epochs, lr, temperature, alpha):
    student.train()
    teacher.eval()
    opt = _torch.optim.SGD(student.parameters(), lr=lr)
    out = []
    for _ in range(epochs):
        for x, y in batches:
            with _torch.no_grad():
                t = teacher(x)
            loss = _kd_ref(student(x), t, y, temperature, alpha)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
    return out


for epochs, lr, temperature, alpha in [(2, 0.2, 3.0, 0.6), (1, 0.05, 6.0, 0.95)]:
    batches = [(_torch.randn(6, 1, 6, 6, generator=_gen), _torch.randint(0, 3, (6,), generator=_gen))
               for _ in range(3)]
    teacher, student = _make(6, _gen), _make(2, _gen)
    teacher.train()  # distill must switch it to eval mode
    student.eval()  # ... and the student to training mode
    ref_teacher, ref_student = _copy.deepcopy(teacher), _copy.deepcopy(student)
    teacher_state = _copy.deepcopy(teacher.state_dict())
    want = _loop(ref_student, ref_teacher, batches, epochs, lr, temperature, alpha)
    what = f"distill(..., epochs={epochs}, lr={lr}, temperature={temperature}, alpha={alpha})"
    with _g.replaced(kd_loss=_kd_ref), _g.unusable(
            _me.distillation.kd_loss, _me.distillation.kd_train_step, _me.training.fit):
        got = distill(student, teacher, batches, epochs=epochs, lr=lr,
                      temperature=temperature, alpha=alpha)
    assert isinstance(got, list) and len(got) == len(want), (
        f"{what}: returned {type(got).__name__} of length "
        f"{len(got) if hasattr(got, '__len__') else '?'}, expected a list of {len(want)} losses")
    _g.assert_close(list(got), want, atol=1e-5, rtol=1e-4, what=f"{what}: the losses")
    for (name, p_got), p_want in zip(student.state_dict().items(), ref_student.state_dict().values(),
                                     strict=True):
        _g.assert_close(p_got.float(), p_want.float(), atol=1e-5, rtol=1e-4,
                        what=f"{what}: student's {name} after training")
    for name, value in teacher.state_dict().items():
        assert _torch.equal(value, teacher_state[name]), (
            f"{what}: the teacher's {name} changed; it must not be trained (and in eval mode "
            "its BatchNorm statistics stay fixed)")
### END HIDDEN TESTS

# %% [markdown]
# ## Written answers (graded by hand)
#
# Answer each in a few sentences, in the cell below the question.
#
# ### Question 7 (5 points)
#
# Why does `kd_loss` multiply the soft-target term by $T^2$? What would happen to the
# balance between the two terms if you raised $T$ from 1 to 8 without it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "q7-answer", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# The gradient of the soft term with respect to a student logit is
# $\frac{1}{T}(p_i^{(T)} - q_i^{(T)})$, and for large $T$ this is about
# $\frac{1}{N T^2}(s_i - t_i)$ (zero-mean logits): the soft term's gradients shrink as
# $1/T^2$. Multiplying by $T^2$ keeps their size roughly independent of $T$, so the
# relative weight of the soft and hard terms stays what $\alpha$ says when the temperature
# is tuned. Without it, going from $T=1$ to $T=8$ would cut the soft term's gradients by
# about 64x and the student would learn almost only from the hard labels.
#
# **Rubric (5 points).** 2: soft-term gradients scale as $1/T^2$ (a derivation or the
# softened-softmax argument). 2: $T^2$ restores the balance so that $\alpha$ keeps its
# meaning / gradients comparable across temperatures. 1: the concrete consequence at
# $T=8$ (soft term about 64x weaker, the hard labels dominate). Saying only "to make the
# loss bigger" earns at most 1.
# ### END SOLUTION

# %% [markdown]
# ### Question 8 (5 points)
#
# The case study reports the Dice **per case** (counts pooled over all slices of a patient,
# your `dice_coefficient` on the stacked slices) and averages over the cases whose ground
# truth is not empty. Why not average the Dice of single slices instead? Name one way
# per-slice averaging would distort a tumour Dice.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q8-answer", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Per-slice averaging gives every slice the same weight, whatever its size: the small
# tumour cross-sections at the top and bottom of a lesion, where a few pixels of error
# give a Dice near 0, count as much as the large central slices, so the average is low and
# noisy. Slices without tumour are worse: a slice with no tumour and no prediction scores
# 1.0 (with the both-empty convention) and one with a single false-positive pixel scores 0,
# so the result depends on how many empty slices are kept and on isolated pixels, not on
# the segmentation quality. Pooling the counts per case weights every pixel equally within
# a patient; averaging over cases then weights patients equally. Cases with empty ground
# truth are left out because their Dice is 0 or 1 from a handful of pixels.
#
# **Rubric (5 points).** 2: per-slice Dice weights small/edge slices as much as large
# ones (unstable, few-pixel slices dominate). 2: a concrete distortion: empty slices
# give 1.0 or 0 depending on single pixels / the number of empty slices changes the
# score. 1: what pooling per case does instead (pixel-weighted within a patient, patients
# weighted equally).
# ### END SOLUTION

# %% [markdown]
# ### Question 9 (5 points)
#
# A "hint" loss (FitNets) matches the student's feature tensor to the teacher's directly
# with a squared error. Why can `importance_map` and `region_affinity` compare a student
# with 16 channels to a teacher with 64, where a direct hint cannot? What does a larger
# $p$ in the importance map emphasise?

# %% [markdown] nbgrader={"grade": true, "grade_id": "q9-answer", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Both reduce the channel dimension away before comparing: the importance map averages
# over channels (one number per pixel, then L2-normalised, so the scale of the features
# does not matter either), and the region affinity is one cosine per sample (a number
# between -1 and 1). A direct hint needs the two tensors to have the same shape, so
# FitNets adds a learned regressor (e.g. a 1x1 convolution) from the student's 16 to the
# teacher's 64 channels, and the student can match the regressor's output without
# learning the teacher's representation. (The spatial size must still agree for the map:
# the case study resizes the student's map to the teacher's.) A larger $p$ weights the
# pixels with the largest activations more: with $p=4$ the map concentrates on the most
# discriminative locations (e.g. the organ/tumour) and ignores weak background
# activity; $p=1$ is close to the mean absolute activation.
#
# **Rubric (5 points).** 2: the channel dimension is reduced (mean over channels /
# a scalar cosine) so channel counts need not match. 1: a hint needs equal shapes, i.e.
# an extra regressor / adaptation layer. 1: normalisation makes the map scale-free (or
# the spatial size must still match, handled by resizing). 1: larger $p$ emphasises the
# most active locations.
# ### END SOLUTION
