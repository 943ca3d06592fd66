"""The one error tree of polyapprox.

Every error a user can cause is a :class:`PolyapproxError`, itself a
``ValueError``, whose message says what was wrong and what is allowed.
"""

from __future__ import annotations


class PolyapproxError(ValueError):
    """Base of every polyapprox error.

    Examples
    --------
    >>> from polyapprox import latent_dimension
    >>> try:
    ...     latent_dimension(0, 1)
    ... except PolyapproxError as error:
    ...     print(error, isinstance(error, ValueError))
    n must be an integer >= 1; got 0 True
    """


class ShapeError(PolyapproxError):
    """An array or matrix has the wrong shape.

    Examples
    --------
    >>> from polyapprox import represent_equivariant
    >>> try:                                      # two rows or one row with two columns?
    ...     represent_equivariant(["x1_1", "x2_1"], 2, 1)
    ... except ShapeError as error:
    ...     print(str(error)[:37])
    F is a flat list of n = 2 entries: th
    """


class DomainError(PolyapproxError):
    """An input lies outside the domain of a construction, or is NaN/inf.

    Examples
    --------
    >>> issubclass(DomainError, PolyapproxError)
    True
    """


class UnknownNameError(PolyapproxError):
    """A name (construction, target, pattern, section...) is not known.

    Examples
    --------
    >>> from polyapprox import latent_dimension
    >>> try:
    ...     latent_dimension(2, 1, "nope")
    ... except UnknownNameError as error:
    ...     print(error)
    unknown construction 'nope'; allowed: 'continuous', 'continuous-refined', 'discontinuous', 'histogram'
    """


class SizeError(PolyapproxError):
    """A request is too large to compute; the message gives the estimated size.

    Examples
    --------
    >>> from polyapprox import multi_indices
    >>> try:
    ...     multi_indices(60, 60)
    ... except SizeError as error:
    ...     print(error)
    multi_indices(d=60, max_degree=60) would have about 10^35 entries; choose a smaller d or degree
    """


class ParseError(PolyapproxError):
    """Text could not be read as a polynomial in the allowed variables.

    Examples
    --------
    >>> from polyapprox import parse_polynomial
    >>> try:
    ...     parse_polynomial("x1_1 +", 2, 1)
    ... except ParseError as error:
    ...     print(error)
    invalid syntax in '+': invalid syntax
    """


class NotPolynomialError(PolyapproxError):
    """An expression is not a polynomial in the token variables.

    Examples
    --------
    >>> from polyapprox import represent_equivariant
    >>> try:
    ...     represent_equivariant("sin(x1_1)", 2, 1)
    ... except NotPolynomialError as error:
    ...     print(str(error)[:32])
    sin(x1_1) is not a polynomial; f
    """


class NotEquivariantError(PolyapproxError):
    """F(sigma X) != sigma F(X); ``witness`` is the permutation that shows it.

    Parameters
    ----------
    witness : tuple of int or None
        The permutation sigma of 0-based positions (token j moves to position sigma[j]), or None
        when it is not known.
    detail : str, default ''
        Which output entry differs, appended to the message.

    Examples
    --------
    >>> from polyapprox import represent_equivariant
    >>> try:                                      # F_1 = F_2 = x1_1 is not equivariant
    ...     represent_equivariant([["x1_1"], ["x1_1"]], 2, 1)
    ... except NotEquivariantError as error:
    ...     print(error.witness)
    (1, 0)
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


class NotRepresentableError(PolyapproxError):
    """The linear system A c = b of the representation engine is inconsistent.

    The right-hand side is not in the span of the candidate columns; for an equivariant
    (or invariant) polynomial this cannot happen (the generation theorem).

    Examples
    --------
    >>> issubclass(NotRepresentableError, PolyapproxError)
    True
    """


class ModelFileError(PolyapproxError):
    """A model file is unreadable, corrupted, tampered with or inconsistent.

    Raised by ``constructions.load`` and ``constructions.read``; the message names the file
    and what is wrong with it.

    Examples
    --------
    >>> issubclass(ModelFileError, PolyapproxError)
    True
    """


class NotSmoothError(PolyapproxError):
    """A non-smooth operation (max, min, abs at 0, a comparison) was applied to an interval jet.

    Targets built from such operations have a plain interval evaluation only, without
    gradient and Hessian enclosures.

    Examples
    --------
    >>> issubclass(NotSmoothError, PolyapproxError)
    True
    """


class TimeLimitExpired(PolyapproxError):
    """The optional wall-clock ``time_limit`` of a certification ran out while its bounder was built.

    Raised and caught inside the certifier, which then returns the rigorous interval [0, inf]
    (no box bounded); it reaches a caller only as that result.

    Examples
    --------
    >>> issubclass(TimeLimitExpired, PolyapproxError)
    True
    """
