"""The coordinate-wise stages of the sparse universal network, composed exactly and decided exactly.

The first stages (input, clip, position, quantisation) act on every residual coordinate alone:
coordinate c of token i after them is a piecewise-linear function P_ic of the input entry x_ic
with rational breakpoints. Run layer by layer in float64, they decide cells wrongly at faces:
the position stage adds an integer (0 + 2 = 2.0 exactly), and the quantiser then compares
2.0 - fl(5/3) with fl(1/3), which rounding may put on the wrong side, so the token lands one
cell low and the later stages turn that into an error of 10^3 to 10^6.

:class:`ExactPrefix` composes the layers into P_ic in exact rationals once, at build time, and
evaluates it on a float x by choosing the piece with comparisons ``x >= float_at_least(r)``
against its breakpoints r: exact for every float (see ``constructions._common.exact_grid``), so the
piece, hence the cell, is the one exact arithmetic finds. Only the value a x + b of the piece
is rounded, and with the piecewise-linear activations every piece is constant (a = 0), so the
value is the exact one, correctly rounded: a face point and the centre of its cube give
bit-identical float inputs to the later stages. The same comparisons are tensor operations, so
the torch module uses them too and tracing keeps them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.internal import PolyapproxError

from .._common.exact_grid import float_at_least

#: The stages the prefix covers, in network order.
PREFIX_STAGES = ("input", "clip", "position", "quantisation")
_ZERO, _ONE = Fraction(0), Fraction(1)

#: pieces of one function on [0, 1]: (start, slope, offset); piece j holds on [start_j, start_{j+1}),
#: the last one up to 1 included
Pieces = list[tuple[Fraction, Fraction, Fraction]]


def _activation_pieces(act: Any) -> tuple[list[Fraction], list[tuple[Fraction, Fraction]], list[bool]]:
    """(breakpoints, (slope, offset) per piece, continuity at each breakpoint) of 'relu' or a PiecewiseLinear."""
    if act == "relu":
        return [_ZERO], [(_ZERO, _ZERO), (_ONE, _ZERO)], [True]
    pieces = [(_ZERO, act.b1), (act.a2, act.b2), (act.a3, act.b3)]
    continuous = [
        act.b1 == act.a2 * act.c1 + act.b2,
        act.a2 * act.c2 + act.b2 == act.a3 * act.c2 + act.b3,
    ]
    return [act.c1, act.c2], pieces, continuous


def _piece_of(h: Fraction, breakpoints: list[Fraction]) -> int:
    """Index of the activation piece holding h (pieces are closed on the left)."""
    return sum(h >= c for c in breakpoints)


def _apply_ff(
    pieces: Pieces, read: list[Fraction], bias: list[Fraction], act: Any, write: list[Fraction], b2
) -> Pieces:
    """z <- z + sum_j write_j act(read_j z + bias_j) + b2 on every piece, splitting where act breaks."""
    breakpoints, act_pieces, continuous = _activation_pieces(act)
    out: Pieces = []
    for m, (start, a, b) in enumerate(pieces):
        last = m == len(pieces) - 1
        end = _ONE if last else pieces[m + 1][0]
        cuts = {start}
        for w, beta0 in zip(read, bias):
            alpha, beta = w * a, w * b + beta0
            if alpha == 0:
                continue
            for c, smooth in zip(breakpoints, continuous):
                x = (c - beta) / alpha
                if start < x < end or (last and start < x <= end):
                    if alpha < 0 and not smooth:  # pragma: no cover - the builder's slopes are >= 0
                        raise PolyapproxError("internal: a decreasing piece meets a jump of the activation")
                    cuts.add(x)
        ordered = sorted(cuts)
        for i, s in enumerate(ordered):
            e = ordered[i + 1] if i + 1 < len(ordered) else end
            sample = (s + e) / 2 if s < e else s  # inside the piece: the left end's activation piece
            slope, offset = a, b + b2
            for w, beta0, out_w in zip(read, bias, write):
                A, B = act_pieces[_piece_of(w * (a * sample + b) + beta0, breakpoints)]
                slope += out_w * A * w * a
                offset += out_w * (A * (w * b + beta0) + B)
            if out and out[-1][1:] == (slope, offset):
                continue  # same affine map as the previous piece: one piece
            out.append((s, slope, offset))
    return out


def _coordinate_of(layer, D: int) -> int:
    """The one residual coordinate a prefix feed-forward layer reads and writes (checked)."""
    rows = {c for c in range(D) if any(layer.W1[c])}
    cols = {c for row in layer.W2 for c in range(D) if row[c]} | {c for c in range(D) if layer.b2[c]}
    if len(rows) != 1 or not cols <= rows:
        raise PolyapproxError(f"internal: layer {layer.name} is not coordinate-wise; the exact prefix needs it")
    return rows.pop()


@dataclass(frozen=True)
class ExactPrefix:
    """P_ic for every token i and coordinate c: ``pieces[i][c]`` lists (start, slope, offset).

    Coordinates c >= d (when d_out > d) do not depend on the input and have one constant piece.
    """

    n: int
    d: int
    D: int
    pieces: tuple[tuple[tuple[tuple[Fraction, Fraction, Fraction], ...], ...], ...]

    @staticmethod
    def of(layers, n: int, d: int, D: int) -> ExactPrefix:
        """Compose the prefix layers (in order) exactly; the other layers are ignored."""
        prefix = [layer for layer in layers if layer.stage in PREFIX_STAGES]
        functions: list[Pieces] = [[(_ZERO, _ONE if c < d else _ZERO, _ZERO)] for c in range(D)]
        per_token: list[list[Pieces]] | None = None
        for layer in prefix:
            if layer.stage == "input":
                identity = [[Fraction(int(r == c)) for c in range(D)] for r in range(d)]
                if [list(row) for row in layer.W] != identity or layer.B:
                    raise PolyapproxError("internal: the input layer is not the embedding x_c -> z_c")
            elif layer.stage == "position":
                identity = [[Fraction(int(r == c)) for c in range(D)] for r in range(D)]
                if [list(row) for row in layer.W] != identity or len(layer.B) != n:
                    raise PolyapproxError("internal: the position layer is not Z + E")
                per_token = [
                    [[(s, a, b + layer.B[i][c]) for s, a, b in functions[c]] for c in range(D)] for i in range(n)
                ]
            else:
                c = _coordinate_of(layer, D)
                read = [layer.W1[c][j] for j in range(layer.width)]
                write = [layer.W2[j][c] for j in range(layer.width)]
                args = (read, list(layer.b1), layer.activation, write, layer.b2[c])
                if per_token is None:
                    functions[c] = _apply_ff(functions[c], *args)
                else:
                    for i in range(n):
                        per_token[i][c] = _apply_ff(per_token[i][c], *args)
        if per_token is None:
            raise PolyapproxError("internal: the network has no position stage")
        return ExactPrefix(n, d, D, tuple(tuple(tuple(p) for p in row) for row in per_token))

    # ------------------------------------------------------------------ evaluation
    def tables(self) -> tuple[np.ndarray, list[list[list[Fraction]]], list[list[list[Fraction]]]]:
        """(thresholds (n, d, m) float64 padded with +inf, slopes and offsets (n, D, m + 1) as Fractions).

        The piece of x_ic is the number of thresholds t <= x_ic; t = float_at_least(start) of every
        piece but the first (x >= 0 on the domain), so the count is exact (module docstring).
        """
        m = max(len(p) for row in self.pieces for p in row) - 1
        thresholds = np.full((self.n, self.d, m), np.inf)
        slopes = [[[_ZERO] * (m + 1) for _ in range(self.D)] for _ in range(self.n)]
        offsets = [[[_ZERO] * (m + 1) for _ in range(self.D)] for _ in range(self.n)]
        for i, row in enumerate(self.pieces):
            for c, pieces in enumerate(row):
                if c >= self.d and len(pieces) != 1:  # pragma: no cover - no layer reads these coordinates
                    raise PolyapproxError("internal: a coordinate without input has several pieces")
                for j, (start, a, b) in enumerate(pieces):
                    if j and c < self.d:
                        thresholds[i, c, j - 1] = float_at_least(start)
                    slopes[i][c][j], offsets[i][c][j] = a, b
                for j in range(len(pieces), m + 1):  # padding: never chosen, repeat the last piece
                    slopes[i][c][j], offsets[i][c][j] = slopes[i][c][j - 1], offsets[i][c][j - 1]
        return thresholds, slopes, offsets

    def evaluate(self, X: np.ndarray, scalar, dtype: type) -> np.ndarray:
        """Z (b, n, D) after the prefix for inputs X (b, n, d) in [0, 1], of ``dtype`` (float or object).

        ``scalar`` converts a Fraction to the backend's number. Float inputs choose their piece by
        the threshold comparisons of :meth:`tables`; Fraction inputs (an object array) by exact
        comparisons with the breakpoints, and their value is computed exactly, then converted.
        """
        X = np.asarray(X)
        b = X.shape[0]
        Z = np.empty((b, self.n, self.D), dtype=dtype)
        if X.dtype == object:
            for index in np.ndindex(b, self.n, self.D):
                _, i, c = index
                pieces = self.pieces[i][c]
                value = Fraction(X[index]) if c < self.d else _ZERO  # pyright: ignore[reportArgumentType, reportCallIssue]  # an object array's entry is a number
                _, a, o = pieces[bisect.bisect_right([p[0] for p in pieces], value) - 1]
                Z[index] = scalar(a * value + o)
            return Z
        X = np.asarray(X, dtype=float)
        thresholds, slopes, offsets = self._cached_tables()
        for i in range(self.n):
            for c in range(self.D):
                if c >= self.d:
                    Z[:, i, c] = scalar(offsets[i][c][0])
                    continue
                x = X[:, i, c]
                index = np.searchsorted(thresholds[i, c], x, side="right")
                a = np.array([scalar(v) for v in slopes[i][c]], dtype=dtype)[index]
                o = np.array([scalar(v) for v in offsets[i][c]], dtype=dtype)[index]
                xs = x if dtype is float else np.array([scalar(Fraction(float(v))) for v in x], dtype=object)
                Z[:, i, c] = a * xs + o  # a = 0 on the constant pieces: the value is o, correctly rounded
        return Z

    def _cached_tables(self):
        cache = self.__dict__.get("_tables")
        if cache is None:
            cache = self.tables()
            object.__setattr__(self, "_tables", cache)
        return cache
