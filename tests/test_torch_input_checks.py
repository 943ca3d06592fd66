"""Every exported torch module checks its input as its numpy forward does (constructions._common.torch_checks.check_input),
in eager mode, under torch.compile, torch.export and torch.func.vmap; torch.jit.trace is refused.

The wrong inputs are those the numpy forwards refuse: another sequence length (a 4-token input to
an n = 3 network ran and was 0.498 off once traced), out of the domain, NaN, another dtype.
ONNX: the legacy exporter traces with torch.jit.trace, so it is refused by the same check (tested;
it needs no ``onnx`` package); the dynamo-based exporter needs ``onnx``, which is not installed
here, so it is not tested.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _networks import fitted

from constructions import sparse, targets, transformer
from polyapprox import PolyapproxError, ShapeError
from polyapprox.internal import DomainError

torch = pytest.importorskip("torch")
F64 = torch.float64


@pytest.fixture(scope="module")
def modules():
    S = fitted(n=3, d=1, degree=2)
    dense = transformer.from_sumformer(S, 3, ff="relu", m_relu=2)
    net = sparse.universal_network(targets.get("centered"), 3, 1, "1/2", sparse.patterns.dense(3))  # 24 value layers
    return {"dense": (dense, dense.to_torch()), "sparse": (net, net.to_torch())}


KINDS = ["dense", "sparse"]
GOOD = torch.tensor([[[0.1], [0.5], [0.9]], [[0.0], [1.0], [0.3]]], dtype=F64)
WRONG_LENGTH = torch.full((2, 4, 1), 0.5, dtype=F64)
OUTSIDE = torch.full((2, 3, 1), 1.5, dtype=F64)
NAN = torch.full((2, 3, 1), float("nan"), dtype=F64)


def numpy_refuses(net, X) -> bool:
    try:
        net(X.numpy())
    except PolyapproxError:
        return True
    return False


@pytest.mark.parametrize("kind", KINDS)
def test_eager_checks_match_numpy(modules, kind):
    net, module = modules[kind]
    np.testing.assert_allclose(module(GOOD).detach().numpy(), net(GOOD.numpy()), rtol=0, atol=1e-9)
    for X, error in ((WRONG_LENGTH, ShapeError), (OUTSIDE, DomainError), (NAN, DomainError)):
        assert numpy_refuses(net, X)
        with pytest.raises(error):
            module(X)
    with pytest.raises(ShapeError, match=r"\(3, 1\) or \(b, 3, 1\); got \(1, 1\)"):
        module(torch.zeros(1, 1, dtype=F64))
    with pytest.raises(PolyapproxError, match="dtype torch.float32 does not match"):
        module(GOOD.float())
    with pytest.raises(PolyapproxError, match="must be a torch.Tensor"):
        module(GOOD.numpy())


def test_to_torch_checks_the_domain_by_default_like_numpy(modules):
    net, module = modules["dense"]
    with pytest.raises(DomainError, match="outside the domain"):
        module(OUTSIDE)
    exact = transformer.from_sumformer(fitted(n=3, d=1, degree=2), 3)  # polynomial blocks extrapolate
    unchecked = exact.to_torch(check_domain=False)  # numpy's extrapolate=True
    expected = exact(OUTSIDE.numpy(), extrapolate=True)
    np.testing.assert_allclose(unchecked(OUTSIDE).detach().numpy(), expected, rtol=0, atol=1e-9)
    with pytest.raises(DomainError, match="NaN"):
        unchecked(NAN)  # NaN is refused whatever check_domain says


@pytest.mark.parametrize("kind", KINDS)
def test_jit_trace_drops_no_check_it_is_refused(modules, kind):
    _, module = modules[kind]
    with warnings.catch_warnings(), pytest.raises(PolyapproxError, match=r"torch.jit.trace .*torch.export"):
        warnings.simplefilter("ignore")
        torch.jit.trace(module, (GOOD,))


@pytest.mark.parametrize("kind", KINDS)
def test_export_keeps_the_checks(modules, kind):
    net, module = modules[kind]
    program = torch.export.export(module, (GOOD,), dynamic_shapes={"X": {0: torch.export.Dim("batch")}})
    exported = program.module()
    np.testing.assert_allclose(exported(GOOD).detach().numpy(), net(GOOD.numpy()), rtol=0, atol=1e-9)
    with pytest.raises(AssertionError, match=r"size\(\)\[1\] == 3"):  # the 4-token input: a shape guard
        exported(WRONG_LENGTH)
    for X in (OUTSIDE, NAN):
        with pytest.raises(RuntimeError, match="NaN or inf or lies outside the domain"):
            exported(X)


def test_export_with_a_dynamic_token_axis_is_refused(modules):
    _, module = modules["dense"]
    tokens = torch.export.Dim("tokens")
    with pytest.raises(Exception, match="tokens|specializ|Constraints violated"):
        torch.export.export(module, (GOOD,), dynamic_shapes={"X": {1: tokens}})


@pytest.mark.parametrize("kind", KINDS)
def test_compile_keeps_the_checks(modules, kind):
    net, module = modules[kind]
    compiled = torch.compile(module, backend="eager", dynamic=True)
    np.testing.assert_allclose(compiled(GOOD).detach().numpy(), net(GOOD.numpy()), rtol=0, atol=1e-9)
    for X in (WRONG_LENGTH, OUTSIDE, NAN):
        with pytest.raises((PolyapproxError, RuntimeError)):
            compiled(X)


@pytest.mark.parametrize("kind", KINDS)
def test_vmap_checks_the_values(modules, kind):
    net, module = modules[kind]
    out = torch.func.vmap(module)(GOOD)
    np.testing.assert_allclose(out.detach().numpy(), net(GOOD.numpy()), rtol=0, atol=1e-9)
    with pytest.raises(DomainError):
        torch.func.vmap(module)(OUTSIDE)
    with pytest.raises(DomainError, match="NaN"):
        torch.func.vmap(module)(NAN)


def test_sparse_module_dtype_policy_and_repr(modules):
    net, module = modules["sparse"]
    text = repr(module)
    assert "n=3, d=1" in text and "delta=1/2" in text and "hardmax" in text
    fresh = net.to_torch()
    for convert in (lambda m: m.float(), lambda m: m.to(torch.float32), lambda m: m.half()):
        with pytest.raises(PolyapproxError, match="float64 only.*refused"):
            convert(fresh)
    assert fresh.prefix_thresholds.dtype == F64  # left as it was, and still right
    np.testing.assert_allclose(fresh(GOOD).numpy(), net(GOOD.numpy()), rtol=0, atol=1e-9)
    assert fresh.to("cpu") is fresh and fresh.double() is fresh


def test_sparse_module_refuses_what_numpy_refuses():
    """The findings: a (1, d) input returned zeros, x = -0.3 returned 410.8, NaN returned NaN."""
    net = sparse.universal_network(targets.get("centered"), 3, 1, "1/3", sparse.patterns.dense(3))
    module = net.to_torch()
    with pytest.raises(ShapeError):
        module(torch.zeros(1, 1, dtype=F64))
    with pytest.raises(DomainError, match="outside the domain"):
        module(torch.full((3, 1), -0.3, dtype=F64))
    with pytest.raises(DomainError, match="NaN"):
        module(torch.full((3, 1), float("nan"), dtype=F64))


@pytest.mark.parametrize("kind", KINDS)
def test_legacy_onnx_export_with_a_dynamic_token_axis_is_refused(modules, kind):
    """The legacy exporter traces (no ``onnx`` package needed to reach the refusal); it once ran a
    4-token input to an n = 3 network. The dynamo exporter needs ``onnx``, not installed here."""
    import io

    _, module = modules[kind]
    with warnings.catch_warnings(), pytest.raises(PolyapproxError, match="legacy torch.onnx.export"):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (GOOD,), io.BytesIO(), dynamo=False, input_names=["X"], dynamic_axes={"X": {0: "b", 1: "tokens"}}
        )
