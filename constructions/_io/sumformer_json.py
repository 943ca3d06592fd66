"""Implementation of :mod:`constructions.continuous` (private; import from there)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from polyapprox import EquivariantRepresentation, PolyapproxError

from .._sumformers.polynomial import PolynomialSumformer
from .files import write_atomic

FORMAT = "polyapprox.sumformer/1"


def save(model: PolynomialSumformer, path: str | os.PathLike, *, meta: dict | None = None) -> None:
    """Write ``model`` as JSON, exactly (Psi as exact rational strings); :func:`load` gives an equal model.

    The document holds the format tag ``polyapprox.sumformer/1``, the kind, the exact
    representation (n, d, the power-sum indices, Psi as rationals), the domain and the user's
    ``meta``.

    ``constructions.save`` writes the same model (and every other kind) as a safetensors file.

    Parameters
    ----------
    model : PolynomialSumformer
        The model.
    path : str or os.PathLike
        The JSON file.
    meta : dict or None, default None
        JSON-able user metadata.

    Examples
    --------
    >>> import os, tempfile
    >>> from polyapprox import represent_equivariant
    >>> from constructions.continuous import from_representation, load, save
    >>> S = from_representation(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save(S, path)
    >>> load(path).representation == S.representation
    True
    """
    if not isinstance(model, PolynomialSumformer):
        raise PolyapproxError(f"only continuous PolynomialSumformer models can be saved; got {type(model).__name__}")
    if model.domain is None:
        raise PolyapproxError("a continuous model needs its domain [lo, hi] to be saved; this one has none")
    data = {
        "format": FORMAT,
        "kind": "continuous",
        "representation": model.representation.to_dict(),
        "domain": list(model.domain),
        "meta": dict(meta or {}),
    }
    write_atomic(path, json.dumps(data, indent=1, default=str).encode("utf-8"))


def model_from_json(data: Any, path: str = "model") -> PolynomialSumformer:
    """The model of a parsed JSON document written by :func:`save` (validated field by field).

    Parameters
    ----------
    data : dict
        The parsed JSON document.
    path : str, default 'model'
        Name of the document in error messages.

    Returns
    -------
    PolynomialSumformer
        The model it describes.

    Examples
    --------
    >>> import os, tempfile
    >>> from polyapprox import represent_equivariant
    >>> from constructions.continuous import from_representation, load, save
    >>> S = from_representation(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save(S, path)
    >>> import json
    >>> with open(path) as fh:
    ...     print(model_from_json(json.load(fh)).latent_dim)
    2
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PolyapproxError(f"{str(path)!r} is not a polyapprox model file (expected format {FORMAT!r})")
    if data.get("kind") != "continuous":
        raise PolyapproxError(f"unsupported model kind {data.get('kind')!r}; this loader reads 'continuous'")
    unknown = sorted(set(data) - {"format", "kind", "representation", "domain", "meta"})
    if unknown:
        raise PolyapproxError(f"unexpected keys in model file: {unknown}")
    domain = data.get("domain")
    if (
        not isinstance(domain, list)
        or len(domain) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in domain)
    ):
        raise PolyapproxError(f"model file: domain must be a list [lo, hi] of numbers; got {domain!r}")
    rep = EquivariantRepresentation.from_dict(data.get("representation"))
    return PolynomialSumformer(rep, domain=(float(domain[0]), float(domain[1])))
