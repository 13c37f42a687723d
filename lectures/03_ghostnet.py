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
# # Lecture 03: GhostNet, more features from cheap operations
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", part 3 of the
# efficient-architectures block (after 01 MobileNet and 02 ShuffleNet).*
#
# GhostNet (Han et al., CVPR 2020) starts from an observation: the feature maps of a
# trained CNN are **redundant**, many of them look like a cheap transformation of another
# one (the paper's Figure 1). So why compute all of them with expensive convolutions? In
# this notebook we
#
# 1. measure that redundancy in a small CNN trained on the organ patches: find pairs of
#    highly similar feature maps, show them, and test whether a cheap $3\times3$ depthwise
#    filter turns one into the other;
# 2. build the **Ghost module** and check that its cost ratio is about $s$;
# 3. reproduce the *shape* of the paper's Figure 6 (accuracy vs FLOPs) on the organ
#    patches for four families of small nets at several widths: standard, MobileNet-style,
#    ShuffleNet-style and Ghost-style, in one plot.
#
# Run time: training the 12 small nets takes most of it the first time (each net's
# training time is printed, and the last cell prints the total); `MEDEFF_FAST=1` shrinks
# everything to seconds. Every trained net is cached in `me.cache_dir()/efficient`, keyed by
# its configuration, so a re-run only measures and plots (delete that folder to retrain).

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.ticker import NullFormatter
from torch import nn

import medeff as me
from medeff.data import ORGAN_CLASSES, organ_patch_loaders
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

train_loader, val_loader, test_loader = organ_patch_loaders(size=28, batch_size=128, seed=0)
loaders = (train_loader, val_loader, test_loader)
data_tag = f"organ28-seed0-n{len(train_loader.dataset)}"
K = len(ORGAN_CLASSES)
EPOCHS = 1  # one pass over the training patches per net (me.fit shrinks it further in fast mode)
print(f"{K} classes; train / val / test: {len(train_loader.dataset)} / {len(val_loader.dataset)} / {len(test_loader.dataset)}")

# %% [markdown]
# ## 1. Feature-map redundancy, measured
#
# We take the standard CNN of lectures 01/02 (`ef.make_classifier("standard", 1.0)`), trained
# for one epoch (the schedule of section 3, which loads it from the cache), and record
# the 32 feature maps after its first block ($14\times14$) on validation patches. For every
# pair of maps we compute the Pearson correlation over all patches and pixels, and for every
# map its most similar partner. As a control, the same architecture with random weights.

# %%
trained, rec = ef.train_or_load("standard", 1.0, loaders, num_classes=K, epochs=EPOCHS, data_tag=data_tag)
me.set_seed(0)
untrained = ef.make_classifier("standard", 1.0, K).eval()
print(f"trained standard CNN: test accuracy {rec['test_accuracy']:.3f} ({'from cache' if rec['cached'] else 'trained now'})")


def first_block_maps(model: nn.Module, n_batches: int = me.pick(4, 2)) -> torch.Tensor:
    # (N, C, H, W) activations after the first block, on validation patches
    out = []
    with torch.no_grad():
        for i, (x, _) in enumerate(val_loader):
            if i >= n_batches:
                break
            out.append(model.features[0](model.stem(x)))
    return torch.cat(out)


def correlations(maps: torch.Tensor) -> torch.Tensor:
    flat = maps.transpose(0, 1).reshape(maps.shape[1], -1)
    corr = torch.nan_to_num(torch.corrcoef(flat))  # a map that is constant has no correlation
    corr.fill_diagonal_(0)
    return corr


acts = {"trained": first_block_maps(trained.eval()), "random init": first_block_maps(untrained)}
corrs = {k: correlations(v) for k, v in acts.items()}
best_partner = {k: c.abs().max(dim=1).values for k, c in corrs.items()}
for k, v in best_partner.items():
    print(f"{k:<12}: median best-partner |r| = {v.median():.2f}; maps with a partner at |r| > 0.9: "
          f"{int((v > 0.9).sum())} of {len(v)}, > 0.8: {int((v > 0.8).sum())}")


# %% [markdown]
# Correlation only asks for a *linear, pixel-wise* relation. GhostNet's claim is stronger
# and more useful: one map is a **cheap operation** of another. We test it directly: for
# each of the most correlated pairs $(A, B)$ we fit, by least squares, one $3\times3$ filter
# plus a bias that maps $A$ to $B$ (exactly what a depthwise convolution can do) and report
# the fraction of $B$'s variance it explains ($R^2$). Then we show the pairs for one patch,
# like the paper's Figure 1.

# %%
def cheap_fit(a: torch.Tensor, b: torch.Tensor) -> tuple[float, torch.Tensor]:
    # best 3x3 filter + bias from maps a -> b (N, H, W); returns R^2 and the prediction
    cols = F.unfold(a.unsqueeze(1), 3, padding=1).transpose(1, 2).reshape(-1, 9)
    cols = torch.cat([cols, torch.ones(len(cols), 1)], dim=1)
    target = b.reshape(-1, 1)
    w = torch.linalg.lstsq(cols, target).solution
    pred = (cols @ w).reshape(b.shape)
    r2 = 1 - ((pred - b) ** 2).sum() / ((b - b.mean()) ** 2).sum().clamp_min(1e-12)
    return float(r2), pred


def top_pairs(corr: torch.Tensor, n: int) -> list[tuple[int, int]]:
    pairs, used = [], set()
    order = torch.argsort(corr.abs().flatten(), descending=True)
    for idx in order.tolist():
        i, j = divmod(idx, corr.shape[0])
        if i < j and not {i, j} & used:
            pairs.append((i, j))
            used |= {i, j}
        if len(pairs) == n:
            break
    return pairs


r2 = {}
for k, maps in acts.items():
    scores = []
    for i, j in top_pairs(corrs[k], 8):
        s, _ = cheap_fit(maps[:, i], maps[:, j])
        scores.append(s)
    r2[k] = scores
    print(f"{k:<12}: R^2 of a 3x3 cheap operation on its 8 most correlated pairs: "
          + ", ".join(f"{s:.2f}" for s in scores))

maps = acts["trained"]
pairs = top_pairs(corrs["trained"], 3)
img = 0
fig, axes = plt.subplots(1, 10, figsize=(16, 2.2))
axes[0].imshow(next(iter(val_loader))[0][img, 0], cmap="gray")
axes[0].set_title("input patch", fontsize=8)
colors = ["tab:red", "tab:green", "tab:blue"]
for p, ((i, j), col) in enumerate(zip(pairs, colors, strict=True)):
    s, pred = cheap_fit(maps[:, i], maps[:, j])
    for q, (m, title) in enumerate([(maps[img, i], f"map {i}"), (maps[img, j], f"map {j}  r={corrs['trained'][i, j]:.2f}"),
                                    (pred[img], f"3x3 op(map {i}) R2={s:.2f}")]):
        ax = axes[1 + 3 * p + q]
        ax.imshow(m, cmap="viridis")
        ax.set_title(title, fontsize=8)
        for spine in ax.spines.values():
            spine.set_edgecolor(col)
            spine.set_linewidth(3)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.suptitle("Similar feature-map pairs after the first block of the trained CNN (boxes: same colour = one pair)", y=1.08)
plt.show()

fig, ax = plt.subplots(figsize=(6, 3))
bins = torch.linspace(0, 1, 21)
for k, v in best_partner.items():
    ax.hist(v.numpy(), bins=bins.numpy(), alpha=0.6, label=k)
ax.set_xlabel("|correlation| with the most similar other map")
ax.set_ylabel("number of maps")
ax.legend()
ax.set_title("Redundancy of the 32 first-block feature maps")
plt.show()

# %% [markdown]
# **Reading it.** The printed numbers and the histogram say how many of the trained
# network's maps have a near-duplicate, and the $R^2$ values how well a single $3\times3$
# filter reproduces one map from its partner. Compare with the random-init control before
# concluding anything: part of the similarity comes from the input itself (smooth patches
# give correlated filter responses whatever the weights), and training changes it.
# Whenever a map is well predicted by a cheap operation of another, computing it with a full
# convolution over all input channels wastes MACs. That is the idea of the Ghost module.
#
# ## 2. The Ghost module
#
# An ordinary convolution makes $n$ output maps from $c$ input maps with $k\times k$ kernels:
# $n\,h'w'\,c\,k^2$ MACs. The Ghost module makes only $m = n/s$ *intrinsic* maps with that
# convolution, and from each of them $s-1$ *ghost* maps with a cheap $d\times d$ depthwise
# convolution (the identity is the first of the $s$ maps). Its speed-up ratio is
#
# $$r_s = \frac{n\,h'w'\,c\,k^2}{\frac{n}{s}\,h'w'\,c\,k^2 + (s-1)\,\frac{n}{s}\,h'w'\,d^2}
# = \frac{s\,c\,k^2}{c\,k^2 + (s-1)\,d^2} \approx s \quad (d \approx k,\ s \ll c),$$
#
# and the parameter ratio is the same. We count it (`ef.GhostModule`, as in the
# huawei-noah reference code: primary conv with `ceil(n/s)` outputs + BN + ReLU, depthwise
# cheap operation + BN + ReLU, concatenation cut to $n$ channels).

# %%
c = n = 64
k = d = 3
shape = (c, 14, 14)
conv = nn.Conv2d(c, n, k, padding=1, bias=False)
print(f"{'s':>2} {'intrinsic':>9} {'ghosts':>6} {'counted MAC ratio':>17} {'formula r_s':>11} {'param ratio':>11}")
for s in (2, 3, 4, 5):
    ghost = ef.GhostModule(c, n, ratio=s, kernel_size=k, dw_size=d)
    m = math.ceil(n / s)
    counted = me.count_macs(conv, shape) / me.count_macs(ghost, shape)
    convs = [mod for mod in ghost.modules() if isinstance(mod, nn.Conv2d)]
    param_ratio = me.count_params(conv) / sum(me.count_params(mod) for mod in convs)
    formula = s * c * k * k / (c * k * k + (s - 1) * d * d)
    print(f"{s:>2} {m:>9} {m * (s - 1):>6} {counted:>17.3f} {formula:>11.3f} {param_ratio:>11.3f}")
print("(counted < formula when s does not divide n: ceil(n/s) intrinsic maps are computed and the extra ghosts cut off)")

# %% [markdown]
# ## 3. Accuracy vs MACs: the shape of GhostNet's Figure 6
#
# The paper plots ImageNet top-1 accuracy against FLOPs for MobileNetV2, MobileNetV3,
# ShuffleNetV2, ... and GhostNet, each at several widths, and GhostNet's curve lies above the
# others. We draw the same kind of figure for the organ patches with the four families of
# this course (`ef.make_classifier`, one skeleton, only the block differs):
#
# | family | block |
# | --- | --- |
# | standard | $3\times3$ conv + BN + ReLU |
# | MobileNet-style | depthwise-separable (lecture 01) |
# | ShuffleNet-style | ShuffleNet unit, $G=2$ (lecture 02) |
# | Ghost-style | Ghost module with a $3\times3$ primary conv, $s=2$, $d=3$ (the paper's Ghost-VGG recipe) |
#
# Widths differ per family so that the MAC ranges overlap. Every net gets the same short
# schedule (one epoch, Adam, cosine learning rate), so this is a comparison at equal
# *training* budget in epochs, not a tuned benchmark. Cached nets are loaded instead of
# retrained; the table says which.

# %%
WIDTHS = {
    "standard": [0.25, 0.5, 1.0],
    "mobilenet": [0.5, 1.0, 2.0],
    "shufflenet": [0.5, 1.0, 2.0],
    "ghost": [0.25, 0.5, 1.0],
}
rows = []
for kind, widths in WIDTHS.items():
    for width in widths:
        model, rec = ef.train_or_load(kind, width, loaders, num_classes=K, epochs=EPOCHS, data_tag=data_tag)
        rec["lat128"] = me.measure_latency(model, torch.zeros(128, 1, 28, 28), runs=me.pick(7, 2)).median_ms
        rows.append(rec)
        status = "cached" if rec["cached"] else f"trained in {rec['train_seconds']:.1f} s"
        print(f"{kind:<11} x{width:<5g} params {rec['params']:>8,}  MACs {rec['macs']:>10,}  "
              f"test acc {rec['test_accuracy']:.3f}  {rec['lat128']:6.2f} ms/batch of 128  ({status})", flush=True)

# %%
names = {"standard": "standard CNN", "mobilenet": "MobileNet-style", "shufflenet": "ShuffleNet-style", "ghost": "Ghost-style"}
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
families = {names[k]: [(r["macs"] / 1e6, r["test_accuracy"]) for r in rows if r["kind"] == k] for k in WIDTHS}
labels = {names[k]: [f"x{r['width']:g}" for r in rows if r["kind"] == k] for k in WIDTHS}
me.plot_tradeoff(families, labels=labels, xlabel="MACs per 28x28 patch (millions, log scale)",
                 ylabel="test accuracy", ax=axes[0], title="Organ patches: accuracy vs MACs (cf. GhostNet Fig. 6)")
latency = {names[k]: [(r["lat128"], r["test_accuracy"]) for r in rows if r["kind"] == k] for k in WIDTHS}
me.plot_tradeoff(latency, labels=labels, xlabel="measured CPU latency, ms per batch of 128 (log scale)",
                 ylabel="test accuracy", ax=axes[1], title="The same nets against measured latency")
for ax in axes:
    ax.xaxis.set_minor_formatter(NullFormatter())
plt.tight_layout()
plt.show()


# %%
def accuracy_at(kind: str, budget: float) -> float | None:
    # best accuracy of a family among its nets with at most `budget` MACs
    accs = [r["test_accuracy"] for r in rows if r["kind"] == kind and r["macs"] <= budget]
    return max(accs) if accs else None


budgets = sorted({r["macs"] for r in rows if r["kind"] == "ghost"})
print(f"{'MAC budget':>11} " + " ".join(f"{names[k]:>17}" for k in WIDTHS))
for b in budgets:
    cells = [accuracy_at(k, b) for k in WIDTHS]
    print(f"{b:>11,} " + " ".join(f"{'-' if a is None else f'{a:.3f}':>17}" for a in cells))
print("(best test accuracy of each family with at most that many MACs; '-' = no net that cheap)")

# %% [markdown]
# **Reading the figure.** The left panel has the shape of the paper's Figure 6: one curve
# per family, cost on a log axis, accuracy up. Read off, from the table, which family is
# best at each MAC budget, and how much the accuracy moves between neighbouring widths: one
# seed and a short schedule make differences of about a point unreliable (retrain with
# another `seed` to see the spread). The right panel re-plots the same nets against
# measured latency: the depthwise- and group-convolution families move to the right,
# because their operations are memory bound (lecture 01). The paper itself reports both
# FLOPs and latency on an ARM phone, where depthwise convolution is better optimized than in
# PyTorch on a laptop CPU.
#
# ## Summary
#
# - In a trained CNN many feature maps have a close partner, and a single $3\times3$ filter
#   reproduces a map from its partner with the $R^2$ printed above.
# - A Ghost module makes $1/s$ of the maps with a real convolution and the rest with cheap
#   depthwise filters; its MACs and parameters shrink by about $s$ (counted).
# - On the organ patches, the accuracy-vs-MACs figure compares the three efficient designs
#   of this block with a standard CNN at several widths; the latency panel is a reminder
#   that MACs are not the whole story.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
