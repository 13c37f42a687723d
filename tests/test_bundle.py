"""The student bundle holds what students need and nothing secret; its install works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from medeff import bundle
from medeff.course import execute_notebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return bundle.build_bundle(ROOT, tmp_path_factory.mktemp("bundle") / "student")


def test_bundle_holds_the_course_and_no_instructor_files(built: Path):
    top = sorted(p.name for p in built.iterdir())
    assert top == [
        "LICENSE",
        "README.md",
        "assignments",
        "environment.yml",
        "lectures",
        "pyproject.toml",
        "shared",
    ]
    assert sorted(p.name for p in (built / "assignments").iterdir()) == sorted(
        p.name for p in (ROOT / "assignments").iterdir() if p.is_dir()
    )
    lectures = {p.name for p in (built / "lectures").glob("*.ipynb")}
    assert lectures == {p.name for p in (ROOT / "lectures").glob("*.ipynb")}
    assert (built / "shared" / "medeff" / "__init__.py").exists()
    assert (
        "How to submit" in (built / "README.md").read_text()
        or "Submit" in (built / "README.md").read_text()
    )
    assert not list(built.rglob("*.py")) or all("shared" in p.parts for p in built.rglob("*.py")), (
        "only medeff's sources are .py"
    )
    assert (
        bundle.check_bundle(
            built, bundle.secret_lines(ROOT), bundle.secret_lines(ROOT, hidden_only=True)
        )
        == []
    )
    with zipfile.ZipFile(built.with_suffix(".zip")) as zf:
        names = zf.namelist()
    assert "student/README.md" in names and not any("solutions/" in n for n in names)


def test_a_planted_leak_stops_the_build(tmp_path: Path):
    fake = tmp_path / "course"
    for part in ("lectures", "assignments", "solutions", "shared"):
        shutil.copytree(
            ROOT / part,
            fake / part,
            ignore=shutil.ignore_patterns("__pycache__", "*.ipynb_checkpoints"),
        )
    for name in ("pyproject.toml", "LICENSE", "README_STUDENT.md", "nbgrader_config.py"):
        shutil.copy(ROOT / name, fake / name)
    aid = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())[0]
    shutil.copy(ROOT / "solutions" / aid / f"{aid}.py", fake / "assignments" / aid / "notes.py")
    with pytest.raises(RuntimeError, match="leak"):
        bundle.build_bundle(fake, tmp_path / "out")


def test_the_bundle_installs_and_runs_a_lecture_from_a_copy(
    built: Path, tmp_path: Path, monkeypatch
):
    copy = tmp_path / "student"
    shutil.copytree(built, copy)
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(copy)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *pip,
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            *map(str, wheels.glob("*.whl")),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import medeff; print(medeff.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target)), where
    monkeypatch.setenv("PYTHONPATH", str(target))
    run = execute_notebook(
        copy / "lectures" / "00_compute_demands.ipynb", None, fast=True, html=False
    )
    assert run.ok, run.error[-3000:]
