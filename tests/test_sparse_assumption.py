"""check_assumption (MATH.md 9.2): against brute-force BFS and permutation search; S1, S7; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _sparse_reference import hamiltonian_exists, reach_bfs, to_sets

from constructions import sparse
from constructions.sparse import _assumption
from polyapprox import DomainError, PolyapproxError, ShapeError, SizeError, UnknownNameError

P = sparse.patterns

SMALL = [
    (f"{name}-{n}", build(n))
    for n in (4, 5, 6, 7, 8)
    for name, build in [
        ("dense", P.dense),
        ("tridiagonal", P.tridiagonal),
        ("window5", lambda n: P.sliding_window(n, 5)),
        ("star", P.star),
        ("ring", lambda n: P.star(n, ring=True)),
        ("strided2", lambda n: P.strided(n, 2)),
        ("strided3", lambda n: P.strided(n, 3)),
        ("strided3-rev", lambda n: P.strided(n, 3)[::-1]),
        ("fixed2", lambda n: P.fixed(n, 2)),
        ("fixed3", lambda n: P.fixed(n, 3)),
        ("longformer", lambda n: P.longformer(n, 3, [n // 2])),
        ("bigbird", lambda n: P.bigbird(n, 3, 1, 1, seed=n)),
        ("bigbird-g0", lambda n: P.bigbird(n, 3, 1, 0, seed=n)),
    ]
]


@pytest.mark.parametrize("name, masks", SMALL, ids=[c[0] for c in SMALL])
@pytest.mark.parametrize("method", ["bitset", "graph"])
def test_small_patterns_against_brute_force(name, masks, method):
    report = sparse.check_assumption(masks, method=method)
    s, sizes = reach_bfs(to_sets(masks))
    union = [set().union(*sets) for sets in zip(*to_sets(masks))]
    assert report.s == s and list(report.reach_sizes) == sizes[: len(report.reach_sizes)]
    assert report.holds == (s is not None and hamiltonian_exists(union))
    assert report.p == len(masks) and report.connections == tuple(int(m.sum()) for m in masks)
    if report.path is not None:
        assert sorted(report.path) == list(range(len(union)))
        assert all(a in union[b] for a, b in zip(report.path, report.path[1:]))
        assert all(masks[l][b, a] for l, a, b in zip(report.path_patterns, report.path, report.path[1:]))


def test_s1_table_at_n16():
    expected = {  # MATH.md 9.4 table: (p, s, connections)
        "tridiagonal": (P.tridiagonal(16), 1, 15, (46,)),
        "window5": (P.sliding_window(16, 5), 1, 8, (74,)),
        "star": (P.star(16), 1, 2, (74,)),
        "ring": (P.star(16, ring=True), 1, 2, (76,)),
        "strided4": (P.strided(16, 4), 2, 3, (74, 64)),
        "strided4-rev": (P.strided(16, 4)[::-1], 2, 3, (64, 74)),
        "fixed4": (P.fixed(16, 4), 2, 2, (64, 76)),
        "longformer": (P.longformer(16, 5, [0]), 1, 2, (100,)),
        "dense": (P.dense(16), 1, 1, (256,)),
    }
    for name, (masks, p, s, conn) in expected.items():
        for method in ("auto", "bitset", "graph"):
            r = sparse.check_assumption(masks, method=method)
            assert (r.holds, r.p, r.s, r.connections) == (True, p, s, conn), (name, method)
            assert r.path == tuple(range(16))
    bb = sparse.check_assumption(P.bigbird(16, 5, 2, 1, seed=0))
    assert bb.holds and bb.s == 2


def test_s7_negatives():
    r = sparse.check_assumption(P.fixed(16, 5))
    assert (r.holds, r.failed_condition, r.s, r.connections) == (False, "connectivity", None, (76, 61))
    k, j = r.witness["query"], r.witness["key"]
    assert j == 15 and k < 15  # the partial block {15} is reached by nobody else
    r = sparse.check_assumption(P.from_adjacency([[0, 1], [0, 1], [1, 2, 3], [2, 3]]))
    assert r.failed_condition == "connectivity" and r.path == (0, 1, 2, 3)
    assert r.witness["query"] in (0, 1) and r.witness["key"] in (2, 3)
    r = sparse.check_assumption(P.from_adjacency([[0], [0, 1]]))  # output 0 never depends on token 1
    assert r.failed_condition == "connectivity" and r.witness == {"query": 0, "key": 1}


@pytest.mark.parametrize("n, w", [(7, 2), (10, 3), (10, 4), (64, 6), (30, 7)])
def test_fixed_with_non_dividing_block_fails_connectivity(n, w):
    assert n % w
    r = sparse.check_assumption(P.fixed(n, w))
    assert r.failed_condition == "connectivity" and r.witness["key"] >= n - n % w
    assert sparse.check_assumption(P.fixed(n - n % w, w)).holds


def test_removing_a_path_edge_breaks_the_check():
    (m,) = P.tridiagonal(8)
    m[4, 3] = m[3, 4] = False
    r = sparse.check_assumption([m])
    assert r.failed_condition == "hamiltonian-path" and r.witness["disconnected"] == (0, 4)
    (m,) = P.tridiagonal(8)
    m[4, 3] = False  # one direction: reverse order still a path, but tokens 0..3 never reach 4..7
    r = sparse.check_assumption([m])
    assert r.failed_condition == "connectivity" and r.path == tuple(range(7, -1, -1))
    (m,) = P.tridiagonal(25)
    m[12, 11] = m[11, 12] = False
    r = sparse.check_assumption([m])  # n > 20, but connectivity failure is proven
    assert r.failed_condition == "connectivity"


def test_held_karp_finds_non_trivial_paths():
    (m,) = P.star(6)
    m[3, 2] = m[2, 3] = False  # the relay 5 still joins the line
    r = sparse.check_assumption([m])
    assert r.holds and r.path not in (tuple(range(6)), tuple(range(5, -1, -1)))
    # a graph with in-/out-structure but no Hamiltonian path: two leaves attached to the same hub
    hub = P.from_adjacency([[0, 1], [0, 1, 2, 3], [1, 2], [1, 3]])
    assert not sparse.check_assumption(hub).holds
    assert sparse.check_assumption(hub).failed_condition == "hamiltonian-path"
    assert hamiltonian_exists([{0, 1}, {0, 1, 2, 3}, {1, 2}, {1, 3}]) is False
    assert sparse.held_karp_path(np.eye(1, dtype=bool)) == (0,)


@pytest.mark.parametrize("seed", range(6))
def test_held_karp_against_permutations(seed):
    rng = np.random.default_rng(seed)
    union = rng.random((7, 7)) < 0.3
    np.fill_diagonal(union, True)
    found = sparse.held_karp_path(union)
    sets = [{int(j) for j in np.flatnonzero(row)} for row in union]
    assert (found is not None) == hamiltonian_exists(sets)
    if found is not None:
        assert all(union[b, a] for a, b in zip(found, found[1:]))


def test_large_n_needs_a_path_when_undetermined():
    (m,) = P.star(25)
    m[13, 12] = m[12, 13] = False
    with pytest.raises(SizeError, match="supply path="):
        sparse.check_assumption([m])
    gamma = list(range(13)) + [24] + list(range(23, 12, -1))
    r = sparse.check_assumption([m], path=gamma)
    assert r.holds and r.path == tuple(gamma) and r.s == 2
    with pytest.raises(DomainError, match="token 13 does not attend to its predecessor 12"):
        sparse.check_assumption([m], path=range(25))
    with pytest.raises(DomainError, match="permutation of 0..24"):
        sparse.check_assumption([m], path=[0] * 25)
    with pytest.raises(ShapeError, match="sequence of the n = 25"):
        sparse.check_assumption([m], path=5)
    with pytest.raises(PolyapproxError, match="integer token indices"):
        sparse.check_assumption([m], path=[0.5] * 25)
    with pytest.raises(SizeError, match="exceeds the limit of 20"):
        sparse.held_karp_path(np.ones((21, 21), dtype=bool))


def test_missing_self_loop():
    masks = P.strided(6, 2)
    masks[1][4, 4] = False
    r = sparse.check_assumption(masks)
    assert (r.holds, r.failed_condition, r.witness, r.s) == (False, "self-loops", {"token": 4, "pattern": 1}, None)
    assert "fails (self-loops: token 4, pattern 1)" in r.summary() and r.to_dict()["witness"] == {
        "token": 4,
        "pattern": 1,
    }


def test_bad_input_and_method():
    with pytest.raises(ShapeError, match="same n"):
        sparse.check_assumption([np.eye(3, dtype=bool), np.eye(4, dtype=bool)])
    with pytest.raises(DomainError, match="boolean"):
        sparse.check_assumption([np.eye(3) * 2])
    with pytest.raises(UnknownNameError, match="unknown method"):
        sparse.check_assumption(P.dense(3), method="magic")
    assert sparse.check_assumption(np.eye(1, dtype=int)).s == 1
    assert (
        sparse.check_assumption(P.dense(1) * 2).s == 1
        and sparse.check_assumption(P.dense(1) * 2, method="graph").s == 1
    )


def test_auto_switches_to_graph_on_budget(monkeypatch):
    monkeypatch.setattr(_assumption, "BITSET_BUDGET", 10)
    r = sparse.check_assumption(P.tridiagonal(40))
    assert r.method == "graph" and r.s == 39
    assert sparse.check_assumption(P.dense(40)).method == "bitset"  # S^1 full: no step needed


def test_chunked_gather(monkeypatch):
    monkeypatch.setattr(_assumption, "_CHUNK_WORDS", 3)
    masks = P.strided(70, 8)
    assert sparse.check_assumption(masks, method="bitset").s == sparse.check_assumption(masks, method="graph").s


@pytest.mark.slow
def test_n4096_runs():
    assert sparse.check_assumption(P.strided(4096, 64)).s == 3
    assert sparse.check_assumption(P.tridiagonal(4096)).s == 4095
    assert sparse.check_assumption(P.fixed(4096, 60)).failed_condition == "connectivity"
