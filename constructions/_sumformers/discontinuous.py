"""Implementation of :mod:`constructions.discontinuous` (private; import from there)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse

from polyapprox import latent_dimension
from polyapprox.internal import (
    DomainError,
    ModelFileError,
    PolyapproxError,
    ShapeError,
    SizeError,
    check_choice,
    check_int,
)

from .._common.exact_grid import exact_floor
from .._common.protocol import Encoded, lipschitz_of
from .._targets.resolve import to_spec
from .._targets.target import Target
from .sumformer import Sumformer
from .target_checks import check_equivariant

ENCODINGS = ("integer", "histogram")
REPRESENTATIVES = ("corner", "center")
#: Largest exact code (bits) that encode, decode and size_accounting compute (about 3 million digits).
MAX_CODE_BITS = 10_000_000


def _check_grid(k: int, d: int) -> tuple[int, int]:
    k, d = check_int("k", k), check_int("d", d)
    if d * math.log2(max(k, 1)) > 40:  # compared by logarithm: k**d itself may have millions of digits
        shown = f"{k**d:,}" if d * math.log10(max(k, 1)) < 30 else f"about 10^{d * math.log10(k):.0f}"
        raise SizeError(f"a grid with k^d = {shown} cells is too large (limit 2^40)")
    return k, d


def cell_coordinates(x: np.ndarray, k: int) -> np.ndarray:
    """Cell coordinates c(x) = min(floor(k x_c), k - 1) of tokens x in [0, 1]^d (theory/discontinuous, step 1).

    Shapes: x (..., d) -> (..., d), integers in 0..k-1. The floor is of each float's exact value:
    ``float(1/3)`` is just below 1/3, so it lies in cell 0 of the k = 3 grid, although the rounded
    product ``3 * float(1/3)`` is 1.0.

    Parameters
    ----------
    x : numpy.ndarray
        Tokens in [0, 1]^d.
    k : int
        Cells per axis: the grid has width 1/k.

    Returns
    -------
    numpy.ndarray
        The cell coordinates (int).

    Examples
    --------
    >>> cell_coordinates(np.array([[0.0, 0.5], [0.24, 1.0]]), 4)
    array([[0, 2],
           [0, 3]])
    >>> cell_coordinates(np.array([[1 / 3], [np.nextafter(1 / 3, 1)]]), 3)[:, 0]
    array([0, 1])
    """
    x = np.asarray(x, dtype=float)
    k = check_int("k", k)
    if not np.all(np.isfinite(x)):
        raise DomainError("tokens contain NaN or inf")
    if np.any((x < 0) | (x > 1)):
        raise DomainError(
            f"tokens must lie in [0, 1]^d for the grid construction; got values in [{x.min():g}, {x.max():g}]"
        )
    return np.minimum(exact_floor(x, k), k - 1)  # floor of each float's exact value, not of the rounded k x


def cell_index(x: np.ndarray, k: int) -> np.ndarray:
    """Cell index idx(x) = sum_c c_c(x) k^{d-c}, first coordinate most significant (theory/discontinuous, step 2).

    Shapes: x (..., d) -> (...), integers in 0..k^d-1.

    Parameters
    ----------
    x : numpy.ndarray
        Tokens in [0, 1]^d.
    k : int
        Cells per axis: the grid has width 1/k.

    Returns
    -------
    numpy.ndarray
        The cell indices (int).

    Examples
    --------
    >>> cell_index(np.array([[0.0, 0.5], [0.24, 1.0], [1.0, 1.0]]), 4)
    array([ 2,  3, 15])
    """
    cells = cell_coordinates(x, k)
    d = cells.shape[-1]
    _check_grid(k, d)
    weights = k ** np.arange(d - 1, -1, -1, dtype=np.int64)
    return cells @ weights


def representatives(indices: np.ndarray, k: int, d: int, representative: str = "corner") -> np.ndarray:
    """Token representatives of cell indices: lower corner c/k or centre (c + 1/2)/k (step 3).

    Shapes: indices (...) -> (..., d).

    Parameters
    ----------
    indices : numpy.ndarray
        Cell indices.
    k : int
        Cells per axis: the grid has width 1/k.
    d : int
        Token dimension d.
    representative : str, default 'corner'
        ``"corner"`` (lower corner c/k) or ``"center"`` ((c + 1/2)/k).

    Returns
    -------
    numpy.ndarray
        Representative tokens in [0, 1]^d.

    Examples
    --------
    >>> representatives(np.array([2, 15]), 4, 2, "center")
    array([[0.125, 0.625],
           [0.875, 0.875]])
    """
    check_choice("representative", representative, REPRESENTATIVES)
    k, d = _check_grid(k, d)
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise PolyapproxError(f"cell indices must be integers; got dtype {indices.dtype}")
    indices = indices.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= k**d):
        bad = int(indices[(indices < 0) | (indices >= k**d)].flat[0])
        raise DomainError(f"cell index {bad} is outside 0..k^d - 1 = 0..{k**d - 1}")
    digits = (indices[..., None] // k ** np.arange(d - 1, -1, -1, dtype=np.int64)) % k
    return (digits + (0.5 if representative == "center" else 0.0)) / k


def encode(indices, n: int) -> int:
    """The integer code sum_j (n+1)^{idx_j} of a multiset of n cell indices (step 4), exact.

    Parameters
    ----------
    indices : iterable of int
        n cell indices.
    n : int
        Number of tokens n.

    Returns
    -------
    int
        The code (an exact Python int).

    Examples
    --------
    >>> encode([2, 2, 0], n=3)
    33
    """
    base = check_int("n", n) + 1
    indices = [check_int("cell index", i, minimum=0) for i in indices]
    if len(indices) != n:
        raise ShapeError(f"a code encodes exactly n = {n} cells; got {len(indices)}")
    top = max(indices, default=0)
    bits = top * math.log2(base) if top < 2**40 else math.inf  # cell indices of a k^d grid are below 2^40
    if bits > MAX_CODE_BITS:
        raise SizeError(
            f"the code of cell index {top if top < 2**40 else '>= 2^40'} has about {bits:,.0f} bits, more than the limit of "
            f"{MAX_CODE_BITS:,} (cell indices of a k^d grid are below 2^40, but the code grows like (n+1)^index)"
        )
    return sum(base**i for i in indices)


def decode(code: int, n: int, k: int, d: int) -> dict[int, int]:
    """The histogram {cell index: count} of a code: its non-zero base-(n+1) digits (step 5 (i)).

    Parameters
    ----------
    code : int
        The code.
    n : int
        Number of tokens n.
    k : int
        Cells per axis: the grid has width 1/k.
    d : int
        Token dimension d.

    Returns
    -------
    dict of int to int
        Cell index -> count (counts sum to n).

    Raises
    ------
    PolyapproxError
        If ``code`` is not the code of n cells of the k^d grid.

    Examples
    --------
    >>> decode(33, n=3, k=2, d=2)
    {2: 2, 0: 1}
    """
    n = check_int("n", n)
    k, d = _check_grid(k, d)
    if isinstance(code, bool) or not isinstance(code, Integral):
        raise PolyapproxError(f"a code must be a Python int; got {type(code).__name__}")
    code, base, cells = int(code), n + 1, k**d
    if code.bit_length() > MAX_CODE_BITS or (cells - 1) * math.log2(base) > MAX_CODE_BITS:
        raise SizeError(f"codes of more than {MAX_CODE_BITS:,} bits are refused (this one has {code.bit_length():,})")
    if code < n or code > n * base ** (cells - 1):
        raise PolyapproxError(
            f"{_digit_count(max(code, 1))}-digit code is not a valid histogram of n = {n} tokens on {cells} cells"
            if code.bit_length() > 1000
            else f"{code} is not a valid histogram of n = {n} tokens on {cells} cells"
        )
    histogram: dict[int, int] = {}
    remaining, log_base = code, math.log2(base)
    while remaining:
        iota = min(int((remaining.bit_length() - 1) / log_base), cells - 1)
        while base**iota > remaining:
            iota -= 1
        while iota + 1 < cells and base ** (iota + 1) <= remaining:
            iota += 1
        count, remaining = divmod(remaining, base**iota)
        if count > n or iota in histogram:
            raise PolyapproxError(f"{code} is not a valid histogram of n = {n} tokens: digit {iota} is {count}")
        histogram[iota] = count
    if sum(histogram.values()) != n:
        raise PolyapproxError(
            f"{code} is not a valid histogram of n = {n} tokens: its digits sum to {sum(histogram.values())}"
        )
    return histogram


class DiscontinuousSumformer(Sumformer):
    """Piecewise-constant Sumformer S(X) = f(R(X)) on the grid of width 1/k (theory/discontinuous).

    ``latent(X)``: integer encoding -> object array (b, 1) of exact Python ints; histogram encoding ->
    a ``scipy.sparse.csr_matrix`` (b, k^d) of exact counts. ``psi`` sees only (x_i, code); it decodes
    each distinct code once and calls f once per distinct multiset (``f_calls`` counts the sequences
    f was evaluated on; results are memoised across calls).

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    f : callable
        The equivariant target, (b, n, d) -> (b, n, d_out).
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.
    d_out : int
        Output dimension per token.
    encoding : str
        ``"integer"`` or ``"histogram"``.
    representative : str
        ``"corner"`` or ``"center"``.

    Notes
    -----
    A reconstruction of the discontinuous proof of Alberti et al. 2023 (base-(n+1) encoding, verified exactly).

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import targets
    >>> S = DiscontinuousSumformer(targets.get("centered"), 2, 1, 4, 1, "integer", "corner")
    >>> S.latent_dim, S.latent(np.array([[0.1], [0.9]]))         # cells 0 and 3: 3^0 + 3^3
    (1, array([28], dtype=object))
    """

    n: int  # always given: the encoding base is n + 1
    kind = "discontinuous"

    def __init__(self, f: Callable, n: int, d: int, k: int, d_out: int, encoding: str, representative: str) -> None:
        self.f, self.k = f, k
        self.encoding, self.representative = encoding, representative
        self.f_calls, self.f_batches = 0, 0
        self._memo: dict[tuple[int, ...], np.ndarray] = {}
        self._decoded: dict[int, tuple[int, ...]] = {}
        self._powers: dict[int, int] = {}
        latent = 1 if encoding == "integer" else k**d
        super().__init__(
            self._phi,
            self._psi,
            latent,
            d,
            d_out,
            n=n,
            domain=(0.0, 1.0),
            latent_dtype=object if encoding == "integer" else float,
            description=f"piecewise constant, k={k}, {encoding} codes, {representative} representatives",
        )

    @property
    def error_bound(self) -> float | None:
        """omega_f(delta) (corners) or omega_f(delta/2) (centres) vs f, from f's Lipschitz constant; None without one."""
        L = lipschitz_of(self.f, self.n, self.d)
        return None if L is None else error_bound(L, self.k, self.representative)

    def _error_bound_why(self) -> str:
        return "the target has no known Lipschitz constant (the bound is omega_f of the grid width)"

    # phi and psi: the token-level maps of the construction
    def _phi(self, x: np.ndarray):
        idx = cell_index(x, self.k)
        if self.encoding == "histogram":
            return scipy.sparse.csr_matrix(
                (np.ones(len(idx)), (np.arange(len(idx)), idx)), shape=(len(idx), self.latent_dim)
            )
        base = self.n + 1
        for i in np.unique(idx).tolist():
            if i not in self._powers:
                self._powers[i] = base**i
        return np.array([[self._powers[i]] for i in idx.tolist()], dtype=object)

    def _multiset(self, code) -> tuple[int, ...]:
        if self.encoding == "histogram":
            counts = np.asarray(code).ravel()
            if (
                counts.shape != (self.latent_dim,)
                or np.any(counts < 0)
                or np.any(counts != np.round(counts))
                or counts.sum() != self.n
            ):
                raise PolyapproxError(f"not a valid histogram of n = {self.n} tokens on {self.latent_dim} cells")
            return tuple(np.repeat(np.arange(self.latent_dim), counts.astype(np.int64)).tolist())
        if code not in self._decoded:
            histogram = decode(code, self.n, self.k, self.d)
            self._decoded[code] = tuple(sorted(i for i, c in histogram.items() for _ in range(c)))
        return self._decoded[code]

    def _values(self, multisets: list[tuple[int, ...]]) -> None:
        """f at the representatives of every multiset not yet memoised, in one batch."""
        missing = sorted({m for m in multisets if m not in self._memo})
        if not missing:
            return
        R = representatives(np.array(missing), self.k, self.d, self.representative)
        Y = np.asarray(self.f(R), dtype=float)
        if Y.shape != (len(missing), self.n, self.d_out):
            raise ShapeError(f"f must map (b, {self.n}, {self.d}) to (b, {self.n}, {self.d_out}); got {Y.shape}")
        if not np.all(np.isfinite(Y)):
            raise DomainError("f returned NaN or inf at a grid representative")
        self.f_calls += len(missing)
        self.f_batches += 1
        for m, y in zip(missing, Y):
            self._memo[m] = y

    def _psi(self, x: np.ndarray, codes) -> np.ndarray:
        """psi(x_i, s): f(Y)_1 with Y = the decoded multiset, query token first (step 5).

        By equivariance f(Y)_1 = f(R_sorted)_j for any position j of the query's cell in the sorted
        multiset, so one f evaluation per multiset serves all its tokens."""
        query = cell_index(x, self.k)
        if scipy.sparse.issparse(codes):
            rows = [codes.getrow(i).toarray() for i in range(codes.shape[0])]
        else:
            rows = list(codes[:, 0])
        multisets = [self._multiset(code) for code in rows]
        for q, m in zip(query.tolist(), multisets):
            if q not in m:
                raise PolyapproxError(f"invalid input to psi: the query token's cell {q} has count 0 in the code")
        self._values(multisets)
        return np.array([self._memo[m][m.index(q)] for q, m in zip(query.tolist(), multisets)])

    # fast batched evaluation (same results as Sumformer.__call__, codes per sequence computed once)
    def latent(self, X: object, *, extrapolate: bool = False):
        X3, batched = self._inputs(X, extrapolate)
        b, n, d = X3.shape
        idx = cell_index(X3.reshape(b * n, d), self.k).reshape(b, n)
        if self.encoding == "histogram":
            rows = np.repeat(np.arange(b), n)
            sums = scipy.sparse.csr_matrix((np.ones(b * n), (rows, idx.ravel())), shape=(b, self.latent_dim))
            return sums if batched else sums.getrow(0)
        tokens = self._phi(X3.reshape(b * n, d)).reshape(b, n)
        sums = np.empty((b, 1), dtype=object)
        for s in range(b):
            sums[s, 0] = sum(tokens[s].tolist())
        return sums if batched else sums[0]

    def __call__(self, X: object, *, extrapolate: bool = False) -> np.ndarray:
        if extrapolate:
            raise DomainError("the grid construction is defined on [0, 1]^d only; extrapolation is not possible")
        X3, batched = self._inputs(X, False)
        b, n, d = X3.shape
        sums = self.latent(X3)
        idx = cell_index(X3.reshape(b * n, d), self.k).reshape(b, n)
        if self.encoding == "histogram":
            assert isinstance(sums, scipy.sparse.csr_matrix)  # latent() gives sparse counts for this encoding
            multisets = [
                tuple(np.repeat(np.arange(self.latent_dim), sums.getrow(s).toarray().ravel().astype(np.int64)).tolist())
                for s in range(b)
            ]
        else:
            multisets = [self._multiset(code) for code in sums[:, 0]]
        self._values(multisets)
        out = np.empty((b, n, self.d_out))
        for s, m in enumerate(multisets):
            y = self._memo[m]
            out[s] = y[[m.index(q) for q in idx[s].tolist()]]
        return out if batched else out[0]


def build(
    f: Callable,
    n: int,
    d: int,
    k: int,
    encoding: str = "integer",
    representative: str = "corner",
    *,
    d_out: int | None = None,
) -> DiscontinuousSumformer:
    """Piecewise-constant Sumformer on the grid of width 1/k with S(X) = f(R(X)) (theory/discontinuous).

    R maps every token to a representative of its grid cell; the latent sum encodes the multiset
    of cells exactly (one integer code, or a histogram of counts), so psi can read f(R(X)) back
    from it (the discontinuous theorem of Alberti et al. 2023).

    Shapes: the Sumformer maps X (n, d) -> (n, d_out) and (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    f : callable
        The equivariant target (b, n, d) -> (b, n, d_out), e.g. a ``constructions.targets`` entry.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.
    encoding : str, optional
        ``"integer"`` (the default: latent dimension 1, codes are exact Python ints) or
        ``"histogram"`` (latent dimension k^d, sparse counts).
    representative : str, default 'corner'
        ``"corner"`` (lower corner c/k) or ``"center"`` ((c + 1/2)/k).
    d_out : int or None, default None
        Output dimension per token; read from one evaluation of f when None.

    Returns
    -------
    DiscontinuousSumformer
        S with S(X) = f(R(X)), R rounding every token to its cell's representative.

    Examples
    --------
    >>> from constructions import targets
    >>> S = build(targets.get("centered"), n=2, d=1, k=4)
    >>> S(np.array([[0.1], [0.9]]))          # f at the corners 0 and 0.75
    array([[-0.375],
           [ 0.375]])
    """
    n = check_int("n", n)
    k, d = _check_grid(k, d)
    check_choice("encoding", encoding, ENCODINGS)
    check_choice("representative", representative, REPRESENTATIVES)
    if not callable(f):
        raise PolyapproxError(f"f must be a callable (b, n, d) -> (b, n, d_out); got {type(f).__name__}")
    if d_out is None:
        probe = np.asarray(f(np.full((1, n, d), 0.5)), dtype=float)
        if probe.ndim != 3 or probe.shape[:2] != (1, n):
            raise ShapeError(f"f must map (b, {n}, {d}) to (b, {n}, d_out); got {probe.shape}")
        d_out = probe.shape[2]
    check_equivariant(f, n, d)  # S(X) = f(R(X)) needs f equivariant, as approximate does
    return DiscontinuousSumformer(f, n, d, k, check_int("d_out", d_out), encoding, representative)


def error_bound(f_lipschitz: float | Callable[[float], float], k: int, representative: str = "corner") -> float:
    """A-priori bound ||S - f||_inf <= omega_f(delta) (corners) or omega_f(delta/2) (centres), delta = 1/k (step 7).

    Parameters
    ----------
    f_lipschitz : float or callable
        A Lipschitz constant L of f (max-norm to max-norm; then omega(t) = L t), or its modulus
        of continuity omega as a callable.
    k : int
        Cells per axis: the grid has width 1/k.
    representative : str, default 'corner'
        ``"corner"`` (lower corner c/k) or ``"center"`` ((c + 1/2)/k).

    Returns
    -------
    float
        The bound.

    Examples
    --------
    >>> error_bound(2.0, 4, "center")
    0.25
    """
    k = check_int("k", k)
    check_choice("representative", representative, REPRESENTATIVES)
    if k > 2**40:  # the grid limit (k^d <= 2^40 cells for d >= 1); 1/k of a huge int would overflow
        raise SizeError(f"k ({k.bit_length():,} bits) is more than the grid limit of 2^40 cells per axis")
    t = (1.0 if representative == "corner" else 0.5) / k
    if callable(f_lipschitz):
        return float(f_lipschitz(t))
    if isinstance(f_lipschitz, bool) or not isinstance(f_lipschitz, (int, float)) or not f_lipschitz >= 0:
        raise PolyapproxError(
            f"f_lipschitz must be a Lipschitz constant >= 0 or a modulus callable; got {f_lipschitz!r}"
        )
    return float(f_lipschitz) * t


@dataclass(frozen=True)
class SizeAccounting:
    """Sizes of the discontinuous construction for (n, d, k) beside the continuous one (theory/discontinuous).

    ReLU counts (derived here, an explicit construction valid off bands of width eps below each cell
    face, i.e. in L^p, and in exact arithmetic): phi needs 2d(k-1) step ReLUs (cell coordinates) and
    k^d - 1 hinge ReLUs (the piecewise-linear interpolant of iota -> (n+1)^iota); psi needs 2d(k-1)
    step ReLUs and one carrying s, 3 per distinct code (hat of s - code), 3 per cell (hat of idx - iota),
    and one AND ReLU(a + b - 1) per (code, cell of the code) pair, k^d C(k^d + n - 2, n - 1) of them
    (the tests build both networks and count their ReLUs).

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.
    latent_integer : int
        Latent dimension of the integer encoding (1).
    latent_histogram : int
        Latent dimension of the histogram encoding (k^d).
    distinct_codes : int
        Number of multisets of n cells, C(k^d + n - 1, n).
    max_code_bits : int
        Bits of the largest code.
    max_code_digits : int
        Decimal digits of the largest code.
    float64_exact : bool
        Whether every code is exact in float64.
    phi_relus : int
        ReLUs of phi.
    psi_relus : int
        ReLUs of psi.
    continuous_latent : int
        d' of the continuous construction, C(n+d, d) - 1.
    continuous_refined_latent : int
        d' of the refined continuous construction.

    Examples
    --------
    >>> size_accounting(2, 1, 3).latent_histogram
    3
    """

    n: int
    d: int
    k: int
    latent_integer: int
    latent_histogram: int
    distinct_codes: int
    max_code_bits: int
    max_code_digits: int
    float64_exact: bool
    phi_relus: int
    psi_relus: int
    continuous_latent: int
    continuous_refined_latent: int

    def to_dict(self) -> dict:
        return asdict(self)


def size_accounting(n: int, d: int, k: int) -> SizeAccounting:
    """Latent dimension, code counts and sizes, ReLU counts, and the continuous d' for comparison.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    k : int
        Cells per axis: the grid has width 1/k.

    Returns
    -------
    SizeAccounting
        The sizes.

    Examples
    --------
    >>> s = size_accounting(4, 2, 2)
    >>> s.distinct_codes, s.max_code_digits, s.continuous_latent
    (35, 3, 14)
    """
    n = check_int("n", n)
    k, d = _check_grid(k, d)
    cells = k**d
    if cells > 10**6:
        raise SizeError(f"size accounting for k^d = {cells:,} cells would build codes of {cells:,} digits")
    bits = max((cells - 1) * math.log2(n + 1), math.lgamma(cells + n) - math.lgamma(n + 1) - math.lgamma(cells))
    if bits > MAX_CODE_BITS:
        raise SizeError(
            f"size accounting for n = {n:,} on {cells:,} cells would compute integers of about {bits:,.0f} bits, "
            f"more than the limit of {MAX_CODE_BITS:,}"
        )
    largest = n * (n + 1) ** (cells - 1)
    codes = math.comb(cells + n - 1, n)
    pairs = cells * math.comb(cells + n - 2, n - 1)
    steps = 2 * d * (k - 1)
    return SizeAccounting(
        n,
        d,
        k,
        1,
        cells,
        codes,
        largest.bit_length(),
        _digit_count(largest),
        cells * math.log2(n + 1) <= 53,
        steps + max(cells - 1, 0),
        steps + 1 + 3 * codes + 3 * cells + pairs,
        latent_dimension(n, d),
        latent_dimension(n, d, "continuous-refined"),
    )


def _digit_count(value: int) -> int:
    """Decimal digits of a positive int, exactly, without str() (which refuses ints over 4300 digits)."""
    guess = max(1, int((value.bit_length() - 1) * math.log10(2)) + 1)
    while guess > 1 and 10 ** (guess - 1) > value:
        guess -= 1
    while 10**guess <= value:
        guess += 1
    return guess


# The literal ReLU networks build on the functions above, so they are imported last.


# ---------------------------------------------------------------------------------------------
# the discontinuous model kind's codec (rebuilt from the recorded target, checked at stored points;
# registered with its torch module by constructions._networks.sumformer_kinds)

CHECK_SEQUENCES = 16  # check values stored in a model file


def _check_sequences(model: DiscontinuousSumformer) -> np.ndarray:
    """Representatives of a few seeded random cell multisets (check points for the recorded target)."""
    rng = np.random.default_rng(0)
    idx = np.sort(rng.integers(0, model.k**model.d, size=(CHECK_SEQUENCES, model.n)), axis=1)
    return representatives(idx, model.k, model.d, model.representative)


def encode_model(model: DiscontinuousSumformer, target: Any) -> Encoded:
    """The discontinuous kind's file record: grid parameters and the target's values at check points."""
    f = model.f
    spec = to_spec(f) if isinstance(f, Target) else None
    if target is not None and spec is not None and to_spec(target) != spec:
        raise PolyapproxError(
            f"this model is rebuilt from the target it was built for ({next(iter(spec.values()))}); a file cannot record "
            "another one (build the model for that target instead)"
        )
    if spec is None or "callable" in spec:
        raise PolyapproxError(
            "a discontinuous model is rebuilt from its target, and this one is a Python "
            "callable that a file cannot hold safely; build it from a registered target or a "
            "target expression (targets.from_expression) to save it"
        )
    points = _check_sequences(model)
    params = {"k": model.k, "encoding": model.encoding, "representative": model.representative}
    return Encoded(params, {"check.points": points, "check.values": np.asarray(f(points), dtype=float)}, f)


def decode_model(params: dict, tensors: Any, target: Any, path: str):
    """The model rebuilt from its recorded target, checked against the stored values."""
    if target is None:
        raise ModelFileError(f"{path!r}: a discontinuous model needs its target (a name or an expression)")
    if set(params) != {"k", "encoding", "representative"}:
        raise ModelFileError(f"{path!r}: discontinuous parameters must be k, encoding, representative")
    k = params["k"]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 10**6:
        raise ModelFileError(f"{path!r}: k must be an integer in [1, 10^6]; got {k!r:.40}")
    points, values = tensors.get("check.points"), tensors.get("check.values")
    if points is None or values is None or points.ndim != 3 or len(points) != CHECK_SEQUENCES:
        raise ModelFileError(f"{path!r}: missing or malformed check values of the target")
    n, d = points.shape[1:]
    model = build(target, n, d, k, params["encoding"], params["representative"], d_out=values.shape[-1])
    if not np.array_equal(points, _check_sequences(model)):
        raise ModelFileError(f"{path!r} is inconsistent: check points are not the construction's representatives")
    got = np.asarray(target(points), dtype=float)
    if got.shape != values.shape or not np.allclose(got, values, rtol=1e-12, atol=1e-12):
        raise ModelFileError(
            f"{path!r} is inconsistent: its recorded target does not give the stored check values "
            "(tampered, or the target changed)"
        )
    return model, {"check.points": points, "check.values": values}


def example_model() -> DiscontinuousSumformer:
    """A small discontinuous Sumformer (n = 3, d = 1, k = 3 on the centered target): the kind's example."""
    from .._targets.registry import get

    return build(get("centered"), 3, 1, 3)
