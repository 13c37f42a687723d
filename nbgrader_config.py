"""nbgrader configuration: the course root is the repository root."""

c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "medeff-lecture14"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Never copy a source folder's non-notebook files into the release: the jupytext twin
# solutions/ID/ID.py holds the solutions and hidden tests (tests/test_nbgrader_cycle.py
# scans every file of the release for leaks).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py",
                            "*.md~", ".~*"]
# Per-cell execution limit while autograding (nbgrader's default is 30 s).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Sandbox (issue 13): every kernel that autograding starts runs in a bubblewrap sandbox
# (medeff.sandbox): it sees its own autograded/<student>/<assignment> folder and the Python
# environment, not the course root, the gradebook, solutions/ or other students' work; no
# network; CPU, memory and process limits. This list is nbgrader's default with Execute
# replaced (tests/test_sandbox.py checks that). Without bwrap grading stops with an install
# hint; MEDEFF_UNSANDBOXED=1 grades without the sandbox (trusted notebooks only).


def _sandbox_module() -> str:
    """medeff/sandbox.py loaded on its own as ``medeff_sandbox``: nbgrader then does not
    import the medeff package (torch: seconds per run). Fallback: ``medeff.sandbox``."""
    import importlib.util
    import sys
    from pathlib import Path

    if "medeff_sandbox" not in sys.modules:
        try:
            path = Path(importlib.util.find_spec("medeff").origin).parent / "sandbox.py"
            spec = importlib.util.spec_from_file_location("medeff_sandbox", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules["medeff_sandbox"] = module
            spec.loader.exec_module(module)
        except Exception:  # noqa: BLE001  (then nbgrader imports medeff.sandbox itself)
            sys.modules.pop("medeff_sandbox", None)
            return "medeff.sandbox"
    return "medeff_sandbox"


_SANDBOX = _sandbox_module()
c.Autograde.autograde_preprocessors = [
    f"{_SANDBOX}.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback holds no hidden test: their regions are cut from the sources and their lines
# from every output (tracebacks, printed text).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    f"{_SANDBOX}.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
