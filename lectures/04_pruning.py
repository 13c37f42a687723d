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
# # Lecture 04: Pruning
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", first part of the
# compression block (then 05 quantization).*
#
# The seed's recipe for pruning is short: **remove weights close to zero, retrain, repeat.**
# Whether that makes a network *faster* depends on *what* is removed. **Unstructured**
# pruning zeroes individual weights: the network gets sparse, "although smaller in terms of
# parameter count, [it] may not be arranged in a fashion conducive to speed enhancements".
# **Structured** pruning removes whole filters and channels, so what is left is a smaller
# *dense* network that ordinary kernels run faster. In this notebook we
#
# 1. prune the course's trained organ-patch CNN by weight magnitude: a per-layer
#    sensitivity scan, then sparsity vs accuracy without and with fine-tuning, iterated;
# 2. measure that masks change neither the dense MACs nor the latency, and what would:
#    sparse formats (the bytes of a compressed checkpoint) and sparse kernels;
# 3. remove filters for real with torch-pruning (L1-norm ranking, Li et al. 2017): MACs,
#    parameters, measured latency, accuracy after fine-tuning;
# 4. redo **network slimming** (Liu et al. 2017): an L1 penalty on the BatchNorm scaling
#    factors, a global threshold, channel removal and fine-tuning, in the seed's table format.
#
# The network is the same trained "standard" CNN as in lectures 01-03 and 05
# (`ef.course_net("standard")`, cached); every fine-tuned variant is cached
# with `me.train_cached`, so a re-run only measures. The last cell prints the run time;
# `MEDEFF_FAST=1` shrinks everything to seconds (the numbers are then meaningless).

# %%
import copy
import time

import matplotlib.pyplot as plt
import torch
import torchvision

import medeff as me
from medeff import pruning as pr
from medeff.data import ORGAN_CLASSES
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown]
# ## Setup: data and the trained baseline
#
# The $28\times28$ organ patches (8 classes, lecture A) and the course's standard CNN:
# a $3\times3$ stem and five conv-BN-ReLU blocks ($28\to14\to7$), global average pooling,
# a linear classifier, trained with the course budget (`ef.COURSE_BUDGET`).
# `ef.course_net` returns the cached weights: lectures 01-03 trained the very same net
# and lecture 05 quantizes it, so it shows one accuracy throughout the course.

# %%
train_loader, val_loader, test_loader = ef.course_loaders()
K = len(ORGAN_CLASSES)
base, base_rec = ef.course_net("standard", 1.0, seed=0)
BASE_ID = pr.state_fingerprint(base)
X1 = torch.zeros(1, 1, 28, 28)
print(f"baseline: test accuracy {base_rec['test_accuracy']:.3f}, {base_rec['params']:,} parameters, "
      f"{base_rec['macs']:,} MACs per patch ({'cached' if base_rec['cached'] else 'trained now'})")
print("prunable layers:", {n: tuple(m.weight.shape) for n, m in pr.prunable_layers(base).items()})

SCAN_BATCHES = me.pick(4, 1)  # 512 validation patches for quick scans; final numbers use the test set
TEST_BATCHES = me.pick(None, 2)  # the whole test set (fast mode: 256 patches)


def val_acc(model: torch.nn.Module) -> float:
    return me.evaluate(model, val_loader, {"acc": me.accuracy}, max_batches=SCAN_BATCHES)["acc"]


def test_acc(model: torch.nn.Module) -> float:
    return me.evaluate(model, test_loader, {"acc": me.accuracy}, max_batches=TEST_BATCHES)["acc"]


def tuned(name: str, build, steps: int, seed: int = 0, lr: float = 1e-3, curve: int = 0, **config):
    """Fine-tune build() for `steps` batches once; later runs load the cached weights."""
    cfg = {"base": BASE_ID, "steps": steps, "seed": seed, "lr": lr, "curve": curve, **config}
    model, record = me.train_cached(name, cfg, build, lambda m: pr.finetune(
        m, train_loader, test_loader, steps=steps, lr=lr, seed=seed, eval_batches=TEST_BATCHES,
        curve_points=curve))
    return pr.refresh_masks(model), record  # masked weights as loaded (see section 1.2)


# %% [markdown]
# ## 1. Unstructured magnitude pruning
#
# Keep a weight when its magnitude is large, zero it otherwise: with a **mask**
# $m \in \{0,1\}^{n}$, the layer computes with $w \odot m$ where
#
# $$m_i = \begin{cases} 0 & |w_i| \text{ is among the } k = \operatorname{round}(s\,n)
# \text{ smallest},\\ 1 & \text{otherwise,}\end{cases}$$
#
# for a target sparsity $s$ (Han et al., "Learning both Weights and Connections", NeurIPS
# 2015). `pr.magnitude_prune_mask` does this for one tensor (ties broken by a stable sort).

# %%
w = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
mask = pr.magnitude_prune_mask(w, 0.5)
print("weights:\n", w.numpy().round(2), "\nmask at 50% sparsity:\n", mask.numpy())
print(f"zeros: {int((mask == 0).sum())} of {w.numel()}; largest pruned |w| = "
      f"{w.abs()[mask == 0].max():.3f} < smallest kept |w| = {w.abs()[mask == 1].min():.3f}")

# %% [markdown]
# The seed's picture of the two kinds of pruning (credit: Song Han), redrawn from our own
# functions: a layer's weight matrix (rows = output neurons or filters) after unstructured
# pruning (`magnitude_prune_mask`) and after structured pruning (whole rows of smallest L1
# norm, as `select_filters` ranks filters). Only the second leaves a smaller dense matrix.

# %%
W = torch.randn(8, 12, generator=torch.Generator().manual_seed(2))
rows_kept = torch.argsort(W.abs().sum(1), descending=True)[:4]
structured = torch.zeros_like(W)
structured[rows_kept] = W[rows_kept]
fig, axes = plt.subplots(1, 3, figsize=(11, 2.6))
for ax, M, title in zip(axes, [W, W * pr.magnitude_prune_mask(W, 0.5), structured],
                        ["dense", "unstructured: 50% of weights zero", "structured: 50% of rows removed"], strict=True):
    ax.imshow(M.abs().numpy(), cmap="Blues", vmin=0)
    ax.imshow(torch.where(M == 0, 1.0, float("nan")).numpy(), cmap="Greys", vmin=0, vmax=3)
    ax.set(title=title, xticks=[], yticks=[], xlabel="inputs", ylabel="outputs")
plt.show()

# %%
weights = torch.cat([m.weight.detach().flatten() for m in pr.prunable_layers(base).values()])
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.hist(weights.numpy(), bins=200, color="0.5")
for s, c in [(0.5, "tab:orange"), (0.9, "tab:red")]:
    t = weights.abs().kthvalue(round(s * len(weights))).values.item()
    ax.axvspan(-t, t, color=c, alpha=0.15, label=f"pruned at {s:.0%} global sparsity (|w| < {t:.3f})")
ax.set(xlabel="weight value", ylabel="count", title="All conv and linear weights of the baseline")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### 1.1 Sensitivity scan: which layers can lose weights?
#
# Prune **one layer at a time** at increasing sparsity and measure the validation accuracy
# (no fine-tuning), as Han et al. and Li et al. do before choosing per-layer rates.
#
# **Predict, then run:** which layer is most sensitive: the stem (16 filters on the raw
# image, 144 weights), a wide middle conv, or the final classifier?

# %%
SCAN = me.pick([0.5, 0.75, 0.9, 0.97], [0.5, 0.9])
t = time.perf_counter()
scan = pr.sensitivity_scan(base, SCAN, val_acc)
ref = val_acc(base)
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, accs in scan.items():
    ax.plot([s * 100 for s in SCAN], accs, "o-", label=f"{name} ({pr.prunable_layers(base)[name].weight.numel():,} w)")
ax.axhline(ref, color="k", ls=":", label="unpruned")
ax.set(xlabel="sparsity of this one layer (%)", ylabel="val accuracy (512 patches)",
       title="Per-layer sensitivity (no fine-tuning)")
ax.legend(fontsize=7, ncol=2)
plt.show()
drops = {name: ref - accs[SCAN.index(0.9)] for name, accs in scan.items()}
print(f"scan took {time.perf_counter() - t:.1f} s; accuracy drop at 90% sparsity of one layer:")
print({n: round(d, 3) for n, d in drops.items()})
print(f"most sensitive: {max(drops, key=drops.get)}; least: {min(drops, key=drops.get)}")

# %% [markdown]
# ### 1.2 Global pruning, fine-tuning, and "prune, retrain, repeat"
#
# `torch.nn.utils.prune.global_unstructured` ranks the weights of *all* layers together,
# so layers with many small weights lose more (`pr.global_magnitude_prune`). The pruned
# module keeps `weight_orig` and a `weight_mask` buffer and computes
# `weight = weight_orig * weight_mask` before every forward pass, so fine-tuning with
# `me.fit` leaves pruned weights at zero. Three ways to reach sparsity $s$:
#
# - **one-shot**, no retraining;
# - **one-shot + fine-tune** for a few dozen steps (`FT_STEPS` batches);
# - **iterative**: prune to 50%, fine-tune, raise the sparsity, fine-tune, ... (the seed's
#   "repeat"), `FT_STEPS` per stage, so at the $j$-th level it has been fine-tuned $j$ times
#   as long as the one-shot net (a stricter comparison would match the total).
#
# **Predict, then run:** at 90% sparsity, how much accuracy does one-shot pruning lose
# before and after fine-tuning? Is iterating better than one big step?

# %%
LEVELS = me.pick([0.5, 0.8, 0.9, 0.95], [0.5, 0.9, 0.95])
FT_STEPS = me.pick(20, 2)
prune_to = lambda m, s: pr.global_magnitude_prune(copy.deepcopy(m), s)  # noqa: E731
oneshot, tuned_once, iterative, sparse_models = [], [], [], {}
prev, schedule = base, []
for s in LEVELS:
    oneshot.append(test_acc(prune_to(base, s)))
    m1, r1 = tuned("organ-cnn-mag-oneshot", lambda s=s: prune_to(base, s), FT_STEPS, sparsity=s)
    tuned_once.append(r1["test_accuracy"])
    schedule.append(s)
    prev, r2 = tuned("organ-cnn-mag-iterative", lambda p=prev, s=s: prune_to(p, s), FT_STEPS,
                     schedule=list(schedule))
    iterative.append(r2["test_accuracy"])
    sparse_models[s] = m1
print(f"{'sparsity':>8} {'one-shot':>9} {'+ fine-tune':>11} {'iterative':>10}   (test accuracy; "
      f"baseline {base_rec['test_accuracy']:.3f}; {FT_STEPS} fine-tuning steps per stage)")
for row in zip(LEVELS, oneshot, tuned_once, iterative, strict=True):
    print(f"{row[0]:>8.0%} {row[1]:>9.3f} {row[2]:>11.3f} {row[3]:>10.3f}")
print("per-layer sparsity after global pruning to 90%:",
      {n: round(v, 2) for n, v in pr.sparsity(sparse_models[0.9]).items()})

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.5))
pct = [s * 100 for s in LEVELS]
ax.plot(pct, oneshot, "o-", label="one-shot, no fine-tuning")
ax.plot(pct, tuned_once, "s-", label=f"one-shot + {FT_STEPS} fine-tuning steps")
ax.plot(pct, iterative, "^-", label=f"iterative ({FT_STEPS} steps per stage)")
ax.axhline(base_rec["test_accuracy"], color="k", ls=":", label="baseline")
ax.set(xlabel="global sparsity (%)", ylabel="test accuracy", title="Magnitude pruning of the organ CNN")
ax.legend(fontsize=8)
plt.show()
i90 = LEVELS.index(0.9)
print(f"At 90% sparsity: one-shot loses {base_rec['test_accuracy'] - oneshot[i90]:.3f}, fine-tuning "
      f"recovers to {tuned_once[i90]:.3f}, iterative reaches {iterative[i90]:.3f} "
      f"(baseline {base_rec['test_accuracy']:.3f}).")

# %% [markdown]
# ### 1.3 Masks make nothing faster
#
# **Predict, then run:** the 90%-sparse network has a tenth of the nonzero weights. How many
# MACs does a MAC counter report for it, and how much faster does it run?

# %%
sparse90 = sparse_models[0.9]
print(f"nonzero parameters: {me.count_params(base, nonzero_only=True):,} -> "
      f"{me.count_params(sparse90, nonzero_only=True):,}")
print(f"MACs (dense counting): {me.count_macs(base, X1):,} -> {me.count_macs(sparse90, X1):,}")
mask_cmp = {}
for batch in (1, 128):
    cmp = mask_cmp[batch] = me.compare_latency(base, sparse90, torch.zeros(batch, 1, 28, 28), runs=me.pick(30, 3))
    print(f"batch {batch:>3}: dense {cmp.a} | 90% masked {cmp.b}\n"
          f"           -> {cmp.verdict('the dense net', 'the masked net')}")

# %% [markdown]
# The mask costs an extra multiply per weight (the forward pre-hook), and the convolution
# still multiplies every zero: dense kernels do not look at values. What *would* turn
# sparsity into savings:
#
# - **Sparse storage.** A compressed sparse row (CSR) matrix stores only the nonzeros plus
#   their column indices; zipping a dense file also squeezes the runs of zeros. This is where
#   Deep Compression's 35-49x comes from (pruning + quantization + Huffman coding, Han et al.
#   ICLR 2016): a smaller *download*, not a faster forward pass.
# - **Sparse kernels.** A CSR matrix product skips the zeros but reads memory irregularly, so
#   it wins only at high sparsity; hardware support exists for special patterns (NVIDIA's
#   2:4 sparsity on Ampere GPUs, 50% exactly).
#
# We measure both: the checkpoint bytes of the pruned nets four ways, and a $1024\times1024$
# linear layer (batch 16) as a dense matrix vs a `torch.sparse` CSR matrix.

# %%
print(f"{'sparsity':>8} {'dense':>9} {'dense+gzip':>11} {'CSR':>9} {'CSR+gzip':>9}   (bytes)")
sizes = {0.0: pr.checkpoint_bytes(base)} | {s: pr.checkpoint_bytes(sparse_models[s]) for s in (0.5, 0.9, 0.95)}
for s, b in sizes.items():
    print(f"{s:>8.0%} {b['dense']:>9,} {b['dense+gzip']:>11,} {b['csr']:>9,} {b['csr+gzip']:>9,}")
best = min(sizes[0.95], key=sizes[0.95].get)
print(f"at 95% sparsity the smallest form is {best}: {sizes[0.0]['dense'] / sizes[0.95][best]:.1f}x "
      "smaller than the dense baseline file")

g = torch.Generator().manual_seed(0)
xs = torch.randn(16, 1024, generator=g)
speed = {}
for s in (0.5, 0.9, 0.99):
    dense = torch.nn.Linear(1024, 1024)
    with torch.no_grad():
        dense.weight.mul_(pr.magnitude_prune_mask(dense.weight, s))
    cmp = me.compare_latency(dense, pr.SparseLinear(dense), xs, runs=me.pick(30, 3))
    speed[s] = cmp.speedup
    print(f"{s:.0%} zeros: dense {cmp.a.median_ms:.3f} ms, CSR {cmp.b.median_ms:.3f} ms -> "
          f"{cmp.verdict('dense', 'CSR')}")

# %% [markdown]
# ## 2. Structured pruning: remove whole filters
#
# Removing output filter $j$ of a convolution removes channel $j$ of its output, so the
# BatchNorm channel $j$ and the input channel $j$ of the *next* convolution must go too.
# The network stays dense, only narrower: halving the channels of two consecutive layers
# divides that layer's MACs ($D_K^2 M N D_F^2$) by four.
#
# **Which filters?** Li et al. ("Pruning Filters for Efficient ConvNets", ICLR 2017) rank
# filters by their L1 norm $\sum_{c,i,j} |W_{j,c,i,j}|$ and keep the largest
# (`pr.select_filters`). Below: the ranking for one conv of the baseline.

# %%
conv = base.features[2][0]  # 32 -> 64 channels, stride 2
norms = pr.filter_l1_norms(conv)
keep = pr.select_filters(conv, 0.5)
order = torch.argsort(norms, descending=True)
colors = ["tab:blue" if int(j) in set(keep.tolist()) else "0.75" for j in order]
fig, ax = plt.subplots(figsize=(8, 2.6))
ax.bar(range(len(norms)), norms[order].numpy(), color=colors)
ax.set(xlabel="filters sorted by L1 norm", ylabel="L1 norm",
       title=f"features.2: keep the {len(keep)} largest of {len(norms)} filters (blue)")
plt.show()
print("kept filter indices:", keep.tolist())

# %% [markdown]
# torch-pruning builds the dependency graph and removes the coupled channels for us.
# `pr.prune_channels` runs its `MetaPruner` with the same L1 criterion on every conv (the
# classifier's outputs stay), pruning ratio 0.5: half the channels of every layer go. We
# check that the stem kept exactly the filters `select_filters` picks.
#
# **Predict, then run:** MACs and parameters will shrink about 4x. By how much will the
# measured latency shrink, at batch 1 and at batch 128? And on an ImageNet-sized ResNet-18?

# %%
half = pr.prune_channels(base, X1, 0.5)
assert torch.equal(half.stem[0].weight, base.stem[0].weight[pr.select_filters(base.stem[0], 0.5)])
widths = lambda m: [c.out_channels for c in pr.prunable_layers(m).values() if isinstance(c, torch.nn.Conv2d)]  # noqa: E731
print("conv widths:", widths(base), "->", widths(half))
cost = {n: (me.count_macs(m, X1), me.count_params(m)) for n, m in [("base", base), ("half", half)]}
print(f"MACs {cost['base'][0]:,} -> {cost['half'][0]:,} ({cost['base'][0] / cost['half'][0]:.2f}x fewer); "
      f"parameters {cost['base'][1]:,} -> {cost['half'][1]:,} ({cost['base'][1] / cost['half'][1]:.2f}x fewer)")
lat = {}
for batch in (1, 128):
    lat[batch] = me.compare_latency(base, half, torch.zeros(batch, 1, 28, 28), runs=me.pick(30, 3))
    print(f"batch {batch:>3}: {lat[batch]}")

resnet = torchvision.models.resnet18(weights=None, num_classes=1000).eval()  # random weights: speed only
R = me.pick(224, 96)  # fast mode: a smaller image, same structure
X224 = torch.zeros(1, 3, R, R)
resnet_half = pr.prune_channels(resnet, X224, 0.5, ignored_layers=[resnet.fc])
r_cmp = me.compare_latency(resnet, resnet_half, X224, runs=me.pick(15, 2))
print(f"ResNet-18 at {R}x{R}, batch 1: MACs {me.count_macs(resnet, X224) / 1e9:.2f} G -> "
      f"{me.count_macs(resnet_half, X224) / 1e9:.2f} G; {r_cmp}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
labels = ["organ CNN\nbatch 1", "organ CNN\nbatch 128", "ResNet-18 224\nbatch 1"]
comparisons = [lat[1], lat[128], r_cmp]
ax.bar(labels, [c.speedup for c in comparisons], capsize=4, color="tab:blue",  # bars: paired 10-90 %
       yerr=[[max(0, c.speedup - c.paired_ratio_p10) for c in comparisons],
             [max(0, c.paired_ratio_p90 - c.speedup) for c in comparisons]])
ax.axhline(cost["base"][0] / cost["half"][0], color="tab:red", ls="--", label="MAC ratio (organ CNN)")
ax.axhline(1, color="k", lw=0.8)
ax.set(ylabel="latency ratio (unpruned / pruned)", title="Half the channels removed: measured speedup")
ax.legend(fontsize=8)
plt.show()
for label, c in zip(labels, comparisons, strict=True):
    print(f"{label.replace(chr(10), ', ')}: {c.verdict('unpruned', 'pruned')} "
          f"(paired 10-90%: {c.paired_ratio_p10:.2f}-{c.paired_ratio_p90:.2f})")

# %% [markdown]
# ### 2.1 Accuracy after fine-tuning
#
# Pruning half the channels removes information; fine-tuning recovers most of it. We give
# the pruned net a few hundred steps (`STRUCT_STEPS`, about as many as the baseline's whole
# training, Adam at the course's learning rate with a cosine schedule) and record the test
# accuracy along the way (first 1,024 test patches). A fair comparison also gives the
# *unpruned* baseline the same extra steps (a control): it was trained with the short course
# budget only (`ef.COURSE_BUDGET`), so extra training may help it too. Three fine-tuning
# seeds show the spread (mean ± half the range).
#
# **Predict, then run:** can a net with a quarter of the MACs get back to within 1 point
# of the baseline? How many steps does it need?

# %%
SEEDS = me.pick([0, 1, 2], [0])
STRUCT_STEPS, STRUCT_LR, CURVE = me.pick(248, 2), float(ef.COURSE_BUDGET["lr"]), me.pick(4, 1)
half_runs = [tuned("organ-cnn-l1-half", lambda: pr.prune_channels(base, X1, 0.5), STRUCT_STEPS, seed=s,
                   lr=STRUCT_LR, curve=CURVE)[1] for s in SEEDS]
pruned_accs = [r["test_accuracy"] for r in half_runs]
more_acc = tuned("organ-cnn-base-more", lambda: copy.deepcopy(base), STRUCT_STEPS, lr=STRUCT_LR)[1]["test_accuracy"]
half_raw = test_acc(half)
mean = lambda v: sum(v) / len(v)  # noqa: E731
spread = lambda v: (max(v) - min(v)) / 2  # noqa: E731
print(f"baseline (course budget):                 {base_rec['test_accuracy']:.3f}")
print(f"50% channels pruned, before fine-tuning:  {half_raw:.3f}")
print(f"pruned + {STRUCT_STEPS} steps, {len(SEEDS)} seeds:         {mean(pruned_accs):.3f} ± {spread(pruned_accs):.3f}")
print(f"baseline + {STRUCT_STEPS} steps (control, seed 0): {more_acc:.3f}")
gap = 100 * (base_rec["test_accuracy"] - mean(pruned_accs))
print(f"-> the pruned net is {abs(gap):.1f} points {'below' if gap > 0 else 'above'} the baseline "
      f"({'within' if gap <= 1 else 'NOT within'} 1 point) at {cost['base'][0] / cost['half'][0]:.1f}x fewer MACs "
      f"and {lat[1].speedup:.2f}x lower batch-1 latency.")
print(f"-> the same extra steps change the unpruned net by {100 * (more_acc - base_rec['test_accuracy']):+.1f} points: "
      f"against that control, pruning costs {100 * (more_acc - mean(pruned_accs)):.1f} points.")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.3))
for s, r in zip(SEEDS, half_runs, strict=True):
    steps_, accs_ = zip(*([[0, half_raw]] + r["curve"]), strict=True)
    ax.plot(steps_, accs_, "o-", alpha=0.7, label=f"pruned, seed {s}")
ax.axhline(base_rec["test_accuracy"], color="k", ls=":", label="baseline")
ax.axhspan(base_rec["test_accuracy"] - 0.01, base_rec["test_accuracy"], color="0.9", label="within 1 point")
ax.axhline(more_acc, color="tab:green", ls="--", label=f"control: baseline + {STRUCT_STEPS} steps")
ax.set(xlabel="fine-tuning steps (one cosine schedule)", ylabel="test accuracy (1,024 patches)",
       title="Half the channels removed: recovery during fine-tuning")
ax.legend(fontsize=7)
plt.show()
first = [next((k for k, a in r["curve"] if a >= base_rec["test_accuracy"] - 0.01), None) for r in half_runs]
print("first recorded step within 1 point of the baseline, per seed:", first,
      "(None: not reached; the curve uses 1,024 test patches, the table above all of them)")

# %% [markdown]
# ## 3. Network slimming
#
# Liu et al. ("Learning Efficient Convolutional Networks through Network Slimming", ICCV
# 2017) use the BatchNorm scale $\gamma$ of each channel as its importance: BN computes
# $\hat z = (z - \mu_B)/\sqrt{\sigma_B^2+\epsilon}$ and outputs $\gamma \hat z + \beta$, so a
# channel with $\gamma \approx 0$ contributes only a constant. Training adds an L1 penalty
# that pushes many $\gamma$ to zero:
#
# $$L = \sum_{(x,y)} \ell\big(f(x; W), y\big) + \lambda \sum_{\gamma} |\gamma| .$$
#
# Then one **global** threshold on $|\gamma|$ over all layers prunes a fraction of all
# channels (`pr.slimming_threshold`), so layers end up with different widths; the channels
# are removed (`pr.slim_channels`) and the slim net is fine-tuned. We train the same
# architecture with the same budget as the baseline, plus the penalty
# (`pr.slimming_train_step`, a `train_step` for `me.fit`). One change to the paper: it
# trains 160 epochs with SGD, we train the course budget (`EPOCHS`, printed below) with
# Adam, which moves each parameter by at most about one learning rate per step whatever the
# gradient, so $\gamma$ could never travel from 1 to 0. `pr.slimming_optimizer` gives the scaling factors a 10x larger step.

# %%
LAMBDA = 5e-3
EPOCHS, LR = int(ef.COURSE_BUDGET["epochs"]), float(ef.COURSE_BUDGET["lr"])


def train_slim(model: torch.nn.Module) -> dict:
    me.set_seed(0)
    me.fit(model, me.seeded_loader(train_loader, 0), epochs=EPOCHS, optimizer=pr.slimming_optimizer(model, LR),
           train_step=pr.slimming_train_step(LAMBDA), progress=False)
    return {"test_accuracy": test_acc(model)}


slim, slim_rec = me.train_cached(
    "organ-cnn-slimming", {"kind": "standard", "width": 1.0, "epochs": EPOCHS, "lr": LR, "bn_lr_scale": 10,
                           "seed": 0, "lambda": LAMBDA, "data": me.data_fingerprint(train_loader.dataset)},
    build=lambda: ef.make_classifier("standard", 1.0, K), train=train_slim)
print(f"trained {EPOCHS} epoch(s) with the L1 penalty (lambda = {LAMBDA}): test accuracy {slim_rec['test_accuracy']:.3f} "
      f"(the same net without it: {base_rec['test_accuracy']:.3f})")

# %% [markdown]
# **Predict, then run:** how will the distribution of $|\gamma|$ differ between the two
# nets? What happens if we cut 40% of the channels from each, *before* any fine-tuning?

# %%
RATIOS = [0.4, 0.6]
fig, ax = plt.subplots(figsize=(7, 3))
for model, label in [(base, "baseline (no penalty)"), (slim, f"L1 penalty, lambda = {LAMBDA}")]:
    ax.hist(pr.bn_gammas(model).numpy(), bins=60, alpha=0.6, label=label)
for r in RATIOS:
    ax.axvline(pr.slimming_threshold(slim, r), color="k", ls="--", lw=1)
ax.set(xlabel="|gamma| of a BatchNorm channel", ylabel="channels",
       title="BN scaling factors (dashed: 40% / 60% thresholds of the L1 net)")
ax.legend(fontsize=8)
plt.show()
for model, label in [(base, "baseline"), (slim, "L1-trained")]:
    t40 = pr.slimming_threshold(model, 0.4)
    cut = pr.slim_channels(model, X1, t40)
    print(f"{label:>10}: median |gamma| {pr.bn_gammas(model).median():.3f}, 40% threshold {t40:.4f}; "
          f"40% of channels removed, no fine-tuning: test accuracy {test_acc(model):.3f} -> {test_acc(cut):.3f}")

# %%
SLIM_STEPS = me.pick(100, 2)
rows = [{"model": "Organ CNN (Baseline)", "test_error": 100 * (1 - base_rec["test_accuracy"]),
         "params": me.count_params(base), "flops": 2 * me.count_macs(base, X1), "baseline": True}]
for r in RATIOS:
    thr = pr.slimming_threshold(slim, r)
    model, rec = tuned("organ-cnn-slimmed", lambda thr=thr: pr.slim_channels(slim, X1, thr), SLIM_STEPS,
                       slim=pr.state_fingerprint(slim), ratio=r)
    rows.append({"model": f"Organ CNN ({r:.0%} Pruned)", "test_error": 100 * (1 - rec["test_accuracy"]),
                 "params": me.count_params(model), "flops": 2 * me.count_macs(model, X1)})
    print(f"{r:.0%}: conv widths {widths(model)}, {me.compare_latency(slim, model, X1, runs=me.pick(30, 3))}")
print(f"\nMeasured (organ patches, 28x28; FLOPs = 2 x MACs; baseline = the course net without the penalty; "
      f"pruned = the L1-trained net, slimmed, fine-tuned {SLIM_STEPS} steps):")
print(pr.seed_format_table(rows))
print("\nQuoted by the seed (Liu et al. 2017, Table 1a, CIFAR-10, 32x32; FLOPs as printed = 2 x MACs):")
print(pr.seed_format_table([vars(q) | {"baseline": q.params_pruned is None}
                            for q in me.seed_figures.NETWORK_SLIMMING["CIFAR-10"]]))

# %% [markdown]
# ## Take-aways
#
# The printed numbers above, summarised (the next cell computes each statement):

# %%
print(f"1. Masks: 90% of the weights zeroed -> dense MACs unchanged ({me.count_macs(sparse90, X1):,}), "
      f"batch-1 latency ratio {mask_cmp[1].speedup:.2f} (1.00 = no change); sparse storage does pay: "
      f"{sizes[0.0]['dense'] / sizes[0.95][best]:.1f}x smaller file at 95% ({best}).")
print(f"2. Magnitude pruning to 90% costs {base_rec['test_accuracy'] - oneshot[i90]:.3f} accuracy one-shot, "
      f"{base_rec['test_accuracy'] - tuned_once[i90]:.3f} after fine-tuning, "
      f"{base_rec['test_accuracy'] - iterative[i90]:.3f} iterated (negative = better than the baseline).")
print(f"3. Removing half the channels: {cost['base'][0] / cost['half'][0]:.1f}x fewer MACs, measured "
      f"{lat[1].speedup:.2f}x (batch 1) / {lat[128].speedup:.2f}x (batch 128) faster on the organ CNN, "
      f"{r_cmp.speedup:.2f}x on ResNet-18 at {R}; accuracy after fine-tuning {mean(pruned_accs):.3f} "
      f"vs baseline {base_rec['test_accuracy']:.3f} ({'within' if gap <= 1 else 'more than'} 1 point).")
for row in rows[1:]:
    print(f"4. Network slimming, {row['model']}: {100 * (1 - row['params'] / rows[0]['params']):.0f}% fewer "
          f"parameters, {100 * (1 - row['flops'] / rows[0]['flops']):.0f}% fewer FLOPs, test error "
          f"{rows[0]['test_error']:.2f}% -> {row['test_error']:.2f}% "
          f"({'within' if row['test_error'] - rows[0]['test_error'] <= 1 else 'more than'} 1 point of the baseline).")

# %% [markdown]
# - A sparse mask is a *storage* format, not a speedup: the dense kernels do the same work
#   (line 1: the MAC count is unchanged). The latency ratio in line 1 can then be at best
#   about 1. Read it with the IQRs of section 1.3: below 1 with IQRs much smaller than the
#   medians is the mask's own cost, the forward pre-hook that recomputes
#   `weight_orig * weight_mask` on every call (a fixed cost per call, so it weighs most at
#   batch 1: compare the batch-128 ratio there); a ratio with IQRs of the size of the
#   medians is noise from other processes on the machine (rerun on an idle machine).
#   Speed from zeros needs sparse kernels at high sparsity (the CSR rows above), special
#   hardware patterns, or structure.
# - Structured pruning gives a smaller *dense* network. Compare the measured speedups in
#   line 3 with the MAC ratio: where they fall short, fixed per-layer costs (a tiny net,
#   batch 1) dominate; the larger the layers, the closer latency follows the MACs.
# - Fine-tuning is not optional: compare the accuracies before and after it in sections
#   1.2, 2.1 and 3. Judge a pruned net against a control trained for as many steps, not
#   against a baseline that stopped earlier.
# - Network slimming's global threshold decides the widths layer by layer (printed conv
#   widths): it can thin some layers to a few channels, which is where accuracy goes at
#   high ratios. In the seed's table the parameters shrink much more than the FLOPs
#   (VGGNet: 88.5% vs 51.0%) because the removed channels sit in the deep, low-resolution
#   layers; line 4 and the printed widths show whether the same holds here.
#
# ## References
#
# - S. Han, J. Pool, J. Tran, W. Dally, "Learning both Weights and Connections for Efficient
#   Neural Networks", NeurIPS 2015; S. Han, H. Mao, W. Dally, "Deep Compression", ICLR 2016.
# - H. Li, A. Kadav, I. Durdanovic, H. Samet, H. P. Graf, "Pruning Filters for Efficient
#   ConvNets", ICLR 2017.
# - Z. Liu, J. Li, Z. Shen, G. Huang, S. Yan, C. Zhang, "Learning Efficient Convolutional
#   Networks through Network Slimming", ICCV 2017 (the seed's table).
# - D. Blalock, J. J. Gonzalez Ortiz, J. Frankle, J. Guttag, "What is the State of Neural
#   Network Pruning?", MLSys 2020 (the seed's reference 1).
# - G. Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR 2023 (torch-pruning);
#   PyTorch `torch.nn.utils.prune` tutorial.
#
# ## Exercises
#
# 1. **Layer-wise vs global.** Complete the cell below: prune every layer of the baseline to
#    the same 90% with `pr.magnitude_prune_mask` (uniform sparsity) and compare the test
#    accuracy with global 90% pruning (section 1.2). Use the sensitivity scan and the
#    per-layer sparsities printed in 1.2 to explain the difference.
# 2. **Random filters.** Repeat section 2.1 with `importance=tp.importance.RandomImportance()`
#    in `pr.prune_channels` (import `torch_pruning as tp`). After fine-tuning, how far is
#    random selection from L1 ranking? (Compare Liu et al., "Rethinking the Value of
#    Network Pruning", ICLR 2019.)
# 3. **Where would masks pay?** Compare the CSR layer with the dense one at 50%, 90% and
#    99% zeros (the verdicts above). Estimate the bytes read per nonzero for dense and CSR and explain the break-even
#    sparsity; what does NVIDIA's 2:4 pattern change?
# 4. **The penalty strength.** Retrain the slimming net with $\lambda = 5\cdot10^{-4}$ and
#    $5\cdot10^{-2}$ (change `LAMBDA`; the cache keys on it). How do the histogram, the accuracy
#    before pruning and the accuracy after 60% pruning change?
# 5. **Reading the seed's table.** In the seed's VGGNet row, 88.5% of the parameters but
#    only 51% of the FLOPs are pruned. Which layers must the global threshold have removed?
#    Check the per-layer widths of your slimmed net: is the same true here?

# %%
# Exercise 1: uniform 90% per-layer pruning
uniform = copy.deepcopy(base)
with torch.no_grad():
    for layer in pr.prunable_layers(uniform).values():
        layer.weight.mul_(1.0)  # YOUR CODE: multiply by pr.magnitude_prune_mask(layer.weight, 0.9) instead
print(f"uniform 90%: test accuracy {test_acc(uniform):.3f} (global 90% one-shot: {oneshot[i90]:.3f})")

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
