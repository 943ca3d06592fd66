"""Continuous Sumformer: numeric phi/psi from exact representations, and least-squares approximation.

theory/continuous (continuous universal approximation; a reconstruction of [A]'s theorem):
phi(x) = (x^alpha)_{alpha in I_{d,K}} is fixed, and psi = Psi is a polynomial with
F_i(X) = Psi(x_i, P_{<=K}(X)). :func:`from_representation` turns an exact
:class:`polyapprox.EquivariantRepresentation` into a vectorised :class:`PolynomialSumformer`;
:func:`approximate` fits Psi by least squares in Sumformer form ("main route" of section 5)
to any numeric equivariant target and returns the exact rational representation of the fit.

Saved models (:func:`save`, :func:`load`) are JSON::

    {"format": "polyapprox.sumformer/1", "kind": "continuous",
     "representation": rep.to_dict(),      # Psi as exact rationals, read back by the safe parser
     "domain": [lo, hi], "meta": {...}}

Loading never executes anything from the file: JSON is data, and Psi goes through the safe
polynomial parser of :meth:`polyapprox.EquivariantRepresentation.from_dict`.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from polyapprox import EquivariantRepresentation, PolyapproxError

from ._least_squares import ApproximationReport as ApproximationReport
from ._least_squares import approximate as approximate
from ._polynomial_sumformer import PolynomialSumformer as PolynomialSumformer
from ._polynomial_sumformer import from_representation as from_representation
from ._target_checks import check_equivariant as check_equivariant

__all__ = [
    "ApproximationReport",
    "PolynomialSumformer",
    "approximate",
    "check_equivariant",
    "from_representation",
    "load",
    "model_from_json",
    "save",
]

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
    from ._modelfile import write_atomic

    data = {
        "format": FORMAT,
        "kind": "continuous",
        "representation": model.representation.to_dict(),
        "domain": list(model.domain),
        "meta": dict(meta or {}),
    }
    write_atomic(path, json.dumps(data, indent=1, default=str).encode("utf-8"))


def load(path: str | os.PathLike, *, max_bytes: int | None = None) -> PolynomialSumformer:
    """Read a model written by :func:`save`, validating everything; nothing in the file is executed.

    Also reads continuous models written by ``constructions.save``. Only regular files of at
    most ``max_bytes`` (default ``constructions.MAX_MODEL_BYTES``) are read; symlinks, FIFOs
    and devices are refused.

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file.
    max_bytes : int or None, default None
        Refuse larger files; default ``constructions.MAX_MODEL_BYTES``.

    Returns
    -------
    PolynomialSumformer
        The model, equal to the one saved.

    Examples
    --------
    >>> import os, tempfile
    >>> from polyapprox import represent_equivariant
    >>> S = from_representation(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save(S, path)
    >>> load(path).latent_dim
    2
    """
    from ._modelfile import MAX_BYTES, _json, read, read_bytes

    path = os.fspath(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    data = read_bytes(path, limit)
    if data[:1] != b"{":  # a constructions.save file (safetensors)
        info = read(path, max_bytes=limit)
        if info.kind != "continuous":
            raise PolyapproxError(f"{path!r} holds a {info.kind} model; read it with constructions.load")
        return info.model
    return model_from_json(_json(data, path, "the file"), path)


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
