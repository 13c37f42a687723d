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
# # <Paper title>
#
# **Authors (full names):** First Author, Second Author, ... <br>
# **Institutes:** University / lab of each author <br>
# **Venue and year:** e.g. MICCAI 2021 (arXiv 0000.00000) <br>
# **Presented by:** your name, date
#
# <small>Time: 0.5 min. Format: 20 minutes of presentation, then 15 minutes of questions and
# discussion.</small>

# %% [markdown] slideshow={"slide_type": "skip"}
# ## How to use this template (not shown on the slides)
#
# This notebook is the skeleton of a paper presentation for lecture 14, "Deep Learning
# Model Efficiency". Its sections follow the outline of the lecture's "How to present
# research papers": title and authors; motivation; problem statement; main contributions;
# approach outline and details; experiments (data, baselines, metrics, results) with a
# **miniature reproduction** on the course data; related work; take-home message;
# strengths and weaknesses; overall rating; future directions. Each slide states its time
# budget (20 minutes in all); the rubric at the end is how the presentation is graded.
#
# 1. Copy this file pair (`reproduction_template.py` + `.ipynb`) to
#    `lectures/papers/<short_name>.py` and edit the `.py` twin, then
#    `.venv/bin/jupytext --sync lectures/papers/<short_name>.py` (or edit the notebook in
#    JupyterLab, which keeps the pair in sync).
# 2. Every cell carries slide metadata: `slideshow={"slide_type": "slide"}` starts a new
#    slide, `"subslide"` a slide below it, `"fragment"` appears on the next click, `"-"`
#    continues the current slide, `"skip"` stays out of the deck (like this cell).
# 3. Build the deck: `make slides NB=lectures/papers/<short_name>.ipynb`. It executes the
#    notebook and writes `build/slides/<short_name>.slides.html`, which works offline
#    (reveal.js and MathJax come from local copies in `build/slides/_deck_assets/`; run
#    `npm ci` once at the repository root to fetch them). `make slides NB=... FAST=1`
#    executes in fast mode for a quick look.
# 4. The worked example is `gsp_conv_reproduction`: the GSP-Conv paper, filled in.
#
# Keep the reproduction honest: a miniature cannot confirm a paper's numbers; say what it
# does show (a cost formula, a direction of an effect, a latency ratio on this CPU) and
# what it cannot (the paper's datasets, scale, tuning).

# %% slideshow={"slide_type": "skip"}
import time

import torch

import medeff as me
from medeff.models import efficient as ef

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Motivation
#
# - Why does the problem matter (for medical imaging, for efficiency)?
# - What goes wrong with the current approach? One concrete example or number.
#
# <small>1-2 slides, 2 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Problem statement
#
# - Input, output, and what is being minimized or traded off (accuracy vs MACs,
#   parameters, latency, memory, energy).
# - Constraints and assumptions (hardware, data, labels).
#
# <small>1-2 slides, 1.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Main contributions
#
# 1. The paper's claims, each in one sentence, in the authors' words where possible.
# 2. ...
# 3. Which claim the miniature reproduction below tests.
#
# <small>1 slide, 1 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Approach: outline
#
# One diagram or one equation of the whole method. A formula renders offline, e.g. the
# cost of a $k\times k$ convolution with $C_\text{in}$ inputs, $C_\text{out}$ outputs on an
# $H\times W$ map:
#
# $$\text{MACs} = k^2\, C_\text{in}\, C_\text{out}\, H\, W .$$
#
# <small>1 slide, 1 min.</small>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Approach: details
#
# - The building block, the architecture, the training procedure (losses, schedule).
# - What is new compared with the closest earlier method.
#
# <small>2-4 slides, 4 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Experiments in the paper
#
# | | |
# | --- | --- |
# | data | datasets, modality, size, splits |
# | baselines | what the method is compared with |
# | metrics | e.g. Dice, accuracy; parameters, MACs (or FLOPs = 2 x MACs), latency and on what hardware |
# | results | the key table or figure, quoted with its source |
#
# <small>2-3 slides, 3 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Miniature reproduction: costs
#
# Replace the two models with the paper's baseline and its method, built small enough for
# a laptop CPU. Here: the course's standard CNN and its MobileNet-style twin (lecture 01).
# `me.count_params`, `me.count_macs`, `me.compare_latency` (paired, median and IQR).

# %% slideshow={"slide_type": "-"}
baseline = ef.make_classifier("standard", 1.0, num_classes=8)   # <- the paper's baseline
proposed = ef.make_classifier("mobilenet", 1.0, num_classes=8)  # <- the paper's method
shape = (1, 28, 28)
cmp = me.compare_latency(baseline, proposed, torch.zeros(32, *shape), runs=me.pick(30, 5))
costs = {"baseline": (baseline, cmp.a), "proposed": (proposed, cmp.b)}
print(f"{'model':<10} {'params':>8} {'MACs':>11} {'latency (batch 32)':>26}")
for name, (model, lat) in costs.items():
    print(f"{name:<10} {me.count_params(model):>8,} {me.count_macs(model, shape):>11,} "
          f"{lat.median_ms:>9.2f} ms (IQR {lat.iqr_ms:.2f})")
faster = "faster" if cmp.speedup >= 1 else "slower"
print(f"proposed: {me.count_macs(baseline, shape) / me.count_macs(proposed, shape):.1f}x fewer MACs, "
      f"measured {max(cmp.speedup, 1 / cmp.speedup):.2f}x {faster} on this CPU (paired baseline/proposed ratios 10-90 %: "
      f"{cmp.paired_ratio_p10:.2f}-{cmp.paired_ratio_p90:.2f}; a range that spans 1 is no clear difference)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Miniature reproduction: accuracy
#
# Train both on the course data with one budget (`ef.course_net`: the organ patches, the
# cached zoo of lectures 01-03; or `me.fit` + `me.train_cached` for your own models).

# %% slideshow={"slide_type": "-"}
rows = []
for kind in ("standard", "mobilenet"):
    _, rec = ef.course_net(kind, 1.0)
    rows.append(rec)
    status = "cached" if rec["cached"] else f"trained in {rec['train_seconds']:.0f} s"
    print(f"{kind:<10} test accuracy {rec['test_accuracy']:.3f}  ({status})")
gap = rows[1]["test_accuracy"] - rows[0]["test_accuracy"]
print(f"accuracy of the proposed model minus the baseline: {gap:+.3f} (one seed: "
      "run several seeds before calling a difference real)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What the miniature shows, and what it does not
#
# - Shows: ... (e.g. the cost formula holds; the latency ratio on this CPU).
# - Does not show: ... (the paper's data and scale; tuning; other hardware).
# - Where it disagrees with the paper, say so and explain why.
#
# <small>Reproduction in all: 3 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Related work
#
# - The closest earlier methods, and how this paper differs.
#
# <small>1-3 slides, 1 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-home message
#
# One or two sentences the audience should remember.
#
# <small>1-2 slides, 0.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Strengths and weaknesses
#
# | strengths | weaknesses |
# | --- | --- |
# | ... | ... |
#
# <small>1-2 slides, 1.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Overall rating and why
#
# e.g. accept / weak accept / weak reject / reject, with the two reasons that decide it.
#
# <small>1 slide, 0.5 min.</small>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Future directions
#
# - Open questions; what you would try next (and what the miniature suggests).
#
# <small>1-3 slides, 0.5 min. Then 15 minutes of questions and discussion.</small>

# %% [markdown] slideshow={"slide_type": "skip"}
# ## Presentation rubric (100 points; not shown on the slides)
#
# | section (time) | points | full marks when ... |
# | --- | --- | --- |
# | title, authors, institutes, presenter (0.5 min) | 2 | full names, affiliations, venue and year given |
# | motivation (2 min) | 8 | the problem matters, shown with a concrete example or number |
# | problem statement (1.5 min) | 8 | inputs, outputs, objective and constraints are precise |
# | main contributions (1 min) | 8 | claims stated separately and checkably; the tested one named |
# | approach outline and details (5 min) | 16 | the method is understandable without the paper; equations and diagrams correct |
# | experiments of the paper (3 min) | 10 | data, baselines, metrics and key results, quoted with their source and conventions (MACs vs FLOPs) |
# | miniature reproduction (3 min) | 20 | runs as shipped; costs counted and latency measured fairly (median, IQR, paired); limits stated honestly; disagreements explained |
# | related work (1 min) | 5 | the closest prior work and the difference |
# | take-home message (0.5 min) | 3 | one clear, correct message |
# | strengths and weaknesses (1.5 min) | 8 | specific and argued, not generic |
# | overall rating and why (0.5 min) | 2 | a rating with its deciding reasons |
# | future directions (0.5 min) | 4 | concrete and plausible |
# | timing and discussion (15 min) | 6 | 20 +- 2 minutes; questions answered to the point |
#
# Total: 100. The time budget per section is a hint, not a rule; the total is.

# %% [markdown] slideshow={"slide_type": "skip"}
# ## Exercises (before you present)
#
# 1. **(reason)** Write the paper's main claim as one checkable sentence, then name the one
#    number your miniature reproduction will report for it.
# 2. **(code)** Count the MACs and parameters of the paper's key block and of the baseline it
#    replaces with `me.count_macs` / `me.count_params`, at an input size of the course data.
# 3. **(code)** Time both with `me.compare_latency` and write the result as "n times
#    faster/slower" with the paired 10-90 % range.
# 4. **(reason)** List two ways your miniature differs from the paper's setting and say how
#    each could change the conclusion.

# %% slideshow={"slide_type": "skip"}
print(f"notebook run time: {time.perf_counter() - T0:.1f} s")
