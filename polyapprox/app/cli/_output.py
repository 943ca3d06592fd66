"""Small helpers shared by subcommands: JSON printing."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any


def _default(value: Any) -> object:
    if isinstance(value, Fraction):
        return str(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _printable(value: object) -> object:
    """Ints too long for JSON (over 4000 digits) become their digit-count text; containers are walked."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        from ._common import json_int

        return json_int(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def print_json(data: object) -> None:
    """Print ``data`` as indented JSON (Fractions as strings, numpy as lists, huge ints by digit count)."""
    print(json.dumps(_printable(data), indent=2, default=_default))
