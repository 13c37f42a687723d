# cell: q11-solution
# loses: q11b-tests
# Averages the per-layer relative errors instead of pooling all weights in one ratio.
import copy

import torch
from torch import nn

import medeff as me


def quantize_model(model, num_bits):
    q = copy.deepcopy(model)
    with torch.no_grad():
        for m in q.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.weight
                s, z = quantize_params(w.min().item(), w.max().item(), num_bits)  # noqa: F821
                w.copy_(dequantize(quantize(w, s, z, num_bits), s, z))  # noqa: F821
    return q


def quantization_report(model, loader, bit_widths):
    report = {}
    for b in bit_widths:
        q = quantize_model(model, b)
        acc = me.evaluate(q, loader, {"accuracy": me.accuracy})["accuracy"]
        errors = []
        for m, mq in zip(model.modules(), q.modules(), strict=True):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w, wq = m.weight.detach(), mq.weight.detach()
                errors.append(float((wq - w).norm() / w.norm()))
        report[b] = (acc, sum(errors) / len(errors))
    return report
