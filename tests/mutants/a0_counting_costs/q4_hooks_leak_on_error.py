# cell: q4-solution
# loses: q4-tests
# Correct on working models, but without try/finally: when the forward pass raises,
# the hooks stay on the model (and its mode is not restored).
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
            rows = output.numel() // module.out_features
            total += rows * linear_macs(module.in_features, module.out_features)  # noqa: F821

    modes = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_shape))
    for handle in handles:
        handle.remove()
    for m, mode in modes.items():
        m.training = mode
    return int(total)
