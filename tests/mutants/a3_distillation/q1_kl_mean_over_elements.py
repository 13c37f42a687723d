# cell: q1-solution
# loses: q1-tests
# Uses kl_div's reduction="mean", which divides by N*K instead of the batch size N.


def kd_loss(student_logits, teacher_logits, labels, temperature=4.0, alpha=0.9):
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)  # noqa: F821
    q = F.softmax(teacher_logits / t, dim=1)  # noqa: F821
    soft = F.kl_div(log_p, q, reduction="mean") * t * t  # noqa: F821
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)  # noqa: F821
