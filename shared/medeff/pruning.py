"""Pruning: magnitude masks, L1 filter ranking, network slimming, and what pruning saves.

Explained in: lecture 04 (pruning). The seed's recipe is "remove weights close to zero,
retrain, repeat"; this module holds the mechanics the lecture shows:

* unstructured magnitude pruning (:func:`magnitude_prune_mask`, :func:`sensitivity_scan`,
  :func:`global_magnitude_prune`, :func:`sparsity`): masks zero weights but keep
  the dense shapes, so MACs and latency stay the same;
* structured pruning that removes whole filters and channels, with torch-pruning
  (:func:`select_filters`, the L1-norm criterion of Li et al., ICLR 2017;
  :func:`prune_channels`);
* network slimming (Liu et al., ICCV 2017): an L1 penalty on BatchNorm scaling factors
  (:func:`slimming_train_step`), a global threshold (:func:`slimming_threshold`) and channel
  removal (:func:`slim_channels`);
* what a sparse model costs on disk (:func:`checkpoint_bytes`) and the seed's table format
  (:func:`seed_format_table`).

The assignment ``a2_pruning_quantization`` asks students to write their own
:func:`magnitude_prune_mask`, :func:`select_filters` and :func:`slimming_threshold`;
its hidden tests compare against the versions here.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import math
import warnings
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

Batch = tuple[torch.Tensor, ...] | list[torch.Tensor]


# ---------------------------------------------------------------------------- graded references
def magnitude_prune_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Mask (same shape and dtype as ``weight``; 1 keep, 0 prune) of unstructured magnitude pruning.

    Exactly ``k = round(sparsity * weight.numel())`` entries are zero: those of smallest
    ``|w|``. Ties are broken deterministically: ``|w|`` is flattened (row-major) and sorted
    ascending with a *stable* sort, so among equal magnitudes the earlier entries are pruned
    first. ``round`` is Python's (half to even). ``ValueError`` unless ``0 <= sparsity < 1``.

    Explained in: lecture 04 ("Unstructured magnitude pruning").
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a tensor, got {type(weight).__name__}")
    sparsity = float(sparsity)
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must satisfy 0 <= sparsity < 1, got {sparsity}")
    k = round(sparsity * weight.numel())
    flat = torch.ones(weight.numel(), dtype=weight.dtype, device=weight.device)
    if k > 0:
        order = torch.sort(weight.detach().abs().flatten(), stable=True).indices
        flat[order[:k]] = 0
    return flat.view_as(weight)


def filter_l1_norms(conv: nn.Conv2d) -> torch.Tensor:
    """L1 norm of every output filter of ``conv``: ``sum |w|`` over in_channels, kh, kw.

    Explained in: lecture 04 ("L1-norm filter ranking").
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"expected an nn.Conv2d, got {type(conv).__name__}")
    return conv.weight.detach().abs().sum(dim=(1, 2, 3))


def select_filters(conv: nn.Conv2d, keep_ratio: float) -> torch.Tensor:
    """Sorted indices (LongTensor) of the output filters of ``conv`` with the largest L1 norms.

    Keeps ``n = max(1, round(keep_ratio * out_channels))`` filters (Li et al., "Pruning
    Filters for Efficient ConvNets", ICLR 2017). Ties are broken deterministically: the
    norms are sorted descending with a stable sort, so among equal norms the lower index
    wins. The result is sorted ascending. ``ValueError`` unless ``0 < keep_ratio <= 1``.

    Explained in: lecture 04 ("L1-norm filter ranking").
    """
    keep_ratio = float(keep_ratio)
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must satisfy 0 < keep_ratio <= 1, got {keep_ratio}")
    norms = filter_l1_norms(conv)
    n = max(1, round(keep_ratio * conv.out_channels))
    order = torch.sort(norms, descending=True, stable=True).indices
    return torch.sort(order[:n]).values.to(torch.long)


def bn_gammas(model: nn.Module) -> torch.Tensor:
    """``|gamma|`` of every BatchNorm2d channel in ``model``, concatenated in module order.

    Explained in: lecture 04 ("Network slimming").
    """
    gammas = [
        m.weight.detach().abs().flatten()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d) and m.weight is not None
    ]
    if not gammas:
        raise ValueError("the model has no BatchNorm2d layer with a scale (affine=True)")
    return torch.cat(gammas)


def slimming_threshold(model: nn.Module, prune_ratio: float) -> float:
    """Global threshold on ``|gamma|`` over all BatchNorm2d layers (network slimming).

    Convention: the ``n`` values ``|gamma|`` of all BatchNorm2d channels are sorted
    ascending; ``k = round(prune_ratio * n)`` (Python's ``round``), capped at ``n - 1`` so
    one channel always survives; the threshold is the sorted value at 0-based index ``k``,
    i.e. the ``(k+1)``-th smallest. Channels with ``|gamma| < threshold`` are pruned: exactly
    ``k`` of them when the values are distinct (with ties at the threshold, fewer).
    ``prune_ratio = 0`` gives the smallest ``|gamma|`` (nothing pruned).
    ``ValueError`` unless ``0 <= prune_ratio < 1`` or when there is no BatchNorm2d.

    Explained in: lecture 04 ("Network slimming").
    """
    prune_ratio = float(prune_ratio)
    if not 0.0 <= prune_ratio < 1.0:
        raise ValueError(f"prune_ratio must satisfy 0 <= prune_ratio < 1, got {prune_ratio}")
    values = torch.sort(bn_gammas(model)).values
    k = min(round(prune_ratio * values.numel()), values.numel() - 1)
    return float(values[k])


# ---------------------------------------------------------------------------- unstructured (masks)
def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The ``Conv2d`` and ``Linear`` layers of ``model`` by qualified name (module order).

    Explained in: lecture 04 ("Sensitivity scan").
    """
    return {name: m for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def sensitivity_scan(
    model: nn.Module,
    sparsities: Sequence[float],
    score: Callable[[nn.Module], float],
    layers: dict[str, nn.Module] | None = None,
) -> dict[str, list[float]]:
    """Prune one layer at a time (magnitude, each sparsity in turn) and record ``score(model)``.

    Returns ``{layer name: [score at each sparsity]}``. Every layer's weight is restored
    after its scan, so ``model`` is unchanged afterwards. ``layers`` defaults to
    :func:`prunable_layers`. This is the per-layer sensitivity analysis of Han et al.
    ("Learning both Weights and Connections", NeurIPS 2015; Li et al. 2017, Fig. 2).
    Explained in: lecture 04 ("Sensitivity scan").
    """
    layers = prunable_layers(model) if layers is None else layers
    result: dict[str, list[float]] = {}
    for name, layer in layers.items():
        original = layer.weight.detach().clone()
        scores = []
        try:
            for s in sparsities:
                with torch.no_grad():
                    layer.weight.copy_(original * magnitude_prune_mask(original, s))
                scores.append(float(score(model)))
        finally:
            with torch.no_grad():
                layer.weight.copy_(original)
        result[name] = scores
    return result


def global_magnitude_prune(
    model: nn.Module, sparsity: float, layers: dict[str, nn.Module] | None = None
) -> nn.Module:
    """Mask the smallest-magnitude weights of all ``layers`` together (one global ranking).

    Uses ``torch.nn.utils.prune.global_unstructured`` with ``L1Unstructured``: each layer
    gets a ``weight_orig`` parameter, a ``weight_mask`` buffer and a forward pre-hook that
    computes ``weight = weight_orig * weight_mask``. Calling it again (after fine-tuning)
    raises the sparsity to ``sparsity`` of all the layers' weights: the seed's "prune,
    retrain, repeat". Modifies ``model`` in place and returns it. ``layers`` defaults to
    :func:`prunable_layers`. Explained in: lecture 04 ("Global magnitude pruning").
    """
    from torch.nn.utils import prune

    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must satisfy 0 <= sparsity < 1, got {sparsity}")
    refresh_masks(model)  # rank the current weights, not a stale masked copy
    layers = prunable_layers(model) if layers is None else layers
    total = sum(m.weight.numel() for m in layers.values())
    zeros = sum(int((m.weight == 0).sum()) for m in layers.values() if hasattr(m, "weight_mask"))
    extra = round(sparsity * total) - zeros
    if extra > 0:
        prune.global_unstructured(
            [(m, "weight") for m in layers.values()],
            pruning_method=prune.L1Unstructured,
            amount=extra,
        )
    return model


def refresh_masks(model: nn.Module) -> nn.Module:
    """Recompute every masked ``weight = weight_orig * weight_mask`` now, without autograd history.

    ``torch.nn.utils.prune`` recomputes the masked tensor only before a forward pass, so after
    ``load_state_dict`` (e.g. a cached fine-tuned net) it is stale until the next forward, and
    while it carries autograd history the model cannot be ``copy.deepcopy``-ed. Call this
    after loading and before copying or counting. In place; returns the model.
    Explained in: lecture 04 ("Global magnitude pruning").
    """
    with torch.no_grad():
        for module in model.modules():
            for name, mask in list(module.named_buffers(recurse=False)):
                base = name[: -len("_mask")]
                if name.endswith("_mask") and hasattr(module, base + "_orig"):
                    setattr(module, base, getattr(module, base + "_orig") * mask)
    return model


def remove_masks(model: nn.Module) -> nn.Module:
    """Make masks permanent (``prune.remove``): plain ``weight`` parameters with zeros.

    Explained in: lecture 04 ("Masks do not make a network faster").
    """
    from torch.nn.utils import prune

    for module in model.modules():
        for name in [
            n[: -len("_mask")]
            for n, _ in module.named_buffers(recurse=False)
            if n.endswith("_mask")
        ]:
            prune.remove(module, name)
    return model


def sparsity(model: nn.Module, layers: dict[str, nn.Module] | None = None) -> dict[str, float]:
    """Fraction of zero weights per layer and ``"global"`` (over the layers' weights).

    Explained in: lecture 04 ("Global magnitude pruning").
    """
    layers = prunable_layers(model) if layers is None else layers
    out = {name: float((m.weight == 0).float().mean()) for name, m in layers.items()}
    zeros = sum(int((m.weight == 0).sum()) for m in layers.values())
    out["global"] = zeros / max(1, sum(m.weight.numel() for m in layers.values()))
    return out


def _effective_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers as inference sees them (masks applied, no ``*_orig``/``*_mask``)."""
    state: dict[str, torch.Tensor] = {}
    for mname, module in model.named_modules():
        prefix = f"{mname}." if mname else ""
        for name, t in [
            *module.named_parameters(recurse=False),
            *module.named_buffers(recurse=False),
        ]:
            if name.endswith("_mask"):
                continue
            if name.endswith("_orig"):
                name = name[: -len("_orig")]
                t = getattr(module, name)
            state[prefix + name] = t.detach().cpu()
    return state


def _saved_bytes(obj: object, zipped: bool) -> int:
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    return len(gzip.compress(data, compresslevel=6)) if zipped else len(data)


def checkpoint_bytes(model: nn.Module) -> dict[str, int]:
    """Bytes of the model's weights saved four ways: dense or CSR, each raw and gzip-compressed.

    * ``"dense"``: ``torch.save`` of the inference state dict (zeros stored as zeros);
    * ``"dense+gzip"``: the same, gzip-compressed (long runs of zeros compress);
    * ``"csr"``: every weight of 2 or more dimensions as a CSR matrix (rows = output
      channels): the nonzero values (fp32), their column indices (int16 where they fit,
      else int32) and the row pointers (int32); other tensors dense;
    * ``"csr+gzip"``: the CSR form, gzip-compressed.

    CSR needs 4 + 2 bytes per nonzero at fp32 with int16 indices, so it only pays above
    about 33% sparsity. Explained in: lecture 04 ("What would make it smaller and faster").
    """
    state = _effective_state(model)
    csr: dict[str, object] = {}
    for name, t in state.items():
        if t.dim() >= 2 and t.is_floating_point():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sparse CSR tensor support")
                m = t.reshape(t.shape[0], -1).to_sparse_csr()
            cols = m.col_indices()
            idx_dtype = torch.int16 if t.reshape(t.shape[0], -1).shape[1] <= 2**15 else torch.int32
            csr[name] = {
                "shape": tuple(t.shape),
                "values": m.values().clone(),
                "cols": cols.to(idx_dtype),
                "rows": m.crow_indices().to(torch.int32),
            }
        else:
            csr[name] = t
    return {
        "dense": _saved_bytes(state, False),
        "dense+gzip": _saved_bytes(state, True),
        "csr": _saved_bytes(csr, False),
        "csr+gzip": _saved_bytes(csr, True),
    }


class SparseLinear(nn.Module):
    """A ``Linear`` layer whose weight is stored as a CSR sparse matrix (``torch.sparse``).

    ``forward`` computes ``W_csr @ x.T`` with a sparse kernel: fewer MACs than a dense
    layer, but irregular memory access, so it only wins at high sparsity.
    Explained in: lecture 04 ("What would make it smaller and faster").
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support")
            self.register_buffer("weight", linear.weight.detach().to_sparse_csr())
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.sparse.mm(self.weight, x.reshape(-1, self.in_features).T).T
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


# ---------------------------------------------------------------------------- structured
def prune_channels(
    model: nn.Module,
    example_inputs: torch.Tensor,
    pruning_ratio: float,
    ignored_layers: Sequence[nn.Module] | None = None,
    importance: object | None = None,
) -> nn.Module:
    """A copy of ``model`` with the fraction ``pruning_ratio`` of every layer's channels removed.

    torch-pruning's ``MetaPruner`` finds the coupled parameters (a conv's output filters,
    its BatchNorm channels, the next layer's input channels) and removes them, so the
    result is a smaller dense network: fewer MACs, parameters and (usually) milliseconds.
    The default importance is the L1 norm of each conv's own output filter
    (``GroupMagnitudeImportance(p=1, group_reduction="first")``), i.e. the ranking of Li et
    al., "Pruning Filters for Efficient ConvNets" (ICLR 2017) and :func:`select_filters`.
    ``ignored_layers`` defaults to the last ``Linear`` layer (the classes stay).
    Explained in: lecture 04 ("Structured pruning").
    """
    import torch_pruning as tp

    pruned = copy.deepcopy(model).eval()
    if ignored_layers is None:
        linears = [m for m in pruned.modules() if isinstance(m, nn.Linear)]
        ignored = linears[-1:]
    else:  # map the caller's modules to their copies
        names = {id(m): n for n, m in model.named_modules()}
        lookup = dict(pruned.named_modules())
        ignored = [lookup[names[id(m)]] for m in ignored_layers]
    importance = importance or tp.importance.GroupMagnitudeImportance(
        p=1, group_reduction="first", normalizer=None
    )
    pruner = tp.pruner.MetaPruner(
        pruned,
        example_inputs,
        importance=importance,
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored,
    )
    pruner.step()
    return pruned


def slim_channels(model: nn.Module, example_inputs: torch.Tensor, threshold: float) -> nn.Module:
    """A copy of ``model`` without the channels whose BatchNorm ``|gamma|`` is below ``threshold``.

    Network slimming's pruning step (Liu et al., ICCV 2017): each BatchNorm2d channel with
    ``|gamma| < threshold`` is removed together with the conv filter that feeds it and the
    next layer's input channel (torch-pruning's dependency graph). A layer keeps at least
    its channel of largest ``|gamma|``. Explained in: lecture 04 ("Network slimming").
    """
    import torch_pruning as tp

    slim = copy.deepcopy(model).eval()
    graph = tp.DependencyGraph().build_dependency(slim, example_inputs=example_inputs)
    for bn in [m for m in slim.modules() if isinstance(m, nn.BatchNorm2d)]:
        gamma = bn.weight.detach().abs()
        idxs = torch.nonzero(gamma < threshold).flatten().tolist()
        if len(idxs) == len(gamma):
            idxs.remove(int(gamma.argmax()))
        if idxs:
            group = graph.get_pruning_group(bn, tp.prune_batchnorm_out_channels, idxs)
            if graph.check_pruning_group(group):
                group.prune()
    return slim


def slimming_train_step(
    lam: float, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
) -> Callable[[nn.Module, Batch], torch.Tensor]:
    """A ``train_step`` for ``me.fit``: task loss + ``lam * sum |gamma|`` over all BatchNorm2d.

    The L1 penalty on the BatchNorm scaling factors of network slimming (Liu et al., ICCV
    2017, Eq. 1; they use ``lam = 1e-4`` over 160 epochs): it drives unimportant channels'
    ``gamma`` towards zero, so they can be removed with little loss.
    Explained in: lecture 04 ("Network slimming").
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()

    def step(model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = batch[0], batch[1]
        l1 = sum(m.weight.abs().sum() for m in model.modules() if isinstance(m, nn.BatchNorm2d))
        return loss_fn(model(x), y) + lam * l1

    return step


# ---------------------------------------------------------------------------- fine-tuning, reporting
def slimming_optimizer(
    model: nn.Module, lr: float, bn_lr_scale: float = 10.0
) -> torch.optim.Optimizer:
    """Adam with learning rate ``lr``, and ``bn_lr_scale * lr`` for the BatchNorm2d scales.

    Adam moves every parameter by at most about ``lr`` per step whatever the gradient, so
    in a short schedule an L1 penalty cannot pull ``gamma`` from 1 to 0 (the paper trains
    160 epochs with SGD); a larger step for the scaling factors lets it.
    Explained in: lecture 04 ("Network slimming").
    """
    gammas = [
        m.weight for m in model.modules() if isinstance(m, nn.BatchNorm2d) and m.weight is not None
    ]
    ids = {id(p) for p in gammas}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return torch.optim.Adam(
        [{"params": rest, "lr": lr}, {"params": gammas, "lr": lr * bn_lr_scale}]
    )


def finetune(
    model: nn.Module,
    train_loader: Iterable[Batch],
    test_loader: Iterable[Batch],
    *,
    steps: int,
    lr: float = 1e-3,
    seed: int = 0,
    train_step: Callable[[nn.Module, Batch], torch.Tensor] | None = None,
    eval_batches: int | None = None,
    curve_points: int = 0,
) -> dict:
    """Fine-tune ``model`` in place for ``steps`` batches (``me.fit``, Adam, cosine); evaluate.

    The batches come from ``me.training.seeded_loader`` (order set by ``seed`` alone; more steps
    than one pass over the data take several passes, under one schedule); the test
    accuracy uses at most ``eval_batches`` batches (all by default). Returns a
    JSON-able record ``{"test_accuracy", "steps", "seconds"}`` for ``me.train_cached``.
    ``curve_points = n > 0`` also records ``"curve"``: ``[step, accuracy]`` after every
    ``steps // n`` steps of the same cosine schedule, on the first ``eval_batches`` test
    batches (at most 8), and includes the evaluation time in ``"seconds"``.
    Masks from ``torch.nn.utils.prune`` stay applied while training (the pruned weights get
    no effective update). Explained in: lecture 04 ("Fine-tuning").
    """
    import time

    from .metrics import accuracy
    from .training import evaluate, fit, seeded_loader, set_seed

    set_seed(seed)
    start = time.perf_counter()
    loader = seeded_loader(train_loader, seed)
    try:  # an "epoch" of fit is one pass at most: split longer runs into passes
        passes = math.ceil(steps / len(loader))  # type: ignore[arg-type]
    except TypeError:
        passes = 1
    points = max(1, min(max(curve_points, passes), steps))
    curve_data = None
    if curve_points > 0:
        n = min(eval_batches or 8, 8)
        curve_data = [b for _, b in zip(range(n), test_loader, strict=False)]
    history = fit(
        model,
        loader,
        epochs=points,
        steps_per_epoch=steps // points,
        lr=lr,
        train_step=train_step,
        val_loader=curve_data,
        metrics={"accuracy": accuracy} if curve_data else None,
        progress=False,
        desc="fine-tune",
    )
    seconds = time.perf_counter() - start
    acc = evaluate(model, test_loader, {"accuracy": accuracy}, max_batches=eval_batches)["accuracy"]
    model.eval()
    record = {"test_accuracy": acc, "steps": points * (steps // points), "seconds": seconds}
    if curve_data:
        record["curve"] = [
            [(i + 1) * (steps // points), a] for i, a in enumerate(history["val_accuracy"])
        ]
    return record


def state_fingerprint(model: nn.Module) -> str:
    """A short hash of a model's state dict (names, shapes, values): keys a fine-tune cache.

    Explained in: lecture 04 ("Fine-tuning").
    """
    digest = hashlib.sha256()
    for name, t in model.state_dict().items():
        digest.update(f"{name}{tuple(t.shape)}".encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def seed_format_table(rows: Sequence[dict]) -> str:
    """Rows in the seed's (Liu et al. 2017, Table 1) format: test error, parameters, FLOPs.

    Each row is a dict with ``model``, ``test_error`` (%), ``params``, ``flops`` and
    optionally ``baseline: True``; "pruned" percentages are relative to the most recent
    baseline row above, unless the row gives them as ``params_pruned`` / ``flops_pruned``
    (quoted figures are printed as quoted). FLOPs follow the paper: 2 x MACs (count a
    multiply and an add).
    Explained in: lecture 04 ("Network slimming").
    """
    lines = [
        f"{'Model':<34} {'Test error (%)':>14} {'Parameters':>11} {'Pruned':>7} "
        f"{'FLOPs':>10} {'Pruned':>7}"
    ]
    base: dict | None = None
    for row in rows:
        if row.get("baseline") or base is None:
            base = row
        same = row is base
        p = row.get("params_pruned", None if same else 100 * (1 - row["params"] / base["params"]))
        f = row.get("flops_pruned", None if same else 100 * (1 - row["flops"] / base["flops"]))
        p_pruned, f_pruned = ("-" if v is None else f"{v:.1f}%" for v in (p, f))
        lines.append(
            f"{row['model']:<34} {row['test_error']:>14.2f} {_si(row['params']):>11} "
            f"{p_pruned:>7} {row['flops']:>10.2e} {f_pruned:>7}"
        )
    return "\n".join(lines)


def _si(n: float) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.1f}k"
