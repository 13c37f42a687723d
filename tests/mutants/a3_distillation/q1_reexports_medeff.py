# cell: q1-solution
# loses: q1-tests
# Re-exports the course's reference implementation instead of writing one.
from medeff.distillation import kd_loss  # noqa: F401
