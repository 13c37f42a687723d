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
c.Autograde.autograde_preprocessors = [
    "medeff.sandbox.SandboxedExecute",
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
    "medeff.sandbox.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
