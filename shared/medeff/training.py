"""Seeding, a small training loop and evaluation, for classification and segmentation.

Explained in: lecture 01 (first training run on the organ patches); reused by the pruning,
quantization-aware training and distillation lectures (a custom ``train_step`` carries the
distillation loss).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import eval_mode, require_module
from .config import is_fast

Batch = tuple[torch.Tensor, ...] | list[torch.Tensor]
Metric = Callable[[torch.Tensor, torch.Tensor], float]
TrainStep = Callable[[nn.Module, Batch], torch.Tensor]

FAST_STEPS = 8
FAST_EPOCHS = 2


def set_seed(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a seeded ``torch.Generator`` for loaders.

    Explained in: lecture 00, "Setup" (determinism: same seed, same numbers).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def seeded_loader(
    data: object, seed: int, batch_size: int | None = None, *, drop_last: bool = False
) -> Iterable[Batch]:
    """Shuffled batches of a ``Dataset`` (or of a ``DataLoader``'s dataset) whose order
    depends only on ``seed``.

    A training or fine-tuning run then never depends on what ran before it in the notebook,
    so cached weights are reproducible. ``batch_size`` defaults to the loader's (it is
    required for a bare dataset); other iterables (a list of batches) are returned unchanged.
    Explained in: lecture 05 (PTQ against QAT: a seed sets the calibration batches and the
    fine-tuning order); lecture 04's fine-tuning and every cached training run use it.
    """
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, DataLoader):
        dataset, batch_size = data.dataset, batch_size or data.batch_size
    elif isinstance(data, Dataset):
        if not batch_size:
            raise ValueError("seeded_loader(dataset, seed) needs a batch_size for a bare dataset")
        dataset = data
    else:
        return data  # type: ignore[return-value]
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
        drop_last=drop_last,
    )


class History(dict):
    """Per-epoch records: ``history["val_accuracy"]`` is a list with one value per epoch."""

    def add(self, **values: float) -> None:
        for key, value in values.items():
            self.setdefault(key, []).append(float(value))

    def last(self, key: str) -> float:
        """The final epoch's value of ``key``."""
        if key not in self or not self[key]:
            raise KeyError(f"no '{key}' in history; have {sorted(self)}")
        return self[key][-1]


def _split(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("each batch must be a tuple (inputs, targets, ...)")
    return batch[0], batch[1]


def _to(batch: Batch, device: torch.device) -> Batch:
    _split(batch)
    return [b.to(device) if isinstance(b, torch.Tensor) else b for b in batch]


def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    metrics: Mapping[str, Metric] | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    *,
    device: str | torch.device = "cpu",
    max_batches: int | None = None,
) -> dict[str, float]:
    """Run ``model`` over ``loader`` in eval mode; return ``{"loss": ..., metric: ...}``.

    Outputs and targets are gathered, then each metric is computed once on the whole set
    (so Dice is pooled over all pixels, not averaged per batch). In fast mode at most
    ``FAST_STEPS`` batches are used. Explained in: lecture 01.
    """
    require_module(model)
    device = torch.device(device)
    if max_batches is None and is_fast():
        max_batches = FAST_STEPS
    outs, tgts, loss_sum, n = [], [], 0.0, 0
    with eval_mode(model, no_grad=True):
        for i, batch in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            x, y = _split(_to(batch, device))
            out = model(x)
            if loss_fn is not None:
                loss_sum += loss_fn(out, y).item() * len(x)
            n += len(x)
            outs.append(out.cpu())
            tgts.append(y.cpu())
    if n == 0:
        raise ValueError("the loader yielded no batches")
    result: dict[str, float] = {}
    if loss_fn is not None:
        result["loss"] = loss_sum / n
    if metrics:
        all_out, all_tgt = torch.cat(outs), torch.cat(tgts)
        for name, fn in metrics.items():
            result[name] = float(fn(all_out, all_tgt))
    return result


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    *,
    epochs: int = 1,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    train_step: TrainStep | None = None,
    val_loader: Iterable[Batch] | None = None,
    metrics: Mapping[str, Metric] | None = None,
    cosine: bool = True,
    steps_per_epoch: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str = "train",
) -> History:
    """Train ``model`` and return a :class:`History` of per-epoch losses and metrics.

    - ``loss_fn(outputs, targets)`` defaults to cross-entropy. For losses that need more
      than the outputs (knowledge distillation), pass ``train_step(model, batch) -> loss``.
    - Adam with learning rate ``lr`` unless an ``optimizer`` is given; ``cosine`` anneals
      the learning rate to 1% of its start over all steps.
    - ``val_loader`` + ``metrics`` (name -> ``fn(outputs, targets)``) are evaluated after
      every epoch and recorded as ``val_<name>`` (and ``val_loss``).
    - Fast mode (``MEDEFF_FAST=1``) runs at most ``FAST_EPOCHS`` epochs of ``FAST_STEPS``
      batches, so notebooks and tests finish in seconds.

    Explained in: lecture 01 ("Training on the organ patches").
    """
    require_module(model)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    device = torch.device(device)
    model.to(device)
    if is_fast():
        epochs = min(epochs, FAST_EPOCHS)
        steps_per_epoch = min(steps_per_epoch or FAST_STEPS, FAST_STEPS)
    try:
        batches = len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        batches = steps_per_epoch or 0
    if steps_per_epoch is not None:
        batches = min(batches, steps_per_epoch) if batches else steps_per_epoch
    total_steps = max(1, epochs * batches)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    base_lrs = [g["lr"] for g in optimizer.param_groups]

    def default_step(m: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = _split(batch)
        return loss_fn(m(x), y)

    step_fn = train_step or default_step
    history = History()
    bar = tqdm(total=total_steps, desc=desc, disable=not progress, leave=True)
    step = 0
    for epoch in range(epochs):
        model.train()
        start, loss_sum, seen = time.perf_counter(), 0.0, 0
        for i, batch in enumerate(train_loader):
            if steps_per_epoch is not None and i >= steps_per_epoch:
                break
            batch = _to(batch, device)
            if cosine:
                scale = 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * step / total_steps))
                for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                    group["lr"] = base * scale
            loss = step_fn(model, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}, step {i}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            k = len(batch[0])
            loss_sum += loss.item() * k
            seen += k
            step += 1
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.4f}")
        if seen == 0:
            raise ValueError("the training loader yielded no batches")
        record = {"train_loss": loss_sum / seen, "epoch_seconds": time.perf_counter() - start}
        if val_loader is not None:
            val = evaluate(
                model, val_loader, metrics, loss_fn if train_step is None else None, device=device
            )
            record.update({f"val_{k}": v for k, v in val.items()})
        history.add(**record)
    bar.close()
    for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
        group["lr"] = base
    return history
