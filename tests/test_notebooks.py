"""Every lecture notebook executes without error in fast mode; notebooks carry no outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medeff.course import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
COMMITTED = sorted(
    p
    for folder in ("lectures", "solutions", "assignments")
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def _cells_missing_figures(executed: Path) -> tuple[int, list[int]]:
    """(figures shown, indices of code cells that draw with plt but show no image)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    shown, missing = 0, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        images = sum(
            any(k.startswith("image/") for k in out.get("data", {})) for out in cell["outputs"]
        )
        shown += images
        source = "".join(cell["source"])
        if ("plt.show()" in source or "plt.subplots(" in source) and not images:
            missing.append(i)
    return shown, missing


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_executes_in_fast_mode(path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws figures
    run = execute_notebook(path, tmp_path, fast=True, html=False)
    assert run.ok, f"{path.name} failed:\n{run.error[-4000:]}"
    shown, missing = _cells_missing_figures(tmp_path / path.name)
    assert shown > 0, f"{path.name}: no figure in the executed notebook (every lecture has plots)"
    assert not missing, f"{path.name}: code cells {missing} draw with matplotlib but show no figure"


@pytest.mark.parametrize("path", COMMITTED, ids=[str(p.relative_to(ROOT)) for p in COMMITTED])
def test_notebook_committed_without_outputs(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"


def test_execute_notebook_reports_corrupt_notebook(tmp_path: Path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    run = execute_notebook(bad, None)
    assert not run.ok and "broken.ipynb" in run.error
    assert bad.read_text(encoding="utf-8") == "{ not json"  # nothing lost


def test_execute_notebook_reports_failing_cell(tmp_path: Path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise ValueError('expected failure 123')")]
    path = tmp_path / "fails.ipynb"
    nbformat.write(nb, path)
    run = execute_notebook(path, tmp_path / "out", html=False)
    assert not run.ok and "expected failure 123" in run.error
    assert (tmp_path / "out" / "fails.ipynb").exists()


def test_figure_check_finds_a_plot_cell_without_image(tmp_path: Path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    drawn = nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nplt.show()")
    drawn.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    empty = nbformat.v4.new_code_cell("plt.show()")  # what a kernel with MPLBACKEND=Agg leaves
    nb.cells = [drawn, nbformat.v4.new_code_cell("x = 1"), empty]
    nbformat.write(nb, tmp_path / "figs.ipynb")
    assert _cells_missing_figures(tmp_path / "figs.ipynb") == (1, [2])
