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
# one (the paper's Figure 1, from ResNet-50 on ImageNet). So why compute all of them with
# expensive convolutions? **Goals:** test that observation on our own trained CNN (and
# report what we find, whichever way it goes), build the Ghost module and the Ghost
# bottleneck and count their cost, and compare the four families of this block at matched
# MACs, with several seeds, including GhostNet's own knobs $s$ and $d$.
#
# **Contents**
# 1. Feature-map redundancy, measured (trained vs random-init control)
# 2. The Ghost module and its cost ratio
# 3. The Ghost bottleneck
# 4. Accuracy vs MACs at matched budgets: the shape of GhostNet's Figure 6
# 5. Accuracy over $s$ and $d$
# 6. Take-aways, exercises, references
#
# Run time: the nets use the training budget shared with lectures 01 and 02
# (`ef.COURSE_BUDGET`, three seeds) and the same cache (`me.cache_dir()/efficient`), so the
# nets trained there are loaded here with the same accuracies; only the new ones are trained.
# `MEDEFF_FAST=1` shrinks everything to seconds.

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import medeff as me
from medeff import diagrams
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")
print(f"training budget of lectures 01-03: {ef.COURSE_BUDGET}, seeds {ef.COURSE_SEEDS}")
train_loader, val_loader, test_loader = ef.course_loaders()

# %% [markdown]
# ## 1. Feature-map redundancy, measured
#
# We take the standard CNN of lectures 01/02 (`ef.course_nets("standard", 1.0)`, loaded from
# the cache, one net per seed) and record the feature maps after its stem (16 maps,
# $28\times28$) and after its first block (32 maps, $14\times14$) on validation patches. For
# every map we find its most similar partner (largest $|r|$, Pearson correlation over all
# patches and pixels). The control is the same architecture with random weights (same
# seeds): part of any similarity comes from the input itself, since smooth patches give
# correlated filter responses whatever the weights.
#
# **Predict, then run:** will the trained net have *more* near-duplicate maps than the
# random-init control, as the paper's Figure 1 suggests?

# %%
std_nets, std_summary = ef.course_nets("standard", 1.0)
x_val = torch.cat([x for i, (x, _) in zip(range(me.pick(4, 2)), val_loader, strict=False)])


def layer_maps(model: nn.Module) -> dict[str, torch.Tensor]:
    # activations after the stem and after the first block, (N, C, H, W)
    model.eval()  # BatchNorm with its running statistics (random init: mean 0, var 1)
    with torch.no_grad():
        stem = model.stem(x_val)
        return {"stem": stem, "block 1": model.features[0](stem)}


def correlations(maps: torch.Tensor) -> torch.Tensor:
    flat = maps.transpose(0, 1).reshape(maps.shape[1], -1)
    corr = torch.nan_to_num(torch.corrcoef(flat))  # a constant map has no correlation
    corr.fill_diagonal_(0)
    return corr


redundancy = {}  # (condition, layer) -> list over seeds of (maps with a partner at |r| > 0.9, number of maps)
for seed, trained in zip(ef.COURSE_SEEDS, std_nets, strict=False):
    me.set_seed(seed)
    controls = {"trained": trained, "random init": ef.make_classifier("standard", 1.0, 8)}
    for condition, model in controls.items():
        for layer, maps in layer_maps(model).items():
            best = correlations(maps).abs().max(dim=1).values
            redundancy.setdefault((condition, layer), []).append((int((best > 0.9).sum()), len(best), float(best.median())))
print(f"{'condition':<12} {'layer':<8} {'maps with a partner at |r| > 0.9 (per seed)':>44} {'median best |r|':>16}")
for (condition, layer), rows in redundancy.items():
    print(f"{condition:<12} {layer:<8} {str([f'{n}/{c}' for n, c, _ in rows]):>44} "
          f"{sum(m for *_, m in rows) / len(rows):>16.2f}")

# %% [markdown]
# Correlation only asks for a *linear, pixel-wise* relation. GhostNet's claim is that one
# map is a **cheap operation** of another. We test it directly on the first block: for each
# of the 8 most correlated pairs $(A, B)$ we fit, by least squares, one $3\times3$ filter plus
# a bias that maps $A$ to $B$ (exactly what a depthwise convolution can do) and report the
# fraction of $B$'s variance it explains ($R^2$), for the seed-0 net and its control.

# %%
def cheap_fit(a: torch.Tensor, b: torch.Tensor) -> tuple[float, torch.Tensor]:
    # best 3x3 filter + bias from maps a -> b (N, H, W); returns R^2 and the prediction
    cols = F.unfold(a.unsqueeze(1), 3, padding=1).transpose(1, 2).reshape(-1, 9)
    cols = torch.cat([cols, torch.ones(len(cols), 1)], dim=1)
    w = torch.linalg.lstsq(cols, b.reshape(-1, 1)).solution
    pred = (cols @ w).reshape(b.shape)
    r2 = 1 - ((pred - b) ** 2).sum() / ((b - b.mean()) ** 2).sum().clamp_min(1e-12)
    return float(r2), pred


def top_pairs(corr: torch.Tensor, n: int) -> list[tuple[int, int]]:
    pairs, used = [], set()
    for idx in torch.argsort(corr.abs().flatten(), descending=True).tolist():
        i, j = divmod(idx, corr.shape[0])
        if i < j and not {i, j} & used:
            pairs.append((i, j))
            used |= {i, j}
        if len(pairs) == n:
            break
    return pairs


me.set_seed(ef.COURSE_SEEDS[0])
block1 = {"trained": layer_maps(std_nets[0])["block 1"],
          "random init": layer_maps(ef.make_classifier("standard", 1.0, 8))["block 1"]}
r2 = {}
for condition, maps in block1.items():
    r2[condition] = [cheap_fit(maps[:, i], maps[:, j])[0] for i, j in top_pairs(correlations(maps), 8)]
    print(f"{condition:<12}: R^2 of a 3x3 cheap operation on its 8 most correlated pairs: "
          + ", ".join(f"{s:.2f}" for s in r2[condition]) + f"  (median {sorted(r2[condition])[4]:.2f})")

# %%
maps, corr = block1["trained"], correlations(block1["trained"])
img = 0
fig, axes = plt.subplots(1, 10, figsize=(16, 2.2))
axes[0].imshow(x_val[img, 0], cmap="gray")
axes[0].set_title("input patch", fontsize=8)
for p, ((i, j), col) in enumerate(zip(top_pairs(corr, 3), ["tab:red", "tab:green", "tab:blue"], strict=True)):
    s, pred = cheap_fit(maps[:, i], maps[:, j])
    panels = [(maps[img, i], f"map {i}"), (maps[img, j], f"map {j}  r={corr[i, j]:.2f}"),
              (pred[img], f"3x3 op(map {i}) R2={s:.2f}")]
    for q, (m, title) in enumerate(panels):
        ax = axes[1 + 3 * p + q]
        ax.imshow(m, cmap="viridis")
        ax.set_title(title, fontsize=8)
        for spine in ax.spines.values():
            spine.set_edgecolor(col)
            spine.set_linewidth(3)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.suptitle("The most similar first-block map pairs of the trained CNN, seed 0 (same colour = one pair)", y=1.08)
plt.show()

# %% [markdown]
# **What the numbers say** (printed from them, for whichever way this run went):

# %%
def partners(condition: str, layer: str) -> float:
    rows = redundancy[(condition, layer)]
    return sum(n for n, _, _ in rows) / len(rows)


def median_best(condition: str, layer: str) -> float:
    rows = redundancy[(condition, layer)]
    return sum(m for *_, m in rows) / len(rows)


def redundancy_verdict(layer: str) -> str:
    # both measures must move the same way: the count at |r| > 0.9 and the median best |r|
    more = (partners("trained", layer) > partners("random init", layer),
            median_best("trained", layer) > median_best("random init", layer))
    less = (partners("trained", layer) < partners("random init", layer),
            median_best("trained", layer) < median_best("random init", layer))
    if all(more):
        return "more redundant after training, as the paper observed"
    if all(less):
        return "less redundant after training: training decorrelated the maps, the opposite of the paper's observation"
    return "the two measures disagree (count at |r| > 0.9 vs median best |r|): no clear change from training"


for layer in ("stem", "block 1"):
    t, r = partners("trained", layer), partners("random init", layer)
    print(f"{layer:<8}: on average {t:.1f} maps (trained) vs {r:.1f} (random init) have a partner at |r| > 0.9, "
          f"median best |r| {median_best('trained', layer):.2f} vs {median_best('random init', layer):.2f}: "
          f"{redundancy_verdict(layer)}.")
med_t, med_r = (sorted(r2[c])[4] for c in ("trained", "random init"))
print(f"a single 3x3 filter explains a median R^2 of {med_t:.2f} of a map from its partner in the trained net, "
      f"{med_r:.2f} at random init.")

# %% [markdown]
# If the two measures disagree (fewer maps above the threshold, but a higher typical
# correlation, or the reverse), the threshold count alone would overstate the change: read
# the verdict per layer. If the trained net came out *less* redundant than its control, that
# is a real finding, not a failure of the experiment: a net this narrow (16 and 32 maps) on $28\times28$
# grey-value patches has little room for duplicates, and training pushes its few maps apart,
# while random filters on smooth patches all respond to the same local brightness. The
# paper looked at a wide layer (256 maps of ResNet-50) trained on natural images. What
# survives either way is the design question: *if* some maps are cheap functions of others,
# computing them with full convolutions wastes MACs. The Ghost module builds that in, and
# section 4 tests whether it costs accuracy here.
#
# ## 2. The Ghost module
#
# An ordinary convolution makes $n$ output maps from $c$ input maps with $k\times k$ kernels:
# $n\,h'w'\,c\,k^2$ MACs. The Ghost module makes only $m = n/s$ *intrinsic* maps with that
# convolution, and from each of them $s-1$ *ghost* maps with a cheap $d\times d$ depthwise
# convolution $\Phi$ (the identity is the first of the $s$ maps; figure below). Its speed-up
# ratio is
#
# $$r_s = \frac{n\,h'w'\,c\,k^2}{\frac{n}{s}\,h'w'\,c\,k^2 + (s-1)\,\frac{n}{s}\,h'w'\,d^2}
# = \frac{s\,c\,k^2}{c\,k^2 + (s-1)\,d^2} \approx s \quad (d \approx k,\ s \ll c),$$
#
# and the parameter ratio is the same. `ef.GhostModule` follows the huawei-noah reference
# code (primary conv with `ceil(n/s)` outputs + BN + ReLU, depthwise cheap operation + BN +
# ReLU, concatenation cut to $n$ channels); its arguments after `out_channels` are
# keyword-only.

# %%
diagrams.ghost_module(s=2)
plt.show()

# %%
c = n = 64
k = d = 3
shape = (c, 14, 14)
conv = nn.Conv2d(c, n, k, padding=1, bias=False)
ghost_ratios = {}
print(f"{'s':>2} {'intrinsic':>9} {'ghosts':>6} {'counted MAC ratio':>17} {'formula r_s':>11} {'param ratio':>11}")
for s in (2, 3, 4, 5):
    ghost = ef.GhostModule(c, n, ratio=s, kernel_size=k, dw_size=d)
    m = math.ceil(n / s)
    counted = ghost_ratios[s] = me.count_macs(conv, shape) / me.count_macs(ghost, shape)
    convs = [mod for mod in ghost.modules() if isinstance(mod, nn.Conv2d)]
    param_ratio = me.count_params(conv) / sum(me.count_params(mod) for mod in convs)
    formula = s * c * k * k / (c * k * k + (s - 1) * d * d)
    print(f"{s:>2} {m:>9} {m * (s - 1):>6} {counted:>17.3f} {formula:>11.3f} {param_ratio:>11.3f}")
print("(counted < formula when s does not divide n: ceil(n/s) intrinsic maps are computed and the extra ghosts cut off)")

# %% [markdown]
# ## 3. The Ghost bottleneck
#
# GhostNet's network is built from **Ghost bottlenecks** (the paper's Figure 3), which mirror
# MobileNetV2's inverted residual (lecture 01): a Ghost module expands the channels (with
# ReLU), a stride-2 block adds a $3\times3$ depthwise conv, a second Ghost module projects back
# **without** ReLU (a linear bottleneck), and a shortcut joins the narrow ends.
# `ef.GhostBottleneck` implements it (without the optional squeeze-and-excitation).
# **Predict, then run:** at the same widths (16 -> 96 -> 16), how do its MACs compare with the
# inverted residual's?

# %%
for stride, (cin, mid, cout) in [(1, (16, 96, 16)), (2, (16, 96, 24))]:
    ghost_b = ef.GhostBottleneck(cin, mid, cout, stride=stride)
    inv_res = ef.InvertedResidual(cin, cout, stride=stride, expand_ratio=mid // cin)
    shape = (cin, 28, 28)
    gm, im = me.count_macs(ghost_b, shape), me.count_macs(inv_res, shape)
    print(f"stride {stride}, {cin} -> {mid} -> {cout} on 28x28: Ghost bottleneck {gm:>9,} MACs, "
          f"{me.count_params(ghost_b):>6,} params | inverted residual {im:>9,} MACs, "
          f"{me.count_params(inv_res):>6,} params | ratio {im / gm:.2f}")
print()
print(ef.GhostBottleneck(16, 96, 24, stride=2))

# %% [markdown]
# ## 4. Accuracy vs MACs at matched budgets: the shape of GhostNet's Figure 6
#
# The paper plots ImageNet top-1 accuracy against FLOPs for MobileNetV2, MobileNetV3,
# ShuffleNetV2, ... and GhostNet, each at several widths. We draw the same kind of figure
# for the organ patches with the four families of this course (`ef.make_classifier`, one
# skeleton, only the block differs):
#
# | family | block |
# | --- | --- |
# | standard | $3\times3$ conv + BN + ReLU |
# | MobileNet-style | depthwise-separable (lecture 01) |
# | ShuffleNet-style | ShuffleNet unit, $g=2$ (lecture 02) |
# | Ghost-style | Ghost module with a $3\times3$ primary conv, $s=2$, $d=3$ (the paper's Ghost-VGG recipe) |
#
# Two MAC budgets: those of lecture 01's MobileNet at $\alpha=0.5$ and $\alpha=1$. For each
# family we take the width whose MACs come closest to each budget (`ef.width_for_macs`);
# channel rounding makes some of them miss the budget (the ratio is printed next to each
# accuracy, and the plot uses each net's own MACs); we keep every family rather than drop
# one that lands over the budget. Every net is trained with the shared budget and three seeds (nets trained in
# lectures 01 and 02 are loaded, not retrained).
#
# **Predict, then run:** at the larger budget, which family will be most accurate? Will the
# Ghost-style net beat the MobileNet-style one, as GhostNet beats MobileNetV2 in Figure 6?

# %%
FAMILIES = {"standard": {}, "mobilenet": {}, "shufflenet": {"groups": 2}, "ghost": {}}
NAMES = {"standard": "standard CNN", "mobilenet": "MobileNet-style", "shufflenet": "ShuffleNet-style",
         "ghost": "Ghost-style"}
BUDGETS = {"small": ef.classifier_macs("mobilenet", 0.5), "large": ef.classifier_macs("mobilenet", 1.0)}
zoo, first_net = {}, {}
for budget_name, budget in BUDGETS.items():
    for kind, options in FAMILIES.items():
        width = {"small": 0.5, "large": 1.0}[budget_name] if kind == "mobilenet" else \
            ef.width_for_macs(kind, budget, **options)
        nets, summary = ef.course_nets(kind, width, options=options or None)
        zoo[(budget_name, kind)] = summary | {"budget": budget}
        first_net[(budget_name, kind)] = nets[0]
print(ef.zoo_table(list(zoo.values())))

# %%
print(f"{'budget':>18} " + " ".join(f"{NAMES[k]:>22}" for k in FAMILIES))
for budget_name, budget in BUDGETS.items():
    cells = []
    for kind in FAMILIES:
        s = zoo[(budget_name, kind)]
        cells.append(f"{s['mean']:.3f}+-{s['std']:.3f} ({s['macs'] / budget:.2f}x)")
    print(f"{budget_name:>6} {budget:>11,} " + " ".join(f"{c:>22}" for c in cells))
print("(test accuracy mean +- sd over seeds; in brackets each net's MACs / the budget)")

# %% [markdown]
# Next to MACs, the measured time: for each family's net at the large budget (seed 0), one
# paired run against the MobileNet-style net, at batch 128.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
curves = {NAMES[k]: [zoo[(b, k)] for b in BUDGETS] for k in FAMILIES}
ef.plot_zoo(curves, ax=axes[0])
axes[0].set_title("Organ patches: accuracy vs MACs (cf. GhostNet Fig. 6)")
batch = torch.zeros(128, 1, 28, 28)
timing = {}
for kind in FAMILIES:
    lat = me.compare_latency(first_net[("large", "mobilenet")], first_net[("large", kind)], batch,
                             runs=me.pick(10, 3))
    timing[kind] = lat
    print(f"{NAMES[kind]:<17} {lat.b.median_ms:7.2f} ms (IQR {lat.b.iqr_ms:.2f}) per batch of 128: "
          f"{lat.verdict('MobileNet-style', NAMES[kind]) if kind != 'mobilenet' else '(reference)'}")
for kind in FAMILIES:
    s = zoo[("large", kind)]
    axes[1].errorbar([timing[kind].b.median_ms], [s["mean"]], yerr=[s["std"]],
                     xerr=[[timing[kind].b.median_ms - timing[kind].b.p10_ms], [timing[kind].b.p90_ms - timing[kind].b.median_ms]],
                     marker="o", capsize=3, label=NAMES[kind])
axes[1].set_xlabel("measured CPU latency, ms per batch of 128 (10-90 %)")
axes[1].set_ylabel("test accuracy")
axes[1].set_title(f"Large budget (~{BUDGETS['large'] / 1e6:.2f}M MACs): accuracy vs measured time")
axes[1].legend(fontsize=8)
axes[1].grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Accuracy over $s$ and $d$
#
# GhostNet's Tables 2 and 3 vary the two knobs of the Ghost module on CIFAR-10 (Ghost-VGG-16):
# the kernel size $d$ of the cheap operation at $s=2$, where $d=3$ did best, and the ratio
# $s$ at $d=3$, where a larger $s$ cut the cost with a slowly falling accuracy. We repeat both
# sweeps with the Ghost-style net of the large budget: same width, so the MACs change with
# $s$ and $d$. Where our numbers differ from the paper's, remember the scale: Ghost-VGG-16
# has hundreds of maps per layer and long training, our net a few dozen and a short
# schedule, so a larger $s$ leaves very few intrinsic maps here, and a larger $d$ also
# buys MACs.
#
# **Predict, then run:** going from $s=2$ to $s=4$ removes how much of the MACs? How much
# accuracy?

# %%
ghost_width = zoo[("large", "ghost")]["width"]
sweeps = {"s": [(2, 3), (3, 3), (4, 3)], "d": [(2, 1), (2, 3), (2, 5)]}
knobs = {}
for s, d in sorted({p for pts in sweeps.values() for p in pts}):
    options = None if (s, d) == (2, 3) else {"ghost_ratio": s, "ghost_dw": d}
    knobs[(s, d)] = ef.course_nets("ghost", ghost_width, options=options)[1]
print(f"{'s':>2} {'d':>2} {'MACs':>10} {'params':>7} {'test accuracy':>16}")
for (s, d), r in knobs.items():
    print(f"{s:>2} {d:>2} {r['macs']:>10,} {r['params']:>7,} {r['mean']:>9.3f} +- {r['std']:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, (knob, pts) in zip(axes, sweeps.items(), strict=True):
    vals = [p[0] if knob == "s" else p[1] for p in pts]
    ax.errorbar(vals, [knobs[p]["mean"] for p in pts], yerr=[knobs[p]["std"] for p in pts], marker="o", capsize=3)
    for v, p in zip(vals, pts, strict=True):
        ax.annotate(f"{knobs[p]['macs'] / 1e6:.2f}M MACs", (v, knobs[p]["mean"]), fontsize=8,
                    textcoords="offset points", xytext=(4, 4))
    ax.set_xticks(vals)
    ax.set_xlabel(f"{knob} ({'ratio, d = 3' if knob == 's' else 'cheap-operation kernel size, s = 2'})")
    ax.set_ylabel("test accuracy (mean +- sd)")
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 6. Take-aways
#
# Printed from the measurements above.

# %%
separated = ef.separated  # a difference beyond twice the combined seed spread (2+ seeds)


for layer, count in (("stem", 16), ("block 1", 32)):
    t, r = partners("trained", layer), partners("random init", layer)
    print(f"- Redundancy after {layer}: {t:.1f} of {count} maps have a partner at |r| > 0.9 after training, {r:.1f} "
          f"at random init (median best |r| {median_best('trained', layer):.2f} vs "
          f"{median_best('random init', layer):.2f}): {redundancy_verdict(layer)}.")
print("- A Ghost module with ratio s cuts MACs by about s (counted: "
      + ", ".join(f"s={s}: {r:.2f}" for s, r in ghost_ratios.items()) + ").")
for budget_name in BUDGETS:
    best = max(FAMILIES, key=lambda k: zoo[(budget_name, k)]["mean"])
    rivals = [f"{NAMES[k]} ({zoo[(budget_name, k)]['macs'] / BUDGETS[budget_name]:.2f}x the budget)" for k in FAMILIES
              if k != best and not separated(zoo[(budget_name, best)], zoo[(budget_name, k)])]
    print(f"- {budget_name} budget: most accurate {NAMES[best]} ({zoo[(budget_name, best)]['mean']:.3f}, "
          f"{zoo[(budget_name, best)]['macs'] / BUDGETS[budget_name]:.2f}x the budget); not separated "
          f"from it by twice the seed spread: {', '.join(rivals) or 'none'}.")
    gh, mb = zoo[(budget_name, "ghost")], zoo[(budget_name, "mobilenet")]
    print(f"  Ghost-style vs MobileNet-style: {gh['mean'] - mb['mean']:+.3f} at {gh['macs'] / mb['macs']:.2f}x its MACs, "
          f"{'beyond' if separated(gh, mb) else 'not beyond'} twice the seed spread: "
          + ("as in Figure 6." if separated(gh, mb) and gh["mean"] > mb["mean"] else "Figure 6's GhostNet > MobileNetV2 is not reproduced here."))
s2, s4 = knobs[(2, 3)], knobs[(4, 3)]
print(f"- s = 4 instead of 2: {s4['macs'] / s2['macs']:.2f} of the MACs, accuracy {s4['mean'] - s2['mean']:+.3f} "
      f"({'beyond' if separated(s2, s4) else 'not beyond'} twice the seed spread"
      f"{'; steeper than the slowly falling accuracy of the paper' if separated(s2, s4) and s2['mean'] - s4['mean'] > 0.02 else ''}).")
best_d = max((1, 3, 5), key=lambda d: knobs[(2, d)]["mean"])
print(f"- d at s = 2: most accurate d = {best_d} ({knobs[(2, best_d)]['mean']:.3f}); " + (
    "d = 3, as in the paper." if best_d == 3 else
    f"the paper's best, d = 3, is {'' if separated(knobs[(2, 3)], knobs[(2, best_d)]) else 'not '}separated from it "
    f"by twice the seed spread (d = {best_d} has {knobs[(2, best_d)]['macs'] / knobs[(2, 3)]['macs']:.2f}x its MACs)."))
# rank by each net's paired speedup over the MobileNet-style net (one paired run per family),
# not by medians taken in separate runs
by_time = sorted(FAMILIES, key=lambda k: -timing[k].speedup)
by_macs = sorted(FAMILIES, key=lambda k: zoo[("large", k)]["macs"])
print(f"- Measured time at the large budget, fastest first (paired speedup over the MobileNet-style net: "
      f"{', '.join(f'{NAMES[k]} {timing[k].speedup:.2f}x' for k in by_time)}): "
      f"{'the same order as by MACs' if by_time == by_macs else 'not the order of their MACs'}.")

# %% [markdown]
# ## Exercises
#
# 1. **(code)** Complete the cell below: the MAC ratio of a Ghost module over a standard
#    $3\times3$ conv from 128 to 128 channels on $7\times7$, for $s=2$ and $d=5$, counted and by
#    the formula $r_s$.
# 2. **(reason)** Section 1 compares a trained net with a random-init control. Why is the
#    control necessary? Name one property of the input that makes random filters correlate.
# 3. **(code)** Repeat section 1 for a wider net: `ef.course_nets("standard", 2.0)` (64 maps
#    in the first block; training takes a few minutes). Does the redundancy grow with width?
# 4. **(reason)** In the latency comparison of section 4, the Ghost-style net has about the
#    MACs of the MobileNet-style one. Which of its operations are memory bound, and why
#    could it still be faster or slower?
# 5. **(reason)** GhostNet's Figure 6 is on ImageNet with long training. Give two reasons why
#    the ranking of families on 28x28 organ patches after a short schedule could differ.

# %%
# Exercise 1: replace None
ghost = None  # ef.GhostModule(128, 128, ratio=2, kernel_size=3, dw_size=5)
counted_ratio = None  # me.count_macs(nn.Conv2d(128, 128, 3, padding=1, bias=False), (128, 7, 7)) / me.count_macs(ghost, ...)
formula_ratio = None  # s * c * k**2 / (c * k**2 + (s - 1) * d**2)
print(counted_ratio, formula_ratio)

# %% [markdown]
# ## References
#
# - K. Han, Y. Wang, Q. Tian, J. Guo, C. Xu, C. Xu, "GhostNet: More Features from Cheap
#   Operations", CVPR 2020 (Figures 1, 2, 3, 6; Tables 2-3). Reference code:
#   github.com/huawei-noah/Efficient-AI-Backbones.
# - M. Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018.
# - X. Zhang et al., "ShuffleNet", CVPR 2018; N. Ma et al., "ShuffleNet V2", ECCV 2018.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
