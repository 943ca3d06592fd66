"""Assumption 1 of theory/sparse: self-loops, a Hamiltonian path, connectivity in s layers.

Reach sets S_k^1 = A_k^1, S_k^t = union_{j in A_k^{l_t}} S_j^{t-1} (block t uses pattern
l_t = ((t-1) mod p) + 1). Two exact algorithms compute them:

* ``"bitset"``: the recursion itself on rows packed into uint64 words
  (cost per layer: connections x n/64 word operations); fast when s is small.
* ``"graph"``: breadth-first distances in the product graph on (token, phase) pairs:
  j in S_k^t iff the distance from (k, t mod p) to (j, 0) is <= t (self-loops let a walk
  wait a whole cycle), so s follows from eccentricities; fast when s is large.

``"auto"`` runs the bitset recursion within a work budget and switches to the graph
method when it is exceeded (e.g. tridiagonal masks at n = 4096, s = 4095).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypedDict

import numpy as np

from polyapprox.internal import DomainError, SizeError, check_choice

from ._masks import as_masks, check_path

#: Largest n for the exhaustive Held-Karp Hamiltonian path search (O(2^n n) vectorised).
HELD_KARP_MAX_N = 20
#: Word operations the bitset recursion may spend in ``method="auto"`` before switching.
BITSET_BUDGET = 250_000_000
_CHUNK_WORDS = 8_000_000  # gathered uint64 words per chunk (64 MB)

METHODS = ("auto", "bitset", "graph")

#: (s or None, connectivity witness or None, reach_sizes) of one reachability algorithm.
_Reach = tuple[int | None, dict[str, int] | None, tuple[int, ...]]


class _Common(TypedDict):
    """Fields of :class:`AssumptionReport` shared by every outcome of one check."""

    p: int
    connections: tuple[int, ...]
    n: int


CONDITIONS = ("self-loops", "hamiltonian-path", "connectivity")


@dataclass(frozen=True)
class AssumptionReport:
    """Result of :func:`check_assumption` (theory/sparse): does Assumption 1 hold, and why not.

    Parameters
    ----------
    holds : bool
        All three conditions hold.
    failed_condition : str or None
        None, or the first failing one: ``"self-loops"``, ``"hamiltonian-path"``, ``"connectivity"``.
    witness : dict or None
        What shows the failure: ``{"token": k, "pattern": l}`` for a missing self-loop;
        ``{"query": k, "key": j}`` for connectivity (output k never depends on token j); for the
        Hamiltonian path, the exhaustive search that found none (and two tokens in different
        components when the union graph is disconnected).
    p : int
        Period of the cycle.
    s : int or None
        Least t with S_k^t = [n] for all k (None if never, or not computed because
        self-loops are missing).
    connections : tuple of int
        ``mask.sum()`` per pattern.
    n : int
        Number of tokens n.
    path : tuple of int or None, default None
        A Hamiltonian path gamma (0-based, gamma[i] attends to gamma[i-1]).
    path_patterns : tuple of int or None, default None
        The (0-based) pattern of each step of ``path``.
    reach_sizes : tuple of int, default ()
        min_k abs(S_k^t) for t = 1, 2, ... (up to s, or until growth stops).
    method : str, default ''
        The reachability algorithm used.

    Examples
    --------
    >>> from constructions.sparse import check_assumption, patterns
    >>> report = check_assumption(patterns.tridiagonal(4))
    >>> report.holds, report.p, report.s, report.reach_sizes
    (True, 1, 3, (2, 3, 4))
    """

    holds: bool
    failed_condition: str | None
    witness: dict | None
    p: int
    s: int | None
    connections: tuple[int, ...]
    n: int
    path: tuple[int, ...] | None = None
    path_patterns: tuple[int, ...] | None = None
    reach_sizes: tuple[int, ...] = ()
    method: str = ""

    def summary(self) -> str:
        """One line: holds/fails, the failing condition and witness, p, s, connections."""
        witness = self.witness
        if isinstance(witness, dict):  # e.g. {"query": 0, "key": 15} -> "query 0, key 15"
            witness = ", ".join(f"{k} {v}" for k, v in witness.items())
        status = "holds" if self.holds else f"fails ({self.failed_condition}: {witness})"
        return (
            f"Assumption 1 {status}; n = {self.n}, p = {self.p}, "
            + (f"s = {self.s}, " if self.s is not None else "s: no finite s (some token never reaches all n), ")
            + f"connections per layer = {list(self.connections)}"
        )

    def to_dict(self) -> dict:
        """JSON-able fields."""
        return asdict(self)


def check_assumption(patterns: object, *, path: object = None, method: str = "auto") -> AssumptionReport:
    """Check Assumption 1 (theory/sparse) for a cycle of masks ``mask[query, key]``.

    Conditions, in order: (1) self-loops k in A_k^l; (2) a Hamiltonian path gamma in the
    union graph (gamma[i-1] in A_{gamma[i]}^l for some l): identity, reverse, a user-given
    ``path``, else Held-Karp for n <= 20; (3) every S_k^s = [n] for a finite s.

    Parameters
    ----------
    patterns : list of array_like
        A cycle of boolean (n, n) masks ``mask[query, key]`` (or one mask).
    path : sequence of int or None, default None
        A Hamiltonian path (0-based) to try before searching.
    method : str, default 'auto'
        Reachability algorithm, one of ``METHODS``; ``"auto"`` picks by a work budget.

    Returns
    -------
    AssumptionReport
        Whether Assumption 1 holds, the failed condition and its witness, p and s.

    Raises
    ------
    ShapeError
        For masks that are not square, boolean, of one n.
    DomainError
        For a ``path`` that is not a Hamiltonian path of the union graph.
    SizeError
        When n > 20, conditions 1 and 3 hold, neither identity nor reverse is a path and no
        ``path`` is given: the checker never reports a failure it has not proven.

    Examples
    --------
    >>> from constructions.sparse import patterns
    >>> r = check_assumption(patterns.strided(16, 4))
    >>> r.holds, r.p, r.s, r.connections
    (True, 2, 3, (74, 64))
    >>> check_assumption(patterns.fixed(16, 5)).failed_condition
    'connectivity'
    """
    masks = as_masks(patterns)
    method = check_choice("method", method, METHODS)
    n, p = masks[0].shape[0], len(masks)
    connections = tuple(int(m.sum()) for m in masks)
    gamma = None if path is None else check_path(path, n)
    common = _Common(p=p, connections=connections, n=n)

    for l, m in enumerate(masks):
        missing = np.flatnonzero(~np.diagonal(m))
        if missing.size:
            return AssumptionReport(False, "self-loops", {"token": int(missing[0]), "pattern": l}, s=None, **common)

    s, witness, reach, used = reach_analysis(masks, method)
    union = np.logical_or.reduce(masks)
    found, ham_witness = _hamiltonian_path(union, gamma)
    if found is None and ham_witness is None:  # undetermined
        if s is None:
            return AssumptionReport(False, "connectivity", witness, s=None, reach_sizes=reach, method=used, **common)
        raise SizeError(
            f"Hamiltonian path undetermined for n = {n}: neither the identity nor the reverse order is a path "
            f"and exhaustive search is limited to n <= {HELD_KARP_MAX_N} (self-loops hold, s = {s}); "
            "supply path=[...] (0-based, each token attends to its predecessor in some pattern)"
        )
    path_patterns = None
    if found is not None:
        path_patterns = tuple(int(np.flatnonzero([m[b, a] for m in masks])[0]) for a, b in zip(found, found[1:]))
    if found is None:
        return AssumptionReport(False, "hamiltonian-path", ham_witness, s=s, reach_sizes=reach, method=used, **common)
    if s is None:
        return AssumptionReport(
            False,
            "connectivity",
            witness,
            s=None,
            path=found,
            path_patterns=path_patterns,
            reach_sizes=reach,
            method=used,
            **common,
        )
    return AssumptionReport(
        True, None, None, s=s, path=found, path_patterns=path_patterns, reach_sizes=reach, method=used, **common
    )


# ---------------------------------------------------------------- Hamiltonian path


def _is_path(union: np.ndarray, gamma: tuple[int, ...]) -> int | None:
    """Index i of the first step gamma[i-1] -> gamma[i] missing from the union graph, or None."""
    g = np.asarray(gamma)
    ok = union[g[1:], g[:-1]]
    return None if ok.all() else int(np.flatnonzero(~ok)[0]) + 1


def _hamiltonian_path(union: np.ndarray, gamma: tuple[int, ...] | None) -> tuple[tuple[int, ...] | None, dict | None]:
    """(path, None) if found; (None, witness) if proven absent; (None, None) if undetermined."""
    n = union.shape[0]
    if gamma is not None:
        bad = _is_path(union, gamma)
        if bad is not None:
            raise DomainError(
                f"path is not a Hamiltonian path of the union graph: token {gamma[bad]} does not "
                f"attend to its predecessor {gamma[bad - 1]} in any pattern (step {bad})"
            )
        return gamma, None
    for candidate in (tuple(range(n)), tuple(range(n - 1, -1, -1))):
        if _is_path(union, candidate) is None:
            return candidate, None
    if n > HELD_KARP_MAX_N:
        return None, None
    found = held_karp_path(union)
    if found is not None:
        return found, None
    witness: dict = {"search": "held-karp", "n": n, "result": "no Hamiltonian path in the union graph"}
    component = _component(union | union.T, 0)
    outside = np.flatnonzero(~component)
    if outside.size:
        witness["disconnected"] = (0, int(outside[0]))
    return None, witness


def _component(sym: np.ndarray, start: int) -> np.ndarray:
    seen = np.zeros(sym.shape[0], dtype=bool)
    seen[start] = True
    frontier = seen.copy()
    while frontier.any():
        frontier = sym[frontier].any(axis=0) & ~seen
        seen |= frontier
    return seen


def held_karp_path(union: np.ndarray) -> tuple[int, ...] | None:
    """Exhaustive Hamiltonian path search (Held-Karp DP over subsets), or None if there is none.

    A step a -> b is allowed when ``union[b, a]`` (b attends to a). ``dp[S]`` is the bitset of
    possible last tokens of a path visiting exactly S; vectorised over all S of one size,
    O(2^n n) numpy operations.

    Shapes: union (n, n) boolean.

    Parameters
    ----------
    union : numpy.ndarray
        The union graph of the cycle's masks, ``union[query, key]``.

    Returns
    -------
    tuple of int or None
        A Hamiltonian path, or None.

    Raises
    ------
    SizeError
        For n > 20.

    Examples
    --------
    >>> held_karp_path(np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1]], dtype=bool))
    (2, 0, 1)
    """
    n = union.shape[0]
    if n > HELD_KARP_MAX_N:
        raise SizeError(f"Held-Karp needs 2^n states; n = {n} exceeds the limit of {HELD_KARP_MAX_N}")
    pred = np.array([sum(1 << int(u) for u in np.flatnonzero(union[v]) if u != v) for v in range(n)], dtype=np.int64)
    size = 1 << n
    dp = np.zeros(size, dtype=np.int64)
    dp[1 << np.arange(n)] = 1 << np.arange(n)
    all_sets = np.arange(size, dtype=np.int64)
    count = np.bitwise_count(all_sets)
    for m in range(2, n + 1):
        sets = all_sets[count == m]
        for v in range(n):
            bit = np.int64(1 << v)
            with_v = sets[(sets & bit) != 0]
            ok = (dp[with_v ^ bit] & pred[v]) != 0
            dp[with_v[ok]] |= bit
    full = size - 1
    if dp[full] == 0:
        return None
    path, current = [], full
    allowed = np.int64(-1)
    while current:
        choices = int(dp[current] & allowed)
        v = (choices & -choices).bit_length() - 1
        path.append(v)
        current ^= 1 << v
        allowed = pred[v]
    return tuple(reversed(path))


# ---------------------------------------------------------------- reachability


def reach_analysis(
    masks: list[np.ndarray], method: str = "auto"
) -> tuple[int | None, dict[str, int] | None, tuple[int, ...], str]:
    """(s or None, witness or None, reach_sizes, method used) for masks with self-loops."""
    if method in ("auto", "bitset"):
        result = _reach_bitset(masks, budget=BITSET_BUDGET if method == "auto" else None)
        if result is not None:
            s, witness, sizes = result
            return s, witness, sizes, "bitset"
    s, witness, sizes = _reach_graph(masks)
    return s, witness, sizes, "graph"


def _pack(mask: np.ndarray) -> np.ndarray:
    rows, n = mask.shape
    words = (n + 63) // 64
    packed = np.zeros((rows, words * 8), dtype=np.uint8)
    packed[:, : (n + 7) // 8] = np.packbits(mask, axis=1, bitorder="little")
    return packed.view(np.uint64)


def _csr(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(mask)[1], np.concatenate([[0], np.cumsum(mask.sum(axis=1))])


def _step(S: np.ndarray, keys: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """new[k] = OR_{j in A_k} S[j], gathered in chunks of bounded memory."""
    n, words = S.shape
    out = np.empty_like(S)
    per_chunk = max(1, _CHUNK_WORDS // words)
    start = 0
    while start < n:
        stop = int(np.searchsorted(indptr, indptr[start] + per_chunk, side="right")) - 1
        stop = min(n, max(stop, start + 1))
        lo, hi = indptr[start], indptr[stop]
        out[start:stop] = np.bitwise_or.reduceat(S[keys[lo:hi]], indptr[start:stop] - lo, axis=0)
        start = stop
    return out


def _reach_bitset(masks: list[np.ndarray], budget: int | None) -> _Reach | None:
    n, p = masks[0].shape[0], len(masks)
    full = _pack(np.ones((1, n), dtype=bool))[0]
    csr = [_csr(m) for m in masks]
    words = full.size
    S = _pack(masks[0])
    sizes = [int(np.bitwise_count(S).sum(axis=1).min())]
    totals, t, work = [int(np.bitwise_count(S).sum())], 1, 0
    while True:
        done = (full == S).all(axis=1)
        if done.all():
            return t, None, tuple(sizes)
        if len(totals) > p and totals[-1] == totals[-1 - p]:  # a whole cycle added nothing
            k = int(np.flatnonzero(~done)[0])
            row = np.unpackbits(S[k].view(np.uint8), bitorder="little")[:n].astype(bool)
            return None, {"query": k, "key": int(np.flatnonzero(~row)[0])}, tuple(sizes)
        keys, indptr = csr[t % p]
        work += keys.size * words
        if budget is not None and work > budget:
            return None
        S = _step(S, keys, indptr)
        t += 1
        counts = np.bitwise_count(S).sum(axis=1)
        sizes.append(int(counts.min()))
        totals.append(int(counts.sum()))


def _reach_graph(masks: list[np.ndarray]) -> _Reach:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    n, p = masks[0].shape[0], len(masks)
    # node phi*n + i = token i with (steps remaining) = phi mod p; its step uses pattern (phi-1) mod p
    rows, cols = [], []
    for phi in range(p):
        q, k = np.nonzero(masks[(phi - 1) % p])
        rows.append(phi * n + q)
        cols.append(((phi - 1) % p) * n + k)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n * p, n * p))
    cap = n * p + 1  # finite distances are < n p; bucket cap collects unreachable pairs
    minima = np.full((p, cap + 1), n, dtype=np.int64)  # minima[rho, d] = min_k #{j : D((k,rho),(j,0)) <= d}
    ecc = np.zeros(p)
    witness: dict[str, int] | None = None
    chunk = max(1, 4_000_000 // cap)
    for rho in range(p):
        for start in range(0, n, chunk):
            sources = rho * n + np.arange(start, min(n, start + chunk))
            D = shortest_path(graph, method="D", unweighted=True, indices=sources)[:, :n]
            ecc[rho] = max(ecc[rho], D.max())
            if witness is None and np.isinf(D).any():
                k, j = np.argwhere(np.isinf(D))[0]
                witness = {"query": int(start + k), "key": int(j)}
            buckets = np.where(np.isinf(D), cap, D).astype(np.int64)
            hist = np.zeros((len(sources), cap + 1), dtype=np.int32)
            _bincount_rows(hist, buckets)
            minima[rho] = np.minimum(minima[rho], np.cumsum(hist, axis=1).min(axis=0))
    if np.isinf(ecc).any():
        s = None
        stop = _last_growth(minima, p, cap) + p
    else:
        candidates = [max(int(ecc[rho]), rho if rho else p) for rho in range(p)]
        s = min(candidates)
        stop = s
    sizes = tuple(int(minima[t % p][min(t, cap - 1)]) for t in range(1, stop + 1))
    return s, witness, sizes


def _bincount_rows(hist: np.ndarray, buckets: np.ndarray) -> None:
    rows, width = hist.shape
    flat = (np.arange(rows)[:, None] * width + buckets).ravel()
    hist += np.bincount(flat, minlength=rows * width).reshape(rows, width).astype(np.int32)


def _last_growth(minima: np.ndarray, p: int, cap: int) -> int:
    """Last t at which min_k |S_k^t| still grew (for plotting failing patterns)."""
    values = [int(minima[t % p][t]) for t in range(1, cap)]
    last = 1
    for t in range(2, cap):
        if values[t - 1] != values[t - 2]:
            last = t
    return last
