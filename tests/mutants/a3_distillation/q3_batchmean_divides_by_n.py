# cell: q3-solution
# loses: q3-tests
# kl_div(..., reduction="batchmean") on NCHW tensors divides by N, not by N*H*W.


def pixelwise_kd_loss(student_logits, teacher_logits, temperature=4.0):
    t = temperature
    log_p = F.log_softmax(student_logits / t, dim=1)  # noqa: F821
    q = F.softmax(teacher_logits / t, dim=1)  # noqa: F821
    return F.kl_div(log_p, q, reduction="batchmean") * t * t  # noqa: F821
