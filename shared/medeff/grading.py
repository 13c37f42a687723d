"""Helpers for the hidden tests of the course's nbgrader assignments (a0-a3).

Course infrastructure, not a lecture topic: the hidden test cells of every assignment in
``solutions/`` import this module (``from medeff import grading as _g``) instead of
pasting the same helpers into each cell. The README's "For the TA" section explains it.

What it guarantees while a student's answer is graded:

* :func:`unusable` makes medeff's own implementation of the graded object raise
  :class:`ReferenceUnavailable`, however the student reached it (``me.channel_shuffle``,
  ``from medeff... import channel_shuffle``, a subclass, an instance built earlier): a
  wrapper around the course helper earns nothing.
* :func:`trusted` loads a private copy of a medeff module from its source file, so a
  student who monkeypatches ``medeff`` in a solution cell cannot change the reference.
  Copies made by :func:`trusted` are blocked by :func:`unusable` as well.
* :func:`replaced` puts trusted references in place of a student's earlier answers, so
  each question is graded on its own (one bug is not paid twice).
* :func:`assert_close` and friends fail with a message that says what was expected.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import inspect
import math
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

__all__ = [
    "ReferenceUnavailable",
    "assert_close",
    "assert_raises",
    "copy_weights",
    "defined_in_notebook",
    "layer_order",
    "n_params",
    "randomize_bn",
    "replaced",
    "rng",
    "same_behaviour",
    "trusted",
    "unusable",
]


class ReferenceUnavailable(RuntimeError):
    """Raised by a medeff object while the hidden tests grade the answer that replaces it."""


_TRUSTED: list[types.ModuleType] = []
_BLOCKING = 0


# ----------------------------------------------------------------------- small helpers
def rng(seed: int) -> torch.Generator:
    """A seeded ``torch.Generator`` (hidden tests draw every random input from one)."""
    return torch.Generator().manual_seed(int(seed))


def n_params(module: nn.Module) -> int:
    """Number of parameters of ``module`` (each tensor counted once)."""
    return sum(p.numel() for p in module.parameters())


def _fmt(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() <= 8:
            return f"tensor({value.detach().cpu().tolist()})"
        return f"a {tuple(value.shape)} {str(value.dtype).replace('torch.', '')} tensor"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def assert_close(
    got: Any, want: Any, *, atol: float = 1e-6, rtol: float = 1e-5, what: str = "the result"
) -> None:
    """``got`` must equal ``want`` within ``atol + rtol * |want|``, element by element.

    Works on numbers, tensors and (nested) tuples/lists. The message names ``what``, the
    value returned, the value expected and the tolerance.
    """
    tol = f"(tolerance {atol:g} + {rtol:g} x |expected|)"
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)), (
            f"{what}: returned a {type(got).__name__}, expected a sequence of {len(want)}"
        )
        assert len(got) == len(want), f"{what}: returned {len(got)} values, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, atol=atol, rtol=rtol, what=f"{what}[{i}]")
        return
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor), (
            f"{what}: returned a {type(got).__name__}, expected a tensor"
        )
        assert tuple(got.shape) == tuple(want.shape), (
            f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        )
        g, w = got.detach().double().cpu(), want.detach().double().cpu()
        if not torch.isfinite(g).all():
            raise AssertionError(f"{what}: contains NaN or inf, expected finite values")
        err = (g - w).abs()
        bad = err > atol + rtol * w.abs()
        if bad.any():
            idx = tuple(int(i) for i in torch.nonzero(bad)[0])
            raise AssertionError(
                f"{what}: {int(bad.sum())} of {w.numel()} values differ; e.g. at {idx} got "
                f"{g[idx].item():.6g}, expected {w[idx].item():.6g} {tol}; "
                f"largest difference {err.max().item():.3g}"
            )
        return
    assert isinstance(got, (int, float)) or (isinstance(got, torch.Tensor) and got.numel() == 1), (
        f"{what}: returned a {type(got).__name__}, expected a number like {_fmt(want)}"
    )
    g, w = float(got), float(want)
    ok = math.isfinite(g) and abs(g - w) <= atol + rtol * abs(w)
    assert ok, f"{what}: got {g:.6g}, expected {w:.6g} {tol}"


def assert_raises(
    exc: type[BaseException],
    fn: Callable[..., Any],
    *args: Any,
    what: str = "the call",
    **kwargs: Any,
) -> None:
    """``fn(*args, **kwargs)`` must raise ``exc`` (message names ``what``)."""
    try:
        fn(*args, **kwargs)
    except exc:
        return
    except Exception as err:  # the wrong kind of error
        raise AssertionError(
            f"{what}: raised {type(err).__name__}({err}), expected {exc.__name__}"
        ) from err
    raise AssertionError(f"{what}: raised nothing, expected {exc.__name__}")


# -------------------------------------------------------------- defined here, not imported
def _is_medeff(module_name: str | None) -> bool:
    return bool(module_name) and (module_name == "medeff" or module_name.startswith("medeff."))


def defined_in_notebook(obj: Any, name: str) -> None:
    """``obj`` must be a function or class defined in the notebook (``__main__``).

    Importing the course helper, subclassing it or decorating it does not count.
    """
    assert obj is not None, f"{name} is not defined"
    target = inspect.unwrap(obj) if callable(obj) else obj
    module = getattr(target, "__module__", None)
    assert module == "__main__", (
        f"{name} must be defined in this notebook, not imported (it comes from {module})"
    )
    if isinstance(target, type):
        for base in target.__mro__[1:]:
            assert not _is_medeff(base.__module__), (
                f"{name} must not subclass medeff's {base.__name__}: write it yourself"
            )


# ------------------------------------------------------------------ trusted references
def trusted(module_name: str) -> types.ModuleType:
    """A private copy of ``module_name`` (a medeff module), loaded fresh from its source.

    Monkeypatching ``medeff`` in a solution cell does not reach the copy. Its objects are
    blocked by :func:`unusable` like the originals, so compute reference results outside
    the ``with unusable(...)`` block.
    """
    if _BLOCKING:
        raise ReferenceUnavailable("medeff.grading.trusted is not available while grading")
    if not _is_medeff(module_name):
        raise ValueError(f"trusted() loads medeff modules only, not {module_name!r}")
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise ImportError(f"no source file for {module_name}")
    private = f"_medeff_trusted_{len(_TRUSTED)}_{module_name.replace('.', '_')}"
    copy_spec = importlib.util.spec_from_file_location(private, spec.origin)
    assert copy_spec is not None and copy_spec.loader is not None
    module = importlib.util.module_from_spec(copy_spec)
    module.__package__ = (
        module_name.rpartition(".")[0] if not spec.submodule_search_locations else module_name
    )
    sys.modules[private] = module  # dataclasses and pickling look the module up
    copy_spec.loader.exec_module(module)
    module.__medeff_original__ = module_name  # type: ignore[attr-defined]
    _TRUSTED.append(module)
    return module


def _resolve(target: Any) -> tuple[str, str, list[Any]]:
    """(qualified name, source file, objects found now) of a target to block.

    A dotted name is resolved by its module's *source file*, not by the module attribute,
    which a student may have rebound.
    """
    if isinstance(target, str):
        module_name, _, attr = target.rpartition(".")
        spec = importlib.util.find_spec(module_name)
        if spec is None or not spec.origin:
            raise ValueError(f"unusable(): no module {module_name!r}")
        importlib.import_module(module_name)
        return attr, spec.origin, []
    if not isinstance(target, (types.FunctionType, type)):
        raise TypeError(
            f"unusable() takes functions, classes or their dotted names, not {target!r}"
        )
    return target.__qualname__, _source_file(target) or "", [target]


def _source_file(obj: Any) -> str | None:
    """The source file an object was defined in (trusted copies share the original's)."""
    if isinstance(obj, types.FunctionType):
        return obj.__code__.co_filename
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    return getattr(module, "__file__", None)


def _counterparts(wanted: Sequence[tuple[str, str, list[Any]]]) -> list[list[Any]]:
    """For each ``(qualified name, source file, objects known)``: every live function or
    class with this qualified name defined in that file (one pass over all live objects).

    Found among all live objects, so the original is blocked even when a student rebinds
    the module attribute and keeps the original under another name, and so are the
    copies made by :func:`trusted` (same source file).
    """
    found = {(q, f): list(known) for q, f, known in wanted}
    seen = {id(k) for _q, _f, known in wanted for k in known}
    names = {q for q, _f, _k in wanted}
    # Some live objects warn when touched (e.g. torch.distributed's deprecated reduce_op);
    # a warning on stderr would make nbgrader fail the test cell, so silence them here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for other in gc.get_objects():
            if type(other) is not types.FunctionType and not isinstance(other, type):
                continue
            qualname = getattr(other, "__qualname__", None)
            if qualname not in names or id(other) in seen:
                continue
            bucket = found.get((qualname, _source_file(other) or ""))
            if bucket is not None:
                bucket.append(other)
                seen.add(id(other))
    return [found[(q, f)] for q, f, _k in wanted]


def _raiser_code(message: str, like: types.CodeType) -> types.CodeType:
    """Code that raises ReferenceUnavailable, with the same free variables as ``like``.

    ``__import__`` is a builtin, so the code works whatever globals the function carries;
    the free variables (e.g. ``__class__`` of a method that calls ``super()``) must match
    for ``function.__code__`` to accept it (CPython orders them by name).
    """
    free = like.co_freevars
    lines = ["def _outer():"]
    lines += [f"    {name} = None" for name in free]
    lines += ["    def _blocked(*args, **kwargs):"]
    lines += [f"        {name}" for name in free]
    lines += [
        "        raise __import__('medeff.grading', fromlist=['_'])"
        f".ReferenceUnavailable({message!r})",
        "    return _blocked",
    ]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), like.co_filename, "exec"), namespace)  # fixed source
    code = namespace["_outer"]().__code__
    if code.co_freevars != free:
        raise TypeError(f"cannot block {like.co_name}: free variables {free}")
    return code


def _functions_of(obj: Any) -> list[types.FunctionType]:
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, type):
        out = []
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            if isinstance(value, property):
                value = value.fget
            if isinstance(value, types.FunctionType):
                out.append(value)
        return out
    raise TypeError(f"unusable() takes functions, classes or their dotted names, not {obj!r}")


@contextlib.contextmanager
def unusable(*targets: Any) -> Iterator[None]:
    """Inside the block, the given medeff objects (and their trusted copies) raise.

    ``targets`` are functions, classes, or dotted names (``"medeff.models.efficient.
    channel_shuffle"``). For a class every method defined on it raises, so subclasses,
    wrappers and instances made earlier fail too. Everything is restored on exit.
    """
    global _BLOCKING
    saved: list[tuple[types.FunctionType, types.CodeType]] = []
    entered = False
    try:
        wanted = [_resolve(target) for target in targets]
        for (qualname, _f, _k), objects in zip(wanted, _counterparts(wanted), strict=True):
            message = (
                f"medeff's {qualname} is not available while this answer is graded: "
                "write your own implementation"
            )
            for each in objects:
                for fn in _functions_of(each):
                    saved.append((fn, fn.__code__))
                    fn.__code__ = _raiser_code(message, fn.__code__)
        _BLOCKING += 1
        entered = True
        yield
    finally:
        if entered:
            _BLOCKING -= 1
        for fn, code in reversed(saved):
            fn.__code__ = code


@contextlib.contextmanager
def replaced(namespace: dict[str, Any] | None = None, /, **names: Any) -> Iterator[None]:
    """Rebind ``names`` in the notebook's globals (``__main__``) inside the block.

    A later question that calls an earlier answer then runs on the trusted reference:
    ``with replaced(conv2d_macs=reference): network_macs(model, x)``.
    """
    ns = namespace if namespace is not None else vars(sys.modules["__main__"])
    missing = object()
    old = {k: ns.get(k, missing) for k in names}
    ns.update(names)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is missing:
                ns.pop(k, None)
            else:
                ns[k] = v


# --------------------------------------------------------- module behaviour comparison
_LAYERS = (nn.Conv2d, nn.BatchNorm2d, nn.Linear)


def layer_order(
    module: nn.Module, x: torch.Tensor, types_: Sequence[type] = _LAYERS
) -> list[nn.Module]:
    """The Conv2d/BatchNorm2d/Linear modules of ``module`` in the order they run on ``x``."""
    order: list[nn.Module] = []
    handles = [
        m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
        for m in module.modules()
        if isinstance(m, tuple(types_))
    ]
    try:
        with torch.no_grad():
            module(x)
    finally:
        for h in handles:
            h.remove()
    return order


def randomize_bn(module: nn.Module, gen: torch.Generator) -> None:
    """Random affine parameters and running statistics for every BatchNorm2d."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                if m.weight is not None:
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.5)
                if m.running_mean is not None:
                    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.5)
                    m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def copy_weights(ref: nn.Module, student: nn.Module, x: torch.Tensor) -> None:
    """Load the reference's layers into the student's, matched by execution order."""
    a, b = layer_order(ref, x), layer_order(student, x)
    got, want = [type(m).__name__ for m in b], [type(m).__name__ for m in a]
    assert got == want, f"layers run in the order {got}, expected {want}"
    for ma, mb in zip(a, b, strict=True):
        try:
            mb.load_state_dict(ma.state_dict())
        except RuntimeError as err:
            raise AssertionError(f"{mb} does not match the expected layer {ma}: {err}") from err


def same_behaviour(
    ref: nn.Module,
    student: nn.Module,
    x: torch.Tensor,
    *,
    gen: torch.Generator | None = None,
    what: str = "the module",
    atol: float = 1e-4,
) -> None:
    """Give both modules the same random weights; outputs must agree in eval and train mode.

    Layers are matched by the order in which their ``nn.Conv2d``/``nn.BatchNorm2d``/
    ``nn.Linear`` modules run, so the student's attribute names do not matter.
    """
    gen = gen or rng(0)
    randomize_bn(ref, gen)
    copy_weights(ref, student, x)
    for train in (False, True):
        ref.train(train)
        student.train(train)
        with torch.no_grad():
            want, got = ref(x), student(x)
        mode = "train" if train else "eval"
        assert tuple(got.shape) == tuple(want.shape), (
            f"{what}: output shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        )
        err = (got - want).abs().max().item()
        assert err < atol, (
            f"{what}: output differs from the expected output by up to {err:.3g} in {mode} "
            f"mode (tolerance {atol:g})"
        )
