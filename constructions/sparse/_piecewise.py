"""The activations of the universal sparse network (the class Phi of piecewise-linear maps) and its stages."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

STAGES = ("input", "clip", "position", "quantisation", "phase-a", "phase-b", "value", "readout")

_ZERO = Fraction(0)


# ------------------------------------------------------------------ activations


@dataclass(frozen=True)
class PiecewiseLinear:
    """zeta(x) = b1 on (-inf, c1), a2 x + b2 on [c1, c2), a3 x + b3 on [c2, inf): the class Phi.

    >>> phi_Q = PiecewiseLinear.quantiser(Fraction(1, 2))
    >>> [str(v) for v in phi_Q(np.array([Fraction(x, 4) for x in (-1, 0, 1, 2)], dtype=object))]
    ['0', '0', '-1/4', '0']
    """

    c1: Fraction
    c2: Fraction
    b1: Fraction
    a2: Fraction
    b2: Fraction
    a3: Fraction
    b3: Fraction
    name: str = ""

    @staticmethod
    def quantiser(delta: Fraction) -> PiecewiseLinear:
        """phi_Q(t) = -t on [0, delta), 0 elsewhere (floors an entry to the delta-grid)."""
        return PiecewiseLinear(_ZERO, delta, _ZERO, Fraction(-1), _ZERO, _ZERO, _ZERO, "phi_Q")

    @staticmethod
    def indicator(delta: Fraction) -> PiecewiseLinear:
        """phi_V(t) = 1 on [-delta/2, delta/2), 0 elsewhere (selects one code)."""
        return PiecewiseLinear(-delta / 2, delta / 2, _ZERO, _ZERO, Fraction(1), _ZERO, _ZERO, "phi_V")

    def __call__(self, x: Any) -> Any:
        x = np.asarray(x)
        middle, right = (x >= self.c1) & (x < self.c2), x >= self.c2
        out = np.full(x.shape, self.b1, dtype=x.dtype)
        for piece, a, b in ((middle, self.a2, self.b2), (right, self.a3, self.b3)):
            if piece.any():  # constant pieces need no arithmetic
                out[piece] = a * x[piece] + b if a else b
        return out

    def four_relu(self, eps: Fraction) -> tuple[Fraction, tuple[Fraction, ...], tuple[Fraction, ...]]:
        """(b1, offsets, coefficients) of zeta~(x) = b1 + sum_j coef_j ReLU(x + offset_j).

        K1 = (a2 c1 + b2 - b1)/eps, K2 = (a3 c2 + b3 - a2 (c2 - eps) - b2)/eps and
        zeta~(x) = b1 + K1 ReLU(x - c1 + eps) + (a2 - K1) ReLU(x - c1) + (K2 - a2) ReLU(x - c2 + eps)
        + (a3 - K2) ReLU(x - c2), equal to zeta outside [c1 - eps, c1) and [c2 - eps, c2).
        """
        K1 = (self.a2 * self.c1 + self.b2 - self.b1) / eps
        K2 = (self.a3 * self.c2 + self.b3 - self.a2 * (self.c2 - eps) - self.b2) / eps
        offsets = (-self.c1 + eps, -self.c1, -self.c2 + eps, -self.c2)
        coefs = (K1, self.a2 - K1, K2 - self.a2, self.a3 - K2)
        return self.b1, offsets, coefs


RELU = "relu"
