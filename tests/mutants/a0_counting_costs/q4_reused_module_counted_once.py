# cell: q4-solution
# loses: q4-tests
# Records one output shape per module (a dict keyed by module), so a module that is
# called twice (weight sharing) is counted once.
import torch
from torch import nn


def network_macs(model, input_shape):
    shapes = {}

    def record(module, inputs, output):
        shapes[module] = output.shape

    modes = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(record) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in modes.items():
            m.training = mode
    total = 0
    for m, shape in shapes.items():
        if isinstance(m, nn.Conv2d):
            total += conv2d_macs(m.in_channels, m.out_channels, m.kernel_size,  # noqa: F821
                                 shape[-2], shape[-1], groups=m.groups)
        else:
            rows = shape.numel() // m.out_features
            total += rows * linear_macs(m.in_features, m.out_features)  # noqa: F821
    return int(total)
