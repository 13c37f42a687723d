# cell: q11-solution
# loses: q11a-tests
# One scale and zero point per output channel instead of one per tensor.
import copy

import torch
from torch import nn

import medeff as me


def quantize_model(model, num_bits):
    q = copy.deepcopy(model)
    with torch.no_grad():
        for m in q.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                for w in m.weight:
                    s, z = quantize_params(w.min().item(), w.max().item(), num_bits)  # noqa: F821
                    w.copy_(dequantize(quantize(w, s, z, num_bits), s, z))  # noqa: F821
    return q


def quantization_report(model, loader, bit_widths):
    report = {}
    for b in bit_widths:
        q = quantize_model(model, b)
        acc = me.evaluate(q, loader, {"accuracy": me.accuracy})["accuracy"]
        num = den = 0.0
        for m, mq in zip(model.modules(), q.modules(), strict=True):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                num += float(((mq.weight.detach() - m.weight.detach()) ** 2).sum())
                den += float((m.weight.detach() ** 2).sum())
        report[b] = (acc, (num / den) ** 0.5)
    return report
