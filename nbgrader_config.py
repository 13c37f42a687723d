"""nbgrader configuration: the course root is the repository root."""

c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "medeff-lecture14"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Per-cell execution limit while autograding (nbgrader's default is 30 s).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
