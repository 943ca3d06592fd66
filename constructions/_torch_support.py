"""Optional PyTorch: one place that imports it and says how to install it when it is missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from polyapprox.internal import PolyapproxError

#: how to install PyTorch in a clone of polyapprox: the CPU build first (an unpinned torch is a CUDA
#: build of several GB), then the local extra
TORCH_INSTALL = 'pip install torch==2.13.0, then pip install -e ".[torch]" in the clone'
MISSING_TORCH = f"this needs PyTorch: {TORCH_INSTALL}"


def import_torch_module() -> ModuleType:
    """``constructions._torch`` (the torch modules), or a one-line ``PolyapproxError`` if torch is missing.

    >>> import_torch_module().__name__
    'constructions._torch'
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        raise PolyapproxError(MISSING_TORCH) from None
    from . import _torch

    return _torch


def lazy_torch_module(builder: str) -> Callable[[Mapping[str, Any], Mapping[str, Any], bool], Any]:
    """An attention kind's ``torch_module``: imports torch only when called, then calls ``builder`` of
    :mod:`constructions._torch` with (weights, params, trainable).

    >>> lazy_torch_module("softmax_module").__name__
    'softmax_module'
    """

    def torch_module(weights: Mapping[str, Any], params: Mapping[str, Any], trainable: bool) -> Any:
        return getattr(import_torch_module(), builder)(weights, params, trainable)

    torch_module.__name__ = builder
    return torch_module
