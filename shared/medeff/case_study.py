"""Mechanics of the liver/kidney segmentation case study (Qin et al., IEEE TMI 2021).

Explained in: lecture 07 (case study: efficient medical image segmentation by knowledge
distillation).

What lives here, so the notebook stays short:

* the study's setup as data (:class:`Setup`: tasks, students, ablation variants, seeds,
  epochs) and the paper's quoted numbers (:data:`PAPER`);
* data plumbing (:func:`task_data`): train/test slice sets of the phantom (or of your own
  LiTS/KiTS volumes) for the four binary tasks, checked to contain target slices;
* training (:func:`train_teacher`, :func:`train_student`): the paper's loss
  ``L_seg + a PMD + b1 (IMD_low + IMD_high) + b2 (RAD_low + RAD_high)`` from
  :func:`medeff.distillation.emkd_loss`, Adam with a cosine schedule (:func:`medeff.fit`);
* evaluation (:func:`case_dice`): per-case Dice (counts pooled over a case's slices,
  foreground probability > 0.4, averaged over cases with a non-empty target);
* the shipped teacher/student checkpoints with their sha256 (:func:`load_zoo`,
  :func:`save_zoo`; reproduced by ``benchmarks/train_case_study_teachers.py``);
* the results table in the seed's format (:func:`results_table`), the ablation table
  (:func:`ablation_table`) and overlays (:func:`plot_overlays`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from . import data as md
from .models.segmenters import make_segmenter
from .models.unet import UNet
from .training import fit, seeded_loader, set_seed

# the shipped checkpoints; $MEDEFF_CASE_STUDY_CHECKPOINTS points elsewhere (your own run)
CHECKPOINTS = Path(
    os.environ.get("MEDEFF_CASE_STUDY_CHECKPOINTS")
    or Path(__file__).resolve().parent / "checkpoints" / "case_study"
)
TASK_ORDER = ("liver_tumor", "liver", "kidney_tumor", "kidney")
TASK_TITLES = {
    "liver_tumor": "Liver Tumor Dice",
    "liver": "Liver Dice",
    "kidney_tumor": "Kidney Tumor Dice",
    "kidney": "Kidney Dice",
}
STUDENT_TITLES = {"enet": "ENet", "mobilenetv2": "MobileNetV2", "resnet18": "ResNet18"}

# Loss weights of the ablation variants: (a for PMD, b1 for IMD, b2 for RAD).
VARIANTS: dict[str, tuple[float, float, float]] = {
    "baseline": (0.0, 0.0, 0.0),
    "PMD": (0.1, 0.0, 0.0),
    "IMD": (0.0, 0.9, 0.0),
    "RAD": (0.0, 0.0, 0.9),
    "PMD+IMD+RAD": (0.1, 0.9, 0.9),
}
FULL = "PMD+IMD+RAD"

# The seed's table (Qin et al. 2021, Table; teacher T1 = RA-UNet): (mean, std) per task,
# #params in millions (None where the seed leaves the cell empty).
PAPER: dict[str, dict] = {
    "teacher": {
        "liver_tumor": (0.685, 0.004),
        "liver": (0.960, 0.001),
        "kidney_tumor": (0.745, 0.003),
        "kidney": (0.970, 0.001),
        "params_m": 22.1,
        "name": "T1: RA-UNet",
    },
    "enet": {
        "liver_tumor": (0.574, 0.005),
        "liver": (0.952, 0.001),
        "kidney_tumor": (0.521, 0.015),
        "kidney": (0.939, 0.001),
        "params_m": 0.353,
    },
    "enet+kd": {
        "liver_tumor": (0.652, 0.005),
        "liver": (0.959, 0.001),
        "kidney_tumor": (0.676, 0.007),
        "kidney": (0.965, 0.001),
        "params_m": 0.353,
    },
    "mobilenetv2": {
        "liver_tumor": (0.540, 0.003),
        "liver": (0.921, 0.002),
        "kidney_tumor": (0.516, 0.009),
        "kidney": (0.945, 0.001),
        "params_m": 2.2,
    },
    "mobilenetv2+kd": {
        "liver_tumor": (0.595, 0.004),
        "liver": (0.932, 0.002),
        "kidney_tumor": (0.684, 0.006),
        "kidney": (0.952, 0.001),
        "params_m": 2.2,
    },
    "resnet18": {
        "liver_tumor": (0.464, 0.008),
        "liver": (0.934, 0.001),
        "kidney_tumor": (0.435, 0.005),
        "kidney": (0.933, 0.001),
        "params_m": 11.2,
    },
    "resnet18+kd": {
        "liver_tumor": (0.508, 0.004),
        "liver": (0.943, 0.001),
        "kidney_tumor": (0.582, 0.008),
        "kidney": (0.939, 0.001),
        "params_m": 11.2,
    },
}


@dataclass(frozen=True)
class Setup:
    """Everything that determines the case study's weights (and its cache keys).

    ``size``: slices are resampled from the phantom's 96x96 to ``size`` x ``size`` (48 by
    default, so the whole study trains on 2 CPU cores). Tumour tasks get the ablation (every variant in ``variants``) and ``seeds``, organ
    tasks only the baseline and the full loss and ``organ_seeds``. ``epochs`` is per task:
    the paper trains 30 epochs of batch 16; on 2 CPU cores the defaults are shorter (the
    organ tasks have 3-10x more slices and reach high Dice within 2 epochs). Explained
    in: lecture 07.
    """

    n_cases: int = md.cohort.DEFAULT_CASES
    data_seed: int = 0
    size: int = 48
    tasks: tuple[str, ...] = TASK_ORDER
    students: tuple[str, ...] = ("enet", "mobilenetv2", "resnet18")
    ablation_students: tuple[str, ...] = ("enet", "mobilenetv2")
    variants: tuple[str, ...] = tuple(VARIANTS)
    seeds: tuple[int, ...] = (0, 1, 2)
    organ_seeds: tuple[int, ...] = (0,)
    teacher_width: int = 8
    student_kwargs: dict = field(
        default_factory=lambda: {
            "enet": {"width": 8},
            "mobilenetv2": {"width_mult": 1.0},
            "resnet18": {"width": 6},
        }
    )
    epochs: dict = field(
        default_factory=lambda: {"liver_tumor": 15, "kidney_tumor": 30, "liver": 2, "kidney": 2}
    )
    teacher_epochs: dict = field(
        default_factory=lambda: {"liver_tumor": 25, "kidney_tumor": 40, "liver": 3, "kidney": 3}
    )
    lr: float = 1e-2
    teacher_lr: float = 5e-3
    batch_size: int = 16
    temperature: float = 4.0

    def runs(self, task: str) -> list[tuple[str, str, int]]:
        """The (student, variant, seed) runs of ``task`` in this setup."""
        tumour = task.endswith("_tumor")
        out = []
        for seed in self.seeds if tumour else self.organ_seeds:
            for kind in self.students:
                for variant in self.variants:
                    if variant in ("baseline", FULL) or (tumour and kind in self.ablation_students):
                        out.append((kind, variant, seed))
        return out

    def to_json(self) -> dict:
        """The setup as a JSON-able dict (for manifests and cache keys)."""
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def fast_setup(setup: Setup | None = None) -> Setup:
    """A small variant of ``setup`` for fast mode and tests: 20 cases (every task keeps
    target slices in train and test), two students, baseline and full loss, one seed."""
    setup = setup or Setup()
    return replace(
        setup,
        n_cases=20,
        students=("enet", "mobilenetv2"),
        ablation_students=(),
        variants=("baseline", FULL),
        seeds=(0,),
        organ_seeds=(0,),
        teacher_width=8,
        epochs=dict.fromkeys(TASK_ORDER, 1),
        teacher_epochs=dict.fromkeys(TASK_ORDER, 1),
    )


# ---------------------------------------------------------------------------- models
def make_teacher(setup: Setup) -> UNet:
    """The teacher: the course's U-Net (``base_width = setup.teacher_width``, 4 levels),
    with stride-2 ``"low"`` and stride-8 ``"high"`` taps. Explained in: lecture 07."""
    return UNet(base_width=setup.teacher_width)


def make_student(kind: str, setup: Setup) -> nn.Module:
    """A student segmenter of :mod:`medeff.models.segmenters` with the setup's width."""
    return make_segmenter(kind, **setup.student_kwargs.get(kind, {}))


# ------------------------------------------------------------------------------ data
@dataclass
class TaskData:
    """Train and test slices of one task (the val split is not used: the study trains a
    fixed schedule and reports the test split, and the phantom's kidney-tumour val split
    can be empty)."""

    task: str
    train: md.SliceDataset
    test: md.SliceDataset

    def train_loader(
        self, batch_size: int, seed: int, dataset: Dataset | None = None
    ) -> DataLoader:
        """Shuffled training batches (order fixed by ``seed``) of ``dataset`` (default:
        the training slices; e.g. :func:`teacher_outputs` of them)."""
        ds = self.train if dataset is None else dataset
        return seeded_loader(ds, seed, batch_size, drop_last=len(ds) > batch_size)  # type: ignore[return-value]

    def test_loader(self, batch_size: int = 64) -> DataLoader:
        return DataLoader(self.test, batch_size=batch_size)


def task_data(
    task: str, setup: Setup, cases: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None
) -> TaskData:
    """Train/test :class:`~medeff.data.SliceDataset` of ``task`` (target slices only, as
    in the paper), from the phantom cohort of ``setup`` or from ``cases = (HU volumes,
    label volumes)`` (e.g. LiTS/KiTS read with :func:`medeff.data.load_lits_case`).

    Raises ``ValueError`` when a split has no target slice (e.g. a few real cases none of
    which has a tumour). Explained in: lecture 07 ("Data").
    """
    train, _, test = md.segmentation_datasets(
        task, setup.data_seed, n_cases=setup.n_cases, cases=cases
    )
    for ds in (train, test):
        resample_slices(ds, setup.size)
    for name, ds in (("train", train), ("test", test)):
        if len(ds) == 0:
            raise ValueError(
                f"task {task!r}: the {name} split has no slice with the target "
                f"({setup.n_cases} cases); use more cases"
            )
    return TaskData(task, train, test)


def resample_slices(ds: md.SliceDataset, size: int) -> md.SliceDataset:
    """Resample a slice set in place to ``size`` x ``size``: images by area averaging,
    masks by area fraction > 0.5; slices whose target vanishes are dropped (the set keeps
    only slices with the target). Explained in: lecture 07 ("Data")."""
    if len(ds) == 0 or ds.x.shape[-1] == size:
        return ds
    ds.x = F.interpolate(ds.x, size=(size, size), mode="area")
    frac = F.interpolate(ds.y[:, None].float(), size=(size, size), mode="area")[:, 0]
    ds.y = (frac > 0.5).long()
    keep = ds.y.reshape(len(ds.y), -1).any(1).numpy()
    ds.x, ds.y = ds.x[torch.from_numpy(keep)], ds.y[torch.from_numpy(keep)]
    ds.case_ids, ds.slice_ids = ds.case_ids[keep], ds.slice_ids[keep]
    return ds


def real_cases(
    root: str | Path, task: str, n_cases: int, size: int = 96
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n_cases`` real volumes for ``task`` from a local folder, resized to ``size``.

    Liver tasks read LiTS (``root/volume-N.nii``, ``segmentation-N.nii``, N = 0, 1, ...),
    kidney tasks KiTS19 (``root/case_00000/imaging.nii.gz`` ...), through
    :func:`medeff.data.load_lits_case` / :func:`medeff.data.load_kits_case`. Pass the
    result as ``cases=`` to :func:`task_data`. Nothing is downloaded. Explained in:
    lecture 07 ("Real data"); lecture A (the loaders).
    """
    images, labels = [], []
    for i in range(n_cases):
        if md.TASKS[task]["view"] == "lits":
            image, lab, _ = md.load_lits_case(root, i)
        else:
            image, lab, _ = md.load_kits_case(Path(root) / f"case_{i:05d}")
        images.append(md.resize_volume(image, size))
        labels.append(md.resize_volume(lab, size, labels=True))
    return images, labels


def fingerprint(ds: md.SliceDataset) -> str:
    """A short hash of a slice set's images and masks (to detect changed data)."""
    h = hashlib.sha256()
    for t in (ds.x, ds.y):
        h.update(str(tuple(t.shape)).encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


# -------------------------------------------------------------------------- training
@torch.no_grad()
def teacher_outputs(
    teacher: nn.Module,
    ds: md.SliceDataset,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> TensorDataset:
    """The frozen teacher's logits and low/high features on every training slice, once.

    Items are ``(x, y, logits, low, high)``; :func:`distillation_step` then reads the
    teacher from the batch instead of running it at every step. Without data
    augmentation this gives the same loss as running the teacher online, at the cost of
    one forward pass per slice instead of one per slice and epoch. Explained in:
    lecture 07 ("Caching the teacher").
    """
    teacher.eval().to(device)
    outs: list[list[torch.Tensor]] = [[], [], []]
    for i in range(0, len(ds), batch_size):
        logits, feats = _with_features(teacher, ds.x[i : i + batch_size].to(device))
        for store, t in zip(outs, (logits, feats[0], feats[1]), strict=True):
            store.append(t.cpu())
    teacher.cpu()
    return TensorDataset(ds.x, ds.y, *(torch.cat(o) for o in outs))


def _with_features(model: nn.Module, x: torch.Tensor):
    out = model(x, return_features=True)
    return out[0], [out[1]["low"], out[1]["high"]]


def distillation_step(
    teacher: nn.Module | None,
    weights: tuple[float, float, float],
    temperature: float = 4.0,
    log: dict | None = None,
) -> Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor]:
    """A ``train_step(model, batch) -> loss`` for :func:`medeff.fit`: the paper's total
    loss with weights ``(a, b1, b2)`` for PMD, IMD (low + high) and RAD (low + high).

    With ``teacher=None`` or all weights 0 it is ``L_seg`` alone (the baseline). The
    teacher runs in eval mode without gradients. ``log`` (a dict) accumulates the mean of
    each loss part. Explained in: lecture 07 ("The total loss").
    """
    from .distillation import emkd_loss

    a, b1, b2 = weights
    use_teacher = teacher is not None and (a or b1 or b2)
    if use_teacher:
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    def step(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = batch[0], batch[1]
        if use_teacher and len(batch) == 5:  # teacher outputs cached (teacher_outputs)
            t_logits, t_feats = batch[2], [batch[3], batch[4]]
            s_logits, s_feats = _with_features(model, x)
        elif use_teacher:
            with torch.no_grad():
                t_logits, t_feats = _with_features(teacher, x)
            s_logits, s_feats = _with_features(model, x)
        else:
            s_logits, s_feats, t_logits, t_feats = model(x), [], None, []
            t_logits = s_logits.detach()
        parts = emkd_loss(
            s_logits, t_logits, y, s_feats, t_feats, pmd=a, imd=b1, rad=b2, temperature=temperature
        )
        if log is not None:
            log["steps"] = log.get("steps", 0) + 1
            for k, v in parts.items():
                log[k] = log.get(k, 0.0) + float(v.detach())
        return parts["total"]

    return step


def train_teacher(
    task_data_: TaskData, setup: Setup, device: str | torch.device = "cpu", progress: bool = False
) -> tuple[nn.Module, dict]:
    """Train the teacher alone with ``L_seg`` (then it is frozen). Returns the model (on
    CPU, eval mode) and a record with the test Dice. Explained in: lecture 07."""
    set_seed(setup.data_seed)
    model = make_teacher(setup)
    epochs = setup.teacher_epochs[task_data_.task]
    hist = fit(
        model,
        task_data_.train_loader(setup.batch_size, setup.data_seed),
        epochs=epochs,
        lr=setup.teacher_lr,
        train_step=distillation_step(None, (0, 0, 0)),
        device=device,
        progress=progress,
        desc=f"teacher {task_data_.task}",
    )
    model.cpu().eval()
    return model, {"train_loss": hist.last("train_loss"), "epochs": epochs}


def train_student(
    kind: str,
    variant: str,
    seed: int,
    task_data_: TaskData,
    teacher: nn.Module | None,
    setup: Setup,
    device: str | torch.device = "cpu",
    progress: bool = False,
    teacher_cache: TensorDataset | None = None,
) -> tuple[nn.Module, dict]:
    """Train one student: ``variant`` names the loss weights in :data:`VARIANTS`
    (``"baseline"`` = ``L_seg`` only). The same ``seed`` gives every variant the same
    initial weights and batch order, so variants compare paired. The teacher's outputs
    are computed once (:func:`teacher_outputs`; pass ``teacher_cache`` to reuse them
    across runs). Explained in: lecture 07.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {list(VARIANTS)}")
    weights = VARIANTS[variant]
    if any(weights) and teacher is None:
        raise ValueError(f"variant {variant!r} needs a teacher")
    set_seed(seed)
    model = make_student(kind, setup)
    if teacher is not None:
        teacher.to(device)
    log: dict = {}
    epochs = setup.epochs[task_data_.task]
    train_set = (
        teacher_outputs(teacher, task_data_.train, device=device)
        if teacher_cache is None and any(weights)
        else teacher_cache
    )
    loader = task_data_.train_loader(
        setup.batch_size, seed, dataset=train_set if any(weights) else None
    )
    fit(
        model,
        loader,
        epochs=epochs,
        lr=setup.lr,
        train_step=distillation_step(teacher, weights, setup.temperature, log),
        device=device,
        progress=progress,
        desc=f"{kind} {variant} {task_data_.task}",
    )
    model.cpu().eval()
    if teacher is not None:
        teacher.cpu()
    steps = max(log.pop("steps", 1), 1)
    return model, {"epochs": epochs, **{f"loss_{k}": v / steps for k, v in log.items()}}


# ------------------------------------------------------------------------ evaluation
def case_dice(
    model: nn.Module,
    test: md.SliceDataset,
    device: str | torch.device = "cpu",
    batch_size: int = 64,
) -> dict[int, float]:
    """Per-case Dice on ``test`` as the paper evaluates it: foreground probability > 0.4,
    counts pooled over each case's slices; only cases with a non-empty target.
    Explained in: lecture 07 ("Evaluation"); lecture A (the metric)."""
    model.to(device)
    res = md.segmentation_metrics(model, DataLoader(test, batch_size=batch_size), device=device)
    model.cpu()
    return {s.case: s.dice for s in res["per_case"] if s.gt_voxels > 0}


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


# ------------------------------------------------------------------- the whole study
@dataclass
class Zoo:
    """Trained teachers and students of the study, with their records.

    ``teachers[task]``, ``students[(task, kind, variant, seed)]``; ``records`` holds the
    training records and (after :func:`evaluate_zoo`) ``dice[key] = {case: Dice}``.
    """

    setup: Setup
    teachers: dict[str, nn.Module] = field(default_factory=dict)
    students: dict[tuple[str, str, str, int], nn.Module] = field(default_factory=dict)
    records: dict[str, dict] = field(default_factory=dict)
    dice: dict[str, dict[int, float]] = field(default_factory=dict)


def run_key(task: str, kind: str, variant: str | None = None, seed: int | None = None) -> str:
    """The string key of a run: ``"liver_tumor/teacher"`` or ``"liver_tumor/enet/PMD/0"``."""
    return f"{task}/{kind}" if variant is None else f"{task}/{kind}/{variant}/{seed}"


def train_zoo(
    setup: Setup,
    data: Mapping[str, TaskData],
    *,
    device: str | torch.device = "cpu",
    cached: bool = True,
    progress: bool = False,
    on_done: Callable[[str], None] | None = None,
) -> Zoo:
    """Train every teacher and student of ``setup`` (``RETRAIN = True`` in lecture 07).

    With ``cached=True`` each net goes through :func:`medeff.train_cached`, keyed by the
    setup, the run and the data fingerprint, so a second run loads instead of training.
    Explained in: lecture 07 ("Retraining everything").
    """
    from .model_cache import train_cached

    zoo = Zoo(setup)
    cfg = setup.to_json()
    for task in setup.tasks:
        td = data[task]
        fp = fingerprint(td.train)

        def tr_teacher(m: nn.Module, td: TaskData = td) -> dict:
            trained, rec = train_teacher(td, setup, device, progress)
            m.load_state_dict(trained.state_dict())
            return rec

        if cached:
            teacher, rec = train_cached(
                f"case-study-teacher-{task}",
                {"setup": cfg, "task": task, "data": fp},
                lambda: make_teacher(setup),
                tr_teacher,
            )
        else:
            teacher, rec = train_teacher(td, setup, device, progress)
        zoo.teachers[task], zoo.records[run_key(task, "teacher")] = teacher, rec
        if on_done:
            on_done(run_key(task, "teacher"))
        for kind, variant, seed in setup.runs(task):
            key = run_key(task, kind, variant, seed)

            def tr_student(
                m: nn.Module,
                kind: str = kind,
                variant: str = variant,
                seed: int = seed,
                td: TaskData = td,
                teacher: nn.Module = teacher,
            ) -> dict:
                trained, rec = train_student(
                    kind, variant, seed, td, teacher, setup, device, progress
                )
                m.load_state_dict(trained.state_dict())
                return rec

            if cached:
                model, rec = train_cached(
                    f"case-study-student-{task}",
                    {"setup": cfg, "run": key, "data": fp},
                    lambda kind=kind: make_student(kind, setup),
                    tr_student,
                )
            else:
                model, rec = train_student(
                    kind, variant, seed, td, teacher, setup, device, progress
                )
            zoo.students[(task, kind, variant, seed)], zoo.records[key] = model, rec
            if on_done:
                on_done(key)
    return zoo


def get_zoo(
    setup: Setup, data: Mapping[str, TaskData], retrain: bool = False, folder: Path = CHECKPOINTS
) -> Zoo:
    """The study's trained nets: retrained (cached, :func:`train_zoo`) when ``retrain``,
    else the shipped checkpoints (:func:`load_zoo`; a warning names tasks whose data
    differ from those the checkpoints were made on). Explained in: lecture 07."""
    if retrain:
        return train_zoo(setup, data)
    zoo = load_zoo(folder, tasks=[t for t in setup.tasks if t in data])
    changed = check_data(zoo, data)
    if changed:
        print(
            f"warning: the data of {changed} differ from those the shipped checkpoints "
            "were trained on (phantom changed?): set RETRAIN = True for matching nets"
        )
    return zoo


def evaluate_zoo(
    zoo: Zoo,
    data: Mapping[str, TaskData],
    *,
    seeds: Sequence[int] | None = None,
    device: str | torch.device = "cpu",
) -> Zoo:
    """Per-case test Dice of every teacher and student (of ``seeds``, default all) into
    ``zoo.dice``. Explained in: lecture 07 ("Evaluation")."""
    for task, teacher in zoo.teachers.items():
        zoo.dice[run_key(task, "teacher")] = case_dice(teacher, data[task].test, device)
    for (task, kind, variant, seed), model in zoo.students.items():
        if seeds is None or seed in seeds:
            zoo.dice[run_key(task, kind, variant, seed)] = case_dice(model, data[task].test, device)
    return zoo


def mean_dice(zoo: Zoo, task: str, kind: str, variant: str | None = None) -> list[float]:
    """Mean per-case Dice of each evaluated seed of a run (one value for a teacher)."""
    if variant is None:
        d = zoo.dice.get(run_key(task, kind))
        return [] if d is None else [float(np.mean(list(d.values())))]
    out = []
    for seed in zoo.setup.seeds:
        d = zoo.dice.get(run_key(task, kind, variant, seed))
        if d:
            out.append(float(np.mean(list(d.values()))))
    return out


# ------------------------------------------------------------------------ checkpoints
def pack_states(states: Mapping[str, Mapping[str, torch.Tensor]]) -> dict:
    """Pack state dicts of one architecture into ``{"keys", "shapes", "runs": {name: one
    flat fp16 tensor}}`` (integer buffers such as BatchNorm's step counters are dropped).
    One flat tensor per net keeps the file small: ``torch.save`` pays ~0.5 kB per tensor."""
    first = next(iter(states.values()))
    keys = [k for k, v in first.items() if v.is_floating_point()]
    return {
        "keys": keys,
        "shapes": [list(first[k].shape) for k in keys],
        "runs": {
            name: torch.cat([st[k].detach().reshape(-1).half() for k in keys])
            for name, st in states.items()
        },
    }


def unpack_state(packed: Mapping, name: str, model: nn.Module) -> nn.Module:
    """Load run ``name`` of :func:`pack_states` output into ``model`` (fp32), eval mode."""
    flat = packed["runs"][name].float()
    state = dict(model.state_dict())
    offset = 0
    for key, shape in zip(packed["keys"], packed["shapes"], strict=True):
        n = math.prod(shape)
        if key not in state or list(state[key].shape) != list(shape):
            raise ValueError(f"checkpoint entry {key} {shape} does not fit the model")
        state[key] = flat[offset : offset + n].reshape(shape)
        offset += n
    if offset != flat.numel():
        raise ValueError("checkpoint size does not match the model")
    model.load_state_dict(state)
    return model.eval()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_zoo(
    zoo: Zoo,
    folder: Path,
    data: Mapping[str, TaskData] | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict:
    """Write the zoo as small fp16 checkpoints (:func:`pack_states`) plus ``manifest.json`` (sha256 of every
    file, the setup, data fingerprints, records, per-case Dice).

    One file per teacher (``teacher_<task>.pt``) and one per (task, student)
    (``students_<task>_<kind>.pt``, a dict ``"variant/seed" -> state_dict``), so each
    file stays well under 2 MB. Explained in: lecture 07 ("Shipped checkpoints").
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}

    def write(name: str, obj: object) -> None:
        buf = io.BytesIO()
        torch.save(obj, buf)
        (folder / name).write_bytes(buf.getvalue())
        files[name] = _sha256(folder / name)

    for task, teacher in zoo.teachers.items():
        write(f"teacher_{task}.pt", pack_states({"teacher": teacher.state_dict()}))
    groups: dict[tuple[str, str], dict] = {}
    for (task, kind, variant, seed), model in zoo.students.items():
        groups.setdefault((task, kind), {})[f"{variant}/{seed}"] = model.state_dict()
    for (task, kind), states in groups.items():
        write(f"students_{task}_{kind}.pt", pack_states(states))
    manifest = {
        "setup": zoo.setup.to_json(),
        "files": files,
        "records": zoo.records,
        "dice": {k: {str(c): v for c, v in d.items()} for k, d in zoo.dice.items()},
        "data": {
            t: {"train": fingerprint(d.train), "test": fingerprint(d.test)}
            for t, d in (data or {}).items()
        },
        **(dict(extra) if extra else {}),
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8"
    )
    return manifest


def _setup_from_json(d: Mapping[str, object]) -> Setup:
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return Setup(**kw)


def load_manifest(folder: Path = CHECKPOINTS) -> dict:
    """The ``manifest.json`` of a checkpoint folder (see :func:`save_zoo`)."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no case-study checkpoints in {folder} (manifest.json "
            "missing): set RETRAIN = True or run "
            "benchmarks/train_case_study_teachers.py"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def shipped_setup(folder: Path = CHECKPOINTS) -> Setup:
    """The :class:`Setup` the shipped checkpoints were trained with (from the manifest)."""
    return _setup_from_json(load_manifest(folder)["setup"])


def load_zoo(
    folder: Path = CHECKPOINTS,
    tasks: Sequence[str] | None = None,
    students: Sequence[str] | None = None,
) -> Zoo:
    """Load shipped checkpoints after checking each file's sha256 against the manifest.

    The models are fp32 copies of the fp16-stored weights, in eval mode; ``zoo.dice`` is
    empty (evaluate with :func:`evaluate_zoo`); the Dice recorded when the checkpoints
    were made are in ``zoo.records["recorded_dice"]``. Explained in: lecture 07.
    """
    folder = Path(folder)
    manifest = load_manifest(folder)
    setup = _setup_from_json(manifest["setup"])
    zoo = Zoo(setup, records=dict(manifest.get("records", {})))
    zoo.records["recorded_dice"] = manifest.get("dice", {})
    zoo.records["data"] = manifest.get("data", {})
    tasks = list(tasks or setup.tasks)
    students = list(students or setup.students)

    def read(name: str) -> dict:
        path = folder / name
        if name not in manifest["files"] or not path.exists():
            raise FileNotFoundError(f"checkpoint {path} missing")
        digest = _sha256(path)
        if digest != manifest["files"][name]:
            raise ValueError(
                f"checkpoint {path} has sha256 {digest[:16]}..., the manifest "
                f"says {manifest['files'][name][:16]}...: corrupt or replaced"
            )
        return torch.load(path, weights_only=True)

    for task in tasks:
        zoo.teachers[task] = unpack_state(
            read(f"teacher_{task}.pt"), "teacher", make_teacher(setup)
        )
        for kind in students:
            name = f"students_{task}_{kind}.pt"
            if name not in manifest["files"]:
                continue
            packed = read(name)
            for run in packed["runs"]:
                variant, seed = run.rsplit("/", 1)
                zoo.students[(task, kind, variant, int(seed))] = unpack_state(
                    packed, run, make_student(kind, setup)
                )
    return zoo


def check_data(zoo: Zoo, data: Mapping[str, TaskData]) -> list[str]:
    """Tasks whose train/test data differ from those the shipped checkpoints were made on
    (e.g. after a change of the phantom): their numbers are then not the recorded ones."""
    changed = []
    for task, td in data.items():
        rec = zoo.records.get("data", {}).get(task)
        if rec and (rec["train"] != fingerprint(td.train) or rec["test"] != fingerprint(td.test)):
            changed.append(task)
    return changed


# ----------------------------------------------------------------------------- tables
def _fmt(ms: tuple[float, float] | None, bold: bool = False, runs: int = 2) -> str:
    if ms is None or math.isnan(ms[0]):
        return "n/a"
    text = f"{ms[0]:.3f} ± {ms[1]:.3f}" if runs > 1 else f"{ms[0]:.3f} (1 run)"
    return f"**{text}**" if bold else text


def results_table(
    zoo: Zoo, params: Mapping[str, int], teacher_params: int, paper: Mapping[str, dict] = PAPER
) -> str:
    """The seed's table as Markdown: Method | Liver Tumor Dice | Liver Dice | Kidney Tumor
    Dice | Kidney Dice | #Params (M), measured mean ± std over seeds (std over seeds of
    the mean per-case Dice; "(1 run)" where there is one, e.g. the teacher), each with the
    paper's quoted value in parentheses. Explained in: lecture 07 ("The results table")."""
    tasks = [t for t in TASK_ORDER if t in zoo.setup.tasks]
    head = ["Method"] + [TASK_TITLES[t] for t in tasks] + ["#Params (M)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(
        name: str,
        values: list[tuple[float, float] | None],
        prow: dict | None,
        n_params: int,
        runs: list[int],
    ) -> None:
        cells = [name]
        for t, v, n in zip(tasks, values, runs, strict=True):
            quoted = f" ({_fmt(prow[t])})" if prow and t in prow else ""
            cells.append(_fmt(v, runs=n) + quoted)
        pq = f" ({prow['params_m']})" if prow and prow.get("params_m") else ""
        cells.append(f"{n_params / 1e6:.3f}{pq}")
        lines.append("| " + " | ".join(cells) + " |")

    row(
        f"Teacher: U-Net (w{zoo.setup.teacher_width})",
        [
            mean_std(mean_dice(zoo, t, "teacher")) if mean_dice(zoo, t, "teacher") else None
            for t in tasks
        ],
        paper.get("teacher"),
        teacher_params,
        [1] * len(tasks),
    )
    for kind in zoo.setup.students:
        title = STUDENT_TITLES.get(kind, kind)
        for variant, suffix, pkey in (
            ("baseline", "", kind),
            (FULL, " + T (PMD+IMD+RAD)", f"{kind}+kd"),
        ):
            vals = [
                mean_std(mean_dice(zoo, t, kind, variant))
                if mean_dice(zoo, t, kind, variant)
                else None
                for t in tasks
            ]
            row(
                f"{title}-like{suffix}",
                vals,
                paper.get(pkey),
                params[kind],
                [len(mean_dice(zoo, t, kind, variant)) for t in tasks],
            )
    return "\n".join(lines)


def paired_gain(
    zoo: Zoo, task: str, kind: str, variant: str, base: str = "baseline"
) -> tuple[float, float, int, int]:
    """Mean and std over seeds of (variant - baseline) mean per-case Dice, paired by seed,
    and how many of the seeds improved / how many seeds."""
    gains = []
    for seed in zoo.setup.seeds:
        a = zoo.dice.get(run_key(task, kind, variant, seed))
        b = zoo.dice.get(run_key(task, kind, base, seed))
        if a and b:
            gains.append(float(np.mean(list(a.values())) - np.mean(list(b.values()))))
    m, s = mean_std(gains)
    return m, s, int(sum(g > 0 for g in gains)), len(gains)


def ablation_table(zoo: Zoo, tasks: Sequence[str] = ("liver_tumor", "kidney_tumor")) -> str:
    """Markdown table of the ablation: each variant's mean ± std Dice over seeds and its
    paired gain over the baseline (seeds improved / seeds). Explained in: lecture 07."""
    tasks = [t for t in tasks if t in zoo.setup.tasks]
    head = (
        ["Student", "Loss"]
        + [TASK_TITLES[t] for t in tasks]
        + [f"gain {TASK_TITLES[t].replace(' Dice', '')}" for t in tasks]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in zoo.setup.students:
        for variant in zoo.setup.variants:
            vals = [mean_dice(zoo, t, kind, variant) for t in tasks]
            if not any(vals):
                continue
            cells = [
                STUDENT_TITLES.get(kind, kind) + "-like",
                "L_seg" if variant == "baseline" else f"L_seg + {variant}",
            ]
            cells += [_fmt(mean_std(v), runs=len(v)) if v else "n/a" for v in vals]
            for t in tasks:
                if variant == "baseline":
                    cells.append("—")
                    continue
                m, s, up, n = paired_gain(zoo, t, kind, variant)
                cells.append("n/a" if n == 0 else f"{m:+.3f} ± {s:.3f} ({up}/{n})")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- figures
@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, threshold: float = 0.4) -> torch.Tensor:
    """Binary masks (foreground probability > ``threshold``) of slices ``x`` (B, 1, H, W)."""
    from .metrics import foreground_probability

    model.eval()
    return foreground_probability(model(x)) > threshold


def pick_slices(ds: md.SliceDataset, n: int = 4) -> list[int]:
    """Indices of ``n`` test slices from different cases, each its case's slice with the
    largest target area (so the overlays show the structure)."""
    area = ds.y.reshape(len(ds), -1).sum(1).numpy()
    best = {}
    for i, (c, a) in enumerate(zip(ds.case_ids, area, strict=True)):
        if a > 0 and (c not in best or a > area[best[c]]):
            best[c] = i
    order = sorted(best.values(), key=lambda i: -area[i])
    return sorted(order[:n])


def plot_overlays(
    ds: md.SliceDataset,
    models: Mapping[str, nn.Module],
    indices: Sequence[int],
    title: str = "",
    threshold: float = 0.4,
):
    """A grid: one row per slice; columns image, ground truth, then each model's mask
    (names = column titles), contours on the CT, per-slice Dice in the title.
    Explained in: lecture 07 ("Overlays")."""
    import matplotlib.pyplot as plt

    from .distillation import dice_coefficient

    x = ds.x[list(indices)]
    y = ds.y[list(indices)]
    preds = {name: predict(m, x, threshold) for name, m in models.items()}
    cols = 2 + len(preds)
    fig, axes = plt.subplots(
        len(indices), cols, figsize=(2.4 * cols, 2.4 * len(indices)), squeeze=False
    )
    for r in range(len(indices)):
        img = x[r, 0].numpy()
        panels = [("image", None), ("ground truth", y[r])] + [(k, v[r]) for k, v in preds.items()]
        for c, (name, mask) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(img, cmap="gray", vmin=-1, vmax=1)
            label = name
            if mask is not None:
                m = mask.numpy().astype(float)
                ax.imshow(
                    np.ma.masked_where(m == 0, m),
                    cmap="autumn",
                    alpha=0.5,
                    vmin=0,
                    vmax=1,
                    interpolation="nearest",
                )
                if c > 1:
                    label = f"{name}\nDice {dice_coefficient(mask, y[r]):.2f}"
            ax.set_title(label if r == 0 or c > 1 else "", fontsize=8)
            ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
