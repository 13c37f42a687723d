"""Model definitions used by the lectures and assignments (one module per family).

- :mod:`.classic`: LeNet-5 (full or sparse C3), the two-group AlexNet of 2012, MobileNet v1
  (lecture 00).
- :mod:`.efficient`: depthwise-separable, inverted-residual, ShuffleNet and Ghost blocks
  and the small classifier family for the organ patches (lectures 01-03).
- :mod:`.unet`: the small U-Net of the liver-segmentation case study (lecture A, later KD).
- :mod:`.segmenters`: the case study's ENet-, MobileNetV2- and ResNet18-like students
  with stride-2/stride-8 feature taps (lecture 07).
"""

from . import classic, efficient, gsp, segmenters, unet
from .classic import alexnet_2012, lenet5, mobilenet_v1
from .efficient import (
    ChannelShuffle,
    DepthwiseSeparableConv,
    GhostModule,
    InvertedResidual,
    ShuffleUnit,
    channel_shuffle,
    make_classifier,
)
from .unet import UNet

__all__ = [
    "ChannelShuffle",
    "DepthwiseSeparableConv",
    "GhostModule",
    "InvertedResidual",
    "ShuffleUnit",
    "UNet",
    "alexnet_2012",
    "channel_shuffle",
    "classic",
    "efficient",
    "lenet5",
    "make_classifier",
    "mobilenet_v1",
    "unet",
    "gsp",
    "segmenters",
]
