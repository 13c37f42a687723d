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
# # Lecture 08: Dynamic networks
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", the last technical
# part (after efficient architectures, pruning, quantization and distillation).*
#
# Every network so far spends the same computation on every input, and one trained network
# serves one point of the accuracy/cost trade-off. **Dynamic networks** adapt: an easy input
# leaves early, a tight budget runs a slimmer network, an irrelevant slice is skipped.
# In this notebook we
#
# 1. measure the seed's motivation: serving many trade-offs by installing many model
#    variants costs storage (ResNet-50, MobileNet v1/v2, pruned nets);
# 2. build an **early-exit** network in the spirit of RANet (Yang et al., CVPR 2020) on the
#    organ patches and plot accuracy against *average* MACs per sample as the confidence
#    threshold sweeps, on the axes of the static nets of lectures 01-03;
# 3. train **one network at many widths and input resolutions** in the spirit of MutualNet
#    (Yang et al., ECCV 2020 / TPAMI 2021): sandwich rule, in-place distillation, switchable
#    BatchNorm; accuracy per width against separately trained nets, one checkpoint against
#    a zoo;
# 4. meet dynamic quantization for video (Sun et al., ICCV 2021) briefly;
# 5. answer the seed's closing question, "Can we design dynamic networks for medical
#    imaging?", with a measured example: a per-slice gate on CT volumes decides whether the
#    liver is present, and the segmentation network runs only there.
#
# Run time: training takes most of it (each net's time is printed; the last cell prints the
# total). Trained nets are cached with `me.train_cached` (the static nets with
# `ef.course_net`, shared with lectures 01-03; the separately trained nets of section 3 with
# `ef.train_or_load`), so a re-run loads them. `MEDEFF_FAST=1` shrinks everything to
# seconds.

# %%
import time

import matplotlib.pyplot as plt
import torch
import torchvision

import medeff as me
from medeff import dynamic as dyn
from medeff.case_study import mean_std
from medeff.data import ORGAN_CLASSES
from medeff.models import classic
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown]
# ## 1. The motivation, measured: a zoo of models costs bytes
#
# A service that must run on a phone, a laptop and a server, or under a budget that changes
# with the battery, could install one model per trade-off: a ResNet-50 for accuracy, a
# MobileNet for speed, pruned variants in between. We measure what that costs in storage
# (`me.model_size_bytes`: fp32 tensors of the `state_dict`; random weights, as the size does
# not depend on the values). A net pruned to sparsity $s$ saves bytes only when stored
# sparsely; with a 4-byte value and a 4-byte index per non-zero weight it costs
# $8(1-s)N$ bytes against $4N$ dense, so it pays only above $s = 50\%$.
#
# **Predict, then run:** how many MB do ResNet-50, MobileNet v1 and MobileNet v2 take, and
# how much does the whole zoo take compared with ResNet-50 alone?

# %%
zoo = {"ResNet-50": torchvision.models.resnet50(weights=None),
       "MobileNet v1": classic.mobilenet_v1(),
       "MobileNet v2": torchvision.models.mobilenet_v2(weights=None)}
sizes = {name: me.model_size_bytes(m) for name, m in zoo.items()}
dense_n = me.count_params(zoo["ResNet-50"])
for s in me.pick((0.5, 0.7, 0.9), (0.9,)):
    pruned = me.pruning.global_magnitude_prune(torchvision.models.resnet50(weights=None), s)
    nonzero = me.count_params(pruned, nonzero_only=True)
    prunable = sum(m.weight.numel() for m in me.pruning.prunable_layers(pruned).values())
    kept = nonzero - (dense_n - prunable)  # non-zero weights of the pruned layers
    sizes[f"ResNet-50 pruned {s:.0%} (sparse)"] = 8 * kept + 4 * (dense_n - prunable)
for name, b in sizes.items():
    print(f"{name:<32} {b / 1e6:8.1f} MB")
total = sum(sizes.values())
print(f"{'the whole zoo':<32} {total / 1e6:8.1f} MB = {total / sizes['ResNet-50']:.1f}x ResNet-50 alone")

# %% [markdown]
# Every variant is a separate download, a separate file to validate (in medicine: to
# certify), and, if several are kept in memory to switch quickly, separate RAM. Dynamic
# networks aim at the same range of trade-offs with **one** set of weights.
#
# ## 2. Early exit: easy inputs leave early (RANet)
#
# RANet (*Resolution Adaptive Networks*, Le Yang et al., CVPR 2020) starts with a cheap
# sub-network on a **low-resolution** copy of the image. If its classifier is confident
# (max softmax probability $\ge \tau$) the sample **exits**; otherwise a higher-resolution
# sub-network runs, **reusing** the low-resolution features. Our miniature
# (`dyn.EarlyExitNet`) has three exits: a $14\times14$ path, a $28\times28$ path fused with
# it, and two more layers. With $q_k(\tau)$ the fraction of samples leaving at exit $k$ and
# $C_k$ the MACs up to exit $k$, the expected cost per sample is
#
# $$\bar C(\tau) = \sum_k q_k(\tau)\, C_k .$$
#
# $\tau$ is a knob *after* training: one network, a whole curve. We train it with the
# static nets' budget (`ef.COURSE_BUDGET`, the mean cross-entropy of the exits).

# %%
loaders = ef.course_loaders()
budget = ef.COURSE_BUDGET
ee, ee_rec = dyn.train_early_exit(loaders, epochs=budget["epochs"], lr=budget["lr"],
                                  batch_size=budget["batch_size"])
costs = dyn.exit_costs(ee)
print(f"early-exit net: {me.count_params(ee):,} parameters, "
      + ("loaded from cache" if ee_rec["cached"] else f"trained in {ee_rec['train_seconds']:.1f} s"))
print("MACs up to exit 1, 2, 3:", ", ".join(f"{c:,}" for c in costs))
logits, targets = dyn.exit_logits(ee, loaders[2])
for k, out in enumerate(logits):
    print(f"exit {k + 1} alone: test accuracy {(out.argmax(1) == targets).float().mean():.3f}")

# %% [markdown]
# The static points: lecture 01's nets, the standard CNN and the MobileNet-style net at
# $\alpha = 0.25, 0.5, 1$ (seed 0; `ef.course_net` loads them from the cache lectures
# 01-03 share, or trains them with the same budget).
#
# **Predict, then run:** at the MACs of the MobileNet-style net at $\alpha = 1$, will the
# early-exit net be more or less accurate? Where will the curve start and end?

# %%
static = {}
for kind, widths in {"standard": (1.0,), "mobilenet": (0.25, 0.5, 1.0)}.items():
    for w in widths:
        _, rec = ef.course_net(kind, w)
        static[(kind, w)] = rec
        status = "cached" if rec["cached"] else f"trained in {rec['train_seconds']:.1f} s"
        print(f"{kind:<10} x{w:<5g} MACs {rec['macs']:>10,}  test acc {rec['test_accuracy']:.3f}  ({status})")
thresholds = [0.15, 0.2, 0.25, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.01]
curve = dyn.early_exit_curve(logits, targets, costs, thresholds)
print(f"\n{'tau':>6} {'accuracy':>8} {'avg MACs':>10}  share leaving at exit 1 / 2 / 3")
for r in curve:
    print(f"{r['threshold']:>6g} {r['accuracy']:>8.3f} {r['macs']:>10,.0f}  "
          + " / ".join(f"{f:.2f}" for f in r["fractions"]))

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
fams = {f"{k} (static, one net per width)": [(r["macs"], r["test_accuracy"]) for (kk, _), r in static.items() if kk == k]
        for k in ("standard", "mobilenet")}
fams["early exit (one net, tau sweeps)"] = [(r["macs"], r["accuracy"]) for r in curve]
me.plot_tradeoff(fams, ax=ax, xlabel="MACs per 28x28 patch (average for early exit; log scale)",
                 ylabel="test accuracy", title="Organ patches: early exit vs static nets")
plt.show()
full_acc, full_macs = curve[-1]["accuracy"], curve[-1]["macs"]
near = [r for r in curve if r["accuracy"] >= full_acc - 0.005]
best = min(near, key=lambda r: r["macs"])
print(f"all samples to exit 3: accuracy {full_acc:.3f} at {full_macs:,.0f} MACs")
print(f"cheapest threshold within 0.5 points of that: tau={best['threshold']:g}, accuracy "
      f"{best['accuracy']:.3f} at {best['macs']:,.0f} MACs ({full_macs / best['macs']:.1f}x fewer)")
std1 = static[("standard", 1.0)]
print(f"static standard x1: accuracy {std1['test_accuracy']:.3f} at {std1['macs']:,} MACs")

# %% [markdown]
# **Which patches leave early?** At the threshold just chosen, the share of each organ class
# that exits at the cheap low-resolution exit, and the accuracy of those early exits.

# %%
leave = dyn.exit_index(logits, best["threshold"])
pred1 = logits[0].argmax(1)
print(f"tau = {best['threshold']:g}")
print(f"{'class':<16} {'patches':>7} {'exit 1':>7} {'exit 2':>7} {'exit 3':>7} {'exit-1 acc':>10}")
for c, name in enumerate(ORGAN_CLASSES):
    sel = targets == c
    share = [((leave == k) & sel).sum().item() / max(1, sel.sum().item()) for k in range(3)]
    early = sel & (leave == 0)
    acc1 = (pred1[early] == c).float().mean().item() if early.any() else float("nan")
    print(f"{name:<16} {sel.sum().item():>7} " + " ".join(f"{s:>7.2f}" for s in share) + f" {acc1:>10.3f}")
rates = {ORGAN_CLASSES[c]: ((leave == 0) & (targets == c)).sum().item() / max(1, (targets == c).sum().item())
         for c in range(len(ORGAN_CLASSES))}
print(f"earliest class: {max(rates, key=rates.get)} ({max(rates.values()):.0%} exit at 1); "
      f"latest: {min(rates, key=rates.get)} ({min(rates.values()):.0%})")

# %% [markdown]
# Two caveats. The curve counts MACs, not time: on a CPU a batch whose samples leave at
# different exits must be split and gathered (`dyn.predict_dynamic` does that), which costs
# overhead that MAC counts ignore. And the thresholds were chosen on the test set here for
# brevity; RANet's "budgeted batch" setting chooses them on a validation set for a given
# average budget (exercise 1).
#
# ## 3. One network, many widths and resolutions (slimmable nets, MutualNet)
#
# A **slimmable network** (Yu et al., ICLR 2019) runs at several widths with one set of
# weights: width $w$ uses the first $w$ fraction of every layer's channels. Each width keeps
# its own BatchNorm (**switchable BN**), because a narrow sub-network's feature statistics
# differ from the wide one's. US-Nets (Yu and Huang, ICCV 2019) train it with two rules:
#
# - **sandwich rule:** each step trains the widest, the narrowest and a random width in
#   between (the performance of all widths is bounded by the two ends);
# - **in-place distillation:** the widest network learns from the labels, the others from
#   its predictions $p_\text{max}$: $\;\mathcal{L} = \mathrm{CE}(y, p_\text{max})
#   + \sum_{w} \mathrm{KL}(p_\text{max} \,\|\, p_w)$.
#
# **MutualNet** (Taojiannan Yang et al.) adds the input **resolution**: the sub-networks see
# the image at a random smaller size, so one network covers a grid of width x resolution
# configurations, and the cost $\approx w^2 \rho^2$ of the full one (lecture 01). After
# training, BN statistics are recalibrated for each configuration (`dyn.calibrate_bn`). Our
# `dyn.SlimmableNet` is the standard CNN of lectures 01-03 at widths 0.25-1.0: at width $w$
# it *is* `make_classifier("standard", w)` (same layers and MACs). We compare it with that
# net trained **separately** at each width, with the **same budget**: the same training
# patches, one epoch, the same learning rate, batch size and seeds. A sandwich step runs
# three widths (the narrower two at an input size drawn from `RESOLUTIONS`), so per step
# the slimmable net computes more than the widest separate net and less than all separate
# nets together (the cell prints both). To fit several seeds into the lecture's run time, both are trained on
# a fixed subset of the training patches (and tested on a fixed subset of the test
# patches), a much smaller budget than the course nets of section 2: compare the two with
# each other, not with the course nets.
#
# **Predict, then run:** will the slimmable network's width-0.25 sub-network be better or
# worse than the width-0.25 net trained on its own? And its width-1.0?

# %%
WIDTHS, RESOLUTIONS, SEEDS = (0.25, 0.5, 0.75, 1.0), (20, 24, 28), me.pick((0, 1), (0,))
N_TRAIN, N_VAL, N_TEST, BATCH = me.pick(2000, 600), 500, me.pick(1500, 500), 32
small = tuple(dyn.subset_loader(ld, n, batch_size=BATCH) for ld, n in zip(loaders, (N_TRAIN, N_VAL, N_TEST), strict=True))
slims, slim_rows, spent = dyn.slimmable_vs_separate(
    small, widths=WIDTHS, resolutions=RESOLUTIONS, seeds=SEEDS, epochs=1, lr=budget["lr"],
    batch_size=BATCH, data_tag=f"organ28-seed0-subsets{N_TRAIN}-{N_VAL}-{N_TEST}")
print(f"budget of both: {len(small[0].dataset):,} training patches, 1 epoch, batch {BATCH}, seeds {SEEDS}; tested on "
      f"{len(small[2].dataset):,} test patches; " + (f"trained now in {spent:.0f} s" if spent else "all loaded from the cache"))
mac = {r["width"]: r["macs"] for r in slim_rows}
shrink = sum((res / 28) ** 2 for res in RESOLUTIONS) / len(RESOLUTIONS)  # mean MAC factor of a random input size
sandwich = mac[WIDTHS[-1]] + shrink * (mac[WIDTHS[0]] + sum(mac[w] for w in WIDTHS[1:-1]) / len(WIDTHS[1:-1]))
print(f"forward MACs per training sample: sandwich step ~{sandwich / 1e6:.1f}M ({sandwich / mac[WIDTHS[-1]]:.2f}x the "
      f"widest net alone), the {len(WIDTHS)} separate nets together {sum(mac.values()) / 1e6:.1f}M")
print(f"test accuracy, mean ± sd over {len(SEEDS)} seed(s); slimmable at 28x28, BN recalibrated per width")
print(f"{'width':>5} {'MACs':>10} {'separate':>14} {'slimmable':>14} {'slim - sep':>15}  per seed")
for r in slim_rows:
    (a, sa), (b, sb), (d, sd) = (mean_std(r[k]) for k in ("separate", "slimmable", "diff"))
    print(f"{r['width']:>5g} {r['macs']:>10,} {a:>7.3f} ± {sa:.3f} {b:>7.3f} ± {sb:.3f} {d:>+8.3f} ± {sd:.3f}  "
          + " ".join(f"{x:+.3f}" for x in r["diff"]))
print("\nslimmable, mean over seeds, per input resolution:")
print(f"{'width':>5} " + " ".join(f"{res:>6}px" for res in RESOLUTIONS))
for r in slim_rows:
    print(f"{r['width']:>5g} " + " ".join(f"{mean_std(r['grid'][res])[0]:>8.3f}" for res in RESOLUTIONS))

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
def errorbars(xs, per_seed, label, **kw):
    stats = [mean_std(a) for a in per_seed]
    ax.errorbar(xs, [m for m, _ in stats], yerr=[s for _, s in stats], marker="o", capsize=3, label=label, **kw)
errorbars([r["macs"] for r in slim_rows], [r["separate"] for r in slim_rows], "standard, trained separately (same budget)")
for res in RESOLUTIONS:
    macs = [me.count_macs(slims[0].set_width(r["width"]), (1, res, res)) for r in slim_rows]
    errorbars(macs, [r["grid"][res] for r in slim_rows], f"one slimmable net @ {res}x{res}", ls="-" if res == 28 else ":")
slims[0].set_width(WIDTHS[-1])
ax.plot([r["macs"] for r in static.values()], [r["test_accuracy"] for r in static.values()], "x", color="gray",
        label="course nets of section 2 (full training set)")
ax.set(xscale="log", xlabel="MACs per patch (log scale)", ylabel=f"test accuracy (mean ± sd, {len(SEEDS)} seeds)",
       title="One slimmable net vs separately trained nets")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8)
plt.show()

# %%
def verdict(diffs):  # slimmable minus separate, one value per seed
    if len(diffs) < 2:
        return f"one seed only ({diffs[0]:+.3f}), no spread to compare with"
    if max(diffs) < -0.01:
        return "slimmable lower at every seed"
    if min(diffs) > 0.01:
        return "slimmable higher at every seed"
    return "no consistent difference (the seeds disagree, or a seed is within a point)"
verdicts = {r["width"]: verdict(r["diff"]) for r in slim_rows}
for w, v in verdicts.items():
    print(f"width {w:g}: {v}" + (f" (by more than a point at each of {len(SEEDS)} seeds)"
                                   if v.endswith("every seed") else ""))
spread = {k: sum(mean_std(r[k])[1] for r in slim_rows) / len(slim_rows) for k in ("separate", "slimmable")}
print(f"seed-to-seed sd, averaged over the widths: separate {spread['separate']:.3f}, slimmable {spread['slimmable']:.3f}")
one = me.model_size_bytes(slims[0])
bn_only = sum(me.model_size_bytes(m) for m in slims[0].modules() if isinstance(m, dyn.SwitchableBatchNorm2d))
zoo_bytes = sum(me.model_size_bytes(ef.make_classifier("standard", w, len(ORGAN_CLASSES))) for w in WIDTHS)
print(f"one slimmable checkpoint: {one / 1e3:.0f} kB (of which switchable BN {bn_only / 1e3:.1f} kB) "
      f"vs the zoo of {len(WIDTHS)} nets: {zoo_bytes / 1e3:.0f} kB ({zoo_bytes / one:.2f}x)")

# %% [markdown]
# How to read the table: a difference means something only where it is clearly larger
# than the seed-to-seed spread (the ± columns and the per-seed values); with two seeds the
# spread itself is a rough estimate (exercise 4 adds seeds). The slimmable net's BN
# statistics are recalibrated for each configuration (`dyn.calibrate_bn`); the separately
# trained nets keep the statistics of their training, as deployed. The byte count is
# exact: the zoo stores the narrow nets' weights again, the slimmable net stores only the
# widest plus a BN per width.
#
# ## 4. Dynamic quantization for video (briefly)
#
# Precision can be dynamic too. In *Dynamic Network Quantization for Efficient Video
# Inference* (Ximeng Sun et al., ICCV 2021), a light policy network looks at each frame and
# picks the bit width of the recognizer for it (or skips the frame); both are trained
# together, with a cost term that rewards low precision. Static frames of a clip are
# processed at 4 bits, informative ones at 8 or 32. With $q_b$ the share of frames at $b$
# bits, a cost model in bit operations is $\sum_b q_b\, \text{MACs}\cdot b_w b_a$ (weights and
# activations at $b$ bits), to compare with $32\cdot32$ per MAC at full precision.
# Exercise 3 applies the idea to CT slices.
#
# ## 5. A dynamic network for medical imaging: skip the slices without the organ
#
# The seed closes with a question: *can we design dynamic networks for medical imaging?*
# One natural place: a CT volume has many slices, and on a whole-body scan the liver is in
# only some of them (on the phantom's volumes, cropped to the abdomen, in most: printed below).
# A tiny per-slice **gate** (`dyn.SliceGate`, far cheaper than the segmentation net)
# predicts whether the liver is present; the segmentation network (a 2-D U-Net) runs only on
# slices where the gate's probability passes a threshold $t$; the other slices are
# predicted empty. Cost
# per volume with $S$ slices of which $S_\text{run}(t)$ pass the gate:
#
# $$C(t) = S\, C_\text{gate} + S_\text{run}(t)\, C_\text{seg} .$$
#
# Both nets are trained on every training slice (empty ones included) of the phantom cohort
# at $48\times48$; Dice per case, counts pooled over the volume (lecture A).
#
# **Predict, then run:** which share of the segmentation MACs can the gate save at best on
# these volumes, and will Dice go down or up?

# %%
slices = dyn.liver_slices(size=48)
gate, seg, recs = dyn.train_slice_models(slices, epochs=budget["epochs"], lr=budget["lr"])
for name, rec in recs.items():
    print(f"{name}: " + ("loaded from cache" if rec["cached"] else f"trained in {rec['train_seconds']:.1f} s"))
x, y, cases = slices["test"]
with torch.no_grad():
    gate_prob = torch.sigmoid(gate.eval()(x))
    seg_pred = me.metrics.foreground_probability(seg.eval()(x)) > 0.4
gate_macs, seg_macs = me.count_macs(gate, (1, 48, 48)), me.count_macs(seg, (1, 48, 48))
present = y.reshape(len(y), -1).any(1)
print(f"test: {len(set(cases.tolist()))} volumes, {len(x)} slices, liver in {present.float().mean():.0%} of them")
print(f"MACs per slice: gate {gate_macs:,}, segmentation {seg_macs:,} ({seg_macs / gate_macs:.0f}x)")
gate_acc = ((gate_prob >= 0.5) == present).float().mean().item()
print(f"gate accuracy at 0.5: {gate_acc:.3f}")

# %%
ts = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
rows = dyn.gate_sweep(gate_prob, seg_pred, y, cases, ts, gate_macs, seg_macs)
ungated = dyn.gate_sweep(gate_prob, seg_pred, y, cases, [0.0], 0, seg_macs)[0]  # no gate at all
oracle = dyn.gate_sweep(present.double(), seg_pred, y, cases, [0.5], 0, seg_macs)[0]  # ground truth
print(f"{'gate t':>7} {'Dice':>6} {'dDice':>7} {'MMACs/volume':>12} {'saved':>6} {'seg runs on':>11} {'missed':>6}")
for name, r in [("none", ungated), *[(f"{r['threshold']:g}", r) for r in rows], ("oracle", oracle)]:
    print(f"{name:>7} {r['dice']:>6.3f} {r['dice'] - ungated['dice']:>+7.3f} {r['macs_per_volume'] / 1e6:>12.1f} "
          f"{1 - r['macs_per_volume'] / ungated['macs_per_volume']:>6.0%} {r['run_fraction']:>11.0%} {r['missed_slices']:>6}")

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.plot([r["macs_per_volume"] / 1e6 for r in rows], [r["dice"] for r in rows], "o-", label="gated, t sweeps")
for r in rows:
    ax.annotate(f"t={r['threshold']:g}", (r["macs_per_volume"] / 1e6, r["dice"]), fontsize=7, xytext=(3, 3),
                textcoords="offset points")
ax.plot(ungated["macs_per_volume"] / 1e6, ungated["dice"], "s", ms=9, label="no gate")
ax.plot(oracle["macs_per_volume"] / 1e6, oracle["dice"], "*", ms=12, label="oracle gate (ground truth)")
ax.set_xlabel("MMACs per volume")
ax.set_ylabel("mean Dice per case")
ax.set_title("Liver: per-slice gate, MACs saved vs Dice")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
safe = [r for r in rows if r["dice"] >= ungated["dice"] - 0.005]
pick_row = max(safe, key=lambda r: 1 - r["macs_per_volume"] / ungated["macs_per_volume"]) if safe else rows[0]
saved = 1 - pick_row["macs_per_volume"] / ungated["macs_per_volume"]
print(f"largest saving with Dice within 0.005 of no gate: t={pick_row['threshold']:g}, {saved:.0%} fewer MACs "
      f"per volume, Dice {pick_row['dice']:.3f} vs {ungated['dice']:.3f} ({pick_row['dice'] - ungated['dice']:+.3f})")
oracle_saved = 1 - oracle["macs_per_volume"] / ungated["macs_per_volume"]
print(f"oracle gate (skips exactly the slices without liver): {oracle_saved:.0%} fewer MACs; the share of slices "
      f"without liver is {1 - present.float().mean():.0%}")
print(f"the chosen gate skips {pick_row['missed_slices']} slices that hold liver and saves "
      + ("more than" if saved > oracle_saved else "at most") + " the oracle")

# %% [markdown]
# A gate that never misses a liver slice saves at most the share of slices without the organ
# (the oracle row); a gate that also skips slices holding only a little liver can save more,
# at a risk to Dice ("missed" column). The phantom volumes are cropped around the abdomen,
# so most slices contain liver; on a real CT scan (chest to pelvis, hundreds of slices, the
# liver in a fraction of them) the same gate would skip far more. Dice can even rise when
# the gate removes the segmentation net's false positives on empty slices; it falls when
# the gate misses slices at the organ's top and bottom where the liver is large enough to
# count. The gate itself adds $S\,C_\text{gate}$ (its MACs per slice are printed above).
#
# ## Take-aways (from the numbers above)

# %%
print(f"1. A zoo of ResNet-50, MobileNet v1/v2 and pruned ResNet-50s takes {total / 1e6:.0f} MB, "
      f"{total / sizes['ResNet-50']:.1f}x a single ResNet-50.")
print(f"2. Early exit: one net covers {curve[0]['macs']:,.0f}-{curve[-1]['macs']:,.0f} average MACs; "
      f"at tau={best['threshold']:g} it keeps accuracy within 0.5 points of its last exit "
      f"({best['accuracy']:.3f}) with {full_macs / best['macs']:.1f}x fewer MACs; static standard x1: "
      f"{std1['test_accuracy']:.3f} at {std1['macs']:,}.")
better = [f"x{w:g}" for w, v in verdicts.items() if v.startswith("slimmable higher")]
worse = [f"x{w:g}" for w, v in verdicts.items() if v.startswith("slimmable lower")]
print(f"3. Slimmable: one checkpoint {zoo_bytes / one:.2f}x smaller than the zoo of {len(WIDTHS)} nets; against "
      f"separate training with the same budget ({len(SEEDS)} seed(s)) it is more than a point better at every "
      f"seed at {', '.join(better) or 'no width'} and more than a point worse at every seed at "
      f"{', '.join(worse) or 'no width'}; elsewhere the difference is not consistent. Mean differences: "
      + ", ".join(f"x{r['width']:g} {mean_std(r['diff'])[0]:+.3f}" for r in slim_rows) + ".")
print(f"4. Gate: {saved:.0%} of the MACs per volume saved at Dice {pick_row['dice'] - ungated['dice']:+.3f} "
      f"skipping {pick_row['missed_slices']} slices with liver (an oracle gate that skips exactly the empty "
      f"slices saves {oracle_saved:.0%}).")

# %% [markdown]
# ## References
#
# - Le Yang, Yizeng Han, Xi Chen, Shiji Song, Jifeng Dai, Gao Huang, "Resolution Adaptive
#   Networks for Efficient Inference" (RANet), CVPR 2020.
# - Gao Huang et al., "Multi-Scale Dense Networks for Resource Efficient Image
#   Classification" (MSDNet), ICLR 2018.
# - Jiahui Yu, Linjie Yang, Ning Xu, Jianchao Yang, Thomas Huang, "Slimmable Neural
#   Networks", ICLR 2019; Jiahui Yu, Thomas Huang, "Universally Slimmable Networks and
#   Improved Training Techniques" (US-Nets), ICCV 2019.
# - Taojiannan Yang, Sijie Zhu, Chen Chen, Shen Yan, Mi Zhang, Andrew Willis, "MutualNet:
#   Adaptive ConvNet via Mutual Learning from Network Width and Resolution", ECCV 2020;
#   extended in IEEE TPAMI 2021.
# - Ximeng Sun, Rameswar Panda, Chun-Fu Chen, Aude Oliva, Rogerio Feris, Kate Saenko,
#   "Dynamic Network Quantization for Efficient Video Inference", ICCV 2021.
# - Yizeng Han, Gao Huang, Shiji Song, Le Yang, Honghui Wang, Yulin Wang, "Dynamic Neural
#   Networks: A Survey", IEEE TPAMI 2021.
#
# ## Exercises
#
# 1. **Budgeted batch classification.** Choose the early-exit threshold on the *validation*
#    set (`loaders[1]`) so that the average cost is at most the MACs of the MobileNet-style
#    net at $\alpha = 1$ (no threshold reaches the $\alpha = 0.5$ net's MACs: even exit 1 costs
#    more), then report the test accuracy at that threshold. Complete the cell below.
# 2. **Which classes exit early, and why?** Look at the per-class table of section 2. Relate
#    the early classes to what a $14\times14$ image still shows (size, contrast with the
#    surroundings). Would you trust early exits for a rare, small class? What would you
#    change for a medical deployment?
# 3. **Dynamic precision for CT.** Transfer the idea of section 4 to the gate of section 5:
#    slices the gate is unsure about get the 8-bit (or fp32) segmentation network, clear
#    cases the 4-bit one. Write down the cost model in bit operations and the data you would
#    need to train the policy.
# 4. **Seeds and budget.** The slimmable-vs-separate table uses two seeds on a subset of
#    the training patches. Add seed 2 to `SEEDS`, then train on the whole training set
#    (`N_TRAIN = len(loaders[0].dataset)`, several minutes). Which differences survive, and
#    does the answer change with the budget?
# 5. **A kidney gate.** Repeat section 5 for the kidneys (`medeff.data.segmentation_datasets("kidney",
#    keep="all")`): the kidneys occupy fewer slices. Predict the oracle saving first.

# %%
# Exercise 1: choose tau on the validation set for a MAC budget, report test accuracy.
val_logits, val_targets = dyn.exit_logits(ee, loaders[1])
mac_budget = static[("mobilenet", 1.0)]["macs"]
# YOUR CODE: sweep thresholds (below 0.3 too) on (val_logits, val_targets), keep those with average MACs
# <= mac_budget, pick the most accurate, then evaluate it on (logits, targets) of the test set.

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
