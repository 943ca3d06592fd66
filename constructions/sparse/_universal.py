"""The universal-approximation network of Yun et al. 2020 (Theorem; proof steps 1-3), built end to end.

Every weight of every layer is given explicitly (exact rationals) and labelled. The residual
stream has D = max(d, d_out) coordinates ("z", 1..D); tokens are rows, a layer computes
``Z @ W`` with ``W: (d_in, d_out)``. Stages, in order:

===============  ==========================================================  ============
stage            layer                                                       count
===============  ==========================================================  ============
input            Z = X W_in (x_c -> z_c)                                     1 (affine)
clip             z_c <- z_c - ReLU(z_c - (1 - delta/2)), one FF per c        d
position         Z <- Z + E, E along the Hamiltonian path gamma              1 (affine)
quantisation     z_c <- z_c + phi_Q(z_c - q' delta), q' = 0..n/delta - 1      d n / delta
phase-a          selective shifts (two heads), one per code value and step    p (n-1) delta^-d
phase-b          all-max shifts z_k += c_B max_{A_k} code                     s
value            z <- z + phi_V(z.u - q(L)_k)(a_{L,k} - z_{L,k})              n delta^-(n d)
readout          Y = Z W_out (z_c -> out_c, c <= d_out)                        1 (affine)
===============  ==========================================================  ============

The three proof stages (quantisation, contextual mapping = phase-a + phase-b, value mapping)
have exactly the layer counts of :func:`layer_counts`; the clip (d width-1 ReLU layers, so
that inputs with a coordinate equal to 1 fall in the last cube) and the affine input,
position and readout maps are extra and counted separately.

Two variants (Step 2 and Step 3 of the proof):

* ``rho="hardmax"``, ``eps=None``: the modified network (hardmax attention, activations
  phi_Q and phi_V piecewise linear with three pieces, FF width 1). Evaluated in exact
  rationals it equals f-bar (f at the centre of the input's grid cube) exactly.
* ``rho="softmax"`` (or ``"sparsemax"``) with query scale ``t`` and/or ``eps``: every
  piecewise-linear activation is replaced by four ReLUs of width eps (FF width 4) and the
  queries (W_Q and b_Q) are multiplied by t. This is the real network; its distance to f
  falls as t grows and eps, delta shrink.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, cast

import numpy as np

from polyapprox.internal import (
    DomainError,
    PolyapproxError,
    ShapeError,
    check_choice,
    check_int,
    check_seed,
    check_size,
)

from .._common.exact_grid import exact_floor
from .._common.install import TORCH_INSTALL
from .._common.labelled import LabelledArray
from .._common.protocol import SavableModel, error_bound_line, lipschitz_of
from .._common.validate import real_array
from .._sumformers.target_checks import target_values
from ._assumption import check_assumption
from ._contextual import MAX_INPUTS, ContextualMapping
from ._layers import LayerCounts, as_delta, layer_counts
from ._masks import as_masks
from ._piecewise import RELU, STAGES, PiecewiseLinear
from ._prefix import PREFIX_STAGES, ExactPrefix
from ._rho import simplex_projection

#: Attention maps the network accepts (Assumption 2 holds for each).
RHOS = ("hardmax", "softmax", "sparsemax")
#: How a forward pass may compute: float64, exact rationals, or mpmath at a chosen precision.
ARITHMETICS = ("auto", "float64", "exact", "mpmath")
#: Default budget of value-mapping layers n delta^-(n d) (each is one FF layer; the build runs
#: every grid input through the contextual mapping in exact arithmetic).
MAX_VALUE_LAYERS = 20_000

Label = tuple[str, Any]
_ZERO = Fraction(0)


# ------------------------------------------------------------------ layers


@dataclass(frozen=True)
class SparseHead:
    """One attention head of size 1: query z.W_Q + b_Q, key z.W_K, value z.W_V, output value * W_O."""

    W_Q: tuple[Fraction, ...]
    b_Q: Fraction
    W_K: tuple[Fraction, ...]
    W_V: tuple[Fraction, ...]
    W_O: tuple[Fraction, ...]

    @staticmethod
    def zero(D: int) -> SparseHead:
        z = (_ZERO,) * D
        return SparseHead(z, _ZERO, z, z, z)

    @property
    def is_zero(self) -> bool:
        return not any(self.W_O)


@dataclass(frozen=True)
class Layer:
    """One layer with exact weights; ``kind`` is 'affine', 'feed-forward' or 'attention'.

    affine: Z = X W + B (B: one row per token). feed-forward: Z <- Z + act(Z W1 + b1) W2 + b2
    (W1: D x r, W2: r x D; ``activation`` a :class:`PiecewiseLinear` or 'relu'). attention:
    Z <- Z + sum_h sum_{j in A_k} a^h_kj (z_j.W_V^h) W_O^h with a^h = rho(query_k * keys over
    A_k of pattern ``pattern``) (Yun et al. 2020, sparse attention with heads of size 1).

    Parameters
    ----------
    name : str
        Unique name, e.g. ``"clip.1"``.
    stage : str
        Proof stage it belongs to (``"clip"``, ``"phase-a"``...).
    kind : str
        ``"affine"``, ``"feed-forward"`` or ``"attention"``.
    formula : str
        What the layer computes, in words.
    pattern : int or None, default None
        Index of the mask in the cycle (attention).
    heads : tuple of SparseHead, default ()
        The attention heads, each of size 1.
    W1 : tuple of tuple of Fraction, default ()
        First feed-forward matrix, D x r.
    b1 : tuple of Fraction, default ()
        First feed-forward bias.
    activation : PiecewiseLinear, str or None, default None
        A :class:`PiecewiseLinear` or ``"relu"``.
    W2 : tuple of tuple of Fraction, default ()
        Second feed-forward matrix, r x D.
    b2 : tuple of Fraction, default ()
        Second feed-forward bias.
    W : tuple of tuple of Fraction, default ()
        Affine matrix.
    B : tuple of tuple of Fraction, default ()
        Affine offset, one row per token.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions.sparse import patterns, universal_network
    >>> net = universal_network(lambda X: X, 2, 1, "1/2", patterns.dense(2))
    >>> first = net.layers[0]
    >>> first.kind, first.formula
    ('affine', 'Z = X W_in: x_c -> z_c')
    """

    name: str
    stage: str
    kind: str
    formula: str
    pattern: int | None = None
    heads: tuple[SparseHead, ...] = ()
    W1: tuple[tuple[Fraction, ...], ...] = ()
    b1: tuple[Fraction, ...] = ()
    activation: Any = None
    W2: tuple[tuple[Fraction, ...], ...] = ()
    b2: tuple[Fraction, ...] = ()
    W: tuple[tuple[Fraction, ...], ...] = ()
    B: tuple[tuple[Fraction, ...], ...] = ()

    @property
    def width(self) -> int:
        """Hidden width r of a feed-forward layer (0 otherwise)."""
        return len(self.b1)

    @property
    def parameters(self) -> int:
        """Number of stored weight entries (zero entries included)."""
        if self.kind == "attention":
            return sum(len(h.W_Q) + 1 + len(h.W_K) + len(h.W_V) + len(h.W_O) for h in self.heads)
        if self.kind == "feed-forward":
            return sum(map(len, self.W1)) + len(self.b1) + sum(map(len, self.W2)) + len(self.b2)
        return sum(map(len, self.W)) + sum(map(len, self.B))

    def exact_weights(self, labels: dict[str, list[Label]]) -> dict[str, tuple[list[Label], list[Label], list]]:
        """name -> (row labels, column labels, rows of Fractions)."""
        z = labels["z"]
        if self.kind == "attention":
            out: dict[str, tuple[list[Label], list[Label], list]] = {}
            for h, head in enumerate(self.heads):
                for key in ("W_Q", "W_K", "W_V"):
                    out[f"head{h}.{key}"] = (z, [("head", h)], [[w] for w in getattr(head, key)])
                out[f"head{h}.b_Q"] = ([("one", None)], [("head", h)], [[head.b_Q]])
                out[f"head{h}.W_O"] = ([("head", h)], z, [list(head.W_O)])
            return out
        if self.kind == "feed-forward":
            hidden = [("hidden", j) for j in range(self.width)]
            return {
                "W1": (z, hidden, [list(r) for r in self.W1]),
                "b1": ([("one", None)], hidden, [list(self.b1)]),
                "W2": (hidden, z, [list(r) for r in self.W2]),
                "b2": ([("one", None)], z, [list(self.b2)]),
            }
        rows = labels["x"] if self.stage == "input" else z
        cols = labels["out"] if self.stage == "readout" else z
        out = {"W": (rows, cols, [list(r) for r in self.W])}
        if self.B:
            out["E"] = ([("token", k) for k in range(len(self.B))], z, [list(r) for r in self.B])
        return out


def _vec(D: int, entries: dict[int, Fraction]) -> tuple[Fraction, ...]:
    return tuple(entries.get(c, _ZERO) for c in range(D))


def _ff(
    name: str,
    stage: str,
    formula: str,
    read: tuple[Fraction, ...],
    bias: Fraction,
    act: PiecewiseLinear,
    write: tuple[Fraction, ...],
    eps: Fraction | None,
) -> Layer:
    """z <- z + act(z.read + bias) write; with ``eps`` the activation becomes four ReLUs (width 4)."""
    if eps is None:
        return Layer(
            name,
            stage,
            "feed-forward",
            formula,
            W1=tuple((r,) for r in read),
            b1=(bias,),
            activation=act,
            W2=(write,),
            b2=(_ZERO,) * len(write),
        )
    b0, offsets, coefs = act.four_relu(eps)
    return Layer(
        name,
        stage,
        "feed-forward",
        formula + f" [four ReLUs, eps = {eps}]",
        W1=tuple((r,) * 4 for r in read),
        b1=tuple(bias + o for o in offsets),
        activation=RELU,
        W2=tuple(tuple(c * w for w in write) for c in coefs),
        b2=tuple(b0 * w for w in write),
    )


# ------------------------------------------------------------------ arithmetic backends


def _map_objects(fn: Callable[[Any], Any], values: np.ndarray) -> np.ndarray:
    """``fn`` on every entry of ``values`` (an object array of the same shape)."""
    # numpy's stubs let a frompyfunc ufunc's scalar overload match an array argument
    return cast(np.ndarray, np.frompyfunc(fn, 1, 1)(values))


class _Backend:
    """Element conversion and exp for one arithmetic: 'float64', 'exact' (Fraction) or 'mpmath'."""

    def __init__(self, kind: str, bits: int = 53):
        self.kind, self.bits = kind, bits
        if kind == "mpmath":
            import mpmath

            self.ctx = mpmath.MPContext()
            self.ctx.prec = bits
            self._exp = np.frompyfunc(self.ctx.exp, 1, 1)

    @property
    def dtype(self):
        return float if self.kind == "float64" else object

    def scalar(self, x: Fraction) -> Any:
        if self.kind == "float64":
            return float(x)
        if self.kind == "exact":
            return x
        return self.ctx.mpf(x.numerator) / x.denominator

    def array(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        if self.kind == "float64":
            return values.astype(float)
        return np.frompyfunc(self.scalar, 1, 1)(values).astype(object) if values.size else values

    def from_input(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "float64":
            return np.asarray(X, dtype=float)
        if X.dtype == object:
            return np.frompyfunc(lambda v: self.scalar(Fraction(v)), 1, 1)(X).astype(object)
        conv = (lambda v: Fraction(float(v))) if self.kind == "exact" else (lambda v: self.ctx.mpf(float(v)))
        return _map_objects(conv, X).astype(object)

    def exp(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "float64":
            return np.exp(x)
        if self.kind == "exact":
            raise DomainError("softmax has irrational weights: exact arithmetic is for hardmax and sparsemax only")
        return self._exp(x).astype(object)

    def zero(self) -> Any:
        return 0.0 if self.kind == "float64" else (_ZERO if self.kind == "exact" else self.ctx.mpf(0))


def _attention_weights(q: np.ndarray, k: np.ndarray, mask: np.ndarray, rho: str, be: _Backend) -> np.ndarray:
    """rho over A_k of the scores q_k k_j, shape (b, n, n); masked keys get weight 0.

    Computed from the shifted logits q_k (k_j - k*_k), with k*_k the largest allowed key if
    q_k >= 0 and the smallest otherwise: the same probabilities (rho is invariant under a
    shift of each row), without forming the products of two large codes.
    """
    allowed = mask[None]
    keys = np.broadcast_to(k[:, None, :], (k.shape[0], k.shape[1], k.shape[1]))
    low = k.min(axis=-1)[:, None, None] - 1
    high = k.max(axis=-1)[:, None, None] + 1
    kmax = np.where(allowed, keys, low).max(axis=-1)
    kmin = np.where(allowed, keys, high).min(axis=-1)
    star = np.where(q >= 0, kmax, kmin)
    logits = q[..., None] * (keys - star[..., None])  # <= 0 where allowed, 0 at the argmax
    if rho == "hardmax":
        top = allowed & (logits == 0)
        count = top.sum(axis=-1, keepdims=True)
        return np.where(top, be.scalar(Fraction(1)), be.zero()) / count
    if rho == "softmax":
        e = np.where(allowed, be.exp(np.where(allowed, logits, be.zero())), be.zero())
        return e / e.sum(axis=-1, keepdims=True)
    # sparsemax (Martins & Astudillo 2016): entries below max - 1 = -1 never get mass
    v = np.where(allowed, logits, be.scalar(Fraction(-2)))
    return np.where(allowed, simplex_projection(v, be.zero()), be.zero())


class _Compiled:
    """The layers as arrays of one backend, and the forward pass over them."""

    def __init__(self, net: UniversalNetwork, be: _Backend):
        self.be, self.rho, self.masks = be, net.rho, net.masks
        self.ops: list[tuple] = []
        # float64 and mpmath evaluate the coordinate-wise stages as their exact composition, with
        # exact piece decisions (see ._prefix); exact arithmetic runs every layer (the reference)
        self.prefix = None if be.kind == "exact" else net.prefix
        for layer in net.layers:
            if self.prefix is not None and layer.stage in PREFIX_STAGES:
                continue
            if layer.kind == "affine":
                B = be.array(layer.B) if layer.B else None
                self.ops.append(("affine", be.array(layer.W), B))
            elif layer.kind == "feed-forward":
                act = layer.activation
                if isinstance(act, PiecewiseLinear):
                    c1, c2, b1, a2, b2, a3, b3 = (
                        be.scalar(getattr(act, f)) for f in ("c1", "c2", "b1", "a2", "b2", "a3", "b3")
                    )
                    act = PiecewiseLinear(c1, c2, b1, a2, b2, a3, b3, act.name)
                self.ops.append(
                    (
                        "ff",
                        be.array(layer.W1),
                        be.array(layer.b1),
                        act,
                        be.array(layer.W2),
                        be.array(layer.b2),
                        any(layer.b2),
                    )
                )
            else:
                heads = [
                    tuple(be.array(getattr(h, key)) for key in ("W_Q", "W_K", "W_V", "W_O")) + (be.scalar(h.b_Q),)
                    for h in layer.heads
                    if not h.is_zero
                ]  # zero heads add exactly 0
                self.ops.append(("attn", layer.pattern, heads))

    def run(self, X: np.ndarray) -> np.ndarray:
        """The forward pass on checked inputs X (b, n, d): floats, or Fractions for exact arithmetic."""
        be = self.be
        Z = be.from_input(X) if self.prefix is None else self.prefix.evaluate(X, be.scalar, be.dtype)
        for op in self.ops:
            if op[0] == "affine":
                _, W, B = op
                Z = Z @ W
                if B is not None:
                    Z = Z + B[None]
            elif op[0] == "ff":
                _, W1, b1, act, W2, b2, has_b2 = op
                H = Z @ W1 + b1
                H = np.maximum(H, be.zero()) if isinstance(act, str) else act(H)
                if H.dtype == object and H.shape[-1] == 1:
                    # a width-1 layer adds H W2 only where H != 0 (same result, fewer rational operations)
                    hit = np.nonzero(H[..., 0] != 0)
                    Z = Z.copy()
                    if hit[0].size:
                        Z[hit] = Z[hit] + H[hit] * W2[0]
                else:
                    Z = Z + H @ W2
                if has_b2:
                    Z = Z + b2
            else:
                _, pattern, heads = op
                if not heads:
                    continue
                mask = self.masks[pattern]
                update = None
                for W_Q, W_K, W_V, W_O, b_Q in heads:
                    q, k, v = Z @ W_Q + b_Q, Z @ W_K, Z @ W_V
                    a = _attention_weights(q, k, mask, self.rho, be)
                    out = (a * v[:, None, :]).sum(axis=-1)[..., None] * W_O
                    update = out if update is None else update + out
                Z = Z + update
        return Z


# ------------------------------------------------------------------ the network


def check_distance_args(n: int, d: int, *, p: float = 2, samples: int = 2000, seed: int = 0) -> int:
    """Check the arguments of :meth:`UniversalNetwork.distance` before any network is built.

    A caller refuses bad arguments here before paying for the network and its grid check.

    Parameters
    ----------
    n, d : int
        Tokens per sequence and token dimension of the network.
    p : float, default 2
        Exponent of the d_p distance, in [1, inf).
    samples : int, default 2000
        Random sequences of n x d values, within the array limit.
    seed : int, default 0
        Seed of the random sequences, >= 0.

    Returns
    -------
    int
        ``samples``, checked.

    Raises
    ------
    PolyapproxError
        ``DomainError`` for ``p``, ``SizeError`` for too many values, others for non-integers.

    Examples
    --------
    >>> check_distance_args(3, 1, samples=200)
    200
    >>> check_distance_args(3, 1, samples=10**20)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.SizeError: the distance's 100,000,000,000,000,000,000 random sequences of n x d values would have 300,000,000,000,000,000,000 entries, more than the limit of 10,000,000; choose smaller parameters
    """
    if isinstance(p, bool) or not (isinstance(p, (int, float)) and 1 <= p < math.inf):
        raise DomainError(f"p must be a number in [1, inf); got {p!r:.40}")
    samples = check_int("samples", samples)
    check_size(f"the distance's {samples:,} random sequences of n x d values", samples * n * d)
    check_seed(seed)
    return samples


@dataclass
class UniversalNetwork(SavableModel):
    """The sparse Transformer g of the universality theorem (Yun et al. 2020), layer by layer.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out); inputs in [0, 1].

    ``__call__(X)`` evaluates in float64 (or exactly where float64 would not be accurate), with
    every cell decided as exact arithmetic decides it (see :attr:`prefix`);
    ``exact(X)``: the same in exact rationals (object array of Fractions; hardmax/sparsemax).
    ``f_bar(X)``: the piecewise-constant target (f at cube centres), looked up in the exact
    table ``values`` of the value mapping. Attributes: ``heads`` (2), ``head_size`` (1),
    ``ff_width`` (1 with the piecewise-linear activations, 4 with four-ReLU ones),
    ``layers`` (tuple of :class:`Layer`), ``stage_counts()``, ``counts`` (the formulas of
    :func:`layer_counts`), ``contextual`` (the :class:`ContextualMapping`), ``c_B``,
    ``max_code`` (largest code any grid input reaches), ``arithmetic`` (what ``"auto"`` picks).

    Parameters
    ----------
    f : callable
        The target.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    delta : Fraction
        Grid width 1/q.
    rho : str
        ``"hardmax"``, ``"softmax"`` or ``"sparsemax"``.
    t : Fraction
        Query scale.
    eps : Fraction or None
        Width of the four-ReLU activations, or None for piecewise-linear ones.
    masks : list of numpy.ndarray
        The pattern cycle.
    contextual : ContextualMapping
        The contextual mapping (Step 2).
    layers : tuple of Layer
        All layers, in order.
    values : dict
        Exact value table of the value mapping: grid input -> f at the cube centres.
    max_abs_value_code : Fraction
        Largest abs(a.u) of a rewritten row (collision caveat).
    heads : int, default 2
        Attention heads per layer.
    head_size : int, default 1
        Size of each head.
    _cache : dict, optional
        Internal memo of evaluations (not for users).

    Examples
    --------
    >>> import numpy as np
    >>> from constructions.sparse import patterns, universal_network
    >>> f = lambda X: X.sum(axis=1, keepdims=True) * np.ones_like(X)
    >>> net = universal_network(f, 2, 1, "1/2", patterns.dense(2))
    >>> net(np.array([[0.1], [0.7]])), net.arithmetic         # f at the cube centres .25, .75
    (array([[1.],
           [1.]]), 'float64')
    """

    f: Callable = field(repr=False)
    n: int
    d: int
    d_out: int
    delta: Fraction
    rho: str
    t: Fraction
    eps: Fraction | None
    masks: list = field(repr=False)
    contextual: ContextualMapping = field(repr=False)
    layers: tuple[Layer, ...] = field(repr=False)
    values: dict = field(repr=False)
    max_abs_value_code: Fraction = field(repr=False)
    heads: int = 2
    head_size: int = 1
    _cache: dict = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------- model protocol
    #: The model kind (``constructions.model_kinds()``).
    kind = "sparse-transformer"
    #: Every coordinate of an input lies in [0, 1] (checked on every call).
    domain = (0.0, 1.0)

    @property
    def error_bound(self) -> float | None:
        """L delta/2 vs f (f's Lipschitz constant L) for hardmax with piecewise-linear activations,
        where the network equals f-bar exactly; None otherwise (``describe()`` says why)."""
        L = lipschitz_of(self.f, self.n, self.d)
        if L is None or self.rho != "hardmax" or self.eps is not None:
            return None
        return L * float(self.delta) / 2

    def _error_bound_why(self) -> str:
        if self.rho != "hardmax" or self.eps is not None:
            return "softmax/sparsemax or four-ReLU activations: g = f-bar is not proven off the grid bands"
        return "the target has no known Lipschitz constant"

    # ---------------------------------------------------------- structure
    @property
    def D(self) -> int:
        """Width of the residual stream, max(d, d_out)."""
        return max(self.d, self.d_out)

    @property
    def q(self) -> int:
        return self.delta.denominator

    @property
    def p(self) -> int:
        return self.contextual.p

    @property
    def s(self) -> int:
        return self.contextual.s

    @property
    def gamma(self) -> tuple[int, ...]:
        return self.contextual.gamma

    @property
    def c_B(self) -> int:
        return self.contextual.c_B

    @property
    def ff_width(self) -> int:
        return max(layer.width for layer in self.layers if layer.kind == "feed-forward")

    @property
    def counts(self) -> LayerCounts:
        """The layer-count formulas for this (n, d, delta, p, s)."""
        return layer_counts(self.n, self.d, self.delta, self.p, self.s)

    @property
    def max_code(self) -> Fraction:
        """Largest final code over grid inputs (about c_B^s M_0): sets the arithmetic needed."""
        return max(max(c) for c in self.contextual.final_codes.values())

    def stage_counts(self) -> dict[str, int]:
        """Number of layers per stage, in network order."""
        out = {stage: 0 for stage in STAGES}
        for layer in self.layers:
            out[layer.stage] += 1
        return out

    def parameter_count(self) -> int:
        """Stored weight entries over all layers (zero entries included)."""
        return sum(layer.parameters for layer in self.layers)

    @property
    def labels(self) -> dict[str, list[Label]]:
        return {
            "x": [("x", c + 1) for c in range(self.d)],
            "z": [("z", c + 1) for c in range(self.D)],
            "out": [("out", c + 1) for c in range(self.d_out)],
        }

    def weights(self, name: str) -> dict:
        """Labelled float weights of the layer called ``name`` (e.g. 'phase-b.0')."""

        layer = self.layer(name)
        return {
            key: LabelledArray(np.array([[float(v) for v in row] for row in values], dtype=float), rows, cols)
            for key, (rows, cols, values) in layer.exact_weights(self.labels).items()
        }

    def layer(self, name: str) -> Layer:
        index = self._cache.setdefault("names", {layer.name: i for i, layer in enumerate(self.layers)})
        if name not in index:
            raise PolyapproxError(f"no layer called {name!r}; names look like {[l.name for l in self.layers[:3]]}")
        return self.layers[index[name]]

    @property
    def prefix(self) -> ExactPrefix:
        """The input, clip, position and quantisation stages composed exactly (float paths use it)."""
        if "prefix" not in self._cache:
            self._cache["prefix"] = ExactPrefix.of(self.layers, self.n, self.d, self.D)
        return self._cache["prefix"]

    # ---------------------------------------------------------- arithmetic
    def float_error_estimate(self) -> float:
        """Rough bound on the float64 rounding error of a code (absolute): decides ``"auto"``.

        Codes reach ``max_code`` C; one rounding is C 2^-52. With four-ReLU activations of
        width eps, each value-mapping layer cancels terms of size C/eps and multiplies by
        weights of size C: m 4 C (C + A) 2^-52 / eps over m layers (A = max |a.u|).
        """
        C = float(self.max_code) + 1.0
        unit = C * 2.0**-52
        err = 16 * unit * len(self.layers) ** 0.5
        if self.eps is not None:
            A = float(self.max_abs_value_code)
            err += self.stage_counts()["value"] * 4 * unit * (C + A) / float(self.eps)
        return err

    @property
    def arithmetic(self) -> str:
        """What ``"auto"`` uses: float64 if the rounding estimate is below delta/64, else
        exact rationals (hardmax, sparsemax: no irrational weights), else mpmath (softmax)."""
        if self.float_error_estimate() <= float(self.delta) / 64:
            return "float64"
        return "mpmath" if self.rho == "softmax" else "exact"

    def mpmath_bits(self) -> int:
        """Binary precision for mpmath: enough that the rounding estimate falls below 2^-50,
        so the outputs are as accurate as float64 numbers can show."""
        return 53 + max(11, math.ceil(math.log2(self.float_error_estimate() * 2.0**50)))

    def _compiled(self, arithmetic: str) -> _Compiled:
        key = (arithmetic, self.mpmath_bits() if arithmetic == "mpmath" else 0)
        if key not in self._cache:
            self._cache[key] = _Compiled(self, _Backend(arithmetic, key[1]))
        return self._cache[key]

    def _check_input(self, X: object) -> tuple[np.ndarray, bool]:
        if (isinstance(X, np.ndarray) and X.dtype == object) or (isinstance(X, (list, tuple)) and _has_fraction(X)):
            array = np.array(X, dtype=object)
            try:
                values = _map_objects(Fraction, array) if array.size else array
            except (TypeError, ValueError):
                raise DomainError("X must contain numbers (Fractions, ints or floats)") from None
            as_float = values.astype(float)
        else:  # the package's one conversion: torch tensors, np.matrix, ragged lists, sizes
            as_float = real_array(X)
            values = as_float
        expected = f"({self.n}, {self.d}) or (b, {self.n}, {self.d})"
        if as_float.ndim not in (2, 3) or as_float.shape[-2:] != (self.n, self.d):
            raise ShapeError(f"X must be {expected}; got shape {as_float.shape}")
        if not np.all(np.isfinite(as_float)):
            raise DomainError("X contains NaN or inf; the domain is [0, 1]^(n x d)")
        low = values < 0 if values.dtype == object else as_float < 0
        high = values > 1 if values.dtype == object else as_float > 1
        if np.any(low) or np.any(high):
            raise DomainError(f"X must lie in [0, 1]^(n x d); got entries in [{as_float.min()}, {as_float.max()}]")
        batched = as_float.ndim == 3
        return (values if batched else values[None]), batched

    def forward(self, X: object, arithmetic: str = "auto") -> np.ndarray:
        """g(X) in the chosen arithmetic (object arrays for 'exact' and 'mpmath').

        Shapes: X (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).
        """
        arithmetic = check_choice("arithmetic", arithmetic, ARITHMETICS)
        if arithmetic == "auto":
            arithmetic = self.arithmetic
        if arithmetic == "exact" and self.rho == "softmax":
            raise DomainError("softmax has irrational weights: use arithmetic 'float64' or 'mpmath'")
        X3, batched = self._check_input(X)
        compiled = self._compiled(arithmetic)
        out = compiled.run(X3)
        return out if batched else out[0]

    def __call__(self, X: object, arithmetic: str = "auto") -> np.ndarray:
        """g(X) as float64 (computed in ``arithmetic``, default as :attr:`arithmetic` decides).

        Shapes: X (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).
        """
        out = self.forward(X, arithmetic)
        return np.asarray(out.astype(float) if out.dtype == object else out, dtype=float)

    def exact(self, X: object) -> np.ndarray:
        """g(X) in exact rationals (object array of Fractions); hardmax or sparsemax only.

        Shapes: X (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).
        """
        return self.forward(X, "exact")

    # ---------------------------------------------------------- the target
    def cube_index(self, X: np.ndarray) -> np.ndarray:
        """Integer cube coordinates floor(x / delta) of the exact input values, the last cube closed.

        Shapes: X (b, n, d) -> (b, n, d) ints.
        """
        X3 = np.asarray(X)
        if X3.dtype == object:  # Fractions: floor exactly
            floor = _map_objects(lambda v: math.floor(Fraction(v) * self.q), X3).astype(np.int64)
        else:  # floats: floor of the exact value of each float, not of the rounded product x q
            floor = exact_floor(np.asarray(X3, dtype=float), self.q)
        return np.minimum(floor, self.q - 1)

    def f_bar(self, X: object, exact: bool = False) -> np.ndarray:
        """f at the centre of the grid cube of X (Step 1), from the exact value table.

        Shapes: X (n, d) or (b, n, d) -> (n, d_out) or (b, n, d_out).
        """
        X3, batched = self._check_input(X)
        idx = self.cube_index(X3)
        keys = [tuple(tuple(Fraction(int(v), self.q) for v in row) for row in sample) for sample in idx]
        table = np.array([self.values[k] for k in keys], dtype=object)  # (b, n, d_out) Fractions
        out = table if exact else table.astype(float)
        return out if batched else out[0]

    def omega_bound(self) -> tuple[float, str]:
        """(omega_f(delta/2), how it was obtained): L delta/2 for a target with a Lipschitz
        constant, else a sampled lower estimate of the modulus of continuity."""
        lipschitz: Callable[[int, int], float] | None = getattr(self.f, "lipschitz_constant", None)
        L = lipschitz(self.n, self.d) if callable(lipschitz) else None
        if L is not None:
            return L * float(self.delta) / 2, "Lipschitz bound L delta/2"
        rng = np.random.default_rng(0)
        X = rng.uniform(size=(4000, self.n, self.d))
        Y = np.clip(X + rng.uniform(-1, 1, size=X.shape) * float(self.delta) / 2, 0, 1)
        diff = np.abs(
            target_values(self.f, X, "modulus samples", self.d_out)
            - target_values(self.f, Y, "modulus samples", self.d_out)
        )
        return float(diff.max()), "sampled lower estimate"

    def distance(self, p: float = 2, samples: int = 2000, seed: int = 0, arithmetic: str = "auto") -> dict:
        """Monte Carlo d_p(f, g) on [0,1]^(n x d) (volume 1) next to d_p(f, f-bar) and the bound.

        Returns ``d_p(f,g)``, ``d_p(f,f_bar)``, ``d_p(f_bar,g)``, ``mismatch`` (share of samples
        with g != f-bar beyond rounding: 1e-9 plus the float64 estimate when float64 is used),
        ``omega`` = omega_f(delta/2) and the Step-1 bound
        (n d_out)^(1/p) omega.
        """
        samples = check_distance_args(self.n, self.d, p=p, samples=samples, seed=seed)
        X = np.random.default_rng(check_seed(seed)).uniform(size=(samples, self.n, self.d))
        g = self(X, arithmetic)
        fX = target_values(self.f, X, "distance samples", self.d_out)
        fb = self.f_bar(X)

        def dp(a, b):
            return float(np.mean((np.abs(a - b) ** p).sum(axis=(1, 2))) ** (1 / p))

        omega, how = self.omega_bound()
        used = self.arithmetic if arithmetic == "auto" else arithmetic
        tol = (1e-9 + (self.float_error_estimate() if used == "float64" else 0.0)) * (1 + float(np.abs(fb).max()))
        mismatch = float(np.mean(np.abs(g - fb).max(axis=(1, 2)) > tol))
        return {
            "d_p(f,g)": dp(fX, g),
            "d_p(f,f_bar)": dp(fX, fb),
            "d_p(f_bar,g)": dp(fb, g),
            "mismatch": mismatch,
            "omega": omega,
            "omega_how": how,
            "bound_f_fbar": (self.n * self.d_out) ** (1 / p) * omega,
            "p": p,
            "samples": samples,
        }

    def grid_check(self, exact_limit: int = 512, float_limit: int = 20_000) -> dict:
        """Evaluate g on every grid input and count those where g == f-bar.

        Exact rationals (hardmax, sparsemax) for at most ``exact_limit`` inputs, comparing
        exactly; else float64 at the cube centres (when float64 resolves the codes) within
        the rounding estimate; else skipped. Returns checked, inputs, equal, arithmetic, reason.
        """
        inputs = self.contextual.inputs
        count = len(inputs)
        L = np.array(inputs, dtype=object)
        if self.rho != "softmax" and count <= exact_limit:
            equal = (self.exact(L) == self.f_bar(L, exact=True)).all(axis=(1, 2))
            arithmetic = "exact"
        elif self.arithmetic == "float64" and count <= float_limit:
            X = L.astype(float) + float(self.delta) / 2
            fb = self.f_bar(X)
            tol = (1e-9 + self.float_error_estimate()) * (1 + float(np.abs(fb).max()))
            equal = np.abs(self(X, "float64") - fb).max(axis=(1, 2)) <= tol
            arithmetic = "float64"
        else:
            return {
                "checked": 0,
                "inputs": count,
                "equal": 0,
                "arithmetic": None,
                "reason": f"{count} grid inputs would need exact arithmetic; the limit is {exact_limit}",
            }
        return {"checked": count, "inputs": count, "equal": int(equal.sum()), "arithmetic": arithmetic, "reason": None}

    # ---------------------------------------------------------- output
    def describe(self) -> str:
        """Stages with layer counts, heads, widths, constants and the arithmetic used."""
        counts = self.stage_counts()
        lc = self.counts
        lines = [
            f"sparse Transformer (Yun et al. 2020; reconstruction): n = {self.n}, d = {self.d}, "
            f"d_out = {self.d_out}, delta = {self.delta}, p = {self.p}, s = {self.s}, gamma = {list(self.gamma)}",
            f"rho = {self.rho}, t = {self.t}"
            + ("" if self.eps is None else f", eps = {self.eps}")
            + f"; heads = {self.heads} of size {self.head_size}, "
            f"FF width {self.ff_width}; c_B = {self.c_B}, largest code = {self.max_code} "
            f"(~2^{round(math.log2(float(self.max_code)), 1)})",
            "| stage | layers | formula |",
            "|---|---|---|",
        ]
        formulas = {
            "clip": "d (extra)",
            "quantisation": f"d n / delta = {lc.quantisation}",
            "phase-a": f"p (n-1) delta^-d = {lc.phase_a}",
            "phase-b": f"s = {lc.phase_b}",
            "value": f"n delta^-(n d) = {lc.value}",
        }
        lines += [f"| {stage} | {counts[stage]} | {formulas.get(stage, 'affine')} |" for stage in STAGES]
        lines.append(
            f"layers {len(self.layers)}, parameters {self.parameter_count():,}; auto arithmetic: {self.arithmetic}"
        )
        lines.append(error_bound_line(self.error_bound, "target", self._error_bound_why()))
        return "\n".join(lines)

    def to_dict(self, weights: bool = False) -> dict:
        """JSON-able summary; with ``weights`` every layer's exact weights as strings of rationals."""
        data = {
            "n": self.n,
            "d": self.d,
            "d_out": self.d_out,
            "delta": str(self.delta),
            "rho": self.rho,
            "t": str(self.t),
            "eps": None if self.eps is None else str(self.eps),
            "p": self.p,
            "s": self.s,
            "gamma": list(self.gamma),
            "heads": self.heads,
            "head_size": self.head_size,
            "ff_width": self.ff_width,
            "c_B": self.c_B,
            "max_code": str(self.max_code),
            "stage_counts": self.stage_counts(),
            "formula_counts": self.counts.to_dict(),
            "parameters": self.parameter_count(),
            "arithmetic": self.arithmetic,
            "masks": [m.astype(int).tolist() for m in self.masks],
        }
        if weights:
            data["layers"] = [_layer_json(layer, self.labels) for layer in self.layers]
        return data

    def to_torch(self):
        """A float64 ``torch.nn.Module`` computing the same network with boolean attention masks."""
        try:
            import torch  # noqa: F401  (the module below needs it)
        except ImportError:
            raise PolyapproxError(f"the torch module needs PyTorch: {TORCH_INSTALL}") from None
        from ._universal_torch import UniversalSparseTransformer

        return UniversalSparseTransformer(self)


def _layer_json(layer: Layer, labels) -> dict:
    entry: dict[str, Any] = {"name": layer.name, "stage": layer.stage, "kind": layer.kind, "formula": layer.formula}
    if layer.pattern is not None:
        entry["pattern"] = layer.pattern
    if isinstance(layer.activation, PiecewiseLinear):
        a = layer.activation
        entry["activation"] = {
            "name": a.name,
            **{k: str(getattr(a, k)) for k in ("c1", "c2", "b1", "a2", "b2", "a3", "b3")},
        }
    elif layer.activation is not None:
        entry["activation"] = layer.activation
    entry["weights"] = {
        key: {
            "rows": [list(map(str, r)) for r in rows],
            "cols": [list(map(str, c)) for c in cols],
            "values": [[str(v) for v in row] for row in values],
        }
        for key, (rows, cols, values) in layer.exact_weights(labels).items()
    }
    return entry


def _has_fraction(X: object) -> bool:
    if isinstance(X, Fraction):
        return True
    if isinstance(X, (list, tuple)):
        return any(_has_fraction(x) for x in X)
    return False


def _positive(name: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str, np.integer, np.floating)):
        raise DomainError(f"{name} must be a positive number; got {value!r}")
    try:
        x = (
            Fraction(value)  # pyright: ignore[reportArgumentType, reportCallIssue]  # np.integer is a numbers.Integral at runtime, not in numpy's stubs
            if not isinstance(value, (float, np.floating))
            else Fraction(float(value))
        )
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        raise DomainError(f"{name} must be a positive finite number; got {value!r}") from None
    if x <= 0:
        raise DomainError(f"{name} must be > 0; got {value!r}")
    return x


def read_delta(delta: object) -> Fraction:
    """delta = 1/q. An int is read as q (q >= 2); otherwise a Fraction, "1/q" or a float equal to 1/q.

    >>> read_delta(3), read_delta("1/2"), read_delta(Fraction(1, 4))
    (Fraction(1, 3), Fraction(1, 2), Fraction(1, 4))
    """
    if isinstance(delta, (int, np.integer)) and not isinstance(delta, bool):
        if delta < 2:
            raise DomainError(f"an integer delta is read as q (delta = 1/q) and must be >= 2; got {delta}")
        return Fraction(1, int(delta))
    return as_delta(delta)


def universal_network(
    f: Callable,
    n: int,
    d: int,
    delta: object,
    patterns: object,
    *,
    rho: str = "hardmax",
    t: object = None,
    eps: object = None,
    path: object = None,
    max_value_layers: int = MAX_VALUE_LAYERS,
) -> UniversalNetwork:
    """Build the sparse Transformer of the universality theorem of Yun et al. 2020 for f.

    Quantisation, contextual mapping and value mapping, each with exact weights (Steps 1-3).

    Shapes: f maps X (b, n, d) to (b, n, d_out) (or (b, n)); the network maps (n, d) or
    (b, n, d) to (n, d_out) or (b, n, d_out).

    Parameters
    ----------
    f : callable
        The target, float arrays in and out, e.g. a registered target.
    n : int
        Sequence length, n >= 2.
    d : int
        Token dimension d.
    delta : Fraction, str, float or int
        Grid width 1/q; an int is read as q (q >= 2).
    patterns : list of array_like
        A cycle of boolean (n, n) masks ``mask[query, key]`` satisfying Assumption 1.
    rho : str, default 'hardmax'
        ``"hardmax"`` (Step 2), ``"softmax"`` or ``"sparsemax"`` (Step 3).
    t : Fraction, float or None, default None
        Query scale (> 0); required for softmax and sparsemax, default 1 for hardmax.
    eps : Fraction, float or None, default None
        Width (0 < eps < delta/2) of the four-ReLU replacements of the piecewise-linear
        activations; None keeps the piecewise-linear ones (FF width 1).
    path : sequence of int or None, default None
        A Hamiltonian path gamma (0-based) to use instead of the one the checker finds.
    max_value_layers : int, default 20000
        Budget for the n delta^-(n d) value-mapping layers.

    Returns
    -------
    UniversalNetwork
        With ``rho='hardmax'`` and ``eps=None``, ``net.exact(X) == net.f_bar(X, exact=True)``
        for every X in [0,1]^(n x d) (every grid input, every point inside a cube).

    Raises
    ------
    DomainError
        For patterns failing Assumption 1 (naming the failed condition and its witness), delta
        not 1/q, t or eps not positive, non-finite values of f.
    SizeError
        Before building, when the value mapping exceeds the budget.

    Notes
    -----
    Reconstruction of the proof of Yun et al. 2020 (universality theorem: Step 1 piecewise-constant f-bar,
    Step 2 (a)-(g) exact modified network, Step 3 softmax and four-ReLU activations); constants
    may differ from the paper's. Collision caveat of the value mapping: a row rewritten to
    a_{L,k} has code a.u, which must stay outside every later window [q - delta/2, q + delta/2);
    c_B is enlarged until every final code exceeds max |a.u| + delta (final codes are at least
    c_B^s (n-1) U), and the build checks it exactly. n = 1 is refused: the single token's code
    can be 0 for every c_B, so the caveat cannot be met.

    Arithmetic: codes reach about c_B^s M_0, beyond float64 resolution for all but the
    smallest cases; and the four-ReLU activations cancel terms of size code/eps. ``net(X)``
    uses float64 when the estimated rounding error is below delta/64, otherwise exact
    rationals (hardmax, sparsemax) or mpmath with enough bits (softmax: exp is irrational).
    Cells are decided exactly on every path, faces included: float64, mpmath and the torch
    module evaluate the input, clip, position and quantisation stages (each acts on one
    coordinate) as their exact piecewise-linear composition, choosing the piece by exact
    comparisons of the input float with the breakpoints; run layer by layer in float64 they
    put a token of exactly 0 one cell low when delta is not a power of 1/2.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions.sparse import patterns
    >>> f = lambda X: X.sum(axis=1, keepdims=True) * np.ones_like(X)
    >>> net = universal_network(f, 2, 1, "1/2", patterns.dense(2))
    >>> net.heads, net.head_size, net.ff_width, net.stage_counts()["value"]
    (2, 1, 1, 8)
    >>> X = np.array([[0.1], [0.7]])
    >>> net.exact(X)[:, 0].tolist() == [Fraction(1), Fraction(1)]     # f at centres (.25, .75)
    True
    """
    n, d, delta, masks = _checked_grid(n, d, delta, patterns)
    rho, t, eps = _checked_activations(rho, t, eps, delta)
    budget = check_int("max_value_layers", max_value_layers)
    check_size("value-mapping layers n delta^-(n d)", n * delta.denominator ** (n * d), budget)
    check_size("grid inputs delta^-(n d)", delta.denominator ** (n * d), MAX_INPUTS)
    report = check_assumption(masks, path=path)
    if not report.holds:
        raise DomainError(
            f"the patterns fail Assumption 1, condition {report.failed_condition!r}, witness "
            f"{report.witness}: {report.summary()}"
        )
    assert report.s is not None  # a report that holds always carries s
    values, d_out = _centre_values(f, n, d, delta)
    cm, A = _collision_safe_mapping(masks, n, d, delta, path, report.s, values, d_out)
    values = {L: values[L] for L in cm.inputs}
    layers = _build_layers(n, d, d_out, max(d, d_out), delta, t, eps, cm, values)
    return UniversalNetwork(
        f=f,
        n=n,
        d=d,
        d_out=d_out,
        delta=delta,
        rho=rho,
        t=t,
        eps=eps,
        masks=masks,
        contextual=cm,
        layers=tuple(layers),
        values=values,
        max_abs_value_code=A,
    )


def _checked_grid(n: int, d: int, delta: object, patterns: object) -> tuple[int, int, Fraction, Any]:
    """(n, d, delta, masks), checked: n >= 2, delta = 1/q, masks for n tokens."""
    n, d = check_int("n", n, minimum=2), check_int("d", d)
    delta = read_delta(delta)
    masks = as_masks(patterns)
    if masks[0].shape[0] != n:
        raise ShapeError(f"patterns are for n = {masks[0].shape[0]} tokens; got n = {n}")
    return n, d, delta, masks


def _checked_activations(rho: str, t: object, eps: object, delta: Fraction) -> tuple[str, Fraction, Fraction | None]:
    """(rho, t, eps), checked: softmax and sparsemax need t > 0 (default 1); 0 < eps < delta/2 when given."""
    rho = check_choice("rho", rho, RHOS)
    if rho != "hardmax" and t is None:
        raise DomainError(f"rho = {rho!r} needs a query scale t > 0")
    t = Fraction(1) if t is None else _positive("t", t)
    if eps is None:
        return rho, t, None
    eps = _positive("eps", eps)
    if eps >= delta / 2:
        raise DomainError(f"eps must be < delta/2 = {delta / 2} (the four-ReLU bands must not meet); got {eps}")
    return rho, t, eps


def _centre_values(f: Callable, n: int, d: int, delta: Fraction) -> tuple[dict, int]:
    """Step 1: f at the cube centres of every grid input, as exact Fractions keyed by the grid input; and d_out."""
    q = delta.denominator
    levels = np.arange(q)
    grid = np.stack(np.meshgrid(*([levels] * (n * d)), indexing="ij"), axis=-1).reshape(-1, n, d)
    fc = target_values(f, (grid + 0.5) / q, "grid cube centres")
    values = {
        tuple(tuple(Fraction(int(v), q) for v in row) for row in g): [[Fraction(x) for x in row] for row in a]
        for g, a in zip(grid, fc.tolist())
    }
    return values, fc.shape[2]


def _collision_safe_mapping(
    masks, n: int, d: int, delta: Fraction, path: object, s: int, values: dict, d_out: int
) -> tuple[ContextualMapping, Fraction]:
    """The contextual mapping with c_B large enough for the collision caveat, and max |a.u| over the values.

    Every final code is at least c_B^s (n-1) U, so doubling c_B until that exceeds max |a.u| + delta
    keeps every rewritten row's code outside every later value window (checked exactly).
    """
    q = delta.denominator
    u_full = [Fraction(q) ** c for c in range(d)]
    A = max(sum((abs(row[c]) * u_full[c] for c in range(min(d, d_out))), _ZERO) for a in values.values() for row in a)
    U = sum(u_full, _ZERO)
    c_B_min = 1
    while Fraction(c_B_min) ** s * (n - 1) * U <= A + delta:
        c_B_min *= 2
    cm = ContextualMapping(masks, n, d, delta, path, c_B_min=c_B_min)
    lowest = min(min(c) for c in cm.final_codes.values())
    if not lowest - delta / 2 > A:  # pragma: no cover - guaranteed by the choice of c_B
        raise PolyapproxError(f"collision caveat violated: lowest final code {lowest} <= max |a.u| + delta/2")
    return cm, A


def _build_layers(n, d, d_out, D, delta, t, eps, cm: ContextualMapping, values) -> list[Layer]:
    """Every layer in order: input, clip, position, quantisation, contextual mapping, value mapping, readout."""
    u = tuple(cm.u) + (_ZERO,) * (D - d)
    e = [_vec(D, {c: Fraction(1)}) for c in range(D)]
    return [
        *_input_layers(d, D, delta, e, cm),
        *_quantisation_layers(n, d, delta, eps, e),
        *_contextual_layers(cm, t, u, e, D),
        *_value_layers(n, d, d_out, D, eps, cm, values, u),
        Layer(
            "readout",
            "readout",
            "affine",
            "Y = Z W_out: z_c -> out_c",
            W=tuple(tuple(Fraction(int(r == c)) for c in range(d_out)) for r in range(D)),
        ),
    ]


def _input_layers(d: int, D: int, delta: Fraction, e: list, cm: ContextualMapping) -> list[Layer]:
    """Embed x into width D, clip each coordinate below 1 - delta/2, add the positional embedding E."""
    layers = [Layer("input", "input", "affine", "Z = X W_in: x_c -> z_c", W=tuple(e[c] for c in range(d)))]
    for c in range(d):  # clip: z_c - ReLU(z_c - 1 + delta/2), so x = 1 falls in the last cube
        layers.append(
            Layer(
                f"clip.{c + 1}",
                "clip",
                "feed-forward",
                f"z_{c + 1} <- z_{c + 1} - ReLU(z_{c + 1} - (1 - delta/2))",
                W1=tuple((w,) for w in e[c]),
                b1=(-(1 - delta / 2),),
                activation=RELU,
                W2=(tuple(-w for w in e[c]),),
                b2=(_ZERO,) * D,
            )
        )
    E = tuple(tuple(row) + (_ZERO,) * (D - d) for row in cm.E)
    layers.append(
        Layer("position", "position", "affine", "Z <- Z + E (E_gamma(1) = n-1, E_gamma(i) = i-2)", W=tuple(e), B=E)
    )
    return layers


def _quantisation_layers(n: int, d: int, delta: Fraction, eps: Fraction | None, e: list) -> list[Layer]:
    """One feed-forward layer per coordinate and level k: z_c <- z_c + phi_Q(z_c - k delta) (Step 2 (b))."""
    phi_Q = PiecewiseLinear.quantiser(delta)
    return [
        _ff(
            f"quantisation.{c + 1}.{k}",
            "quantisation",
            f"z_{c + 1} <- z_{c + 1} + phi_Q(z_{c + 1} - {k * delta})",
            e[c],
            -k * delta,
            phi_Q,
            e[c],
            eps,
        )
        for c in range(d)
        for k in range(n * delta.denominator)
    ]


def _contextual_layers(cm: ContextualMapping, t: Fraction, u: tuple, e: list, D: int) -> list[Layer]:
    """The contextual mapping's shift blocks as sparse attention layers with two heads (queries scaled by t)."""
    zero = SparseHead.zero(D)

    def head(bias: Fraction, scale: Fraction) -> SparseHead:
        return SparseHead(tuple(t * w for w in u), t * bias, u, u, tuple(scale * w for w in e[0]))

    layers = []
    for i, block in enumerate(cm.layers):
        stage = "phase-a" if i < cm.phase_a else "phase-b"
        index = i if stage == "phase-a" else i - cm.phase_a
        heads = tuple(head(h.bias, h.scale) for h in block.heads)
        heads = heads + (zero,) * (2 - len(heads))
        if block.kind == "shift":
            formula = f"selective shift b = {block.b}, c = {block.c}: code b gains c (max - min) over A_k"
        elif block.kind == "all-max":
            formula = f"all-max shift: z_k += {block.c} max over A_k of codes"
        else:
            formula = "identity (pattern not on the path step)"
        layers.append(Layer(f"{stage}.{index}", stage, "attention", formula, pattern=block.pattern, heads=heads))
    return layers


def _value_layers(
    n: int, d: int, d_out: int, D: int, eps: Fraction | None, cm: ContextualMapping, values: dict, u: tuple
) -> list[Layer]:
    """One feed-forward layer per (grid input, token): the row with that final code is rewritten to f-bar's value."""
    phi_V = PiecewiseLinear.indicator(cm.delta)
    layers, index = [], 0
    for L in cm.inputs:
        rows, codes, a = cm.final_rows[L], cm.final_codes[L], values[L]
        for k in range(n):
            target = tuple(a[k]) + (_ZERO,) * (D - d_out)
            z = tuple(rows[k]) + (_ZERO,) * (D - d)
            write = tuple(x - y for x, y in zip(target, z))
            layers.append(
                _ff(
                    f"value.{index}",
                    "value",
                    f"token {k} of grid input {index // n}: code {codes[k]}",
                    u,
                    -codes[k],
                    phi_V,
                    write,
                    eps,
                )
            )
            index += 1
    return layers


@dataclass(frozen=True)
class ErrorTableConfig:
    """What :func:`error_table` sweeps and how it measures: the three sweeps and the Monte Carlo d_p (checked).

    Parameters
    ----------
    deltas : sequence, default ('1/2', '1/3')
        Grid widths of the delta sweep; the first is used by the two other sweeps.
    ts : sequence of float, default (10, 30, 100, 300, 1000)
        Query scales of the t sweep; the largest is used by the two other sweeps.
    epss : sequence of float, default (0.05, 0.01, 0.001)
        ReLU band widths of the eps sweep.
    p : float, default 2
        The p of the L^p distance d_p, in [1, inf).
    samples : int, default 2000
        Monte Carlo points per row.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Examples
    --------
    >>> ErrorTableConfig(ts=(1, 100)).deltas
    ('1/2', '1/3')
    >>> ErrorTableConfig(epss=())
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.DomainError: deltas, ts and epss must each contain at least one value
    """

    deltas: tuple = ("1/2", "1/3")
    ts: tuple = (10, 30, 100, 300, 1000)
    epss: tuple = (0.05, 0.01, 0.001)
    p: float = 2
    samples: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("deltas", "ts", "epss"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.deltas or not self.ts or not self.epss:
            raise DomainError("deltas, ts and epss must each contain at least one value")
        for delta in self.deltas:
            read_delta(delta)
        for name in ("ts", "epss"):
            for value in getattr(self, name):
                if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) or not 0 < value < math.inf:
                    raise DomainError(f"{name} must hold finite numbers > 0; got {value!r:.40}")
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 1 <= self.p < math.inf:
            raise DomainError(f"p must be a number in [1, inf); got {self.p!r:.40}")
        check_int("samples", self.samples)
        check_seed(self.seed)


def error_table(
    f: Callable,
    n: int,
    d: int,
    patterns: object,
    *,
    config: ErrorTableConfig | None = None,
    rho: str = "softmax",
    max_value_layers: int = MAX_VALUE_LAYERS,
) -> list[dict]:
    """Measure d_p(f, g) of the real network (Step 3) against t, eps and delta, next to the Step-1 bound.

    Three sweeps: t alone with piecewise-linear activations isolates the attention error; eps
    alone (largest t) isolates the activation bands; delta with t scaled by
    (deltas[0]/delta)^2, since the Phase-A score margin is delta^2/2, shows the grid error
    (piecewise-linear activations, as a fixed eps would hide the decrease: smaller delta means
    larger codes). The Step-1 bound on d_p(f, f_bar) is (n d_out)^(1/p) omega_f(delta/2).

    Shapes: f maps X (b, n, d) to (b, n, d_out).

    Parameters
    ----------
    f : callable
        The target.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    patterns : list of array_like
        A cycle of masks satisfying Assumption 1.
    config : ErrorTableConfig or None, default None
        The sweeps (deltas, ts, epss) and the Monte Carlo measure (p, samples, seed); None:
        ``ErrorTableConfig()``.
    rho : str, default 'softmax'
        ``"softmax"`` or ``"sparsemax"``.
    max_value_layers : int, default 20000
        Budget of value-mapping layers per network.

    Returns
    -------
    list of dict
        One row per sweep point: sweep, delta, t, eps, d_p(f,g), d_p(f,f_bar), d_p(f_bar,g),
        mismatch (share of samples where g differs from f-bar), omega = omega_f(delta/2),
        bound_f_fbar, the arithmetic used, layers and parameters.

    Notes
    -----
    A reconstruction (Yun et al. 2020, universality theorem, Steps 1-3); Monte Carlo with ``samples``
    seeded points, so a band of small measure may contain no sample.

    Examples
    --------
    >>> from constructions.sparse import patterns
    >>> f = lambda X: X - X.mean(axis=1, keepdims=True)
    >>> sweeps = ErrorTableConfig(deltas=("1/2",), ts=(1, 100), epss=(0.01,), samples=200)
    >>> rows = error_table(f, 2, 1, patterns.dense(2), config=sweeps)
    >>> [r["sweep"] for r in rows], rows[0]["d_p(f,g)"] > rows[1]["d_p(f,g)"]
    (['t', 't', 'eps', 'delta'], True)
    """
    config = ErrorTableConfig() if config is None else config
    if not isinstance(config, ErrorTableConfig):
        raise PolyapproxError(f"config must be an ErrorTableConfig; got {type(config).__name__}")
    n, d = check_int("n", n, minimum=2), check_int("d", d)
    check_distance_args(n, d, p=config.p, samples=config.samples, seed=config.seed)  # before any network is built
    deltas, ts, epss = [read_delta(x) for x in config.deltas], config.ts, config.epss
    t_max = max(ts, key=float)
    plan = [("t", deltas[0], t, None) for t in ts]
    plan += [("eps", deltas[0], t_max, e) for e in epss]
    plan += [("delta", dl, Fraction(t_max) * (deltas[0] / dl) ** 2, None) for dl in deltas]
    rows = []
    for sweep, dl, t, e in plan:
        net = universal_network(f, n, d, dl, patterns, rho=rho, t=t, eps=e, max_value_layers=max_value_layers)
        r = net.distance(p=config.p, samples=config.samples, seed=config.seed)
        rows.append(
            {
                "sweep": sweep,
                "delta": str(dl),
                "t": float(t),
                "eps": None if e is None else float(e),
                **{k: r[k] for k in ("d_p(f,g)", "d_p(f,f_bar)", "d_p(f_bar,g)", "mismatch", "omega", "bound_f_fbar")},
                "arithmetic": net.arithmetic,
                "layers": len(net.layers),
                "parameters": net.parameter_count(),
            }
        )
    return rows
