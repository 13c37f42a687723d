# cell: q4-solution
# loses: q4-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# Re-exports the course's reference implementation instead of writing one.
from medeff.models.efficient import GhostModule  # noqa: F401
