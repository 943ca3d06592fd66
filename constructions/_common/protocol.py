"""The model protocol and the model-kind registry: every model the toolkit builds, defined once.

Every model (continuous and discontinuous Sumformers, every attention-kind network, the sparse
universal network) offers the surface of :class:`Model`. Every model *kind* is ONE
:class:`ModelKind` object that declares its numpy forward (the ``__call__`` of its model type),
its torch module (a callable), its model-file codec (encode to arrays and a JSON header,
decode back), its cost, its certifier (or a one-line reason why it has none: the entry
``constructions.verify.certified_sup_error`` dispatches on it) and a small example used by the
tests that walk the registry. The
model-file reader and writer, the torch export and the command line iterate this registry; a
kind missing a piece is refused when it registers, with a message naming the piece.

>>> from constructions import model_kinds
>>> sorted(model_kinds())[:3]
['continuous', 'discontinuous', 'linformer']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from polyapprox.internal import PolyapproxError, UnknownNameError

#: How :attr:`Model.error_bound` is defined, the same for every model.
ERROR_BOUND_MEANING = (
    "a proven bound on sup |model(X) - reference(X)| over the model's domain, where the reference "
    "is what the construction was built to realise (a network: the Sumformer it was built from; a "
    "Sumformer or the sparse network: its target); None where no proof gives one"
)


@runtime_checkable
class Model(Protocol):
    """What every model the toolkit builds offers.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    *args : object
        Unused: a protocol describes models and is never instantiated (``isinstance`` checks it).
    **kwargs : object
        Unused, as ``*args``.

    Attributes
    ----------
    n : int
        Number of tokens the model is built for.
    d : int
        Token dimension.
    d_out : int
        Output dimension per token.
    kind : str
        Its registered model-kind name (``constructions.model_kinds()``).
    error_bound : float or None
        A proven bound on sup abs(model(X) - reference(X)) over the domain; the reference is
        what the construction realises (a network: its Sumformer; a Sumformer or the sparse
        network: its target). None where no proof gives one; ``describe()`` then says why.

    Examples
    --------
    >>> from constructions import Model, discontinuous, targets
    >>> isinstance(discontinuous.build(targets.get("centered"), n=2, d=1, k=2), Model)
    True
    """

    n: Any
    d: int
    d_out: int

    @property
    def kind(self) -> str: ...

    @property
    def error_bound(self) -> float | None: ...

    def __call__(self, X: Any) -> np.ndarray: ...

    def describe(self) -> str: ...

    def to_torch(self) -> Any: ...

    def save(self, path: str | os.PathLike, *, target: Any = None, meta: dict | None = None) -> None: ...


class _Missing:
    """The default of a piece a kind did not declare (not callable: registration names it)."""

    def __repr__(self) -> str:
        return "<missing>"


#: Default of every piece of a kind: registering a kind that keeps it fails naming the piece.
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Encoded:
    """A model as a model file holds it: what a model kind's ``encode`` returns.

    Parameters
    ----------
    parameters : dict
        JSON-able construction parameters (exact numbers as strings).
    tensors : dict of str to numpy.ndarray
        Float64 arrays, stored bitwise.
    target : object, default None
        The target to record (a registered target or an expression), or None.

    Examples
    --------
    >>> import numpy as np
    >>> Encoded({"k": 2}, {"check.values": np.zeros(3)}).parameters
    {'k': 2}
    """

    parameters: dict
    tensors: dict[str, np.ndarray]
    target: Any = None


@dataclass(frozen=True)
class ModelKind:
    """One model kind, defined once: its type, torch module, model-file codec, cost, example, certifier.

    Parameters
    ----------
    name : str
        The kind's name, written into model files (``"continuous"``, ``"transformer"``...).
    description : str
        One line for help texts.
    model_type : type
        The class of its models; their ``__call__`` is the kind's numpy forward.
    matches : callable
        ``matches(model) -> bool``: whether a model of ``model_type`` is of this kind (several
        kinds share the network class).
    torch_module : callable
        ``torch_module(model, trainable=True, check_domain=True) -> torch.nn.Module`` (float64,
        its input checked as the numpy forward checks it).
    encode : callable
        ``encode(model, target) -> Encoded``: parameters, tensors and the target to record
        (``target`` None: the one the model was built for). Raises ``PolyapproxError`` naming
        why a model cannot be saved.
    decode : callable
        ``decode(parameters, tensors, target, path) -> (model, expected tensors)``: the model
        rebuilt from its exact description and the arrays a faithful file holds.
    cost : callable
        ``cost(model) -> int``: its parameter count (weight and coefficient entries; exact
        token maps and target look-ups count 0), the size measure the tables report.
    example : callable
        ``example() -> model``: a small model of this kind (the registry tests build it).
    certify : callable or str
        ``certify(model, target, budget, *, seed, samples, domain, certificate, model_file)
        -> CertifiedResult``: the certifier ``constructions.verify.certified_sup_error``
        dispatches to; or a one-line reason why models of this kind cannot be certified. Every
        piece left out stays missing, and ``register_model_kind`` refuses the kind naming each.

    Examples
    --------
    >>> from constructions import get_model_kind
    >>> get_model_kind("continuous").model_type.__name__
    'PolynomialSumformer'
    """

    name: str
    description: str = ""
    model_type: type = MISSING
    matches: Callable[[Any], bool] = MISSING
    torch_module: Callable[..., Any] = MISSING
    encode: Callable[[Any, Any], Encoded] = MISSING
    decode: Callable[[dict, Mapping[str, np.ndarray], Any, str], tuple[Any, dict[str, np.ndarray]]] = MISSING
    cost: Callable[[Any], int] = MISSING
    example: Callable[[], Any] = MISSING
    certify: Callable[..., Any] | str = MISSING


#: Methods every model type defines; n, d, d_out, kind and error_bound are instance attributes, checked
#: on each kind's ``example()`` by the registry tests (``isinstance(model, Model)``).
PROTOCOL_METHODS = ("__call__", "describe", "to_torch", "save")


def check_pieces(kind: Any, what: str, texts: tuple[str, ...], callables: tuple[str, ...]) -> None:
    """Raise one ``PolyapproxError`` naming every missing piece of ``kind``: an empty text or a non-callable."""
    problems = [
        f"{name} (a non-empty string)"
        for name in texts
        if not isinstance(getattr(kind, name), str) or not getattr(kind, name)
    ]
    problems += [f"{name} (a callable)" for name in callables if not callable(getattr(kind, name))]
    if problems:
        raise PolyapproxError(f"{what} {getattr(kind, 'name', '?')!r} is missing {', '.join(problems)}")


def _check_model_kind(kind: ModelKind) -> None:
    check_pieces(kind, "model kind", ("name", "description"), MODEL_KIND_PIECES)
    model_type = kind.model_type
    if not isinstance(model_type, type):
        raise PolyapproxError(f"model kind {kind.name!r} is missing model_type (the class of its models)")
    lacking = [m for m in PROTOCOL_METHODS if not callable(getattr(model_type, m, None))]
    if lacking:
        raise PolyapproxError(
            f"model kind {kind.name!r}: its model type {model_type.__name__} lacks {', '.join(lacking)} "
            "(the model protocol)"
        )
    certify = kind.certify
    if not callable(certify) and not (isinstance(certify, str) and certify.strip() and "\n" not in certify):
        raise PolyapproxError(
            f"model kind {kind.name!r} is missing certify (a certifier callable, or a one-line reason why its "
            "models cannot be certified)"
        )


#: The callables every model kind declares.
MODEL_KIND_PIECES = ("matches", "torch_module", "encode", "decode", "cost", "example")


_REGISTRY: dict[str, ModelKind] = {}


def register_model_kind(kind: ModelKind) -> ModelKind:
    """Add ``kind`` to the model-kind registry (once per name); returns it.

    Parameters
    ----------
    kind : ModelKind
        The kind; every piece is checked when it is constructed.

    Returns
    -------
    ModelKind
        ``kind``.

    Raises
    ------
    PolyapproxError
        For an object that is not a ModelKind, a kind missing a piece (the message names every
        missing piece), or a name registered for another kind.

    Examples
    --------
    >>> from constructions import get_model_kind, register_model_kind
    >>> register_model_kind(get_model_kind("continuous")).name
    'continuous'
    """
    if not isinstance(kind, ModelKind):
        raise PolyapproxError(f"register_model_kind needs a ModelKind; got {type(kind).__name__}")
    _check_model_kind(kind)
    if kind.name in _REGISTRY and _REGISTRY[kind.name] is not kind:
        raise PolyapproxError(f"model kind {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def model_kinds() -> dict[str, ModelKind]:
    """Every registered model kind, by name (a copy, in registration order).

    Returns
    -------
    dict of str to ModelKind
        Name -> kind.

    Examples
    --------
    >>> sorted(model_kinds())
    ['continuous', 'discontinuous', 'linformer', 'masked-transformer', 'performer', 'sparse-transformer', 'transformer']
    """
    return dict(_REGISTRY)


def get_model_kind(name: object) -> ModelKind:
    """The registered model kind called ``name``.

    Parameters
    ----------
    name : str
        A model-kind name.

    Returns
    -------
    ModelKind
        The kind.

    Raises
    ------
    UnknownNameError
        For a name that is not registered.

    Examples
    --------
    >>> get_model_kind("mlp")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.UnknownNameError: unknown model kind 'mlp'; known: continuous, discontinuous, linformer, masked-transformer, performer, sparse-transformer, transformer
    """
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise UnknownNameError(f"unknown model kind {name!r:.40}; known: {', '.join(sorted(_REGISTRY))}")


def kind_of(model: Any) -> ModelKind:
    """The registered kind of ``model``, or a ``PolyapproxError`` saying why it has none.

    Parameters
    ----------
    model : object
        A model.

    Returns
    -------
    ModelKind
        Its kind.

    Examples
    --------
    >>> from constructions import Sumformer
    >>> kind_of(Sumformer(lambda x: x, lambda x, s: s, 1, 1, 1))
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: cannot save or export a Sumformer built from Python callables phi and psi: a file cannot hold arbitrary code and torch cannot run it; build it with continuous.from_representation / continuous.approximate or discontinuous.build
    """
    for kind in _REGISTRY.values():
        if isinstance(model, kind.model_type) and kind.matches(model):
            return kind
    why = getattr(model, "no_kind_reason", None)
    if isinstance(why, str):
        raise PolyapproxError(why)
    raise PolyapproxError(
        f"cannot save or export a {type(model).__name__}: it is not a model of any registered kind; "
        f"known: {', '.join(sorted(_REGISTRY))}"
    )


def lipschitz_of(f: Any, n: int, d: int) -> float | None:
    """The Lipschitz constant a target declares for (n, d) (``Target.lipschitz_constant``), or None."""
    lipschitz: Callable[[int, int], float | None] | None = getattr(f, "lipschitz_constant", None)
    value = lipschitz(n, d) if callable(lipschitz) else None
    return None if value is None else float(value)


def error_bound_line(bound: float | None, reference: str, why_none: str) -> str:
    """The line of ``describe()`` that states the error bound (one wording for every model)."""
    if bound is None:
        return f"error bound: none ({why_none})"
    return f"error bound: {bound:.3g} = proven sup |model - {reference}| over the domain"


_WRITER: list[Callable[..., None]] = []


def set_writer(writer: Callable[..., None]) -> None:
    """Install the model-file writer ``writer(model, path, target=, meta=)`` (the file module does, once)."""
    _WRITER[:] = [writer]


class SavableModel:
    """Mixin: ``save`` through the model-file writer (which encodes with the model's registered kind)."""

    def save(self, path: str | os.PathLike, *, target: Any = None, meta: dict | None = None) -> None:
        """Write this model to ``path`` (safetensors); ``constructions.load(path)`` rebuilds it.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        target : Target or None, default None
            The target to record; default the one the model was built for.
        meta : dict or None, default None
            JSON-able user metadata.
        """
        if not _WRITER:  # pragma: no cover - importing constructions installs it
            raise PolyapproxError("no model-file writer is installed (import constructions)")
        _WRITER[0](self, path, target=target, meta=meta)
