"""Autograding sandbox: every student kernel that nbgrader starts runs under bubblewrap.

Course infrastructure (not a lecture topic; issue 13). ``nbgrader_config.py`` replaces
nbgrader's ``Execute`` preprocessor by :class:`SandboxedExecute`, whose kernels are started
by :class:`SandboxedKernelManager`: the usual ``python -m ipykernel_launcher`` command,
wrapped as ``prlimit ... bwrap ... -- [setpriv --reuid=nobody ...] python -m ipykernel_launcher``.
For feedback, :class:`HideHiddenTests` cuts the hidden tests from sources and outputs.

Inside the sandbox the kernel sees

* its own grading folder ``autograded/<student>/<assignment>`` read-write (its notebooks
  there, which hold the hidden tests while they run, are replaced by empty files);
* the Python environment (the interpreter's prefixes and ``sys.path``, e.g. ``.venv``, the
  base interpreter it links to and the ``medeff`` sources), ``/usr`` and a few files of
  ``/etc`` read-only; the medeff cache's files read-only, through a private writable
  ``$MEDEFF_CACHE`` (new entries vanish with the sandbox, so nobody can poison the cache);
* a private ``/tmp`` (tmpfs, size-capped), a private ``/proc``, a minimal ``/dev``, and the
  folder of its own ZeroMQ sockets (IPC transport, so it needs no network).

Nothing else: not the course root, ``gradebook.db``, ``solutions/``, ``source/``, other
students' folders, the home folder or the grader's environment variables. No network
(own network namespace), no new user namespaces; CPU time, address space (memory), file
size and process count are limited with ``prlimit``. When the grader runs as root, the
kernel runs as user ``nobody`` (root ignores the process limit).

Limits (environment variables read when a kernel starts):
``MEDEFF_SANDBOX_MEMORY_GB`` (address space per process, default 8),
``MEDEFF_SANDBOX_CPU_S`` (CPU seconds per process, default 900),
``MEDEFF_SANDBOX_NPROC`` (processes/threads beyond those the user already runs, default 256),
``MEDEFF_SANDBOX_TMP_MB`` (size of the private /tmp, default 1024, also the largest file).

``MEDEFF_UNSANDBOXED=1`` runs kernels unsandboxed (only for trusted notebooks, e.g. the
instructor's own solutions); ``MEDEFF_BWRAP`` names the bwrap binary (default: on PATH).
Check the sandbox on a machine with ``python -m medeff.sandbox``; measure its cost per
submission with ``python -m medeff.sandbox bench N``.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

# = medeff.config.CACHE_ENV; no relative import: nbgrader_config.py loads this file on its
# own (as ``medeff_sandbox``), so nbgrader does not import the medeff package (torch).
CACHE_ENV = "MEDEFF_CACHE"
UNSANDBOXED_ENV = "MEDEFF_UNSANDBOXED"
BWRAP_ENV = "MEDEFF_BWRAP"
NOBODY = 65534
_TRUE = {"1", "true", "yes", "on"}

INSTALL_HINT = (
    "Autograding runs every student kernel in a bubblewrap sandbox (issue 13), and bwrap "
    "is {problem}. Install it: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
    "`sudo dnf install bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch); it needs "
    "unprivileged user namespaces (most distributions allow them; in Docker run the grader "
    "with --security-opt seccomp=unconfined or outside the container). Only for trusted "
    f"notebooks, set {UNSANDBOXED_ENV}=1 to grade WITHOUT the sandbox: student code then "
    "runs with your rights and can read the gradebook and the hidden tests."
)

# Environment variables handed to the sandboxed kernel (everything else is dropped:
# the grader's tokens, paths and session variables stay outside).
_ENV_KEEP = {
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_NUMERIC",
    "TZ",
    "NBGRADER_EXECUTION",
    "MPLBACKEND",
    "CUDA_VISIBLE_DEVICES",
    "PYTHONHASHSEED",
    "PYTHONUNBUFFERED",
    "PYTHONWARNINGS",
}
_ENV_KEEP_PREFIXES = ("MEDEFF_", "OMP_", "MKL_", "OPENBLAS_", "KMP_")
_ENV_DROP = {UNSANDBOXED_ENV, BWRAP_ENV, CACHE_ENV}

# Read-only system paths (bound when present; merged-/usr symlinks are recreated).
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "nsswitch.conf",
    "passwd",
    "group",
    "hosts",
    "mime.types",
    "fonts",
    "alternatives",
    "matplotlibrc",
)
_SYS_DIRS = ("/sys/devices/system/cpu",)  # CPU topology for torch/OpenMP


def unsandboxed() -> bool:
    """True when ``MEDEFF_UNSANDBOXED`` asks to grade without the sandbox (trusted code only)."""
    return os.environ.get(UNSANDBOXED_ENV, "").strip().lower() in _TRUE


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (each ``prlimit`` applies per process)."""

    memory_bytes: int = 8 << 30
    cpu_seconds: int = 900
    extra_processes: int = 256
    tmp_bytes: int = 1 << 30

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults overridden by ``MEDEFF_SANDBOX_{MEMORY_GB,CPU_S,NPROC,TMP_MB}``."""

        def get(name: str, default: float) -> float:
            value = os.environ.get(f"MEDEFF_SANDBOX_{name}", "").strip()
            return float(value) if value else default

        return cls(
            memory_bytes=int(get("MEMORY_GB", 8) * (1 << 30)),
            cpu_seconds=int(get("CPU_S", 900)),
            extra_processes=int(get("NPROC", 256)),
            tmp_bytes=int(get("TMP_MB", 1024) * (1 << 20)),
        )


def bwrap_path() -> str | None:
    """The bubblewrap binary (``$MEDEFF_BWRAP`` or ``bwrap`` on PATH), or None."""
    name = os.environ.get(BWRAP_ENV) or "bwrap"
    return shutil.which(name)


def _run_as_nobody() -> bool:
    return os.geteuid() == 0


def _user_tasks(uid: int) -> int:
    """Processes + threads of real user ``uid`` (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
        except (OSError, KeyError, ValueError):
            continue
    return count


def _prlimit(limits: Limits) -> list[str]:
    """``prlimit`` in front of bwrap: limits that every sandboxed process inherits."""
    uid = NOBODY if _run_as_nobody() else os.getuid()
    nproc = _user_tasks(uid) + limits.extra_processes
    return [
        "prlimit",
        f"--as={limits.memory_bytes}",
        f"--cpu={limits.cpu_seconds}",
        f"--nproc={nproc}",
        f"--fsize={limits.tmp_bytes}",
        "--core=0",
        "--",
    ]


def _drop_root() -> list[str]:
    """Root grades: inside the sandbox, become ``nobody`` (root ignores RLIMIT_NPROC)."""
    if not _run_as_nobody():
        return []
    return [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
        "--",
    ]


@functools.cache
def _check(bwrap: str | None, as_root: bool) -> str:
    if bwrap is None:
        return INSTALL_HINT.format(problem="not installed (no `bwrap` on PATH)")
    for tool in ("prlimit", "setpriv") if as_root else ("prlimit",):
        if shutil.which(tool) is None:
            return f"the sandbox needs `{tool}` (Debian package util-linux), not found on PATH"
    cmd = [bwrap, *_base_args(), "--", *_drop_root(), "/bin/sh", "-c", "exit 0"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return INSTALL_HINT.format(problem=f"not usable here ({err})")
    if proc.returncode != 0:
        return INSTALL_HINT.format(problem=f"not usable here: {proc.stderr.strip()[-500:]}")
    return ""


def problem() -> str:
    """Why the sandbox cannot run on this machine ('' when it can; cached per process)."""
    return _check(bwrap_path(), _run_as_nobody())


def available() -> bool:
    """True when bubblewrap is installed and can create its namespaces here."""
    return not problem()


def _namespaces() -> list[str]:
    if _run_as_nobody():  # real root: no user namespace; setpriv (needs these caps) drops to nobody
        return [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--die-with-parent",
        ]
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"]


Mount = tuple[str, list[str]]  # (destination, bwrap arguments)


def _system_mounts() -> list[Mount]:
    """The read-only system every sandbox gets (merged-/usr symlinks recreated)."""
    ops: list[Mount] = [("/proc", ["--proc", "/proc"]), ("/dev", ["--dev", "/dev"])]
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            ops.append((d, ["--symlink", os.readlink(d), d]))
        elif os.path.isdir(d):
            ops.append((d, ["--ro-bind", d, d]))
    ops += [(f"/etc/{n}", ["--ro-bind-try", f"/etc/{n}", f"/etc/{n}"]) for n in _ETC_FILES]
    ops += [(d, ["--ro-bind-try", d, d]) for d in _SYS_DIRS]
    return ops


def _mount_args(ops: list[Mount]) -> list[str]:
    """bwrap arguments for ``ops``, parents first; missing parent folders are created
    with mode 0755 (bwrap would make them 0700, unreadable once the kernel is nobody)."""
    args: list[str] = []
    made: set[str] = {"/"}
    bound: list[str] = []
    for dest, op in sorted(ops, key=lambda o: o[0]):
        parts = Path(dest).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent in made or any(_is_within(parent, b) for b in bound):
                continue
            args += ["--perms", "0755", "--dir", parent]
            made.add(parent)
        args += op
        made.add(dest)
        if op[0] != "--tmpfs" and "--tmpfs" not in op:
            bound.append(dest)
    return [*args, "--remount-ro", "/"]  # the skeleton around the mounts: nothing to write


def _base_args() -> list[str]:
    """bwrap options every sandbox gets: namespaces and the read-only system."""
    return [*_namespaces(), *_mount_args(_system_mounts())]


@functools.lru_cache(maxsize=16)
def _python_paths(executable: str) -> tuple[str, ...]:
    """Folders the interpreter ``executable`` needs: its prefixes and ``sys.path``."""
    code = (
        "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
        " sys.base_exec_prefix, sys.executable, *sys.path]))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}
    out = subprocess.run(
        [executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    ).stdout
    paths = {executable, os.path.realpath(executable)}
    for p in json.loads(out):
        if p and os.path.exists(p):
            paths |= {p, os.path.realpath(p)}
    exe = os.path.realpath(executable)
    paths.add(os.path.dirname(os.path.dirname(exe)))  # the interpreter's own prefix
    return tuple(sorted(paths))


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _read_only_paths(paths: Iterable[str], protected: Sequence[str]) -> list[str]:
    """Minimal set of folders to bind: drop system dirs, nested paths, and any path that
    contains a protected folder (binding it would expose the course root)."""
    keep: list[str] = []
    for p in sorted({os.path.normpath(p) for p in paths}):
        if any(_is_within(p, d) for d in _SYSTEM_DIRS) or p in ("/", "/etc"):
            continue
        if any(_is_within(q, p) for q in protected):
            continue
        if any(_is_within(p, k) for k in keep):
            continue
        keep.append(p)
    return keep


def _masked_notebooks(workdir: Path) -> list[Path]:
    """Notebooks in the grading folder: while one runs, the file holds its hidden tests."""
    found = []
    for dirpath, dirnames, filenames in os.walk(workdir):
        dirnames[:] = (
            [d for d in dirnames if not d.startswith(".")]
            if len(Path(dirpath).relative_to(workdir).parts) < 3
            else []
        )
        found += [Path(dirpath) / f for f in filenames if f.endswith(".ipynb")]
    return sorted(found)


def kernel_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a sandboxed kernel gets: a whitelist of ``env`` plus HOME=/tmp."""
    keep = {
        k: v
        for k, v in env.items()
        if (k in _ENV_KEEP or k.startswith(_ENV_KEEP_PREFIXES)) and k not in _ENV_DROP
    }
    keep.update(
        HOME="/tmp",
        TMPDIR="/tmp",
        USER="student",
        LOGNAME="student",
        MPLCONFIGDIR="/tmp/matplotlib",
    )
    return keep


CACHE_INSIDE = "/tmp/medeff-cache"


def _host_cache(env: Mapping[str, str]) -> Path:
    """The grader's medeff cache folder (same rule as :func:`medeff.config.cache_dir`)."""
    value = env.get(CACHE_ENV)
    if value:
        return Path(value).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medeff"


def _cache_mounts(env: Mapping[str, str], kernel: dict[str, str]) -> list[Mount]:
    """A writable private cache whose entries link to the grader's cache (bound read-only).

    The kernel's ``$MEDEFF_CACHE`` is ``/tmp/medeff-cache`` (in the private /tmp): data and
    trained models already cached are read through symlinks, anything new is written
    privately and vanishes with the sandbox. Files the kernel's user cannot read (root
    grading: ``nobody`` and a 0600 file) are left out and regenerated if needed.
    """
    kernel[CACHE_ENV] = CACHE_INSIDE
    ops: list[Mount] = [(CACHE_INSIDE, ["--perms", "0777", "--dir", CACHE_INSIDE])]
    cache = _host_cache(env).resolve()
    if not cache.is_dir():
        return ops
    links: list[Mount] = []
    for dirpath, dirnames, filenames in os.walk(cache):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if _usable(here / d, is_dir=True)]
        rel = here.relative_to(cache)
        if rel.parts:
            dest = f"{CACHE_INSIDE}/{rel.as_posix()}"
            links.append((dest, ["--perms", "0777", "--dir", dest]))
        for name in filenames:
            if _usable(here / name, is_dir=False):
                dest = f"{CACHE_INSIDE}/{(rel / name).as_posix()}"
                links.append((dest, ["--symlink", str(here / name), dest]))
    if links:
        ops += [(str(cache), ["--ro-bind", str(cache), str(cache)]), *links]
    return ops


def _usable(path: Path, *, is_dir: bool) -> bool:
    """Can the kernel's user read ``path`` (nobody when the grader is root)?"""
    if path.is_symlink():
        return False
    if not _run_as_nobody():
        return os.access(path, os.R_OK | (os.X_OK if is_dir else 0))
    mode = path.stat().st_mode
    return bool(mode & 0o004) and (not is_dir or bool(mode & 0o001))


def sandbox_command(
    cmd: Sequence[str],
    *,
    workdir: Path,
    private: Path,
    env: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    protected: Sequence[Path] = (),
) -> list[str]:
    """Wrap the kernel command ``cmd`` so it runs sandboxed in ``workdir``.

    ``private`` is a folder of this kernel only (its sockets and connection file; bound
    read-write at the same path). ``protected`` folders (default: the current folder, i.e.
    the course root) are never bound, even when a Python path contains them.
    """
    bwrap = bwrap_path()
    reason = problem()
    if reason:
        raise RuntimeError(reason)
    env = dict(os.environ if env is None else env)
    limits = limits or Limits.from_env()
    workdir = Path(workdir).resolve()
    private = Path(private).resolve()
    protected = [str(Path(p).resolve()) for p in (protected or [Path.cwd()])]
    protected = [p for p in protected if p != "/"]
    kernel = kernel_env(env)
    ops = _system_mounts()
    for p in _read_only_paths(_python_paths(cmd[0]), [*protected, str(workdir)]):
        ops.append((p, ["--ro-bind", p, p]))
    ops += _cache_mounts(env, kernel)
    ops += [
        ("/tmp", ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]),
        (str(private), ["--bind", str(private), str(private)]),
        (str(workdir), ["--bind", str(workdir), str(workdir)]),
    ]
    empty = private / "empty"
    empty.touch()
    ops += [(str(nb), ["--ro-bind", str(empty), str(nb)]) for nb in _masked_notebooks(workdir)]
    args = [*_namespaces(), *_mount_args(ops)]
    args += ["--clearenv"]
    for k, v in sorted(kernel.items()):
        args += ["--setenv", k, v]
    args += ["--chdir", str(workdir), "--"]
    if _run_as_nobody():
        _give_to_nobody(workdir, private)
    return [*_prlimit(limits), bwrap, *args, *_drop_root(), *cmd]


def _give_to_nobody(workdir: Path, private: Path) -> None:
    """Root grades: the kernel runs as nobody and must write its folder and sockets."""
    for folder in (workdir, private):
        os.chown(folder, NOBODY, NOBODY)
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                os.chown(os.path.join(dirpath, name), NOBODY, NOBODY, follow_symlinks=False)


# ------------------------------------------------------------------ jupyter / nbgrader glue


class SandboxedKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernel runs in the bubblewrap sandbox (IPC transport).

    The ZeroMQ sockets and the connection file live in a private folder of this kernel,
    bound into the sandbox; interrupts are sent as messages (a SIGINT to the process group
    would reach bwrap itself).
    """

    _sandbox_dir: str | None = None

    async def _async_pre_start_kernel(self, **kw):
        reason = problem()
        if reason:
            raise RuntimeError(reason)
        if self._sandbox_dir is None or not os.path.isdir(self._sandbox_dir):
            self._sandbox_dir = tempfile.mkdtemp(prefix="medeff-kernel-")
        self.cache_ports = False
        self.transport = "ipc"
        self.ip = os.path.join(self._sandbox_dir, "k")
        self.connection_file = os.path.join(self._sandbox_dir, "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        launch = dict(self._launch_args or {})
        workdir = Path(launch.get("cwd") or os.getcwd())
        self.log.info("sandboxed kernel in %s", workdir)
        return sandbox_command(
            cmd,
            workdir=workdir,
            private=Path(self._sandbox_dir),
            env=launch.get("env") or os.environ,
        )

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._sandbox_dir:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)
            self._sandbox_dir = None

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor whose kernels run in the bubblewrap sandbox.

    Grading stops with an install hint where bwrap is missing or unusable, unless
    ``MEDEFF_UNSANDBOXED=1`` (trusted notebooks only) asks for plain kernels.
    """

    def __init__(self, *args, **kwargs):
        if unsandboxed():
            super().__init__(*args, **kwargs)
            self.log.warning(
                "%s=1: student code runs WITHOUT the sandbox, with your rights "
                "(it can read the gradebook and the hidden tests)",
                UNSANDBOXED_ENV,
            )
            return
        reason = problem()
        if reason:
            raise RuntimeError(reason)
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)


# ------------------------------------------------------------------ feedback without hidden tests

_BEGIN = re.compile(r"BEGIN HIDDEN TESTS")
_END = re.compile(r"END HIDDEN TESTS")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TB_CODE = re.compile(r"^\s*(?:-*>)?\s*\d+\s(.*)$")
HIDDEN_MARK = "[hidden test]"


def split_hidden(source: str) -> tuple[str, set[str], set[str]]:
    """``source`` without its hidden-test regions, the hidden lines, the visible lines."""
    kept, hidden, visible, inside = [], set(), set(), False
    for line in source.splitlines():
        if _BEGIN.search(line):
            inside = True
        elif _END.search(line):
            inside = False
        elif inside:
            hidden.add(line.strip())
        else:
            kept.append(line)
            visible.add(line.strip())
    return "\n".join(kept), hidden, visible


def scrub_text(text: str, secret: set[str]) -> str:
    """Replace each line of ``text`` (traceback code lines too) that is a secret line."""
    out = []
    for line in text.split("\n"):
        plain = _ANSI.sub("", line)
        code = _TB_CODE.match(plain)
        candidates = {plain.strip(), code.group(1).strip() if code else ""}
        out.append(HIDDEN_MARK if candidates & secret else line)
    return "\n".join(out)


def hide_hidden_tests(nb) -> int:
    """Remove hidden tests from ``nb`` (in place): regions in sources and their lines in
    every output (tracebacks, printed text). Returns the number of lines replaced."""
    secret: set[str] = set()
    visible: set[str] = set()
    for cell in nb.cells:
        source, hidden, shown = split_hidden(cell.source)
        if hidden:
            cell.source = source
        secret |= hidden
        visible |= shown
    secret = {s for s in secret - visible if s}
    changed = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                new = scrub_text(out["text"], secret)
                changed += new != out["text"]
                out["text"] = new
            if "traceback" in out:
                new = [scrub_text(t, secret) for t in out["traceback"]]
                changed += new != out["traceback"]
                out["traceback"] = new
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    new = scrub_text(value, secret | {html.escape(s) for s in secret})
                    changed += new != value
                    out["data"][mime] = new
    return changed


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback preprocessor: no hidden-test line reaches the student
    (see :func:`hide_hidden_tests`)."""

    def preprocess(self, nb, resources):
        hide_hidden_tests(nb)
        return nb, resources


def bench(n: int = 4, rounds: int = 2, assignment: str = "a0_counting_costs") -> list[dict]:
    """Time autograding ``n`` copies of a solution with and without the sandbox.

    One ``nbgrader autograde`` run per mode and round (modes alternate, same temporary
    course copy), so both see the same machine load. Returns one row per run.
    """
    import time

    from . import course

    root = course.find_root()
    rows = []
    with tempfile.TemporaryDirectory(prefix="medeff-bench-") as tmp:
        copy = course.copy_course(root, Path(tmp))
        course.generate_release(copy, assignment)
        students = [f"s{i}" for i in range(n)]
        for s in students:
            course.submit(copy, assignment, s, copy / "solutions" / assignment)
        for r in range(rounds):
            for sandboxed in (True, False) if r % 2 == 0 else (False, True):
                start = time.perf_counter()
                scores = course.autograde_submitted(
                    copy, assignment, students, fast=True, sandbox=sandboxed
                )
                seconds = time.perf_counter() - start
                rows.append(
                    {
                        "sandbox": sandboxed,
                        "round": r,
                        "seconds": seconds,
                        "per_submission": seconds / n,
                        "scores": sorted({(v.auto_score, v.auto_max) for v in scores.values()}),
                    }
                )
                print(
                    f"round {r} {'sandbox' if sandboxed else 'plain  '}: {seconds:6.1f} s, "
                    f"{seconds / n:5.1f} s per submission, scores {rows[-1]['scores']}",
                    flush=True,
                )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m medeff.sandbox [check | bench N]``: can this machine run the sandbox,
    and what does it cost per submission?"""
    args = list(sys.argv[1:] if argv is None else argv)
    reason = problem()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    limits = Limits.from_env()
    user = "nobody (grader is root)" if _run_as_nobody() else f"uid {os.getuid()}"
    print(f"sandbox ok: {bwrap_path()}, kernels run as {user}; limits {limits}")
    if args[:1] == ["bench"]:
        rows = bench(int(args[1]) if len(args) > 1 else 4)
        mean = {
            m: sum(r["per_submission"] for r in rows if r["sandbox"] == m)
            / sum(r["sandbox"] == m for r in rows)
            for m in (True, False)
        }
        print(
            f"per submission: {mean[True]:.2f} s sandboxed, {mean[False]:.2f} s plain: "
            f"overhead {100 * (mean[True] / mean[False] - 1):+.0f} % "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
