"""Optional PyTorch: one place that imports it and says how to install it when it is missing."""

from __future__ import annotations

from types import ModuleType

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


def require_torch() -> None:
    """Raise a one-line ``PolyapproxError`` saying how to install PyTorch when it is missing.

    >>> require_torch()
    """
    import_torch_module()
