"""A bounded BLAS thread count for the numpy forwards of networks (Transformer, Linformer, Performer, masked).

On a shared machine OpenBLAS's threads spin while they wait, and once a matrix passes its
threading threshold a forward pays for every spinning thread. Measured on 2 shared cores
(OpenBLAS 0.3.31, load average about 7; CPU time of the process, every thread counted, median
of 7; ``benchmarks/bench_blas.py``), default threads / one thread:

=====================================  =========  =========  ==========
forward                                 n = 256    n = 1024   n = 4096
=====================================  =========  =========  ==========
Transformer, one softmax layer          1.0x       2.2-2.6x   1.2-3.2x
Linformer, k = 4                        0.8-1.1x   0.9-1.3x   5.0-5.8x
Sumformer (phi, psi token maps)         0.6-1.0x   0.8-1.0x   1.0-1.1x
=====================================  =========  =========  ==========

So networks (``Network.__call__``: Transformer, Linformer, Performer, masked) run their blocks
with one BLAS thread by default (274 -> 226 ms and 7.96 -> 1.39 ms at n = 4096); the plain
Sumformer forward is left alone: its token maps are elementwise, and entering the bound (about
20 microseconds with a cached ``threadpoolctl.ThreadpoolController``; a fresh
``threadpool_limits`` costs 0.65 ms, a whole forward at n = 256) would only cost. The
environment variable ``POLYAPPROX_BLAS_THREADS`` (a count, or ``none`` to leave BLAS as it is)
or :func:`set_blas_threads` changes the bound.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from polyapprox.internal import PolyapproxError

#: The environment variable read once, at the first forward, when ``set_blas_threads`` was not called.
ENVIRONMENT_VARIABLE = "POLYAPPROX_BLAS_THREADS"
#: Largest thread count accepted (a larger one is a typo, not a machine).
MAX_BLAS_THREADS = 1024
_UNSET = object()
_state: dict[str, Any] = {"threads": _UNSET, "controller": None}


def _check_threads(value: object, source: str, *, text: bool = False) -> int | None:
    """``value`` as a thread bound (None: unbounded); ``text``: the environment variable's string form."""
    if value is None or (text and isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if text and isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise PolyapproxError(f"{source} must be a thread count or 'none'; got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolyapproxError(f"{source} must be an int or None; got {value!r}")
    if not 1 <= value <= MAX_BLAS_THREADS:
        raise PolyapproxError(f"{source} must be between 1 and {MAX_BLAS_THREADS}; got {value}")
    return value


def set_blas_threads(threads: int | None) -> int | None:
    """Bound the BLAS threads of the numpy forwards (None: leave BLAS's own thread count).

    The numpy forwards of networks (one attention layer built from a Sumformer) run inside this
    bound; on a shared machine OpenBLAS's spinning threads made a Linformer forward at n = 4096
    5.7x as costly in CPU time as one thread (7.96 against 1.39 ms). The
    default is one thread, or the environment variable ``POLYAPPROX_BLAS_THREADS`` (a count
    or ``none``) when it is set.

    Parameters
    ----------
    threads : int or None
        Threads BLAS may use during a forward, 1 to 1024; None removes the bound.

    Returns
    -------
    int or None
        The previous setting, so a caller can restore it.

    Raises
    ------
    PolyapproxError
        If ``threads`` is not None or an int from 1 to 1024.

    Examples
    --------
    >>> previous = set_blas_threads(2)
    >>> blas_threads()
    2
    >>> set_blas_threads(0)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: threads must be between 1 and 1024; got 0
    >>> _ = set_blas_threads(previous)
    """
    checked = _check_threads(threads, "threads")
    previous = blas_threads()
    _state["threads"] = checked
    return previous


def blas_threads() -> int | None:
    """The BLAS thread bound of the numpy forwards (None: unbounded); see :func:`set_blas_threads`.

    Returns
    -------
    int or None
        The bound in force: set by :func:`set_blas_threads`, else ``POLYAPPROX_BLAS_THREADS``, else 1.

    Raises
    ------
    PolyapproxError
        If ``POLYAPPROX_BLAS_THREADS`` is set to something other than a count from 1 to 1024 or ``none``.

    Examples
    --------
    >>> previous = set_blas_threads(None)
    >>> blas_threads() is None
    True
    >>> _ = set_blas_threads(previous)
    """
    if _state["threads"] is _UNSET:
        raw = os.environ.get(ENVIRONMENT_VARIABLE)
        _state["threads"] = 1 if raw is None else _check_threads(raw, ENVIRONMENT_VARIABLE, text=True)
    return _state["threads"]


def _limited(threads: int) -> Any:
    """A context limiting BLAS to ``threads`` threads (one cached threadpoolctl controller)."""
    controller = _state["controller"]
    if controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _state["controller"] = False
            controller = False
        else:
            controller = _state["controller"] = ThreadpoolController()
    return controller.limit(limits=threads, user_api="blas") if controller else nullcontext()


@contextmanager
def bounded_blas() -> Iterator[None]:
    """Run the body with BLAS bounded to :func:`blas_threads` threads (nothing when unbounded)."""
    threads = blas_threads()
    if threads is None:
        yield
        return
    with _limited(threads):
        yield


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with one BLAS thread, whatever :func:`set_blas_threads` says.

    For numbers that must not depend on the machine: OpenBLAS sums a product's terms in an order
    that depends on its thread count (by default the core count), so a least-squares fit run with
    2 threads differed from the same fit with 1 in the last bits of every coefficient.
    """
    with _limited(1):
        yield
