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

# %% [markdown] slideshow={"slide_type": "slide"}
# # Group Shift Pointwise Convolution for Volumetric Medical Image Segmentation
#
# **Authors:** Junjun He, Jin Ye, Cheng Li, et al. (full author list on the paper's title
# page) <br>
# **Venue:** MICCAI 2021 (arXiv 2109.12629) <br>
# **Presented by:** the course team, a worked example of the reproduction template
#
# <small>Time: 0.5 min. Format: 20 minutes of presentation, 15 of discussion.</small>

# %% [markdown] slideshow={"slide_type": "skip"}
# This notebook is `reproduction_template` filled in for one paper of the lecture's
# schedule; build its slides with `make slides NB=lectures/papers/gsp_conv_reproduction.ipynb`.
# Run time: training two small 3-D U-Nets takes most of it (times printed; cached with
# `me.train_cached`); `MEDEFF_FAST=1` shrinks everything to seconds.

# %% slideshow={"slide_type": "skip"}
import time

import matplotlib.pyplot as plt
import torch

import medeff as me
from medeff.models import gsp

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Motivation
#
# - Volumetric segmentation (prostate MRI, brain tumours, liver CT) uses 3-D CNNs: a
#   $3\times3\times3$ kernel has **27 times** the parameters and MACs of a $1\times1\times1$
#   one, and 3-D feature maps are large.
# - Medical datasets are small (tens to hundreds of volumes): many parameters overfit.
# - Pointwise ($1\times1\times1$) convolutions alone are cheap but blind: every voxel only
#   sees itself, so the network has no spatial context.
#
# <small>2 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Problem statement
#
# Given a 3-D segmentation network built from $3\times3\times3$ convolutions, replace them by
# something with the cost of a pointwise convolution that still aggregates spatial context,
# without losing Dice. Cost of one layer on a $D\times H\times W$ map:
#
# $$\underbrace{27\, C_\text{in} C_\text{out}\, DHW}_{3\times3\times3} \quad\text{vs}\quad
# \underbrace{C_\text{in} C_\text{out}\, DHW}_{1\times1\times1} .$$
#
# <small>1.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Main contributions
#
# 1. **GSP-Conv**: a *group shift* (GS) of the feature maps, then a pointwise convolution,
#    as a drop-in replacement of $3\times3\times3$ convolutions.
# 2. GS is parameter-free and costs no multiply-accumulates: the channels are split into
#    groups and each group is shifted along a different spatial direction.
# 3. On PROMISE12 (prostate MRI) and BraTS18 (brain tumours): comparable or better Dice
#    than the 3-D-convolution baselines with a fraction of the parameters and FLOPs.
#
# Tested here in miniature: claim 3's *direction* on liver CT phantoms, and the cost in
# parameters, MACs and measured CPU latency.
#
# <small>1 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Approach: outline
#
# Split the $C$ channels of $x$ into groups $G_1,\dots,G_g$; shift group $j$ by the offset
# $\delta_j$ (one voxel along $\pm z$, $\pm y$, $\pm x$, or none), zeros shifted in; then
# mix the channels with a pointwise convolution $W$:
#
# $$\text{GS}(x)_c[v] = x_c[v - \delta_{j(c)}], \qquad
# \text{GSP}(x)[v] = W\,\text{GS}(x)[v] .$$
#
# A voxel's output now depends on its 6 face neighbours (through different channels):
# spatial context for the price of a $1\times1\times1$ convolution. It is the 3-D, grouped
# descendant of Shift (Wu et al., CVPR 2018).
#
# <small>1 min.</small>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Approach: details, the receptive field
#
# One $3\times3\times3$ conv sees a $3^3$ cube; one GSP conv sees the centre and its 6 face
# neighbours. Stacked, GSP grows an octahedron ($|x|+|y|+|z|\le n$) and the conv a cube.
# Measured by back-propagating from one output voxel through $n$ stacked layers:

# %% slideshow={"slide_type": "-"}
def receptive_field(layer_fn, n: int, c: int = 14, size: int = 11) -> int:
    # number of input voxels that influence the centre output voxel after n layers
    torch.manual_seed(0)
    net = torch.nn.Sequential(*[layer_fn(c) for _ in range(n)])
    x = torch.randn(1, c, size, size, size, requires_grad=True)
    net(x)[0, :, size // 2, size // 2, size // 2].sum().backward()
    return int((x.grad[0].abs().sum(0) > 0).sum())


print(f"{'layers':>6} {'3x3x3 conv':>10} {'GSP conv':>9} {'octahedron':>10}")
for n in (1, 2, 3):
    conv = receptive_field(lambda c: torch.nn.Conv3d(c, c, 3, padding=1), n)
    gs = receptive_field(lambda c: gsp.GSPConv3d(c, c), n)
    octa = sum(1 for a in range(-n, n + 1) for b in range(-n, n + 1) for d in range(-n, n + 1)
               if abs(a) + abs(b) + abs(d) <= n)
    print(f"{n:>6} {conv:>10} {gs:>9} {octa:>10}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Approach: the network
#
# Our miniature (`medeff.models.gsp.UNet3D`): a 3-D U-Net with 3 levels (8, 16, 32
# channels), two conv-BN-ReLU layers per level, max-pool down, transposed conv up, skip
# concatenation. The GSP version swaps every $3\times3\times3$ conv for a GSP conv
# (7 groups: one unshifted, one per direction, shift 1 voxel), except the very first one,
# whose single input channel cannot be split into groups. The grouping is our choice,
# not the authors' code.

# %% slideshow={"slide_type": "-"}
SHAPE = (16, 32, 32)  # volume size (z, y, x) after cropping around the liver and resampling
nets = {conv: gsp.UNet3D(conv=conv) for conv in ("standard", "gsp")}
for conv, net in nets.items():
    print(f"{conv:<8} params {me.count_params(net):>7,}  MACs per volume {me.count_macs(net, (1, *SHAPE)):>12,}")
layer = {"3x3x3": torch.nn.Conv3d(16, 16, 3, padding=1, bias=False), "GSP": gsp.GSPConv3d(16, 16)}
lm = {k: me.count_macs(m, (16, *SHAPE)) for k, m in layer.items()}
print(f"one 16->16 layer: 3x3x3 {lm['3x3x3']:,} MACs, GSP {lm['GSP']:,} ({lm['3x3x3'] / lm['GSP']:.0f}x)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Experiments in the paper
#
# | | |
# | --- | --- |
# | data | PROMISE12 (prostate MRI, 50 training volumes), BraTS18 (brain tumour MRI, 285 volumes) |
# | baselines | the same 3-D segmentation networks with $3\times3\times3$ convolutions (the paper lists its variants and ablations) |
# | metrics | Dice; parameters; FLOPs |
# | results | comparable or better Dice with far fewer parameters and FLOPs (see the paper's tables; we do not quote numbers we have not checked) |
#
# <small>3 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Miniature reproduction: data
#
# The course's CT phantom (lecture A), liver task: 60 volumes split by case (42 / 6 / 12),
# cropped to the region that holds the liver ($32\times64\times64$ voxels) and resampled to
# $16\times32\times32$ (about $10\times7\times7$ mm voxels). Both nets get the same budget:
# cross-entropy, Adam, cosine schedule, same epochs, batch 2, seed 0.

# %% slideshow={"slide_type": "-"}
data = gsp.task_volumes_3d("liver", shape=SHAPE)
for split, (x, y) in data.items():
    print(f"{split:<5} {len(x):>3} volumes of {tuple(x.shape[2:])}, liver {y.float().mean():.0%} of voxels")
x, y = data["test"]
fig, axes = plt.subplots(1, 4, figsize=(10, 2.6))
for ax, z in zip(axes, (2, 6, 10, 14), strict=True):
    ax.imshow(x[0, 0, z], cmap="gray")
    ax.contour(y[0, z], levels=[0.5], colors="r", linewidths=1)
    ax.set_title(f"test volume 0, slice {z}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Miniature reproduction: training

# %% slideshow={"slide_type": "-"}
EPOCHS = me.pick(4, 1)
trained, records = {}, {}
for conv in ("standard", "gsp"):
    trained[conv], records[conv] = gsp.train_unet3d(conv, data, epochs=EPOCHS)
    rec = records[conv]
    status = "loaded from cache" if rec["cached"] else f"trained in {rec['train_seconds']:.1f} s"
    print(f"{conv:<8} {status}; train loss per epoch "
          + ", ".join(f"{v:.3f}" for v in rec["train_loss"]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Miniature reproduction: results
#
# **Predict, then run:** GSP has many times fewer MACs here (the ratio is printed above).
# Will it be that many times faster on this CPU?

# %% slideshow={"slide_type": "-"}
cmp = me.compare_latency(trained["standard"], trained["gsp"], (1, *SHAPE), runs=me.pick(30, 5))
rows = {}
for conv, lat in (("standard", cmp.a), ("gsp", cmp.b)):
    dice = torch.tensor(records[conv]["test_dice"])
    rows[conv] = {"params": me.count_params(trained[conv]), "macs": me.count_macs(trained[conv], (1, *SHAPE)),
                  "lat": lat, "dice": dice.mean().item(), "dice_sd": dice.std().item()}
print(f"{'network':<16} {'params':>8} {'MACs/volume':>13} {'CPU latency (median, IQR)':>27} {'liver Dice (12 vols)':>21}")
for conv, r in rows.items():
    name = "3x3x3 U-Net" if conv == "standard" else "GSP U-Net"
    print(f"{name:<16} {r['params']:>8,} {r['macs']:>13,} {r['lat'].median_ms:>16.2f} ms ({r['lat'].iqr_ms:.2f})"
          f" {r['dice']:>14.3f} ± {r['dice_sd']:.3f}")
s, g = rows["standard"], rows["gsp"]
word = "faster" if cmp.speedup >= 1 else "slower"
print(f"GSP: {s['params'] / g['params']:.1f}x fewer parameters, {s['macs'] / g['macs']:.1f}x fewer MACs, "
      f"Dice {g['dice'] - s['dice']:+.3f}")
print(f"     {max(cmp.speedup, 1 / cmp.speedup):.2f}x {word} measured (paired ratios 10-90%: "
      f"{cmp.paired_ratio_p10:.2f}-{cmp.paired_ratio_p90:.2f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Where does the time go?
#
# The shift has no MACs but it moves every feature map once more (a copy per group, a
# concatenation), and a pointwise convolution does few MACs per byte it reads. Timing one
# layer of each kind shows how far time follows MACs (27x fewer) on this CPU.

# %% slideshow={"slide_type": "-"}
xin = torch.randn(1, 16, *SHAPE)
shift_only = gsp.GroupShift3d()
t_conv = me.measure_latency(layer["3x3x3"], xin, runs=me.pick(30, 5)).median_ms
t_shift = me.measure_latency(shift_only, xin, runs=me.pick(30, 5)).median_ms
t_pw = me.measure_latency(layer["GSP"].pointwise, xin, runs=me.pick(30, 5)).median_ms
print(f"16->16 channels on {SHAPE}: 3x3x3 conv {t_conv:.3f} ms | group shift {t_shift:.3f} ms "
      f"+ pointwise {t_pw:.3f} ms = {t_shift + t_pw:.3f} ms")
print(f"the shift (0 MACs) takes {t_shift / (t_shift + t_pw):.0%} of the GSP layer's time")
r_layer = t_conv / (t_shift + t_pw)
print(f"per layer: GSP {max(r_layer, 1 / r_layer):.1f}x {'faster' if r_layer >= 1 else 'slower'} than the "
      f"3x3x3 conv for {lm['3x3x3'] / lm['GSP']:.0f}x fewer MACs (whole net, above: "
      f"{max(cmp.speedup, 1 / cmp.speedup):.2f}x {word} for {s['macs'] / g['macs']:.1f}x fewer MACs)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What the miniature shows, and what it does not
#
# - **Shows:** the cost claim exactly (27x per replaced layer; the whole net's ratio is
#   lower because the first conv, the transposed convs and the head stay); that a group
#   shift gives a pointwise net spatial context (the receptive-field table); the Dice of
#   both nets on one small task at one short budget (printed above). One training seed:
#   the ± is the spread over the 12 test volumes, not over training runs, so a gap of a
#   few points between the two nets is not established by this run alone (retraining both
#   with `gsp.train_unet3d(..., seed=s)` for a few seeds would tell).
# - **Shows, beside the paper:** whether fewer MACs translate one-to-one into CPU time
#   (compare the MAC ratio with the measured ratio above). MAC counts miss three costs: the
#   pointwise convolution does few MACs per byte it reads, the shift moves memory, and what
#   GSP does not replace (first conv, transposed convs, head, BatchNorm, ReLU, pooling)
#   keeps its cost. The per-layer line says which explains a gap here: where one GSP layer
#   gains at least what its MACs predict, the gap comes from the rest of the net.
# - **Does not show:** the paper's datasets (MRI, prostate and brain tumours), its network
#   sizes, its training length, its grouping choices, or any GPU timing.
#
# <small>Reproduction in all: 3 min.</small>

# %% slideshow={"slide_type": "skip"}
verdict = ("GSP kept Dice within 0.02" if abs(g["dice"] - s["dice"]) <= 0.02
           else f"GSP {'lost' if g['dice'] < s['dice'] else 'gained'} {abs(g['dice'] - s['dice']):.3f} Dice")
print(f"in this run: {verdict} with {s['macs'] / g['macs']:.0f}x fewer MACs, and ran "
      f"{max(cmp.speedup, 1 / cmp.speedup):.2f}x {word} on the CPU")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Related work
#
# - **Shift** (Bichen Wu et al., CVPR 2018): zero-FLOP, zero-parameter shifts between
#   pointwise convolutions in 2-D; channels divided evenly over the shift directions.
# - Active shift (Jeon and Kim, CVPR 2018) learns the shift; TSM (Lin et al., ICCV 2019)
#   shifts channels along *time* for video.
# - Cheap 3-D convolutions: depthwise-separable 3-D convs (MobileNet-style, lecture 01),
#   (2+1)-D factorizations; 3-D U-Net (Çiçek et al., MICCAI 2016) and V-Net as baselines.
#
# <small>1 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-home message
#
# Spatial context does not need spatial kernels: moving channel groups by one voxel and
# mixing them pointwise costs 27 times less per layer. Whether that is also faster depends
# on the hardware and the implementation of the shift.
#
# <small>0.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Strengths and weaknesses
#
# | strengths | weaknesses |
# | --- | --- |
# | simple, parameter-free, drop-in | MACs and parameters reported; wall-clock gains depend on a fast shift |
# | large cost reduction in 3-D, where it matters most | the receptive field grows more slowly (octahedron, not cube) |
# | fewer parameters suit small medical datasets | evaluated on two MRI datasets; grouping is a new hyper-parameter |
#
# <small>1.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Overall rating and why
#
# Weak accept: a clear, cheap idea with a convincing cost argument for 3-D segmentation;
# the evidence for speed would need measured latency on the target hardware.
#
# <small>0.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Future directions
#
# - A fused shift + pointwise kernel (no extra memory pass), and latency on GPU and CPU.
# - Learned or dilated shifts for a faster-growing receptive field.
# - Combine with quantization and distillation (lectures 05-07) for deployment.
#
# <small>0.5 min. Then 15 minutes of questions and discussion.</small>

# %% [markdown] slideshow={"slide_type": "skip"}
# ## Exercises (for the discussion)
#
# 1. **(code)** Rerun the table with the shift groups along two directions only (in-plane)
#    and compare Dice and latency with the six-direction shift. Which matters more here?
# 2. **(reason)** Compare the GSP U-Net's MAC ratio with its measured speed ratio in the
#    table. Using the per-layer timing, explain where the time goes and what a fused
#    shift + pointwise kernel would change.
# 3. **(reason)** The receptive field of stacked GSP layers grows as an octahedron, not a
#    cube. Which segmentation targets would suffer most, and how would you test it?
# 4. **(reason)** What would you need to reproduce the paper's PROMISE12/BraTS claims
#    rather than this miniature: data, budget, and the measurements you would report?

# %% slideshow={"slide_type": "skip"}
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
