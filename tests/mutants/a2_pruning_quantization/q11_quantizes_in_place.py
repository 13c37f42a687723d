# cell: q11-solution
# loses: q11a-tests
# Quantizes the given model itself (no copy): the float model is lost.
import torch
from torch import nn

import medeff as me


def quantize_model(model, num_bits):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.weight
                s, z = quantize_params(w.min().item(), w.max().item(), num_bits)  # noqa: F821
                w.copy_(dequantize(quantize(w, s, z, num_bits), s, z))  # noqa: F821
    return model


def quantization_report(model, loader, bit_widths):
    report = {}
    for b in bit_widths:
        ref = [m.weight.detach().clone() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        q = quantize_model(model, b)
        acc = me.evaluate(q, loader, {"accuracy": me.accuracy})["accuracy"]
        new = [m.weight.detach() for m in q.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        num = sum(float(((a - b_) ** 2).sum()) for a, b_ in zip(new, ref, strict=True))
        den = sum(float((a**2).sum()) for a in ref)
        report[b] = (acc, (num / den) ** 0.5)
    return report
