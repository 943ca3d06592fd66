"""Model files for every network kind: arrays in safetensors, exact rationals and metadata in its header.

One format for every registered model kind (``constructions.model_kinds()``): each kind's
codec says what its file holds, this module writes, reads and checks it. A file is a
``safetensors`` file (no pickle anywhere): the arrays (psi's coefficient matrix, every named
network weight, check values, masks) are stored bitwise, and
the header's ``__metadata__["polyapprox"]`` holds one JSON document::

    {"format": "polyapprox.model/1", "kind": "transformer", "version": "0.1.0",
     "n": 3, "d": 1, "d_out": 1,
     "target": {"name": "centered"} | {"expression": "...", "lipschitz": null} | null,
     "parameters": {...construction parameters, the exact Psi as rationals...},
     "tensors": [...names...], "meta": {...}}

Reading (:func:`read`) opens regular files only (no symlinks, FIFOs or devices), refuses files
above ``max_bytes`` before reading them, parses the header itself, rebuilds the model from its
exact description (Psi through the safe polynomial parser, the target through the expression
walker) and checks every stored array against the rebuilt one: a tampered, truncated or
inconsistent file raises a one-line :class:`polyapprox.PolyapproxError`; nothing in it is executed.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyapprox import __version__
from polyapprox.internal import PolyapproxError, SizeError

from .._common.protocol import get_model_kind, kind_of, model_kinds, set_writer
from .._targets.resolve import from_spec, to_spec
from .._targets.target import Target
from .files import MAX_BYTES, ModelFileError, _json, read_bytes, write_atomic

FORMAT = "polyapprox.model/1"


@dataclass(frozen=True)
class ModelFile:
    """What :func:`read` found in a model file: the rebuilt model and what was recorded with it.

    Parameters
    ----------
    path : str
        The file read.
    kind : str
        The model kind.
    model : object
        The rebuilt model.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    target : Target or None
        The recorded target, or None when none was recorded or it was a Python callable, which
        is never imported.
    target_spec : dict or None
        How the target was recorded (for a callable: which one).
    parameters : dict
        Construction parameters.
    version : str
        polyapprox version that wrote the file.
    meta : dict
        User metadata.

    Examples
    --------
    >>> import tempfile, os
    >>> from constructions import discontinuous, read, save, targets
    >>> S = discontinuous.build(targets.get("centered"), n=2, d=1, k=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(S, path)
    >>> found = read(path)
    >>> found.kind, found.n, found.d, found.target.name
    ('discontinuous', 2, 1, 'centered')
    """

    path: str
    kind: str
    model: Any = field(repr=False)
    n: int
    d: int
    d_out: int
    target: Target | None = field(repr=False)
    target_spec: dict | None
    parameters: dict = field(repr=False)
    version: str
    meta: dict = field(repr=False)

    @property
    def domain(self) -> tuple[float, float]:
        domain = getattr(self.model, "domain", None)
        return (float(domain[0]), float(domain[1])) if domain is not None else (0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# writing


def save(model: Any, path: str | os.PathLike, *, target: Target | None = None, meta: dict | None = None) -> None:
    """Write any savable model to ``path`` as a safetensors file; :func:`load` rebuilds it bitwise.

    The arrays (psi's coefficient matrix, every named network weight, check values) are stored
    bitwise; the header holds one JSON document with the kind, n, d, d_out, the target (a
    registered name or an expression), the construction parameters with the exact Psi as
    rationals, and the package version. No pickle is used. Written atomically (a temporary file, then a rename); an existing symlink at
    ``path`` is replaced, never followed.

    Parameters
    ----------
    model : object
        Any savable model (Sumformers and networks of every kind).
    path : str or os.PathLike
        The file.
    target : Target or None, default None
        The target to record; default the one the model was built for (a fit's target, a
        discontinuous model's f).
    meta : dict or None, default None
        JSON-able user metadata.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from constructions import continuous, targets, transformer
    >>> S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    >>> net = transformer.from_sumformer(S, 2)
    >>> path = tempfile.mkdtemp() + "/net.safetensors"
    >>> save(net, path)
    >>> again = load(path)
    >>> X = np.random.default_rng(0).uniform(size=(5, 2, 1))
    >>> bool(np.array_equal(again(X), net(X))), read(path).target.name
    (True, 'centered')
    """
    from safetensors.numpy import save as st_save

    check_model_path(path)
    kind = kind_of(model)
    encoded = kind.encode(model, target)
    params, tensors, recorded = encoded.parameters, encoded.tensors, encoded.target
    header = {
        "format": FORMAT,
        "kind": kind.name,
        "version": __version__,
        "n": int(model.n),
        "d": int(model.d),
        "d_out": int(model.d_out),
        "target": to_spec(recorded)
        if isinstance(recorded, Target)
        else (None if recorded is None else {"callable": getattr(recorded, "__name__", type(recorded).__name__)}),
        "parameters": params,
        "tensors": sorted(tensors),
        "meta": meta or {},
    }
    try:
        text = json.dumps(header, default=str, allow_nan=False)
    except ValueError as exc:
        raise PolyapproxError(f"cannot save: the metadata holds a non-finite number ({exc})") from None
    data = st_save(
        {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in tensors.items()}, metadata={"polyapprox": text}
    )
    write_atomic(path, data)


#: file names a model file must not have: they name another format than the safetensors written here
WRONG_SUFFIXES = {".json": "JSON", ".npz": "NumPy archives", ".pt": "torch pickles", ".pth": "torch pickles"}


def check_model_path(path: str | os.PathLike) -> None:
    """Refuse a model-file name whose extension names another format (``.json`` is not safetensors).

    >>> check_model_path("model.json")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.ModelFileError: 'model.json': model files are safetensors, not JSON; name it model.safetensors
    """
    root, suffix = os.path.splitext(os.fspath(path))
    if suffix.lower() in WRONG_SUFFIXES:
        raise ModelFileError(
            f"{os.fspath(path)!r}: model files are safetensors, not {WRONG_SUFFIXES[suffix.lower()]}; "
            f"name it {os.path.basename(root)}.safetensors"
        )


# ---------------------------------------------------------------------------------------------
# reading


def _split_safetensors(data: bytes, path: str) -> dict:
    if len(data) < 8:
        raise ModelFileError(f"{path!r} is not a model file (it has only {len(data)} bytes)")
    (length,) = struct.unpack("<Q", data[:8])
    if data[8:9] != b"{":  # every safetensors file has its JSON header right after the 8 length bytes
        raise ModelFileError(
            f"{path!r} is not a model file (model files are safetensors files written by 'build ... --save' "
            "or constructions.save)"
        )
    if length > len(data) - 8:
        raise ModelFileError(f"{path!r} is a truncated model file (its header is cut off)")
    header = _json(data[8 : 8 + length], path, "the safetensors header")
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise ModelFileError(f"{path!r} is not a polyapprox model file (no metadata in its header)")
    text = header["__metadata__"].get("polyapprox")
    if not isinstance(text, str):
        raise ModelFileError(f"{path!r} is not a polyapprox model file (no 'polyapprox' metadata)")
    return _json(text, path, "the polyapprox metadata")


def _int(value: Any, name: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**6:
        raise ModelFileError(f"{path!r}: {name} must be an integer in [1, 10^6]; got {value!r:.40}")
    return value


def _field(data: dict, key: str, kind: type, path: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ModelFileError(f"{path!r}: {key!r} must be a {kind.__name__}; got {type(value).__name__}")
    return value


def _compare(stored: dict[str, np.ndarray], rebuilt: dict[str, np.ndarray], path: str) -> None:
    if set(stored) != set(rebuilt):
        extra, missing = sorted(set(stored) - set(rebuilt)), sorted(set(rebuilt) - set(stored))
        raise ModelFileError(f"{path!r} is inconsistent: arrays {extra[:3]} unexpected, {missing[:3]} missing")
    for name in sorted(stored):
        a, b = stored[name], np.asarray(rebuilt[name], dtype=float)
        if a.shape != b.shape or not np.array_equal(a, b):
            raise ModelFileError(
                f"{path!r} is inconsistent: the stored array {name!r} differs from the one its "
                "exact description rebuilds (tampered or corrupted)"
            )


def read(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES, check: bool = True) -> ModelFile:
    """Read and rebuild a model file of any kind written by :func:`save`, validating it; nothing is executed.

    Only regular files are opened (no symlinks, FIFOs or devices). The model is rebuilt from its
    exact description (Psi through the safe polynomial parser, the target through the expression
    parser).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int, default 268435456
        Refuse larger files (``SizeError``).
    check : bool, default True
        Compare the stored arrays with the rebuilt ones; False skips it (for trusted large files),
        the exact description is validated either way.

    Returns
    -------
    ModelFile
        The model with its recorded target, parameters and metadata.

    Examples
    --------
    >>> import os, tempfile
    >>> from constructions import discontinuous, targets
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(discontinuous.build(targets.get("centered"), n=2, d=1, k=2), path)
    >>> read(path).kind
    'discontinuous'
    """
    path = os.fspath(path)
    data = read_bytes(path, max_bytes)
    if data[:1] == b"{":  # the JSON format of the removed continuous.save
        raise ModelFileError(
            f"{path!r} is a JSON model file, a format no longer read; the supported format is {FORMAT!r} "
            "(safetensors, written by constructions.save): rebuild the model and save it again"
        )
    header = _split_safetensors(data, path)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a polyapprox model file (expected format {FORMAT!r})")
    expected = {"format", "kind", "version", "n", "d", "d_out", "target", "parameters", "tensors", "meta"}
    if set(header) != expected:
        raise ModelFileError(f"{path!r}: unexpected or missing fields {sorted(set(header) ^ expected)}")
    kind = header["kind"]
    if not isinstance(kind, str) or kind not in model_kinds():
        raise ModelFileError(f"{path!r}: unknown model kind {kind!r:.40}; known: {', '.join(sorted(model_kinds()))}")
    n, d, d_out = (_int(header[k], k, path) for k in ("n", "d", "d_out"))
    version, meta = _field(header, "version", str, path), _field(header, "meta", dict, path)
    params = _field(header, "parameters", dict, path)
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    try:
        tensors = st_load(data)
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"{path!r} is corrupted: {str(exc)[:100]}") from None
    if sorted(tensors) != header["tensors"] or any(t.dtype != np.float64 for t in tensors.values()):
        raise ModelFileError(f"{path!r} is inconsistent: its arrays do not match the list in its metadata")
    try:  # one place: every check of the target and of each kind's decode names the file
        target = from_spec(header["target"])
        model, rebuilt = get_model_kind(kind).decode(params, tensors, target, path)
    except (ModelFileError, SizeError):
        raise
    except PolyapproxError as exc:
        raise ModelFileError(f"{path!r}: {exc}") from None
    if (model.n, model.d, model.d_out) != (n, d, d_out):
        raise ModelFileError(
            f"{path!r} is inconsistent: header says n, d, d_out = {(n, d, d_out)}, the model "
            f"has {(model.n, model.d, model.d_out)}"
        )
    if check:
        _compare(tensors, rebuilt, path)
    return ModelFile(path, kind, model, n, d, d_out, target, header["target"], params, version, meta)


def load(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES, check: bool = True) -> Any:
    """The model stored at ``path`` (any kind; see :func:`read` for the recorded target and metadata).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int, default 268435456
        Refuse larger files (``SizeError``).
    check : bool, default True
        Compare the stored arrays with the rebuilt ones.

    Returns
    -------
    object
        The rebuilt model.

    Examples
    --------
    >>> import os, tempfile
    >>> from constructions import discontinuous, targets
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> save(discontinuous.build(targets.get("centered"), n=2, d=1, k=2), path)
    >>> load(path).latent_dim
    1
    """
    return read(path, max_bytes=max_bytes, check=check).model


set_writer(save)  # every model's save() writes through this module
