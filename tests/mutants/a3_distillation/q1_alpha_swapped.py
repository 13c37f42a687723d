# cell: q1-solution
# loses: q1-tests
# Puts alpha on the hard-label term and (1 - alpha) on the soft term.


def kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.9):
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)  # noqa: F821
    q = F.softmax(teacher_logits / t, dim=1)  # noqa: F821
    soft = F.kl_div(log_p, q, reduction="batchmean") * t * t  # noqa: F821
    return (1 - alpha) * soft + alpha * F.cross_entropy(student_logits, labels)  # noqa: F821
