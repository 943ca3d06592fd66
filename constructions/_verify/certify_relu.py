"""Certified sup-norm distance between a one-attention-layer ReLU Transformer and its Sumformer.

For the network T of the one-attention-layer corollary of Alberti et al. (2023) in ReLU mode
(``transformer.from_sumformer(S, n, ff="relu", m_relu=m)``: phi and psi realised by Yarotsky
ReLU networks) and its polynomial Sumformer S, :func:`certified_network_error` returns an
interval [lower, upper] containing

    E* = sup_{X in [0, 1]^{n x d}} max_{i,c} |T(X)_{ic} - S(X)_{ic}|.

``lower`` is the lower end of a rigorous enclosure of E at a point (the witness); ``upper`` is the largest of rigorous per-box bounds
over sorted-token boxes (branch and bound of :mod:`constructions._verify.certify`).

The network means its weights as exact real numbers (every float64 weight is a rational), with
the attention layer's softmax weights exactly 1/n (W_K = 0, so every logit is exactly 0); its
float64 evaluation adds rounding of order 1e-15, like the Sumformer's.

Per-box bound: affine forms with interval remainder (a zonotope-like linear relaxation).
On a box B = c + H every activation of the network is enclosed as  K + G . h  (h in H), with K
an interval and G an interval vector (one per input coordinate x_{j,c}):
- affine maps act on K and G by outward-rounded interval arithmetic (the weights are exact
  floats, each product and sum is rounded outward as in :mod:`constructions._common.interval`);
- the attention layer is the exact mean over tokens of W_V-projected activations, then W_O;
- ReLU: with [l, u] an enclosure of the pre-activation z over B and any lambda in [0, 1],
  g(z) = ReLU(z) - lambda z is convex and >= 0 on R, so on [l, u] it lies in
  [0, max(g(l), g(u))]; hence ReLU(z) is in lambda (K + G . h) + [0, e], e = max(g(l), g(u)).
  lambda = u / (u - l) (the chord slope) when l < 0 < u, 1 when l >= 0, 0 when u <= 0, so a
  ReLU that is stable on B is represented exactly.
- Yarotsky squaring chains (the m hidden layers that compute S_m(t) = the interpolant of t^2 on
  the nodes k / 2^m, inside every product of the ReLU polynomials) are recognised in the weights
  and replaced by one unit F_m(t) (:mod:`constructions._verify.relu_chains`: exact checks on the
  float weights, so the network's real function is unchanged), and F_m is enclosed on [l, u] as
  lambda z + c + [0, e] with lambda the chord slope and c, e from F_m's exact values at its nodes:
  one relaxation no wider than that of t^2, instead of m relaxations of hat functions whose
  cancellation (the sawtooths of the levels add up to a function with 2^m small kinks) interval
  propagation loses. Identical units of a layer (the two factors of a square x * x) are merged.
T's output on B is then  K_T + G_T . h. S is a polynomial with exact Taylor coefficients
b_beta(c) at the centre (:class:`constructions._verify.certify._ShiftedPolynomial`), so
S(c + h) - T(c + h) is enclosed by (b_0 - K_T) + (b_1 - G_T) . h + sum_{|beta| >= 2} b_beta h^beta:
the affine parts cancel up to the widths of the relaxation, which shrink with the box.

Symmetry: T is permutation-equivariant in exact arithmetic (token-wise feed-forward blocks,
uniform attention), as is S, so the sorted-token region of :mod:`constructions._verify.certify` suffices.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, overload

import numpy as np

from polyapprox.internal import PolyapproxError, SizeError, check_int, check_writable

from .._common.interval import Interval, check_float_environment
from .._sumformers.polynomial import PolynomialSumformer
from .certify import (
    CertificationBudget,
    CertifiedResult,
    _budget,
    _certify_by_search,
    _Deadline,
    _row_polynomials,
    _ShiftedPolynomial,
)
from .relu_chains import chain_relaxation, collapse

_MEMORY_BUDGET = 2**28  # bytes of affine-form storage per batch of boxes
_MAX_VARIABLES = 12  # n * d: boxes of the cube grow like 2^(n d)
_U, _ETA = 2.0**-53, 2.0**-1074


@overload
def _up(x: np.ndarray) -> np.ndarray: ...
@overload
def _up(x: np.float64 | float) -> np.float64: ...
def _up(x: Any) -> Any:
    """A float >= z for every real z whose round-to-nearest float is x (faster than nextafter).

    Proof: x = fl(z) gives |z - x| <= u|x| + eta/2 (u = 2^-53, eta = 2^-1074). The code computes
    b = fl(fl(|x| 2^-51) + tau), tau = 2^-1022, so b >= 4u|x|(1 - u) + tau/2, and
    fl(x + b) >= x + b(1 - u) - u|x| - eta/2 >= x + 2u|x| + tau/4 >= z. Non-finite x stay non-finite
    (or NaN, which every caller treats as unbounded)."""
    a = np.abs(x)
    a *= 2.0**-51
    a += 2.0**-1022
    a += x
    return a


def _down(x: np.ndarray) -> np.ndarray:
    """A float <= z for every real z whose round-to-nearest float is x: -_up(-x)."""
    a = np.abs(x)
    a *= 2.0**-51
    a += 2.0**-1022
    np.subtract(x, a, out=a)
    return a


class _Linear:
    """x W + b for an exact float matrix W (in, out), applied to interval arrays on their last axis.

    Midpoint-radius form with one product each for the midpoints and radii (Rump 1999), each a
    sum over the k inputs in a fixed order (:func:`_fixed_order_matmul`: no BLAS, so the same bits on
    every machine). Rigour: a float64 matmul that computes each entry as a sum of the k products in
    some order with correctly rounded operations or fused multiply-adds, so (Higham 2002, eq. 3.5
    with gradual underflow) |fl(x y) - x y| <= g_k |x| |y| + k eta, with g_k = k u / (1 - k u) <= 1.01 k u,
    u = 2^-53, eta = 2^-1074. For non-negative data this gives x y <= (fl(x y) + k eta)(1 + 2 g_k).
    With mid m and radius r >= 0 of x (r >= max(hi - m, m - lo) by upward rounding), the exact set
    {x W} lies within R = (r + g|m|) |W| + k eta of fl(m W), g >= g_k. The code computes
    t = fl(r + fl(g |m|)) >= (r + g|m|)(1 - u)^2 - eta and q = fl(t |W|) >= (1 - g)(t |W|) - k eta,
    so R <= (q + (k + ||W||) eta)(1 + 2g)(1 + 4u) + k eta, ||W|| the largest row sum of |W|. With
    c1 = up((1 + 2g)(1 + 16u)) and c2 = 2^-1000 (far above every eta term since k, ||W|| <= 2^40),
    r' = up(fl(q c1) + c2) >= R (``_up``'s lemma). The bias adds round outward with ``_up``/``_down``.
    Non-finite values turn into inf or NaN, and NaN is read as unbounded at the end (``Interval.mag``).
    """

    def __init__(self, W: np.ndarray, b: np.ndarray | None = None) -> None:
        W = np.asarray(W, dtype=float)
        if W.ndim != 2 or not np.all(np.isfinite(W)):
            raise PolyapproxError("network weights must be finite 2-D arrays")
        self.n_in, self.n_out = W.shape
        self.W, self.absW = W, np.abs(W)
        self.b = np.zeros(self.n_out) if b is None else np.asarray(b, dtype=float).reshape(self.n_out)
        if not np.all(np.isfinite(self.b)):
            raise PolyapproxError("network biases must be finite")
        k = max(self.n_in, 1)
        if k > 2**40 or (W.size and np.abs(W).sum(axis=1).max() > 2.0**40):
            raise SizeError(f"a layer with {k} inputs or row sums above 2^40 is outside the rounding bound used here")
        self.g = _up(np.float64(1.01 * k * _U))
        self.c1 = _up(_up(1.0 + _up(2.0 * self.g)) * (1.0 + 16 * _U))
        self.c2 = np.float64(2.0**-1000)

    def __call__(self, x: Interval, bias_rows: int = 2) -> Interval:
        """x W, plus b on the last ``bias_rows`` entries of axis -2 (the constant rows K, K0 of an affine form)."""
        shape = np.broadcast_shapes(x.lo.shape, x.hi.shape)
        xl = np.broadcast_to(x.lo, shape).reshape(-1, self.n_in)
        xh = np.broadcast_to(x.hi, shape).reshape(-1, self.n_in)
        out = shape[:-1] + (self.n_out,)
        with np.errstate(over="ignore", invalid="ignore"):
            mid = (xl + xh) * 0.5
            rad = np.maximum(_up(xh - mid), _up(mid - xl))
            m = _fixed_order_matmul(mid, self.W).reshape(out)
            t = np.abs(mid)
            t *= self.g
            t += rad
            q = _fixed_order_matmul(t, self.absW).reshape(out)
            q *= self.c1
            q += self.c2
            r = _up(q)
            lo, hi = _down(m - r), _up(m + r)
            if bias_rows:
                lo[..., -bias_rows:, :] = _down(lo[..., -bias_rows:, :] + self.b)
                hi[..., -bias_rows:, :] = _up(hi[..., -bias_rows:, :] + self.b)
        return Interval(lo, hi)


def _fixed_order_matmul(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """x @ W (x: (rows, k), W: (k, m)) as sum_j x[:, j] W[j] accumulated j = 0, 1, ... (separate
    multiply and add, no fused operations): IEEE-deterministic, unlike BLAS, whose summation order
    depends on the CPU and the thread count."""
    k = W.shape[0]
    if k == 0:
        return np.zeros((x.shape[0], W.shape[1]))
    xT = np.ascontiguousarray(x.T)
    acc = np.multiply.outer(xT[0], W[0])
    tmp = np.empty_like(acc)
    for j in range(1, k):
        np.multiply.outer(xT[j], W[j], out=tmp)
        acc += tmp
    return acc


def _contract_last(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over the last axis of a * b (broadcast), accumulated in index order: deterministic."""
    prod = a * b
    if prod.shape[-1] == 0:
        return np.zeros(prod.shape[:-1])
    acc = prod[..., 0].copy()
    for j in range(1, prod.shape[-1]):
        acc += prod[..., j]
    return acc


def _sum_up(x: np.ndarray, k: int) -> np.ndarray:
    """An upper bound of an exact sum of k non-negative terms from its float sum x (any order).

    x >= (1 - u)^k exact - k eta, so exact <= (x + k eta)(1 + 2 k u) for k u <= 1/4; the product is
    inflated once more and rounded up."""
    factor = 1.0 + 4.0 * (k + 1) * _U
    return _up((x + (k + 1) * _ETA) * factor + _ETA)


class _Affine:
    """Activations over a batch of boxes, one interval array A (B, n, N + 2, W):
    A[:, :, :N] is G (one row per input coordinate), A[:, :, N] is K and A[:, :, N + 1] is K0, so that
    the activation is in K + G . h, and equals K0 + G . h + sum_l C_l eps_l (eps_l the ReLU
    relaxation terms in [0, e_l], C_l their exact coefficients: see ``_NetworkBounder.backward``)."""

    __slots__ = ("A",)

    def __init__(self, A: Interval) -> None:
        self.A = A

    @property
    def K(self) -> Interval:
        return self.A[:, :, -2]

    @property
    def G(self) -> Interval:
        return self.A[:, :, :-2]

    def linear(self, layer: _Linear) -> _Affine:
        return _Affine(layer(self.A, bias_rows=2))

    def __add__(self, other: _Affine) -> _Affine:
        return _Affine(self.A + other.A)

    def range(self, h: Interval) -> Interval:
        """Enclosure of K + G . h over the box (h: (B, N) intervals): |G . h| <= sum_k mag(G_k) mag(h_k)."""
        mag_h = np.maximum(np.abs(h.lo), np.abs(h.hi))
        with np.errstate(over="ignore", invalid="ignore"):
            t = _sum_up(_contract_last(np.moveaxis(self.G.mag(), 2, 3), mag_h[:, None, None, :]), mag_h.shape[1])
            K = self.K
            return Interval(_down(K.lo - t), _up(K.hi + t))

    def activate(self, h: Interval, depths: np.ndarray) -> tuple[_Affine, np.ndarray, np.ndarray]:
        """Each unit's activation (``depths`` 0: ReLU, m > 0: the squaring chain F_m) as lambda z + c + [0, e]
        (module docstring); returns the new form, lambda and e (B, n, W)."""
        z = self.range(h)
        l, u = z.lo, z.hi
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(u <= 0, 0.0, np.where(l >= 0, 1.0, u / (u - l)))
        slope = np.clip(np.nan_to_num(slope, nan=1.0), 0.0, 1.0)
        lam = Interval(slope)
        g_l = Interval(np.maximum(l, 0.0)) - lam * Interval(l)  # g at the endpoints, rounded up
        g_u = Interval(np.maximum(u, 0.0)) - lam * Interval(u)
        e = np.maximum(np.maximum(g_l.hi, g_u.hi), 0.0)
        offset = None
        for m in np.unique(depths[depths > 0]):
            sel = depths == m
            lam_m, c_lo, c_hi = chain_relaxation(l[..., sel], u[..., sel], int(m), _up, _down)
            slope[..., sel] = lam_m
            if offset is None:
                offset = np.zeros_like(e)
            offset[..., sel] = c_lo
            with np.errstate(invalid="ignore"):
                e[..., sel] = _up(c_hi - c_lo)
        lo, hi = _scale(self.A.lo, self.A.hi, slope[:, :, None, :])
        if offset is not None:  # K and K0 gain c_lo (rounded outward where it is not 0)
            shift = offset[:, :, None, :]
            exact = shift == 0.0
            for arr, rnd in ((lo, _down), (hi, _up)):
                arr[:, :, -2:] = np.where(exact, arr[:, :, -2:], rnd(arr[:, :, -2:] + shift))
        hi[:, :, -2] = _up(hi[:, :, -2] + e)  # K gains [0, e]; K0 does not
        return _Affine(Interval(lo, hi)), slope, e

    def token_mean(self, mix: Interval | None = None) -> _Affine:
        """(1/n) sum_j over tokens (uniform attention), kept as one token that broadcasts to all;
        times ``mix`` (an enclosure of n a for uniform attention weights a != 1/n) when given."""
        n = self.A.shape[1]
        mean = self.A.sum(1, keepdims=True) / n
        return _Affine(mean if mix is None else mean * mix)


def _scale(lo: np.ndarray, hi: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[s lo, s hi] rounded outward for s >= 0 (exact, so not widened, where s is 0 or 1)."""
    exact = (s == 0.0) | (s == 1.0)
    a, b = lo * s, hi * s
    return np.where(exact, a, _down(a)), np.where(exact, b, _up(b))


class _Mlp:
    """z + MLP(z @ in) @ out: one ReLU feed-forward block of the network, from its weights."""

    def __init__(self, weights: dict[str, Any], name: str, chains: bool = True) -> None:
        self.read = _Linear(weights[f"{name}.in"])
        raw = []
        k = 0
        while f"{name}.mlp.layer{k}.W" in weights:
            raw.append((weights[f"{name}.mlp.layer{k}.W"], weights[f"{name}.mlp.layer{k}.b"]))
            k += 1
        if not raw:
            raise PolyapproxError(f"block {name!r} has no ReLU MLP weights")
        if chains:  # the same real function, with each Yarotsky squaring chain as one unit
            raw, self.depths = collapse(raw)
        else:
            self.depths = [np.zeros(W.shape[1], dtype=np.int64) for W, _ in raw[:-1]]
        self.layers = [_Linear(W, b) for W, b in raw]
        self.write = _Linear(weights[f"{name}.out"])
        self.widths = [layer.n_out for layer in self.layers]
        self.back = [_Linear(layer.W.T) for layer in self.layers]
        self.read_back, self.write_back = _Linear(self.read.W.T), _Linear(self.write.W.T)

    def __call__(self, z: _Affine, h: Interval) -> tuple[_Affine, list]:
        a = z.linear(self.read)
        relaxations = []
        for layer, depths in zip(self.layers[:-1], self.depths):
            a, slope, e = a.linear(layer).activate(h, depths)
            relaxations.append((slope, e))
        return z + a.linear(self.layers[-1]).linear(self.write), relaxations

    def backward(self, cot: Interval, relaxations: list, bounds: list) -> Interval:
        """Cotangent on the block input from ``cot`` (B, R, n, D) on its output; appends to ``bounds``
        the enclosure [lo, hi] (B, R) of sum_l C_l eps_l over this block's relaxations."""
        c = self.back[-1](self.write_back(cot, bias_rows=0), bias_rows=0)  # on the last hidden activation
        for back, (slope, e) in zip(self.back[-2::-1], relaxations[::-1]):
            k = e.shape[1] * e.shape[2]
            with np.errstate(over="ignore", invalid="ignore"):
                B, R = c.hi.shape[:2]
                flat_e = e.reshape(B, 1, k)
                pos = _sum_up(_contract_last(np.maximum(c.hi, 0.0).reshape(B, R, k), flat_e), k)
                neg = _sum_up(_contract_last(np.maximum(-c.lo, 0.0).reshape(B, R, k), flat_e), k)
            bounds.append((-neg, pos))
            c = back(Interval(*_scale(c.lo, c.hi, slope[:, None])), bias_rows=0)
        return cot + self.read_back(c, bias_rows=0)


class _NetworkBounder:
    """Rigorous bounds of max_{i,c} |S - T| on batches of boxes (lo, hi) of shape (B, n*d).

    ``backward=False`` keeps only the forward enclosure (relaxation terms merged into K), and
    ``chains=False`` propagates through every layer of the Yarotsky squaring chains instead of
    bounding each chain as one function: the benchmark's baselines for what each gains.
    """

    def __init__(
        self, network: Any, sumformer: Any, backward: bool = True, mix: Interval | None = None, chains: bool = True
    ) -> None:
        self.backward, self.mix = backward, mix  # mix: n a for uniform attention weights a (None: a = 1/n)
        weights = {key: np.asarray(value, dtype=float) for key, value in network.weights.items()}
        names = [block.name for block in network.blocks]
        if names != ["embed", "ff1", "attn", "ff2", "readout"]:
            raise PolyapproxError(f"expected blocks embed, ff1, attn, ff2, readout; got {names}")
        if np.any(weights["attn.W_K"] != 0):
            raise PolyapproxError(
                "certification needs W_K = 0 (uniform attention weights 1/n); this network has a non-zero W_K"
            )
        self.n, self.d, self.d_out = network.n, network.d, network.d_out
        self.N = self.n * self.d
        self.embed = _Linear(weights["embed.W"])
        self.ff1 = _Mlp(weights, "ff1", chains) if "ff1.in" in weights else None
        if self.ff1 is None and network.layout["phi"].stop > network.layout["phi"].start:
            raise PolyapproxError("ff1 is not a ReLU MLP: certification needs ff='relu'")
        self.value = _Linear(weights["attn.W_V"])
        self.out = _Linear(weights["attn.W_O"])
        self.ff2 = _Mlp(weights, "ff2", chains)
        self.readout = _Linear(weights["readout.W"])
        self.width = max([network.width] + self.ff2.widths + (self.ff1.widths if self.ff1 else []))
        if sumformer is not None:  # None: the caller compares T with something else (a target)
            self.shifted = _ShiftedPolynomial(_row_polynomials(sumformer.representation, self.n), self.N)
            slot = self.shifted.beta_slot
            self.grad_slots = np.array([slot[tuple(int(j == k) for j in range(self.N))] for k in range(self.N)])

        self.value_back, self.out_back = _Linear(self.value.W.T), _Linear(self.out.W.T)

    def bytes_per_box(self) -> int:
        """Storage of one box: n tokens x (N + 2 + R) coefficient rows x width, lo and hi, ~6 live copies."""
        return 6 * 2 * 8 * self.n * (self.N + 2 + self.n * self.d_out) * self.width

    def network_form(self, lo: np.ndarray, hi: np.ndarray) -> tuple[Interval, Interval, Interval]:
        """(K_T, G_T, h): T(c + h)_{i,o} - G_T[:, r] . h lies in K_T[:, r] for every h in the box h,
        with c = (lo + hi) / 2, rows r = i d_out + o; K_T (B, R), G_T (B, R, N) (point) intervals."""
        B, n, d, N, d_out = len(lo), self.n, self.d, self.N, self.d_out
        c = (lo + hi) * 0.5  # a float inside [lo, hi]
        h = Interval(_down(lo - c), _up(hi - c))
        A0 = np.zeros((B, n, N + 2, d))
        A0[:, :, N, :] = A0[:, :, N + 1, :] = c.reshape(B, n, d)
        for j in range(n):
            A0[:, j, j * d : (j + 1) * d, :] = np.eye(d)
        z = _Affine(Interval(A0)).linear(self.embed)
        relax1: list = []
        if self.ff1 is not None:
            z, relax1 = self.ff1(z, h)
        z = z + z.linear(self.value).token_mean(self.mix).linear(self.out)
        z, relax2 = self.ff2(z, h)
        y = z.linear(self.readout).A  # (B, n, N + 2, d_out)
        R = n * d_out

        def rows(a: np.ndarray) -> np.ndarray:
            return np.moveaxis(a, 2, 3).reshape(B, R, N + 2)

        Y = Interval(rows(y.lo), rows(y.hi))
        G, K, K0 = Y[:, :, :N], Y[:, :, N], Y[:, :, N + 1]
        if not self.backward:
            return K, G, h
        # backward pass: enclosures of the exact coefficients of every relaxation term on every output row
        W_out = self.readout.W  # (D, d_out)
        cot = np.zeros((B, R, n, W_out.shape[0]))
        for i in range(n):
            cot[:, i * d_out : (i + 1) * d_out, i, :] = W_out.T
        bounds: list = []
        cot = self.ff2.backward(Interval(cot), relax2, bounds)
        total = cot.sum(2, keepdims=True) / n  # attention: z2_i = z1_i + (1/n) sum_j z1_j W_V W_O
        if self.mix is not None:  # uniform weights a: (n a / n) sum_j
            total = total * self.mix
        cot = cot + self.value_back(self.out_back(total, bias_rows=0), bias_rows=0)
        if self.ff1 is not None:
            self.ff1.backward(cot, relax1, bounds)
        eps_lo, eps_hi = np.zeros((B, R)), np.zeros((B, R))
        for b_lo, b_hi in bounds:
            eps_lo, eps_hi = _down(eps_lo + b_lo), _up(eps_hi + b_hi)
        # with G = Gm +- Gr: T - Gm . h lies in K + [-Gr |h|, Gr |h|] and in K0 + [eps_lo, eps_hi] + the same
        Gm = (G.lo + G.hi) * 0.5
        Gr = np.maximum(_up(G.hi - Gm), _up(Gm - G.lo))
        mag_h = np.maximum(np.abs(h.lo), np.abs(h.hi))
        spread = _sum_up(_contract_last(Gr, mag_h[:, None, :]), N)
        k_lo = np.maximum(K.lo, _down(K0.lo + eps_lo))
        k_hi = np.minimum(K.hi, _up(K0.hi + eps_hi))
        return Interval(_down(k_lo - spread), _up(k_hi + spread)), Interval(Gm), h

    def points(self, P: np.ndarray) -> Interval:
        """Enclosures (b, n*d_out) of the error rows (S - T)_r at points P (b, n*d)."""
        return self.shifted(P)[:, :, 0] - self.network_points(P)

    def network_points(self, P: np.ndarray) -> Interval:
        """Enclosures (b, n*d_out) of T at points P (b, n*d): the forward pass on point intervals
        (affine forms without input rows), far cheaper than a box."""
        B, n, d = len(P), self.n, self.d
        A0 = np.zeros((B, n, 2, d))
        A0[:, :, 0, :] = A0[:, :, 1, :] = P.reshape(B, n, d)
        h = Interval(np.zeros((B, 0)))
        z = _Affine(Interval(A0)).linear(self.embed)
        if self.ff1 is not None:
            z, _ = self.ff1(z, h)
        z = z + z.linear(self.value).token_mean(self.mix).linear(self.out)
        z, _ = self.ff2(z, h)
        return z.linear(self.readout).K.reshape((B, n * self.d_out))

    def enclosure(self, lo: np.ndarray, hi: np.ndarray) -> Interval:
        """Enclosures (B, n*d_out) of the error rows (S - T)_r over each box."""
        K, G, h = self.network_form(lo, hi)
        c = (lo + hi) * 0.5
        coef = self.shifted(c)  # (B, R, M), rows r = i * d_out + o
        coef_lo, coef_hi = coef.lo.copy(), coef.hi.copy()
        k_T = Interval(K.lo[:, :, None], K.hi[:, :, None])
        for slots, part in ((np.array([0]), k_T), (self.grad_slots, G)):
            diff = Interval(coef_lo[:, :, slots], coef_hi[:, :, slots]) - part
            coef_lo[:, :, slots], coef_hi[:, :, slots] = diff.lo, diff.hi
        hm = self.shifted.monomials(h)
        terms = Interval(coef_lo, coef_hi) * Interval(hm.lo[:, None, :], hm.hi[:, None, :])
        return terms.sum(-1)


def certified_network_error(
    network: Any,
    sumformer: Any,
    budget: CertificationBudget | None = None,
    *,
    seed: int = 0,
    samples: int = 1024,
    certificate: str | os.PathLike[str] | None = None,
    model_file: str | os.PathLike[str] | None = None,
) -> CertifiedResult:
    """Bound the error of a ReLU network against its Sumformer rigorously by an interval [lower, upper].

    The error is sup_X max_{i,c} |T(X)_ic - S(X)_ic| over [0, 1]^{n x d}.

    Set beside the a-priori bound ``network.error_bound`` = L_psi n eta_1 + eta_2 of the corollary
    of Alberti et al. (2023), which it should not exceed. Branch and bound with affine enclosures of
    T - S: ``upper`` stays rigorous when the budget ends the search (then ``reached`` is False).
    Deterministic (same bits on any machine).

    Shapes: ``witness`` is (n, d).

    Parameters
    ----------
    network : Network
        ``transformer.from_sumformer(S, n, ff="relu", m_relu=m)`` (one softmax attention layer with
        W_K = 0, ReLU feed-forward blocks), with n*d <= 12 and at most 256 MB of storage per box.
    sumformer : PolynomialSumformer
        Its polynomial Sumformer S.
    budget : CertificationBudget or None, default None
        Stopping ratio and work limits (default ``CertificationBudget()``; batch 1024, lowered to
        fit 256 MB of affine forms).
    seed : int, default 0
        Seed of the sampled lower bound (reproducible).
    samples : int, default 1024
        Random sequences evaluated (rigorously) for the first lower bound.
    certificate : str or path-like or None, default None
        Also write a certificate of the upper bound (JSON: the network's tensors, Psi's exact
        coefficients, the bisection tree) that ``tools/check_certificate.py`` re-verifies in
        exact arithmetic without this toolkit.
    model_file : str or path-like or None, default None
        The file the network was read from (its sha256 goes into the certificate).

    Returns
    -------
    CertifiedResult
        ``lower`` <= sup error <= ``upper``; ``target`` is ``"sumformer"``.

    Examples
    --------
    >>> from constructions import continuous, targets, transformer
    >>> S, _ = continuous.approximate(targets.get("times-mean"), n=2, d=1, degree=2, samples=200)
    >>> T = transformer.from_sumformer(S, 2, ff="relu", m_relu=2)
    >>> r = certified_network_error(T, S, CertificationBudget(ratio=1.5, max_boxes=20_000))
    >>> r.reached, r.lower <= r.upper <= min(1.5 * r.lower, T.error_bound)
    (True, True)
    """
    deadline = _Deadline(budget.time_limit if isinstance(budget, CertificationBudget) else None)
    n, d = _check_network_and_sumformer(network, sumformer)
    if certificate is not None:
        check_writable(certificate, "certificate")
    budget, batch = _budget(budget, 1024)
    samples = check_int("samples", samples)
    check_size_of_network(n, d)
    check_float_environment()
    bounder = _NetworkBounder(network, sumformer)
    batch = batch_for(bounder, batch)
    keep = certificate is not None
    result, outcome = _certify_by_search(
        bounder, n, d, (0.0, 1.0), samples, seed, budget, batch, "sumformer", keep, deadline
    )
    if certificate is not None:
        from .certificate import write_network_certificate

        weight = Fraction(1, n)  # softmax with W_K = 0 (checked above)
        write_network_certificate(certificate, network, weight, sumformer, (0.0, 1.0), result, outcome, model_file)
    return result


def check_size_of_network(n: int, d: int) -> None:
    """Refuse networks on more than ``_MAX_VARIABLES`` input coordinates (boxes grow like 2^(n d))."""
    if n * d > _MAX_VARIABLES:
        raise SizeError(
            f"certifying a network on n*d = {n * d} variables is refused (limit {_MAX_VARIABLES}): "
            "the number of boxes grows like 2^(n d)"
        )


def batch_for(bounder: _NetworkBounder, batch: int) -> int:
    """The batch lowered to fit ``_MEMORY_BUDGET`` bytes of affine forms; refuses a box that alone exceeds it."""
    per_box = bounder.bytes_per_box()
    if per_box > _MEMORY_BUDGET:
        raise SizeError(
            f"one box needs about {per_box / 2**20:.0f} MB of affine forms (network width "
            f"{bounder.width}); the limit is {_MEMORY_BUDGET // 2**20} MB"
        )
    return max(1, min(batch, _MEMORY_BUDGET // per_box))


def _check_network_and_sumformer(network: Any, sumformer: Any) -> tuple[int, int]:
    """(n, d) of a softmax ReLU Transformer and a polynomial Sumformer of the same shapes; refuses others."""
    if getattr(network, "kind", None) != "transformer" or network.ff != "relu":
        raise PolyapproxError(
            "certified_network_error needs a softmax Transformer with ReLU feed-forward blocks "
            "(transformer.from_sumformer(S, n, ff='relu'))"
        )
    if not isinstance(sumformer, PolynomialSumformer):
        raise PolyapproxError(
            "certified_network_error compares against a continuous polynomial Sumformer; got "
            f"{type(sumformer).__name__}"
        )
    n, d = network.n, network.d
    if (sumformer.d, sumformer.d_out) != (d, network.d_out) or (sumformer.n not in (None, n)):
        raise PolyapproxError(
            f"the Sumformer (d={sumformer.d}, d_out={sumformer.d_out}) does not match the network "
            f"(n={n}, d={d}, d_out={network.d_out})"
        )
    return n, d
