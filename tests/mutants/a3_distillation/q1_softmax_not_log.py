# cell: q1-solution
# loses: q1-tests
# Passes probabilities, not log-probabilities, as kl_div's first argument.


def kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.9):
    t = temperature
    p = F.softmax(student_logits / t, dim=1)  # noqa: F821
    q = F.softmax(teacher_logits / t, dim=1)  # noqa: F821
    soft = F.kl_div(p, q, reduction="batchmean") * t * t  # noqa: F821
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)  # noqa: F821
