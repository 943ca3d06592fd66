"""Small helpers shared by subcommands: JSON printing."""

from __future__ import annotations

import json
from fractions import Fraction


def _default(value: object) -> object:
    if isinstance(value, Fraction):
        return str(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def print_json(data: object) -> None:
    """Print ``data`` as indented JSON (Fractions as strings, numpy as lists)."""
    print(json.dumps(data, indent=2, default=_default))
