"""Validation of sparsity patterns: a cycle of boolean (n, n) masks (theory/sparse)."""

from __future__ import annotations

import numpy as np

from polyapprox.internal import DomainError, PolyapproxError, ShapeError

Masks = list[np.ndarray]


def as_masks(patterns: object, name: str = "patterns") -> Masks:
    """Return ``patterns`` as a list of p >= 1 boolean (n, n) arrays with one n.

    Accepted: a list/tuple of 2-D masks, a 3-D array (p, n, n), or one 2-D numpy array
    (a cycle of length 1). Entries must be booleans, or integers equal to 0 or 1 (read as
    False/True); floats and other values are refused. ``mask[query, key]`` is True where
    the query token attends to the key token.

    Raises ``ShapeError`` (empty cycle, not 2-D, not square, n = 0, sizes differing within
    the cycle) or ``DomainError`` (entries not boolean / 0-1), listing every bad mask.

    >>> [m.shape for m in as_masks([np.eye(3, dtype=bool), np.ones((3, 3), dtype=int)])]
    [(3, 3), (3, 3)]
    """
    if isinstance(patterns, np.ndarray):
        if patterns.ndim == 2:
            items = [patterns]
        elif patterns.ndim == 3:
            items = list(patterns)
        else:
            raise ShapeError(
                f"{name} must be a (n, n) mask, a (p, n, n) array or a list of (n, n) masks; "
                f"got an array of shape {patterns.shape}"
            )
    elif isinstance(patterns, (list, tuple)):
        items = list(patterns)
    else:
        raise ShapeError(f"{name} must be a list of (n, n) boolean masks; got {type(patterns).__name__}")
    if not items:
        raise ShapeError(f"{name} must contain at least one (n, n) mask; got an empty cycle")
    masks, problems = [], []
    for l, item in enumerate(items):
        try:
            array = np.asarray(item)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            problems.append(f"pattern {l} is not a rectangular array ({exc})")
            continue
        if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
            problems.append(f"pattern {l} must be a square (n, n) mask with n >= 1; got shape {array.shape}")
            continue
        if array.dtype == bool:
            masks.append(array.copy())
        elif np.issubdtype(array.dtype, np.integer):
            bad = (array != 0) & (array != 1)
            if bad.any():
                q, k = (int(i) for i in np.argwhere(bad)[0])
                problems.append(
                    f"pattern {l} must be boolean (or 0/1 integers); got {array[q, k].item()!r} at [{q}, {k}]"
                )
                continue
            masks.append(array.astype(bool))
        else:
            problems.append(f"pattern {l} must be boolean (or 0/1 integers); got dtype {array.dtype}")
    if problems:
        error = DomainError if all("boolean" in p for p in problems) else ShapeError
        raise error(f"{name}: " + "; ".join(problems))
    sizes = [m.shape[0] for m in masks]
    if len(set(sizes)) > 1:
        raise ShapeError(f"{name}: all masks of a cycle must have the same n; got sizes {sizes}")
    return masks


def check_path(path: object, n: int) -> tuple[int, ...]:
    """A user-supplied Hamiltonian path gamma: a permutation of range(n), 0-based.

    >>> check_path([2, 0, 1], 3)
    (2, 0, 1)
    """
    try:
        values = [v for v in path]  # type: ignore[union-attr]
    except TypeError:
        raise ShapeError(f"path must be a sequence of the n = {n} token indices; got {path!r}") from None
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise PolyapproxError(f"path must contain integer token indices; got {values!r}")
    values = [int(v) for v in values]
    if sorted(values) != list(range(n)):
        raise DomainError(f"path must be a permutation of 0..{n - 1}; got {values}")
    return tuple(values)
