"""The one error tree of polyapprox (STYLE.md section 6).

Every error a user can cause is a :class:`PolyapproxError`, itself a
``ValueError``, whose message says what was wrong and what is allowed.
"""

from __future__ import annotations


class PolyapproxError(ValueError):
    """Base of every polyapprox error."""


class ShapeError(PolyapproxError):
    """An array or matrix has the wrong shape."""


class DomainError(PolyapproxError):
    """An input lies outside the domain of a construction, or is NaN/inf."""


class UnknownNameError(PolyapproxError):
    """A name (construction, target, pattern, section...) is not known."""


class SizeError(PolyapproxError):
    """A request is too large to compute; the message gives the estimated size."""


class ParseError(PolyapproxError):
    """Text could not be read as a polynomial in the allowed variables."""


class NotPolynomialError(PolyapproxError):
    """An expression is not a polynomial in the token variables."""


class NotEquivariantError(PolyapproxError):
    """F(sigma X) != sigma F(X); ``witness`` is the permutation that shows it.

    ``witness`` is a tuple ``sigma`` of 0-based positions, meaning token j moves
    to position ``sigma[j]``; ``detail`` says which output entry differs.
    """

    def __init__(self, witness: tuple[int, ...] | None, detail: str = "") -> None:
        self.witness = witness
        self.detail = detail
        message = f"F(sigma X) != sigma F(X) for sigma={witness}"
        if detail:
            message += f": {detail}"
        super().__init__(message)

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (type(self), (self.witness, self.detail))
