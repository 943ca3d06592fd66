"""Implementation of :mod:`constructions.sparse.patterns` (private; import from there)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from polyapprox.internal import DomainError, ShapeError, check_choice, check_int, check_size

from ._masks import as_masks

#: Largest n * n a dense pattern mask may have (the masks are n x n booleans, with int64 temporaries).
MAX_MASK_ENTRIES = 25_000_000


def _check_mask_size(n: int) -> None:
    check_size(f"a dense {n:,} x {n:,} attention mask", n * n, limit=MAX_MASK_ENTRIES)


def _band(n: int, half: int) -> np.ndarray:
    _check_mask_size(n)
    idx = np.arange(n)
    return np.abs(idx[:, None] - idx[None, :]) <= half


def dense(n: int) -> list[np.ndarray]:
    """Dense attention A_k = [n] (theory/sparse): p = 1, s = 1, n^2 connections.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> dense(3)[0].sum()
    np.int64(9)
    """
    n = check_int("n", n)
    _check_mask_size(n)
    return [np.ones((n, n), dtype=bool)]


def tridiagonal(n: int) -> list[np.ndarray]:
    """Tridiagonal pattern A_k = {k-1, k, k+1} clipped to [0, n) (theory/sparse).

    p = 1, s = n-1, 3n-2 connections.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> tridiagonal(4)[0].astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 1, 0],
           [0, 1, 1, 1],
           [0, 0, 1, 1]])
    """
    n = check_int("n", n)
    _check_mask_size(n)
    return [_band(n, 1)]


def sliding_window(n: int, w: int) -> list[np.ndarray]:
    """Window w: A_k = {k - floor(w/2), ..., k + floor(w/2)} clipped (theory/sparse).

    p = 1, s = ceil((n-1)/floor(w/2)); w = 2, 3 give the tridiagonal pattern.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    w : int
        Window width, >= 2.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> sliding_window(16, 5)[0].sum()
    np.int64(74)
    """
    n = check_int("n", n)
    _check_mask_size(n)
    w = check_int("w", w, minimum=2)
    return [_band(n, w // 2)]


def star(n: int, ring: bool = False) -> list[np.ndarray]:
    """STAR with relay token n-1 (theory/sparse): A_k = {k-1, k, k+1, n-1} for k < n-1, A_{n-1} = [n].

    p = 1; s = 1 for n <= 3 (every token is a neighbour or the relay) and s = 2 for n >= 4 (ring:
    s = 1 up to n = 4, s = 2 from n = 5); 5n - 6 connections (ring: 5n - 4 for n >= 4).

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    ring : bool, default False
        Take the neighbours k +- 1 modulo n-1 (a ring over tokens 0..n-2).

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> star(4)[0].astype(int)
    array([[1, 1, 0, 1],
           [1, 1, 1, 1],
           [0, 1, 1, 1],
           [1, 1, 1, 1]])
    """
    n = check_int("n", n)
    _check_mask_size(n)
    mask = np.zeros((n, n), dtype=bool)
    m = n - 1  # tokens 0..m-1 form the line/ring, m is the relay
    for k in range(m):
        for j in (k - 1, k, k + 1):
            if ring and m > 0:
                mask[k, j % m] = True
            elif 0 <= j < m:
                mask[k, j] = True
    mask[:, n - 1] = True
    mask[n - 1, :] = True
    return [mask]


def strided(n: int, w: int) -> list[np.ndarray]:
    """STRIDED w (theory/sparse): pattern 1 = window w, pattern 2 = {j : j = k mod w}; p = 2.

    O(n^1.5) connections for w close to sqrt(n).

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    w : int
        Window width and stride.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> [m.sum() for m in strided(4, 2)]
    [np.int64(10), np.int64(8)]
    """
    n = check_int("n", n)
    _check_mask_size(n)
    w = check_int("w", w, minimum=2)
    idx = np.arange(n)
    return [_band(n, w // 2), (idx[:, None] % w) == (idx[None, :] % w)]


def fixed(n: int, w: int) -> list[np.ndarray]:
    """FIXED w (theory/sparse): own block, then the blocks' summary tokens; p = 2.

    Pattern 1 = own block {j : floor(j/w) = floor(k/w)}, pattern 2 = {j : j mod w = w-1} union {k}.

    If w does not divide n, the last partial block has no summary token and Assumption 1
    fails (condition 3, connectivity); the masks are still returned so the checker can say so.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    w : int
        Block width.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> [m.sum() for m in fixed(16, 4)], [m.sum() for m in fixed(16, 5)]
    ([np.int64(64), np.int64(76)], [np.int64(76), np.int64(61)])
    """
    n = check_int("n", n)
    _check_mask_size(n)
    w = check_int("w", w)
    idx = np.arange(n)
    block = (idx[:, None] // w) == (idx[None, :] // w)
    summary = np.broadcast_to(idx[None, :] % w == w - 1, (n, n)) | np.eye(n, dtype=bool)
    return [block, summary.copy()]


def longformer(n: int, w: int, global_tokens: Iterable[int] = (0,)) -> list[np.ndarray]:
    """Longformer-type (theory/sparse): window w plus global tokens G (attend to all, attended by all).

    p = 1, s = 2 if G is not empty.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    w : int
        Window width.
    global_tokens : iterable of int, default (0,)
        The global tokens G.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> longformer(16, 5, [0])[0].sum()
    np.int64(100)
    """
    n = check_int("n", n)
    _check_mask_size(n)
    (mask,) = sliding_window(n, w)
    G = sorted({check_int("global token", g, minimum=0) for g in global_tokens})
    if G and G[-1] >= n:
        raise DomainError(f"global tokens must lie in 0..{n - 1}; got {G}")
    mask[G, :] = True
    mask[:, G] = True
    return [mask]


def bigbird(n: int, w: int, r: int, g: int, seed: int | np.random.Generator = 0) -> list[np.ndarray]:
    """BigBird-type (theory/sparse): window w, r random keys per query, global tokens 0..g-1; p = 1.

    The r random keys of each query are drawn without replacement from the keys it does not
    already attend to (window and global), with ``numpy.random.default_rng(seed)``; fewer if
    fewer remain. s = 2 if g >= 1. The connection count depends on the seed.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    n : int
        Number of tokens n.
    w : int
        Window width.
    r : int
        Random keys per query.
    g : int
        Global tokens 0..g-1.
    seed : int or numpy.random.Generator, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> int(bigbird(16, 3, 2, 1, seed=0)[0].sum()) == int(bigbird(16, 3, 2, 1, seed=0)[0].sum())
    True
    """
    n = check_int("n", n)
    _check_mask_size(n)
    r = check_int("r", r, minimum=0)
    g = check_int("g", g, minimum=0)
    if g > n:
        raise DomainError(f"g (global tokens) must be <= n = {n}; got {g}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_int("seed", seed, 0))
    (mask,) = longformer(n, w, range(g))
    for k in range(n):
        free = np.flatnonzero(~mask[k])
        if free.size and r:
            mask[k, rng.choice(free, size=min(r, free.size), replace=False)] = True
    return [mask]


def from_masks(masks: object) -> list[np.ndarray]:
    """A user pattern cycle from masks (list of (n, n) boolean or 0/1 arrays, or a (p, n, n) array).

    Validated by the same rules as :func:`check_assumption` (square, boolean, one n).

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    masks : array_like or list of array_like
        (n, n) boolean or 0/1 arrays, or one (p, n, n) array.

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> len(from_masks([np.eye(3, dtype=bool)] * 2))
    2
    """
    return as_masks(masks, "masks")


def _is_scalar(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def from_adjacency(lists: object, n: int | None = None) -> list[np.ndarray]:
    """A user pattern from adjacency lists: ``lists[k]`` are the keys attended by query k.

    Self-loops are NOT added: list them.

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    lists : sequence or dict
        One pattern (a sequence over queries, or a dict query -> keys) or a cycle of such
        patterns (a sequence of them).
    n : int or None, default None
        Number of tokens n; default the number of queries (for dicts, one more than the largest
        index).

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> from_adjacency([[0, 1], [0, 1], [1, 2, 3], [2, 3]])[0].sum()   # theory/sparse negative example
    np.int64(9)
    """
    if isinstance(lists, Mapping) or (
        isinstance(lists, Sequence)
        and lists
        and all(
            isinstance(row, Mapping)
            or (
                isinstance(row, (Sequence, set, frozenset))
                and not isinstance(row, str)
                and all(_is_scalar(v) for v in row)
            )
            for row in lists
        )
    ):
        cycle = [lists]
    elif isinstance(lists, Sequence) and not isinstance(lists, str) and lists:
        cycle = list(lists)
    else:
        raise ShapeError(f"lists must be adjacency lists (lists[k] = keys of query k) or a list of them; got {lists!r}")
    return [_one_adjacency(pattern, n, l) for l, pattern in enumerate(cycle)]


def _one_adjacency(pattern: object, n: int | None, l: int) -> np.ndarray:
    if isinstance(pattern, Mapping):
        items = list(pattern.items())
    elif isinstance(pattern, Sequence) and not isinstance(pattern, str):
        items = list(enumerate(pattern))
    else:
        raise ShapeError(f"pattern {l}: adjacency must be a list or dict of key lists; got {pattern!r}")
    for q, keys in items:
        if (
            not _is_scalar(q)
            or not isinstance(keys, (Sequence, set, frozenset))
            or isinstance(keys, str)
            or not all(_is_scalar(k) for k in keys)
        ):
            raise ShapeError(f"pattern {l}: query {q!r} must map to a list of integer keys; got {keys!r}")
    if n is None:
        if isinstance(pattern, Mapping):
            n = 1 + max([int(q) for q, _ in items] + [int(k) for _, keys in items for k in keys], default=-1)
        else:
            n = len(items)
    n = check_int("n", n)
    _check_mask_size(n)
    if not isinstance(pattern, Mapping) and len(items) != n:
        raise ShapeError(f"pattern {l}: expected adjacency lists for n = {n} queries; got {len(items)}")
    mask = np.zeros((n, n), dtype=bool)
    for q, keys in items:
        bad = [int(v) for v in [q, *keys] if not 0 <= int(v) < n]
        if bad:
            raise DomainError(f"pattern {l}: token indices must lie in 0..{n - 1}; got {bad} (query {q})")
        mask[int(q), [int(k) for k in keys]] = True
    return mask


#: Pattern names accepted by :func:`by_name` (and the CLI), with their parameters.
NAMES = {
    "dense": (),
    "tridiagonal": (),
    "window": ("window",),
    "star": ("ring",),
    "strided": ("stride",),
    "fixed": ("block",),
    "longformer": ("window", "global_tokens"),
    "bigbird": ("window", "random", "global_", "seed"),
}


def by_name(
    name: str,
    n: int,
    *,
    window: int = 3,
    stride: int | None = None,
    block: int | None = None,
    random: int = 2,
    global_: int = 1,
    global_tokens: Iterable[int] | None = None,
    ring: bool = False,
    seed: int = 0,
) -> list[np.ndarray]:
    """The pattern called ``name`` (see :data:`NAMES`) with keyword parameters.

    Defaults: stride and block round(sqrt(n)) (at least 2 / 1), window 3, random 2, one
    global token (token 0).

    Shapes: a list of p boolean masks, each (n, n).

    Parameters
    ----------
    name : str
        A name of :data:`NAMES`.
    n : int
        Number of tokens n.
    window : int, default 3
        Window width.
    stride : int or None, default None
        Stride of ``"strided"``; default round(sqrt(n)), at least 2.
    block : int or None, default None
        Block width of ``"fixed"``; default round(sqrt(n)).
    random : int, default 2
        Random keys per query (``"bigbird"``).
    global_ : int, default 1
        Number of global tokens (``"bigbird"``).
    global_tokens : iterable of int or None, default None
        Global tokens of ``"longformer"``; default (0,).
    ring : bool, default False
        Ring neighbours for ``"star"``.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    list of numpy.ndarray
        One boolean (n, n) mask ``mask[query, key]`` per pattern of the cycle.

    Examples
    --------
    >>> len(by_name("strided", 64, stride=8))
    2
    """
    check_choice("pattern", name, NAMES)
    n = check_int("n", n)
    _check_mask_size(n)  # before any mask is allocated
    root = max(2, round(n**0.5))
    if name == "dense":
        return dense(n)
    if name == "tridiagonal":
        return tridiagonal(n)
    if name == "window":
        return sliding_window(n, window)
    if name == "star":
        return star(n, ring=ring)
    if name == "strided":
        return strided(n, root if stride is None else stride)
    if name == "fixed":
        return fixed(n, root if block is None else block)
    if name == "longformer":
        return longformer(n, window, range(global_) if global_tokens is None else global_tokens)
    return bigbird(n, window, random, global_, seed=seed)
