# cell: q4-solution
# loses: q4-tests
# A wrapper around the course's reference implementation.
import medeff


def importance_map(features, p=4):
    return medeff.distillation.importance_map(features, p=p)
