"""The figures the lecture slides quote, as data, so notebooks can show them beside measurements.

Explained in: lecture 00 (compute demands of popular DNNs).

Source: the slides of "Deep Learning Model Efficiency", lecture 14 of CAP 5516 Medical
Image Computing (Chen Chen, University of Central Florida, Spring 2022); the values below
are transcribed from them, so this module is the course's copy of the quoted figures:

* the slide "Popular DNN Models" (credit: Vivienne Sze; after Sze et al., "Efficient
  Processing of Deep Neural Networks", Proc. IEEE 2017) -> :data:`POPULAR_DNN_MODELS`;
* the table "Different models with different sizes" -> :data:`MODEL_SIZES`;
* the network-slimming tables (Liu et al., ICCV 2017) -> :data:`NETWORK_SLIMMING`
  (explained in: lecture 04, "Network slimming").

These are the papers' (rounded) figures as the slides print them, nothing measured.
Footnotes of the slide: the EfficientNet-B4 top-5 error "does not include multi-crop and
ensemble"; its 65 FC layers are mostly squeeze-and-excitation layers ("much smaller than FC
layers for classification"). The slide's "# of MACs" row for FC layers repeats the FC
weights (one MAC per weight for an FC layer on a single vector). The second table's column
is headed "FLOPs" but holds multiply-accumulates (e.g. MobileNet v1: 569M mult-adds).
"""

from __future__ import annotations

from dataclasses import dataclass

SEED_SOURCE = "lecture14-model-efficiency.md"


@dataclass(frozen=True)
class PopularModel:
    """One column of the slide "Popular DNN Models" (counts as plain numbers)."""

    name: str
    top5_error: float | None  # ImageNet top-5 error in %, None for LeNet-5 (n/a)
    input_size: tuple[int, int]
    conv_layers: int
    conv_weights: float
    conv_macs: float
    fc_layers: int
    fc_weights: float
    fc_macs: float
    total_weights: float
    total_macs: float
    reference: str
    note: str = ""


POPULAR_DNN_MODELS: dict[str, PopularModel] = {
    m.name: m
    for m in (
        PopularModel(
            "LeNet-5",
            None,
            (28, 28),
            2,
            2.6e3,
            283e3,
            2,
            58e3,
            58e3,
            60e3,
            341e3,
            "LeCun, Proc. IEEE 1998",
        ),
        PopularModel(
            "AlexNet",
            16.4,
            (227, 227),
            5,
            2.3e6,
            666e6,
            3,
            58.6e6,
            58.6e6,
            61e6,
            724e6,
            "Krizhevsky, NeurIPS 2012",
        ),
        PopularModel(
            "VGG-16",
            7.4,
            (224, 224),
            16,
            14.7e6,
            15.3e9,
            3,
            124e6,
            124e6,
            138e6,
            15.5e9,
            "Simonyan, ICLR 2015",
            note="the slide lists 16 conv layers; VGG-16 has 13 conv + 3 FC",
        ),
        PopularModel(
            "GoogLeNet (v1)",
            6.7,
            (224, 224),
            21,
            6.0e6,
            1.43e9,
            1,
            1e6,
            1e6,
            7e6,
            1.43e9,
            "Szegedy, CVPR 2015",
            note="21 conv layers = depth",
        ),
        PopularModel(
            "ResNet-50",
            5.3,
            (224, 224),
            49,
            23.5e6,
            3.86e9,
            1,
            2e6,
            2e6,
            25.5e6,
            3.9e9,
            "He, CVPR 2016",
        ),
        PopularModel(
            "EfficientNet-B4",
            3.7,
            (380, 380),
            96,
            14e6,
            4.4e9,
            65,
            4.9e6,
            4.9e6,
            19e6,
            4.4e9,
            "Tan, ICML 2019",
            note="top-5 without multi-crop/ensemble; 64 of the 65 FC layers are SE",
        ),
    )
}


@dataclass(frozen=True)
class ModelSize:
    """One row of the table "Different models with different sizes"."""

    name: str
    params: float
    macs: float  # the slide's column says "FLOPs"; the values are multiply-accumulates


MODEL_SIZES: dict[str, ModelSize] = {
    m.name: m
    for m in (
        ModelSize("ResNet-50", 25.5e6, 4.1e9),
        ModelSize("MobileNet v1", 4.2e6, 569e6),
        ModelSize("MobileNet v2", 3.5e6, 300e6),
    )
}


def percent_diff(measured: float, quoted: float) -> float:
    """Signed difference of a measured value from a quoted one, in percent of the quote.

    Explained in: lecture 00 ("Re-measuring the table").
    """
    if quoted == 0:
        raise ValueError("quoted value is zero: no relative difference")
    return 100.0 * (measured - quoted) / quoted


def rounding_halfwidth(quoted: float, max_digits: int = 6) -> float:
    """Half a unit in the last significant digit of a quoted figure (2e6 -> 5e5, 23.5e6 -> 5e4).

    A slide that prints "2M" only says the value lies in [1.5M, 2.5M); comparisons with
    measured values use this, or a relative tolerance, whichever is larger.
    Explained in: lecture 00 ("Re-measuring the table").
    """
    if quoted == 0:
        return 0.0
    mantissa, exponent = f"{abs(quoted):.{max_digits - 1}e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    return 0.5 * 10.0 ** (int(exponent) - len(digits) + 1)


def agrees(measured: float, quoted: float, rel: float = 0.02) -> bool:
    """True when ``measured`` is within ``rel`` of ``quoted`` or within the quote's rounding.

    Explained in: lecture 00 ("Re-measuring the table").
    """
    return abs(measured - quoted) <= max(rel * abs(quoted), rounding_halfwidth(quoted))


@dataclass(frozen=True)
class SlimmingRow:
    """One row of the seed's network-slimming table (Liu et al., ICCV 2017, Table 1).

    ``flops`` as printed: the paper counts FLOPs = 2 x MACs (a multiply and an add).
    ``params_pruned`` / ``flops_pruned`` in % (``None`` for the baselines, printed "-").
    """

    model: str
    test_error: float
    params: float
    params_pruned: float | None
    flops: float
    flops_pruned: float | None


# The seed's table "(a) Test Errors on CIFAR-10" and "(b) ... CIFAR-100" (Liu et al., "Learning
# efficient convolutional networks through network slimming", ICCV 2017). The slide's OCR
# shows "3-3", "2-3" and "=" in the baselines' "Pruned" cells; the paper prints "-".
NETWORK_SLIMMING: dict[str, tuple[SlimmingRow, ...]] = {
    "CIFAR-10": (
        SlimmingRow("VGGNet (Baseline)", 6.34, 20.04e6, None, 7.97e8, None),
        SlimmingRow("VGGNet (70% Pruned)", 6.20, 2.30e6, 88.5, 3.91e8, 51.0),
        SlimmingRow("DenseNet-40 (Baseline)", 6.11, 1.02e6, None, 5.33e8, None),
        SlimmingRow("DenseNet-40 (40% Pruned)", 5.19, 0.66e6, 35.7, 3.81e8, 28.4),
        SlimmingRow("DenseNet-40 (70% Pruned)", 5.65, 0.35e6, 65.2, 2.40e8, 55.0),
        SlimmingRow("ResNet-164 (Baseline)", 5.42, 1.70e6, None, 4.99e8, None),
        SlimmingRow("ResNet-164 (40% Pruned)", 5.08, 1.44e6, 14.9, 3.81e8, 23.7),
        SlimmingRow("ResNet-164 (60% Pruned)", 5.27, 1.10e6, 35.2, 2.75e8, 44.9),
    ),
    "CIFAR-100": (
        SlimmingRow("VGGNet (Baseline)", 26.74, 20.08e6, None, 7.97e8, None),
        SlimmingRow("VGGNet (50% Pruned)", 26.52, 5.00e6, 75.1, 5.01e8, 37.1),
        SlimmingRow("DenseNet-40 (Baseline)", 25.36, 1.06e6, None, 5.33e8, None),
        SlimmingRow("DenseNet-40 (40% Pruned)", 25.28, 0.66e6, 37.5, 3.71e8, 30.3),
        SlimmingRow("DenseNet-40 (60% Pruned)", 25.72, 0.46e6, 54.6, 2.81e8, 47.1),
        SlimmingRow("ResNet-164 (Baseline)", 23.37, 1.73e6, None, 5.00e8, None),
        SlimmingRow("ResNet-164 (40% Pruned)", 22.87, 1.46e6, 15.5, 3.33e8, 33.3),
        SlimmingRow("ResNet-164 (60% Pruned)", 23.91, 1.21e6, 29.7, 2.47e8, 50.6),
    ),
}


# The slide "AlexNet to AlphaGo Zero: a 300,000x increase in compute" (after D. Amodei and
# D. Hernandez, "AI and Compute", OpenAI, 2018): training compute of the largest runs.
COMPUTE_GROWTH = {
    "from": ("AlexNet", 2012.75),  # ImageNet 2012 / NeurIPS 2012
    "to": ("AlphaGo Zero", 2017.8),  # Nature, October 2017
    "factor": 300_000.0,  # the slide's "300,000x"
    "doubling_months": 3.4,  # the post's fitted doubling time
}
"""Explained in: lecture 00 ("The compute trend")."""
