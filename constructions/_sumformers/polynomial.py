"""The polynomial Sumformer: phi = power-sum monomials, psi = an exact polynomial Psi, evaluated vectorised.

S(X)_i = Psi(x_i, P_{<=K}(X)) (exact Sumformer form of equivariant polynomials, Alberti et al.
2023). psi is compiled once from the exact rational coefficients to float64 monomial features,
so evaluation never touches sympy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from polyapprox import EquivariantRepresentation
from polyapprox.internal import ModelFileError, PolyapproxError

from .._common.protocol import Encoded
from .._common.validate import Domain
from .features import MonomialFeatures
from .sumformer import Sumformer


class _PolynomialEvaluator:
    """Vectorised evaluation of sum_t c_t z^{e_t} (one column per output) on rows z of shape (m, v)."""

    def __init__(self, exponents: list[tuple[int, ...]], coefficients: np.ndarray, width: int) -> None:
        self.width = width
        constant = [j for j, e in enumerate(exponents) if sum(e) == 0]
        varying = [j for j, e in enumerate(exponents) if sum(e) > 0]
        self.constant = coefficients[constant].sum(axis=0) if constant else np.zeros(coefficients.shape[1])
        self.features = MonomialFeatures([exponents[j] for j in varying]) if varying else None
        self.matrix = coefficients[varying]

    #: Rows evaluated at once: the monomial features of a chunk stay below about 64 MB.
    CHUNK_BYTES = 64e6

    def __call__(self, z: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(self.constant, (len(z), len(self.constant))).copy()
        if self.features is not None:
            chunk = max(1, int(self.CHUNK_BYTES / 8 / max(len(self.features), 1)))
            for start in range(0, len(z), chunk):
                out[start : start + chunk] += self.features(z[start : start + chunk]) @ self.matrix
        return out


def psi_table(rep: EquivariantRepresentation) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """(exponents e_t over (y, s), float64 C of shape (terms, d_out)) with Psi_o = sum_t C[t, o] (y, s)^{e_t}.

    The exponents are sorted; a zero Psi gets the single constant exponent and a zero row, so
    every evaluator (numpy, ReLU, torch, model files) reads the same table.
    """
    per_output = rep.coefficients()
    exponents = sorted({beta + m for terms in per_output for beta, m in terms}) or [(0,) * (rep.d + rep.latent_dim)]
    slot = {e: j for j, e in enumerate(exponents)}
    C = np.zeros((len(exponents), rep.d_out))
    for out, terms in enumerate(per_output):
        for (beta, m), c in terms.items():
            try:
                C[slot[beta + m], out] = float(c)
            except OverflowError:
                raise PolyapproxError(f"Psi coefficient of {beta + m} is too large for float64 (non-finite)") from None
    return exponents, C


def _compile_psi(rep: EquivariantRepresentation) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """psi(y, s) = Psi(y, s) evaluated from the exact coefficients (as float64), no sympy at call time."""
    exponents, C = psi_table(rep)
    evaluator = _PolynomialEvaluator(exponents, C, rep.d + rep.latent_dim)

    def psi(y: np.ndarray, s: np.ndarray) -> np.ndarray:
        return evaluator(np.concatenate([y, s], axis=1))

    return psi


class PolynomialSumformer(Sumformer):
    """A Sumformer whose phi are the power-sum monomials and psi an exact polynomial Psi.

    S(X)_i = Psi(x_i, P_{<=K}(X)) (theory/representation, Theorem; section 5); ``indices`` are
    the power-sum alphas (latent dimension d' = len(indices)). Inputs must have exactly ``n``
    tokens.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    representation : EquivariantRepresentation
        The exact representation.
    domain : tuple of float, default (0.0, 1.0)
        Box [lo, hi] every coordinate must lie in (pass ``extrapolate=True`` to a call to
        evaluate outside it).
    description : str, default ''
        A one-line description shown by ``repr``.

    Examples
    --------
    >>> import numpy as np
    >>> from polyapprox import represent_equivariant
    >>> S = PolynomialSumformer(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> S.latent_dim, S(np.array([[0.5], [0.25]])).tolist()     # F_i = x_1 x_2
    (2, [[0.125], [0.125]])
    """

    n: int  # always given: the representation fixes the number of tokens
    domain: Domain  # always given (default (0, 1))
    kind = "continuous"

    def __init__(
        self, representation: EquivariantRepresentation, *, domain: Domain = (0.0, 1.0), description: str = ""
    ) -> None:
        if not isinstance(representation, EquivariantRepresentation):
            raise PolyapproxError(
                f"representation must be a polyapprox.EquivariantRepresentation; got {type(representation).__name__}"
            )
        rep = representation
        indices = tuple(rep.indices)
        if indices:
            features = MonomialFeatures(indices)
            phi = features
        else:  # n = 1, refined: no power sums at all
            phi = lambda x: np.zeros((len(x), 0))
        super().__init__(
            phi,
            _compile_psi(rep),
            len(indices),
            rep.d,
            rep.d_out,
            n=rep.n,
            domain=domain,
            description=description
            or f"phi = power sums |alpha| <= {rep.K}, psi = exact Psi "
            f"({sum(len(t) for t in rep.coefficients())} terms)",
        )
        self.representation = rep
        self.indices = indices
        self.target: Callable[[np.ndarray], np.ndarray] | None = (
            None  # the target a fit approximates (set by approximate; model files record it)
        )

    @property
    def error_bound(self) -> float | None:
        """0 (up to float64 rounding) vs the represented polynomial; None for a least-squares fit.

        A fit (``target`` set) realises its own polynomial exactly, but nothing proves how far
        that is from the target: ``constructions.verify`` measures or certifies it.
        """
        return 0.0 if self.target is None else None

    def _error_bound_why(self) -> str:
        return "a least-squares fit: no a-priori bound vs its target (verify measures or certifies it)"


def from_representation(rep: EquivariantRepresentation, *, domain: Domain = (0.0, 1.0)) -> PolynomialSumformer:
    """The Sumformer of an exact representation: phi = power sums of ``rep.indices``, psi = ``rep.Psi``.

    theory/representation Theorem: S(X)_i = Psi(x_i, P(X)) equals F_i(X) exactly; numerically up to
    float64 rounding. psi is evaluated from the exact coefficients, vectorised over all tokens.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    rep : EquivariantRepresentation
        The exact representation.
    domain : tuple of float, default (0.0, 1.0)
        Box [lo, hi] of every coordinate.

    Returns
    -------
    PolynomialSumformer
        S with S(X)_i = Psi(x_i, P(X)), exactly the represented F up to rounding.

    Examples
    --------
    >>> from polyapprox import represent_equivariant, sequence_symbols
    >>> X = sequence_symbols(2, 1)
    >>> S = from_representation(represent_equivariant(X.applyfunc(lambda xi: xi * sum(X)), 2, 1))
    >>> S(np.array([[0.5], [0.25]]))        # F_i = x_i (x_1 + x_2)
    array([[0.375 ],
           [0.1875]])
    """
    return PolynomialSumformer(rep, domain=domain)


# ---------------------------------------------------------------------------------------------
# the continuous model kind's codec (registered with its torch module by constructions._networks.sumformer_kinds)


def sumformer_part(S: PolynomialSumformer) -> tuple[dict, dict[str, np.ndarray]]:
    """The exact description of S (Psi as rationals, the domain) and psi's float64 coefficient matrix."""
    if S.domain is None:
        raise ModelFileError("a continuous model needs its domain [lo, hi] to be saved; this one has none")
    return (
        {"representation": S.representation.to_dict(), "domain": [float(v) for v in S.domain]},
        {"psi.coefficients": psi_table(S.representation)[1]},
    )


def sumformer_from(params: Any, path: str) -> PolynomialSumformer:
    """The Sumformer of an exact description written by :func:`sumformer_part` (validated)."""
    if not isinstance(params, dict) or set(params) != {"representation", "domain"}:
        raise ModelFileError(f"{path!r}: the Sumformer needs exactly 'representation' and 'domain'")
    domain = params["domain"]
    if (
        not isinstance(domain, list)
        or len(domain) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in domain)
    ):
        raise ModelFileError(f"{path!r}: domain must be [lo, hi] with finite numbers; got {domain!r:.60}")
    rep = EquivariantRepresentation.from_dict(params["representation"])
    return PolynomialSumformer(rep, domain=(float(domain[0]), float(domain[1])))


def encode(S: PolynomialSumformer, target: Any) -> Encoded:
    """The continuous kind's file record: the exact description, psi's coefficients, the recorded target."""
    params, tensors = sumformer_part(S)
    return Encoded(params, tensors, target if target is not None else S.target)


def decode(params: dict, tensors: Mapping[str, np.ndarray], target: Any, path: str):
    """The Sumformer of a continuous file record and the arrays a faithful file holds."""
    S = sumformer_from(params, path)
    S.target = target
    return S, sumformer_part(S)[1]


def example_sumformer() -> PolynomialSumformer:
    """A small continuous Sumformer (n = 3, d = 1, d' = 3): the example of the continuous kind."""
    from polyapprox import represent_equivariant

    return PolynomialSumformer(represent_equivariant("x1_1**2 * (x2_1 + x3_1) + x2_1 * x3_1", 3, 1))
