# cell: q1-solution
# loses: q1-tests
# Computes KL(student || teacher) instead of KL(teacher || student).


def kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.9):
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)  # noqa: F821
    log_q = F.log_softmax(teacher_logits / t, dim=1)  # noqa: F821
    soft = (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()
    return alpha * t * t * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)  # noqa: F821
