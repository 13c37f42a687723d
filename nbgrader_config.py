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
