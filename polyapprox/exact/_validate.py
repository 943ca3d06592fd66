"""Argument checks shared by both layers: integers, names, sizes."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from ._errors import PolyapproxError, SizeError, UnknownNameError

#: Largest number of items (indices, table rows, candidate terms) we agree to build.
MAX_ITEMS = 10_000_000


def check_int(name: str, value: object, minimum: int | None = 1) -> int:
    """Return ``value`` as a Python int, or raise naming the argument.

    Booleans, floats (even 2.0), strings and None are rejected.

    >>> check_int("n", 3)
    3
    >>> check_int("n", 0)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: n must be an integer >= 1; got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise PolyapproxError(f"{name} must be an integer{bound}; got {_show(value)} of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise PolyapproxError(f"{name} must be an integer >= {minimum}; got {_show(value)}")
    return value


def _show(value: object, limit: int = 80) -> str:
    """repr clipped to ``limit`` characters; integers over Python's 4,300 printable digits by bit count."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 13_000:
        return f"an integer of {value.bit_length():,} bits"
    try:
        text = repr(value)
    except ValueError:  # a container holding such an integer
        return f"a {type(value).__name__} holding an integer too long to print"
    return text if len(text) <= limit else text[:limit] + "..."


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise listing them."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise UnknownNameError(f"unknown {name} {value!r}; allowed: {', '.join(repr(a) for a in allowed)}")
    return value


def check_size(what: str, count: int, limit: int = MAX_ITEMS) -> int:
    """Refuse to build more than ``limit`` items, giving the estimated size."""
    if count > limit:
        raise SizeError(
            f"{what} would have {count:,} entries, more than the limit of {limit:,}; choose smaller parameters"
        )
    return count


def check_seed(seed: object) -> int:
    """A seed for ``numpy.random.default_rng``: a Python int >= 0 (booleans and floats refused).

    >>> check_seed(0)
    0
    """
    return check_int("seed", seed, minimum=0)


def check_nonnegative(name: str, value: object) -> float:
    """A finite real number >= 0 (NaN, inf, booleans and strings refused), as a float.

    >>> check_nonnegative("rtol", 1e-8)
    1e-08
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise PolyapproxError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)
