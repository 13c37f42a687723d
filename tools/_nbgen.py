"""Tiny helper for the notebook generator scripts in tools/: stable cell ids, no outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


class Notebook:
    """Collect markdown/code cells and write a stripped notebook with stable cell ids."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.cells: list[nbformat.NotebookNode] = []

    def _add(self, cell: nbformat.NotebookNode) -> None:
        cell.id = f"{self.prefix}-{len(self.cells):02d}"
        self.cells.append(cell)

    def md(self, text: str) -> None:
        self._add(nbformat.v4.new_markdown_cell(text.strip("\n")))

    def code(self, text: str) -> None:
        self._add(nbformat.v4.new_code_cell(text.strip("\n")))

    def write(self, path: Path) -> None:
        write_notebook(self.cells, path)


def write_notebook(cells: list[nbformat.NotebookNode], path: Path) -> None:
    """Validate and write ``cells`` as a python3 notebook without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    print(f"wrote {path.relative_to(ROOT)} ({len(cells)} cells)")
