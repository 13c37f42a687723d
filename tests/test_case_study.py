"""The liver/kidney distillation case study's mechanics (medeff.case_study)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from medeff import case_study as cs


@pytest.fixture(scope="module")
def setup():
    return cs.fast_setup()


@pytest.fixture(scope="module")
def tumour(setup):
    return cs.task_data("kidney_tumor", setup)


def test_setup_runs_and_json():
    full = cs.Setup()
    runs = full.runs("liver_tumor")
    assert len(runs) == len(full.seeds) * (2 * len(full.variants) + 2)
    assert {v for _, v, _ in full.runs("liver")} == {"baseline", cs.FULL}
    assert {s for _, _, s in full.runs("liver")} == set(full.organ_seeds)
    assert cs._setup_from_json(json.loads(json.dumps(full.to_json()))) == full
    assert cs.VARIANTS[cs.FULL] == (0.1, 0.9, 0.9)


def test_every_split_used_has_target_slices(setup, tumour):
    for task in cs.TASK_ORDER:
        td = cs.task_data(task, setup)
        assert len(td.train) and len(td.test)
        assert all(td.test.y[td.test.case_ids == c].any() for c in set(td.test.case_ids))
    # cases without any tumour (label 2): the tumour task has nothing to train or test on
    hu = [np.full((4, 96, 96), 40, np.int16) for _ in range(6)]
    labels = [np.ones((4, 96, 96), np.uint8) for _ in range(6)]
    with pytest.raises(ValueError, match="no slice with the target"):
        cs.task_data("kidney_tumor", setup, cases=(hu, labels))


def test_distillation_step_terms(setup, tumour):
    teacher = cs.make_teacher(setup)
    student = cs.make_student("enet", setup)
    x, y = tumour.train.x[:4], tumour.train.y[:4]
    logs = {}
    base = cs.distillation_step(None, (0, 0, 0))(student, (x, y))
    full = cs.distillation_step(teacher, (0.1, 0.9, 0.9), log=logs)(student, (x, y))
    assert torch.isfinite(base) and torch.isfinite(full)
    assert full.item() > base.item() - 1e-6 and logs["steps"] == 1
    assert set(logs) >= {"seg", "pmd", "imd", "rad", "total"}
    full.backward()
    assert all(p.grad is not None for p in student.parameters())
    assert all(p.grad is None for p in teacher.parameters())
    # cached teacher outputs give the same loss as running the teacher online
    cache = cs.teacher_outputs(teacher, tumour.train)
    batch = [t[:4] for t in cache.tensors]
    cached = cs.distillation_step(teacher, (0.1, 0.9, 0.9))(student, batch)
    assert torch.allclose(cached, full, atol=1e-5)


def test_train_and_evaluate_fast(setup, tumour, monkeypatch):
    monkeypatch.setenv("MEDEFF_FAST", "1")
    teacher, rec = cs.train_teacher(tumour, setup)
    assert rec["epochs"] == 1 and not teacher.training
    a, rec_a = cs.train_student("enet", "baseline", 0, tumour, None, setup)
    b, _ = cs.train_student("enet", "baseline", 0, tumour, None, setup)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)  # same seed, same weights
    kd, rec_kd = cs.train_student("enet", cs.FULL, 0, tumour, teacher, setup)
    assert rec_kd["loss_pmd"] > 0 and rec_a["loss_pmd"] == 0
    dice = cs.case_dice(kd, tumour.test)
    assert dice and all(0 <= v <= 1 for v in dice.values())
    with pytest.raises(ValueError, match="needs a teacher"):
        cs.train_student("enet", "PMD", 0, tumour, None, setup)


def _tiny_zoo(setup):
    zoo = cs.Zoo(replace(setup, seeds=(0, 1)))
    zoo.teachers["kidney_tumor"] = cs.make_teacher(setup).eval()
    for seed in (0, 1):
        for variant in ("baseline", cs.FULL):
            torch.manual_seed(seed + 10 * (variant == cs.FULL))
            zoo.students[("kidney_tumor", "enet", variant, seed)] = cs.make_student(
                "enet", setup
            ).eval()
    return zoo


def test_save_load_roundtrip_and_sha256(setup, tumour, tmp_path):
    zoo = _tiny_zoo(setup)
    manifest = cs.save_zoo(zoo, tmp_path, {"kidney_tumor": tumour})
    assert set(manifest["files"]) == {"teacher_kidney_tumor.pt", "students_kidney_tumor_enet.pt"}
    assert all(len(h) == 64 for h in manifest["files"].values())
    back = cs.load_zoo(tmp_path, tasks=["kidney_tumor"], students=["enet"])
    x = tumour.test.x[:2]
    for key, model in zoo.students.items():
        assert torch.allclose(model(x), back.students[key](x), atol=2e-2)
    assert cs.check_data(back, {"kidney_tumor": tumour}) == []
    path = tmp_path / "students_kidney_tumor_enet.pt"
    path.write_bytes(path.read_bytes()[:-1] + b"x")
    with pytest.raises(ValueError, match="sha256"):
        cs.load_zoo(tmp_path, tasks=["kidney_tumor"], students=["enet"])
    with pytest.raises(FileNotFoundError, match="RETRAIN"):
        cs.load_manifest(tmp_path / "nowhere")


def test_tables_and_gains(setup, tumour):
    zoo = _tiny_zoo(setup)
    cs.evaluate_zoo(zoo, {"kidney_tumor": tumour})
    for seed, (b, f) in enumerate([(0.5, 0.6), (0.4, 0.45)]):
        zoo.dice[cs.run_key("kidney_tumor", "enet", "baseline", seed)] = {1: b, 2: b}
        zoo.dice[cs.run_key("kidney_tumor", "enet", cs.FULL, seed)] = {1: f, 2: f}
    m, s, up, n = cs.paired_gain(zoo, "kidney_tumor", "enet", cs.FULL)
    assert math.isclose(m, 0.075) and up == 2 and n == 2 and s > 0
    table = cs.results_table(zoo, {"enet": 1234, "mobilenetv2": 99}, 5678)
    assert table.splitlines()[0].startswith("| Method | Liver Tumor Dice | Liver Dice")
    assert "0.450 ± 0.071 (0.521 ± 0.015)" in table and "n/a" in table
    abl = cs.ablation_table(zoo)
    assert "+0.075" in abl and "(2/2)" in abl


def test_overlays(setup, tumour):
    import matplotlib

    matplotlib.use("Agg")
    idx = cs.pick_slices(tumour.test, 2)
    assert len(idx) >= 1 and all(tumour.test.y[i].any() for i in idx)
    fig = cs.plot_overlays(tumour.test, {"student": cs.make_student("enet", setup)}, idx)
    assert len(fig.axes) == 3 * len(idx)


def test_shipped_checkpoints_verify():
    if not (cs.CHECKPOINTS / "manifest.json").exists():
        pytest.skip("no shipped checkpoints")
    manifest = cs.load_manifest()
    zoo = cs.load_zoo(tasks=["kidney_tumor"])
    assert "kidney_tumor" in zoo.teachers and zoo.students
    assert set(manifest["files"]) >= {"teacher_kidney_tumor.pt"}
    for name in manifest["files"]:
        assert (cs.CHECKPOINTS / name).stat().st_size < 2_000_000, name
