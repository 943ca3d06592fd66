"""The one probe of python-flint: the module (or None) and which of its types are usable.

python-flint is a declared dependency; the probe exists so that the exact fallbacks
(sympy ``DomainMatrix`` and sparse rings) can be tested by passing ``use_flint=False``.
"""

from __future__ import annotations

try:
    import flint

    HAVE_FLINT = hasattr(flint, "fmpz_mat")
    HAVE_FLINT_MPOLY = hasattr(flint, "fmpq_mpoly_ctx")  # python-flint >= 0.7
except ImportError:  # pragma: no cover - python-flint is a declared dependency
    flint = None
    HAVE_FLINT = HAVE_FLINT_MPOLY = False
