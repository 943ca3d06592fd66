"""Reference decoder for tests and the benchmark: every base-(n+1) digit by repeated divmod.

The library's decoder (``constructions._sumformers.discontinuous.decode``) reads only the non-zero digits
(top-down); this is the straightforward second algorithm it is checked and timed against.
"""

from __future__ import annotations


def decode_digit_by_digit(code: int, n: int, k: int, d: int) -> dict[int, int]:
    """Reference decoder: all k^d base-(n+1) digits by repeated divmod (the benchmark baseline)."""
    histogram, remaining = {}, int(code)
    for iota in range(k**d):
        remaining, digit = divmod(remaining, n + 1)
        if digit:
            histogram[iota] = digit
    return histogram
