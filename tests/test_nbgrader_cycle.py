"""The whole nbgrader cycle, for every assignment in ``solutions/`` (found automatically).

For each assignment ID the harness copies the course (``nbgrader_config.py`` +
``solutions/``) into a temporary folder, runs ``nbgrader generate_assignment`` there, and
autogrades, in ONE ``nbgrader autograde`` run, these submissions:

* ``solution`` and ``solution_again``: the source notebook itself (full marks, twice the
  same per-cell grades = deterministic grading);
* ``release``: the unmodified student release (must score 0);
* ``mutant_<name>``: one per file in ``tests/mutants/<ID>/`` (must lose points).

Nothing is written into the repository (no gradebook.db, no submitted/).

Mutants ("every grade is earned")
---------------------------------
A mutant is a subtly wrong solution. Add one as ``tests/mutants/<ID>/<name>.py``::

    # cell: q1-solution
    # loses: q1-tests
    # One or more comment lines: what is wrong (forgets groups, ...).

    def conv2d_macs(...):
        ...

``cell`` is the grade_id of a solution cell of the source notebook: the whole file
replaces that cell's source in a copy of the solution notebook. ``loses`` lists the
grade_ids of the test cells that must lose points (comma-separated). An optional
``# keeps: q4-tests`` line lists cells that must keep full marks: each question is graded
on its own, so a bug in question 1 must not cost question 4 (no cascade). The test fails
when the mutant still gets full marks, keeps full marks in a ``loses`` cell, or loses
points in a ``keeps`` cell.

An *honest variant* is a correct but unusual answer that must keep full marks (e.g. a
solution cell that imports numpy's ``random`` over the notebook's ``random``): write
``# loses: nothing`` and ``# keeps: all``. The file
must be ``ruff check`` clean: import what it needs, and mark names defined in earlier
notebook cells with ``# noqa: F821``. Each mutant costs one notebook execution
(~5 s) when the tests run.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from medeff import bundle, course, sandbox
from medeff.course import Score

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = Path(__file__).resolve().parent / "mutants"
ASSIGNMENTS = course.assignment_ids(ROOT)
TIMEOUT = 120  # seconds per cell while autograding (nbgrader's default is 30)
SOLUTION, AGAIN, RELEASE = "solution", "solution_again", "release"
NBGRADER_KEYS = {"schema_version", "grade", "solution", "locked", "grade_id", "points"}


@dataclass(frozen=True)
class Mutant:
    """A wrong implementation to put into one solution cell (see the module docstring)."""

    assignment: str
    name: str
    cell: str
    loses: tuple[str, ...]
    source: str
    keeps: tuple[str, ...] = ()


def load_mutants(assignment: str) -> list[Mutant]:
    """The mutants of ``tests/mutants/<assignment>/*.py``, sorted by name."""
    mutants = []
    for path in sorted((MUTANTS / assignment).glob("*.py")):
        text = path.read_text(encoding="utf-8")
        cell = re.search(r"^# cell:\s*(\S+)\s*$", text, re.M)
        loses = re.search(r"^# loses:\s*(.+?)\s*$", text, re.M)
        if not cell or not loses:
            raise ValueError(f"{path}: needs '# cell: <grade_id>' and '# loses: <grade_id>' lines")
        keeps = re.search(r"^# keeps:\s*(.+?)\s*$", text, re.M)
        names = tuple(s.strip() for s in loses.group(1).split(",") if s.strip() != "nothing")
        mutants.append(
            Mutant(
                assignment,
                path.stem,
                cell.group(1),
                names,
                text,
                tuple(s.strip() for s in keeps.group(1).split(",")) if keeps else (),
            )
        )
    return mutants


MUTANT_CASES = [m for aid in ASSIGNMENTS for m in load_mutants(aid)]


def _notebooks(folder: Path) -> dict[str, nbformat.NotebookNode]:
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}


def _meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def _cells_by_grade_id(nbs: dict[str, nbformat.NotebookNode]) -> dict[str, tuple[str, dict]]:
    return {
        _meta(c)["grade_id"]: (name, c)
        for name, nb in nbs.items()
        for c in nb.cells
        if "grade_id" in _meta(c)
    }


@dataclass
class Graded:
    """One assignment generated and graded in a temporary course root."""

    assignment: str
    course: Path
    scores: dict[str, Score]
    seconds: float

    @property
    def source(self) -> Path:
        return self.course / "solutions" / self.assignment

    @property
    def release(self) -> Path:
        return self.course / "assignments" / self.assignment


def _build_mutant(source: Path, mutant: Mutant, dest: Path) -> None:
    nbs = _notebooks(source)
    cells = _cells_by_grade_id(nbs)
    assert mutant.cell in cells and _meta(cells[mutant.cell][1]).get("solution"), (
        f"mutant {mutant.name}: no solution cell with grade_id {mutant.cell!r} in {source}"
    )
    for grade_id in (*mutant.loses, *(k for k in mutant.keeps if k != "all")):
        assert grade_id in cells and _meta(cells[grade_id][1]).get("grade"), (
            f"mutant {mutant.name}: no graded cell with grade_id {grade_id!r} in {source}"
        )
    cells[mutant.cell][1].source = mutant.source
    dest.mkdir(parents=True)
    for name, nb in nbs.items():
        nbformat.write(nb, dest / name)


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """``graded(ID)``: generate + grade all submissions of assignment ID once per session."""
    cache: dict[str, Graded] = {}

    def get(assignment: str) -> Graded:
        if assignment not in cache:
            root = course.copy_course(ROOT, tmp_path_factory.mktemp(f"course-{assignment}"))
            release = course.generate_release(root, assignment)
            source = root / "solutions" / assignment
            course.submit(root, assignment, SOLUTION, source)
            course.submit(root, assignment, AGAIN, source)
            course.submit(root, assignment, RELEASE, release)
            students = [SOLUTION, AGAIN, RELEASE]
            built = tmp_path_factory.mktemp(f"mutants-{assignment}")
            for mutant in load_mutants(assignment):
                _build_mutant(source, mutant, built / mutant.name)
                course.submit(root, assignment, f"mutant_{mutant.name}", built / mutant.name)
                students.append(f"mutant_{mutant.name}")
            start = time.perf_counter()
            # mutants are student-like code: sandboxed where bubblewrap runs (issue 13)
            scores = course.autograde_submitted(
                root, assignment, students, timeout=TIMEOUT, fast=True, sandbox=sandbox.available()
            )
            cache[assignment] = Graded(assignment, root, scores, time.perf_counter() - start)
        return cache[assignment]

    return get


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """``generated(ID)``: the release nbgrader generates now, in a temporary course root."""
    cache: dict[str, Path] = {}

    def get(assignment: str) -> Path:
        if assignment not in cache:
            root = course.copy_course(ROOT, tmp_path_factory.mktemp(f"release-{assignment}"))
            cache[assignment] = course.generate_release(root, assignment)
        return cache[assignment]

    return get


def _table(score: Score) -> str:
    return ", ".join(f"{k} {s:g}/{m:g}" for k, (s, m) in sorted(score.cells.items()))


# ---------------------------------------------------------------- static checks (cheap)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_cell_metadata_is_valid(aid: str):
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    nbs = _notebooks(ROOT / "solutions" / aid)
    assert nbs, f"solutions/{aid} has no notebook"
    seen: dict[str, str] = {}
    n_graded = 0
    for name, nb in nbs.items():
        MetadataValidatorV3().validate_nb(nb)  # raises on schema errors and duplicates
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
            f"{name}: set the kernelspec (python3)"
        )
        for cell in nb.cells:
            meta = _meta(cell)
            if not meta:
                continue
            where = f"{name}, cell {meta.get('grade_id', cell.source[:40])!r}"
            assert meta.get("schema_version") == 3, f"{where}: schema_version must be 3"
            assert set(meta) <= NBGRADER_KEYS, f"{where}: extra keys {set(meta) - NBGRADER_KEYS}"
            gid = meta["grade_id"]
            assert gid not in seen, f"{where}: grade_id {gid!r} also used in {seen[gid]}"
            seen[gid] = name
            if meta["solution"]:
                assert not meta["locked"], f"{where}: a solution cell must be unlocked"
            if meta["grade"]:
                n_graded += 1
                assert meta.get("points", 0) > 0, f"{where}: a graded cell needs points > 0"
                if not meta["solution"]:
                    assert meta["locked"], f"{where}: a test cell must be locked"
            else:
                assert "points" not in meta, f"{where}: points only on graded cells"
    assert n_graded, f"{aid}: no graded cells"


def test_mutant_folders_name_assignments():
    folders = sorted(p.name for p in MUTANTS.iterdir() if p.is_dir()) if MUTANTS.is_dir() else []
    unknown = [f for f in folders if f not in ASSIGNMENTS]
    assert not unknown, f"tests/mutants/{unknown} match no assignment in solutions/"


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_committed_release_is_up_to_date(aid: str, generated):
    hint = (
        f"assignments/{aid} is stale or missing: run `make release` (or "
        f"`nbgrader generate_assignment {aid} --force`) and commit assignments/{aid}"
    )
    fresh, committed = _notebooks(generated(aid)), _notebooks(ROOT / "assignments" / aid)
    assert sorted(committed) == sorted(fresh), f"{hint}\nnotebooks differ: {sorted(committed)}"
    for name in fresh:
        a, b = fresh[name].cells, committed[name].cells
        assert len(a) == len(b), f"{hint}\n{name}: {len(b)} cells committed, {len(a)} generated"
        for i, (new, old) in enumerate(zip(a, b, strict=True)):
            what = f"{hint}\n{name}, cell {i} ({_meta(new).get('grade_id', new.cell_type)})"
            assert old.cell_type == new.cell_type, f"{what}: cell type differs"
            assert old.source == new.source, f"{what}: source differs"
            assert _meta(old) == _meta(new), f"{what}: nbgrader metadata differs"


@pytest.mark.parametrize("which", ["generated", "committed"])
@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_release_has_no_solution_or_hidden_tests(aid: str, which: str, generated):
    folder = generated(aid) if which == "generated" else ROOT / "assignments" / aid
    release = _notebooks(folder)
    assert release, f"no release notebooks in {folder}"
    secret = bundle.secret_lines(ROOT, aid)
    assert secret, f"solutions/{aid} has no solution or hidden-test lines at all"
    problems = bundle.check_bundle(folder, secret)
    assert not problems, f"{which} release of {aid} leaks:\n" + "\n".join(problems)
    for name, nb in release.items():
        # code cells of the release carry no outputs either
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
        assert not dirty, f"{which} {name}: cells {dirty} carry outputs"


def test_leak_scan_sees_a_twin_beside_the_release(tmp_path: Path):
    """The scan reads every file: a solution twin copied into a release is caught."""
    aid = ASSIGNMENTS[0]
    shutil.copytree(ROOT / "assignments" / aid, tmp_path / aid)
    shutil.copy(ROOT / "solutions" / aid / f"{aid}.py", tmp_path / aid / f"{aid}.py")
    problems = bundle.check_bundle(tmp_path / aid, bundle.secret_lines(ROOT, aid))
    assert any(p.startswith(f"{aid}.py") for p in problems), problems


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_release_holds_only_the_notebooks(aid: str, generated):
    files = sorted(
        str(p.relative_to(generated(aid))) for p in generated(aid).rglob("*") if p.is_file()
    )
    assert all(f.endswith(".ipynb") for f in files), f"non-notebook files in the release: {files}"


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_assignment_is_worth_100_points_with_written_answers(aid: str):
    cells = [
        _meta(c) | {"type": c.cell_type}
        for nb in _notebooks(ROOT / "solutions" / aid).values()
        for c in nb.cells
    ]
    graded = [m for m in cells if m.get("grade")]
    total = sum(m["points"] for m in graded)
    written = [m["grade_id"] for m in graded if m["type"] == "markdown"]
    assert total == 100, f"{aid}: {total} points, every assignment is worth 100"
    assert 2 <= len(written) <= 3, f"{aid}: {len(written)} written answers graded by hand, want 2-3"


# ---------------------------------------------------------------- grading (expensive)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_solution_gets_full_marks(aid: str, graded):
    g = graded(aid)
    score = g.scores[SOLUTION]
    print(f"{aid}: {len(g.scores)} submissions autograded in {g.seconds:.1f} s")
    assert score.auto_max > 0, f"{aid}: no autograded points (no graded cells?)"
    assert score.auto_score == score.auto_max, (
        f"{aid}: the solution scores {score.auto_score:g}/{score.auto_max:g} autograded "
        f"points: {_table(score)}"
    )


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_unmodified_release_scores_zero(aid: str, graded):
    score = graded(aid).scores[RELEASE]
    assert score.max_score > 0
    assert score.score == 0, (
        f"{aid}: the unmodified release earns {score.score:g} points: {_table(score)}"
    )


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_grading_is_deterministic(aid: str, graded):
    g = graded(aid)
    first, second = g.scores[SOLUTION], g.scores[AGAIN]
    assert first.cells, f"{aid}: no per-cell grades recorded"
    assert first.cells == second.cells, (
        f"{aid}: the same notebook graded twice: {_table(first)} vs {_table(second)}"
    )


@pytest.mark.parametrize(
    "mutant", MUTANT_CASES, ids=[f"{m.assignment}-{m.name}" for m in MUTANT_CASES]
)
def test_mutant_loses_points(mutant: Mutant, graded):
    score = graded(mutant.assignment).scores[f"mutant_{mutant.name}"]
    print(f"mutant {mutant.name}: {score.score:g}/{score.max_score:g} ({_table(score)})")
    assert score.max_score > 0
    if "all" in mutant.keeps:
        assert not score.lost, f"honest variant {mutant.name} loses points: {_table(score)}"
        return
    assert score.auto_score < score.auto_max, (
        f"mutant {mutant.name} ({mutant.cell}) gets full marks: the tests miss this mistake"
    )
    kept = [gid for gid in mutant.loses if gid not in score.lost]
    assert not kept, (
        f"mutant {mutant.name}: expected to lose points in {kept}, but got {_table(score)}"
    )
    cascade = [gid for gid in mutant.keeps if gid in score.lost]
    assert not cascade, (
        f"mutant {mutant.name} ({mutant.cell}) also loses points in "
        f"{cascade}: each question must be graded on its own ({_table(score)})"
    )


def test_copy_course_holds_only_what_nbgrader_needs(tmp_path: Path):
    """Grading happens in such a copy, so the repository never gets a gradebook."""
    root = course.copy_course(ROOT, tmp_path / "course")
    assert sorted(p.name for p in root.iterdir()) == ["nbgrader_config.py", "solutions"]
    assert course.assignment_ids(root) == ASSIGNMENTS
    shutil.rmtree(root / "solutions")
    with pytest.raises(FileNotFoundError):
        course.find_root(root)
