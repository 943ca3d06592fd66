"""Certified sup-norm distance between a one-attention-layer ReLU Transformer and its Sumformer.

For the network T of the one-attention-layer corollary of Alberti et al. (2023) in ReLU mode
(``transformer.from_sumformer(S, n, ff="relu", m_relu=m)``: phi and psi realised by Yarotsky
ReLU networks) and its polynomial Sumformer S, :func:`certified_network_error` returns an
interval [lower, upper] containing

    E* = sup_{X in [0, 1]^{n x d}} max_{i,c} |T(X)_{ic} - S(X)_{ic}|.

``lower`` is E at a point (the witness); ``upper`` is the largest of rigorous per-box bounds
over sorted-token boxes (branch and bound of :mod:`constructions._certify`).

The network means its weights as exact real numbers (every float64 weight is a rational), with
the attention layer's softmax weights exactly 1/n (W_K = 0, so every logit is exactly 0); its
float64 evaluation adds rounding of order 1e-15, like the Sumformer's.

Per-box bound: affine forms with interval remainder (a zonotope-like linear relaxation).
On a box B = c + H every activation of the network is enclosed as  K + G . h  (h in H), with K
an interval and G an interval vector (one per input coordinate x_{j,c}):
- affine maps act on K and G by outward-rounded interval arithmetic (the weights are exact
  floats, each product and sum is rounded outward as in :mod:`constructions._interval`);
- the attention layer is the exact mean over tokens of W_V-projected activations, then W_O;
- ReLU: with [l, u] an enclosure of the pre-activation z over B and any lambda in [0, 1],
  g(z) = ReLU(z) - lambda z is convex and >= 0 on R, so on [l, u] it lies in
  [0, max(g(l), g(u))]; hence ReLU(z) is in lambda (K + G . h) + [0, e], e = max(g(l), g(u)).
  lambda = u / (u - l) (the chord slope) when l < 0 < u, 1 when l >= 0, 0 when u <= 0, so a
  ReLU that is stable on B is represented exactly.
T's output on B is then  K_T + G_T . h. S is a polynomial with exact Taylor coefficients
b_beta(c) at the centre (:class:`constructions._certify._ShiftedPolynomial`), so
S(c + h) - T(c + h) is enclosed by (b_0 - K_T) + (b_1 - G_T) . h + sum_{|beta| >= 2} b_beta h^beta:
the affine parts cancel up to the widths of the relaxation, which shrink with the box.

Symmetry: T is permutation-equivariant in exact arithmetic (token-wise feed-forward blocks,
uniform attention), as is S, so the sorted-token region of :mod:`constructions._certify` suffices.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError, SizeError, check_int

from ._certify import CertifiedResult, _row_polynomials, _ShiftedPolynomial, branch_and_bound
from ._interval import Interval, check_float_environment

_MEMORY_BUDGET = 2**28  # bytes of affine-form storage per batch of boxes
_MAX_VARIABLES = 12     # n * d: boxes of the cube grow like 2^(n d)
_U, _ETA = 2.0**-53, 2.0**-1074


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -np.inf)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, np.inf)


class _Linear:
    """x W + b for an exact float matrix W (in, out), applied to interval arrays on their last axis.

    Midpoint-radius form with one BLAS product each for the midpoints and radii (Rump 1999).
    Rigour: every float64 matmul numpy uses computes each entry as a sum of the k products in
    some order with correctly rounded operations or fused multiply-adds, so (Higham 2002, eq. 3.5
    with gradual underflow) |fl(x y) - x y| <= g_k |x| |y| + k eta, with g_k = k u / (1 - k u) <= 1.01 k u,
    u = 2^-53, eta = 2^-1074. For non-negative data this gives x y <= (fl(x y) + k eta)(1 + 2 g_k).
    With mid m and radius r >= 0 of x, the exact set {x W} lies within
    R = (r |W| + g |m| |W|)(1 + 2g) + 3 k eta of fl(m W) (exact products r|W|, |m||W|). The code
    computes q = fl(fl(r|W|) + fl(g fl(|m||W|))), three non-negative float results each at least
    (1 - u) times its exact value minus k eta, and r' = up(fl(q c1) + c2) with
    c1 >= (1 + 2g)(1 + 8u) >= (1 + 2g) / (1 - u)^4 and c2 = 8 (k + 1) eta, so r' >= R. The
    conversions [lo, hi] -> (m, r) -> [lo, hi] and the bias round outward with nextafter (the
    lemma of :mod:`constructions._interval`). Non-finite results become [-inf, inf].
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
        if k * _U > 1e-3:
            raise SizeError(f"a layer with {k} inputs is too wide for the rounding bound used here")
        self.g = _up(np.float64(1.01 * k * _U))
        self.c1 = _up(_up(1.0 + _up(2.0 * self.g)) * (1.0 + 8 * _U))
        self.c2 = np.float64(8 * (k + 1) * _ETA)

    def __call__(self, x: Interval, bias: bool = True) -> Interval:
        """x W, plus b on the last entry of axis -2 (the constant row K of an affine form) when ``bias``."""
        shape = np.broadcast_shapes(x.lo.shape, x.hi.shape)
        xl, xh = np.broadcast_to(x.lo, shape).reshape(-1, self.n_in), np.broadcast_to(x.hi, shape).reshape(-1, self.n_in)
        out = shape[:-1] + (self.n_out,)
        with np.errstate(over="ignore", invalid="ignore"):
            mid = (xl + xh) * 0.5
            rad = np.maximum(_up(xh - mid), _up(mid - xl))
            m = (mid @ self.W).reshape(out)
            q = (rad @ self.absW + self.g * (np.abs(mid) @ self.absW)).reshape(out)
            r = _up(q * self.c1 + self.c2)
            lo, hi = _down(m - r), _up(m + r)
            if bias:
                lo[..., -1, :] = _down(lo[..., -1, :] + self.b)
                hi[..., -1, :] = _up(hi[..., -1, :] + self.b)
        bad = ~(np.isfinite(lo) & np.isfinite(hi))
        if bad.any():
            lo, hi = np.where(bad, -np.inf, lo), np.where(bad, np.inf, hi)
        return Interval(lo, hi)


class _Affine:
    """Activations K + G . h over a batch of boxes, stored as one interval array A (B, n, N + 1, W):
    A[:, :, :N] is G (one row per input coordinate), A[:, :, N] is K."""

    __slots__ = ("A",)

    def __init__(self, A: Interval) -> None:
        self.A = A

    @property
    def K(self) -> Interval:
        return self.A[:, :, -1]

    @property
    def G(self) -> Interval:
        return self.A[:, :, :-1]

    def linear(self, layer: _Linear) -> _Affine:
        return _Affine(layer(self.A))

    def __add__(self, other: _Affine) -> _Affine:
        return _Affine(self.A + other.A)

    def range(self, h: Interval) -> Interval:
        """Enclosure of K + G . h over the box (h: (B, N) intervals).

        |G . h| <= sum_k mag(G_k) mag(h_k); the non-negative sum of N + 1 float terms is within a
        factor (1 - u)^(N + 1) of exact, less (N + 1) eta, so inflating it by 1 + 2^-40 (N <= 12)
        plus 2^-1060 and one upward step bounds it above."""
        mag_h = np.maximum(np.abs(h.lo), np.abs(h.hi))
        with np.errstate(over="ignore", invalid="ignore"):
            t = np.einsum("bjkw,bk->bjw", self.G.mag(), mag_h)
            t = _up(t * (1.0 + 2.0**-40) + 2.0**-1060)
            K = self.K
            return Interval(_down(K.lo - t), _up(K.hi + t))

    def relu(self, h: Interval) -> _Affine:
        z = self.range(h)
        l, u = z.lo, z.hi
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(u <= 0, 0.0, np.where(l >= 0, 1.0, u / (u - l)))
        slope = np.clip(np.nan_to_num(slope, nan=1.0), 0.0, 1.0)
        lam = Interval(slope)
        g_l = Interval(np.maximum(l, 0.0)) - lam * Interval(l)   # g at the endpoints, rounded up
        g_u = Interval(np.maximum(u, 0.0)) - lam * Interval(u)
        e = np.maximum(np.maximum(g_l.hi, g_u.hi), 0.0)
        s = slope[:, :, None, :]  # >= 0: lambda [lo, hi] = [lambda lo, lambda hi]; exact for lambda in {0, 1}
        exact = (s == 0.0) | (s == 1.0)
        lo, hi = self.A.lo * s, self.A.hi * s
        lo, hi = np.where(exact, lo, _down(lo)), np.where(exact, hi, _up(hi))
        hi[:, :, -1] = _up(hi[:, :, -1] + e)  # K gains [0, e]
        return _Affine(Interval(lo, hi))

    def token_mean(self) -> _Affine:
        """(1/n) sum_j over tokens (uniform attention), kept as one token that broadcasts to all."""
        n = self.A.shape[1]
        return _Affine(self.A.sum(1, keepdims=True) / n)


class _Mlp:
    """z + MLP(z @ in) @ out: one ReLU feed-forward block of the network, from its weights."""

    def __init__(self, weights: dict[str, Any], name: str) -> None:
        self.read = _Linear(weights[f"{name}.in"])
        self.layers = []
        k = 0
        while f"{name}.mlp.layer{k}.W" in weights:
            self.layers.append(_Linear(weights[f"{name}.mlp.layer{k}.W"], weights[f"{name}.mlp.layer{k}.b"]))
            k += 1
        if not self.layers:
            raise PolyapproxError(f"block {name!r} has no ReLU MLP weights")
        self.write = _Linear(weights[f"{name}.out"])
        self.widths = [layer.n_out for layer in self.layers]

    def __call__(self, z: _Affine, h: Interval) -> _Affine:
        a = z.linear(self.read)
        for layer in self.layers[:-1]:
            a = a.linear(layer).relu(h)
        return z + a.linear(self.layers[-1]).linear(self.write)


class _NetworkBounder:
    """Rigorous bounds of max_{i,c} |S - T| on batches of boxes (lo, hi) of shape (B, n*d)."""

    def __init__(self, network: Any, sumformer: Any) -> None:
        weights = {key: np.asarray(value, dtype=float) for key, value in network.weights.items()}
        names = [block.name for block in network.blocks]
        if names != ["embed", "ff1", "attn", "ff2", "readout"]:
            raise PolyapproxError(f"expected blocks embed, ff1, attn, ff2, readout; got {names}")
        if np.any(weights["attn.W_K"] != 0):
            raise PolyapproxError("certification needs W_K = 0 (uniform attention weights 1/n); this network has "
                                  "a non-zero W_K")
        self.n, self.d, self.d_out = network.n, network.d, network.d_out
        self.N = self.n * self.d
        self.embed = _Linear(weights["embed.W"])
        self.ff1 = _Mlp(weights, "ff1") if "ff1.in" in weights else None
        if self.ff1 is None and network.layout["phi"].stop > network.layout["phi"].start:
            raise PolyapproxError("ff1 is not a ReLU MLP: certification needs ff='relu'")
        self.value = _Linear(weights["attn.W_V"])
        self.out = _Linear(weights["attn.W_O"])
        self.ff2 = _Mlp(weights, "ff2")
        self.readout = _Linear(weights["readout.W"])
        self.width = max([network.width] + self.ff2.widths + (self.ff1.widths if self.ff1 else []))
        self.shifted = _ShiftedPolynomial(_row_polynomials(sumformer.representation, self.n), self.N)
        slot = self.shifted.beta_slot
        self.grad_slots = np.array([slot[tuple(int(j == k) for j in range(self.N))] for k in range(self.N)])

    def bytes_per_box(self) -> int:
        """Affine-form storage of one box: n tokens x (N + 1) coefficients x width, lo and hi, ~6 live copies."""
        return 6 * 2 * 8 * self.n * (self.N + 1) * self.width

    def network_form(self, lo: np.ndarray, hi: np.ndarray) -> tuple[Interval, Interval, Interval]:
        """K_T (B, n, d_out), G_T (B, n, N, d_out) and h with T(c + h) in K_T + G_T . h; c is returned inside h's caller."""
        B, n, d, N = len(lo), self.n, self.d, self.N
        c = (lo + hi) * 0.5  # a float inside [lo, hi]
        h = Interval(_down(lo - c), _up(hi - c))
        A0 = np.zeros((B, n, N + 1, d))
        A0[:, :, N, :] = c.reshape(B, n, d)
        for j in range(n):
            A0[:, j, j * d:(j + 1) * d, :] = np.eye(d)
        z = _Affine(Interval(A0)).linear(self.embed)
        if self.ff1 is not None:
            z = self.ff1(z, h)
        z = z + z.linear(self.value).token_mean().linear(self.out)
        z = self.ff2(z, h)
        y = z.linear(self.readout)
        return y.K, y.G, h

    def __call__(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        B, n, N, d_out = len(lo), self.n, self.N, self.d_out
        K, G, h = self.network_form(lo, hi)
        c = (lo + hi) * 0.5
        coef = self.shifted(c)  # (B, R, M), rows r = i * d_out + o
        coef_lo, coef_hi = coef.lo.copy(), coef.hi.copy()
        R = n * d_out
        k_T = Interval(K.lo.reshape(B, R, 1), K.hi.reshape(B, R, 1))
        g_T = Interval(np.moveaxis(G.lo, 2, 3).reshape(B, R, N), np.moveaxis(G.hi, 2, 3).reshape(B, R, N))
        for slots, part in ((np.array([0]), k_T), (self.grad_slots, g_T)):
            diff = Interval(coef_lo[:, :, slots], coef_hi[:, :, slots]) - part
            coef_lo[:, :, slots], coef_hi[:, :, slots] = diff.lo, diff.hi
        hm = self.shifted.monomials(h)
        terms = Interval(coef_lo, coef_hi) * Interval(hm.lo[:, None, :], hm.hi[:, None, :])
        return terms.sum(-1).mag().max(axis=1)


def certified_network_error(
    network: Any,
    sumformer: Any,
    *,
    tol: float = 0.5,
    atol: float = 0.0,
    max_boxes: int = 200_000,
    time_limit: float = 60.0,
    seed: int = 0,
    samples: int = 4096,
    batch: int = 1024,
) -> CertifiedResult:
    """Rigorous [lower, upper] for sup_X max_{i,c} |T(X)_ic - S(X)_ic| over [0, 1]^{n x d} (module docstring).

    ``network``: ``transformer.from_sumformer(S, n, ff="relu", m_relu=m)`` (one softmax attention layer
    with W_K = 0, ReLU feed-forward blocks); ``sumformer``: its polynomial Sumformer S. Set beside the
    a-priori bound ``network.error_bound`` = L_psi n eta_1 + eta_2 of the corollary of Alberti et al.
    (2023), which it should not exceed. Stops when upper <= (1 + tol) lower (or <= atol), after
    ``max_boxes`` boxes or ``time_limit`` seconds (then ``reached`` is False and ``upper`` is still
    rigorous). Refuses networks with n*d > 12 or whose per-box storage exceeds 256 MB (``SizeError``).
    Seeded.

    Shapes: ``witness`` is (n, d).

    Notes: the network is the reconstruction of the one-attention-layer corollary; ``target`` in the
    result is "sumformer".

    >>> from constructions import continuous, targets, transformer
    >>> S, _ = continuous.approximate(targets.get("times-mean"), n=2, d=1, degree=2, samples=200)
    >>> T = transformer.from_sumformer(S, 2, ff="relu", m_relu=2)
    >>> r = certified_network_error(T, S, tol=0.5, time_limit=30)
    >>> r.reached, r.lower <= r.upper <= min(1.5 * r.lower, T.error_bound)
    (True, True)
    """
    from ._network import Network
    from .continuous import PolynomialSumformer
    from .verify import _ErrorOracle, _local_maximise, sup_error

    start = time.perf_counter()
    if not isinstance(network, Network) or network.ff != "relu" or network.attention != "softmax":
        raise PolyapproxError("certified_network_error needs a softmax Transformer with ReLU feed-forward blocks "
                              "(transformer.from_sumformer(S, n, ff='relu'))")
    if not isinstance(sumformer, PolynomialSumformer):
        raise PolyapproxError("certified_network_error compares against a continuous polynomial Sumformer; got "
                              f"{type(sumformer).__name__}")
    n, d = network.n, network.d
    if (sumformer.d, sumformer.d_out) != (d, network.d_out) or (sumformer.n not in (None, n)):
        raise PolyapproxError(f"the Sumformer (d={sumformer.d}, d_out={sumformer.d_out}) does not match the network "
                              f"(n={n}, d={d}, d_out={network.d_out})")
    tol, atol, time_limit = float(tol), float(atol), float(time_limit)
    if not (np.isfinite(tol) and tol >= 0 and np.isfinite(atol) and atol >= 0):
        raise PolyapproxError(f"tol and atol must be finite and >= 0; got tol={tol}, atol={atol}")
    if not time_limit > 0:
        raise PolyapproxError(f"time_limit must be > 0 seconds; got {time_limit}")
    max_boxes, batch, samples = check_int("max_boxes", max_boxes), check_int("batch", batch), check_int("samples", samples)
    if n * d > _MAX_VARIABLES:
        raise SizeError(f"certifying a network on n*d = {n * d} variables is refused (limit {_MAX_VARIABLES}): "
                        "the number of boxes grows like 2^(n d)")
    check_float_environment()
    bounder = _NetworkBounder(network, sumformer)
    per_box = bounder.bytes_per_box()
    if per_box > _MEMORY_BUDGET:
        raise SizeError(f"one box needs about {per_box / 2**20:.0f} MB of affine forms (network width "
                        f"{bounder.width}); the limit is {_MEMORY_BUDGET // 2**20} MB")
    batch = max(1, min(batch, _MEMORY_BUDGET // per_box))
    domain = (0.0, 1.0)

    sampled = sup_error(network, sumformer, n, d, domain=domain, samples=samples, local_starts=4,
                        local_maxiter=50, seed=seed, equivariance_trials=0)
    lower, witness = sampled.error, np.asarray(sampled.argmax, dtype=float)

    def centre_errors(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        C = ((lo + hi) * 0.5).reshape(-1, n, d)
        return np.abs(network(C) - sumformer(C)).reshape(len(C), -1).max(axis=1), C

    def refine(point: np.ndarray) -> tuple[float, np.ndarray]:
        return _local_maximise(_ErrorOracle(network, sumformer, n, d, 4096), point, *domain, 50)

    lower, witness, upper, boxes, pending, reached = branch_and_bound(
        bounder, centre_errors, refine, n=n, d=d, domain=domain, lower=lower, witness=witness, tol=tol, atol=atol,
        max_boxes=max_boxes, time_limit=time_limit, batch=batch, start=start)
    return CertifiedResult(lower=lower, witness=np.asarray(witness).reshape(n, d), upper=upper, boxes=boxes,
                           reached=reached, seconds=time.perf_counter() - start, tol=tol, pending=pending,
                           target="sumformer")
