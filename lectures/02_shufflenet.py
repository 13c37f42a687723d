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
# # Lecture 02: ShuffleNet, group convolution and channel shuffle
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", part 2 of the
# efficient-architectures block (after 01 MobileNet, before 03 GhostNet).*
#
# Lecture 01 left the $1\times1$ pointwise convolutions as the expensive part of a
# MobileNet (about 95 % of its Mult-Adds, the MobileNet paper's Table 2). ShuffleNet
# (Zhang et al., CVPR 2018) makes them cheaper with **group convolution**, and repairs the
# side effect of stacking group convolutions with a **channel shuffle**. Its main
# argument: at a fixed MAC budget, more groups allow **wider** layers, and wider layers
# are more accurate. **Goals:** count what group convolution saves, see the side effect
# and its repair, check the ShuffleNet unit's cost, and test the main argument on our
# organ patches, with several seeds.
#
# **Contents**
# 1. Group convolution: parameters and MACs divided by $G$, and the time
# 2. The side effect of stacking group convolutions, measured, and the channel shuffle
# 3. The ShuffleNet unit and its cost formulas
# 4. More groups, wider layers: $g\in\{1,2,4,8\}$ at one MAC budget, trained with three seeds
# 5. Take-aways, exercises, references
#
# Run time: the nets are trained with the budget shared by lectures 01-03
# (`ef.COURSE_BUDGET`) and cached in `me.cache_dir()/efficient` (lecture 03 reuses them); a
# re-run only measures. `MEDEFF_FAST=1` shrinks everything to seconds.

# %%
import time

import matplotlib.pyplot as plt
import torch
from torch import nn

import medeff as me
from medeff import diagrams
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")
print(f"training budget of lectures 01-03: {ef.COURSE_BUDGET}, seeds {ef.COURSE_SEEDS}")

# %% [markdown]
# ## 1. Group convolution
#
# A convolution from $N$ input channels to $M$ output channels with $m\times m$ kernels has
# $M$ filters of size $m\times m\times N$. A **group convolution** splits the input channels
# into $G$ groups and the $M$ filters into $G$ groups too: each group has $M/G$ filters, and
# each filter has size $m\times m\times (N/G)$: it sees only the channels of its own group.
# Parameters and MACs are both divided by $G$:
#
# $$\text{params} = m^2\,\frac{N}{G}\,M, \qquad \text{MACs} = m^2\,\frac{N}{G}\,M\,H\,W .$$
#
# $G=1$ is an ordinary convolution; $G=N=M$ is the depthwise convolution of lecture 01.
# In PyTorch it is the `groups` argument of `nn.Conv2d`.
#
# **Predict, then run:** with $G=8$ the MACs drop 8 times. Will the time drop 8 times? Each
# grouped conv is timed against the $G=1$ conv in one paired run.

# %%
N = M = 64
H = 28
group_lat = {}
dense = nn.Conv2d(N, M, 3, padding=1, bias=False)
print(f"{'G':>3} {'weight shape':>18} {'params':>8} {'MACs':>11} {'MACs / G=1':>10} {'ms (IQR)':>15}  verdict (paired with G=1)")
for G in (1, 2, 4, 8, 16, 64):
    conv = nn.Conv2d(N, M, 3, padding=1, groups=G, bias=False)
    p, macs = me.count_params(conv), me.count_macs(conv, (N, H, H))
    assert p == 9 * (N // G) * M and macs == 9 * (N // G) * M * H * H
    lat = group_lat[G] = me.compare_latency(dense, conv, (N, H, H), runs=me.pick(20, 3))
    print(f"{G:>3} {str(tuple(conv.weight.shape)):>18} {p:>8,} {macs:>11,} {1 / G:>10.3f} "
          f"{lat.b.median_ms:>7.3f} ({lat.b.iqr_ms:.3f})  {lat.verdict('G=1', f'G={G}' if G > 1 else 'a second G=1 conv (noise check)')}")

# %% [markdown]
# ## 2. The side effect of stacking group convolutions, measured
#
# *"If multiple group convolutions stack together, there is one side effect: outputs from a
# certain group only relate to the inputs within the group. No information exchange across
# groups."*
#
# The figure redraws the paper's Figure 1: (a) two stacked group convolutions, (b) the same
# with a channel shuffle between them (the edges are computed by running
# `ef.channel_shuffle`).

# %%
diagrams.group_conv_and_shuffle(channels=9, groups=3)
plt.show()

# %% [markdown]
# **Predict, then run:** in three stacked group convolutions with $G=4$, perturbing one input
# group changes how many of the 16 output channels? And with a shuffle after each?
#
# Experiment: three stacked $3\times3$ group convolutions ($C=16$ channels, $G=4$ groups,
# random weights, ReLU in between). We perturb the input channels of **one** group, run the
# stack again and record which output channels changed, $|\Delta y_c|$ averaged over the
# pixels. Then the same with a channel shuffle after each group convolution. Each heatmap
# row is one perturbed input group, each column one output channel.

# %%
C, G, LAYERS = 16, 4, 3


def group_stack(shuffle: bool) -> nn.Sequential:
    torch.manual_seed(0)  # same weights with and without shuffle
    layers = []
    for _ in range(LAYERS):
        layers += [nn.Conv2d(C, C, 3, padding=1, groups=G, bias=False), nn.ReLU()]
        if shuffle:
            layers.append(ef.ChannelShuffle(G))
    return nn.Sequential(*layers).eval()


def influence(stack: nn.Module) -> torch.Tensor:
    # (G, C): mean |change of output channel c| when input group g is perturbed
    x = torch.randn(8, C, 12, 12, generator=torch.Generator().manual_seed(1))
    rows = []
    with torch.no_grad():
        y = stack(x)
        for g in range(G):
            x2 = x.clone()
            x2[:, g * C // G:(g + 1) * C // G] += torch.randn(8, C // G, 12, 12)
            rows.append((stack(x2) - y).abs().mean(dim=(0, 2, 3)))
    return torch.stack(rows)


# %%
maps = {"group convs, no shuffle": influence(group_stack(False)),
        "group convs + channel shuffle": influence(group_stack(True))}
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
for ax, (name, m) in zip(axes, maps.items(), strict=True):
    im = ax.imshow(m, cmap="viridis", aspect="auto")
    ax.set_title(f"{name} ({LAYERS} layers, G={G})")
    ax.set_xlabel("output channel")
    ax.set_ylabel("perturbed input group")
    ax.set_xticks(range(C))
    ax.set_yticks(range(G))
    plt.colorbar(im, ax=ax, label="mean |change|")
plt.tight_layout()
plt.show()
for name, m in maps.items():
    changed = m > 1e-6
    per_group = changed.sum(1).tolist()
    print(f"{name:<30}: output channels changed per perturbed group {per_group} of {C}; "
          f"input groups reaching each output channel: min {int(changed.sum(0).min())}, max {int(changed.sum(0).max())} of {G}")

# %% [markdown]
# Without the shuffle each input group reaches only its own $C/G$ output channels, however
# many layers we stack (the block-diagonal heatmap): the net is $G$ independent thin nets
# side by side. The shuffle costs no parameters and no MACs; it only re-orders channels
# (channel `i*G + g` of its output is channel `g*(C/G) + i` of its input), so the next group
# convolution's groups each receive channels from every previous group: in the right
# heatmap every input group reaches every output channel (the counts printed under it).
#
# Check: the shuffle is a permutation, and shuffling with $C/G$ groups undoes it.

# %%
x = torch.arange(12.0).view(1, 12, 1, 1)
y = ef.channel_shuffle(x, 3)
print("channels before:", x.flatten().long().tolist())
print("after shuffle(3):", y.flatten().long().tolist())
print("shuffle(4) undoes it:", torch.equal(ef.channel_shuffle(y, 12 // 3), x))

# %% [markdown]
# ## 3. The ShuffleNet unit
#
# The ShuffleNet unit is a ResNet bottleneck with (i) the two $1\times1$ convolutions made
# **group** convolutions, (ii) a **channel shuffle** after the first one, (iii) the $3\times3$
# convolution made **depthwise** (no ReLU after it). With stride 2 the shortcut is a
# $3\times3$ average pool and the two paths are **concatenated** instead of added, which
# widens the output for free. For an input $c\times h\times w$ and bottleneck width $m$,
# the paper compares the MACs of
#
# - ResNet bottleneck: $hw\,(2cm + 9m^2)$
# - ResNeXt (grouped $3\times3$): $hw\,(2cm + 9m^2/g)$
# - ShuffleNet unit: $hw\,(2cm/g + 9m)$
#
# We check the three formulas with `me.count_macs` ($c=240$, $m=60$, $g=3$, $28\times28$, as
# in the paper's stage 2).

# %%
c, m, g, h = 240, 60, 3, 28
resnet = nn.Sequential(ef.conv_bn_relu(c, m, 1), ef.conv_bn_relu(m, m, 3), ef.conv_bn_relu(m, c, 1, relu=False))
resnext = nn.Sequential(ef.conv_bn_relu(c, m, 1), ef.conv_bn_relu(m, m, 3, groups=g), ef.conv_bn_relu(m, c, 1, relu=False))
shuffle_unit = ef.ShuffleUnit(c, c, groups=g)
print(f"{'block':<18} {'counted MACs':>13} {'paper formula':>14} {'params':>8}")
for name, block, formula in [("ResNet", resnet, h * h * (2 * c * m + 9 * m * m)),
                             ("ResNeXt", resnext, h * h * (2 * c * m + 9 * m * m // g)),
                             ("ShuffleNet unit", shuffle_unit, h * h * (2 * c * m // g + 9 * m))]:
    counted = me.count_macs(block, (c, h, h))
    print(f"{name:<18} {counted:>13,} {formula:>14,} {me.count_params(block):>8,}")
    assert counted == formula
print()
print(shuffle_unit)



# %% [markdown]
# ## 4. More groups, wider layers
#
# ShuffleNet's central claim (its Table 2): for a **fixed** MAC budget, more groups make
# the $1\times1$ convolutions cheaper, so the saved MACs can buy more channels, and the
# wider net is more accurate. (An ablation of the shuffle at $g=2$ with one training run
# cannot separate its effect from run-to-run noise; here the shuffle is tested at $g=8$,
# with three seeds.) We test the claim on the organ patches: for
# each $g\in\{1,2,4,8\}$ we pick the width multiplier whose MACs come closest to one
# budget, the MACs of lecture 01's MobileNet at $\alpha=1$ (`ef.width_for_macs`; channels
# must be multiples of $4g$, so the match is close, not exact, and we print it). Each net is
# trained with the shared budget for three seeds; the no-shuffle ablation is added at $g=8$,
# where the groups are narrowest.
#
# **Predict, then run:** which $g$ will be most accurate? And will the $g=8$ net be the
# fastest, since all four have about the same MACs?

# %%
BUDGET = ef.classifier_macs("mobilenet", 1.0)
GROUPS = (1, 2, 4, 8)
configs = {f"g={g}": (ef.width_for_macs("shufflenet", BUDGET, groups=g), {"groups": g}) for g in GROUPS}
configs["g=8 no shuffle"] = (configs["g=8"][0], {"groups": 8, "shuffle": False})
print(f"MAC budget: {BUDGET:,} (MobileNet x1 of lecture 01)")
print(f"{'net':<16} {'width':>6} {'stage channels':>26} {'MACs':>10} {'/ budget':>8} {'params':>7}")
for name, (width, options) in configs.items():
    model = ef.make_classifier("shufflenet", width, 8, **options)
    channels = [model.stem[0].out_channels] + [b.compress[0].in_channels for b in model.features[1:]] + \
        [model.classifier.in_features]
    macs = ef.classifier_macs("shufflenet", width, **options)
    print(f"{name:<16} {width:>6.4g} {str(channels):>26} {macs:>10,} {macs / BUDGET:>8.2f} {me.count_params(model):>7,}")

# %%
results, first_net = {}, {}
for name, (width, options) in configs.items():
    nets, results[name] = ef.course_nets("shufflenet", width, options=options)
    first_net[name] = nets[0]
references = {name: ef.course_nets(kind, w)[1] for name, kind, w in
              [("standard x1", "standard", 1.0), ("MobileNet x1", "mobilenet", 1.0)]}
print(ef.zoo_table(list(results.values()) + list(references.values())))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ax = axes[0]
shuffled = [results[f"g={g}"] for g in GROUPS]
ax.errorbar(GROUPS, [r["mean"] for r in shuffled], yerr=[r["std"] for r in shuffled], marker="o", capsize=3,
            label="ShuffleNet units, width matched to the budget")
ns = results["g=8 no shuffle"]
ax.errorbar([8.4], [ns["mean"]], yerr=[ns["std"]], marker="s", capsize=3, color="tab:red", label="g=8 without shuffle")
mob = references["MobileNet x1"]
ax.axhspan(mob["mean"] - mob["std"], mob["mean"] + mob["std"], color="gray", alpha=0.2,
           label="MobileNet x1 (same MACs), mean +- sd")
ax.set_xscale("log", base=2)
ax.set_xticks(GROUPS, [str(g) for g in GROUPS])
ax.set_xlabel("groups g (width grows with g)")
ax.set_ylabel("test accuracy (mean +- sd over seeds)")
ax.set_title(f"Fixed budget of ~{BUDGET / 1e6:.2f}M MACs")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
ef.plot_zoo({"ShuffleNet g sweep": shuffled, "standard": [references["standard x1"]],
             "MobileNet": [references["MobileNet x1"]]}, ax=axes[1])
axes[1].set_title("The same nets against MACs")
plt.tight_layout()
plt.show()

# %% [markdown]
# What do the groups cost in time? The four nets have about the same MACs; one paired run
# compares $g=1$ with $g=8$ (seed-0 nets). ShuffleNetV2's guideline **G2** says that
# excessive group convolution increases memory access cost ("MAC" in that paper), because
# the wider layers move more activations for the same multiply-adds.

# %%
for batch in (1, 128):
    lat = me.compare_latency(first_net["g=1"], first_net["g=8"], torch.zeros(batch, 1, 28, 28),
                             runs=me.pick(30 if batch == 1 else 10, 3))
    print(f"batch {batch:>3}: g=1 {lat.a.median_ms:.3f} ms (IQR {lat.a.iqr_ms:.3f}), g=8 {lat.b.median_ms:.3f} ms "
          f"(IQR {lat.b.iqr_ms:.3f}): {lat.verdict('the g=1 net', 'the g=8 net')}")

# %% [markdown]
# ## 5. Take-aways
#
# The conclusions below are printed from the measurements above.

# %%
best = max(GROUPS, key=lambda g: results[f"g={g}"]["mean"])
worst = min(GROUPS, key=lambda g: results[f"g={g}"]["mean"])
b, w = results[f"g={best}"], results[f"g={worst}"]
seeds = len(b["accuracies"])
separated = ef.separated(b, w)
print(f"- Group convolution divides parameters and MACs by G (counted); at G=8 (8 times fewer MACs) "
      f"{group_lat[8].verdict('G=1', 'G=8')}.")
print("- Without shuffle, stacked group convs keep the groups apart (heatmap); the shuffle is free in MACs.")
print(f"- At ~{BUDGET:,} MACs, the most accurate was g={best} ({b['mean']:.3f} +- {b['std']:.3f}), the least g={worst} "
      f"({w['mean']:.3f} +- {w['std']:.3f}, {seeds} seeds): the gap is {'larger' if separated else 'not larger'} than "
      f"twice the combined seed spread{'' if seeds > 1 else ' (one seed: no spread)'}, so this run "
      f"{'supports' if separated and best > worst else 'does not show'} "
      f"'more groups, wider layers, more accurate' on these patches.")
g8, g8n = results["g=8"], results["g=8 no shuffle"]
diff = g8["mean"] - g8n["mean"]
print(f"- Shuffle at g=8: {g8['mean']:.3f} +- {g8['std']:.3f} with vs {g8n['mean']:.3f} +- {g8n['std']:.3f} without "
      f"({diff:+.3f}; {'beyond' if ef.separated(g8, g8n) else 'not beyond'} "
      f"twice the seed spread).")

# %% [markdown]
# ## Exercises
#
# 1. **(code)** Complete the cell below: count the parameters of a $1\times1$ convolution
#    from 240 to 240 channels for $G=1,3,8$ and check $N M / G$.
# 2. **(reason)** Why does a ShuffleNet unit not use a group convolution for the first
#    $1\times1$ layer of stage 2 in the paper (the input has only 24 channels)? Look at the
#    stem-to-first-unit step of our nets with $g=8$: how many channels does each group see?
# 3. **(reason)** The shuffle is a permutation, free in MACs. Why is it not free in time on
#    a CPU? (Look at how `channel_shuffle` is implemented.)
# 4. **(code)** Repeat the $g$ sweep at half the budget (`BUDGET / 2`). With channels in
#    multiples of $4g$, how close can $g=8$ get? Does the ranking change?
# 5. **(reason)** ShuffleNetV2's G2 and G3 argue against many groups and fragmented
#    operators. Which of your measurements in this notebook support that, and which
#    support ShuffleNet v1's choice of more groups?

# %%
# Exercise 1: replace None by the counted parameters, e.g. me.count_params(nn.Conv2d(240, 240, 1, groups=G, bias=False))
counted = {G: None for G in (1, 3, 8)}
print(counted, {G: 240 * 240 // G for G in (1, 3, 8)})

# %% [markdown]
# ## References
#
# - X. Zhang, X. Zhou, M. Lin, J. Sun, "ShuffleNet: An Extremely Efficient Convolutional
#   Neural Network for Mobile Devices", CVPR 2018 (Figure 1, Tables 1-2).
# - N. Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture
#   Design", ECCV 2018 (guidelines G1-G4).
# - A. Krizhevsky et al., "ImageNet Classification with Deep Convolutional Neural
#   Networks", NeurIPS 2012 (the first grouped convolution, across two GPUs).
#
# Next: lecture 03, GhostNet, which gets half of the feature maps from cheap operations.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
