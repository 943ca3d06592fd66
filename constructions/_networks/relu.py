"""Implementation of :mod:`constructions.relu` (private; import from there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from polyapprox.internal import DomainError, PolyapproxError, ShapeError, SizeError, check_int

from .._common.monomial_plan import downward_closure, parent

Exponent = tuple[int, ...]


#: Largest Yarotsky depth m: the error 2^{-2m-2} is far below float64 resolution long before it.
MAX_M = 64
#: Largest monomial degree the chained-product networks build (one product stage per degree).
MAX_MONOMIAL_DEGREE = 1000


def _check_m(m: object) -> int:
    m = check_int("m", m)
    if m > MAX_M:
        raise SizeError(f"m = {m:,} is more than the limit of {MAX_M} (the error 2^(-2m-2) is already below 1e-38)")
    return m


def square_error(m: int) -> float:
    """The error e_m = 2^{-2m-2} = sup_{x in [0,1]} |S_m(x) - x^2| of :func:`square` (theory/attention).

    Parameters
    ----------
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).

    Returns
    -------
    float
        e_m.

    Examples
    --------
    >>> square_error(1)
    0.0625
    """
    return 2.0 ** (-2 * _check_m(m) - 2)


@dataclass(frozen=True)
class ReluNetwork:
    """Affine layers (W_k, b_k) with ReLU on all but the last; ``error_bound`` per output.

    ``neurons`` counts every hidden unit.

    Shapes: x (..., input_dim) -> (..., output_dim).

    Parameters
    ----------
    layers : tuple of (numpy.ndarray, numpy.ndarray)
        The affine layers (W_k, b_k), W_k of shape (in, out).
    error_bound : numpy.ndarray
        Proven bound on the error of each output, (output_dim,).
    hat_relus : int
        ReLUs counted as theory/attention does (3 per hat, 2 per clip; carried non-negative
        values excluded).
    description : str, default ''
        A one-line description shown by ``repr``.
    domain : tuple of float or None, default None
        Box of every input where the bound holds, or None.

    Examples
    --------
    >>> import numpy as np
    >>> net = ReluNetwork(((np.array([[1.0, -1.0]]), np.zeros(2)), (np.array([[1.0], [1.0]]), np.zeros(1))),
    ...                   error_bound=np.zeros(1), hat_relus=0)            # |x| = ReLU(x) + ReLU(-x)
    >>> net(np.array([[-0.5], [2.0]]))[:, 0]
    array([0.5, 2. ])
    """

    layers: tuple[tuple[np.ndarray, np.ndarray], ...] = field(repr=False)
    error_bound: np.ndarray = field(repr=False)
    hat_relus: int
    description: str = ""
    #: inputs the error bound holds on (a closed box per coordinate); None: no check (e.g. integer codes)
    domain: tuple[float, float] | None = None

    @property
    def input_dim(self) -> int:
        return self.layers[0][0].shape[0]

    @property
    def output_dim(self) -> int:
        return self.layers[-1][0].shape[1]

    @property
    def depth(self) -> int:
        """Number of hidden (ReLU) layers."""
        return len(self.layers) - 1

    @property
    def neurons(self) -> int:
        return sum(W.shape[1] for W, _ in self.layers[:-1])

    @property
    def parameters(self) -> int:
        return sum(W.size + b.size for W, b in self.layers)

    def __call__(self, x: np.ndarray, *, extrapolate: bool = False) -> np.ndarray:
        """x: (..., input_dim) in ``domain`` -> (..., output_dim).

        Shapes: (..., input_dim) -> (..., output_dim). Inputs outside ``domain`` (where the error
        bound does not hold) raise ``DomainError`` unless ``extrapolate=True``.
        """
        h = np.asarray(x, dtype=float)
        if h.shape[-1:] != (self.input_dim,):
            raise ShapeError(f"ReLU network expects inputs (..., {self.input_dim}); got {h.shape}")
        if not np.all(np.isfinite(h)):
            raise DomainError("ReLU network input contains NaN or inf")
        if self.domain is not None and not extrapolate:
            lo, hi = self.domain
            if h.size and (h.min() < lo or h.max() > hi):
                raise DomainError(
                    f"ReLU network input lies outside [{lo}, {hi}] (min {h.min():g}, max "
                    f"{h.max():g}), where its error bound holds; pass extrapolate=True to evaluate"
                )
        for W, b in self.layers[:-1]:
            h = np.maximum(h @ W + b, 0.0)
        W, b = self.layers[-1]
        return h @ W + b


class _Builder:
    """Builds layer-synchronous ReLU networks. A value is an affine form (vector over the current
    units, constant); every layer maps the forms it needs to new units."""

    def __init__(self, inputs: int) -> None:
        self.width = inputs
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []
        self.hat_relus = 0

    def unit(self, j: int) -> tuple[np.ndarray, float]:
        v = np.zeros(self.width)
        v[j] = 1.0
        return v, 0.0

    def layer(self, forms: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, float]]:
        """One hidden layer with pre-activations ``forms``; returns the unit forms of its outputs."""
        W = np.stack([f[0] for f in forms], axis=1) if forms else np.zeros((self.width, 0))
        b = np.array([f[1] for f in forms])
        self.layers.append((W, b))
        self.width = len(forms)
        return [self.unit(j) for j in range(self.width)]

    def finish(self, forms: list[tuple[np.ndarray, float]], error_bound, description: str) -> ReluNetwork:
        W = np.stack([f[0] for f in forms], axis=1)
        b = np.array([f[1] for f in forms])
        return ReluNetwork(
            tuple(self.layers) + ((W, b),), np.asarray(error_bound, dtype=float), self.hat_relus, description
        )


def _lin(*terms: tuple[float, tuple[np.ndarray, float]], const: float = 0.0) -> tuple[np.ndarray, float]:
    vec = np.asarray(sum(c * f[0] for c, f in terms))  # the same array; an int 0 only for no terms
    return vec, const + sum(c * f[1] for c, f in terms)


def _squares(builder: _Builder, jobs: list, carried: list, m: int) -> tuple[list, list]:
    """m layers computing S_m(t) for every form t in ``jobs`` (values in [0, 1]) while carrying the
    non-negative forms ``carried`` unchanged (one ReLU each). Returns (S_m forms, carried forms)."""
    t_forms, acc_forms = list(jobs), list(jobs)
    for s in range(1, m + 1):
        pre = []
        for t, acc in zip(t_forms, acc_forms):
            pre += [t, _lin((1, t), const=-0.5), _lin((1, t), const=-1.0), acc]
        pre += carried
        units = builder.layer(pre)
        builder.hat_relus += 3 * len(jobs)
        new_t, new_acc = [], []
        for j in range(len(jobs)):
            u1, u2, u3, u4 = units[4 * j : 4 * j + 4]
            g = _lin((2, u1), (-4, u2), (2, u3))
            new_t.append(g)
            new_acc.append(_lin((1, u4), (-1 / 4**s, g)))
        t_forms, acc_forms = new_t, new_acc
        carried = units[4 * len(jobs) :]
    return acc_forms, carried


def _products(builder: _Builder, pairs: list, carried: list, m: int) -> tuple[list, list]:
    """clip(Pi_m(a, b)) for every pair of forms (values in [0, 1]): m + 1 layers."""
    jobs = []
    for a, b in pairs:
        jobs += [_lin((0.5, a), (0.5, b)), a, b]
    squares, carried = _squares(builder, jobs, carried, m) if m else (jobs, carried)
    raw = [_lin((2, squares[3 * j]), (-0.5, squares[3 * j + 1]), (-0.5, squares[3 * j + 2])) for j in range(len(pairs))]
    pre = []
    for t in raw:
        pre += [t, _lin((1, t), const=-1.0)]
    units = builder.layer(pre + carried)
    builder.hat_relus += 2 * len(pairs)
    clipped = [_lin((1, units[2 * j]), (-1, units[2 * j + 1])) for j in range(len(pairs))]
    return clipped, units[2 * len(pairs) :]


def _monomial_network(
    exponents: Sequence[Exponent],
    m: int,
    coefficients: np.ndarray | None,
    description: str,
    input_scale: Sequence[float] | None = None,
) -> ReluNetwork:
    """Network for the monomials ``exponents`` of [0,1]-valued inputs (or for sum_t C[t] x^{e_t}).

    Inputs are first clipped to [0, 1] after scaling by ``input_scale`` (one layer, 2 ReLUs each).
    Degree-k monomials are computed in stage k - 1 as (parent monomial) x (one coordinate).
    """
    exponents = [tuple(int(a) for a in e) for e in exponents]
    top = max(sum(e) for e in exponents)
    if top > MAX_MONOMIAL_DEGREE:
        raise SizeError(f"a monomial of degree {top:,} is more than the limit of {MAX_MONOMIAL_DEGREE:,}")
    v = len(exponents[0])
    scale = np.ones(v) if input_scale is None else np.asarray(input_scale, dtype=float)
    builder = _Builder(v)
    units = builder.layer(
        [
            f
            for j in range(v)
            for f in (_lin((scale[j], builder.unit(j))), _lin((scale[j], builder.unit(j)), const=-1.0))
        ]
    )
    values: dict[Exponent, tuple[np.ndarray, float]] = {}
    for j in range(v):
        e = tuple(1 if i == j else 0 for i in range(v))
        values[e] = _lin((1, units[2 * j]), (-1, units[2 * j + 1]))
    needed = downward_closure(exponents, min_degree=2)  # degree-1 monomials are the clipped inputs
    top = max((sum(e) for e in needed), default=1)
    for degree in range(2, top + 1):
        stage = sorted(e for e in needed if sum(e) == degree)
        keys = list(values)
        pairs = []
        for e in stage:
            up, c = parent(e)
            coordinate = tuple(1 if i == c else 0 for i in range(v))
            pairs.append((values[up], values[coordinate]))
        results, carried = _products(builder, pairs, [values[k] for k in keys], m)
        values = dict(zip(keys, carried)) | dict(zip(stage, results))
    zero = (np.zeros(builder.width), 0.0)
    forms = [(zero[0], 1.0) if sum(e) == 0 else values[e] for e in exponents]
    e_m = 2 * square_error(m) if m else 0.5
    monomial_bounds = np.array([max(sum(e) - 1, 0) * e_m for e in exponents])
    if coefficients is None:
        return builder.finish(forms, monomial_bounds, description)
    C = np.asarray(coefficients, dtype=float)
    outputs = [_lin(*[(C[t, o], forms[t]) for t in range(len(forms))]) for o in range(C.shape[1])]
    return builder.finish(outputs, np.abs(C).T @ monomial_bounds, description)


def square(m: int) -> ReluNetwork:
    """S_m(x), the Yarotsky approximation of x^2 on [0, 1]: error <= 2^{-2m-2}, attained.

    Parameters
    ----------
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).

    Returns
    -------
    ReluNetwork
        Maps x (..., 1) to S_m(x) (..., 1).

    Examples
    --------
    >>> net = square(2)
    >>> float(net(np.array([[0.375]]))[0, 0] - 0.375**2), float(net.error_bound[0])
    (0.015625, 0.015625)
    """
    m = _check_m(m)
    builder = _Builder(1)
    (result,), _ = _squares(builder, [builder.unit(0)], [], m)
    return replace(builder.finish([result], [square_error(m)], f"Yarotsky square S_{m}"), domain=(0.0, 1.0))


def product(m: int) -> ReluNetwork:
    """ReLU network for the product ab on [0,1]^2: clip(2S_m((a+b)/2) - S_m(a)/2 - S_m(b)/2).

    Error <= 2 e_m = 2^{-2m-1}.

    Parameters
    ----------
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).

    Returns
    -------
    ReluNetwork
        Maps (a, b) (..., 2) to about ab (..., 1).

    Examples
    --------
    >>> round(float(product(6)(np.array([0.3, 0.7]))[0]), 3)
    0.21
    """
    m = _check_m(m)
    builder = _Builder(2)
    (result,), _ = _products(builder, [(builder.unit(0), builder.unit(1))], [], m)
    return replace(builder.finish([result], [2 * square_error(m)], f"product Pi_{m} with clip"), domain=(0.0, 1.0))


def monomial(alpha: Sequence[int], m: int) -> ReluNetwork:
    """ReLU network for x^alpha on [0,1]^d by chained products: error <= (|alpha| - 1) 2^{-2m-1}.

    Exact for |alpha| = 1.

    Parameters
    ----------
    alpha : sequence of int
        The exponent.
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).

    Returns
    -------
    ReluNetwork
        Maps x (..., d) to x^alpha (..., 1).

    Examples
    --------
    >>> net = monomial((2, 1), 8)
    >>> abs(float(net(np.array([0.5, 0.5]))[0]) - 0.125) <= float(net.error_bound[0])
    True
    """
    alpha = tuple(check_int("alpha entry", a, minimum=0) for a in alpha)
    if not alpha or sum(alpha) < 1:
        raise PolyapproxError(f"alpha must be a non-empty multi-index of degree >= 1; got {alpha}")
    return replace(_monomial_network([alpha], _check_m(m), None, f"monomial x^{alpha}, m={m}"), domain=(0.0, 1.0))


def monomials(exponents: Sequence[Exponent], m: int) -> ReluNetwork:
    """One ReLU network for all monomials x^e (e in ``exponents``, degree >= 1) of x in [0,1]^v.

    Lower-degree products are shared: the feature map phi~ of theory/attention
    (eta_1 <= (K-1) 2^{-2m-1}).

    Parameters
    ----------
    exponents : sequence of tuple of int
        The exponents e, each of length v.
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).

    Returns
    -------
    ReluNetwork
        Maps x (..., v) to (x^e)_e (..., len(exponents)).

    Examples
    --------
    >>> import numpy as np
    >>> net = monomials([(1, 0), (0, 1), (2, 0), (1, 1)], 4)
    >>> net(np.array([0.5, 0.25])), float(net.error_bound.max())
    (array([0.5  , 0.25 , 0.25 , 0.125]), 0.001953125)
    """
    exponents = list(exponents)
    if not exponents or any(sum(e) < 1 for e in exponents):
        raise PolyapproxError("monomials needs multi-indices of degree >= 1")
    return replace(
        _monomial_network(exponents, _check_m(m), None, f"{len(exponents)} monomials, m={m}"), domain=(0.0, 1.0)
    )


def polynomial(
    exponents: Sequence[Exponent], coefficients: np.ndarray, m: int, input_scale: Sequence[float] | None = None
) -> ReluNetwork:
    """ReLU network for the polynomial sum_t C[t, o] z^{e_t}, z = clip(input_scale * x) in [0,1]^v.

    One output per column of C.

    Error bound per output: sum_t |C[t, o]| (|e_t| - 1)_+ 2^{-2m-1} (theory/attention, eta_2).

    Shapes: x (..., v) -> (..., C.shape[1]).

    Parameters
    ----------
    exponents : sequence of tuple of int
        The exponents e_t, each of length v.
    coefficients : numpy.ndarray
        C, shape (len(exponents), outputs).
    m : int
        Yarotsky depth parameter m (error shrinks like 4^-m).
    input_scale : sequence of float or None, default None
        Per-input factor applied before clipping to [0, 1]; default 1.

    Returns
    -------
    ReluNetwork
        One output per column of C, with its error bound.

    Examples
    --------
    >>> import numpy as np
    >>> net = polynomial([(1,), (2,)], np.array([[1.0], [1.0]]), 6)      # z + z^2
    >>> net(np.array([[0.5]])), bool(net.error_bound[0] <= 2.0**-13)
    (array([[0.75]]), True)
    """
    C = np.asarray(coefficients, dtype=float)
    if C.ndim != 2 or C.shape[0] != len(exponents):
        raise ShapeError(f"coefficients must have shape ({len(exponents)}, outputs); got {C.shape}")
    return _monomial_network(
        list(exponents), _check_m(m), C, f"polynomial of {len(exponents)} terms, m={m}", input_scale
    )
