"""The input check every exported torch module calls: what the numpy forward refuses, refused here too.

One helper for every module (the constructed networks, the sparse universal network, Sumformers),
so the checks are written once and survive ``torch.compile`` and ``torch.export`` the same way.
Imported only by modules that already need torch.
"""

from __future__ import annotations

from typing import Any

import torch

from polyapprox.internal import DomainError, PolyapproxError, ShapeError

TRACE_REFUSED = (
    "torch.jit.trace (and the legacy torch.onnx.export, which traces) cannot keep this module's input "
    "checks: the traced graph would run inputs of another sequence length, out of the domain or NaN "
    "without a word; use torch.export.export or torch.compile, which keep them"
)


def _unbatched(X: torch.Tensor) -> torch.Tensor:
    """The tensor under ``torch.func.vmap``'s batching wrappers (all of its values), else X itself."""
    try:
        from torch._C._functorch import get_unwrapped, is_batchedtensor
    except ImportError:  # pragma: no cover - functorch ships with torch
        return X
    while is_batchedtensor(X):
        X = get_unwrapped(X)
    return X


def check_input(
    X: Any, *, n: int, d: int, dtype: torch.dtype, domain: tuple[float, float] | None, name: str = "input"
) -> None:
    """Refuse what the numpy forward refuses: not a tensor, another dtype, shape other than (n, d) or
    (b, n, d), NaN or inf, entries outside ``domain`` (None: no domain check).

    Eager mode raises ``PolyapproxError`` / ``ShapeError`` / ``DomainError``. Under ``torch.compile``
    and ``torch.export`` the type, dtype and shape checks run while tracing and become guards (the
    exported program refuses another n or d), and the value checks become one
    ``torch._assert_async`` that the compiled graph keeps (it raises ``RuntimeError`` with the same
    words). Under ``torch.func.vmap`` the values under the batching wrapper are checked.
    ``torch.jit.trace`` records no checks at all, so it is refused here with a ``PolyapproxError``.

    >>> check_input(torch.zeros(4, 1, dtype=torch.float64), n=3, d=1, dtype=torch.float64, domain=(0.0, 1.0))
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.ShapeError: input must be (3, 1) or (b, 3, 1); got (4, 1)
    """
    if torch._C._get_tracing_state() is not None:  # torch.jit.is_tracing(), which the stubs do not export
        raise PolyapproxError(TRACE_REFUSED)
    if not isinstance(X, torch.Tensor):
        raise PolyapproxError(f"{name} must be a torch.Tensor; got {type(X).__name__}")
    if X.dtype != dtype:
        raise PolyapproxError(
            f"{name} dtype {X.dtype} does not match the module's {dtype}; convert the input (X.to({dtype}))"
            + ("" if dtype == torch.float64 else f" or the module (module.to({X.dtype}))")
        )
    if X.dim() not in (2, 3) or X.shape[-2] != n or X.shape[-1] != d:
        raise ShapeError(f"{name} must be ({n}, {d}) or (b, {n}, {d}); got {tuple(X.shape)}")
    values = _unbatched(X)
    finite = torch.isfinite(values).all()
    inside = None
    if domain is not None:
        lo, hi = domain
        inside = ((values >= lo) & (values <= hi)).all()
    where = "" if domain is None else f" or lies outside the domain [{domain[0]}, {domain[1]}]"
    if torch.compiler.is_compiling():
        torch._assert_async(  # pyright: ignore[reportPrivateImportUsage]  # the op torch.export keeps
            finite if inside is None else finite & inside, f"{name} contains NaN or inf{where}"
        )
        return
    if not bool(finite):
        raise DomainError(f"{name} contains NaN or inf")
    if inside is not None and not bool(inside):
        lo, hi = domain  # pyright: ignore[reportGeneralTypeIssues]  # inside is set only with a domain
        raise DomainError(
            f"{name} lies outside the domain [{lo}, {hi}] (entries in [{float(values.min())}, "
            f"{float(values.max())}]); the numpy forward refuses it too"
        )
