"""medeff.grading: the helpers every hidden test uses must themselves be right."""

from __future__ import annotations

import sys
import types

import pytest
import torch
from torch import nn

import medeff as me
from medeff import grading as g
from medeff.models import efficient


def _in_main(src: str) -> dict:
    """Execute ``src`` as notebook code: its functions get ``__module__ == "__main__"``."""
    ns = {"__name__": "__main__"}
    exec(src, ns)  # noqa: S102 (test fixture)
    return ns


# ------------------------------------------------------------------ unusable / trusted
def test_unusable_blocks_a_function_under_every_alias():
    from medeff.models.efficient import channel_shuffle as alias

    x = torch.arange(8.0).reshape(1, 8, 1, 1)
    wrapper = _in_main(
        "import medeff as me\n"
        "def channel_shuffle(x, g):\n    return me.models.efficient.channel_shuffle(x, g)\n"
    )
    with g.unusable(efficient.channel_shuffle):
        for fn in (alias, efficient.channel_shuffle, wrapper["channel_shuffle"]):
            with pytest.raises(g.ReferenceUnavailable, match="channel_shuffle"):
                fn(x, 2)
    assert torch.equal(alias(x, 2), efficient.channel_shuffle(x, 2))  # restored


def test_unusable_blocks_classes_subclasses_and_prebuilt_instances():
    prebuilt = efficient.GhostModule(4, 8)
    sub = _in_main(
        "import medeff as me\nclass GhostModule(me.models.efficient.GhostModule):\n    pass\n"
    )
    x = torch.randn(1, 4, 5, 5)
    with g.unusable("medeff.models.efficient.GhostModule"):
        with pytest.raises(g.ReferenceUnavailable):
            efficient.GhostModule(4, 8)
        with pytest.raises(g.ReferenceUnavailable):
            sub["GhostModule"](4, 8)
        with pytest.raises(g.ReferenceUnavailable):
            prebuilt(x)
    assert prebuilt(x).shape == (1, 8, 5, 5)


def test_trusted_copy_ignores_monkeypatching_and_is_blocked_too(monkeypatch):
    ref = g.trusted("medeff.models.efficient")
    assert ref.channel_shuffle is not efficient.channel_shuffle
    monkeypatch.setattr(efficient, "channel_shuffle", lambda x, groups: x)
    fresh = g.trusted("medeff.models.efficient")
    x = torch.arange(8.0).reshape(1, 8, 1, 1)
    assert not torch.equal(fresh.channel_shuffle(x, 2), x)
    with g.unusable(efficient.GhostModule, "medeff.models.efficient.depthwise_separable_macs"):
        with pytest.raises(g.ReferenceUnavailable):
            ref.GhostModule(4, 8)
        with pytest.raises(g.ReferenceUnavailable):
            fresh.depthwise_separable_macs(8, 16, 3, 10, 10)
        with pytest.raises(g.ReferenceUnavailable):
            g.trusted("medeff.models.efficient")
        assert fresh.channel_shuffle(x, 2).shape == x.shape  # not listed: still usable
    assert ref.GhostModule(4, 8)(torch.randn(1, 4, 3, 3)).shape == (1, 8, 3, 3)


def test_unusable_restores_after_an_error_and_rejects_non_callables():
    with pytest.raises(TypeError, match="unusable"):
        with g.unusable(42):
            pass
    with pytest.raises(ZeroDivisionError):
        with g.unusable(efficient.make_divisible):
            raise ZeroDivisionError
    assert efficient.make_divisible(10, 8) == 16
    assert g._BLOCKING == 0


def test_trusted_only_loads_medeff():
    with pytest.raises(ValueError, match="medeff"):
        g.trusted("os")


# ------------------------------------------------------------ defined here / replaced
def test_defined_in_notebook():
    ns = _in_main(
        "import functools, medeff as me\n"
        "def f(x):\n    return x\n"
        "class Sub(me.models.efficient.GhostModule):\n    pass\n"
        "wrapped = functools.wraps(me.count_macs)(lambda *a: me.count_macs(*a))\n"
    )
    g.defined_in_notebook(ns["f"], "f")
    with pytest.raises(AssertionError, match="not imported"):
        g.defined_in_notebook(me.count_macs, "count_macs")
    with pytest.raises(AssertionError, match="subclass"):
        g.defined_in_notebook(ns["Sub"], "Sub")
    with pytest.raises(AssertionError, match="not imported"):
        g.defined_in_notebook(ns["wrapped"], "wrapped")
    with pytest.raises(AssertionError, match="not defined"):
        g.defined_in_notebook(None, "missing")


def test_replaced_rebinds_and_restores():
    ns = _in_main("def q1(x):\n    return 'student'\ndef q2(x):\n    return q1(x)\n")
    with g.replaced(ns, q1=lambda x: "reference", extra=1):
        assert ns["q2"](0) == "reference" and ns["extra"] == 1
    assert ns["q2"](0) == "student" and "extra" not in ns


def test_replaced_defaults_to_main(monkeypatch):
    fake = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", fake)
    with g.replaced(answer=42):
        assert fake.answer == 42
    assert not hasattr(fake, "answer")


# ------------------------------------------------------------------------ assertions
def test_assert_close_messages_say_what_was_expected():
    g.assert_close(1.0000001, 1.0, what="x")
    with pytest.raises(AssertionError, match=r"ratio: got 1\.969, expected 1\.96923"):
        g.assert_close(1.969, 1.969231, atol=1e-6, rtol=1e-6, what="ratio")
    with pytest.raises(AssertionError, match=r"shape \(2,\), expected \(3,\)"):
        g.assert_close(torch.zeros(2), torch.zeros(3), what="t")
    with pytest.raises(AssertionError, match="1 of 3 values differ"):
        g.assert_close(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 1.0, 2.5]), what="t")
    with pytest.raises(AssertionError, match="NaN"):
        g.assert_close(torch.tensor([float("nan")]), torch.tensor([0.0]), what="t")
    with pytest.raises(AssertionError, match="expected a sequence"):
        g.assert_close(3, (1, 2), what="pair")
    with pytest.raises(AssertionError, match="expected a number"):
        g.assert_close("3", 3, what="n")
    g.assert_close((1, torch.ones(2)), [1, torch.ones(2)], what="mixed")


def test_assert_raises():
    g.assert_raises(ValueError, int, "x")
    with pytest.raises(AssertionError, match="raised nothing, expected ValueError"):
        g.assert_raises(ValueError, int, "3")
    with pytest.raises(AssertionError, match="raised TypeError"):
        g.assert_raises(ValueError, int, None)


# --------------------------------------------------------------- behaviour comparison
def _block(eps: float = 1e-5) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, eps=eps), nn.ReLU()
    )


def test_same_behaviour_accepts_an_equivalent_and_names_the_difference():
    x = torch.randn(2, 3, 6, 6, generator=g.rng(1))
    g.same_behaviour(_block(), _block(), x, what="block")
    with pytest.raises(AssertionError, match="block: output differs"):
        g.same_behaviour(_block(), _block(eps=1e-1), x, what="block")
    with pytest.raises(AssertionError, match="layers run in the order"):
        g.same_behaviour(
            _block(), nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False)), x, what="block"
        )


def test_copy_weights_reports_mismatched_layers():
    x = torch.randn(1, 3, 4, 4)
    with pytest.raises(AssertionError, match="does not match"):
        g.copy_weights(
            _block(), nn.Sequential(nn.Conv2d(3, 4, 1, bias=False), nn.BatchNorm2d(4)), x
        )


def test_rng_and_n_params():
    assert torch.equal(torch.rand(3, generator=g.rng(5)), torch.rand(3, generator=g.rng(5)))
    assert g.n_params(nn.Linear(3, 2)) == 8


def test_unusable_finds_the_original_after_the_attribute_is_rebound(monkeypatch):
    """A student who rebinds medeff's attribute and keeps the original still gets blocked."""
    original = efficient.channel_shuffle
    monkeypatch.setattr(efficient, "channel_shuffle", lambda x, groups: x)
    ns = _in_main("def channel_shuffle(x, groups):\n    return _orig(x, groups)\n")
    ns["_orig"] = original
    x = torch.arange(8.0).reshape(1, 8, 1, 1)
    with g.unusable("medeff.models.efficient.channel_shuffle"):
        with pytest.raises(g.ReferenceUnavailable):
            ns["channel_shuffle"](x, 2)
        assert torch.equal(
            efficient.channel_shuffle(x, 2), x
        )  # the student's rebinding is untouched
    assert not torch.equal(original(x, 2), x)


def test_unusable_raises_no_warnings():
    """nbgrader fails a test cell that writes to stderr: blocking must not warn (scanning
    live objects touches e.g. torch.distributed's deprecated reduce_op)."""
    import warnings

    import torch.distributed  # noqa: F401  (its deprecated attributes warn when touched)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with g.unusable("medeff.models.efficient.channel_shuffle"):
            pass
    assert [str(w.message) for w in caught] == []
