"""Certificates of exact representations: JSON that ``tools/check_certificate.py`` re-verifies.

The checker (Python standard library only, importing nothing from this project) expands
Psi(x_i, P(X)) with Python integers and fractions and compares it with F_i(X) = F_1(X with
tokens 1 and i exchanged) for every token i. The same model section (n, d, d_out, the power-sum
indices and Psi's exact coefficients) is part of the certificates of certified error bounds.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

from ._errors import PolyapproxError

FORMAT = "polyapprox.certificate/1"


def _fraction(q: Fraction) -> str:
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def representation_data(rep: Any) -> dict[str, Any]:
    """n, d, d_out, the power-sum indices and Psi's exact coefficients: per output, [beta, m, "p/q"] terms."""
    return {
        "n": rep.n,
        "d": rep.d,
        "d_out": rep.d_out,
        "indices": [list(g) for g in rep.indices],
        "psi": [
            [[list(beta), list(m), _fraction(q)] for (beta, m), q in terms.items()] for terms in rep.coefficients()
        ],
    }


def representation_certificate(rep: Any) -> dict[str, Any]:
    """The certificate of F_i(X) = Psi(x_i, P(X)) (module docstring); refuses a representation without F."""
    F = rep.to_dict().get("F")
    if F is None:
        raise PolyapproxError("this representation has no target F: there is no identity to certify")
    return {
        "format": FORMAT,
        "kind": "representation",
        "statement": "Psi_c(x_i, P(X)) = F_c(X)_i for every token i and output c, with F_i(X) = F_1(X with "
        "tokens 1 and i exchanged) and P(X) = (p_alpha = sum_j x_j^alpha) for alpha in indices",
        "model": representation_data(rep),
        "F1": [str(entry) for entry in F[0]],
    }


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write a certificate as compact JSON, atomically and never through a symbolic link (one-line errors)."""
    from ._files import write_file

    write_file(path, json.dumps(document, separators=(",", ":"), allow_nan=False), "certificate")
