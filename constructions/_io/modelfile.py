"""Model files for every network kind: arrays in safetensors, exact rationals and metadata in its header.

One format for the continuous and discontinuous Sumformers and the Transformer, Linformer and
Performer built from them. A file is a ``safetensors`` file (no pickle anywhere): the arrays
(psi's coefficient matrix, every named network weight, check values) are stored bitwise, and
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
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyapprox import EquivariantRepresentation, __version__
from polyapprox.internal import PolyapproxError

from .._networks import linformer, performer, transformer
from .._networks.network import Network
from .._sumformers import discontinuous as _discontinuous
from .._sumformers import polynomial as _continuous
from .._sumformers.polynomial import psi_table
from .._targets.resolve import from_spec, to_spec
from .._targets.target import Target
from .files import MAX_BYTES, ModelFileError, _json, read_bytes, write_atomic

FORMAT = "polyapprox.model/1"
KINDS = ("continuous", "discontinuous", "transformer", "linformer", "performer")
CHECK_SEQUENCES = 16  # check values stored for a discontinuous model


@dataclass(frozen=True)
class ModelFile:
    """What :func:`read` found in a model file: the rebuilt model and what was recorded with it.

    The recorded ``target`` is a :class:`Target`, or None when none was recorded or it was a
    Python callable, which is never imported (``target_spec`` then says which).

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
        The recorded target, or None.
    target_spec : dict or None
        How the target was recorded (also for a callable that is not imported).
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
        return tuple(self.model.domain) if self.model.domain is not None else (0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# writing


def kind_of(model: Any) -> str:
    """The model-file kind of a model, or raise naming what can be saved."""
    if isinstance(model, _continuous.PolynomialSumformer):
        return "continuous"
    if isinstance(model, _discontinuous.DiscontinuousSumformer):
        return "discontinuous"
    if isinstance(model, Network):
        kind = model.recipe.get("kind")
        if kind in ("transformer", "linformer", "performer") and isinstance(
            model.sumformer, _continuous.PolynomialSumformer
        ):
            return kind
        raise PolyapproxError(
            "only networks built by transformer/linformer/performer.from_sumformer from a "
            "continuous (polynomial) Sumformer can be saved: the file rebuilds them exactly"
        )
    raise PolyapproxError(
        f"cannot save a {type(model).__name__}; savable: continuous and discontinuous Sumformers "
        "and the Transformer, Linformer and Performer built from a continuous one"
    )


def _psi_matrix(rep: EquivariantRepresentation) -> np.ndarray:
    """The float64 coefficient matrix of psi (rows: monomials of (y, s) in sorted order)."""
    return psi_table(rep)[1]


def _continuous_part(S: _continuous.PolynomialSumformer) -> tuple[dict, dict[str, np.ndarray]]:
    if S.domain is None:
        raise ModelFileError("a continuous model needs its domain [lo, hi] to be saved; this one has none")
    return (
        {"representation": S.representation.to_dict(), "domain": [float(v) for v in S.domain]},
        {"psi.coefficients": _psi_matrix(S.representation)},
    )


def _check_sequences(model: _discontinuous.DiscontinuousSumformer) -> np.ndarray:
    """Representatives of a few seeded random cell multisets (check points for the recorded target)."""
    rng = np.random.default_rng(0)
    cells = model.k**model.d
    idx = np.sort(rng.integers(0, cells, size=(CHECK_SEQUENCES, model.n)), axis=1)
    return _discontinuous.representatives(idx, model.k, model.d, model.representative)


def _describe(model: Any, target: Target | None) -> tuple[str, dict, dict[str, np.ndarray], Target | None]:
    kind = kind_of(model)
    if kind == "continuous":
        params, tensors = _continuous_part(model)
        return kind, params, tensors, target if target is not None else model.target
    if kind == "discontinuous":
        f = target if target is not None else model.f
        spec = to_spec(f) if isinstance(f, Target) else {"callable": getattr(f, "__name__", type(f).__name__)}
        if spec is None or "callable" in spec:
            raise PolyapproxError(
                "a discontinuous model is rebuilt from its target, and this one is a Python "
                "callable that a file cannot hold safely; build it from a registered target or a "
                "target expression (targets.from_expression) to save it"
            )
        points = _check_sequences(model)
        params = {"k": model.k, "encoding": model.encoding, "representative": model.representative}
        return kind, params, {"check.points": points, "check.values": np.asarray(f(points), dtype=float)}, f
    S = model.sumformer
    params, tensors = _continuous_part(S)
    params = {"sumformer": params, "network": {k: v for k, v in model.recipe.items() if k != "kind"}}
    tensors.update({f"weights.{name}": np.asarray(w, dtype=float) for name, w in model.weights.items()})
    return kind, params, tensors, target if target is not None else S.target


def save(model: Any, path: str | os.PathLike, *, target: Target | None = None, meta: dict | None = None) -> None:
    """Write any savable model to ``path`` as a safetensors file; :func:`load` rebuilds it bitwise.

    The arrays (psi's coefficient matrix, every named network weight, check values) are stored
    bitwise; the header holds one JSON document with the kind, n, d, d_out, the target (a
    registered name or an expression), the construction parameters with the exact Psi as
    rationals, and the package version. No pickle is used. ``target`` defaults to the one the model was built for (a fit's target, a discontinuous
    model's f). Written atomically (a temporary file, then a rename); an existing symlink at
    ``path`` is replaced, never followed.

    Parameters
    ----------
    model : object
        Any savable model (Sumformers and networks of every kind).
    path : str or os.PathLike
        The file.
    target : Target or None, default None
        The target to record; default the one the model was built for.
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

    kind, params, tensors, recorded = _describe(model, target)
    header = {
        "format": FORMAT,
        "kind": kind,
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


# ---------------------------------------------------------------------------------------------
# reading


def _split_safetensors(data: bytes, path: str) -> dict:
    if len(data) < 8:
        raise ModelFileError(f"{path!r} is truncated or not a model file ({len(data)} bytes)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise ModelFileError(
            f"{path!r} is truncated or not a model file (header of {length:,} bytes in a file of {len(data):,})"
        )
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


def _continuous_from(params: Any, path: str) -> _continuous.PolynomialSumformer:
    if not isinstance(params, dict) or set(params) != {"representation", "domain"}:
        raise ModelFileError(f"{path!r}: the Sumformer needs exactly 'representation' and 'domain'")
    domain = params["domain"]
    if (
        not isinstance(domain, list)
        or len(domain) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in domain)
    ):
        raise ModelFileError(f"{path!r}: domain must be [lo, hi] with finite numbers; got {domain!r:.60}")
    rep = EquivariantRepresentation.from_dict(params["representation"])
    return _continuous.PolynomialSumformer(rep, domain=(float(domain[0]), float(domain[1])))


def _rebuild_network(kind: str, S: _continuous.PolynomialSumformer, recipe: Any, tensors: dict, path: str) -> Network:
    if not isinstance(recipe, dict):
        raise ModelFileError(f"{path!r}: network parameters must be an object")
    allowed = {
        "transformer": {"n", "ff", "m_relu", "d_k", "random_query", "seed"},
        "linformer": {"n", "k", "ff", "m_relu", "random_query", "seed", "allow_unequal_columns", "column_tol"},
        "performer": {"n", "m", "ff", "features", "seed", "m_relu", "random_query", "d_k"},
    }[kind]
    if set(recipe) != allowed:
        raise ModelFileError(f"{path!r}: {kind} parameters must be {sorted(allowed)}; got {sorted(recipe)}")
    args = dict(recipe)
    for key in ("m_relu", "d_k", "k", "m"):
        if key in args:
            _int(args[key], key, path)
    if kind == "transformer":
        return transformer.from_sumformer(S, **args)
    if kind == "linformer":
        E, F = tensors.get("weights.attn.E"), tensors.get("weights.attn.F")
        if E is None or F is None:
            raise ModelFileError(f"{path!r}: a Linformer file needs the projections weights.attn.E and weights.attn.F")
        n, k = args.pop("n"), args.pop("k")
        return linformer.from_sumformer(S, n, k, E=E, F=F, **args)
    n, m = args.pop("n"), args.pop("m")
    return performer.from_sumformer(S, n, m, **args)


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

    Only regular files are opened (no symlinks, FIFOs or devices), and files above ``max_bytes``
    are refused before reading. The model is rebuilt from its exact description (Psi through the
    safe polynomial parser, the target through the expression parser).

    ``check=False`` skips comparing the stored arrays with the rebuilt ones (for trusted large
    files); the exact description is validated either way.

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
    if kind not in KINDS:
        raise ModelFileError(f"{path!r}: unknown model kind {kind!r:.40}; known: {', '.join(KINDS)}")
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
    target = from_spec(header["target"])
    if kind == "continuous":
        model = _continuous_from(params, path)
        model.target = target
        rebuilt = _continuous_part(model)[1]
    elif kind == "discontinuous":
        model, rebuilt = _read_discontinuous(params, target, n, d, d_out, tensors, path)
    else:
        if set(params) != {"sumformer", "network"}:
            raise ModelFileError(f"{path!r}: network parameters need exactly 'sumformer' and 'network'")
        S = _continuous_from(params["sumformer"], path)
        S.target = target
        model = _rebuild_network(kind, S, params["network"], tensors, path)
        rebuilt = {"psi.coefficients": _psi_matrix(S.representation)}
        rebuilt.update({f"weights.{name}": w for name, w in model.weights.items()})
    if (model.n, model.d, model.d_out) != (n, d, d_out):
        raise ModelFileError(
            f"{path!r} is inconsistent: header says n, d, d_out = {(n, d, d_out)}, the model "
            f"has {(model.n, model.d, model.d_out)}"
        )
    if check:
        _compare(tensors, rebuilt, path)
    return ModelFile(path, kind, model, n, d, d_out, target, header["target"], params, version, meta)


def _read_discontinuous(params, target, n, d, d_out, tensors, path):
    if target is None:
        raise ModelFileError(f"{path!r}: a discontinuous model needs its target (a name or an expression)")
    if set(params) != {"k", "encoding", "representative"}:
        raise ModelFileError(f"{path!r}: discontinuous parameters must be k, encoding, representative")
    k = _int(params["k"], "k", path)
    model = _discontinuous.build(target, n, d, k, params["encoding"], params["representative"], d_out=d_out)
    points = tensors.get("check.points")
    values = tensors.get("check.values")
    if points is None or values is None or points.shape != (CHECK_SEQUENCES, n, d):
        raise ModelFileError(f"{path!r}: missing or malformed check values of the target")
    want = _check_sequences(model)
    if not np.array_equal(points, want):
        raise ModelFileError(f"{path!r} is inconsistent: check points are not the construction's representatives")
    got = np.asarray(target(points), dtype=float)
    if got.shape != values.shape or not np.allclose(got, values, rtol=1e-12, atol=1e-12):
        raise ModelFileError(
            f"{path!r} is inconsistent: its recorded target does not give the stored check values "
            "(tampered, or the target changed)"
        )
    return model, {"check.points": want, "check.values": values}


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
