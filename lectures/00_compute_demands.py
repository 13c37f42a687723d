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
# # Lecture 00: Compute demands of popular DNNs
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", introduction.*
#
# The lecture opens with a table ("Popular DNN Models", credit Vivienne Sze) of how many
# layers, weights and multiply-accumulates (MACs) the classic ImageNet networks need. In this
# notebook we **re-measure that table** on models we build ourselves, and then ask whether the
# MAC count predicts what a user feels: latency.
#
# **Goals**
#
# 1. Know how to count the MACs and parameters of a convolution and a fully connected layer,
#    and check the formula against an operator-level counter (`me.count_macs`).
# 2. Re-measure the slide's table for LeNet-5, AlexNet, VGG-16, GoogLeNet, ResNet-50,
#    EfficientNet-B4, and the MobileNet v1/v2 figures of the later table; explain every
#    difference (conventions, model versions, layer classification).
# 3. See where the MACs and where the weights of a network live (per-layer breakdown).
# 4. Meet the two MAC conventions (papers vs the `thop` profiler).
# 5. Measure CPU latency and see that it is **not** proportional to MACs.
# 6. Turn parameters into megabytes.
#
# **Contents**: 0. The compute trend · 1. Cost of a layer · 2. The models · 3. Re-measuring
# the table · 4. Why the numbers differ · 5. Where the cost lives · 6. Two conventions (and
# which one each seed table uses) · 7. MACs are not latency · 8. Model size · 9. Four families
# of efficient networks · Take-aways · Exercises · References
#
# **Run time**: the last cell prints this run's time; `MEDEFF_FAST=1` shortens it (fewer
# timing runs, only five models timed). All weights are random (`weights=None`):
# MACs, parameters and latency do not depend on the values of the weights.

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import matplotlib.ticker
import torch
import torch.fx
import torchvision
from IPython.display import Markdown, display
from torch import nn
from torchvision.ops import SqueezeExcitation

import medeff as me
from medeff import seed_figures as sf
from medeff.models import classic

T0 = time.perf_counter()
me.set_seed(0)
FAST = me.is_fast()
THREADS = 2
torch.set_num_threads(THREADS)
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"{THREADS} threads, fast mode: {FAST}")


def si(x: float) -> str:
    # 61706 -> '61.7k', 724406816 -> '724.4M'
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.{2 if unit == 'G' else 1}f}{unit}"
    return f"{x:.0f}"


def show_table(header: list[str], rows: list[list[object]]) -> None:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    display(Markdown("\n".join(lines)))


# %% [markdown]
# ## 0. The compute trend
#
# The lecture opens with "AlexNet to AlphaGo Zero: a 300,000x increase in compute" (after
# Amodei and Hernandez, *AI and Compute*, 2018). Two quoted numbers and two dates fix the
# trend; the doubling time follows from them:
# $$T_2 = \frac{t_1 - t_0}{\log_2(\text{factor})}.$$
#
# **Predict, then run:** Moore's law doubles transistor counts about every 24 months. How
# many months does training compute take to double, if it grew 300,000x in about five years?

# %%
trend = sf.COMPUTE_GROWTH
(a_name, t0), (b_name, t1) = trend["from"], trend["to"]
doubling = 12 * (t1 - t0) / math.log2(trend["factor"])
moore = 2 ** ((t1 - t0) * 12 / 24)
print(f"{a_name} ({t0:.1f}) -> {b_name} ({t1:.1f}): {trend['factor']:,.0f}x in {t1 - t0:.1f} years "
      f"= doubling every {doubling:.1f} months (the post fits {trend['doubling_months']} months); "
      f"Moore's law over the same years: {moore:.0f}x")
years = np.linspace(t0, t1, 50)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.semilogy(years, 2 ** ((years - t0) * 12 / doubling), label=f"training compute (x2 per {doubling:.1f} months)")
ax.semilogy(years, 2 ** ((years - t0) * 12 / 24), "--", label="Moore's law (x2 per 24 months)")
for t, name, v in ((t0, a_name, 1), (t1, b_name, trend["factor"])):
    ax.annotate(name, (t, v), textcoords="offset points", xytext=(4, -12 if v == 1 else 4))
ax.set(xlabel="year", ylabel=f"compute relative to {a_name}", title="The compute trend (quoted endpoints)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 1. What a layer costs
#
# A 2-D convolution with $C_\text{in}$ input and $C_\text{out}$ output channels, a
# $K_h\times K_w$ kernel and $g$ groups computes every one of its
# $C_\text{out} H_\text{out} W_\text{out}$ outputs as a dot product of length
# $K_h K_w C_\text{in}/g$. One multiply and one add is one **multiply-accumulate (MAC)**:
#
# $$\text{MACs}_\text{conv} = K_h\, K_w\, \frac{C_\text{in}}{g}\, C_\text{out}\, H_\text{out}\, W_\text{out},
# \qquad
# \text{params}_\text{conv} = K_h\, K_w\, \frac{C_\text{in}}{g}\, C_\text{out} + C_\text{out}.$$
#
# A fully connected (FC) layer is the special case of a $1\times1$ output:
# $\text{MACs}_\text{FC} = C_\text{in} C_\text{out}$, one MAC per weight (per image), and
# $\text{params}_\text{FC} = C_\text{in} C_\text{out} + C_\text{out}$. Hardware papers often
# quote **FLOPs** $= 2\times$ MACs (a multiply and an add); the tables in this lecture quote
# MACs, even where a column is headed "FLOPs". Batch normalisation, activations, pooling and
# residual additions are *not* counted: in the papers' convention they are cheap next to the
# convolutions.
#
# We check the formula on AlexNet's grouped conv2 (the two-GPU split: each filter sees only
# 48 of the 96 input channels) against `me.count_macs`, which counts at the level of PyTorch
# operators.

# %%
def conv_cost(c_in, c_out, k_h, k_w, h_out, w_out, groups=1, bias=True):
    weights = k_h * k_w * (c_in // groups) * c_out
    return weights + (c_out if bias else 0), weights * h_out * w_out


conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2)
params, macs = conv_cost(96, 256, 5, 5, 27, 27, groups=2)
counted = me.count_macs(conv2, (96, 27, 27))
print(f"AlexNet conv2: formula {si(macs)} MACs, counted {si(counted)} MACs, "
      f"{si(params)} parameters ({me.count_params(conv2)} counted); "
      f"without groups it would cost {si(conv_cost(96, 256, 5, 5, 27, 27)[1])} MACs")
assert counted == macs and me.count_params(conv2) == params

# %% [markdown]
# ## 2. The models
#
# Torchvision ships VGG-16, GoogLeNet, ResNet-50, EfficientNet-B4, MobileNetV2 and an AlexNet;
# `medeff.models.classic` adds the networks as their papers describe them:
#
# * **LeNet-5** at $32\times32$ (MNIST digits padded from $28\times28$). Its C3 layer does not
#   connect every input map to every output map: LeCun's Table I connects 60 of the 96 pairs
#   ("to break the symmetry"). `classic.lenet5(sparse_c3=True)` implements that table; the
#   fully connected C3 is there for comparison.
# * **AlexNet (2012)** at $227\times227$: the original was split over two GPUs, so conv2, conv4
#   and conv5 see only the channels on their own GPU: a grouped convolution with $g=2$.
#   Torchvision's `alexnet` is the later single-GPU variant (no groups, different widths) at
#   $224\times224$.
# * **MobileNet v1** (Howard et al. 2017, Table 1): 13 depthwise-separable layers.
#
# GoogLeNet is built without its auxiliary classifiers (they only exist for training).

# %%
tv = torchvision.models
SPECS = {  # name: (builder, input size (C, H, W), the slide's entry)
    "LeNet-5 (sparse C3)": (lambda: classic.lenet5(sparse_c3=True), (1, 32, 32), "LeNet-5"),
    "LeNet-5 (full C3)": (lambda: classic.lenet5(sparse_c3=False), (1, 32, 32), "LeNet-5"),
    "AlexNet (2012, g=2)": (classic.alexnet_2012, (3, 227, 227), "AlexNet"),
    "AlexNet (torchvision)": (lambda: tv.alexnet(weights=None), (3, 224, 224), "AlexNet"),
    "VGG-16": (lambda: tv.vgg16(weights=None), (3, 224, 224), "VGG-16"),
    "GoogLeNet": (lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=False),
                  (3, 224, 224), "GoogLeNet (v1)"),
    "ResNet-50": (lambda: tv.resnet50(weights=None), (3, 224, 224), "ResNet-50"),
    "EfficientNet-B4": (lambda: tv.efficientnet_b4(weights=None), (3, 380, 380),
                        "EfficientNet-B4"),
    "MobileNet v1": (classic.mobilenet_v1, (3, 224, 224), "MobileNet v1"),
    "MobileNet v2": (lambda: tv.mobilenet_v2(weights=None), (3, 224, 224), "MobileNet v2"),
}
models = {name: builder().eval() for name, (builder, _, _) in SPECS.items()}
print(f"built {len(models)} models in {time.perf_counter() - T0:.1f} s since the start")

# %% [markdown]
# ## 3. Re-measuring the table
#
# For every model we take the per-layer breakdown (`me.mac_breakdown`: MACs, parameters and
# output shape of every leaf module, in execution order) and sort each layer into the slide's
# two classes:
#
# * **FC**: every `nn.Linear`, and every convolution whose output is a single position
#   ($1\times1$). Such a convolution *is* a matrix-vector product: LeNet's C5 (a $5\times5$
#   kernel on a $5\times5$ map) and the squeeze-and-excitation (SE) layers of EfficientNet,
#   which torchvision writes as $1\times1$ `Conv2d` on a pooled $1\times1$ map. The slide
#   counts these as FC layers (its footnote: "increase in FC layers due to
#   squeeze-and-excitation layers"), so we classify them explicitly, and check below that in
#   EfficientNet exactly the convolutions inside `SqueezeExcitation` modules land here.
# * **conv**: every other convolution.
#
# "Conv layers" is the slide's *depth*: the number of convolutions on the longest path from
# input to output. We trace the model into a graph (`torch.fx`) and count along the longest
# path, so parallel branches (Inception modules, ResNet shortcuts) count once. Weights
# include biases; "total" also includes BatchNorm parameters.

# %%
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def classify(model, rows):
    # leaf name -> 'conv' / 'fc' / None, by the rule above
    modules = dict(model.named_modules())
    kinds = {}
    for row in rows:
        module = modules.get(row.name, model)
        if isinstance(module, nn.Linear):
            kinds[row.name] = "fc"
        elif isinstance(module, CONVS):
            single = all(s == 1 for s in row.output_shape[2:])
            kinds[row.name] = "fc" if single else "conv"
        else:
            kinds[row.name] = None
    return kinds


def conv_depth(model, conv_names):
    # convolutions on the longest path through the traced graph
    depth = {}
    for node in torch.fx.symbolic_trace(model).graph.nodes:
        before = max((depth[n] for n in node.all_input_nodes), default=0)
        depth[node] = before + int(node.op == "call_module" and node.target in conv_names)
    return max(depth.values())


def measure(model, shape):
    rows = me.mac_breakdown(model, shape)
    kinds = classify(model, rows)
    r = {"rows": rows, "kinds": kinds, "shape": shape}
    for k in ("conv", "fc"):
        mine = [row for row in rows if kinds[row.name] == k]
        r[f"{k}_modules"] = len(mine)
        r[f"{k}_weights"] = sum(row.params for row in mine)
        r[f"{k}_macs"] = sum(row.macs for row in mine)
    r["conv_layers"] = conv_depth(model, {n for n, k in kinds.items() if k == "conv"})
    r["fc_layers"] = r["fc_modules"]
    r["total_weights"] = me.count_params(model)
    r["total_macs"] = sum(row.macs for row in rows)
    return r


t = time.perf_counter()
results = {name: measure(models[name], shape) for name, (_, shape, _) in SPECS.items()}
print(f"counted {len(results)} models in {time.perf_counter() - t:.1f} s")

# the breakdown adds up to the operator-level total, and SE layers are the FC-like convs
assert results["MobileNet v2"]["total_macs"] == me.count_macs(models["MobileNet v2"], (3, 224, 224))
effnet = models["EfficientNet-B4"]
se_convs = {f"{name}.{sub}" for name, m in effnet.named_modules()
            if isinstance(m, SqueezeExcitation)
            for sub, c in m.named_modules() if isinstance(c, nn.Conv2d)}
fc_convs = {n for n, k in results["EfficientNet-B4"]["kinds"].items()
            if k == "fc" and n.split(".")[0] != "classifier"}
assert fc_convs == se_convs, "in EfficientNet-B4 the FC-like convolutions are the SE layers"
print(f"EfficientNet-B4: {len(se_convs)} SE convolutions counted as FC, "
      f"+ {results['EfficientNet-B4']['fc_modules'] - len(se_convs)} classifier Linear")


# %% [markdown]
# Each measured value is shown beside the slide's (in brackets) with the difference in
# percent. The MobileNets come from the slide "Different models with different sizes", which
# lists only parameters and MACs; for ResNet-50 that slide quotes 4.1G where the first one
# quotes 3.9G (section 4 explains both).

# %%
def seed_entry(name):
    key = SPECS[name][2]
    return sf.POPULAR_DNN_MODELS.get(key) or sf.MODEL_SIZES[key]


def quoted(name, field):
    # the slide's value of a field, None where the slide gives none
    s = seed_entry(name)
    if isinstance(s, sf.ModelSize):
        field = {"total_weights": "params", "total_macs": "macs"}.get(field, field)
    return getattr(s, field, None)


def cell(measured, quoted):
    if quoted is None:
        return si(measured)
    return f"{si(measured)} ({si(quoted)}, {sf.percent_diff(measured, quoted):+.1f}%)"


layer_rows, weight_rows, mac_rows = [], [], []
for name, r in results.items():
    size = "x".join(map(str, r["shape"][1:]))
    layer_rows.append([name, size, f"{r['conv_layers']} ({quoted(name, 'conv_layers') or '-'})",
                       r["conv_modules"], f"{r['fc_layers']} ({quoted(name, 'fc_layers') or '-'})"])
    weight_rows.append([name] + [cell(r[f"{k}_weights"], quoted(name, f"{k}_weights"))
                                 for k in ("conv", "fc", "total")])
    mac_rows.append([name] + [cell(r[f"{k}_macs"], quoted(name, f"{k}_macs"))
                              for k in ("conv", "fc", "total")])

display(Markdown("**Layers**: measured (slide)"))
show_table(["model", "input", "conv layers (depth)", "conv modules", "FC layers"], layer_rows)
display(Markdown("**Weights**: measured (slide, difference)"))
show_table(["model", "conv", "FC", "total"], weight_rows)
display(Markdown("**MACs per image**: measured (slide, difference)"))
show_table(["model", "conv", "FC", "total"], mac_rows)

# %% [markdown]
# **Deviations, and what the slide's rounding allows.** A printed figure only says that the
# value lies within half a unit of its last digit: "2M" means $[1.5\text{M}, 2.5\text{M})$,
# a tolerance of $\pm 25\%$; "15.5G" means $\pm 0.05\text{G} = \pm 0.32\%$
# (`sf.rounding_halfwidth`). The table lists every total with its deviation and the
# tolerance its printed precision allows; a deviation beyond it is a real difference, and
# section 4 explains each one.

# %%
dev_rows = []
for name, r in results.items():
    for field in ("total_weights", "total_macs"):
        q = quoted(name, field)
        if q is None:
            continue
        tol = 100 * sf.rounding_halfwidth(q) / q
        dev = sf.percent_diff(r[field], q)
        verdict = "within rounding" if abs(dev) <= tol else f"differs by {abs(dev) - tol:.2f} points beyond rounding"
        dev_rows.append([name, field.replace("total_", ""), si(r[field]), si(q), f"{dev:+.1f}%",
                         f"±{tol:.2f}%", verdict])
show_table(["model", "total", "measured", "slide", "deviation", "rounding allows", "verdict"], dev_rows)
# ResNet-50 (torchvision v1.5) against the *later* slide's 4.1G / 25.5M
rn = results["ResNet-50"]
for field, q in (("total_macs", sf.MODEL_SIZES["ResNet-50"].macs),
                 ("total_weights", sf.MODEL_SIZES["ResNet-50"].params)):
    print(f"ResNet-50 vs the later table: {field} {si(rn[field])} vs {si(q)} "
          f"({sf.percent_diff(rn[field], q):+.1f}%, rounding allows "
          f"±{100 * sf.rounding_halfwidth(q) / q:.1f}%)")

# %% [markdown]
# **Accuracy beside cost.** The slide's first row is the ImageNet top-5 error. torchvision's
# weight enums carry the top-5 accuracy of its own trained weights (single $224$ centre
# crop, $380$ for EfficientNet-B4) in their metadata, so we can show both without
# downloading any weights. The papers' numbers often use several crops or ensembles, so they
# are mostly lower than torchvision's single crop; the slide's EfficientNet-B4 entry is
# marked "does not include multi-crop and ensemble", and there the two are close (the table
# shows which is lower).

# %%
TV_WEIGHTS = {"AlexNet (2012, g=2)": tv.AlexNet_Weights.IMAGENET1K_V1,
              "VGG-16": tv.VGG16_Weights.IMAGENET1K_V1,
              "GoogLeNet": tv.GoogLeNet_Weights.IMAGENET1K_V1,
              "ResNet-50": tv.ResNet50_Weights.IMAGENET1K_V1,
              "EfficientNet-B4": tv.EfficientNet_B4_Weights.IMAGENET1K_V1,
              "MobileNet v2": tv.MobileNet_V2_Weights.IMAGENET1K_V1}
acc_rows = []
for name, w in TV_WEIGHTS.items():
    slide = seed_entry(name)
    top5 = 100 - w.meta["_metrics"]["ImageNet-1K"]["acc@5"]
    acc_rows.append([name, f"{slide.top5_error}" if getattr(slide, "top5_error", None) else "-",
                     f"{top5:.1f}", si(results[name]["total_macs"]), si(results[name]["total_weights"])])
show_table(["model", "top-5 error, slide (%)", "top-5 error, torchvision weights (%)", "MACs", "weights"],
           acc_rows)

# %% [markdown]
# ## 4. Why the numbers differ
#
# **AlexNet.** The slide's 724M is the two-GPU original at $227\times227$ and it agrees with
# our `alexnet_2012` to within rounding. Torchvision's AlexNet has no groups but narrower
# layers (64-192-384-256-256 instead of 96-256-384-384-256) and runs at $224\times224$, which
# changes the conv cost in both directions; the FC layers are identical.
#
# **VGG-16.** Weights and MACs agree. The slide's "16" conv layers is the number of all
# weight layers; VGG-16 has 13 convolutions and 3 FC layers (which the slide lists as well),
# and that is what we measure.
#
# **ResNet-50.** Torchvision implements "ResNet v1.5": in the first bottleneck of stages 2-4
# the stride 2 sits in the $3\times3$ convolution, not in the first $1\times1$ as in the
# 2016 paper (v1). The $1\times1$ then runs at the higher resolution, which costs more MACs.
# (The stride move changes no weights; the weights lie just outside the rounding of the
# slide's figure, as if it had been cut off rather than rounded: see the deviation table.)
# We move the stride back and count again:

# %%
resnet_v1 = tv.resnet50(weights=None)
for stage in (resnet_v1.layer2, resnet_v1.layer3, resnet_v1.layer4):
    stage[0].conv1.stride, stage[0].conv2.stride = (2, 2), (1, 1)
v1_macs = me.count_macs(resnet_v1, (3, 224, 224))
v15_macs = results["ResNet-50"]["total_macs"]
quoted_v1 = sf.POPULAR_DNN_MODELS["ResNet-50"].total_macs
v1_conv = v1_macs - results["ResNet-50"]["fc_macs"]
quoted_v1_conv = sf.POPULAR_DNN_MODELS["ResNet-50"].conv_macs
print(f"ResNet-50 v1  : {si(v1_macs)} MACs, of which conv {si(v1_conv)} (slide 'Popular DNN "
      f"Models': {si(quoted_v1)}, conv {si(quoted_v1_conv)}: "
      f"{sf.percent_diff(v1_conv, quoted_v1_conv):+.1f}%)")
print(f"ResNet-50 v1.5: {si(v15_macs)} MACs (slide 'Different sizes': "
      f"{si(sf.MODEL_SIZES['ResNet-50'].macs)}), {v15_macs / v1_macs - 1:+.1%} for the stride move")
print(f"rounding of the slide's figures: 3.9G allows ±{100 * sf.rounding_halfwidth(quoted_v1) / quoted_v1:.1f}%, "
      f"3.86G allows ±{100 * sf.rounding_halfwidth(quoted_v1_conv) / quoted_v1_conv:.2f}%")

# %% [markdown]
# **GoogLeNet.** Torchvision's Inception modules use a $3\times3$ kernel in the branch the
# paper describes as $5\times5$ (a known deviation, kept for compatibility with its
# pretrained weights), and BatchNorm instead of LRN. Restoring the $5\times5$ kernels adds
# MACs and parameters; neither version reproduces the slide's 1.43G exactly, whose counting
# convention we could not reconstruct. The depth of 21 convolutions and the single FC layer
# do agree.

# %%
from torchvision.models.googlenet import Inception

googlenet_5x5 = tv.googlenet(weights=None, aux_logits=False, init_weights=False)
for module in googlenet_5x5.modules():
    if isinstance(module, Inception):
        old = module.branch3[1].conv
        module.branch3[1].conv = nn.Conv2d(old.in_channels, old.out_channels, 5, padding=2, bias=False)
g5_macs, g5_params = me.count_macs(googlenet_5x5, (3, 224, 224)), me.count_params(googlenet_5x5)
g_seed = sf.POPULAR_DNN_MODELS["GoogLeNet (v1)"]
for label, m_, p_ in [("torchvision (3x3)", results["GoogLeNet"]["total_macs"],
                       results["GoogLeNet"]["total_weights"]), ("paper (5x5)", g5_macs, g5_params)]:
    print(f"GoogLeNet {label:18s}: {si(m_)} MACs ({sf.percent_diff(m_, g_seed.total_macs):+.1f}% "
          f"vs {si(g_seed.total_macs)}), {si(p_)} params ({si(g_seed.total_weights)} on the slide)")
tol = 100 * sf.rounding_halfwidth(g_seed.total_macs) / g_seed.total_macs
print(f"the slide's 1.43G allows ±{tol:.2f}%: both versions differ by more than that")

# %% [markdown]
# **LeNet-5.** The slide's LeNet column follows a convention of its own: input $28\times28$,
# C5 and F6 counted as the 2 FC layers (without the output layer), biases left out. Even
# then its 283k conv MACs match neither the full C3 nor LeCun's sparse C3 table. We show what
# each convention gives, so the gap is explicit:

# %%
le = sf.POPULAR_DNN_MODELS["LeNet-5"]
for name in ("LeNet-5 (sparse C3)", "LeNet-5 (full C3)"):
    r, modules = results[name], dict(models[name].named_modules())
    rows = {row.name: row for row in r["rows"]}
    conv_no_bias = sum(modules[n].weight.numel() for n, k in r["kinds"].items() if k == "conv")
    c5_f6 = rows["c5"].macs + rows["f6"].macs
    print(f"{name}: conv MACs {r['conv_macs']:,} "
          f"({sf.percent_diff(r['conv_macs'], le.conv_macs):+.1f}% vs the slide's {le.conv_macs:,.0f}), "
          f"conv weights without biases {conv_no_bias:,} (slide {le.conv_weights:,.0f}), "
          f"C5+F6 MACs {c5_f6:,} (slide FC {le.fc_macs:,.0f})")
    # neither C3 gives the slide's figure (283k allows ±0.18 %)

# %% [markdown]
# **EfficientNet-B4.** Agrees once the SE layers are counted as FC layers: 64 SE convolutions
# (2 per MBConv block, 32 blocks) plus the classifier give the slide's 65 FC layers.
# They hold a sizeable share of the weights but almost none of the MACs, because they run on
# a pooled $1\times1$ map:

# %%
eff = results["EfficientNet-B4"]
rows = {row.name: row for row in eff["rows"]}
se_weights, se_macs = sum(rows[n].params for n in se_convs), sum(rows[n].macs for n in se_convs)
print(f"SE layers: {si(se_weights)} weights = {se_weights / eff['total_weights']:.1%} of the model, "
      f"{si(se_macs)} MACs = {se_macs / eff['total_macs']:.2%} of the MACs")

# %% [markdown]
# **MobileNet v1 / v2.** Agree with the later table (checked above).
#
# ## 5. Where the cost lives: the per-layer breakdown
#
# The breakdown of the two-GPU AlexNet shows the pattern of the slide's table in one picture:
# the convolutions hold most of the **MACs** (every weight is reused at every output
# position), the FC layers hold most of the **weights** (each weight is used once per image).

# %%
alex = results["AlexNet (2012, g=2)"]
layers = [row for row in alex["rows"] if alex["kinds"][row.name]]
total_m, total_p = alex["total_macs"], alex["total_weights"]
show_table(["layer", "kind", "output shape", "weights", "MACs", "% of MACs", "% of weights"],
           [[row.name, row.kind, "x".join(map(str, row.output_shape[1:])), si(row.params),
             si(row.macs), f"{100 * row.macs / total_m:.1f}", f"{100 * row.params / total_p:.1f}"]
            for row in layers])
conv_share_macs = alex["conv_macs"] / total_m
fc_share_weights = alex["fc_weights"] / total_p
print(f"AlexNet: conv layers do {conv_share_macs:.1%} of the MACs; FC layers hold "
      f"{fc_share_weights:.1%} of the weights")
vgg = results["VGG-16"]
print(f"VGG-16 : conv layers do {vgg['conv_macs'] / vgg['total_macs']:.1%} of the MACs; FC layers hold "
      f"{vgg['fc_weights'] / vgg['total_weights']:.1%} of the weights")
assert conv_share_macs > 0.9 and fc_share_weights > 0.9

labels = [f"{row.name}\n{row.kind}" for row in layers]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=False)
axes[0].bar(labels, [row.macs / 1e6 for row in layers], color="tab:blue")
axes[0].set_ylabel("MACs (millions)")
axes[0].set_title("AlexNet (2012): MACs per layer")
axes[1].bar(labels, [row.params / 1e6 for row in layers], color="tab:orange")
axes[1].set_ylabel("weights (millions)")
axes[1].set_title("AlexNet (2012): weights per layer")
for ax in axes:
    ax.tick_params(axis="x", labelsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. Two conventions for MACs
#
# The widely used `thop` profiler also charges BatchNorm (about 4 operations per output
# element when it has an affine transform), pooling and some activations. `me.thop_macs` runs
# it on a copy of the model (thop leaves extra buffers on every module it touches, which
# would break a later strict `load_state_dict`). On a network without BatchNorm the two
# conventions nearly agree; on modern networks thop is higher, the more so the more
# BatchNorm outputs a network has per MAC (compare ResNet-50 and MobileNet v2 below).
# Neither counts element-wise additions (residual connections) or the SE multiplication.
# Whenever you compare MAC counts from different sources, check which convention they use.

# %%
THOP_MODELS = me.pick(["AlexNet (2012, g=2)", "ResNet-50", "MobileNet v2"], ["MobileNet v2"])
rows_out = []
for name in THOP_MODELS:
    r = results[name]
    theirs = me.thop_macs(models[name], r["shape"])
    bn_outputs = sum(torch.Size(row.output_shape).numel() for row in r["rows"]
                     if row.kind.startswith("BatchNorm"))
    extra = theirs - r["total_macs"]
    rows_out.append([name, si(r["total_macs"]), si(theirs), f"{sf.percent_diff(theirs, r['total_macs']):+.1f}%",
                     si(bn_outputs), f"{extra / bn_outputs:.2f}" if bn_outputs else "-"])
    assert theirs >= r["total_macs"]
show_table(["model", "papers (me.count_macs)", "thop", "thop vs papers", "BatchNorm outputs",
            "extra per BN output"], rows_out)

# %% [markdown]
# **Which convention does each seed table use?** "FLOPs" in a paper is usually
# $2\times$ MACs (a multiply and an add), but tables are not consistent. We re-count one
# network from each of the lecture's tables and compare:
#
# * "Popular DNN Models" says MACs, and its values are MACs (VGG-16: 15.5G, section 3).
# * "Different models with different sizes" heads its column "FLOPs", yet its values are
#   MACs (ResNet-50 4.1G, MobileNet v1 569M: the MACs we measured).
# * The network-slimming tables (Liu et al. 2017) say FLOPs and mean $2\times$ MACs: their
#   VGGNet on CIFAR (`classic.vgg_cifar`, 32x32 input) is checked below.

# %%
slim = sf.NETWORK_SLIMMING["CIFAR-10"][0]
vgg_c = classic.vgg_cifar()
vgg_c_macs, vgg_c_params = me.count_macs(vgg_c, (3, 32, 32)), me.count_params(vgg_c)
mb1 = sf.MODEL_SIZES["MobileNet v1"]
show_table(["table", "network", "printed", "our MACs", "printed / MACs", "convention"], [
    ["Popular DNN Models", "VGG-16", si(sf.POPULAR_DNN_MODELS["VGG-16"].total_macs),
     si(results["VGG-16"]["total_macs"]),
     f"{sf.POPULAR_DNN_MODELS['VGG-16'].total_macs / results['VGG-16']['total_macs']:.2f}", "MACs"],
    ["Different sizes ('FLOPs')", "MobileNet v1", si(mb1.macs), si(results["MobileNet v1"]["total_macs"]),
     f"{mb1.macs / results['MobileNet v1']['total_macs']:.2f}", "MACs"],
    ["Network slimming ('FLOPs')", "VGGNet, CIFAR", f"{slim.flops:.3g}", si(vgg_c_macs),
     f"{slim.flops / vgg_c_macs:.2f}", "FLOPs = 2 x MACs"],
])
print(f"VGGNet (CIFAR): {si(vgg_c_params)} parameters (table: {si(slim.params)}); "
      f"2 x MACs = {2 * vgg_c_macs:.4g} vs the printed {slim.flops:.3g} "
      f"({sf.percent_diff(2 * vgg_c_macs, slim.flops):+.2f}%)")

# %% [markdown]
# ## 7. MACs are not latency
#
# We time one image (batch 1) on the CPU with 2 threads: warm-up runs first, then the median
# of several timed runs (`me.measure_latency`). The plot is log-log with a dashed line of
# slope 1 through the models' geometric mean: a model above the line is slower than its MACs
# suggest. Timings on a shared machine are noisy; the ratios below are what matters.

# %%
RUNS, WARMUP, MAX_S = me.pick(8, 3), me.pick(2, 1), me.pick(2.0, 0.5)
# fast mode times only what the ratios below need (VGG-16 and EfficientNet-B4 are the slowest)
TIMED = me.pick(list(models), ["LeNet-5 (sparse C3)", "AlexNet (torchvision)", "ResNet-50",
                               "MobileNet v1", "MobileNet v2"])
latency = {}
t = time.perf_counter()
for name, model in models.items():
    if name not in TIMED:
        continue
    latency[name] = me.measure_latency(model, results[name]["shape"], warmup=WARMUP, runs=RUNS,
                                       threads=THREADS, max_seconds=MAX_S)
skipped = [n for n in models if n not in latency]
print(f"timed {len(latency)} models in {time.perf_counter() - t:.1f} s"
      + (f" (not timed in fast mode: {', '.join(skipped)})" if skipped else ""))
show_table(["model", "MACs", "median latency (ms)", "IQR (ms)", "runs", "GMAC/s"],
           [[n, si(results[n]["total_macs"]), f"{lat.median_ms:.1f}", f"{lat.iqr_ms:.1f}", lat.runs,
             f"{results[n]['total_macs'] / lat.median_ms / 1e6:.2f}"] for n, lat in latency.items()])

# LeNet is far off the scale; the 2012 AlexNet (LRN, see below) sits on top of torchvision's
names = [n for n in latency if not n.startswith("LeNet") and n != "AlexNet (2012, g=2)"]
ax = me.plot_latency_vs_macs(names, [results[n]["total_macs"] for n in names],
                             [latency[n].median_ms for n in names])
ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
ax.figure.set_size_inches(7, 4.5)
plt.show()


# %% [markdown]
# If latency were proportional to MACs, the latency ratio of two models would equal their MAC
# ratio.
#
# **Predict, then run:** MobileNet v2 needs about 14x fewer MACs than ResNet-50. Will it run
# 14x faster on this CPU? Write your guess down before you run the cell.

# %%
def compare(a, b):
    mac_ratio = results[a]["total_macs"] / results[b]["total_macs"]
    lat_ratio = latency[a].median_ms / latency[b].median_ms
    print(f"{a} / {b}: {mac_ratio:5.2f}x the MACs, {lat_ratio:5.2f}x the latency")
    return mac_ratio, lat_ratio


pairs = [("ResNet-50", "MobileNet v2"), ("ResNet-50", "MobileNet v1"),
         ("EfficientNet-B4", "ResNet-50"), ("VGG-16", "ResNet-50")]
ratios = {p: compare(*p) for p in pairs if all(n in latency for n in p)}
mac_r, lat_r = ratios[("ResNet-50", "MobileNet v2")]
if lat_r < mac_r:
    print(f"MobileNet v2 saves {mac_r:.1f}x the MACs but only {lat_r:.1f}x the time: depthwise "
          "convolutions do little arithmetic per byte moved (memory bound), and many small "
          "layers pay a fixed overhead per operator")
else:
    print(f"in this run MobileNet v2 gained at least its MAC ratio ({lat_r:.1f}x vs {mac_r:.1f}x)")

throughput = {n: results[n]["total_macs"] / latency[n].median_ms / 1e6 for n in names}
best, worst = max(throughput, key=throughput.get), min(throughput, key=throughput.get)
print(f"arithmetic throughput ranges from {throughput[worst]:.1f} GMAC/s ({worst}) "
      f"to {throughput[best]:.1f} GMAC/s ({best}): {throughput[best] / throughput[worst]:.1f}x")

# %% [markdown]
# Operations that cost no MACs still cost time. The original AlexNet's local response
# normalisation (LRN) has no weights and no MACs; a paired measurement (interleaved runs of
# the two models, `me.compare_latency`) shows what it costs.

# %%
alex_lrn = models["AlexNet (2012, g=2)"]
alex_plain = classic.alexnet_2012(lrn=False).eval()
alex_plain.load_state_dict(alex_lrn.state_dict())
assert me.count_macs(alex_plain, (3, 227, 227)) == results["AlexNet (2012, g=2)"]["total_macs"]
lrn = me.compare_latency(alex_lrn, alex_plain, (3, 227, 227), warmup=WARMUP, runs=me.pick(10, 4),
                         threads=THREADS)
print(f"same MACs, with LRN {lrn.a.median_ms:.1f} ms, without {lrn.b.median_ms:.1f} ms: "
      f"LRN costs {lrn.a.median_ms - lrn.b.median_ms:.1f} ms ({lrn.speedup:.2f}x)")

# %% [markdown]
# ## 8. From parameters to megabytes
#
# Stored as 32-bit floats, every parameter costs 4 bytes: $\text{size} \approx 4 \times
# \text{params}$ bytes, plus buffers such as BatchNorm's running statistics.
# `me.model_size_bytes` adds up the tensors of the `state_dict` with their real data types, so
# it also covers half precision and int8 (lecture 05).

# %%
sizes = {n: me.model_size_bytes(m) for n, m in models.items()}
show_table(["model", "parameters", "size (MB, float32)", "4 x params (MB)"],
           [[n, si(results[n]["total_weights"]), f"{sizes[n] / 1e6:.1f}",
             f"{4 * results[n]['total_weights'] / 1e6:.1f}"] for n in models])
for n in models:
    assert sizes[n] >= 4 * results[n]["total_weights"]
    assert sizes[n] <= 4 * results[n]["total_weights"] * 1.02 + 1e4, n  # buffers are small

fig, ax = plt.subplots(figsize=(7, 3.5))
order = sorted(sizes, key=sizes.get)
ax.barh(order, [sizes[n] / 1e6 for n in order])
ax.set_xscale("log")
ax.set_xlabel("model size (MB, float32, log scale)")
ax.set_title("Weights to store")
ax.grid(True, axis="x", which="both", alpha=0.3)
fig.tight_layout()
plt.show()
vgg_vs_mb2 = sizes["VGG-16"] / sizes["MobileNet v2"]
print(f"VGG-16 needs {vgg_vs_mb2:.0f}x the storage of MobileNet v2")

# %% [markdown]
# ## 9. Four families of efficient networks
#
# The lecture sorts the answers to these costs into four families, and the rest of the
# course takes them in turn:
#
# | family | idea | lecture |
# | --- | --- | --- |
# | efficient architectures | fewer MACs per layer: depthwise separable (MobileNet), group conv + shuffle (ShuffleNet), cheap ghost maps (GhostNet), **AdderNet** | 01-03, below |
# | network pruning | remove weights or whole channels close to zero, retrain | 04 |
# | reduced precision | 8-bit (or fewer) integers instead of 32-bit floats | 05 |
# | knowledge distillation | a small student learns from a large teacher | 06, 07 |
#
# **AdderNet** (Chen et al., CVPR 2020) keeps the convolution's shape but replaces its
# multiplications: instead of the cross-correlation $Y = \sum X \cdot F$ it outputs the
# negative $\ell_1$ distance $Y = -\sum |X - F|$ over the same window. The number of
# operations stays the same, but each MAC becomes a subtraction, an absolute value and an
# addition, and additions are far cheaper in silicon (about 0.9 pJ for a 32-bit float add
# vs 3.7 pJ for a multiply at 45 nm, Horowitz 2014; lecture 05). Its advantage is energy on
# hardware built for it. A CPU has fast multipliers, and our adder layer is built from
# `unfold` and broadcasting rather than a tuned kernel, so the timing below says how a naive
# implementation compares with PyTorch's convolution, not what AdderNet could achieve.
#
# **Predict, then run:** an adder layer and a convolution of the same shape: which needs
# more operations, and which runs faster in PyTorch on this CPU?

# %%
from medeff.models.adder import AdderConv2d, adder_op_counts

x_add = torch.randn(1, 16, 28, 28)
adder, conv = AdderConv2d(16, 32, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1, bias=False)
print("output shapes:", tuple(adder(x_add).shape), tuple(conv(x_add).shape))
ops = adder_op_counts(adder, 28, 28)
print(f"conv: {si(me.count_macs(conv, x_add))} MACs; adder: {ops['multiplications']} "
      f"multiplications, {si(ops['subtractions'])} subtractions + {si(ops['additions'])} additions")
cmp_add = me.compare_latency(conv, adder, x_add, runs=me.pick(20, 5), warmup=2)
print(f"latency: conv {cmp_add.a}, adder {cmp_add.b}: {cmp_add.verdict('the convolution', 'the adder layer')}")

# %% [markdown]
# ## Take-aways
#
# * A convolution costs $K_h K_w (C_\text{in}/g)\, C_\text{out} H_\text{out} W_\text{out}$ MACs;
#   FLOPs are twice that. Groups divide the cost by $g$.
# * The convolutions hold the MACs, the FC layers the weights: AlexNet and VGG-16 keep most
#   of their weights in FC layers that do a small share of the work (section 5 prints both).
# * A published MAC count is only comparable once you know the **model version** (ResNet
#   v1 vs v1.5, GoogLeNet's $3\times3$ vs $5\times5$, AlexNet's groups), the **input size**
#   and the **convention** (which layers count as FC; papers vs thop). Measure, don't copy.
# * MACs are not latency: depthwise convolutions, many small layers and MAC-free operations
#   (LRN, BatchNorm, activations) change the time per MAC several-fold. Always time the model
#   on the hardware that matters.
# * Model size in MB is 4 bytes per float32 parameter: the first handle for quantization
#   (lecture 05) and pruning (lecture 04).

# %% [markdown]
# ## Exercises
#
# 1. **(compute)** Count by hand the MACs of VGG-16's first convolution ($3 \to 64$,
#    $3\times3$, $224\times224$ output) and of its first FC layer ($25088 \to 4096$), then
#    check both with `me.mac_breakdown(models["VGG-16"], (3, 224, 224))`. Which holds more
#    weights, and which more MACs?
# 2. **(code)** Complete the cell below: the MACs of ResNet-50 at input sizes 160, 224 and
#    320. How do they scale with the side length, and why?
# 3. **(reason)** The slide's AlexNet has 724M MACs, torchvision's 714M. Give two reasons a
#    re-implementation of a published network can differ in cost, and say which one section
#    4 found here.
# 4. **(reason)** From the latency table of section 7: which model does the most MACs per
#    millisecond, and which the fewest? Propose one explanation for each.
# 5. **(reason)** Section 9's adder layer was slower than the convolution on this CPU. Under
#    what hardware assumptions would AdderNet save energy or time, and what would you
#    measure to check?

# %%
# Exercise 2: MACs of ResNet-50 at several input sizes
for side in (160, 224, 320):
    macs = None  # YOUR CODE: me.count_macs(models["ResNet-50"], (3, side, side))
    print(side, macs)

# %%
elapsed = time.perf_counter() - T0
print(f"notebook run time: {elapsed:.0f} s (fast mode: {FAST})")

# %% [markdown]
# ## References
#
# * V. Sze, Y.-H. Chen, T.-J. Yang, J. Emer. Efficient Processing of Deep Neural Networks:
#   A Tutorial and Survey. Proc. IEEE 105(12), 2017 (the "Popular DNN Models" table).
# * Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document
#   recognition. Proc. IEEE 86(11), 1998.
# * A. Krizhevsky, I. Sutskever, G. Hinton. ImageNet classification with deep convolutional
#   neural networks. NeurIPS 2012.
# * K. Simonyan, A. Zisserman. Very deep convolutional networks for large-scale image
#   recognition. ICLR 2015.
# * C. Szegedy et al. Going deeper with convolutions. CVPR 2015.
# * K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image recognition. CVPR 2016.
# * M. Tan, Q. Le. EfficientNet: Rethinking model scaling for convolutional neural networks.
#   ICML 2019.
# * A. Howard et al. MobileNets: Efficient convolutional neural networks for mobile vision
#   applications. arXiv:1704.04861, 2017. M. Sandler et al. MobileNetV2: Inverted residuals
#   and linear bottlenecks. CVPR 2018.
# * Helpers: `medeff.counting`, `medeff.latency`, `medeff.models.classic`,
#   `medeff.seed_figures` (the slide's figures, from the lecture text).
