"""The attention-kind plug-in registry and the block kinds of a constructed network.

Every attention kind (softmax, Linformer, Performer, masked softmax, ...) is ONE
:class:`AttentionKind` object, defined in the module of its construction and registered here.
The numpy forward, the torch export, the cost model and the command line all read the same
object, so an unknown kind fails in the same words everywhere (``UnknownNameError``) and a new
efficient-attention variant is one new module (plus its tests) that calls
``constructions.register_attention_kind``, which also registers its network as a model kind
(model files, torch export, training and the command line then serve it).

>>> sorted(attention_kinds())[:3]
['linformer', 'masked-softmax', 'performer']
>>> get_attention_kind("softmax").network
'transformer'
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, UnknownNameError

from .._common.protocol import MISSING, check_pieces


class BlockKind(enum.Enum):
    """What one stage of a constructed network computes (tokens are rows, Z of shape (b, n, D)).

    Attributes
    ----------
    EMBEDDING
        Z = X W_emb.
    FF_EXACT
        z + (the exact phi or psi of the Sumformer) written into a slot.
    FF_RELU
        z + ReLU MLP(z W_in) W_out.
    ATTENTION
        z + one attention layer of a registered kind.
    READOUT
        Y = Z W_out.

    Examples
    --------
    >>> BlockKind("readout") is BlockKind.READOUT
    True
    """

    EMBEDDING = "embedding"  # Z = X W_emb
    FF_EXACT = "feed-forward (exact token map)"  # z + (exact phi or psi of the Sumformer) written into a slot
    FF_RELU = "feed-forward (ReLU MLP)"  # z + ReLU MLP(z W_in) W_out
    ATTENTION = "attention"  # z + one attention layer of a registered kind
    READOUT = "readout"  # Y = Z W_out


@dataclass(frozen=True)
class CliOption:
    """One command-line option of a kind's ``polyapprox build`` subcommand (argparse keywords)."""

    flag: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttentionKind:
    """One attention kind, defined once: its numpy layer, torch module, cost and CLI options.

    Parameters
    ----------
    name : str
        The kind's name (``"softmax"``, ``"linformer"``...).
    network : str
        The name of the network it builds (``"transformer"``...).
    description : str
        One line for help texts.
    forward : callable
        ``forward(Z, heads, params)``: the numpy layer, (b, n, D) -> (b, n, D), residual included.
    torch_module : callable
        ``torch_module(weights, params, trainable)``: the same layer as a ``torch.nn.Module``
        (``weights``: the block's named arrays W_Q, W_K, W_V, W_O and the kind's extras); the
        module returns the residual update only, the network adds it. Every piece is checked
        when the kind registers (``constructions.register_attention_kind``).
    cost : callable
        ``cost(n, d_k, d_v, params)``: multiply-adds of one head.
    timing_params : callable
        ``timing_params(n, d_k, rng, k, m)``: params for timing runs.
    build : callable
        ``build(S, n, options)``: the network from a Sumformer with command-line ``options``
        (``ff``, ``m_relu``, ``seed``, ``random_query`` and the ``cli_options``).
    encode : callable
        ``encode(network) -> (parameters, tensors)``: the kind's own construction parameters
        (JSON-able) and extra arrays, for model files (the weights are stored for every kind).
    decode : callable
        ``decode(S, parameters, tensors, path) -> Network``: the network rebuilt from its
        Sumformer and what ``encode`` wrote (``tensors`` holds every stored array).
    cli_options : tuple of CliOption, default ()
        The kind's own options of ``polyapprox build``.
    labels : mapping, optional
        Name of every extra (non W_Q/W_K/W_V/W_O) weight of the block -> (row slot, column slot).
    exact_weights : callable or None, default None
        ``exact_weights(params, n) -> list of n lists of n Fractions``: with W_K = 0 (every
        network the builders make), the exact weight a_ij that query i gives the value of token j
        (before W_O), in exact real arithmetic. The certifier reads it; None: the kind's networks
        cannot be certified (``certified_sup_error`` says so).

    Examples
    --------
    >>> from constructions import get_attention_kind
    >>> kind = get_attention_kind("transformer")
    >>> kind.name, kind.network
    ('softmax', 'transformer')
    """

    name: str
    network: str = ""
    description: str = ""
    forward: Callable[[np.ndarray, Sequence[Any], Mapping[str, Any]], np.ndarray] = MISSING
    torch_module: Callable[[Mapping[str, np.ndarray], Mapping[str, Any], bool], Any] = MISSING
    cost: Callable[[int, int, int, Mapping[str, Any]], int] = MISSING
    timing_params: Callable[..., dict] = MISSING
    build: Callable[..., Any] = MISSING
    encode: Callable[[Any], tuple[dict, dict[str, np.ndarray]]] = MISSING
    decode: Callable[[Any, dict, Mapping[str, np.ndarray], str], Any] = MISSING
    cli_options: tuple[CliOption, ...] = ()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    exact_weights: Callable[[Mapping[str, Any], int], list[list[Fraction]]] | None = None

    def default_options(self) -> dict[str, Any]:
        """The kind's own build options at their defaults (``--pattern`` -> ``pattern``).

        >>> from constructions import get_attention_kind
        >>> get_attention_kind("linformer").default_options()
        {'k': 2}
        """
        options = {}
        for option in self.cli_options:
            default = option.kwargs.get("default", False if option.kwargs.get("action") == "store_true" else None)
            options[option.flag.lstrip("-").replace("-", "_")] = default
        return options


_REGISTRY: dict[str, AttentionKind] = {}


#: The callables every attention kind declares.
ATTENTION_KIND_PIECES = ("forward", "torch_module", "cost", "timing_params", "build", "encode", "decode")


def add(kind: AttentionKind) -> AttentionKind:
    """Add ``kind`` to the attention registry after checking every piece (once per name).

    ``constructions.register_attention_kind`` calls this and also registers the kind's network
    as a model kind."""
    if not isinstance(kind, AttentionKind):
        raise PolyapproxError(f"register_attention_kind needs an AttentionKind; got {type(kind).__name__}")
    check_pieces(kind, "attention kind", ("name", "network", "description"), ATTENTION_KIND_PIECES)
    if kind.name in _REGISTRY and _REGISTRY[kind.name] is not kind:
        raise PolyapproxError(f"attention kind {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def attention_kinds() -> dict[str, AttentionKind]:
    """Every registered kind, by name (a copy).

    Returns
    -------
    dict of str to AttentionKind
        Name -> kind, in registration order.

    Examples
    --------
    >>> sorted(attention_kinds())
    ['linformer', 'masked-softmax', 'performer', 'softmax']
    """
    return dict(_REGISTRY)


def get_attention_kind(name: object) -> AttentionKind:
    """The registered kind called ``name`` (also accepts its network name, e.g. 'transformer').

    Parameters
    ----------
    name : str
        A kind name or its network name.

    Returns
    -------
    AttentionKind
        The registered kind.

    Raises
    ------
    UnknownNameError
        For a name that is not registered.

    Examples
    --------
    >>> get_attention_kind("sparse")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.UnknownNameError: unknown attention kind 'sparse'; allowed: 'linformer', 'masked-softmax', 'performer', 'softmax'
    """
    if isinstance(name, AttentionKind):
        return name
    if isinstance(name, str):
        if name in _REGISTRY:
            return _REGISTRY[name]
        for kind in _REGISTRY.values():
            if kind.network == name:
                return kind
    allowed = ", ".join(repr(k) for k in sorted(_REGISTRY))
    raise UnknownNameError(f"unknown attention kind {name!r}; allowed: {allowed}")


def uniform_weights(params: Mapping[str, Any], n: int) -> list[list[Fraction]]:
    """Every query weighs every key 1/n: softmax of equal logits (W_K = 0), and the Performer's
    ratio Phi(q) . (sum_j Phi(0) v_j) / Phi(q) . (n Phi(0)) with its n equal key features.

    >>> uniform_weights({}, 2)
    [[Fraction(1, 2), Fraction(1, 2)], [Fraction(1, 2), Fraction(1, 2)]]
    """
    return [[Fraction(1, n)] * n for _ in range(n)]
