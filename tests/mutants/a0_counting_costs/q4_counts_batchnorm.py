# cell: q4-solution
# loses: q4-tests
# Also charges BatchNorm one MAC per output element (thop-like), against the convention.
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
        elif isinstance(module, nn.Linear):
            rows = output.numel() // module.out_features
            total += rows * linear_macs(module.in_features, module.out_features)  # noqa: F821
        else:
            total += output.numel()

    modes = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d))]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in modes.items():
            m.training = mode
    return int(total)
