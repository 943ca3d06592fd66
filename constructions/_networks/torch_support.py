"""Optional PyTorch: one place that imports it and says how to install it when it is missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from polyapprox.internal import PolyapproxError

MISSING_TORCH = (
    "this needs PyTorch: pip install 'polyapprox[torch]' (on machines that keep the CPU build, "
    "install torch==2.13.0 first so pip does not download another build)"
)


def import_torch_module() -> ModuleType:
    """``constructions._networks.torch_modules`` (the torch modules), or a one-line ``PolyapproxError`` if torch is missing.

    >>> import_torch_module().__name__
    'constructions._networks.torch_modules'
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        raise PolyapproxError(MISSING_TORCH) from None
    from . import torch_modules as _torch

    return _torch


def lazy_torch_module(builder: str) -> Callable[[Mapping[str, Any], Mapping[str, Any], bool], Any]:
    """An attention kind's ``torch_module``: imports torch only when called, then calls ``builder`` of
    :mod:`constructions._networks.torch_modules` with (weights, params, trainable).

    >>> lazy_torch_module("softmax_module").__name__
    'softmax_module'
    """

    def torch_module(weights: Mapping[str, Any], params: Mapping[str, Any], trainable: bool) -> Any:
        return getattr(import_torch_module(), builder)(weights, params, trainable)

    torch_module.__name__ = builder
    return torch_module
