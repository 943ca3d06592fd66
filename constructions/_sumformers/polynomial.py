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
from polyapprox.internal import ModelFileError, PolyapproxError, check_choice

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


#: Which power sums a :class:`PolynomialSumformer` carries: ``"used"`` (the default) those Psi
#: reads, ``"all"`` every power sum of the representation (the width of files written before
#: the choice was recorded).
POWER_SUMS = ("used", "all")


def used_power_sums(rep: EquivariantRepresentation) -> tuple[int, ...]:
    """Positions j in ``rep.indices`` of the power sums Psi reads: those with a non-zero exponent in a term of Psi.

    Psi(y, s) does not depend on the other power sums (each of its terms has exponent 0 there),
    so a Sumformer carrying only these computes the same function; for a fit of degree D they
    are among the p_alpha with |alpha| <= D, however large n is.

    >>> from polyapprox import represent_equivariant
    >>> rep = represent_equivariant("x1_1 * x2_1", 2, 1)       # F_i = x_1 x_2 = (p_1^2 - p_2) / 2
    >>> rep.indices, used_power_sums(rep)
    (((1,), (2,)), (0, 1))
    """
    return tuple(sorted({j for terms in rep.coefficients() for _, m in terms for j, mj in enumerate(m) if mj}))


def psi_table(
    rep: EquivariantRepresentation, slots: tuple[int, ...] | None = None
) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """(exponents e_t over (y, s), float64 C of shape (terms, d_out)) with Psi_o = sum_t C[t, o] (y, s)^{e_t}.

    ``slots`` (default every power sum) are the positions in ``rep.indices`` of the power sums s
    ranges over; every exponent of Psi must be 0 on the others (:func:`used_power_sums`). The
    exponents are sorted; leaving out coordinates that are 0 in every exponent keeps their order,
    so C is the same for every ``slots``. A zero Psi gets the single constant exponent and a zero
    row, so every evaluator (numpy, ReLU, torch, model files) reads the same table.
    """
    d = rep.d
    slots = tuple(range(rep.latent_dim)) if slots is None else tuple(slots)
    per_output = rep.coefficients()
    full = sorted({beta + m for terms in per_output for beta, m in terms}) or [(0,) * (d + rep.latent_dim)]
    kept = set(slots)
    if any(e[d + j] for e in full for j in range(rep.latent_dim) if j not in kept):
        raise PolyapproxError("internal: Psi reads a power sum the table leaves out")
    exponents = [e[:d] + tuple(e[d + j] for j in slots) for e in full]
    slot = {e: j for j, e in enumerate(full)}
    C = np.zeros((len(full), rep.d_out))
    for out, terms in enumerate(per_output):
        for (beta, m), c in terms.items():
            try:
                C[slot[beta + m], out] = float(c)
            except OverflowError:
                raise PolyapproxError(f"Psi coefficient of {beta + m} is too large for float64 (non-finite)") from None
    return exponents, C


def _compile_psi(
    rep: EquivariantRepresentation, slots: tuple[int, ...]
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """psi(y, s) = Psi(y, s) evaluated from the exact coefficients (as float64), no sympy at call time.

    s holds the power sums at ``slots`` of ``rep.indices`` only (the ones Psi reads or more).
    """
    exponents, C = psi_table(rep, slots)
    evaluator = _PolynomialEvaluator(exponents, C, rep.d + len(slots))

    def psi(y: np.ndarray, s: np.ndarray) -> np.ndarray:
        return evaluator(np.concatenate([y, s], axis=1))

    return psi


def _power_sum_name(alpha: tuple[int, ...]) -> str:
    return f"p_({', '.join(str(a) for a in alpha)})"


class PolynomialSumformer(Sumformer):
    """A Sumformer whose phi are the power-sum monomials and psi an exact polynomial Psi.

    S(X)_i = Psi(x_i, P(X)) (theory/representation, Theorem; section 5). ``representation``
    holds the exact Psi over all power sums p_alpha of ``representation.indices``; the Sumformer
    carries only those Psi reads (a non-zero exponent in one of its terms, :func:`used_power_sums`):
    ``indices`` are their alphas (latent dimension d' = len(indices)), ``slots`` their positions
    in ``representation.indices``. Psi does not depend on the others, so the function is the same;
    a fit of degree D reads only power sums of degree <= D, so its width does not grow with n.
    Inputs must have exactly ``n`` tokens.

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
    power_sums : str, default 'used'
        ``"used"``: carry the power sums Psi reads; ``"all"``: carry every power sum of the
        representation (the wider form model files written before this choice was recorded hold).

    Examples
    --------
    >>> import numpy as np
    >>> from polyapprox import represent_equivariant
    >>> S = PolynomialSumformer(represent_equivariant("x1_1 * x2_1", 2, 1))
    >>> S.latent_dim, S(np.array([[0.5], [0.25]])).tolist()     # F_i = x_1 x_2
    (2, [[0.125], [0.125]])
    >>> S = PolynomialSumformer(represent_equivariant("x1_1 + x2_1 + x3_1", 3, 1))
    >>> S.indices, S.representation.indices                       # Psi = p_1 reads one of three
    (((1,),), ((1,), (2,), (3,)))
    """

    n: int  # always given: the representation fixes the number of tokens
    domain: Domain  # always given (default (0, 1))
    kind = "continuous"

    def __init__(
        self,
        representation: EquivariantRepresentation,
        *,
        domain: Domain = (0.0, 1.0),
        description: str = "",
        power_sums: str = "used",
    ) -> None:
        if not isinstance(representation, EquivariantRepresentation):
            raise PolyapproxError(
                f"representation must be a polyapprox.EquivariantRepresentation; got {type(representation).__name__}"
            )
        rep = representation
        self.power_sums = check_choice("power_sums", power_sums, POWER_SUMS)
        slots = used_power_sums(rep) if self.power_sums == "used" else tuple(range(rep.latent_dim))
        indices = tuple(rep.indices[j] for j in slots)
        if indices:
            features = MonomialFeatures(indices)
            phi = features
        else:  # Psi reads no power sum (or n = 1, refined: there are none)
            phi = lambda x: np.zeros((len(x), 0))
        super().__init__(
            phi,
            _compile_psi(rep, slots),
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
        self.slots = slots
        self.indices = indices
        self.target: Callable[[np.ndarray], np.ndarray] | None = (
            None  # the target a fit approximates (set by approximate; model files record it)
        )

    def psi_table(self) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """(exponents over (y, carried power sums), C): psi(y, s) = sum_t C[t] (y, s)^{e_t} (:func:`psi_table`).

        Shapes: exponents T tuples of length d + d'; C (T, d_out).
        """
        return psi_table(self.representation, self.slots)

    def carried(self) -> str:
        """Which power sums S carries, in words: "carries 2 of the 4 power sums of degree <= n: p_(1), p_(2)"."""
        rep = self.representation
        degree = "n" if rep.n == rep.K else "n - 1"
        shown = ", ".join(_power_sum_name(a) for a in self.indices[:12])
        more = f", ... ({len(self.indices) - 12} more)" if len(self.indices) > 12 else ""
        which = "those Psi reads" if self.power_sums == "used" else "all"
        return f"carries {len(self.indices)} of the {rep.latent_dim} power sums of degree <= {degree} ({which})" + (
            f": {shown}{more}" if self.indices else ""
        )

    def describe(self) -> str:
        """Kind, sizes, the power sums carried, phi and psi in words, and the error bound."""
        lines = super().describe().split("\n")
        return "\n".join([lines[0], self.carried(), *lines[1:]])

    @property
    def error_bound(self) -> float | None:
        """0 (up to float64 rounding) vs the represented polynomial; None for a least-squares fit.

        A fit (``target`` set) realises its own polynomial exactly, but nothing proves how far
        that is from the target: ``constructions.verify`` measures or certifies it.
        """
        return 0.0 if self.target is None else None

    def _error_bound_why(self) -> str:
        return "a least-squares fit: no a-priori bound vs its target (verify measures or certifies it)"


def from_representation(
    rep: EquivariantRepresentation, *, domain: Domain = (0.0, 1.0), power_sums: str = "all"
) -> PolynomialSumformer:
    """The Sumformer of an exact representation: phi = the power sums of ``rep.indices``, psi = ``rep.Psi``.

    theory/representation Theorem: S(X)_i = Psi(x_i, P(X)) equals F_i(X) exactly; numerically up to
    float64 rounding. psi is evaluated from the exact coefficients, vectorised over all tokens.
    By default phi is the whole power-sum feature map of ``rep.indices`` (latent dimension
    ``rep.latent_dim``); ``power_sums="used"`` carries only those Psi reads, the same function
    with a width that does not grow with n (``describe()`` lists the power sums carried; a
    least-squares fit, :func:`approximate`, carries only those).

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    rep : EquivariantRepresentation
        The exact representation.
    domain : tuple of float, default (0.0, 1.0)
        Box [lo, hi] of every coordinate.
    power_sums : {"all", "used"}, default "all"
        Carry every power sum of ``rep.indices``, or only those Psi reads.

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
    >>> S.latent_dim, from_representation(S.representation, power_sums="used").latent_dim
    (2, 1)
    """
    return PolynomialSumformer(rep, domain=domain, power_sums=power_sums)


# ---------------------------------------------------------------------------------------------
# the continuous model kind's codec (registered with its torch module by constructions._networks.sumformer_kinds)


def sumformer_part(S: PolynomialSumformer) -> tuple[dict, dict[str, np.ndarray]]:
    """The exact description of S (Psi as rationals, the domain, the power sums carried) and psi's coefficients.

    ``psi.coefficients`` is the same matrix whichever power sums S carries (:func:`psi_table`).
    """
    if S.domain is None:
        raise ModelFileError("a continuous model needs its domain [lo, hi] to be saved; this one has none")
    return (
        {
            "representation": S.representation.to_dict(),
            "domain": [float(v) for v in S.domain],
            "power_sums": S.power_sums,
        },
        {"psi.coefficients": S.psi_table()[1]},
    )


def sumformer_from(params: Any, path: str) -> PolynomialSumformer:
    """The Sumformer of an exact description written by :func:`sumformer_part` (validated).

    A description without ``power_sums`` was written before the choice was recorded, when every
    Sumformer carried all power sums: it is rebuilt with ``power_sums="all"``, as it was saved.
    """
    if not isinstance(params, dict) or not {"representation", "domain"} <= set(params) <= {
        "representation",
        "domain",
        "power_sums",
    }:
        raise ModelFileError(
            f"{path!r}: the Sumformer needs exactly 'representation', 'domain' and (optional) 'power_sums'"
        )
    domain = params["domain"]
    if (
        not isinstance(domain, list)
        or len(domain) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in domain)
    ):
        raise ModelFileError(f"{path!r}: domain must be [lo, hi] with finite numbers; got {domain!r:.60}")
    power_sums = params.get("power_sums", "all")
    if power_sums not in POWER_SUMS:
        raise ModelFileError(f"{path!r}: power_sums must be one of {', '.join(POWER_SUMS)}; got {power_sums!r:.40}")
    rep = EquivariantRepresentation.from_dict(params["representation"])
    return PolynomialSumformer(rep, domain=(float(domain[0]), float(domain[1])), power_sums=power_sums)


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
