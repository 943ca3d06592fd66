"""Brute-force references for the sparse tests: loop-based masks and set-based BFS reach sets."""

from __future__ import annotations

import itertools


def reach_bfs(adjacency: list[list[set[int]]], t_max: int = 10_000):
    """(s or None, reach sizes) from the set recursion S^1 = A^1, S^t_k = U_{j in A^{l_t}_k} S^{t-1}_j."""
    p, n = len(adjacency), len(adjacency[0])
    S = [set(a) for a in adjacency[0]]
    history = [S]
    for t in range(1, t_max + 1):
        if all(len(x) == n for x in S):
            return t, [min(len(x) for x in h) for h in history]
        if t > p and history[-1] == history[-1 - p]:
            return None, [min(len(x) for x in h) for h in history]
        A = adjacency[t % p]
        S = [set().union(*(S[j] for j in A[k])) for k in range(n)]
        history.append(S)
    raise AssertionError("no decision")


def hamiltonian_exists(union: list[set[int]]) -> bool:
    """Brute force over permutations: gamma[i] attends to gamma[i-1] in the union."""
    n = len(union)
    return any(all(g[i - 1] in union[g[i]] for i in range(1, n)) for g in itertools.permutations(range(n)))


def to_sets(masks) -> list[list[set[int]]]:
    return [[{int(j) for j in range(m.shape[1]) if m[k, j]} for k in range(m.shape[0])] for m in masks]


def loop_patterns(name: str, n: int, w: int = 0) -> list[list[set[int]]]:
    """MATH.md 9.4 definitions written as loops (independent of the numpy code)."""
    clip = lambda idx: {j for j in idx if 0 <= j < n}
    if name == "dense":
        return [[set(range(n)) for _ in range(n)]]
    if name == "tridiagonal":
        return [[clip({k - 1, k, k + 1}) for k in range(n)]]
    if name == "window":
        h = w // 2
        return [[clip(set(range(k - h, k + h + 1))) for k in range(n)]]
    if name == "star":
        rows = [clip({k - 1, k, k + 1}) - {n - 1} | {n - 1} for k in range(n - 1)]
        return [rows + [set(range(n))]]
    if name == "star-ring":
        m = n - 1
        rows = [{(k - 1) % m, k, (k + 1) % m, n - 1} for k in range(m)]
        return [rows + [set(range(n))]]
    if name == "strided":
        h = w // 2
        return [
            [clip(set(range(k - h, k + h + 1))) for k in range(n)],
            [{j for j in range(n) if j % w == k % w} for k in range(n)],
        ]
    if name == "fixed":
        return [
            [{j for j in range(n) if j // w == k // w} for k in range(n)],
            [{j for j in range(n) if j % w == w - 1} | {k} for k in range(n)],
        ]
    raise KeyError(name)
