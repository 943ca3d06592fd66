"""Integers as text without Python's 4,300-digit limit on int-to-string conversion.

An exact integer of the core (a latent dimension, a code) can have tens of thousands of digits;
``str()`` of it raises ``ValueError`` past 4,300 digits, and such a number is unreadable anyway.
"""

from __future__ import annotations

import math

#: Integers with more digits than this are shown in scientific form with their digit count.
MAX_PRINTED_DIGITS = 60


def show_int(value: int) -> str:
    """An int as text: exact when short, else its digit count and leading digits in scientific form.

    >>> show_int(12345), show_int(7 ** 200)
    ('12345', '1.05e+169 (170 digits)')
    """
    value = int(value)
    bits = value.bit_length()
    if bits <= 3.33 * MAX_PRINTED_DIGITS:
        text = str(value)
        if len(text.lstrip("-")) <= MAX_PRINTED_DIGITS:
            return text
    digits = digit_count(value)
    sign = "-" if value < 0 else ""
    # leading digits from the top bits: value ~ m * 2^shift
    shift = max(bits - 64, 0)
    log10 = math.log10(abs(value) >> shift) + shift * math.log10(2)
    mantissa = 10 ** (log10 - math.floor(log10))
    return f"{sign}{mantissa:.2f}e+{math.floor(log10)} ({digits} digits)"


def digit_count(value: int) -> int:
    """Decimal digits of |value|, exactly, without converting a huge int to a string."""
    value = abs(int(value))
    if value == 0:
        return 1
    guess = int((value.bit_length() - 1) * math.log10(2)) + 1
    while guess > 1 and 10 ** (guess - 1) > value:
        guess -= 1
    while 10**guess <= value:
        guess += 1
    return guess
