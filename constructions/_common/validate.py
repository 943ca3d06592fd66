"""Checks for numeric sequence inputs: shape (n, d) or (b, n, d), finite, in the domain."""

from __future__ import annotations

import numpy as np

from polyapprox.internal import DomainError, ShapeError, SizeError

Domain = tuple[float, float]
#: Most values (b x n x d) evaluated at once: 2^24 float64 values are 128 MiB, before any model's own
#: intermediates (a multiple of it); a broadcast view of 10^7 or more sequences is refused, not evaluated.
MAX_INPUT_VALUES = 2**24


def real_array(X: object, name: str = "X") -> np.ndarray:
    """X as a plain float64 numpy array, refusing by name what numpy or torch would raise on or misread.

    A torch tensor is detached and copied to the CPU (a tensor that requires grad included); an
    ``np.matrix`` becomes a plain array (its 2-D-only indexing breaks batching); ragged nesting,
    empty batches and more than ``MAX_INPUT_VALUES`` values (e.g. a broadcast view of 10^8
    sequences, which takes no memory until evaluated) are refused.

    >>> real_array([[0.5], [1]]).dtype
    dtype('float64')
    """
    if type(X).__module__.split(".")[0] == "torch" and hasattr(X, "detach"):
        X = X.detach().cpu().numpy()  # pyright: ignore[reportAttributeAccessIssue]  # a torch.Tensor
    if isinstance(X, np.matrix):
        X = np.asarray(X).view(np.ndarray)
    array = _real_array(X, name)
    if array.size > MAX_INPUT_VALUES:
        raise SizeError(
            f"{name} has {array.size:,} values (shape {array.shape}), more than the limit of {MAX_INPUT_VALUES:,} "
            "evaluated at once; evaluate it in chunks"
        )
    if array.ndim == 3 and array.shape[0] == 0:
        raise ShapeError(f"{name} has no sequences (shape {array.shape}); give at least one")
    return array


def _real_array(X: object, name: str) -> np.ndarray:
    """X as a float64 array, refusing what float() would silently change or misread.

    Complex numbers (their imaginary part would be dropped), masked arrays (their mask would be
    ignored), booleans, strings, dates, objects and other non-real dtypes are refused by name.
    """
    if isinstance(X, np.ma.MaskedArray):
        raise ShapeError(
            f"{name} is a masked array; its mask would be ignored: pass X.filled(...) or drop the masked sequences"
        )
    array = X if isinstance(X, np.ndarray) else None
    if array is None:
        try:
            array = np.asarray(X)
        except (TypeError, ValueError) as exc:  # ragged nesting among them
            raise ShapeError(
                f"{name} must be a numeric array of shape (n, d) or (b, n, d); {str(exc).splitlines()[0][:120]}"
            ) from None
    kind = array.dtype.kind
    if kind == "c":
        raise DomainError(f"{name} is complex; the constructions are real (the imaginary part would be lost)")
    if kind not in "iuf":
        described = {
            "b": "booleans",
            "U": "strings",
            "S": "bytes",
            "M": "dates",
            "m": "time deltas",
            "O": "Python objects",
            "V": "raw records",
        }.get(kind, f"dtype {array.dtype}")
        raise ShapeError(f"{name} must hold real numbers (int or float); got {described}")
    return array.astype(float, copy=False)


def as_sequences(
    X: object,
    n: int | None,
    d: int,
    *,
    domain: Domain | None = None,
    extrapolate: bool = False,
    name: str = "X",
) -> tuple[np.ndarray, bool]:
    """Return (X as float (b, n, d) array, whether the input was batched).

    Raises ``ShapeError`` naming expected and got shapes, ``DomainError`` for NaN/inf,
    or for entries outside ``domain`` (a closed box [lo, hi] per coordinate) unless
    ``extrapolate``.

    >>> as_sequences([[0.5, 0.25]], n=1, d=2)[0].shape
    (1, 1, 2)
    """
    array = real_array(X, name)
    expected = f"({'n' if n is None else n}, {d}) or (b, {'n' if n is None else n}, {d})"
    if array.ndim not in (2, 3):
        raise ShapeError(f"{name} must be {expected}; got shape {array.shape}")
    batched = array.ndim == 3
    X3 = array if batched else array[None]
    if X3.shape[-1] != d or (n is not None and X3.shape[-2] != n) or X3.shape[-2] < 1:
        raise ShapeError(f"{name} must be {expected}; got shape {array.shape}")
    if not np.all(np.isfinite(X3)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise DomainError(f"{name} contains NaN or inf (first at index {bad})")
    if domain is not None and not extrapolate:
        lo, hi = domain
        outside = (lo > X3) | (hi < X3)
        if outside.any():
            bad = tuple(int(i) for i in np.argwhere(outside.reshape(array.shape))[0])
            raise DomainError(
                f"{name}{list(bad)} = {array[bad]!r} lies outside the domain [{lo}, {hi}]; "
                "pass extrapolate=True to evaluate outside it"
            )
    return X3, batched
