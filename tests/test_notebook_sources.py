"""Notebooks are their own source: each lecture and solution notebook has a jupytext twin.

A pair is in sync when the ``.py`` read by jupytext has the same cells (type, source and
nbgrader metadata) as the ``.ipynb``. The release (``assignments/``) is never paired.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAIRED = sorted(
    p
    for pattern in ("lectures/**/*.ipynb", "solutions/*/*.ipynb")
    for p in ROOT.glob(pattern)
    if ".ipynb_checkpoints" not in p.parts
)
IDS = [str(p.relative_to(ROOT)) for p in PAIRED]


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, dict]]:
    return [(c.cell_type, c.source.strip(), c.metadata.get("nbgrader", {})) for c in nb.cells]


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_pair_is_in_sync(path: Path):
    twin = path.with_suffix(".py")
    assert twin.exists(), (
        f"{path.name} has no jupytext twin {twin.name}: run `jupytext --sync {path}`"
    )
    nb = nbformat.read(path, as_version=4)
    text = jupytext.read(twin)
    got, want = _cells(text), _cells(nb)
    assert len(got) == len(want), (
        f"{twin.name} has {len(got)} cells, {path.name} {len(want)}: run `jupytext --sync {twin}`"
    )
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a == b, (
            f"cell {i} differs between {twin.name} and {path.name} "
            f"(type/source/nbgrader metadata): run `jupytext --sync` on the newer one"
        )


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_nbgrader_metadata_survives_the_round_trip(path: Path):
    nb = nbformat.read(path, as_version=4)
    back = jupytext.reads(jupytext.writes(nb, fmt="py:percent"), fmt="py:percent")
    assert _cells(back) == _cells(nb)


def test_release_is_not_paired():
    config = (ROOT / "jupytext.toml").read_text(encoding="utf-8")
    assert "assignments" not in config.split("formats", 1)[1].split("\n", 1)[0]
    assert not list((ROOT / "assignments").rglob("*.py")), "a .py file in the release"


def test_editing_a_markdown_cell_in_the_twin_changes_only_that_cell(tmp_path: Path):
    src = ROOT / "lectures" / "00_compute_demands.ipynb"
    work = tmp_path / "lectures"
    work.mkdir()
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    for suffix in (".ipynb", ".py"):
        shutil.copy(src.with_suffix(suffix), work / src.with_suffix(suffix).name)
    before = nbformat.read(work / src.name, as_version=4)
    twin = work / src.with_suffix(".py").name
    text = twin.read_text(encoding="utf-8")
    first_md = next(i for i, c in enumerate(before.cells) if c.cell_type == "markdown")
    line = before.cells[first_md].source.splitlines()[0]
    assert f"# {line}" in text
    twin.write_text(text.replace(f"# {line}", f"# {line} (edited)", 1), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "jupytext", "--sync", str(twin)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    after = nbformat.read(work / src.name, as_version=4)
    assert len(after.cells) == len(before.cells)
    changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells, strict=True)) if a != b]
    assert changed == [first_md]
    assert after.cells[first_md].source.splitlines()[0] == f"{line} (edited)"
    assert [c.get("id") for c in after.cells] == [c.get("id") for c in before.cells]
