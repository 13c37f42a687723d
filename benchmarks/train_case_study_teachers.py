"""Reproduce the shipped checkpoints of lecture 07 (the liver/kidney distillation case study).

Trains, for the four phantom tasks (liver tumour, liver, kidney tumour, kidney), the
U-Net teacher alone, then every student run of ``medeff.case_study.Setup`` (ENet-,
MobileNetV2- and ResNet18-like students; baseline, the full loss, and on the tumour tasks
the ablation PMD / IMD / RAD alone; several seeds), evaluates per-case test Dice, and
writes fp16 checkpoints + ``manifest.json`` (sha256 of each file, setup, data
fingerprints, training records, per-case Dice) with :func:`medeff.case_study.save_zoo`.

Usage::

    python benchmarks/train_case_study_teachers.py --out shared/medeff/checkpoints/case_study \
        [--device cuda] [--workers 12] [--budget-s 420] [--fast]

Runs go to a pool of worker processes (each one torch thread); on a GPU they share the
device. Jobs are queued by priority (teachers, then tumour tasks seed by seed, then organ
tasks); after ``--budget-s`` seconds no further job starts and the finished ones are
saved (the manifest lists what is missing). Raw weights stay in ``--work``; a second
call with the same ``--work`` resumes (finished runs are loaded, not retrained). The whole
default setup (4 teachers, 84 student runs, batch 16 at 48x48) took 119 s with 14 workers
on one H100 (2026-11-26, torch 2.11); on 2 CPU cores it takes hours (the CPU run of
2026-11-25 needed 100-700 s per run on one thread; use RETRAIN in the notebook for a
cached CPU run instead).

Recorded run: see ``extra`` in the manifest (device, torch version, seconds per job).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

import torch  # noqa: E402

from medeff import case_study as cs  # noqa: E402

_DATA: dict = {}
_SETUP = None
_DEVICE = "cpu"


def _init(setup_json: dict, device: str) -> None:
    global _SETUP, _DEVICE
    torch.set_num_threads(1)
    _SETUP = cs._setup_from_json(setup_json)
    _DEVICE = device
    for task in _SETUP.tasks:
        _DATA[task] = cs.task_data(task, _SETUP)


def _done(path: str) -> tuple[dict, float] | None:
    """(record, seconds) of a run whose weights are already in the work folder (resume)."""
    meta = Path(path).with_suffix(".json")
    if Path(path).exists() and meta.exists():
        d = json.loads(meta.read_text())
        return d["record"], d["seconds"]
    return None


def _save(model: torch.nn.Module, rec: dict, seconds: float, path: str) -> None:
    torch.save(model.state_dict(), path)
    Path(path).with_suffix(".json").write_text(json.dumps({"record": rec, "seconds": seconds}))


def _teacher_job(task: str, path: str) -> tuple[str, dict, float]:
    # weights go through files, not pipes (torch's fd passing broke with 12 workers)
    if done := _done(path):
        return task, *done
    t0 = time.perf_counter()
    model, rec = cs.train_teacher(_DATA[task], _SETUP, _DEVICE)
    _save(model, rec, time.perf_counter() - t0, path)
    return task, rec, time.perf_counter() - t0


_TEACHERS: dict = {}


def _student_job(
    task: str, kind: str, variant: str, seed: int, teacher_path: str, path: str
) -> tuple[tuple, dict, float]:
    if done := _done(path):
        return (task, kind, variant, seed), *done
    t0 = time.perf_counter()
    if task not in _TEACHERS:  # each worker loads a teacher and caches its outputs once
        teacher = cs.make_teacher(_SETUP)
        teacher.load_state_dict(torch.load(teacher_path, weights_only=True))
        _TEACHERS[task] = (teacher, cs.teacher_outputs(teacher, _DATA[task].train, device=_DEVICE))
    teacher, cache = _TEACHERS[task]
    model, rec = cs.train_student(
        kind, variant, seed, _DATA[task], teacher, _SETUP, _DEVICE, teacher_cache=cache
    )
    _save(model, rec, time.perf_counter() - t0, path)
    return (task, kind, variant, seed), rec, time.perf_counter() - t0


def _round_fp16(state: dict) -> dict:
    return {k: v.half().float() if v.is_floating_point() else v for k, v in state.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=cs.CHECKPOINTS)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--workers", type=int, default=max(1, min(12, (os.cpu_count() or 2) - 1)))
    ap.add_argument("--budget-s", type=float, default=float("inf"))
    ap.add_argument("--fast", action="store_true", help="the small fast-mode setup")
    ap.add_argument("--work", default="/tmp/case_study_runs", help="folder for raw weights")
    ap.add_argument("--tasks", nargs="+", default=None, help="subset of the tasks")
    ap.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (tumour tasks)")
    ap.add_argument("--organ-seeds", type=int, default=None, help="seeds 0..N-1 (organ tasks)")
    ap.add_argument("--students", nargs="+", default=None, help="subset of the students")
    args = ap.parse_args()
    t_start = time.perf_counter()
    setup = cs.fast_setup() if args.fast else cs.Setup()
    if args.students:
        setup = replace(
            setup,
            students=tuple(args.students),
            ablation_students=tuple(k for k in setup.ablation_students if k in args.students),
        )
    if args.tasks:
        setup = replace(setup, tasks=tuple(args.tasks))
    if args.seeds:
        setup = replace(setup, seeds=tuple(range(args.seeds)))
    if args.organ_seeds:
        setup = replace(setup, organ_seeds=tuple(range(args.organ_seeds)))
    cfg = setup.to_json()
    _init(cfg, args.device)  # also generates/caches the cohort before the workers start
    print(
        f"data ready in {time.perf_counter() - t_start:.1f} s: "
        + ", ".join(f"{t} {len(d.train)}/{len(d.test)} slices" for t, d in _DATA.items()),
        flush=True,
    )
    zoo = cs.Zoo(setup)
    seconds: dict[str, float] = {}
    ctx = mp.get_context("spawn")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    def wpath(key: str) -> str:
        return str(work / (key.replace("/", "__").replace("+", "_") + ".pt"))

    results = []
    pool = ctx.Pool(args.workers, initializer=_init, initargs=(cfg, args.device))
    try:
        teacher_paths = {t: wpath(cs.run_key(t, "teacher")) for t in setup.tasks}
        for task, rec, sec in pool.starmap(_teacher_job, teacher_paths.items(), chunksize=1):
            key = cs.run_key(task, "teacher")
            zoo.records[key], seconds[key] = rec, sec
            print(f"[{time.perf_counter() - t_start:6.0f} s] {key} {sec:.0f} s", flush=True)
        jobs = []
        tumour = [t for t in setup.tasks if t.endswith("_tumor")]
        organ = [t for t in setup.tasks if t not in tumour]
        for group in (tumour, organ):
            for seed in setup.seeds:
                for task in group:
                    for kind, variant, s in setup.runs(task):
                        if s == seed:
                            key = cs.run_key(task, kind, variant, seed)
                            jobs.append(
                                (task, kind, variant, seed, teacher_paths[task], wpath(key))
                            )

        # priority: tumour tasks' baseline and full loss (all seeds), organ tasks' seed 0,
        # the ablation variants (seed by seed, the larger task first), then the third
        # student, then further organ seeds
        def priority(job: tuple) -> tuple:
            core, is_tumour = job[2] in ("baseline", cs.FULL), job[0] in tumour
            if job[1] not in setup.students[:2]:
                return (3 if job[3] == setup.seeds[0] or is_tumour else 4,)
            if core and is_tumour:
                return (0,)
            if core and job[3] == setup.organ_seeds[0]:
                return (1,)
            if not is_tumour:
                return (4,)
            cost = len(_DATA[job[0]].train) * setup.epochs[job[0]]
            return 2, job[3], -cost, setup.students.index(job[1])  # seed by seed

        jobs.sort(key=priority)
        pending = [pool.apply_async(_student_job, job) for job in jobs]
        for job, res in zip(jobs, pending, strict=True):
            left = t_start + args.budget_s - time.perf_counter()
            try:
                results.append(res.get(timeout=None if left > 1e6 else max(left, 0.01)))
            except mp.TimeoutError:
                print(f"budget of {args.budget_s:.0f} s reached; stopping", flush=True)
                break
            except Exception as err:  # a failed run is reported, the others are kept
                print(f"{cs.run_key(*job[:4])} failed: {err!r}", flush=True)
                continue
            key = cs.run_key(*job[:4])
            print(
                f"[{time.perf_counter() - t_start:6.0f} s] {key} {results[-1][2]:.0f} s", flush=True
            )
    finally:
        try:
            pool.terminate()
        except Exception as err:  # noqa: BLE001
            print(f"pool.terminate: {err!r}", flush=True)
    for task, path in teacher_paths.items():
        teacher = cs.make_teacher(setup)
        teacher.load_state_dict(_round_fp16(torch.load(path, weights_only=True)))
        zoo.teachers[task] = teacher.eval()
    for (task, kind, variant, seed), rec, sec in results:
        model = cs.make_student(kind, setup)
        key = cs.run_key(task, kind, variant, seed)
        model.load_state_dict(_round_fp16(torch.load(wpath(key), weights_only=True)))
        zoo.students[(task, kind, variant, seed)] = model.eval()
        zoo.records[key], seconds[key] = rec, sec
    cs.evaluate_zoo(zoo, _DATA, device=args.device)
    missing = [cs.run_key(*j[:4]) for j in jobs if (j[0], j[1], j[2], j[3]) not in zoo.students]
    extra = {
        "extra": {
            "device": (torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"),
            "torch": torch.__version__,
            "workers": args.workers,
            "seconds": seconds,
            "missing": missing,
            "wall_seconds": time.perf_counter() - t_start,
        }
    }
    cs.save_zoo(zoo, args.out, _DATA, extra)
    print(
        f"saved {len(zoo.teachers)} teachers, {len(zoo.students)} students to {args.out} "
        f"({len(missing)} runs missing) in {time.perf_counter() - t_start:.0f} s",
        flush=True,
    )
    for task in setup.tasks:
        line = [f"{task:13s} teacher {cs.mean_dice(zoo, task, 'teacher')[0]:.3f}"]
        for kind in setup.students:
            for variant in setup.variants:
                v = cs.mean_dice(zoo, task, kind, variant)
                if v:
                    m, s = cs.mean_std(v)
                    line.append(f"{kind}/{variant} {m:.3f}±{s:.3f}")
        print("  ".join(line), flush=True)


if __name__ == "__main__":
    main()
