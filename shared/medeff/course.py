"""Course build and grading cycle: execute lectures, release assignments, autograde.

Course infrastructure (not a lecture topic): ``make course`` runs ``python -m medeff.course
all`` and the tests reuse these functions. Usage::

    python -m medeff.course lectures [--fast] [NAME ...]   # execute into build/lectures
    python -m medeff.course release                        # solutions/ -> assignments/
    python -m medeff.course grade                          # autograde the solutions (temp copy)
    python -m medeff.course all [--fast]                   # all three + summary table
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import FAST_ENV

SOLUTION_STUDENT = "solution_check"


def find_root(start: Path | None = None) -> Path:
    """The course root: the nearest folder upwards holding ``nbgrader_config.py``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course root (a folder with nbgrader_config.py and solutions/) at or above {here}"
    )


@contextlib.contextmanager
def _env(**values: str | None) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    name: str
    seconds: float
    ok: bool
    error: str = ""


def execute_notebook(
    path: Path,
    out_dir: Path | None = None,
    *,
    fast: bool = False,
    timeout: int = 900,
    html: bool = True,
) -> NotebookRun:
    """Execute a notebook in its own folder; write the executed copy (+ HTML) to ``out_dir``.

    A notebook that is not valid JSON, or whose cell raises, gives ``ok=False`` with the
    error; the source notebook is never modified.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    start = time.perf_counter()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # corrupt JSON, wrong format
        return NotebookRun(path.name, 0.0, False, f"cannot read {path}: {err}")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = ""
    with _env(**{FAST_ENV: "1" if fast else None}):
        try:
            client.execute()
        except CellExecutionError as err:
            error = str(err)
        except Exception as err:  # kernel died, timeout
            error = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
        if html:  # MathJax and require.js from a local copy (node_modules), not a CDN
            from .site import install_html_assets, lecture_html_exporter

            try:
                install_html_assets(out_dir)
            except FileNotFoundError as err:  # no node_modules: the notebook is kept
                print(f"no HTML for {path.name}: {err}", file=sys.stderr)
            else:
                body, _ = lecture_html_exporter().from_notebook_node(
                    nb, resources={"metadata": {"name": path.stem}}
                )
                (out_dir / path.with_suffix(".html").name).write_text(body, encoding="utf-8")
    return NotebookRun(path.name, seconds, not error, error)


def lecture_notebooks(root: Path, names: Sequence[str] = ()) -> list[Path]:
    """Lecture notebooks in ``lectures/``, sorted, then the paper kit's in
    ``lectures/papers/`` (the course site shows them executed); ``names`` filters by
    substring."""
    paths = sorted((root / "lectures").glob("*.ipynb"))
    paths += sorted((root / "lectures" / "papers").glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
    return paths


def assignment_ids(root: Path) -> list[str]:
    """Assignments = folders of ``solutions/`` that contain at least one notebook."""
    src = root / "solutions"
    return sorted(d.name for d in src.iterdir() if d.is_dir() and any(d.glob("*.ipynb")))


def _nbgrader(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs the `alembic` script when it creates a gradebook: put this Python's
    # scripts folder first on PATH, so it works without an activated virtual environment.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    proc = subprocess.run(
        cmd,
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed in {root}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what nbgrader needs (``nbgrader_config.py``, ``solutions/``) into ``dest``.

    Grading in such a copy never touches the real course's gradebook or ``submitted/``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(root) / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(
        Path(root) / "solutions",
        dest / "solutions",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    return dest


def generate_release(root: Path, assignment: str) -> Path:
    """``nbgrader generate_assignment``: solutions/ID -> assignments/ID (overwritten)."""
    _nbgrader(Path(root), "generate_assignment", assignment, "--force")
    return Path(root) / "assignments" / assignment


def submit(root: Path, assignment: str, student: str, notebooks: Path) -> Path:
    """Copy the notebooks of folder ``notebooks`` to ``root/submitted/student/assignment``."""
    target = Path(root) / "submitted" / student / assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for nb in sorted(Path(notebooks).glob("*.ipynb")):
        shutil.copy(nb, target / nb.name)
    return target


@dataclass(frozen=True)
class Score:
    """A graded submission: total and per-cell ``{grade_id: (score, max_score)}``.

    ``manual`` names the cells that wait for a TA (written answers graded by hand): the
    autograder gives them 0 until then, so compare ``auto_score`` with ``auto_max``.
    """

    score: float
    max_score: float
    cells: dict[str, tuple[float, float]]
    manual: frozenset[str] = frozenset()

    @property
    def lost(self) -> dict[str, float]:
        """Points lost per autograded cell (cells with full marks, and manual ones, left out)."""
        return {k: m - s for k, (s, m) in self.cells.items() if s < m and k not in self.manual}

    @property
    def auto_score(self) -> float:
        return sum(s for k, (s, _) in self.cells.items() if k not in self.manual)

    @property
    def auto_max(self) -> float:
        return sum(m for k, (_, m) in self.cells.items() if k not in self.manual)


def read_score(root: Path, assignment: str, student: str) -> Score:
    """Read a submission's score from ``root/gradebook.db`` (nbgrader's Gradebook API)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        grades = [g for nb in sub.notebooks for g in nb.grades]
        cells = {g.name: (float(g.score), float(g.max_score)) for g in grades}
        manual = frozenset(g.name for g in grades if g.cell.cell_type == "markdown")
        return Score(float(sub.score), float(sub.max_score), cells, manual)


def autograde_submitted(
    root: Path,
    assignment: str,
    students: Sequence[str],
    *,
    timeout: int | None = None,
    fast: bool | None = None,
    sandbox: bool = True,
) -> dict[str, Score]:
    """Autograde already submitted ``students`` in ONE nbgrader run; return their scores.

    ``timeout`` (seconds per cell) overrides ``Execute.timeout`` of the config; ``fast``
    sets ``MEDEFF_FAST`` to 1 or 0 for the kernels (None: inherit the environment). The assignment must have been generated in
    ``root`` first (that puts it in the gradebook). Kernels run in the bubblewrap sandbox
    of ``nbgrader_config.py`` (:mod:`medeff.sandbox`); ``sandbox=False`` sets
    ``MEDEFF_UNSANDBOXED=1``, for trusted notebooks only (the instructor's solutions).
    """
    from .sandbox import UNSANDBOXED_ENV

    args = ["autograde", assignment, "--force"]
    if len(students) == 1:
        args += ["--student", students[0]]
    if timeout is not None:
        args.append(f"--Execute.timeout={int(timeout)}")
    env = {} if fast is None else {FAST_ENV: "1" if fast else "0"}
    env[UNSANDBOXED_ENV] = "" if sandbox else "1"
    _nbgrader(Path(root), *args, env=env)
    return {s: read_score(root, assignment, s) for s in students}


def autograde(
    root: Path,
    assignment: str,
    student: str,
    notebooks: Path,
    *,
    timeout: int | None = None,
    fast: bool | None = None,
) -> tuple[float, float]:
    """Submit the notebooks in ``notebooks`` as ``student``, autograde, return (score, max).

    Writes ``root/submitted`` and ``root/gradebook.db``: pass a copy of the course
    (:func:`copy_course`) unless you mean to grade into the real gradebook.
    Scores are read through nbgrader's Gradebook API, never from printed output.
    """
    submit(root, assignment, student, notebooks)
    score = autograde_submitted(root, assignment, [student], timeout=timeout, fast=fast)[student]
    return score.score, score.max_score


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in rows]
    return "\n".join(o.rstrip() for o in out)


def run_lectures(root: Path, fast: bool, names: Sequence[str] = ()) -> list[NotebookRun]:
    """Execute the lecture notebooks into ``build/lectures`` (the paper kit into
    ``build/lectures/papers``), printing progress."""
    out = root / "build" / "lectures"
    runs = []
    for path in lecture_notebooks(root, names):
        print(f"executing {path.name} ({'fast' if fast else 'full'} mode) ...", flush=True)
        run = execute_notebook(path, out / path.parent.relative_to(root / "lectures"), fast=fast)
        print(f"  {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s", flush=True)
        if not run.ok:
            print(run.error[-3000:], file=sys.stderr)
        runs.append(run)
    return runs


def run_release(root: Path) -> list[str]:
    """Regenerate the release ``assignments/ID`` of every assignment in ``root``."""
    ids = assignment_ids(root)
    for aid in ids:
        print(f"generating release of {aid} ...", flush=True)
        generate_release(root, aid)
    return ids


def run_grade(root: Path) -> list[tuple[str, float, float]]:
    """Autograde every solution notebook as a student; return (id, score, max) rows.

    Scores are the autograded points; written answers wait for a TA and are left out.

    Grading happens in a temporary copy of the course, so the TA's gradebook and
    ``submitted/`` never get a fake student.
    """
    results = []
    with tempfile.TemporaryDirectory(prefix="medeff-grade-") as tmp:
        course = copy_course(root, Path(tmp))
        for aid in assignment_ids(course):
            generate_release(course, aid)
            print(f"autograding the solution of {aid} as '{SOLUTION_STUDENT}' ...", flush=True)
            start = time.perf_counter()
            submit(course, aid, SOLUTION_STUDENT, course / "solutions" / aid)
            # the instructor's own solutions are trusted: no sandbox needed (issue 13)
            score = autograde_submitted(course, aid, [SOLUTION_STUDENT], sandbox=False)[
                SOLUTION_STUDENT
            ]
            manual = score.max_score - score.auto_max
            print(
                f"  {score.auto_score:g}/{score.auto_max:g} autograded points in "
                f"{time.perf_counter() - start:.1f} s"
                + (f" (+{manual:g} points of written answers for a TA)" if manual else ""),
                flush=True,
            )
            results.append((aid, score.auto_score, score.auto_max))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m medeff.course",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["lectures", "release", "grade", "all"])
    parser.add_argument("names", nargs="*", help="lecture name filters (substring)")
    parser.add_argument("--fast", action="store_true", help=f"set {FAST_ENV}=1 for lectures")
    args = parser.parse_args(argv)
    root = find_root()
    runs: list[NotebookRun] = []
    grades: list[tuple[str, float, float]] = []
    if args.command in ("lectures", "all"):
        runs = run_lectures(root, args.fast, args.names)
    released: list[str] = []
    if args.command in ("release", "all"):
        released = run_release(root)
    if args.command in ("grade", "all"):
        grades = run_grade(root)
    print()
    if runs:
        print(
            _table(
                [(r.name, f"{r.seconds:.1f}", "ok" if r.ok else "FAILED") for r in runs],
                ("notebook", "seconds", "status"),
            )
        )
        print(f"executed notebooks and HTML: {root / 'build' / 'lectures'}\n")
    if released and not grades:
        print(
            _table(
                [(a, str(root / "assignments" / a)) for a in released], ("assignment", "release")
            )
        )
    if grades:
        print(
            _table(
                [
                    (a, f"{s:g}/{m:g}", "ok" if s == m and m > 0 else "NOT FULL MARKS")
                    for a, s, m in grades
                ],
                ("assignment", "score", "status"),
            )
        )
    failed = [r for r in runs if not r.ok] + [g for g in grades if g[1] != g[2] or g[2] == 0]
    if failed:
        print(f"\n{len(failed)} item(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
