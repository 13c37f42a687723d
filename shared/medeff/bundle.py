"""The student bundle: everything a student needs, nothing an instructor must keep.

Course infrastructure (not a lecture topic): ``make student-bundle`` runs
``python -m medeff.bundle`` and writes ``build/student/`` and ``build/student.zip``.

The bundle holds the executed-nowhere lecture notebooks, the released assignments, the
``medeff`` package with its ``pyproject.toml`` and a student README. It never holds
``solutions/``, ``tests/`` (hidden tests, mutants), the jupytext twins of solutions, or any
line of a solution or hidden-test region: :func:`check_bundle` scans every file.
"""

from __future__ import annotations

import argparse
import re
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

STUDENT_README = "README_STUDENT.md"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")


def secret_lines(root: Path, assignment: str = "*", *, hidden_only: bool = False) -> set[str]:
    """Distinctive lines inside solution / hidden-test regions of ``solutions/``.

    Lines that also occur outside those regions, and short generic lines (``finally:``,
    ``out = []``; under 25 characters), are no evidence of a leak and are dropped.
    ``hidden_only`` keeps hidden-test lines only (lectures may show solution-like code).
    """
    visible = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"}
    secret: set[str] = set()
    for path in sorted((Path(root) / "solutions").glob(f"{assignment}/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            region = None
            for line in cell.source.splitlines():
                text = line.strip()
                begin = re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", text)
                if begin:
                    region = begin.group(1)
                elif re.search(r"END (SOLUTION|HIDDEN TESTS)", text):
                    region = None
                elif text and region and not (hidden_only and region == "SOLUTION"):
                    secret.add(text)
                elif text:
                    visible.add(text)
    return {line for line in secret - visible if len(line) >= 25}


def check_bundle(folder: Path, secret: set[str], hidden: set[str] | None = None) -> list[str]:
    """Problems found in ``folder``: instructor-only folders, markers, secret lines.

    Every file is read (not only notebooks), so e.g. a solution's jupytext twin copied
    into a release is caught. Lecture notebooks are checked against ``hidden`` (the
    hidden-test lines; a lecture may show code like a solution's), the medeff package is
    skipped (its public helpers are the course's reference code). Used for the student
    bundle and for every release.
    """
    problems = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts[0] in ("solutions", "tests", "source", "autograded", "submitted"):
            problems.append(f"{rel}: instructor-only folder")
            continue
        if rel.parts[:2] == ("shared", "medeff") or path.suffix in (
            ".pt",
            ".npz",
            ".png",
            ".svg",
            ".zip",
            ".pdf",
        ):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        problems += [f"{rel}: contains {m!r}" for m in MARKERS if m in text]
        lines = hidden if rel.parts[0] == "lectures" and hidden is not None else secret
        leaked = lines & {line.strip() for line in text.splitlines()}
        if leaked:
            problems.append(f"{rel}: solution/hidden-test lines: {sorted(leaked)[:3]}")
    return problems


def build_bundle(root: Path, dest: Path) -> Path:
    """Write the student bundle of course ``root`` into ``dest`` (replaced) and a zip.

    Raises RuntimeError if the result would hold anything secret.
    """
    root, dest = Path(root), Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    lectures = dest / "lectures"
    lectures.mkdir()
    for nb in sorted((root / "lectures").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        target = lectures / nb.relative_to(root / "lectures")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, target)
    for asset in ("assets", "figures"):
        if (root / "lectures" / asset).is_dir():
            shutil.copytree(root / "lectures" / asset, lectures / asset, ignore=_SKIP)
    shutil.copytree(root / "assignments", dest / "assignments", ignore=_SKIP)
    shutil.copytree(root / "shared" / "medeff", dest / "shared" / "medeff", ignore=_SKIP)
    for name in ("pyproject.toml", "LICENSE", "environment.yml"):
        if (root / name).exists():
            shutil.copy(root / name, dest / name)
    shutil.copy(root / STUDENT_README, dest / "README.md")
    problems = check_bundle(dest, secret_lines(root), secret_lines(root, hidden_only=True))
    if problems:
        raise RuntimeError("the student bundle would leak:\n" + "\n".join(problems))
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in dest.rglob("*") if p.is_file()):
            zf.write(path, Path(dest.name) / path.relative_to(dest))
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    from .course import find_root

    parser = argparse.ArgumentParser(
        prog="python -m medeff.bundle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dest", default=None, help="output folder (default build/student)")
    args = parser.parse_args(argv)
    root = find_root()
    dest = build_bundle(root, Path(args.dest) if args.dest else root / "build" / "student")
    files = sum(1 for p in dest.rglob("*") if p.is_file())
    size = dest.with_suffix(".zip").stat().st_size / 1e6
    print(f"student bundle: {dest} ({files} files), {dest.with_suffix('.zip')} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
