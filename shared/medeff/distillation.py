"""Knowledge distillation: response-based (soft targets) and feature-based losses.

Explained in: lecture 06 (response-based KD on the organ patches: soft targets, the
temperature, attention transfer) and lecture 07 (the liver-segmentation case study: the
pixel-wise, importance-map and region-affinity terms of Qin et al.).

Papers:

* Hinton, Vinyals and Dean, "Distilling the knowledge in a neural network", NIPS Deep
  Learning Workshop 2014 (arXiv:1503.02531): :func:`kd_loss`.
* Zagoruyko and Komodakis, "Paying more attention to attention", ICLR 2017
  (arXiv:1612.03928): :func:`importance_map`, :func:`imd_loss`.
* Qin, Bu, Jiang et al., "Efficient medical image segmentation based on knowledge
  distillation", IEEE TMI 40(12):3820-3831, 2021 (code: github.com/EagleMIT/EMKD):
  :func:`pixelwise_kd_loss` (PMD), :func:`imd_loss` (IMD), :func:`region_affinity` and
  :func:`rad_loss` (RAD), :func:`segmentation_loss`; their total loss is
  ``L_seg + 0.1 * PMD + 0.9 * (IMD_low + IMD_high) + 0.9 * (RAD_low + RAD_high)``.

The assignment ``a3_distillation`` asks students to write :func:`kd_loss`,
:func:`dice_coefficient`, :func:`pixelwise_kd_loss`, :func:`importance_map` and
:func:`region_affinity`; its hidden tests compare against these references.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

Batch = tuple[torch.Tensor, ...] | list[torch.Tensor]

# The case study's loss weights (Qin et al. 2021, EMKD train_kd.py).
PMD_WEIGHT = 0.1
IMD_WEIGHT = 0.9
RAD_WEIGHT = 0.9


def _check_logits(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, dims: int | None = None
) -> None:
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} must have the same shape"
        )
    if dims is not None and student_logits.dim() != dims:
        raise ValueError(f"expected {dims}-d logits, got shape {tuple(student_logits.shape)}")


def _check_temperature(temperature: float) -> None:
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")


# ---------------------------------------------------------------- response-based KD
def soft_targets(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``softmax(logits / T)`` over dim 1: the teacher's "soft targets" at temperature ``T``.

    ``T = 1`` is the ordinary softmax; a larger ``T`` flattens it and reveals how the
    teacher ranks the wrong classes ("dark knowledge").
    Explained in: lecture 06 ("Soft targets and the temperature").
    """
    _check_temperature(temperature)
    return torch.softmax(logits / temperature, dim=1)


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> torch.Tensor:
    """Hinton's distillation loss for class scores ``(N, K)``.

    ``alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, labels)``,
    the KL divergence summed over classes and averaged over the ``N`` samples
    ("batchmean"). The ``T^2`` keeps the soft term's gradients the same size as ``T``
    changes (they scale as ``1/T^2``). The teacher's logits are detached.
    Explained in: lecture 06 ("Response-based distillation").
    Paper: Hinton et al. 2014, arXiv:1503.02531.
    """
    _check_logits(student_logits, teacher_logits, dims=2)
    _check_temperature(temperature)
    t = temperature
    log_p_student = F.log_softmax(student_logits / t, dim=1)
    p_teacher = F.softmax(teacher_logits.detach() / t, dim=1)
    soft = F.kl_div(log_p_student, p_teacher, reduction="batchmean") * t * t
    hard = F.cross_entropy(student_logits, labels.reshape(-1).long())
    return alpha * soft + (1.0 - alpha) * hard


def kd_train_step(
    teacher: nn.Module,
    *,
    temperature: float = 4.0,
    alpha: float = 0.9,
    feature_weight: float = 0.0,
    student_layer: str | None = None,
    teacher_layer: str | None = None,
    p: int = 2,
) -> Callable[[nn.Module, Batch], torch.Tensor]:
    """A ``train_step(model, batch) -> loss`` for ``me.fit`` that distils ``teacher``.

    The loss is :func:`kd_loss` on the logits, plus, when ``feature_weight > 0``,
    ``feature_weight *`` :func:`imd_loss` between the outputs of the submodules
    ``student_layer`` and ``teacher_layer`` (attention transfer; channel counts may
    differ, the student's map is resized to the teacher's). The teacher runs in eval mode
    without gradients. Usage::

        step = me.distillation.kd_train_step(teacher, temperature=4, alpha=0.9)
        me.fit(student, train_loader, epochs=5, train_step=step)

    Explained in: lecture 06 ("Training with a teacher"; "Feature-based distillation").
    """
    _check_temperature(temperature)
    if feature_weight > 0 and (student_layer is None or teacher_layer is None):
        raise ValueError("feature_weight > 0 needs student_layer and teacher_layer")
    teacher.eval()
    for param in teacher.parameters():
        param.requires_grad_(False)

    def step(model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = batch[0], batch[1]
        if feature_weight > 0:
            with torch.no_grad(), capture(teacher, [teacher_layer]) as f_t:
                t_logits = teacher(x)
            with capture(model, [student_layer]) as f_s:
                s_logits = model(x)
            loss = kd_loss(s_logits, t_logits, y, temperature, alpha)
            return loss + feature_weight * imd_loss(f_s[student_layer], f_t[teacher_layer], p)
        with torch.no_grad():
            t_logits = teacher(x)
        return kd_loss(model(x), t_logits, y, temperature, alpha)

    return step


@contextmanager
def capture(model: nn.Module, names: Sequence[str | None]) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of submodules ``names`` (as in ``model.named_modules()``).

    Inside ``with capture(model, ["features.1"]) as feats: model(x)``, ``feats`` maps each
    name to that submodule's output of the last forward pass; the hooks are removed on
    exit. Explained in: lecture 06 ("Feature-based distillation").
    """
    found: dict[str, torch.Tensor] = {}
    handles = []
    try:
        for name in names:
            if name is None:
                continue
            module = model.get_submodule(name)

            def hook(_m: nn.Module, _i: object, out: torch.Tensor, key: str = name) -> None:
                found[key] = out

            handles.append(module.register_forward_hook(hook))
        yield found
    finally:
        for handle in handles:
            handle.remove()


def draw_kd_diagram(ax: object | None = None) -> object:
    """Draw the response-based distillation set-up (teacher, student, the two loss terms).

    A matplotlib schematic in the spirit of the seed's "Knowledge Distillation" figure;
    returns the axes. Explained in: lecture 06 ("The teacher").
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.8))
    ax.set_xlim(0, 10.3)
    ax.set_ylim(-0.7, 4)
    ax.axis("off")
    boxes = [  # (x, y, w, h, text, colour)
        (0.1, 1.5, 1.3, 1.0, "CT patch\n$x$", "#eeeeee"),
        (2.2, 2.5, 2.2, 1.3, "teacher\n(large, trained first,\nfrozen)", "#f4cccc"),
        (2.2, 0.4, 1.5, 0.9, "student\n(small)", "#cfe2f3"),
        (5.3, 2.75, 1.8, 0.8, "softmax($t/T$)\nsoft targets", "#fff2cc"),
        (5.3, 0.45, 1.8, 0.8, "softmax($s/T$)", "#fff2cc"),
        (7.8, 1.55, 2.4, 0.9, "$\\alpha T^2\\,$KL(teacher $\\|$ student)", "#d9ead3"),
        (7.8, -0.6, 2.4, 0.7, "$(1-\\alpha)\\,$CE($s$, label $y$)", "#d9ead3"),
    ]
    for x, y, w, h, text, colour in boxes:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=colour, ec="k"))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9)
    arrows = [
        ((1.4, 2.2), (2.2, 3.1), ""),
        ((1.4, 1.8), (2.2, 0.85), ""),
        ((4.4, 3.15), (5.3, 3.15), "logits $t$"),
        ((3.7, 0.85), (5.3, 0.85), "logits $s$"),
        ((7.1, 3.1), (7.8, 2.2), ""),
        ((7.1, 0.9), (7.8, 1.8), ""),
        ((2.95, 0.35), (7.8, -0.25), ""),
    ]
    for a, b, text in arrows:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color="k"))
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.12, text, ha="center", fontsize=8)
    ax.set_title("Response-based knowledge distillation (Hinton et al. 2015)", fontsize=10)
    return ax


# ---------------------------------------------------------------- segmentation metrics
def dice_coefficient(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> float:
    """Dice ``2|P ∩ G| / (|P| + |G|)`` of two binary masks of the same shape.

    Nonzero entries are foreground; counts are pooled over the whole tensor (pass one
    case's slices together for the case study's per-case Dice). ``eps`` is added to the
    numerator and the denominator, ``(2|P ∩ G| + eps) / (|P| + |G| + eps)``, so two empty
    masks give exactly 1.0 and the value otherwise moves by less than ``eps / (|P|+|G|)``.
    Explained in: lecture 07 ("Dice per case").
    """
    if pred.shape != target.shape:
        raise ValueError(
            f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    p, g = pred != 0, target != 0
    inter = (p & g).sum().item()
    total = p.sum().item() + g.sum().item()
    return (2.0 * inter + eps) / (total + eps)


def segmentation_loss(
    logits: torch.Tensor, mask: torch.Tensor, gamma: float = 2.0, smooth: float = 1.0
) -> torch.Tensor:
    """The case study's ``L_seg = 0.5 * focal + 0.5 * (1 - soft Dice of the foreground)``.

    ``logits`` are ``(N, 2, H, W)``, ``mask`` ``(N, H, W)`` with 0/1 entries. Focal loss
    ``mean(-(1 - p_t)^gamma log p_t)`` over all pixels (``gamma = 2``); soft Dice
    ``(2 sum(p1 g) + smooth) / (sum p1 + sum g + smooth)`` pooled over the batch, with
    ``p1`` the softmax foreground probability and ``smooth = 1``.
    Explained in: lecture 07 ("The students and their loss").
    Paper: Qin et al., IEEE TMI 2021 (EMKD ``calc_loss``).
    """
    if logits.dim() != 4 or logits.shape[1] != 2:
        raise ValueError(
            f"segmentation_loss expects logits (N, 2, H, W), got {tuple(logits.shape)}"
        )
    target = mask.reshape(logits.shape[0], *logits.shape[2:]).long()
    log_p = F.log_softmax(logits, dim=1)
    log_pt = log_p.gather(1, target.unsqueeze(1)).squeeze(1)
    focal = (-((1.0 - log_pt.exp()) ** gamma) * log_pt).mean()
    p1, g = log_p[:, 1].exp(), target.float()
    dice = (2.0 * (p1 * g).sum() + smooth) / (p1.sum() + g.sum() + smooth)
    return 0.5 * focal + 0.5 * (1.0 - dice)


# ---------------------------------------------------------------- the case study's terms
def pixelwise_kd_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 4.0
) -> torch.Tensor:
    """Pixel-wise distillation (PMD) for segmentation logits ``(N, C, H, W)``.

    ``T^2 * KL(softmax(t/T) || softmax(s/T))`` at every pixel (softmax over the ``C``
    channels, KL summed over them), averaged over all ``N * H * W`` pixels. The teacher's
    logits are detached. Explained in: lecture 07 ("Pixel-wise distillation").
    Paper: Qin et al., IEEE TMI 2021 (Eq. for L_PMD, T = 4).
    """
    _check_logits(student_logits, teacher_logits, dims=4)
    _check_temperature(temperature)
    t = temperature
    log_p_student = F.log_softmax(student_logits / t, dim=1)
    p_teacher = F.softmax(teacher_logits.detach() / t, dim=1)
    per_pixel = F.kl_div(log_p_student, p_teacher, reduction="none").sum(dim=1)
    return per_pixel.mean() * t * t


def importance_map(features: torch.Tensor, p: int = 4) -> torch.Tensor:
    """The importance (attention) map of features ``(N, C, H, W)``: shape ``(N, H*W)``.

    ``a(F) = vec(mean_c |F_c|^p) / ||vec(mean_c |F_c|^p)||_2``: the channel mean of the
    ``p``-th power of the absolute activations, flattened per sample and L2-normalised
    (``F.normalize``, eps 1e-12). Channel counts of teacher and student need not match.
    Explained in: lecture 06 ("Feature-based distillation") and lecture 07
    ("Importance-map distillation"). Papers: Zagoruyko and Komodakis, ICLR 2017;
    Qin et al., IEEE TMI 2021 (p = 4).
    """
    if features.dim() != 4:
        raise ValueError(
            f"importance_map expects features (N, C, H, W), got {tuple(features.shape)}"
        )
    amap = features.abs().pow(p).mean(dim=1).reshape(features.shape[0], -1)
    return F.normalize(amap, p=2, dim=1)


def imd_loss(f_s: torch.Tensor, f_t: torch.Tensor, p: int = 4) -> torch.Tensor:
    """Importance-map distillation: ``mean_n sum_i (a(F_s)_ni - a(F_t)_ni)^2``.

    If the spatial sizes differ, the student's features are first resized bilinearly
    (``align_corners=False``) to the teacher's, as in the EMKD code; the teacher's
    features are detached. Explained in: lecture 06 ("Feature-based distillation":
    attention transfer, ``p = 2``) and lecture 07 ("Importance-map distillation",
    ``p = 4``). Paper: Qin et al., IEEE TMI 2021.
    """
    if f_s.shape[-2:] != f_t.shape[-2:]:
        f_s = F.interpolate(f_s, size=f_t.shape[-2:], mode="bilinear", align_corners=False)
    diff = importance_map(f_s, p) - importance_map(f_t.detach(), p)
    return diff.pow(2).sum(dim=1).mean()


def _resize_mask(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    if mask.dim() == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    if mask.dim() != 3:
        raise ValueError(f"mask must be (N, H, W) or (N, 1, H, W), got {tuple(mask.shape)}")
    m = (mask != 0).float().unsqueeze(1)
    return F.interpolate(m, size=tuple(size), mode="nearest")[:, 0]


def region_affinity(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per sample, the cosine similarity of the background and foreground mean features.

    ``features`` ``(N, C, h, w)``; ``mask`` ``(N, H, W)`` (or ``(N, 1, H, W)``), nonzero
    = foreground, resized to ``(h, w)`` with ``F.interpolate(mode="nearest")``. With
    ``r_k = sum_i m_ik f_i / sum_i m_ik`` for k in {background, foreground}, returns
    ``cos(r_bg, r_fg)``, shape ``(N,)``. A region with no pixels gets a zero vector
    (similarity 0; the cosine is scale-free, so EMKD's "+1" in one denominator only
    matters then). Explained in: lecture 07 ("Region-affinity distillation").
    Paper: Qin et al., IEEE TMI 2021.
    """
    if features.dim() != 4:
        raise ValueError(
            f"region_affinity expects features (N, C, H, W), got {tuple(features.shape)}"
        )
    fg = _resize_mask(mask, features.shape[-2:]).to(features.dtype)
    if fg.shape[0] != features.shape[0]:
        raise ValueError(f"mask batch {fg.shape[0]} != features batch {features.shape[0]}")
    bg = 1.0 - fg

    def region(m: torch.Tensor) -> torch.Tensor:
        total = (features * m.unsqueeze(1)).sum(dim=(2, 3))
        return total / m.sum(dim=(1, 2)).clamp_min(1.0).unsqueeze(1)

    return F.cosine_similarity(region(bg), region(fg), dim=1)


def rad_loss(f_s: torch.Tensor, f_t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Region-affinity distillation: ``mean_n (c_s,n - c_t,n)^2`` with ``c`` = :func:`region_affinity`.

    Each feature map gets the mask resized to its own size; the teacher's features are
    detached. Explained in: lecture 07 ("Region-affinity distillation").
    Paper: Qin et al., IEEE TMI 2021.
    """
    return (region_affinity(f_s, mask) - region_affinity(f_t.detach(), mask)).pow(2).mean()


def emkd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    mask: torch.Tensor,
    student_features: Sequence[torch.Tensor] = (),
    teacher_features: Sequence[torch.Tensor] = (),
    *,
    pmd: float = PMD_WEIGHT,
    imd: float = IMD_WEIGHT,
    rad: float = RAD_WEIGHT,
    temperature: float = 4.0,
    p: int = 4,
) -> dict[str, torch.Tensor]:
    """The case study's total loss and its parts, as a dict with key ``"total"``.

    ``total = L_seg + pmd * PMD + imd * sum_taps IMD + rad * sum_taps RAD``, with the
    paper's weights 0.1, 0.9, 0.9 by default (set one to 0 for an ablation). The feature
    lists pair the taps (e.g. low = stride 2, high = stride 8).
    Explained in: lecture 07 ("The total loss and the ablation").
    Paper: Qin et al., IEEE TMI 2021.
    """
    if len(student_features) != len(teacher_features):
        raise ValueError("student_features and teacher_features must pair up")
    zero = student_logits.new_zeros(())
    parts = {"seg": segmentation_loss(student_logits, mask), "pmd": zero, "imd": zero, "rad": zero}
    if pmd:
        parts["pmd"] = pixelwise_kd_loss(student_logits, teacher_logits, temperature)
    if imd:
        parts["imd"] = sum(
            (imd_loss(s, t, p) for s, t in zip(student_features, teacher_features, strict=True)),
            zero,
        )
    if rad:
        parts["rad"] = sum(
            (rad_loss(s, t, mask) for s, t in zip(student_features, teacher_features, strict=True)),
            zero,
        )
    parts["total"] = parts["seg"] + pmd * parts["pmd"] + imd * parts["imd"] + rad * parts["rad"]
    return parts


__all__ = [
    "IMD_WEIGHT",
    "PMD_WEIGHT",
    "RAD_WEIGHT",
    "capture",
    "dice_coefficient",
    "draw_kd_diagram",
    "emkd_loss",
    "imd_loss",
    "importance_map",
    "kd_loss",
    "kd_train_step",
    "pixelwise_kd_loss",
    "rad_loss",
    "region_affinity",
    "segmentation_loss",
    "soft_targets",
]
