"""Loading a continuous Sumformer from either file format (JSON or ``constructions.save``)."""

from __future__ import annotations

import os

from polyapprox.internal import PolyapproxError

from .._sumformers.polynomial import PolynomialSumformer
from .files import MAX_BYTES, _json, read_bytes
from .modelfile import read
from .sumformer_json import model_from_json


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
    >>> from constructions.continuous import from_representation, load, save
    >>> S = from_representation(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save(S, path)
    >>> load(path).latent_dim
    2
    """
    path = os.fspath(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    data = read_bytes(path, limit)
    if data[:1] != b"{":  # a constructions.save file (safetensors)
        info = read(path, max_bytes=limit)
        if info.kind != "continuous":
            raise PolyapproxError(f"{path!r} holds a {info.kind} model; read it with constructions.load")
        return info.model
    return model_from_json(_json(data, path, "the file"), path)
