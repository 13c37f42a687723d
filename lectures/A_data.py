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
# # Lecture A: the course data — a synthetic abdominal CT phantom, and real data
#
# *Medical Image Computing, lecture 14 "Deep Learning Model Efficiency", data lab.*
#
# Every later notebook (efficient architectures, pruning, quantization, distillation) trains
# and compares models on **medical** data. Real abdominal CT with liver and kidney tumour
# labels (LiTS, KiTS) is large and must be downloaded by hand, and no Python wheel ships any.
# So the course generates its own: a procedural **abdominal CT phantom** in Hounsfield units
# with a label map, deterministic from a seed, cached on disk. The same loaders read the real
# data when you have it.
#
# **Goals.** After this lab you can
#
# 1. read a real CT slice from DICOM and convert stored values to HU;
# 2. explain how the phantom is built and check its HU values per tissue against the literature;
# 3. use the segmentation tasks of the liver/kidney case study (HU windows, slice filtering,
#    case-level splits, per-case Dice/VOE/RVD);
# 4. use the organ-patch classification set (MedMNIST format) of the compression lectures;
# 5. point the loaders at real LiTS, KiTS, DICOM and MedMNIST files.
#
# **Contents.** 1 A real CT slice · 2 The phantom · 3 HU per tissue · 4 A cohort, caching and
# case splits · 5 Segmentation tasks and case-study metrics · 6 Organ patches · 7 Real data ·
# Take-aways · References
#
# **Run time:** seconds when the cohort is cached; with an empty cache, generating the
# default cohort is the largest part (section 4 prints how long its first call took);
# `MEDEFF_FAST=1` uses a 12-case cohort. The last cell prints this run's time.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import medeff as me
from medeff import data as md

T0 = time.perf_counter()
me.set_seed(0)
torch.set_num_threads(2)
N_CASES = me.pick(60, 12)  # the default cohort; fast mode uses fewer cases
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fast mode: {me.is_fast()}")
print(f"cache folder: {me.cache_dir()}")

# %% [markdown]
# ## 1. A real CT slice
#
# pydicom ships a real CT slice, `CT_small.dcm` (128×128, inside the wheel, so it works
# offline). It is a **thoracic** crop, not an abdominal slice: you see lung, ribs and the
# descending aorta; no liver, no kidney. No wheel ships labelled abdominal CT, which is why
# the course generates its abdomen (section 2). CT scanners store integers; the header's **RescaleSlope** and
# **RescaleIntercept** turn them into **Hounsfield units** (HU): air −1000, water 0, fat
# about −100, soft tissue +20…+60, contrast-enhanced vessels +150, bone +200…+1000.
# `md.load_dicom_series` applies the rescale (and sorts a multi-file series by
# `ImagePositionPatient`).

# %%
import pydicom
from pydicom.data import get_testdata_file

ct_path = get_testdata_file("CT_small.dcm")
header = pydicom.dcmread(ct_path)
real, real_spacing = md.load_dicom_series(ct_path)
real = real[0]
print(f"stored dtype {header.pixel_array.dtype}, RescaleSlope {header.RescaleSlope}, "
      f"RescaleIntercept {header.RescaleIntercept}, pixel spacing {real_spacing[1:]} mm")
print("HU percentiles 1/50/99:", np.percentile(real, [1, 50, 99]).round(0))

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
axes[0].imshow(real, cmap="gray", vmin=-160, vmax=240)
axes[0].set_title("CT_small.dcm, window W400/L40")
axes[0].axis("off")
axes[1].hist(real.ravel(), bins=120, range=(-1100, 1100), color="0.3")
axes[1].set_yscale("log")
axes[1].set_xlabel("HU")
axes[1].set_title("HU histogram")
plt.tight_layout()
plt.show()

# %% [markdown]
# The histogram has the peaks every CT shows: air/lung far left, fat near −100, soft
# tissue just above 0, and a long tail of bone. The phantom must reproduce these.
#
# ## 2. The phantom
#
# `md.generate_case(seed)` draws one case of 32 axial slices of 96×96 pixels (about 3.6 mm
# pixels, 5 mm slices, portal-venous contrast as in LiTS). One function per structure
# (`body_outline`, `muscle`, `liver`, `spleen`, `kidneys`, `vertebra`, `aorta`, `bowel_gas`,
# `liver_tumors` in `medeff/data/phantom.py`) draws smooth superellipses whose centre and
# size vary slowly along z, so the anatomy is consistent from slice to slice. Liver tumours
# follow the SyntheticTumors recipe (Hu et al., CVPR 2023): ellipsoids of radius about
# 4/8/16/32 mm, deformed by a smooth random field, a Gaussian-filtered noise texture,
# **hypodense** by 65–145 HU against the liver, with a soft edge. Kidney tumours stand in
# for renal cell carcinoma: a roundish mass centred inside a kidney, often bulging out of it
# (exophytic), **hypo-enhancing** (darker than the contrast-filled kidney). Most cases get
# one, because KiTS19 is a cohort of patients operated on for a renal mass: every real KiTS
# case has a tumour (the cell below prints the phantom's share and sizes). Finally a slight
# blur (σ = 0.7 px) and Gaussian noise of 10–20 HU. The label values:

# %%
for name, value in md.LABELS.items():
    lo, hi = md.HU_RANGES[name]
    print(f"{value:2d}  {name:13s} nominal HU [{lo:6.0f}, {hi:6.0f}]")

r_lo, r_hi = md.KIDNEY_TUMOR_RADIUS_MM
print(f"kidney tumour: in {md.KIDNEY_TUMOR_PROB:.0%} of the cases, radius {r_lo:.0f}-{r_hi:.0f} mm "
      f"({2 * r_lo / 10:.0f}-{2 * r_hi / 10:.1f} cm across)")

t = time.perf_counter()
case = md.generate_case(seed=3)
print(f"\none case {case.image.shape} generated in {time.perf_counter() - t:.2f} s; "
      f"{len(case.tumors)} liver tumour(s):")
for tumour in case.tumors:
    print(f"  centre (z, y, x) {tumour['center']}, radius {tumour['radius_mm']:.0f} mm, "
          f"{tumour['hu_difference']:.0f} HU darker than liver")

# %%
cmap = plt.get_cmap("tab20", 12)
zs = [4, 10, 16, 22, 28]
fig, axes = plt.subplots(2, len(zs), figsize=(3 * len(zs), 6))
for j, z in enumerate(zs):
    axes[0, j].imshow(case.image[z], cmap="gray", vmin=-160, vmax=240)
    axes[0, j].set_title(f"slice {z}")
    axes[1, j].imshow(case.image[z], cmap="gray", vmin=-160, vmax=240)
    overlay = np.ma.masked_where(case.labels[z] <= 1, case.labels[z])
    axes[1, j].imshow(overlay, cmap=cmap, vmin=0, vmax=11, alpha=0.45, interpolation="nearest")
    for ax in axes[:, j]:
        ax.axis("off")
handles = [plt.Rectangle((0, 0), 1, 1, color=cmap(v)) for v in md.LABELS.values() if v > 1]
fig.legend(handles, [n for n, v in md.LABELS.items() if v > 1], loc="lower center", ncol=10)
plt.suptitle("one phantom case from top (z = 0) to bottom: image, and labels")
plt.tight_layout(rect=(0, 0.06, 1, 1))
plt.show()

# %% [markdown]
# Row 0 is anterior and the patient's right is on the image's left (radiological
# convention): liver on the left, spleen on the right, spine at the bottom, the aorta in front
# of it. The liver shrinks towards the lower slices, where the kidneys appear.
#
# ### The phantom beside the real slice

# %%
z_show = 12
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
axes[0].imshow(real, cmap="gray", vmin=-160, vmax=240)
axes[0].set_title(f"real: CT_small.dcm ({real_spacing[1]:.2f} mm pixels)")
axes[1].imshow(case.image[z_show], cmap="gray", vmin=-160, vmax=240)
axes[1].set_title(f"phantom slice {z_show} ({md.SPACING_MM[1]} mm pixels)")
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# The phantom is cartoon-like (no bowel loops, no ribs, no vessels inside organs) but has
# the right intensities, noise and organ layout, which is what a 96×96 segmentation net
# and a 28×28 classifier learn from. It is *not* a substitute for real data when you want
# clinically meaningful numbers; it makes the efficiency experiments reproducible offline.
#
# ## 3. HU per tissue
#
# **Predict, then run:** rank fat, muscle, liver, spleen, kidney and bone by their mean HU
# before you run the cell.
#
# We measure mean and standard deviation of HU per tissue over a few cases. Masks are eroded
# by one pixel first, so the blur at organ borders does not mix tissues (as one would place
# a region of interest).

# %%
cases = [md.generate_case(s) for s in range(me.pick(8, 3))]
images = np.stack([c.image for c in cases])
labels = np.stack([c.labels for c in cases])
stats = md.tissue_hu_stats(images, labels)
print(f"{'tissue':13s} {'mean':>8s} {'SD':>6s} {'voxels':>8s}  nominal range  ok")
for name, (mean, sd, n) in stats.items():
    lo, hi = md.HU_RANGES[name]
    print(f"{name:13s} {mean:8.1f} {sd:6.1f} {n:8d}  [{lo:5.0f}, {hi:5.0f}]  {lo <= mean <= hi}")

# %%
from medeff.data.phantom import erode2d

fig, ax = plt.subplots(figsize=(10, 4))
for name in ["fat", "body", "muscle", "liver", "liver_tumor", "spleen", "kidney", "aorta",
             "vertebra"]:
    mask = erode2d(labels == md.LABELS[name], 1)
    ax.hist(images[mask], bins=160, range=(-200, 600), histtype="step", density=True, label=name)
ax.set_xlabel("HU")
ax.set_ylabel("density")
ax.set_title("phantom: HU histograms per tissue (interior voxels)")
ax.legend(ncol=3)
plt.show()

# %% [markdown]
# The liver (about 110 HU), kidneys and aorta take their portal-venous-phase values, as in
# LiTS: fat < soft tissue < muscle < liver < aorta ≈ kidney < bone. The spleen is a
# **simplification**: the phantom keeps it 5–15 HU *below* the liver, the relation of
# unenhanced CT. In a real portal-venous scan the spleen is usually as bright as the liver
# or brighter, so real liver segmentation cannot separate the two by HU alone, as it can
# here. Liver tumours sit 65–145 HU below the liver, kidney tumours (60–100 HU) well below
# the kidney (150–190 HU), so both are visible; what makes tumour segmentation hard are the
# textured, blurred edges, the small liver tumours (4–8 mm, one to two pixels), and kidney
# tumours that bulge out of the kidney into fat, bowel and muscle of similar HU.
#
# ## 4. A cohort, caching and splits by case
#
# `md.phantom_cohort(n)` generates `n` cases once and stores them in `me.cache_dir()` (set
# `MEDEFF_CACHE` to move it). The file name encodes the generation parameters and a code
# version; a corrupt file is regenerated, never trusted. Cases are split into
# train/val/test **by case**: all slices of a patient go to the same split, otherwise
# neighbouring, nearly identical slices leak from training into testing.
#
# The split is also **stratified**: a random split of a small cohort can leave a rare kind
# of case out of a split altogether (with 60 cases and kidney tumours in only some of them,
# an earlier version of the phantom had no kidney-tumour case in validation). `md.cohort_split`
# groups the cases by `md.tumour_strata` (has a liver tumour, has a kidney tumour) and deals
# each group out over train/val/test, so every split sees every group; every phantom dataset
# (the four segmentation tasks and the organ patches) uses this one split.

# %%
t = time.perf_counter()
cohort = md.phantom_cohort(N_CASES)
t_first = time.perf_counter() - t
t = time.perf_counter()
cohort = md.phantom_cohort(N_CASES)
t_cached = time.perf_counter() - t
path = md.cache_path("phantom", md.phantom.PHANTOM_VERSION, {"n": N_CASES, "seed": 0, "depth": 32, "size": 96})
print(f"{N_CASES} cases: first call {t_first:.1f} s (generated, or read if already cached), "
      f"second call {t_cached:.2f} s")
print(f"cache file {path.name}, {path.stat().st_size / 1e6:.0f} MB")
split = md.cohort_split(N_CASES)
strata = md.tumour_strata(cohort["labels"])
print({k: len(v) for k, v in split.items()}, "cases; test cases:", split["test"].tolist())
for name, idx in split.items():
    print(f"{name:5s} cases with a liver tumour {int((strata[idx] >= 2).sum()):2d}, "
          f"with a kidney tumour {int((strata[idx] % 2).sum()):2d}, of {len(idx)}")

# %% [markdown]
# ## 5. Segmentation tasks and the case-study metrics
#
# The distillation case study (Qin et al., IEEE TMI 2021) trains binary segmentation nets on
# LiTS and KiTS. `md.segmentation_loaders(task)` reproduces its data protocol on the phantom:
#
# * labels in the LiTS convention (0 background, 1 liver, 2 tumour; `md.lits_view`) or the
#   KiTS convention (0, 1 kidney, 2 tumour; `md.kits_view`); organ = label > 0, tumour = label == 2;
# * HU window to [−1, 1]: LiTS [−60, 140], KiTS [−200, 300];
# * only slices that contain the target are kept (`keep="target"`; also `"organ"`, `"all"`);
# * evaluation: foreground probability > 0.4, Dice per case from counts pooled over its
#   slices, averaged over cases with non-empty ground truth; VOE and RVD as well.

# %%
for task in md.TASKS:
    train, val, test = md.segmentation_datasets(task, n_cases=N_CASES)
    fg = train.y.float().mean().item()
    n_cases = "/".join(str(len(set(d.case_ids.tolist()))) for d in (train, val, test))
    print(f"{task:13s} window {md.TASKS[task]['window']}: slices train/val/test "
          f"{len(train):4d}/{len(val):3d}/{len(test):3d} from {n_cases} cases, "
          f"foreground {100 * fg:.1f}% of pixels")

train_loader, val_loader, test_loader = md.segmentation_loaders("liver_tumor", batch_size=8,
                                                                n_cases=N_CASES)
x, y = next(iter(train_loader))
print("batch:", tuple(x.shape), x.dtype, f"[{x.min():.2f}, {x.max():.2f}]", tuple(y.shape), y.dtype)
fig, axes = plt.subplots(2, 8, figsize=(16, 4.4))
for i in range(8):
    axes[0, i].imshow(x[i, 0], cmap="gray", vmin=-1, vmax=1)
    axes[1, i].imshow(x[i, 0], cmap="gray", vmin=-1, vmax=1)
    axes[1, i].contour(y[i].numpy(), levels=[0.5], colors="r", linewidths=1)
    axes[0, i].axis("off")
    axes[1, i].axis("off")
plt.suptitle("liver-tumour task: LiTS window [-60, 140] HU, tumour outline in red")
plt.tight_layout()
plt.show()


# %% [markdown]
# A quick baseline shows how the metrics work and why the liver is easy but tumours are not:
# a *hand-made* segmenter that calls every pixel in the liver's HU band "liver" (no learning).
#
# **Predict, then run:** with no learning at all, what Dice do you expect for the liver
# (a large organ with its own HU band), and for the tumours (small, 65–145 HU darker)?

# %%
class HUBand(torch.nn.Module):
    """Two-class 'logits': foreground where the windowed HU lies in [lo, hi]."""

    def __init__(self, lo: float, hi: float):
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, x):
        fg = ((x > self.lo) & (x < self.hi)).float()[:, 0]
        return torch.stack([1 - fg, fg], dim=1) * 10


liver_test = md.segmentation_loaders("liver", n_cases=N_CASES)[2]
tumour_test = md.segmentation_loaders("liver_tumor", n_cases=N_CASES)[2]
# LiTS window: HU = -60 + (x + 1) * 100, so liver 85..140 HU -> x in [0.45, 1.0)
for name, loader, band in [("liver", liver_test, (0.45, 0.999)),
                           ("liver tumour", tumour_test, (-0.6, 0.15))]:
    res = md.segmentation_metrics(HUBand(*band), loader)
    print(f"HU threshold on {name:12s}: Dice {res['dice']:.3f}  VOE {res['voe']:.3f}  "
          f"RVD {res['rvd']:+.3f}  ({res['cases']} test cases)")

# %% [markdown]
# Thresholding already gives a rough liver (the spleen and the aorta's edges share its HU);
# for tumours it fails, because body fat, bowel and kidney sinus share the tumour's HU: the
# net must use context. `benchmarks/data_difficulty.py` calibrates the data: it trains a
# small U-Net (`medeff.models.unet.UNet`, width 8, 121k parameters) for 1,000 steps on each
# of the four tasks, and a small CNN on the organ patches,
# and writes what it measured to `benchmarks/results/data_difficulty.json`. The targets are
# organ Dice (liver, kidney) above 0.90 and tumour Dice (liver, kidney) between 0.4 and 0.8:
# room for knowledge distillation, whose case study (lecture 07) reports all four columns.
# The cell prints the last recorded run, with its date and load, and says where it misses a
# target.

# %%
import json
from pathlib import Path

results_file = Path(md.__file__).resolve().parents[3] / "benchmarks" / "results" / "data_difficulty.json"
if results_file.exists():
    bench = json.loads(results_file.read_text())
    print(f"benchmarks/data_difficulty.py, {bench['date']}, {bench['threads']} threads, "
          f"load {bench['load_average']} on {bench['cores']} cores")
    if bench["load_average"] > 2.5:
        print("  (a busy machine: the Dice values hold, the seconds are slower than on 2 idle cores)")
    for r in bench.get("unet", []):
        target = (0.9, 1.0) if "tumor" not in r["task"] else (0.4, 0.8)
        ok = target[0] <= r["dice"] <= target[1]
        print(f"  U-Net {r['params'] / 1e3:.0f}k, {r['task']:12s}: Dice {r['dice']:.3f} over {r['cases']} "
              f"test cases, {r['steps']} steps in {r['seconds']:.0f} s  "
              f"({'in' if ok else 'OUTSIDE'} the target {target})")
else:
    bench = {}
    print(f"no recorded benchmark: run `python benchmarks/data_difficulty.py` ({results_file})")

# %% [markdown]
# ## 6. Organ patches (MedMNIST-like classification)
#
# The compression lectures need a classification task that trains in minutes on a CPU. Like
# OrganAMNIST, each patch is the bounding box of one organ in one slice (made square, enlarged
# by a random margin, jittered), resized to 28×28 and stored as uint8 after the abdominal
# window W400/L40. Left and right kidney are separate classes, so a net must use context.
# The arrays use the MedMNIST `.npz` layout, so `md.organ_patch_loaders(path=...)` reads a
# real `organamnist.npz` too. Loaders yield `x` float32 (B, 1, 28, 28) in [0, 1] (uint8/255,
# not standardized) and `y` int64.

# %%
t = time.perf_counter()
patches = md.organ_patches(28, n_cases=N_CASES)
print(f"organ patches ready in {time.perf_counter() - t:.1f} s")
for split in ("train", "val", "test"):
    counts = np.bincount(patches[f"{split}_labels"][:, 0], minlength=len(md.ORGAN_CLASSES))
    print(f"{split:5s} {len(patches[f'{split}_labels']):6d} patches, per class {counts.tolist()}")

fig, axes = plt.subplots(len(md.ORGAN_CLASSES), 10, figsize=(10, 8.6))
for c, name in enumerate(md.ORGAN_CLASSES):
    idx = np.flatnonzero(patches["train_labels"][:, 0] == c)[:10]
    for j in range(10):
        axes[c, j].imshow(patches["train_images"][idx[j]], cmap="gray", vmin=0, vmax=255)
        axes[c, j].axis("off")
    axes[c, 0].set_title(name, fontsize=8, loc="left")
plt.tight_layout()
plt.show()

# %%
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as tmp:
    npz = Path(tmp) / "phantom_organ.npz"
    md.save_medmnist_npz(npz, patches)
    print(f"wrote {npz.name}: {npz.stat().st_size / 1e6:.1f} MB")
    train_p, val_p, test_p = md.organ_patch_loaders(path=str(npz))
    x, y = next(iter(train_p))
    print("read back through the MedMNIST loader:", tuple(x.shape), x.dtype, y.dtype,
          f"{len(train_p.dataset)} training patches")

# %% [markdown]
# `benchmarks/data_difficulty.py` also trains a small CNN for a few epochs on these patches
# (its size, epochs and time are printed below, with the load of the machine above). The target is 85–97 % test accuracy: high enough to be a fair classifier,
# not 100 %, so the accuracy cost of pruning and quantization stays visible. The recorded run:

# %%
if "organ_cnn" in bench:
    c = bench["organ_cnn"]
    ok = 0.85 <= c["test_accuracy"] <= 0.97
    print(f"organ-patch CNN {c['params'] / 1e3:.0f}k parameters, {c['epochs']} epochs: test accuracy "
          f"{100 * c['test_accuracy']:.1f} % in {c['seconds']:.0f} s "
          f"({'in' if ok else 'OUTSIDE'} the target 85-97 %)")
else:
    print("no recorded organ-patch CNN run")

# %% [markdown]
# ## 7. Pointing the loaders at real data
#
# Nothing is downloaded at run time. With the files on disk:
#
# ```python
# # LiTS: volume-N.nii / segmentation-N.nii (nibabel gives 512 x 512 x Z; returned as Z x H x W)
# image, labels, spacing = md.load_lits_case("/data/LiTS", 0)
# # KiTS19: case_00000/imaging.nii.gz + segmentation.nii.gz (already Z x H x W)
# image, labels, spacing = md.load_kits_case("/data/kits19/data/case_00000")
# # a DICOM series: a folder of slices, sorted by ImagePositionPatient, in HU
# volume, spacing = md.load_dicom_series("/data/some_ct_series/")
# # MedMNIST: the same loaders as the organ patches
# train, val, test = md.organ_patch_loaders(path="/data/medmnist/organamnist.npz")
# # real volumes in the segmentation protocol: resize slices to 96 x 96, then
# images = [md.resize_volume(image, 96)]
# labels_small = [md.resize_volume(labels, 96, labels=True)]
# # md.segmentation_loaders("liver", cases=(images, labels_small)) with several cases
# ```
#
# A missing file raises `md.DataFileMissing`, a corrupt one `md.DataFileError`; both name the
# file and say what was expected:

# %%
for call in (lambda: md.load_lits_case("/no/such/folder", 0),
             lambda: md.organ_patch_loaders(path="/no/such/organamnist.npz")):
    try:
        call()
    except (md.DataFileMissing, md.DataFileError) as err:
        print(f"{type(err).__name__}: {err}")

# %% [markdown]
# ## Take-aways
#
# * CT intensities are physical: HU from the DICOM rescale; every tissue has its range, and a
#   **window** (LiTS [−60, 140], KiTS [−200, 300]) maps the relevant range to the network's input.
# * The phantom is a controlled stand-in: right HU, noise and layout, labelled tumours of
#   varied size, deterministic and cached. Numbers on it are for comparing *methods*
#   (architectures, pruning, quantization, distillation), not for clinical claims.
# * Split by **case**, never by slice, and stratify the split by what is rare (here: which
#   tumours a case has), so that validation and test contain it; report Dice **per case**
#   (pooled over slices) and average over cases, with VOE and RVD, as the case study does.
# * The organ patches are MedMNIST-format: the same code runs on the real OrganAMNIST.

# %% [markdown]
# ## Exercises
#
# 1. **(code)** Complete the cell below: the fraction of liver slices (of the default cohort's
#    training split) that contain a liver tumour, and the median tumour size in pixels. What
#    does it say about how much a tumour model sees in training?
# 2. **(reason)** Why must the split be by case and not by slice? Describe what would go wrong
#    with a slice-level split on the liver-tumour task.
# 3. **(reason)** The phantom keeps the spleen darker than the liver. Predict how a liver
#    segmenter trained on the phantom would behave on a real portal-venous scan, and how you
#    would change the phantom to test it.
# 4. **(code)** Apply the KiTS window ([-200, 300] HU) instead of the LiTS window to the
#    phantom slice shown in section 2, and plot both side by side. Which structures gain
#    contrast?
# 5. **(reason)** Call `md.split_cases(N_CASES)` (no strata) and count the kidney-tumour
#    cases per split with `md.tumour_strata`. With 6 validation cases and tumours in a
#    fraction p of the cases, what is the chance that a random split leaves validation
#    without a tumour case? What would early stopping or model selection on such a split do?

# %%
# Exercise 1: tumour slices and sizes in the liver-tumour training split
cohort = md.phantom_cohort(N_CASES)
labels = md.lits_view(cohort["labels"])            # 0 background, 1 liver, 2 tumour
liver_slices = (labels > 0).any(axis=(2, 3))       # (cases, slices)
tumour_slices = (labels == 2).any(axis=(2, 3))
fraction = None  # YOUR CODE: the share of liver slices with a tumour
print("tumour slices / liver slices:", fraction)

# %%
print(f"notebook run time: {time.perf_counter() - T0:.0f} s (fast mode: {me.is_fast()})")

# %% [markdown]
# ## References
#
# * Qin D. et al., *Efficient Medical Image Segmentation Based on Knowledge Distillation*,
#   IEEE TMI 40(12):3820–3831, 2021 (code: github.com/EagleMIT/EMKD).
# * Bilic P. et al., *The Liver Tumor Segmentation Benchmark (LiTS)*, Medical Image Analysis 84, 2023.
# * Heller N. et al., *The KiTS19 challenge data*, arXiv:1904.00445, 2019.
# * Yang J. et al., *MedMNIST v2*, Scientific Data 10:41, 2023 (CC BY 4.0).
# * Hu Q. et al., *Label-Free Liver Tumor Segmentation*, CVPR 2023 (SyntheticTumors).
# * pydicom (MIT) test data `CT_small.dcm`; nibabel (MIT).
