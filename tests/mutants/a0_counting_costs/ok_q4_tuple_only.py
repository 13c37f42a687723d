# cell: q4-solution
# loses: nothing
# keeps: all
# Honest variant: the question promises a tuple (C, H, W); an answer that only handles
# tuples (`(1,) + input_shape`) is correct and must keep full marks.
import torch
from torch import nn


def network_macs(model, input_shape):
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += conv2d_macs(module.in_channels, module.out_channels,  # noqa: F821
                                 module.kernel_size, output.shape[-2], output.shape[-1],
                                 groups=module.groups)
        else:
            total += (output.numel() // module.out_features) * linear_macs(  # noqa: F821
                module.in_features, module.out_features)

    modes = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1,) + input_shape))
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    return int(total)
