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
# # Lecture 06: Knowledge distillation
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", the distillation
# block (then 07, the liver-segmentation case study).*
#
# Knowledge distillation transfers what a large, cumbersome **teacher** network has
# learned to a small **student** that is cheap to deploy (Gou et al., IJCV 2021). The
# student is not trained on the labels alone but also on the teacher's outputs (its
# *responses*) or on its intermediate *features*. In this notebook we
#
# 1. train a teacher CNN on the organ patches, and look at its **soft targets**: how the
#    temperature $T$ of the softmax reveals which wrong classes it finds plausible;
# 2. write down Hinton's distillation loss and check by measurement why the soft term is
#    multiplied by $T^2$;
# 3. train a student with 4 times fewer parameters, on 300 labelled patches, three ways:
#    labels only (baseline), labels + soft targets (**response-based** KD), labels +
#    attention maps (**feature-based** KD, attention transfer), each over several seeds;
# 4. put the result in the format of the seed's KD survey table, beside rows quoted from
#    it, with mean $\pm$ standard deviation over seeds.
#
# Run time: about a minute for the students the first time (the teacher is the standard
# CNN of lectures 01-05, trained with the same call, so it comes from the cache if
# those ran first); every student is cached with `me.train_cached`, so a re-run only
# evaluates. The last cell prints the total. `MEDEFF_FAST=1` shrinks everything to
# seconds (and the nets are then barely trained: fast-mode numbers mean nothing).

# %%
import math
import statistics
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from torch.utils.data import DataLoader, TensorDataset

import medeff as me
from medeff import distillation as kd
from medeff.data import ORGAN_CLASSES
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown]
# ## 1. The teacher
#
# The teacher is the course's standard CNN (`ef.make_classifier("standard", 1.0)`: a
# $3\times3$ stem and five $3\times3$ conv blocks, about 107k parameters), trained on all
# training patches with the course budget of lectures 01-05 (`ef.COURSE_BUDGET`).
# `ef.course_net` returns the cached weights when they exist, so it shows the same
# accuracy here as there. The set-up of response-based distillation, drawn after the seed's figure:

# %%
kd.draw_kd_diagram()
plt.show()

# %%
train_loader, val_loader, test_loader = ef.course_loaders()
K = len(ORGAN_CLASSES)
ACC = {"accuracy": me.accuracy}
teacher, t_rec = ef.course_net("standard", 1.0, seed=0)
teacher_acc = me.evaluate(teacher, test_loader, ACC)["accuracy"]
print(f"teacher: test accuracy {teacher_acc:.3f}, {t_rec['params']:,} parameters, "
      f"{t_rec['macs']:,} MACs per patch ({'from cache' if t_rec['cached'] else 'trained now'})")

# %% [markdown]
# ## 2. Soft targets and the temperature
#
# A classifier turns its logits $z$ into probabilities with a softmax. Hinton et al.
# (2015) add a **temperature** $T$:
#
# $$p_i^{(T)} = \frac{\exp(z_i/T)}{\sum_j \exp(z_j/T)} .$$
#
# $T=1$ is the ordinary softmax. A trained network is usually confident: the correct class gets
# almost all the mass, and the tiny probabilities of the wrong classes (is this kidney
# patch more like a spleen or like a vertebra?) are invisible. Dividing by $T>1$ shrinks
# the logit differences, so the distribution flattens and those relations, Hinton's "dark
# knowledge", become visible: these are the **soft targets** the student learns from.
# As $T\to\infty$ every class gets $1/K$.
#
# **Predict, then run:** for a left-kidney patch, which wrong class will gain the most
# probability as $T$ grows from 1 to 8? (Think of what looks like a left kidney in a
# 28x28 crop of an abdominal CT slice.)

# %%
x_val, y_val = next(iter(val_loader))
with torch.no_grad():
    val_logits = teacher(x_val)
is_kidney = y_val == ORGAN_CLASSES.index("kidney-left")
right = is_kidney & (val_logits.argmax(1) == y_val)  # a left kidney the teacher gets right
i = int((right if right.any() else is_kidney).nonzero()[0])
temps = [1, 2, 4, 8]
fig, (ax_img, ax_bar, ax_ent) = plt.subplots(1, 3, figsize=(13, 3.2),
                                             gridspec_kw={"width_ratios": [1, 3, 2]})
ax_img.imshow(x_val[i, 0], cmap="gray")
ax_img.set_title(f"label: {ORGAN_CLASSES[y_val[i]]}")
ax_img.axis("off")
for j, t in enumerate(temps):
    p = kd.soft_targets(val_logits[i:i + 1], t)[0]
    ax_bar.bar(torch.arange(K) + (j - 1.5) * 0.2, p, width=0.2, label=f"T = {t}")
ax_bar.set_xticks(range(K), ORGAN_CLASSES, rotation=30, fontsize=8)
ax_bar.set_ylabel("teacher probability")
ax_bar.set_yscale("log")
ax_bar.legend(fontsize=8)
t_grid = torch.logspace(-0.5, 1.5, 30)
entropy = [-(kd.soft_targets(val_logits, float(t)) * kd.soft_targets(val_logits, float(t)).log())
           .sum(1).mean().item() for t in t_grid]
ax_ent.semilogx(t_grid, entropy)
ax_ent.axhline(math.log(K), ls="--", c="gray", label=f"uniform: log {K}")
ax_ent.set_xlabel("temperature T")
ax_ent.set_ylabel("mean entropy (nats)")
ax_ent.legend(fontsize=8)
plt.tight_layout()
plt.show()
wrong = torch.arange(K) != y_val[i]
for t in (1, 4):
    p = kd.soft_targets(val_logits[i:i + 1], t)[0]
    runner_up = ORGAN_CLASSES[int(torch.where(wrong, p, -1.0).argmax())]
    print(f"T={t}: p(correct) = {p[y_val[i]]:.4f}; runner-up '{runner_up}' with "
          f"{p[wrong].max():.2e}; the 7 wrong classes hold {p[wrong].sum():.2e} in all")

# %% [markdown]
# ## 3. The distillation loss
#
# The student (logits $s$) is trained on a weighted sum of two terms: the KL divergence
# between the teacher's and its own soft targets at temperature $T$, and the ordinary
# cross-entropy with the hard labels $y$:
#
# $$\mathcal{L}_{KD} = \alpha\,T^2\,\mathrm{KL}\!\left(p^{(T)}(t)\,\middle\|\,p^{(T)}(s)\right)
#   + (1-\alpha)\,\mathrm{CE}(s, y).$$
#
# Why $T^2$? The gradient of the soft term with respect to a student logit is
# $\frac{1}{T}\bigl(p_i^{(T)}(s) - p_i^{(T)}(t)\bigr)$, and for large $T$,
# $p_i^{(T)} \approx (1 + z_i/T)/K$, so it behaves like $\frac{1}{K T^2}(s_i - t_i)$:
# without the factor $T^2$ the soft term would fade as $T$ grows and $\alpha$ would lose
# its meaning. `kd.kd_loss` implements the formula (the assignment asks you to write it).
#
# **Predict, then run:** plot the gradient norm of the KL term (without $T^2$) against $T$
# on log-log axes. What slope do you expect, and from which $T$ on?

# %%
s_logits = torch.randn(256, K, generator=me.set_seed(1)) * 2
s_logits.requires_grad_(True)
t_logits = val_logits[:128].repeat(2, 1)
norms = {}
for scaled in (False, True):
    norms[scaled] = []
    for t in t_grid:
        t = float(t)
        loss = kd.kd_loss(s_logits, t_logits, y_val[:128].repeat(2), temperature=t, alpha=1.0)
        loss = loss if scaled else loss / t**2
        (g,) = torch.autograd.grad(loss, s_logits)
        norms[scaled].append(g.norm().item())
slope = math.log(norms[False][-1] / norms[False][-5]) / math.log(float(t_grid[-1] / t_grid[-5]))
plt.figure(figsize=(5, 3.2))
plt.loglog(t_grid, norms[False], label="KL term alone")
plt.loglog(t_grid, norms[True], label=r"$T^2\,\times$ KL term")
plt.xlabel("temperature T")
plt.ylabel("gradient norm w.r.t. student logits")
plt.legend()
plt.show()
print(f"slope of the unscaled gradient at large T: {slope:.2f} (theory: -2); "
      f"with T^2 the norm changes {norms[True][-1] / norms[True][-5]:.2f}x over the same range")

# %% [markdown]
# ## 4. The student and its baseline
#
# The student is the same family at width 0.5 (channels 8-16-16-32-32-32), about 4 times
# fewer parameters and MACs than the teacher. Distillation pays off most where labels are
# scarce: the teacher has seen all patches, while the student gets only `N_SMALL`
# labelled patches (a fixed random subset) for a short schedule. On those same patches
# the teacher's soft targets carry more information per image than the labels (a
# probability for each of the 8 classes instead of one index).
#
# Each student is trained for several seeds (the seed sets the initial weights and the
# order of the batches; the subset stays fixed) and cached with `me.train_cached`, keyed
# by everything that determines it, including the teacher's configuration.

# %%
N_SMALL = me.pick(300, 200)
STUDENT_WIDTH, STUDENT_EPOCHS, LR = 0.5, me.pick(30, 2), 3e-3
SEEDS = list(range(me.pick(3, 2)))
x_all, y_all = train_loader.dataset.tensors
subset = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(0))[:N_SMALL]
small_set = TensorDataset(x_all[subset], y_all[subset])
teacher_cfg = {"kind": "standard", "width": 1.0, "seed": 0, "budget": ef.COURSE_BUDGET,
               "data": me.data_fingerprint(train_loader.dataset)}
probe = ef.make_classifier("standard", STUDENT_WIDTH, K)
s_params, s_macs = me.count_params(probe), me.count_macs(probe, (1, 28, 28))
print(f"student: {s_params:,} parameters, {s_macs:,} MACs ({t_rec['params'] / s_params:.1f}x / "
      f"{t_rec['macs'] / s_macs:.1f}x fewer than the teacher); {N_SMALL} labelled patches, "
      f"class counts {torch.bincount(small_set.tensors[1], minlength=K).tolist()}")


def train_student(method: str, seed: int, **step_kw) -> float:
    """Train (or load) one student; return its test accuracy."""
    cfg = {"method": method, "seed": seed, "width": STUDENT_WIDTH, "epochs": STUDENT_EPOCHS,
           "lr": LR, "n": N_SMALL, "data": me.data_fingerprint(small_set), "teacher": teacher_cfg,
           "step": step_kw}

    def train(model):
        loader = DataLoader(small_set, batch_size=64, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        step = kd.kd_train_step(teacher, **step_kw) if step_kw else None
        start = time.perf_counter()
        me.fit(model, loader, epochs=STUDENT_EPOCHS, lr=LR, train_step=step, progress=False)
        return {"test_accuracy": me.evaluate(model, test_loader, ACC)["accuracy"],
                "seconds": time.perf_counter() - start}

    def build():
        me.set_seed(seed)
        return ef.make_classifier("standard", STUDENT_WIDTH, K)

    _, rec = me.train_cached(f"kd-student-{method}", cfg, build, train)
    return rec["test_accuracy"]


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


acc = {"baseline": [train_student("baseline", s) for s in SEEDS]}
base_m, base_s = mean_std(acc["baseline"])
print(f"student baseline (labels only): {base_m:.3f} ± {base_s:.3f} "
      f"(seeds: {', '.join(f'{a:.3f}' for a in acc['baseline'])})")

# %% [markdown]
# ## 5. Student + response-based distillation
#
# Now the same student, subset, seeds and schedule, trained on
# `kd.kd_loss(student(x), teacher(x), y, temperature=T, alpha=0.9)`.
# `kd.kd_train_step(teacher, ...)` returns the training step that `me.fit` calls for every
# batch; the teacher runs in eval mode without gradients. We try two temperatures:
# $T=4$, the case study's value and the top of the range (2.5 to 4) that Hinton et al.
# found best for their smallest students, and $T=1$.
#
# **Predict, then run:** look back at the entropy curve of section 2: how much of the
# teacher's output is left at $T=4$ compared with the uniform distribution? Which
# temperature will help this student more, and will either gain exceed the seed-to-seed
# spread of the baseline?

# %%
KD_RUNS = {"KD, T=4": {"temperature": 4.0, "alpha": 0.9},
           "KD, T=1": {"temperature": 1.0, "alpha": 0.9}}
for key, step_kw in KD_RUNS.items():
    acc[key] = [train_student("kd", s, **step_kw) for s in SEEDS]
    m, sd = mean_std(acc[key])
    per_seed = ", ".join(f"{b:.3f} -> {k:.3f}"
                         for b, k in zip(acc["baseline"], acc[key], strict=True))
    print(f"{key}: {m:.3f} ± {sd:.3f}, gain {m - base_m:+.3f} (per seed {per_seed})")
for t in (1.0, 4.0):
    p = kd.soft_targets(val_logits, t)
    print(f"teacher at T={t:g}: mean top probability {p.max(1).values.mean():.2f}, "
          f"mean entropy {-(p * p.log()).sum(1).mean():.2f} nats (uniform: {math.log(K):.2f})")

# %% [markdown]
# ## 6. Feature-based distillation: attention transfer
#
# Response-based KD uses only the teacher's last layer. **Feature-based** methods also
# match intermediate representations (Wang & Yoon's review, the seed's "Feature-based
# knowledge distillation"). FitNets' *hints* regress the student's features onto the
# teacher's, which needs a learned adapter when the channel counts differ (here 16 vs
# 32). **Attention transfer** (Zagoruyko & Komodakis, ICLR 2017) avoids it: it compares
# *where* the two networks are active, through the importance map
#
# $$a(F) = \frac{\mathrm{vec}\bigl(\frac{1}{C}\sum_c |F_c|^p\bigr)}
#   {\bigl\lVert \mathrm{vec}\bigl(\frac{1}{C}\sum_c |F_c|^p\bigr)\bigr\rVert_2},\qquad
#   \mathcal{L} = \mathrm{CE}(s, y) + \beta \,\lVert a(F_s) - a(F_t)\rVert_2^2,$$
#
# with $p=2$ as in the paper (lecture 07's case study uses the same map with $p=4$,
# `kd.importance_map`, `kd.imd_loss`). We tap both nets after their second block
# (`features.1`, $14\times14$), take $\beta = 50$, and use the labels, not the soft
# targets ($\alpha=0$), so this row shows what the features alone transfer.

# %%
AT = {"alpha": 0.0, "feature_weight": 50.0, "student_layer": "features.1",
      "teacher_layer": "features.1", "p": 2}
acc["AT"] = [train_student("at", s, **AT) for s in SEEDS]
at_m, at_s = mean_std(acc["AT"])
print(f"AT: {at_m:.3f} ± {at_s:.3f}, gain over the baseline {at_m - base_m:+.3f}")
with torch.no_grad(), kd.capture(teacher, ["features.1"]) as f_t:
    teacher(x_val[:4])
fig, axes = plt.subplots(1, 4, figsize=(10, 2.6))
for ax, img, amap in zip(axes, x_val[:4], kd.importance_map(f_t["features.1"], p=2), strict=True):
    ax.imshow(img[0], cmap="gray")
    ax.imshow(amap.reshape(14, 14), cmap="inferno", alpha=0.55, extent=(-0.5, 27.5, 27.5, -0.5))
    ax.axis("off")
fig.suptitle("the teacher's attention maps (p = 2) over four validation patches")
plt.show()

# %% [markdown]
# ## 7. The table, in the seed's format
#
# The seed quotes Table 5 of Gou et al.'s survey: offline distillation on CIFAR-10, the
# teacher's and the student's baseline accuracy, and the student's accuracy with
# distillation and its gain ($\uparrow$). Below, a few of the quoted rows beside ours
# (organ-patch test accuracy in %, mean $\pm$ std over the seeds; knowledge types: ResK
# response-based, FeaK feature-based, RelK relation-based). The quoted numbers are single
# runs on CIFAR-10 with ResNet/WRN pairs, so compare the *size* of the gains, not the
# accuracies.

# %%
# (method, knowledge, teacher (baseline), student (baseline), accuracy, gain): Gou et al. Table 5
QUOTED = [
    ("FT (Kim et al., 2018)", "FeaK", "ResNet56 (93.61)", "ResNet20 (92.22)", 93.15, 0.93),
    ("AdaIN (Yang et al., 2020a)", "FeaK", "ResNet26 (93.58)", "ResNet8 (87.78)", 89.02, 1.24),
    ("IRG (Liu et al., 2019g)", "RelK", "ResNet20 (91.45)", "ResNet20-x0.5 (88.36)", 90.69, 2.33),
    ("SP (Tung and Mori, 2019)", "RelK", "WRN-40-1 (93.49)", "WRN-16-1 (91.26)", 91.87, 0.61),
]


def pm(values: list[float]) -> str:
    m, s = mean_std(values)
    return f"{100 * m:.2f} ± {100 * s:.2f}"


t_name = f"CNN x1, {t_rec['params'] / 1e3:.0f}k ({100 * teacher_acc:.2f})"
s_name = f"CNN x{STUDENT_WIDTH:g}, {me.count_params(probe) / 1e3:.1f}k ({pm(acc['baseline'])})"
rows = ["| Methods | Knowledge | Teacher (baseline) | Student (baseline) | Accuracies |",
        "| --- | --- | --- | --- | --- |"]
rows += [f"| {m} | {k} | {t} | {s} | {a:.2f} ({g:.2f} ↑) |" for m, k, t, s, a, g in QUOTED]
OURS = [("KD (Hinton et al., 2015), T=4, ours", "ResK", "KD, T=4"),
        ("KD (Hinton et al., 2015), T=1, ours", "ResK", "KD, T=1"),
        ("AT (Zagoruyko & Komodakis, 2017), ours", "FeaK", "AT")]
for label, knowledge, key in OURS:
    gain = 100 * (mean_std(acc[key])[0] - base_m)
    rows.append(f"| {label} | {knowledge} | {t_name} | {s_name} | {pm(acc[key])} "
                f"({abs(gain):.2f} {'↑' if gain >= 0 else '↓'}) |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# Is a gain real? With only a few seeds we compare it with the spread: a gain larger than
# about twice the pooled standard deviation of the two rows is unlikely to be seed noise
# (a rough rule, not a test). Each seed gives the baseline and the distilled student the
# same initial weights and batch order, so the runs also pair up: a method that improves
# every seed is more convincing than its mean alone, though three pairs are still few.
# The next cell states the verdict from the numbers above.

# %%
verdicts = {}
for _, _, key in OURS:
    m, s = mean_std(acc[key])
    pooled = math.sqrt((s**2 + base_s**2) / 2)
    gain = m - base_m
    spread = f"the seed spread ({100 * pooled:.1f} points)"
    diffs = [100 * (d - b) for d, b in zip(acc[key], acc["baseline"], strict=True)]
    if gain > 2 * pooled:
        verdicts[key] = f"lifts the student by {100 * gain:.1f} points, above {spread}"
    elif min(diffs) > 0:
        paired = ", ".join(f"{d:+.1f}" for d in diffs)
        verdicts[key] = (f"gains {100 * gain:.1f} points, less than twice {spread}, but "
                         f"improves every seed (paired gains {paired}): suggestive, not "
                         "established with so few seeds")
    elif gain > 0:
        verdicts[key] = f"gains {100 * gain:.1f} points, within {spread}: not shown to help"
    else:
        verdicts[key] = f"changes accuracy by {100 * gain:+.1f} points ({spread}): no gain"
    print(f"{key}: {verdicts[key]}")
best = max((k for _, _, k in OURS), key=lambda k: mean_std(acc[k])[0])
gap, best_gain = teacher_acc - base_m, mean_std(acc[best])[0] - base_m
print(f"teacher - student baseline gap: {100 * gap:.1f} points; best row: {best}, "
      f"{100 * best_gain:+.1f} points"
      + (f" ({100 * best_gain / gap:.0f}% of the gap)" if gap > 0 else ""))

# %% [markdown]
# ## Take-aways
#
# - The temperature flattens the teacher's output and reveals how it ranks the wrong
#   classes (section 2: the probabilities of the wrong classes at $T=1$ and $T=4$, and the
#   mean entropy rising towards $\log K$). How much $T$ a teacher needs depends on how
#   confident it already is: the entropies printed in section 5 say how much of this
#   teacher's signal is left at $T=4$.
# - The gradient of the unscaled soft term falls as $1/T^2$ (measured slope printed in
#   section 3); the factor $T^2$ keeps the soft and hard terms balanced for any $T$.
# - On the organ patches, with a 4x smaller student and 300 labels, the verdicts printed
#   in section 7 say, row by row, whether distillation lifted the student beyond the
#   seed-to-seed spread. Where the $T=4$ row falls below the baseline, section 5 shows
#   why: this teacher (one epoch of training) is not very confident, so at $T=4$ its
#   soft targets are close to uniform (entropy near $\log K$) and, with $\alpha=0.9$,
#   most of the loss pulls the student towards "no opinion". The temperature has to suit
#   the teacher; Hinton et al.'s large $T$ assumed a teacher with very peaked outputs.
# - The survey's CIFAR-10 gains are 0.5-3 points from single runs; ours come from a
#   different task, data regime and scale and few seeds, so only their sign and size
#   relative to the spread carry over. A distillation setting that helps in
#   a paper is not guaranteed to help elsewhere: measure it, with seeds.
# - Distillation costs training time only: the deployed student has exactly the
#   parameters and MACs printed in section 4.
#
# ## References
#
# - G. Hinton, O. Vinyals, J. Dean. "Distilling the knowledge in a neural network." NIPS
#   Deep Learning Workshop, 2015 (arXiv:1503.02531).
# - S. Zagoruyko, N. Komodakis. "Paying more attention to attention: improving the
#   performance of convolutional neural networks via attention transfer." ICLR 2017.
# - A. Romero et al. "FitNets: hints for thin deep nets." ICLR 2015.
# - J. Gou, B. Yu, S. J. Maybank, D. Tao. "Knowledge distillation: a survey." IJCV
#   129(6):1789-1819, 2021 (Table 5, quoted above).
# - L. Wang, K.-J. Yoon. "Knowledge distillation and student-teacher learning for visual
#   intelligence: a review and new outlooks." IEEE TPAMI, 2021.
# - D. Qin et al. "Efficient medical image segmentation based on knowledge distillation."
#   IEEE TMI 40(12):3820-3831, 2021 (lecture 07).
#
# ## Exercises
#
# 1. **Temperature sweep (code).** Complete the cell below: train the KD student for
#    $T \in \{1, 2, 4, 8\}$ (seed 0, $\alpha = 0.9$) and plot test accuracy against $T$.
#    Which $T$ is best here? Relate it to the teacher's entropy at each $T$ (section 5).
# 2. **More labels (code).** Set `N_SMALL` to the whole training set and re-run sections
#    4 and 5. Predict first: does the gain of KD grow or shrink, and why (think of what the
#    soft targets add per image)?
# 3. **A better teacher (code).** Train a longer teacher, e.g.
#    `ef.train_or_load("standard", 1.0, ef.course_loaders(), num_classes=K, epochs=8)`,
#    and put its settings into `teacher_cfg` (the students' cache keys on it). Does a better teacher
#    give a better student? Then try the opposite, a teacher with the student's own
#    architecture: can a student beat its teacher? Look up "born-again networks"
#    (Furlanello et al., ICML 2018).
# 4. **Hints vs attention (reasoning).** A FitNets hint loss would need a $1\times1$
#    convolution from the student's 16 channels to the teacher's 32. Why can the student
#    then satisfy the hint without learning the teacher's representation, and why does
#    the importance map not have this problem? What changes with $p = 4$ (lecture 07)?
# 5. **Where the knowledge is (reasoning).** The organ classes left and right kidney
#    differ only by position. Which wrong class would you expect the teacher to rank
#    second for a left-kidney patch, and what does the student learn from that ranking
#    that the label alone cannot tell it?

# %%
# Exercise 1: temperature sweep (seed 0; each run is cached)
sweep = {}
for t in []:  # YOUR CODE: iterate over the temperatures 1, 2, 4, 8
    sweep[t] = train_student("kd", 0, temperature=float(t), alpha=0.9)
print(sweep)

# %%
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
