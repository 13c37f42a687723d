# cell: q3-solution
# loses: q3-tests
# Takes the softmax over the last (width) dimension instead of the channels.


def pixelwise_kd_loss(student_logits, teacher_logits, temperature=4.0):
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=-1)  # noqa: F821
    q = F.softmax(teacher_logits / t, dim=-1)  # noqa: F821
    kl = (q * (q.log() - log_p)).sum(dim=-1)
    return kl.mean() * t * t
