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
# # Lecture 01: MobileNet, depthwise-separable convolution
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", part 1 of the
# efficient-architectures block (then 02 ShuffleNet, 03 GhostNet).*
#
# MobileNet (Howard et al., 2017) replaces every standard convolution by a **depthwise**
# convolution (one filter per input channel) followed by a **pointwise** $1\times1$
# convolution. **Goals:** after this lecture you can derive the cost of both, say where a
# MobileNet spends its multiply-adds, explain why fewer MACs are not proportionally less
# time, and judge the accuracy a cheaper net costs on our organ patches.
#
# **Contents**
# 1. What a convolution costs (formulas, checked against a counter)
# 2. Where MobileNet's Mult-Adds are (the $1\times1$ convolutions)
# 3. Measured: is the MAC saving a speedup?
# 4. Width and resolution multipliers ($\alpha$, $\rho$): cost
# 5. MobileNetV2: the inverted residual and why its bottleneck is narrow
# 6. Training on the organ patches: accuracy against $\alpha$ and $\rho$, several seeds
# 7. Take-aways, exercises, references
#
# Run time: training takes most of it. Every net is trained once with one budget shared by
# lectures 01-03 (`ef.COURSE_BUDGET`, three seeds) and cached in `me.cache_dir()/efficient`,
# so 02 and 03 load the nets trained here and show the same accuracies; a re-run only
# measures. `MEDEFF_FAST=1` shrinks everything to seconds.

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn

import medeff as me
from medeff import diagrams
from medeff.models import classic
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")
print(f"training budget of lectures 01-03: {ef.COURSE_BUDGET}, seeds {ef.COURSE_SEEDS}")

# %% [markdown]
# ## 1. What a convolution costs
#
# A standard convolution takes a $D_F\times D_F\times M$ input to a $D_F\times D_F\times N$
# output with $N$ kernels of size $D_K\times D_K\times M$ (panel a below). Every output value
# needs $D_K^2 M$ multiply-accumulates (MACs; the MobileNet paper calls them Mult-Adds; a
# FLOP count is $2\times$ MACs), and there are $D_F^2 N$ output values:
#
# $$\text{standard} = D_K^2\, M\, N\, D_F^2 .$$
#
# The **depthwise** convolution applies one $D_K\times D_K$ filter to each input channel
# separately (panel b, $D_K^2 M D_F^2$ MACs); the **pointwise** convolution mixes the $M$
# channels into $N$ with $1\times1$ filters (panel c, $M N D_F^2$ MACs):
#
# $$\text{separable} = D_K^2\, M\, D_F^2 + M\, N\, D_F^2,\qquad
# \frac{\text{separable}}{\text{standard}} = \frac{1}{N} + \frac{1}{D_K^2}.$$
#
# In PyTorch the depthwise convolution is a `Conv2d` with `groups=in_channels`.

# %%
diagrams.depthwise_vs_pointwise()
plt.show()

# %% [markdown]
# **Predict, then run:** for $M=N=128$ and $3\times3$ kernels, how many times fewer MACs does
# the separable pair need? And how many times fewer parameters ($D_K^2 M N$ against
# $D_K^2 M + M N$)? We check the formulas against `me.count_macs`, which counts PyTorch
# operators.

# %%
rows = []
for m, n, k, d in [(32, 64, 3, 112), (64, 128, 3, 56), (128, 128, 3, 28), (256, 256, 3, 14),
                   (512, 1024, 3, 7), (16, 24, 5, 28)]:
    std = nn.Conv2d(m, n, k, padding=k // 2, bias=False)
    sep = nn.Sequential(nn.Conv2d(m, m, k, padding=k // 2, groups=m, bias=False),  # dw
                        nn.Conv2d(m, n, 1, bias=False))  # pw
    counted_std, counted_sep = me.count_macs(std, (m, d, d)), me.count_macs(sep, (m, d, d))
    assert counted_std == ef.standard_conv_macs(m, n, k, d, d)
    assert counted_sep == ef.depthwise_separable_macs(m, n, k, d, d)
    rows.append((m, n, k, d, counted_std, counted_sep, 1 / n + 1 / k**2,
                 me.count_params(std), me.count_params(sep)))

print(f"{'M':>4} {'N':>5} {'DK':>3} {'DF':>4} {'standard MACs':>14} {'separable MACs':>15} "
      f"{'ratio':>7} {'1/N+1/DK^2':>11} {'params std':>11} {'params sep':>11}")
for m, n, k, d, a, b, f, pa, pb in rows:
    print(f"{m:>4} {n:>5} {k:>3} {d:>4} {a:>14,} {b:>15,} {b / a:>7.4f} {f:>11.4f} {pa:>11,} {pb:>11,}")
print("formulas agree with me.count_macs in every row")

# %% [markdown]
# ## 2. Where MobileNet's Mult-Adds are
#
# After the factorization the depthwise part is cheap ($1/N$ of the pair when
# $D_K^2 \ll N$), so nearly all the work moves into the $1\times1$ convolutions. The
# MobileNet paper's Table 2 quotes, for MobileNet v1 at $224\times224$: $1\times1$ conv
# 94.86 % of the Mult-Adds and 74.59 % of the parameters; depthwise $3\times3$ 3.06 % /
# 1.06 %; the first standard $3\times3$ conv 1.19 % / 0.02 %; the fully connected layer
# 0.18 % / 24.33 %. (The paper reports Mult-Adds and parameters, never latency.)
#
# **Predict, then run:** which layer type holds most of the *parameters* that the
# $1\times1$ convolutions do not? Where the recount disagrees with a quoted share, check
# the quote against the paper's own layer table. We recount with `me.mac_breakdown` on
# `classic.mobilenet_v1()` (Table 1 of the paper, random weights).

# %%
v1 = classic.mobilenet_v1()
quoted = {"1x1 conv": (94.86, 74.59), "3x3 depthwise": (3.06, 1.06), "3x3 standard (stem)": (1.19, 0.02),
          "fully connected": (0.18, 24.33)}
share = {key: [0, 0] for key in quoted}
for row in me.mac_breakdown(v1, (3, 224, 224)):
    mod = v1.get_submodule(row.name)
    if isinstance(mod, nn.Linear):
        key = "fully connected"
    elif isinstance(mod, nn.Conv2d):
        key = "1x1 conv" if mod.kernel_size == (1, 1) else (
            "3x3 depthwise" if mod.groups > 1 else "3x3 standard (stem)")
    else:
        continue
    share[key][0] += row.macs
    share[key][1] += row.params
total_macs, total_params = me.count_macs(v1, (3, 224, 224)), me.count_params(v1)
print(f"MobileNet v1 @224: {total_macs / 1e6:.1f}M MACs (paper 569M), {total_params / 1e6:.2f}M params (paper 4.2M)")
print(f"{'layer type':<20} {'MACs %':>8} {'paper':>7} {'params %':>9} {'paper':>7}   (params here exclude BN)")
conv_params = sum(p for _, p in share.values())
for key, (macs, params) in share.items():
    print(f"{key:<20} {100 * macs / total_macs:>8.2f} {quoted[key][0]:>7.2f} "
          f"{100 * params / conv_params:>9.2f} {quoted[key][1]:>7.2f}")
ONE_BY_ONE = share["1x1 conv"][0] / total_macs
stem = v1.features[0][0]
print(f"(the stem by Table 1's own shapes: 3x3x3x{stem.out_channels} at 112x112 = "
      f"{ef.standard_conv_macs(3, stem.out_channels, 3, 112, 112) / total_macs:.2%} of the MACs)")

# %% [markdown]
# ## 3. Measured: is the MAC saving a speedup?
#
# A depthwise $3\times3$ convolution does only 9 MACs per output value and must read and
# write a whole feature map to do them: its *arithmetic intensity* (MACs per byte moved)
# is tiny, so the CPU waits for memory instead of computing. A standard convolution re-uses
# every input value for $9N$ MACs.
#
# We time a standard $3\times3$ convolution ($C\to C$) against depthwise + pointwise on a
# $C\times28\times28$ input (batch 1) for a sweep of widths, in **one paired run** per width
# (`me.compare_latency`: interleaved A/B runs, 2 threads, median and IQR), and each part of
# the pair on its own.
#
# **Predict, then run:** at $C=256$ the separable pair has about 8.7 times fewer MACs. Will
# it be 8.7 times faster? Will the depthwise part, with ~3 % of the pair's MACs, take ~3 %
# of its time?

# %%
widths = me.pick([16, 32, 64, 128, 256, 512], [16, 64, 256])
runs = me.pick(25, 5)
D = 28
sweep = []
for c in widths:
    std = nn.Conv2d(c, c, 3, padding=1, bias=False)
    dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
    pw = nn.Conv2d(c, c, 1, bias=False)
    shape = (c, D, D)
    cmp = me.compare_latency(std, nn.Sequential(dw, pw), shape, runs=runs)
    parts = me.compare_latency(dw, pw, shape, runs=runs)  # the two halves, paired too
    macs = {name: me.count_macs(mod, shape) for name, mod in [("std", std), ("dw", dw), ("pw", pw)]}
    moved = {name: 4 * (2 * c * D * D + sum(p.numel() for p in mod.parameters()))  # fp32 bytes, lower bound
             for name, mod in [("std", std), ("dw", dw), ("pw", pw)]}
    sweep.append(dict(c=c, cmp=cmp, mac_ratio=macs["std"] / (macs["dw"] + macs["pw"]),
                      t_dw=parts.a.median_ms, t_pw=parts.b.median_ms,
                      gmacs={k: macs[k] / t / 1e6 for k, t in
                             [("std", cmp.a.median_ms), ("dw", parts.a.median_ms), ("pw", parts.b.median_ms)]},
                      ai={k: macs[k] / moved[k] for k in macs},
                      dw_mac_share=macs["dw"] / (macs["dw"] + macs["pw"])))

print(f"{'C':>4} {'MAC ratio':>9} {'std ms (IQR)':>15} {'sep ms (IQR)':>15}  verdict (paired run)")
for r in sweep:
    a, b = r["cmp"].a, r["cmp"].b
    print(f"{r['c']:>4} {r['mac_ratio']:>9.2f} {a.median_ms:>7.3f} ({a.iqr_ms:.3f}) {b.median_ms:>7.3f} ({b.iqr_ms:.3f})"
          f"  {r['cmp'].verdict('standard', 'separable')}")
print(f"\n{'C':>4} | GMAC/s: {'std':>6} {'dw':>6} {'pw':>6} | MAC/byte: {'std':>6} {'dw':>5} {'pw':>6} | dw share: MACs  time")
for r in sweep:
    g, ai = r["gmacs"], r["ai"]
    print(f"{r['c']:>4} |         {g['std']:>6.1f} {g['dw']:>6.1f} {g['pw']:>6.1f} |           {ai['std']:>6.1f} "
          f"{ai['dw']:>5.2f} {ai['pw']:>6.1f} |          {r['dw_mac_share']:>4.0%} {r['t_dw'] / (r['t_dw'] + r['t_pw']):>5.0%}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
cs = [r["c"] for r in sweep]
ax = axes[0]
ax.plot(cs, [r["mac_ratio"] for r in sweep], "o--", label="MAC ratio (theory)")
speed = [r["cmp"].speedup for r in sweep]
lo = [r["cmp"].paired_ratio_p10 for r in sweep]
hi = [r["cmp"].paired_ratio_p90 for r in sweep]
ax.errorbar(cs, speed, yerr=[[s - low for s, low in zip(speed, lo, strict=True)],
                             [h - s for s, h in zip(speed, hi, strict=True)]],
            fmt="o-", capsize=3, label="measured latency ratio (10-90 % of paired runs)")
ax.axhline(1, color="gray", lw=0.8)
ax.set_ylabel("standard time / separable time")
ax.set_title("Speedup of depthwise-separable over standard 3x3 conv")
ax = axes[1]
for key, label in [("std", "standard 3x3"), ("pw", "pointwise 1x1"), ("dw", "depthwise 3x3")]:
    ax.plot(cs, [r["gmacs"][key] for r in sweep], "o-", label=label)
ax.set_yscale("log")
ax.set_ylabel("achieved GMAC/s (2 threads)")
ax.set_title("Throughput: the depthwise conv is memory bound")
for ax in axes:
    ax.set_xscale("log", base=2)
    ax.set_xticks(cs, [str(c) for c in cs])
    ax.set_xlabel("channels C (in = out), input C x 28 x 28, batch 1")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
plt.tight_layout()
plt.show()
below = [r["c"] for r in sweep if r["cmp"].speedup < r["mac_ratio"]]
best = max(sweep, key=lambda r: r["cmp"].speedup)
print(f"measured speedup below the MAC ratio at {len(below)} of {len(sweep)} widths: {below}")
print(f"best: C={best['c']}: {best['cmp'].verdict('standard', 'separable')} (MAC ratio {best['mac_ratio']:.1f})")
print("depthwise throughput / standard throughput: "
      + ", ".join(f"C={r['c']}: {r['gmacs']['dw'] / r['gmacs']['std']:.2f}" for r in sweep))

# %% [markdown]
# **Reading the plots.** The dashed line is what MAC counting promises (close to 9 for wide
# layers); the solid line is what this CPU delivers, with the spread of the paired runs.
# The right panel shows why: standard and pointwise convolutions run as dense matrix
# products; the depthwise convolution uses each weight and input value only a few times
# (about one MAC per byte moved, the MAC/byte column), so its throughput is bounded by
# memory, and its share of the time (last column) exceeds its share of the MACs. At small
# widths fixed per-call overheads dominate too. Timings vary between runs and machines,
# and on a busy machine single rows can be off: compare ratios inside one paired run, not
# milliseconds across notebooks.
#
# The MobileNet v1 paper reports Mult-Adds and parameters, not latency. ShuffleNetV2
# (Ma et al., 2018) made the point of this section its starting principle: *use the direct
# metric* (speed on the target device) instead of FLOPs. Its first guideline, **G1**, is
# "equal channel width minimizes memory access cost": there, "MAC" means **memory access
# cost**, not multiply-accumulate.

# %% [markdown]
# ## 4. Width and resolution multipliers
#
# MobileNet trades accuracy for cost with two hyper-parameters. The **width multiplier**
# $\alpha$ thins every layer ($M\to\alpha M$, $N\to\alpha N$); the **resolution multiplier**
# $\rho$ shrinks the input (so $D_F\to\rho D_F$). One separable layer then costs
#
# $$D_K^2\,\alpha M\,\rho^2 D_F^2 + \alpha M\,\alpha N\,\rho^2 D_F^2 .$$
#
# Only the pointwise term scales with $\alpha^2$; the depthwise term $D_K^2\alpha M$ is
# **linear** in $\alpha$, and so are the first convolution (one input channel, $\alpha N$
# outputs) and the classifier ($\alpha N \times$ classes). "About $\alpha^2\rho^2$"
# holds while the pointwise term dominates and overstates the saving for small $\alpha$.
# For $\rho$, a stride-2 layer rounds odd map sizes up ($7\to4$), so the maps shrink by
# less than $\rho$. **Predict, then run:** at $\alpha=0.25$, is the MAC ratio of our whole
# classifier closer to $\alpha^2 = 0.0625$ or to $\alpha = 0.25$?

# %%
base = ef.make_classifier("mobilenet", 1.0, num_classes=8)
base_macs, base_params = me.count_macs(base, (1, 28, 28)), me.count_params(base)
print(f"{'alpha':>5} {'res':>4} {'rho':>5} {'MACs':>10} {'MAC ratio':>9} {'alpha^2 rho^2':>13} "
      f"{'params':>7} {'param ratio':>11}  map sizes")
for alpha in (0.25, 0.5, 1.0):
    for res in (14, 20, 28):
        model = ef.make_classifier("mobilenet", alpha, num_classes=8, resolution=res)
        macs = me.count_macs(model, (1, 28, 28))
        sizes = [res]
        for _, stride in ef.STAGES:  # a 3x3 conv with padding 1 and stride 2 rounds odd sizes up
            sizes.append((sizes[-1] - 1) // stride + 1)
        print(f"{alpha:>5} {res:>4} {res / 28:>5.2f} {macs:>10,} {macs / base_macs:>9.3f} {alpha**2 * (res / 28)**2:>13.4f}"
              f" {me.count_params(model):>7,} {me.count_params(model) / base_params:>11.3f}  {sizes}")

# %% [markdown]
# Where does the extra cost at small $\alpha$ come from? We split the MACs of the
# $\alpha=0.25$ and $\alpha=1$ nets by term.

# %%
def mac_terms(model: nn.Module) -> dict[str, int]:
    # MACs of the whole classifier split into the alpha^2 part (pointwise) and the linear parts
    terms = {"pointwise 1x1": 0, "depthwise 3x3": 0, "stem 3x3": 0, "classifier": 0}
    for row in me.mac_breakdown(model, (1, 28, 28)):
        mod = model.get_submodule(row.name)
        if isinstance(mod, nn.Linear):
            terms["classifier"] += row.macs
        elif isinstance(mod, nn.Conv2d):
            key = "stem 3x3" if row.name.startswith("stem") else (
                "depthwise 3x3" if mod.groups > 1 else "pointwise 1x1")
            terms[key] += row.macs
    return terms


full_terms = mac_terms(base)
small_terms = mac_terms(ef.make_classifier("mobilenet", 0.25, num_classes=8))
for key in full_terms:
    print(f"{key:<14} alpha=1: {full_terms[key]:>9,}  alpha=0.25: {small_terms[key]:>8,}  "
          f"ratio {small_terms[key] / full_terms[key]:.4f}")
RATIO_025 = sum(small_terms.values()) / sum(full_terms.values())
linear_share = 1 - small_terms["pointwise 1x1"] / sum(small_terms.values())
print(f"\nwhole net at alpha=0.25: measured MAC ratio {RATIO_025:.3f} against alpha^2 = {0.25**2:.4f} "
      f"({RATIO_025 / 0.25**2:.2f} times the rule); terms linear in alpha are {linear_share:.0%} of its MACs "
      f"(at alpha=1: {1 - full_terms['pointwise 1x1'] / sum(full_terms.values()):.0%})")

# %% [markdown]
# ## 5. MobileNetV2: the inverted residual and the linear bottleneck
#
# MobileNetV2's block goes **narrow -> wide -> narrow**: a $1\times1$ conv expands the $C$
# channels by a factor $t$ (6 in the paper), a $3\times3$ depthwise conv filters the wide
# tensor, a $1\times1$ conv projects back to $C$ channels, and a residual connection joins
# the narrow ends. It is "inverted" because a ResNet bottleneck goes wide -> narrow -> wide.
#
# The last $1\times1$ conv has **no ReLU** (a *linear bottleneck*). The paper's argument
# (its Figure 1): a ReLU applied to a low-dimensional embedding destroys information, while
# in a high dimension the information survives. We redo that experiment: embed a 2-D spiral
# in $n$ dimensions with a random matrix $T$, apply ReLU, and map back to 2-D with the best
# linear map (least squares; the paper uses $T^{-1}$). The fraction of the spiral's variance
# that cannot be recovered measures the information the ReLU destroyed.
#
# **Predict, then run:** roughly how much of the spiral survives in $n=2$? In $n=30$?

# %%
g = torch.Generator().manual_seed(0)
theta = torch.linspace(0, 4 * math.pi, 400)
spiral = torch.stack([theta * torch.cos(theta), theta * torch.sin(theta)], dim=1) / (4 * math.pi)
dims = [2, 3, 5, 15, 30]
fig, axes = plt.subplots(1, len(dims) + 1, figsize=(15, 2.6))
axes[0].plot(*spiral.T, ".", ms=2)
axes[0].set_title("input")
errors = {}
for ax, n in zip(axes[1:], dims, strict=True):
    errs, recs = [], []
    for _ in range(10):
        t = torch.randn(2, n, generator=g)
        h = torch.cat([torch.relu(spiral @ t), torch.ones(len(spiral), 1)], dim=1)
        rec = h @ torch.linalg.lstsq(h, spiral).solution  # best linear decoder back to 2-D
        centred = spiral - spiral.mean(0)
        errs.append(((rec - spiral) ** 2).sum().item() / (centred**2).sum().item())
        recs.append(rec)
    errors[n] = sum(errs) / len(errs)
    ax.plot(*recs[0].T, ".", ms=2)
    ax.set_title(f"n = {n}: lost {errors[n]:.0%}")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.suptitle("spiral -> ReLU(spiral @ T) -> best linear map back: variance lost (mean of 10 random T)", y=1.04)
plt.show()
print("fraction of the spiral lost after ReLU in n dimensions:", {n: round(e, 3) for n, e in errors.items()})

# %% [markdown]
# ### Why the bottleneck is narrow
#
# The tensors that flow *between* MobileNetV2 blocks are narrow ($C$ channels); only the
# inside of a block is wide ($tC$). The two $1\times1$ convs each connect a narrow and a wide
# tensor ($t C^2$ MACs per pixel each), where a MobileNet v1 layer as wide as the inside
# ($tC \to tC$) pays $t^2 C^2$. So the block gets the wide depthwise filtering for about
# $2/t$ of the pointwise cost. **Predict, then run:** at $t=6$, what fraction of the MACs of a
# v1 layer of the same inner width does the inverted residual need? At the network level the
# papers quote 300M Mult-Adds for MobileNetV2 against 569M for v1 (both $224\times224$, 3.4M
# and 4.2M parameters).

# %%
c, shape = 32, (32, 14, 14)
blocks = {
    "standard 3x3 conv, 32 -> 32": ef.conv_bn_relu(c, c, 3),
    "MobileNetV1 layer, 32 -> 32": ef.DepthwiseSeparableConv(c, c),
    "MobileNetV2 inverted residual, t=6 (inside 192)": ef.InvertedResidual(c, c, expand_ratio=6),
    "MobileNetV1 layer as wide as that inside, 192 -> 192": ef.DepthwiseSeparableConv(6 * c, 6 * c),
}
counted = {}
for name, block in blocks.items():
    in_shape = (6 * c, 14, 14) if "192 -> 192" in name else shape
    counted[name] = me.count_macs(block, in_shape)
    print(f"{name:<52} params {me.count_params(block):>7,}  MACs {counted[name]:>11,}")
ir_over_wide = counted["MobileNetV2 inverted residual, t=6 (inside 192)"] / counted["MobileNetV1 layer as wide as that inside, 192 -> 192"]
print(f"inverted residual / equally wide v1 layer: {ir_over_wide:.2f} (2/t = {2 / 6:.2f})")
v2 = torchvision.models.mobilenet_v2()  # architecture only, random weights, nothing downloaded
nets = {"MobileNet v1": (v1, 569, 4.2), "MobileNetV2": (v2, 300, 3.4)}
for name, (net, q_macs, q_params) in nets.items():
    print(f"{name:<13} @224: {me.count_macs(net, (3, 224, 224)) / 1e6:6.1f}M MACs (quoted {q_macs}M), "
          f"{me.count_params(net) / 1e6:.2f}M params (quoted {q_params}M)")
net_cmp = me.compare_latency(v1, v2, (3, 224, 224), runs=me.pick(10, 3))
print(f"paired CPU latency at batch 1: v1 {net_cmp.a}, v2 {net_cmp.b}: {net_cmp.verdict('MobileNet v1', 'MobileNetV2')}")

# %% [markdown]
# ## 6. Training on the organ patches
#
# Now the real question: at what accuracy? We train nets of this course's small classifier
# family (`ef.make_classifier`): one skeleton (a $3\times3$ stem, five blocks at
# $28\to14\to7$ resolution, global average pooling, a linear classifier) where only the block
# differs: a standard $3\times3$ conv, or MobileNet's depthwise-separable block, at several
# widths $\alpha$ and input resolutions $\rho$ (`resolution=14` resamples the $28\times28$
# patch to $14\times14$ first). Every net is trained with the one budget of lectures 01-03
# (`ef.COURSE_BUDGET`, Adam, cosine learning rate) for each of the seeds in
# `ef.COURSE_SEEDS`; `ef.course_nets` trains or loads them and reports mean and standard
# deviation of the test accuracy over the seeds.

# %%
from medeff.data import ORGAN_CLASSES

train_loader, val_loader, test_loader = ef.course_loaders()
print(f"{len(ORGAN_CLASSES)} classes: {ORGAN_CLASSES}")
print(f"train / val / test: {len(train_loader.dataset)} / {len(val_loader.dataset)} / {len(test_loader.dataset)} patches")
xb, yb = next(iter(test_loader))
fig, axes = plt.subplots(1, 8, figsize=(12, 1.8))
for ax, img, lab in zip(axes, xb, yb, strict=False):
    ax.imshow(img[0], cmap="gray")
    ax.set_title(ORGAN_CLASSES[lab], fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# **Predict, then run:** the MobileNet at $\alpha=1$ has about 7 times fewer MACs than the
# standard CNN. How many points of accuracy do you expect it to lose? And which costs more
# accuracy for the same MAC saving: a smaller $\alpha$ or a smaller $\rho$?

# %%
summaries = {}
for key, (kind, width, options) in {
    "standard x1": ("standard", 1.0, None),
    "alpha 0.25": ("mobilenet", 0.25, None), "alpha 0.5": ("mobilenet", 0.5, None),
    "alpha 1": ("mobilenet", 1.0, None),
    "rho 0.5": ("mobilenet", 1.0, {"resolution": 14}), "rho 0.71": ("mobilenet", 1.0, {"resolution": 20}),
}.items():
    nets, summaries[key] = ef.course_nets(kind, width, options=options)
    if key in ("standard x1", "alpha 1"):
        summaries[key]["net"] = nets[0]
print(ef.zoo_table(list(summaries.values())))

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
ef.plot_zoo({"width multiplier alpha (28 px)": [summaries[k] for k in ("alpha 0.25", "alpha 0.5", "alpha 1")],
             "resolution multiplier rho (alpha = 1)": [summaries[k] for k in ("rho 0.5", "rho 0.71", "alpha 1")],
             "standard CNN": [summaries["standard x1"]]}, ax=ax)
ax.set_title("Organ patches: accuracy against MACs (error bars: +-1 sd over seeds)")
plt.show()
std, mob = summaries["standard x1"], summaries["alpha 1"]
gap = mob["mean"] - std["mean"]
noise = math.hypot(std["std"], mob["std"])  # ef.separated: |gap| > 2 * noise, with 2+ seeds
print(f"MobileNet x1 vs standard x1: {std['macs'] / mob['macs']:.1f} times fewer MACs, "
      f"{std['params'] / mob['params']:.1f} times fewer parameters, accuracy {gap:+.3f} "
      f"({'outside' if ef.separated(std, mob) else 'not outside'} twice the "
      f"seed spread, {2 * noise:.3f}, over {len(std['accuracies'])} seeds)")

# %% [markdown]
# And the time? One paired run per batch size compares the two trained nets (seed 0) on
# this CPU: median and IQR per net, and the verdict as "n times faster/slower".

# %%
for batch in (1, 128):
    lat = me.compare_latency(std["net"], mob["net"], torch.zeros(batch, 1, 28, 28),
                             runs=me.pick(30 if batch == 1 else 10, 3))
    print(f"batch {batch:>3}: standard {lat.a.median_ms:.3f} ms (IQR {lat.a.iqr_ms:.3f}), MobileNet "
          f"{lat.b.median_ms:.3f} ms (IQR {lat.b.iqr_ms:.3f}): {lat.verdict('the standard CNN', 'the MobileNet')}"
          f" (MAC ratio {std['macs'] / mob['macs']:.1f})")

# %% [markdown]
# ## 7. Take-aways
#
# The cell below states each conclusion from the numbers printed above.

# %%
a05 = summaries["alpha 0.5"]
rho05 = summaries["rho 0.5"]
print(f"- The separable factorization cuts MACs by 1/N + 1/D_K^2 (checked against the counter); in MobileNet v1 "
      f"{ONE_BY_ONE:.1%} of the Mult-Adds sit in 1x1 convolutions (paper: 94.86 %).")
dw_eff = [r["gmacs"]["dw"] / r["gmacs"]["std"] for r in sweep]
print(f"- Measured on this CPU, the separable pair's speedup stayed below its MAC ratio at {len(below)} of "
      f"{len(sweep)} widths; the depthwise conv reached {min(dw_eff):.2f}-{max(dw_eff):.2f} of the standard conv's "
      f"GMAC/s at {sweep[0]['ai']['dw']:.2f} MACs per byte.")
print(f"- alpha = 0.25 gives a MAC ratio of {RATIO_025:.3f}, not alpha^2 = 0.0625: the terms linear in alpha "
      f"are {linear_share:.0%} of the small net's MACs.")
print(f"- The inverted residual costs {ir_over_wide:.2f} of a v1 layer as wide as its inside.")
better = ("neither (not beyond twice the combined seed spread)" if not ef.separated(a05, rho05)
          else "alpha" if a05["mean"] > rho05["mean"] else "rho")
print(f"- On the organ patches: MobileNet x1 {mob['mean']:.3f} +- {mob['std']:.3f} vs standard {std['mean']:.3f} "
      f"+- {std['std']:.3f}; alpha 0.5 ({a05['macs']:,} MACs) {a05['mean']:.3f} vs rho 0.5 "
      f"({rho05['macs']:,} MACs) {rho05['mean']:.3f}: better at similar cost: {better}.")
for name, s, table in (("alpha 0.5", a05, 6), ("rho 0.5", rho05, 7)):
    drop = mob["mean"] - s["mean"]
    lost = drop > 0 and ef.separated(mob, s)
    print(f"- {name} against MobileNet x1 at 28 px: {s['macs'] / mob['macs']:.2f} of the MACs, accuracy {-drop:+.3f}: "
          + (f"a loss beyond twice the seed spread, as on ImageNet (the paper's Table {table})." if lost else
             f"no loss beyond twice the seed spread, unlike ImageNet (the paper's Table {table}), where accuracy "
             "falls steadily; plausibly the grey value and coarse shape that separate the organs survive it."))

# %% [markdown]
# ## Exercises
#
# 1. **(code)** Complete the cell below: the MAC ratio of a separable layer with $5\times5$
#    kernels, $M=N=32$, on a $14\times14$ map, by formula and with `me.count_macs`. Is
#    $1/N + 1/D_K^2$ exact here?
# 2. **(reason)** Estimate the arithmetic intensity (MACs per byte of fp32 input, output and
#    weights) of a $3\times3$ depthwise conv and of a $1\times1$ conv with $C=256$ on a
#    $28\times28$ map, by hand. Compare with the MAC/byte column of section 3.
# 3. **(code)** Add $\alpha=0.75$ to the training cell (`ef.course_nets("mobilenet", 0.75)`)
#    and to the plot. Does it fall on the curve, within the error bars?
# 4. **(reason)** As $\alpha\to0$, what does the MAC ratio of section 4 tend to be dominated
#    by? Why is $\rho$ applied to the input rather than inside the network?
# 5. **(reason)** The spiral experiment loses most information for small $n$. Where in a
#    MobileNetV2 block is the dimension small, and what would a ReLU there do?

# %%
# Exercise 1: replace the None values
formula_ratio = None  # 1 / N + 1 / D_K**2
counted_ratio = None  # me.count_macs(separable pair, (32, 14, 14)) / me.count_macs(standard conv, ...)
print(formula_ratio, counted_ratio)

# %% [markdown]
# ## References
#
# - A. G. Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
#   Vision Applications", arXiv:1704.04861, 2017 (Tables 1-2, the multipliers).
# - M. Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018.
# - N. Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture
#   Design", ECCV 2018 (the direct metric, guidelines G1-G4).
#
# Next: lecture 02, ShuffleNet, which makes the expensive $1\times1$ convolutions cheaper too.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
