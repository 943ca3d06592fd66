"""The attention-kind plug-in registry and the block kinds of a constructed network.

Every attention kind (softmax, Linformer, Performer, masked softmax, ...) is ONE
:class:`AttentionKind` object, defined in the module of its construction and registered here.
The numpy forward, the torch export, the cost model and the command line all read the same
object, so an unknown kind fails in the same words everywhere (``UnknownNameError``) and a new
efficient-attention variant is one new module (plus its tests) that calls :func:`register`.

>>> sorted(attention_kinds())[:3]
['linformer', 'masked-softmax', 'performer']
>>> get_attention_kind("softmax").network
'transformer'
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, UnknownNameError


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
        module returns the residual update only, the network adds it.
    cost : callable
        ``cost(n, d_k, d_v, params)``: multiply-adds of one head.
    timing_params : callable
        ``timing_params(n, d_k, rng, k, m)``: params for timing runs.
    build : callable
        ``build(S, n, options)``: the network from a Sumformer with command-line ``options``
        (``ff``, ``m_relu``, ``seed`` and the ``cli_options``).
    cli_options : tuple of CliOption, default ()
        The kind's own options of ``polyapprox build``.
    labels : mapping, optional
        Name of every extra (non W_Q/W_K/W_V/W_O) weight of the block -> (row slot, column slot).

    Examples
    --------
    >>> from constructions import get_attention_kind
    >>> kind = get_attention_kind("transformer")
    >>> kind.name, kind.network
    ('softmax', 'transformer')
    """

    name: str
    network: str
    description: str
    forward: Callable[[np.ndarray, Sequence[Any], Mapping[str, Any]], np.ndarray]
    torch_module: Callable[[Mapping[str, np.ndarray], Mapping[str, Any], bool], Any]
    cost: Callable[[int, int, int, Mapping[str, Any]], int]
    timing_params: Callable[..., dict]
    build: Callable[..., Any]
    cli_options: tuple[CliOption, ...] = ()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


_REGISTRY: dict[str, AttentionKind] = {}


def register(kind: AttentionKind) -> AttentionKind:
    """Add ``kind`` to the registry (once per name); returns it."""
    if not isinstance(kind, AttentionKind):
        raise PolyapproxError(f"register needs an AttentionKind; got {type(kind).__name__}")
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
