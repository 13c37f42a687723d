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
# MobileNet. ShuffleNet (Zhang et al., CVPR 2018) makes them cheaper with **group
# convolution**, and repairs the side effect of stacking group convolutions with a
# **channel shuffle**. In this notebook we
#
# 1. count what group convolution saves (parameters and MACs divided by $G$);
# 2. show the side effect by experiment: in stacked group convolutions, perturbing one
#    input group changes only the outputs of the same group; with a channel shuffle in
#    between, information crosses the groups;
# 3. build the ShuffleNet unit and check the paper's cost formulas;
# 4. train ShuffleNet-style nets on the organ patches (with and without the shuffle) next to
#    a standard CNN.
#
# Run time: training takes most of it (each net's training time is printed, the last cell
# prints the total); `MEDEFF_FAST=1` shrinks everything to seconds. Trained weights are
# cached in `me.cache_dir()/efficient`, keyed by their configuration, so a re-run skips
# training (delete that folder to retrain).

# %%
import time

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import NullFormatter
from torch import nn

import medeff as me
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

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
# In PyTorch it is the `groups` argument of `nn.Conv2d`. The latency column shows again
# that fewer MACs are not proportionally less time.

# %%
N = M = 64
H = 28
print(f"{'G':>3} {'weight shape':>18} {'params':>8} {'formula':>8} {'MACs':>11} {'formula':>11} {'ms':>7}")
base = None
for G in (1, 2, 4, 8, 16, 64):
    conv = nn.Conv2d(N, M, 3, padding=1, groups=G, bias=False)
    p, macs = me.count_params(conv), me.count_macs(conv, (N, H, H))
    assert p == 9 * (N // G) * M and macs == 9 * (N // G) * M * H * H
    ms = me.measure_latency(conv, (N, H, H), runs=me.pick(20, 3)).median_ms
    base = base or (macs, ms)
    print(f"{G:>3} {str(tuple(conv.weight.shape)):>18} {p:>8,} {9 * (N // G) * M:>8,} {macs:>11,} "
          f"{9 * (N // G) * M * H * H:>11,} {ms:>7.3f}   MACs / {base[0] / macs:>4.0f}, time / {base[1] / ms:.1f}")

# %% [markdown]
# ## 2. The side effect of stacking group convolutions, measured
#
# *"If multiple group convolutions stack together, there is one side effect: outputs from a
# certain group only relate to the inputs within the group. No information exchange across
# groups."*
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
# ## 4. On the organ patches
#
# The course's small classifier family (`ef.make_classifier`) shares one skeleton (a
# $3\times3$ stem, five blocks at $28\to14\to7$ resolution, global average pooling, a
# linear classifier); `"shufflenet"` uses ShuffleNet units with $G=2$ groups. We train a
# standard CNN, ShuffleNet-style nets at two widths, and the same ShuffleNet without the
# channel shuffle (`shuffle=False`), with one short schedule for all.

# %%
from medeff.data import ORGAN_CLASSES, organ_patch_loaders

train_loader, val_loader, test_loader = organ_patch_loaders(size=28, batch_size=128, seed=0)
loaders = (train_loader, val_loader, test_loader)
data_tag = f"organ28-seed0-n{len(train_loader.dataset)}"
print(f"{len(ORGAN_CLASSES)} classes; train / val / test: {len(train_loader.dataset)} / "
      f"{len(val_loader.dataset)} / {len(test_loader.dataset)} patches")

# %%
EPOCHS = me.pick(2, 1)
configs = [("standard", 1.0, {}), ("shufflenet", 1.0, {}), ("shufflenet", 2.0, {}),
           ("shufflenet", 2.0, {"shuffle": False})]
results = []
for kind, width, options in configs:
    model, rec = ef.train_or_load(kind, width, loaders, num_classes=len(ORGAN_CLASSES),
                                  epochs=EPOCHS, data_tag=data_tag, options=options)
    rec["name"] = f"{kind} x{width:g}" + (" no shuffle" if options.get("shuffle") is False else "")
    rec["lat1"] = me.measure_latency(model, (1, 28, 28), runs=me.pick(30, 5)).median_ms
    rec["lat128"] = me.measure_latency(model, torch.zeros(128, 1, 28, 28), runs=me.pick(10, 3)).median_ms
    results.append(rec)

print(f"{'model':<26} {'test acc':>8} {'params':>8} {'MACs':>10} {'ms @ 1':>7} {'ms @ 128':>9} {'train s':>8}")
for r in results:
    train_s = "cached" if r["cached"] else f"{r['train_seconds']:.1f}"
    print(f"{r['name']:<26} {r['test_accuracy']:>8.3f} {r['params']:>8,} {r['macs']:>10,} "
          f"{r['lat1']:>7.3f} {r['lat128']:>9.2f} {train_s:>8}")
with_s, without_s = results[2], results[3]
print(f"\nshuffle vs no shuffle (same params and MACs: {with_s['macs'] == without_s['macs']}): "
      f"test accuracy {with_s['test_accuracy']:.3f} vs {without_s['test_accuracy']:.3f} "
      f"({with_s['test_accuracy'] - without_s['test_accuracy']:+.3f})")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for r in results:
    ax.scatter(r["macs"], r["test_accuracy"], s=40)
    ax.annotate(r["name"], (r["macs"], r["test_accuracy"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
ax.set_xscale("log")
ax.xaxis.set_minor_formatter(NullFormatter())
ax.set_xlabel("MACs per 28x28 patch (log scale)")
ax.set_ylabel("test accuracy")
ax.set_title("Organ patches: accuracy vs MACs")
ax.grid(alpha=0.3, which="both")
plt.show()

# %% [markdown]
# **Reading the table.** The cost columns are exact; the accuracy differences come from
# one short training run per model with one seed, so small differences are within the
# run-to-run noise (retrain with another `seed` to see how much accuracy moves). Note also
# the latency column: the ShuffleNet units are many small, memory-bound operations (group
# and depthwise convolutions, a reshape-transpose copy for every shuffle), so on a CPU
# their latency does not shrink with their MACs; this is the lesson ShuffleNetV2 drew
# (equal channel widths, few groups, fewer fragmented operators).
#
# ## Summary
#
# - Group convolution divides parameters and MACs by $G$ (counted above).
# - Stacked group convolutions never exchange information between groups (the
#   block-diagonal heatmap); a channel shuffle, which is free in MACs and parameters, makes
#   every output depend on every input group.
# - The ShuffleNet unit costs $hw(2cm/g + 9m)$ against $hw(2cm + 9m^2)$ for a ResNet
#   bottleneck (checked with the counter).
#
# Next: lecture 03, GhostNet, which gets half of the feature maps from cheap operations.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
