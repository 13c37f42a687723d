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
# # Lecture 05: Quantization
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", part 2 of the
# compression block (after 04 pruning).*
#
# Quantization approximates a network that computes in 32-bit floating point by one that
# stores and computes with low-bit integers: weights **and** activations. In this notebook we
#
# 1. write down uniform affine quantization (scale, zero point, clipping range) and measure
#    the error as a function of the bit width;
# 2. compare symmetric with asymmetric ranges and per-tensor with per-channel scales;
# 3. calibrate activation ranges on a small subset: min-max against percentile and MSE
#    observers;
# 4. quantize the course's trained CNN after training (**PTQ**) at 8, 4 and 2 bits;
# 5. fine-tune it with fake quantization and the straight-through estimator (**QAT**) and
#    check the seed's claim that QAT beats PTQ, most at low bit widths, over several seeds;
# 6. build a **real int8 model** with torchao's PT2E flow and `torch.compile`, and measure
#    its size, latency and accuracy against fp32 in the same run (course CNN and ResNet-18);
# 7. estimate the **energy** of one inference at fp32 and int8 from Horowitz's 45 nm figures.
#
# Run time: QAT and compiling the int8 graphs take most of it (each step prints its time,
# the last cell the total; Inductor caches compiled code on disk, so a re-run compiles
# faster). The baseline CNN comes from the course cache shared with lectures 01-04, or is
# trained once. `MEDEFF_FAST=1` shrinks everything and skips the ResNet-18 compile.

# %%
import copy
import time

import matplotlib.pyplot as plt
import torch
import torchvision

import medeff as me
from medeff import pruning as pr
from medeff import quantization as mq
from medeff.data import ORGAN_CLASSES
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown]
# The trained network of this block is the course's standard CNN
# (`ef.make_classifier("standard", 1.0)`, 8 organ classes, 28x28 patches) with the course's
# training budget: `ef.course_net` loads it from the cache that lectures 01-04 share, so it
# shows the same accuracy here as there (or trains it once).

# %%
train_loader, val_loader, test_loader = ef.course_loaders()
K = len(ORGAN_CLASSES)
ACC = {"accuracy": me.accuracy}
EVAL_BATCHES = me.pick(None, 2)  # None: the whole test set
SWEEP_BATCHES = me.pick(16, 2)  # the PTQ/QAT sweeps use the first 16 x 128 test patches
model, rec = ef.course_net("standard", 1.0, seed=0)
fp32_acc = me.evaluate(model, test_loader, ACC, max_batches=EVAL_BATCHES)["accuracy"]
print(f"fp32 baseline: test accuracy {fp32_acc:.3f}, {rec['params']:,} parameters, "
      f"{rec['macs']:,} MACs per patch ({'from cache' if rec['cached'] else 'trained now'})")

# %% [markdown]
# ## 1. Uniform affine quantization
#
# A real value $x$ is mapped to an unsigned $b$-bit integer $q$ and back:
#
# $$q = \operatorname{clamp}\!\Big(\operatorname{round}\big(\tfrac{x}{s}\big) + z,\; 0,\; 2^b-1\Big),
# \qquad \hat x = s\,(q - z).$$
#
# The **clipping range** $[\alpha, \beta]$ (extended to contain 0, so that 0 is exact: zero
# padding and ReLU outputs are everywhere) is cut into $2^b-1$ equal steps:
#
# $$s = \frac{\beta - \alpha}{2^b - 1}, \qquad z = \operatorname{round}\!\Big(-\frac{\alpha}{s}\Big) \in \{0,\dots,2^b-1\}.$$
#
# The **scale** $s$ is the step; the **zero point** $z$ is the integer that stands for 0.0.
# Inside the range the rounding error is at most $s/2$; outside, values are clipped and
# the error grows without bound. With a uniform error on $[-s/2, s/2]$ the mean squared
# error is $s^2/12$: one more bit halves $s$ and divides the MSE by 4 (about 6 dB per bit).
# Rounding here is round-half-to-even, as `torch.round`.

# %%
x = torch.tensor([-1.0, -0.2, 0.0, 0.3, 1.7, 3.0])
scale, zp = mq.quantize_params(x.min().item(), x.max().item(), num_bits=4)
q = mq.quantize(x, scale, zp, 4)
print(f"range [{x.min():.1f}, {x.max():.1f}] at 4 bits: scale {scale:.4f}, zero point {zp}")
print("x      ", x.tolist())
print("q      ", q.tolist(), q.dtype)
print("x_hat  ", [round(v, 4) for v in mq.dequantize(q, scale, zp).tolist()])

# %%
xs = torch.linspace(-1.2, 3.5, 801)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for b in (2, 3):
    s, z = mq.quantize_params(-1.0, 3.0, b)
    axes[0].plot(xs, mq.dequantize(mq.quantize(xs, s, z, b), s, z), label=f"{b} bits (s = {s:.2f}, z = {z})")
axes[0].plot(xs, xs, "k:", lw=1, label="identity")
axes[0].axvspan(-1.0, 3.0, color="0.9", zorder=0, label="clipping range")
axes[0].set(xlabel="x", ylabel=r"$\hat x$", title="quantize-dequantize, range [-1, 3]")
axes[0].legend(fontsize=8)
s, z = mq.quantize_params(-1.0, 3.0, 3)
axes[1].plot(xs, mq.dequantize(mq.quantize(xs, s, z, 3), s, z) - xs)
axes[1].axhline(s / 2, color="r", ls="--", lw=1, label="±s/2")
axes[1].axhline(-s / 2, color="r", ls="--", lw=1)
axes[1].set(xlabel="x", ylabel=r"$\hat x - x$", title="error at 3 bits: rounding inside, clipping outside")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Predict, then run:** the weights of the trained CNN's third conv are quantized with
# their own min-max range at 2 to 8 bits. By what factor should the MSE drop per extra bit?
# Does the measured curve follow $s^2/12$?

# %%
conv_weights = [m.weight.detach() for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
w = conv_weights[2]
bits = list(range(2, 9))
mse = [mq.quantization_mse(w, b) for b in bits]
theory = [mq.quantize_params(w.min().item(), w.max().item(), b)[0] ** 2 / 12 for b in bits]
fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.semilogy(bits, mse, "o-", label="measured MSE")
ax.semilogy(bits, theory, "k--", label=r"$s^2/12$")
ax.set(xlabel="bit width b", ylabel="mean squared error", title=f"conv weight {tuple(w.shape)}")
ax.legend()
plt.show()
ratios = [a / b for a, b in zip(mse[:-1], mse[1:], strict=True)]
print("MSE ratio per extra bit:", " ".join(f"{r:.2f}" for r in ratios))
print(f"measured / s^2/12 at 8 bits: {mse[-1] / theory[-1]:.2f}")

# %% [markdown]
# ## 2. Symmetric vs asymmetric, per-tensor vs per-channel
#
# **Symmetric** quantization fixes $z = 0$ and uses a signed range
# $q \in [-(2^{b-1}-1),\, 2^{b-1}-1]$ with $s = \max(|\alpha|, |\beta|)/(2^{b-1}-1)$. It is
# cheaper (no zero-point terms in the integer matrix product) and fits weights, which are
# roughly symmetric around 0. **Asymmetric** (affine) quantization, section 1, fits
# one-sided data such as ReLU outputs, where a symmetric range would waste the negative half
# of the levels.
#
# **Per-tensor** quantization uses one $(s, z)$ per tensor; **per-channel** uses one per
# output filter of a weight. Filters differ in scale (more so after BatchNorm folding), and
# the largest filter would otherwise set a coarse step for all of them.
#
# **Predict, then run:** at 4 bits, how much larger is the MSE of a symmetric range than of
# an asymmetric one on ReLU activations? And is per-channel better than per-tensor on every
# conv of the (BatchNorm-folded) CNN?

# %%
xb = torch.cat([b[0] for _, b in zip(range(4), train_loader, strict=False)])
with torch.no_grad():
    relu_act = model.features[0](model.stem(xb))  # output of the first block, after ReLU
sym = mq.quantization_mse(relu_act, 4, symmetric=True)
asym = mq.quantization_mse(relu_act, 4)
print(f"ReLU activations {tuple(relu_act.shape)}, min {relu_act.min():.3f}: "
      f"4-bit MSE symmetric {sym:.2e}, asymmetric {asym:.2e} ({sym / asym:.1f}x larger symmetric)")

folded = mq.fold_batchnorm(model)
print(f"{'conv (BN folded)':<18} {'per-tensor':>11} {'per-channel':>12} {'ratio':>6}   4-bit symmetric MSE")
for i, conv in enumerate(m for m in folded.modules() if isinstance(m, torch.nn.Conv2d)):
    wt = conv.weight.detach()
    pt = mq.quantization_mse(wt, 4, symmetric=True)
    pc = mq.quantization_mse(wt, 4, symmetric=True, axis=0)
    print(f"conv {i} {str(tuple(wt.shape)):<13} {pt:>11.2e} {pc:>12.2e} {pt / pc:>6.1f}")

# %%
wt = [m for m in folded.modules() if isinstance(m, torch.nn.Conv2d)][2].weight.detach()
amax = wt.abs().amax(dim=(1, 2, 3))
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(range(len(amax)), amax.sort(descending=True).values)
ax.axhline(amax.max(), color="r", ls="--", lw=1, label="per-tensor range (the largest filter)")
ax.set(xlabel="output filter (sorted)", ylabel="max |w|", title="range of each filter, conv 2 after BN folding")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Calibration: choosing the clipping range
#
# Weights are known after training, activations are not: their range is estimated from a
# few batches of **calibration** data (the seed: "a small subset of training data").
# An **observer** turns the observed values into $[\alpha, \beta]$:
#
# - **min-max**: no clipping, but one rare large value stretches $s$ for all the others;
# - **percentile** (here 99.99 %): clips the rarest values;
# - **MSE**: the range (min-max shrunk by a factor $a \in [0.05, 1]$) that minimises
#   $\mathbb{E}[(\hat x - x)^2]$ on the calibration data: it trades clipping error against
#   rounding error.
#
# We calibrate on 4 training batches and measure the error on held-out validation
# patches, at the output of the third block.
#
# **Predict, then run:** which observer gives the lowest error at 8 bits, and which at 4?

# %%
def block_output(x: torch.Tensor, k: int = 3) -> torch.Tensor:
    with torch.no_grad():
        return model.features[:k](model.stem(x))


calib = block_output(xb)
held_out = block_output(next(iter(val_loader))[0])
fig, ax = plt.subplots(figsize=(8, 3.4))
ax.hist(calib.flatten(), bins=200, log=True, color="0.6")
print(f"{'observer':<11} {'range':>17} {'MSE 8 bits':>11} {'MSE 4 bits':>11}   (held-out patches)")
for method, color in zip(mq.OBSERVERS, "rgb", strict=True):
    errs = []
    for b in (8, 4):
        lo, hi = mq.calibration_range(calib, b, method)
        errs.append(mq.quantization_mse(held_out, b, x_min=lo, x_max=hi))
    ax.axvline(hi, color=color, ls="--", label=f"{method}, 4 bits: β = {hi:.2f}")
    print(f"{method:<11} [{lo:6.2f}, {hi:7.2f}] {errs[0]:>11.2e} {errs[1]:>11.2e}")
ax.set(xlabel="activation value (block 3 output)", ylabel="count (log)", title="calibration data and clipping ranges")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 4. Post-training quantization (PTQ) of the trained CNN
#
# PTQ needs no training: fold BatchNorm into the convolutions (as deployment does), wrap
# every conv and linear layer so that its input activation and its weight are
# quantize-dequantized ("fake quantization": integers simulated in float), calibrate the
# activation ranges on a few training batches, evaluate. Weights: symmetric, per output
# channel; activations: asymmetric, per tensor, with one of the observers of section 3.
# As in most low-bit papers, the first and the last layer stay at 8 bits. To keep the
# sweeps short they are evaluated on the first 2,048 test patches (`SWEEP_BATCHES`); the
# fp32 and int8 accuracies of section 6 use the whole test set.
#
# **Predict, then run:** how many points of accuracy does the CNN lose at 8 bits? At 4? At 2?

# %%
CALIB_BATCHES = me.pick(8, 2)
qnet = mq.calibrate(mq.prepare_fake_quant(model, 4), train_loader, CALIB_BATCHES)
print(qnet.features[0])

ptq = {}
for b in (8, 4, 2):
    for obs in mq.OBSERVERS:
        me.set_seed(0)
        qnet = mq.calibrate(mq.prepare_fake_quant(model, b, observer=obs), train_loader, CALIB_BATCHES)
        ptq[b, obs] = me.evaluate(qnet, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]
fp32_sweep = me.evaluate(model, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]
folded_sweep = me.evaluate(folded, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]
print(f"on the sweep's test patches: fp32 {fp32_sweep:.3f}, BN folded {folded_sweep:.3f}")
print(f"{'bits':>4} " + " ".join(f"{o:>11}" for o in mq.OBSERVERS) + "   PTQ test accuracy")
for b in (8, 4, 2):
    print(f"{b:>4} " + " ".join(f"{ptq[b, o]:>11.3f}" for o in mq.OBSERVERS))
best_obs = {b: max(mq.OBSERVERS, key=lambda o, b=b: ptq[b, o]) for b in (8, 4, 2)}
print("best observer per bit width:", best_obs)

# %% [markdown]
# ## 5. Quantization-aware training (QAT) with the straight-through estimator
#
# QAT fine-tunes the network *with* fake quantization in the forward pass, so that the
# weights adapt to the grid. The obstacle: $\operatorname{round}$ is a staircase, its
# derivative is 0 almost everywhere, and no gradient would reach the weights. The
# **straight-through estimator** (STE; Bengio et al. 2013) pretends that the quantizer is
# the identity in the backward pass:
#
# $$\text{forward: } \hat x = Q(x), \qquad \text{backward: } \frac{\partial L}{\partial x} := \frac{\partial L}{\partial \hat x}.$$
#
# In code: `x + (Q(x) - x).detach()`, or an `autograd.Function`; `mq.fake_quantize_ste` is
# the per-tensor min-max version (the one assignment a2 asks for).

# %%
x = torch.linspace(-1, 1, 9, requires_grad=True)
y = mq.fake_quantize_ste(x, 2)
y.sum().backward()
print("x        ", [round(v, 2) for v in x.tolist()])
print("Q(x)     ", [round(v, 2) for v in y.tolist()])
print("gradient ", x.grad.tolist(), "(the true derivative of the staircase is 0)")

# %% [markdown]
# QAT here (`mq.qat_finetune`): start from the PTQ model (same observer), fine-tune all
# weights for a short schedule (`QAT_STEPS` batches of 64, Adam with a cosine schedule)
# with the activation ranges fixed, then re-calibrate the ranges and evaluate. The seed
# claims "QAT methods usually achieve better results than PTQ methods", most visibly at low
# bit widths. We repeat both for several seeds: a seed draws the calibration batches of
# PTQ, the observer's subsample and the fine-tuning order (`me.seeded_loader`), and we
# report mean ± standard deviation. Every fine-tuned net is cached by everything that
# determines its weights (`me.train_cached`), so a re-run only loads.

# %%
SEEDS = range(me.pick(3, 2))
QAT_STEPS, QAT_LR, QAT_BATCH = me.pick(30, 2), 1e-3, 64
OBSERVER = "mse"
QAT_KEY = {"base": pr.state_fingerprint(model), "data": me.data_fingerprint(train_loader.dataset),
           "observer": OBSERVER, "steps": QAT_STEPS, "lr": QAT_LR, "batch": QAT_BATCH,
           "calib_batches": CALIB_BATCHES, "eval_batches": SWEEP_BATCHES}


def ptq_and_qat(bits: int, seed: int) -> tuple[float, float]:
    """PTQ and QAT test accuracy at `bits` for one seed (trained once, then from the cache)."""
    def train(qnet: torch.nn.Module) -> dict:
        me.set_seed(seed)
        loader = me.seeded_loader(train_loader, seed, batch_size=QAT_BATCH)
        mq.calibrate(qnet, loader, 2 * CALIB_BATCHES)  # PTQ: the same 1,024 patches as 8 x 128
        ptq_acc = me.evaluate(qnet, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]
        mq.qat_finetune(qnet, loader, steps=QAT_STEPS, lr=QAT_LR, calib_batches=2 * CALIB_BATCHES)
        return {"ptq": ptq_acc, "qat": me.evaluate(qnet, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]}

    _, r = me.train_cached("organ-cnn-qat", QAT_KEY | {"bits": bits, "seed": seed},
                           build=lambda: mq.prepare_fake_quant(model, bits, observer=OBSERVER), train=train)
    return r["ptq"], r["qat"]


def fp32_control(seed: int) -> float:
    """The same fine-tuning without quantization: how much do the extra steps alone give?"""
    def train(net: torch.nn.Module) -> dict:
        me.set_seed(seed)
        loader = me.seeded_loader(train_loader, seed, batch_size=QAT_BATCH)
        me.fit(net, loader, epochs=1, lr=QAT_LR, steps_per_epoch=QAT_STEPS, progress=False)
        return {"acc": me.evaluate(net, test_loader, ACC, max_batches=SWEEP_BATCHES)["accuracy"]}

    return me.train_cached("organ-cnn-qat-control", QAT_KEY | {"seed": seed},
                           build=lambda: copy.deepcopy(model), train=train)[1]["acc"]


t = time.perf_counter()
runs = {b: torch.tensor([ptq_and_qat(b, s) for s in SEEDS]) for b in (8, 4, 2)}
control = torch.tensor([fp32_control(s) for s in SEEDS])
print(f"{len(SEEDS)} seeds x 3 bit widths, {QAT_STEPS} QAT steps each, + fp32 control: "
      f"{time.perf_counter() - t:.0f} s")

# %%
print(f"fp32 {fp32_sweep:.3f} on the sweep's test patches; fp32 + the same {QAT_STEPS} fine-tuning steps (control) "
      f"{control.mean():.3f} ± {control.std():.3f}; observer {OBSERVER!r}, mean ± std over {len(SEEDS)} seeds")
print(f"{'bits':>4} {'PTQ':>15} {'QAT':>15} {'QAT - PTQ':>16}")
gain = {}
for b, r in runs.items():
    d = r[:, 1] - r[:, 0]
    gain[b] = (d.mean().item(), d.std().item())
    print(f"{b:>4} {r[:, 0].mean():>8.3f} ± {r[:, 0].std():.3f} {r[:, 1].mean():>8.3f} ± {r[:, 1].std():.3f}"
          f" {gain[b][0]:>+9.3f} ± {gain[b][1]:.3f}")
better = [b for b in runs if gain[b][0] > gain[b][1]]
largest = max(gain, key=lambda b: gain[b][0])
print(f"QAT beats PTQ by more than one std of the difference at {better or 'no'} bits; "
      f"the largest gain is at {largest} bits "
      f"({'as the seed claims' if largest == min(runs) else 'not at the lowest bit width, unlike the seed'}).")
train_gain = (control - fp32_sweep).mean().item()
why = ("the baseline is trained briefly, so extra steps help" if train_gain > 0
       else "extra steps at this learning rate do not help the briefly trained baseline")
print(f"The fine-tuning steps alone move fp32 by {train_gain:+.3f} ({why}); QAT's gain "
      "beyond that, i.e. from adapting the weights to the grid: "
      + ", ".join(f"{b} bits {gain[b][0] - train_gain:+.3f}" for b in runs) + ".")

fig, ax = plt.subplots(figsize=(5.5, 3.6))
for i, (name, color) in enumerate([("PTQ", "tab:orange"), ("QAT", "tab:blue")]):
    m_, s_ = [runs[b][:, i].mean() for b in runs], [runs[b][:, i].std() for b in runs]
    ax.errorbar(list(runs), m_, yerr=s_, marker="o", capsize=3, label=name, color=color)
ax.axhline(fp32_sweep, color="k", ls=":", label="fp32")
ax.axhline(control.mean(), color="tab:green", ls=":", label=f"fp32 + {QAT_STEPS} steps")
ax.axhline(1 / K, color="0.6", ls="--", label="chance")
ax.set(xlabel="bits (weights and activations)", ylabel="test accuracy", xticks=list(runs), title="PTQ vs QAT")
ax.legend()
plt.show()

# %% [markdown]
# **Reading the table against the seed.** Where the printed verdict disagrees with the
# seed's "QAT usually better, most at low bit widths", look at three things. (1) At 8 bits
# PTQ is already at the fp32 level: QAT has nothing to recover, and a fine-tuning run at
# this learning rate can cost as much as it gains (compare the fp32 control). (2) At
# 2 bits PTQ starts far below fp32, not far above chance; `QAT_STEPS` is a deliberately
# short schedule, and a net that has to relearn almost everything needs far more steps
# (papers fine-tune for epochs), so the gain there can stay small and vary across seeds.
# (3) The spread over seeds: a difference within one standard deviation is not a
# difference. Exercise 1 lengthens the schedule.

# %% [markdown]
# ## 6. A real int8 model: torchao PT2E and `torch.compile`
#
# Fake quantization only *simulates* integers: it is slower than fp32. Real savings need
# int8 tensors and int8 kernels. The current PyTorch path is torchao's **PT2E** flow:
#
# 1. `torch.export` captures the model as a graph;
# 2. `prepare_pt2e` with the `X86InductorQuantizer` inserts observers (static int8:
#    weights symmetric per channel, activations asymmetric per tensor);
# 3. calibration batches run through it; `convert_pt2e` stores int8 weights and
#    quantize/dequantize nodes;
# 4. `torch.compile` with Inductor's `freezing` fuses those patterns into int8 kernels
#    (oneDNN). Without compiling, the converted graph is *slower* than fp32.
#
# (The older eager-mode `torch.ao.quantization` API still runs but is deprecated in favour of
# torchao; we do not use it.) We compare int8 with fp32 compiled the same way, and with
# plain eager fp32, in one paired run. Accuracy is measured with the converted graph run
# eagerly (the same int8 weights and ranges; the compiled kernels compute the same integer
# arithmetic).
#
# **Predict, then run:** int8 weights take a quarter of the bytes of fp32 ones. Is the file
# exactly 4x smaller? Is the compiled int8 model 4x faster?

# %%
calib_x = [b[0] for _, b in zip(range(CALIB_BATCHES), train_loader, strict=False)]
one = torch.zeros(1, 1, 28, 28)
t = time.perf_counter()
int8_graph = mq.int8_pt2e(model, one, calib_x, dynamic_batch=True)
print(f"export + calibrate + convert: {time.perf_counter() - t:.1f} s")
int8_acc = me.evaluate(int8_graph, test_loader, ACC, max_batches=EVAL_BATCHES)["accuracy"]
size_fp32, size_int8 = mq.stored_bytes(model), mq.stored_bytes(int8_graph)
print(f"test accuracy fp32 {fp32_acc:.3f} -> int8 {int8_acc:.3f} ({100 * (int8_acc - fp32_acc):+.1f} points)")
print(f"stored bytes fp32 {size_fp32:,} -> int8 {size_int8:,}: {size_fp32 / size_int8:.2f}x smaller")


# %%
def int8_vs_fp32(net: torch.nn.Module, graph: torch.nn.Module, x: torch.Tensor, runs: int) -> dict:
    """Compile fp32 and int8 (timed), then paired latency: eager fp32 / int8, compiled fp32 / int8."""
    t = time.perf_counter()
    fp32_c, int8_c = mq.compile_frozen(net), mq.compile_frozen(graph)
    with torch.inference_mode():  # the first call compiles (same grad mode as the timing)
        fp32_c(x), int8_c(x)
    compile_s = time.perf_counter() - t
    eager = me.compare_latency(net, int8_c, x, runs=runs)
    compiled = me.compare_latency(fp32_c, int8_c, x, runs=runs)
    return {"compile s": compile_s, "eager": eager, "compiled": compiled}


def show(name: str, r: dict) -> None:
    c, e = r["compiled"], r["eager"]
    print(f"{name}: compile {r['compile s']:.0f} s; median int8 {c.b.median_ms:.3f} ms "
          f"(IQR {c.b.iqr_ms:.3f}), fp32 compiled {c.a.median_ms:.3f} ms, fp32 eager {e.a.median_ms:.3f} ms")
    print(f"  {c.verdict('compiled fp32', 'int8')} (paired ratios 10-90 %: "
          f"{c.paired_ratio_p10:.2f}-{c.paired_ratio_p90:.2f}); {e.verdict('eager fp32', 'int8')}")


# a second export with a static batch of 1 for the latency run (calibrated image by image)
course_graph = mq.int8_pt2e(model, one, [calib_x[0][:me.pick(64, 8)]])
course = int8_vs_fp32(model, course_graph, one, runs=me.pick(100, 10))
show("course CNN, 1x28x28", course)

# %% [markdown]
# The course CNN is tiny (its MACs are printed in the setup, its milliseconds above):
# per-call overheads can weigh as much as its arithmetic, which limits any int8 speedup.
# A ResNet-18 at $224\times224$, batch 1 (random weights: speed does not depend on their
# values; calibrated on random images) shows the effect on a network
# where the convolutions dominate. Its compile takes the longest; fast mode skips it.

# %%
resnet = mq.out_of_place_residuals(torchvision.models.resnet18().eval())  # PT2E-exportable
img = torch.randn(1, 3, 224, 224)
r18 = None
if not me.is_fast():
    r18_graph = mq.int8_pt2e(resnet, img, [torch.randn(1, 3, 224, 224) for _ in range(2)])
    r18 = int8_vs_fp32(resnet, r18_graph, img, runs=30)
    show("ResNet-18, 3x224x224", r18)
    r18_size = mq.stored_bytes(resnet) / mq.stored_bytes(r18_graph)
    print(f"ResNet-18 stored bytes: {mq.stored_bytes(resnet):,} -> {mq.stored_bytes(r18_graph):,} "
          f"({r18_size:.2f}x smaller)")
else:
    print("fast mode: ResNet-18 compile skipped")

# %% [markdown]
# A size ratio of exactly 4 would need every stored byte to be a weight: biases, scales and
# zero points stay in 32 or 64 bits, so the printed ratios can only approach 4 (the closer,
# the larger the weights' share; exercise 3). The latency ratio is a measurement of this
# machine, not a property of int8: it depends on the CPU's int8 instructions (VNNI/AMX on
# recent x86), on the batch size, on how much time goes to memory and per-call overhead
# rather than to multiply-accumulates, and on what the other processes on the machine do
# (compare the IQRs with the medians).
#
# ## 7. Energy: why low precision pays off in hardware
#
# The seed: "lower precision provides exponentially better energy efficiency" (45 nm).
# Horowitz's ISSCC 2014 table gives the energy of single operations in a 45 nm process:
# a multiplier's area and energy grow roughly with the square of the bit width, and
# fetching a word from DRAM costs more than a hundred arithmetic operations.

# %%
print("Source:", mq.HOROWITZ_SOURCE)
items = sorted(mq.HOROWITZ_45NM_PJ.items(), key=lambda kv: kv[1])
labels = [f"{dtype} {op}" for (op, dtype), _ in items]
fig, ax = plt.subplots(figsize=(8, 3.8))
bars = ax.barh(labels, [v for _, v in items], color=["tab:red" if op == "read" else "tab:blue" for (op, _), _ in items])
ax.bar_label(bars, [f"{v:g} pJ" for _, v in items], fontsize=8, padding=2)
ax.set_xscale("log")
ax.set(xlabel="energy per operation (pJ, log scale; reads per 32-bit word)", title="45 nm, Horowitz (ISSCC 2014)")
plt.tight_layout()
plt.show()
e = mq.HOROWITZ_45NM_PJ
print(f"32-bit float mult / 8-bit int mult: {e['mult', 'fp32'] / e['mult', 'int8']:.1f}x; "
      f"32-bit float add / 8-bit int add: {e['add', 'fp32'] / e['add', 'int8']:.0f}x; "
      f"DRAM read / fp32 mult: {e['read', 'DRAM'] / e['mult', 'fp32']:.0f}x")

# %% [markdown]
# A first-order estimate of one inference (`mq.inference_energy_pj`): every MAC costs a
# multiply and an add (fp32, or int8 multiply with 32-bit integer accumulation), every MAC
# reads its two operands from a small SRAM (an upper bound: real accelerators reuse operands
# in registers), and every weight is fetched once from DRAM (activations stay on chip).
#
# **Predict, then run:** which term dominates for the small CNN, and which for ResNet-18?

# %%
nets = {"course CNN": (model, (1, 28, 28)), "ResNet-18": (resnet, (3, 224, 224))}
energy = {}
for name, (net, shape) in nets.items():
    macs, params = me.count_macs(net, shape), me.count_params(net)
    for dtype in ("fp32", "int8"):
        energy[name, dtype] = mq.inference_energy_pj(macs, params, dtype)
    f, i = energy[name, "fp32"], energy[name, "int8"]
    print(f"{name}: {macs:,} MACs, {params:,} weights: fp32 {f['total'] / 1e6:.2f} µJ, "
          f"int8 {i['total'] / 1e6:.2f} µJ ({f['total'] / i['total']:.1f}x less); largest term: "
          f"{max((k for k in f if k != 'total'), key=f.get)}")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, name in zip(axes, nets, strict=True):
    bottom = torch.zeros(2)
    for term in ("compute", "SRAM reads", "DRAM reads"):
        vals = torch.tensor([energy[name, d][term] / 1e6 for d in ("fp32", "int8")])
        ax.bar(["fp32", "int8"], vals, bottom=bottom, label=term)
        bottom += vals
    ax.set(ylabel="µJ per inference", title=name)
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Take-aways
#
# Each line below is computed from this run's numbers.

# %%
print(f"- One more bit divides the quantization MSE by about {sum(ratios) / len(ratios):.1f} (theory: 4).")
print(f"- Symmetric ranges on ReLU outputs cost {sym / asym:.1f}x the MSE of asymmetric ones at 4 bits.")
print(f"- PTQ ({OBSERVER} observer) keeps {runs[8][:, 0].mean():.3f} at 8 bits, {runs[4][:, 0].mean():.3f} at 4 "
      f"and {runs[2][:, 0].mean():.3f} at 2 bits (fp32 {fp32_sweep:.3f}, sweep test patches).")
for b in runs:
    verdict = "better" if gain[b][0] > gain[b][1] else ("worse" if gain[b][0] < -gain[b][1] else "not clearly different")
    print(f"- QAT at {b} bits: {gain[b][0]:+.3f} ± {gain[b][1]:.3f} vs PTQ -> {verdict}.")
print(f"- The seed's claim (QAT better, most at low bits) {'holds' if largest == 2 and 2 in better else 'does not fully hold'} here.")
print(f"- Real int8 (PT2E) course CNN: {size_fp32 / size_int8:.2f}x smaller, accuracy {fp32_acc:.3f} -> {int8_acc:.3f}, "
      f"at batch 1 {course['compiled'].verdict('compiled fp32', 'int8')}.")
if r18 is not None:
    print(f"- ResNet-18 @224, batch 1: {r18_size:.2f}x smaller; {r18['compiled'].verdict('compiled fp32', 'int8')}; "
          f"{r18['eager'].verdict('eager fp32', 'int8')}.")
ratio = {n: energy[n, 'fp32']['total'] / energy[n, 'int8']['total'] for n in nets}
print("- Estimated energy per inference, fp32 / int8: " + ", ".join(f"{n} {r:.1f}x" for n, r in ratio.items()))
print(f"Total run time: {time.perf_counter() - T0:.0f} s")

# %% [markdown]
# ## References
#
# - A. Gholami et al., "A survey of quantization methods for efficient neural network
#   inference", arXiv:2103.13630, 2021 (uniform affine quantization, PTQ vs QAT).
# - B. Jacob et al., "Quantization and training of neural networks for efficient
#   integer-arithmetic-only inference", CVPR 2018 (scale and zero point, BN folding, QAT).
# - R. Krishnamoorthi, "Quantizing deep convolutional networks for efficient inference:
#   a whitepaper", arXiv:1806.08342, 2018 (per-channel weights, observers).
# - M. Nagel et al., "A white paper on neural network quantization", arXiv:2106.08295, 2021.
# - Y. Bengio, N. Léonard, A. Courville, "Estimating or propagating gradients through
#   stochastic neurons for conditional computation", arXiv:1308.3432, 2013 (STE).
# - M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014.
# - torchao PT2E quantization and the X86 Inductor quantizer: the torchao documentation
#   (`torchao.quantization.pt2e`) and the PyTorch tutorial "PyTorch 2 Export Quantization
#   with X86 Backend through Inductor".

# %% [markdown]
# ## Exercises
#
# 1. **Observers and schedule length in QAT (code).** Set `OBSERVER = "minmax"` and re-run
#    `ptq_and_qat` at 4 and 2 bits for the same seeds. Does the PTQ-QAT gap grow or shrink?
#    Explain with the error decomposition of section 1 (rounding vs clipping). Then set
#    `QAT_STEPS` to 4x its value (the cache keys on it): how far does 2-bit QAT get?
# 2. **First and last layer (code).** Quantize the CNN to 4 bits with
#    `mq.prepare_fake_quant(model, 4, first_last_bits=None)` and compare with the default.
#    Which layer hurts most when it goes to 4 bits, and why is the input layer special for
#    CT patches (think of the intensity range)?
# 3. **Size ratio (reasoning).** From `mq.stored_bytes`, compute which tensors keep the
#    int8 course CNN above a quarter of the fp32 size. What ratio would you expect for a
#    network whose weights are 99 % of its bytes?
# 4. **Latency (reasoning).** The int8 speedup differs between the course CNN and
#    ResNet-18. Using the MAC counts and the measured milliseconds, estimate how much of
#    each model's time is per-call overhead rather than arithmetic.
# 5. **Energy with batches (code).** Weights fetched from DRAM once serve a whole batch.
#    Extend the estimate to a batch of $n$ images and find the $n$ at which compute and
#    SRAM terms overtake the DRAM term for ResNet-18, at fp32 and at int8.

# %%
# Exercise 5: energy per image for a batch of n (weights read once per batch)
def energy_per_image(net: torch.nn.Module, shape: tuple, n: int, dtype: str) -> float:
    ...  # your code: use mq.inference_energy_pj and divide the DRAM term by n
