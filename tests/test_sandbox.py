"""The autograding sandbox (issue 13, ``medeff.sandbox``).

Hostile submissions of ``a0_counting_costs`` are autograded in ONE ``nbgrader autograde``
run (the ``nbgrader_config.py`` of the course, so plain ``nbgrader autograde``) together
with honest ones. Each hostile submission is the instructor's solution with an attack
added to its first solution cell; the attack prints ``BLOCKED <what>`` when it fails and
``ALLOWED <what>`` (with what it got) when it succeeds. The test checks that every attack
is blocked, that nothing changed outside the submission's own folder, that the honest
submissions get exactly the grades they get without the sandbox, and that the feedback
holds no hidden test. Skipped (one-line reason) where bubblewrap cannot run.
"""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import Execute
from traitlets.config.loader import PyFileConfigLoader

from medeff import course, sandbox

ROOT = Path(__file__).resolve().parents[1]
AID = "a0_counting_costs"
CELL = "q1-solution"  # the attacks go into this solution cell, before/after the solution
TIMEOUT = 45  # seconds per cell: the sleeping submission is interrupted after this
NPROC = 64  # extra processes/threads of a sandboxed kernel in the class run
HONEST = ["honest_solution", "honest_wrong", "honest_release"]
MARKER = f"honest-marker-{uuid.uuid4().hex[:8]}"

needs_bwrap = pytest.mark.skipif(
    not sandbox.available(), reason="bubblewrap cannot run here (CI installs it)"
)

PRELUDE = """
import os, pathlib, socket, time
COURSE = pathlib.Path({course!r})
def _try(what, fn):
    try:
        got = fn()
        if not got:
            raise FileNotFoundError("empty")
    except BaseException as err:
        print(f"BLOCKED {{what}}: {{type(err).__name__}}", flush=True)
    else:
        print(f"ALLOWED {{what}}: {{str(got)[:3000]}}", flush=True)
def _up(name):
    here = pathlib.Path.cwd()
    return [str(p / name) for p in (here, *here.parents) if (p / name).exists()]
"""

# name -> (attack code, True: attack runs after the solution, expected BLOCKED labels)
ATTACKS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "read_gradebook": (
        """
_try("gradebook", lambda: open(COURSE / "gradebook.db", "rb").read())
_try("gradebook-walk", lambda: _up("gradebook.db"))
_try("course-root", lambda: [p for p in os.listdir(COURSE) if p != "autograded"])
""",
        False,
        ("gradebook", "gradebook-walk", "course-root"),
    ),
    "read_solutions": (
        """
_try("solutions", lambda: open(COURSE / "solutions" / {aid!r} / ({aid!r} + ".ipynb")).read())
_try("solutions-twin", lambda: open(COURSE / "solutions" / {aid!r} / ({aid!r} + ".py")).read())
_try("solutions-walk", lambda: _up("solutions") + _up("source") + _up("release"))
_try("own-notebook", lambda: open({aid!r} + ".ipynb").read())
""",
        False,
        ("solutions", "solutions-twin", "solutions-walk", "own-notebook"),
    ),
    "read_other_student": (
        """
_try("submitted", lambda: open(COURSE / "submitted" / "honest_solution" / {aid!r}
                              / ({aid!r} + ".ipynb")).read())
_try("autograded", lambda: os.listdir(COURSE / "autograded" / "honest_solution"))
_try("siblings", lambda: [p for p in os.listdir("..") if p != os.path.basename(os.getcwd())])
""",
        False,
        ("submitted", "autograded", "siblings"),
    ),
    "write_course_root": (
        """
_try("write-root", lambda: open(COURSE / "pwned.txt", "w").write("pwned"))
_try("write-gradebook", lambda: open(COURSE / "gradebook.db", "ab").write(b"pwned"))
_try("write-parent", lambda: open("../../pwned.txt", "w").write("pwned"))
open("/tmp/{marker}-pwned", "w").write("pwned")  # private /tmp: must not reach the host
""",
        False,
        ("write-root", "write-gradebook", "write-parent"),
    ),
    "network": (
        """
_try("loopback", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5))
_try("internet", lambda: socket.create_connection(("1.1.1.1", 53), timeout=5))
_try("dns", lambda: socket.getaddrinfo("pypi.org", 443))
""",
        False,
        ("loopback", "internet", "dns"),
    ),
    "memory": (
        """
_try("memory", lambda: len(bytearray(20 * 2**30)))
""",
        False,
        ("memory",),
    ),
    "fork_bomb": (
        """
def _bomb():
    n = 0
    while True:
        if os.fork() == 0:
            while True:  # every child forks on, and keeps its slot
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.2)
        n += 1
        if n > 100000:
            return n
_try("fork", _bomb)
""",
        True,
        (),
    ),  # checked in test_fork_bomb_is_bounded
    "sleep_forever": (
        """
time.sleep(10**6)
""",
        True,
        (),
    ),
}


def _cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def _write(nb: nbformat.NotebookNode, folder: Path) -> Path:
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{AID}.ipynb")
    return folder


def _tree(root: Path) -> set[str]:
    skip = ("autograded", "feedback")  # nbgrader's output folders
    return {
        rel
        for p in root.rglob("*")
        if (rel := p.relative_to(root).as_posix())
        and rel.split("/")[0] not in skip
        and p.name != "gradebook.db"
    }


def _secret_lines(source: Path) -> set[str]:
    """Hidden-test lines of the source notebook that occur nowhere visible."""
    nb = nbformat.read(source, as_version=4)
    hidden: set[str] = set()
    visible: set[str] = set()
    for cell in nb.cells:
        _, h, v = sandbox.split_hidden(cell.source)
        hidden |= h
        visible |= v
    return {s for s in hidden - visible if len(s) > 3}


def _text(path: Path) -> list[str]:
    """The lines of an HTML file as a reader sees them (tags dropped, entities decoded)."""
    raw = re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))
    return [html.unescape(line).strip() for line in raw.splitlines()]


def _outputs(nb: nbformat.NotebookNode, grade_id: str) -> str:
    cell = _cells(nb)[grade_id]
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", ""))
        parts += out.get("traceback", [])
        parts += [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@dataclass
class ClassRun:
    course: Path
    sandboxed: dict[str, course.Score]
    unsandboxed: dict[str, course.Score]
    before: set[str]
    after: set[str]
    accepted: bool
    leftovers: str
    failed: list[str]  # students whose grading failed (nbgrader: "kernel died")


@pytest.fixture(scope="module")
def class_run(tmp_path_factory: pytest.TempPathFactory) -> ClassRun:
    root = course.copy_course(ROOT, tmp_path_factory.mktemp("sandbox-course"))
    release = course.generate_release(root, AID)
    source = root / "solutions" / AID
    built = tmp_path_factory.mktemp("submissions")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]

    honest = nbformat.read(source / f"{AID}.ipynb", as_version=4)
    _cells(honest)[CELL].source += f"\n# {MARKER}\n"
    course.submit(root, AID, "honest_solution", _write(honest, built / "honest_solution"))
    wrong = nbformat.read(source / f"{AID}.ipynb", as_version=4)
    _cells(wrong)[CELL].source = (
        ROOT / "tests" / "mutants" / AID / "q1_forgets_groups.py"
    ).read_text(encoding="utf-8")
    course.submit(root, AID, "honest_wrong", _write(wrong, built / "honest_wrong"))
    course.submit(root, AID, "honest_release", release)
    for name, (attack, after, _) in ATTACKS.items():
        nb = nbformat.read(source / f"{AID}.ipynb", as_version=4)
        code = (PRELUDE + attack).format(course=str(root), aid=AID, port=port, marker=MARKER)
        cell = _cells(nb)[CELL]
        cell.source = f"{cell.source}\n{code}" if after else f"{code}\n{cell.source}"
        course.submit(root, AID, f"hostile_{name}", _write(nb, built / name))

    before = _tree(root)
    students = HONEST + [f"hostile_{n}" for n in ATTACKS]
    failed: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDEFF_SANDBOX_NPROC", str(NPROC))
        try:
            course.autograde_submitted(root, AID, students, timeout=TIMEOUT, fast=True)
        except RuntimeError as err:  # nbgrader exits 1 when a kernel died (the fork bomb's)
            failed = sorted(set(re.findall(r"for student '([^']+)'", str(err))))
            assert failed, str(err)[-3000:]
    sandboxed = {s: course.read_score(root, AID, s) for s in students if s not in failed}
    after = _tree(root)
    try:
        listener.accept()
        accepted = True
    except BlockingIOError:
        accepted = False
    listener.close()
    leftovers = subprocess.run(["pgrep", "-af", str(root)], capture_output=True, text=True).stdout
    # the same honest notebooks without the sandbox, in a second course copy
    plain = course.copy_course(ROOT, tmp_path_factory.mktemp("plain-course"))
    course.generate_release(plain, AID)
    for student in HONEST:
        course.submit(plain, AID, student, root / "submitted" / student / AID)
    unsandboxed = course.autograde_submitted(
        plain, AID, HONEST, timeout=TIMEOUT, fast=True, sandbox=False
    )
    return ClassRun(root, sandboxed, unsandboxed, before, after, accepted, leftovers, failed)


def _autograded(run: ClassRun, student: str) -> nbformat.NotebookNode:
    return nbformat.read(run.course / "autograded" / student / AID / f"{AID}.ipynb", as_version=4)


# ---------------------------------------------------------------- the class run


@needs_bwrap
@pytest.mark.parametrize("name", [n for n, a in ATTACKS.items() if a[2]])
def test_attack_is_blocked(class_run: ClassRun, name: str):
    out = _outputs(_autograded(class_run, f"hostile_{name}"), CELL)
    allowed = [line for line in out.splitlines() if line.startswith("ALLOWED")]
    assert not allowed, f"{name}: the sandbox let through:\n" + "\n".join(allowed)
    for label in ATTACKS[name][2]:
        assert f"BLOCKED {label}:" in out, f"{name}: no 'BLOCKED {label}' in\n{out[-2000:]}"
    assert MARKER not in out.replace(f"/tmp/{MARKER}-pwned", "")


@needs_bwrap
@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_is_graded_as_the_code_it_is(class_run: ClassRun, name: str):
    """Each attack fails, and the rest of the cell is the solution: full marks, except for
    the fork bomb, whose kernel is left without processes (bounded, any score)."""
    if name == "fork_bomb":
        assert class_run.failed in ([], ["hostile_fork_bomb"]), class_run.failed
        return
    assert f"hostile_{name}" not in class_run.failed
    score = class_run.sandboxed[f"hostile_{name}"]
    assert score.auto_max > 0
    assert score.auto_score == score.auto_max, f"{name}: {score.cells}"


@needs_bwrap
def test_sleeping_cell_is_interrupted(class_run: ClassRun):
    out = _outputs(_autograded(class_run, "hostile_sleep_forever"), CELL)
    assert re.search(r"KeyboardInterrupt|CellTimeoutError|Timeout", out), out[-1000:]


@needs_bwrap
def test_fork_bomb_is_bounded(class_run: ClassRun):
    """The bomb hits the process limit; its kernel may then die (libgomp cannot start a
    thread), which nbgrader reports as an error for that student alone."""
    assert not class_run.leftovers, f"processes left after grading:\n{class_run.leftovers}"
    assert set(class_run.failed) <= {"hostile_fork_bomb"}, class_run.failed
    if not class_run.failed:
        out = _outputs(_autograded(class_run, "hostile_fork_bomb"), CELL)
        assert "BLOCKED fork: BlockingIOError" in out, out[-1000:]


@needs_bwrap
def test_nothing_written_outside_its_folder(class_run: ClassRun):
    new = sorted(class_run.after - class_run.before)
    assert not new, f"files appeared in the course root: {new}"
    stray = [
        p
        for p in class_run.course.rglob("*pwned*")
        if "autograded/hostile_write_course_root" not in p.as_posix()
    ]
    assert not stray, f"written outside the submission's folder: {stray}"
    assert not list(Path("/tmp").glob(f"{MARKER}-pwned")), "the sandbox /tmp is not private"


@needs_bwrap
def test_no_network(class_run: ClassRun):
    assert not class_run.accepted, "a sandboxed kernel connected to the host's loopback"


@needs_bwrap
def test_honest_grades_identical_without_sandbox(class_run: ClassRun):
    for student in HONEST:
        got, want = class_run.sandboxed[student], class_run.unsandboxed[student]
        assert got.cells == want.cells, f"{student}: {got.cells} (sandbox) vs {want.cells}"
    assert class_run.sandboxed["honest_solution"].auto_score > 0
    assert class_run.sandboxed["honest_wrong"].lost
    assert class_run.sandboxed["honest_release"].auto_score == 0


@needs_bwrap
def test_outputs_and_feedback_hold_no_hidden_test(class_run: ClassRun):
    secret = _secret_lines(ROOT / "solutions" / AID / f"{AID}.ipynb")
    assert secret
    for student in class_run.sandboxed:
        nb = _autograded(class_run, student)
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                got = {
                    line.strip()
                    for line in _outputs(nb, cell.metadata["nbgrader"]["grade_id"]).splitlines()
                }
                assert not got & secret, f"{student}: hidden tests in outputs: {got & secret}"
    course._nbgrader(class_run.course, "generate_feedback", AID, "--force")
    pages = sorted((class_run.course / "feedback").rglob("*.html"))
    assert len(pages) == len(class_run.sandboxed), pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in text, f"{page}: hidden-test markers"
        leaked = secret & set(_text(page))
        assert not leaked, f"{page}: hidden-test lines in the feedback: {sorted(leaked)[:5]}"
        assert "SQLite format" not in text, f"{page}: holds the gradebook"
        if "honest_solution" not in page.parts:  # only its own page shows its marker
            assert MARKER not in text.replace(f"/tmp/{MARKER}-pwned", ""), page


# ---------------------------------------------------------------- cheap checks


def _config() -> object:
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def _dotted(cls: type) -> str:
    return (
        f"{cls.__module__.rsplit('.', 1)[0]}.{cls.__name__}"
        if cls.__module__.startswith(("nbgrader.preprocessors.", "nbconvert.preprocessors."))
        else f"{cls.__module__}.{cls.__name__}"
    )


def test_config_replaces_only_execute():
    """nbgrader_config.py: nbgrader's own preprocessor lists with two changes."""
    config = _config()
    # loaded on its own (no torch import in nbgrader), the same file as medeff.sandbox
    module = sys.modules["medeff_sandbox"]
    assert Path(module.__file__).resolve() == Path(sandbox.__file__).resolve()
    assert issubclass(module.SandboxedExecute, Execute)
    want = [
        "medeff_sandbox.SandboxedExecute" if cls is Execute else _dotted(cls)
        for cls in Autograde.autograde_preprocessors.default()
    ]
    assert list(config.Autograde.autograde_preprocessors) == want
    feedback = [_dotted(cls) for cls in GenerateFeedback.preprocessors.default()]
    feedback.insert(1, "medeff_sandbox.HideHiddenTests")
    assert list(config.GenerateFeedback.preprocessors) == feedback
    assert config.CourseDirectory.ignore, "keep c.CourseDirectory.ignore"


def test_missing_bwrap_stops_grading(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(sandbox.BWRAP_ENV, "/nonexistent/bwrap")
    monkeypatch.delenv(sandbox.UNSANDBOXED_ENV, raising=False)
    assert not sandbox.available()
    with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
        sandbox.SandboxedExecute()
    monkeypatch.setenv(sandbox.UNSANDBOXED_ENV, "1")  # the documented override
    assert sandbox.SandboxedExecute().kernel_manager_class is not sandbox.SandboxedKernelManager


@needs_bwrap
def test_sandboxed_execute_uses_the_sandbox(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(sandbox.UNSANDBOXED_ENV, raising=False)
    assert sandbox.SandboxedExecute().kernel_manager_class is sandbox.SandboxedKernelManager


@needs_bwrap
def test_mounts_expose_no_course_root_or_home(tmp_path: Path):
    work = tmp_path / "course" / "autograded" / "s" / AID
    work.mkdir(parents=True)
    (work / f"{AID}.ipynb").write_text("{}")
    private = tmp_path / "private"
    private.mkdir()
    cmd = sandbox.sandbox_command(
        [sys.executable, "-c", "pass"],
        workdir=work,
        private=private,
        protected=[tmp_path / "course"],
    )
    sources = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    home = str(Path.home())
    for src in sources:
        assert not (tmp_path / "course").as_posix().startswith(src.rstrip("/") + "/"), src
        assert src not in (home, "/", str(tmp_path / "course")), src
    i = cmd.index(str(private / "empty"))
    assert cmd[i - 1 : i + 2] == ["--ro-bind", str(private / "empty"), str(work / f"{AID}.ipynb")]
    assert "--clearenv" in cmd and ("--unshare-net" in cmd or "--unshare-all" in cmd)


def test_hide_hidden_tests_scrubs_sources_and_outputs():
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell(
        "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, 'f(2)'\n"
        "secret_check(f)\n### END HIDDEN TESTS\n"
    )
    test.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="f(2): expected 4",
            traceback=[
                "\x1b[0;31m---> 3\x1b[0m assert f(2) == 4, 'f(2)'",
                "      4 secret_check(f)",
                "AssertionError: f(2): expected 4",
            ],
        ),
        nbformat.v4.new_output("stream", name="stdout", text="secret_check(f)\nok\n"),
    ]
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    return x"), test]
    assert sandbox.hide_hidden_tests(nb) >= 2
    assert "HIDDEN" not in test.source and "secret_check" not in test.source
    assert "assert f(1) == 1" in test.source
    text = json.dumps(test.outputs)
    assert "secret_check" not in text and "f(2) == 4" not in text
    assert "expected 4" in text and "ok" in text  # the message that says what was expected stays


def test_limits_from_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDEFF_SANDBOX_MEMORY_GB", "2")
    monkeypatch.setenv("MEDEFF_SANDBOX_NPROC", "10")
    limits = sandbox.Limits.from_env()
    assert limits.memory_bytes == 2 << 30 and limits.extra_processes == 10


def test_kernel_env_drops_the_graders_secrets():
    from medeff.config import CACHE_ENV

    assert sandbox.CACHE_ENV == CACHE_ENV
    env = sandbox.kernel_env(
        {
            "PATH": "/usr/bin",
            "GITHUB_TOKEN": "x",
            "HOME": "/root",
            "MEDEFF_FAST": "1",
            sandbox.UNSANDBOXED_ENV: "1",
            "JPY_PARENT_PID": "1",
        }
    )
    assert env["HOME"] == "/tmp" and env["MEDEFF_FAST"] == "1"
    assert "GITHUB_TOKEN" not in env and sandbox.UNSANDBOXED_ENV not in env
    assert "JPY_PARENT_PID" not in env
