"""constructions.sparse.patterns (MATH.md 9.4): masks against loop definitions, counts, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _sparse_reference import loop_patterns, to_sets

from constructions import sparse
from polyapprox import DomainError, PolyapproxError, ShapeError, UnknownNameError

P = sparse.patterns


@pytest.mark.parametrize("n", [4, 5, 7, 8])
@pytest.mark.parametrize(
    "name, w, build",
    [
        ("dense", 0, lambda n, w: P.dense(n)),
        ("tridiagonal", 0, lambda n, w: P.tridiagonal(n)),
        ("window", 5, lambda n, w: P.sliding_window(n, w)),
        ("window", 4, lambda n, w: P.sliding_window(n, w)),
        ("star", 0, lambda n, w: P.star(n)),
        ("star-ring", 0, lambda n, w: P.star(n, ring=True)),
        ("strided", 2, lambda n, w: P.strided(n, w)),
        ("strided", 3, lambda n, w: P.strided(n, w)),
        ("fixed", 2, lambda n, w: P.fixed(n, w)),
        ("fixed", 3, lambda n, w: P.fixed(n, w)),
    ],
)
def test_masks_equal_loop_definitions(name, w, build, n):
    masks = build(n, w)
    assert all(m.dtype == bool and m.shape == (n, n) for m in masks)
    assert to_sets(masks) == loop_patterns(name, n, w)


def test_connection_counts_of_the_math_md_table():
    assert int(P.tridiagonal(16)[0].sum()) == 46
    assert int(P.sliding_window(16, 5)[0].sum()) == 74
    assert int(P.star(16)[0].sum()) == 74 == 5 * 16 - 6
    assert int(P.star(16, ring=True)[0].sum()) == 76
    assert [int(m.sum()) for m in P.strided(16, 4)] == [74, 64]
    assert [int(m.sum()) for m in P.fixed(16, 4)] == [64, 76]
    assert [int(m.sum()) for m in P.fixed(16, 5)] == [76, 61]
    assert int(P.longformer(16, 5, [0])[0].sum()) == 100
    assert int(P.dense(16)[0].sum()) == 256


def test_star_is_asymmetric_relay():  # orientation: mask[query, key]
    (m,) = P.star(5)
    assert m[4].all() and m[:, 4].all() and not m[0, 2] and m[1, 2]


def test_longformer_globals_attend_and_are_attended():
    (m,) = P.longformer(11, 3, [0, 7])
    assert m[[0, 7]].all() and m[:, [0, 7]].all()
    assert not m[3, 9] and m[3, 4]


def test_bigbird_seeded_and_counts():
    a, b, c = P.bigbird(13, 3, 2, 1, seed=4), P.bigbird(13, 3, 2, 1, seed=4), P.bigbird(13, 3, 2, 1, seed=5)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    (base,) = P.longformer(13, 3, [0])
    extra = a[0] & ~base
    assert (extra[1:].sum(axis=1) == 2).all() and not extra[0].any()  # global token 0 already attends to all
    (full,) = P.bigbird(4, 3, 10, 1, seed=0)
    assert full.all()  # r larger than the free keys: all of them
    rng = np.random.default_rng(1)
    assert P.bigbird(9, 3, 1, 0, seed=rng)[0].sum() == P.sliding_window(9, 3)[0].sum() + 9


def test_from_masks_and_adjacency():
    masks = P.from_masks([np.eye(3, dtype=int), np.ones((3, 3), dtype=bool)])
    assert [m.dtype for m in masks] == [bool, bool] and masks[0].sum() == 3
    one = P.from_adjacency([[0, 1], [0, 1], [1, 2, 3], [2, 3]])
    assert len(one) == 1 and to_sets(one) == [[{0, 1}, {0, 1}, {1, 2, 3}, {2, 3}]]
    cycle = P.from_adjacency([[[0], [1]], [[0, 1], [1]]])
    assert len(cycle) == 2 and cycle[1][0].tolist() == [True, True]
    as_dict = P.from_adjacency({0: [0, 2], 2: [2]})
    assert as_dict[0].shape == (3, 3) and not as_dict[0][1].any()
    assert P.from_adjacency({0: [0]}, n=4)[0].shape == (4, 4)


def test_by_name():
    assert [int(m.sum()) for m in P.by_name("strided", 16, stride=4)] == [74, 64]
    assert len(P.by_name("fixed", 16)) == 2 and P.by_name("window", 9, window=5)[0].sum() == 9 * 5 - 6
    for name in P.NAMES:
        assert P.by_name(name, 9)[0].shape == (9, 9)
    with pytest.raises(UnknownNameError, match="unknown pattern 'spiral'"):
        P.by_name("spiral", 9)


def test_bad_parameters():
    with pytest.raises(PolyapproxError, match="n must be an integer >= 1; got 0"):
        P.dense(0)
    with pytest.raises(PolyapproxError, match="w must be an integer >= 2"):
        P.sliding_window(5, 1)
    with pytest.raises(PolyapproxError, match="w must be an integer >= 2"):
        P.strided(5, 1)
    with pytest.raises(DomainError, match="global tokens must lie in 0..4"):
        P.longformer(5, 3, [5])
    with pytest.raises(DomainError, match="g .global tokens. must be <= n = 5"):
        P.bigbird(5, 3, 1, 6)
    with pytest.raises(PolyapproxError, match="r must be an integer >= 0"):
        P.bigbird(5, 3, -1, 1)


def test_bad_masks():
    with pytest.raises(ShapeError, match="got an empty cycle"):
        P.from_masks([])
    with pytest.raises(ShapeError, match=r"pattern 0 must be a square \(n, n\) mask with n >= 1; got shape \(3, 4\)"):
        P.from_masks([np.ones((3, 4), dtype=bool)])
    with pytest.raises(ShapeError, match="same n; got sizes \\[3, 5\\]"):
        P.from_masks([np.eye(3, dtype=bool), np.eye(5, dtype=bool)])
    with pytest.raises(DomainError, match="got 2 at \\[0, 1\\]"):
        P.from_masks([np.array([[1, 2], [0, 1]])])
    with pytest.raises(DomainError, match="got dtype float64"):
        P.from_masks([np.eye(3)])
    with pytest.raises(ShapeError, match="not a rectangular array"):
        P.from_masks([[[1, 0], [1]]])
    with pytest.raises(ShapeError, match="got an array of shape \\(2,\\)"):
        P.from_masks(np.array([True, False]))
    with pytest.raises(ShapeError, match="got str"):
        P.from_masks("mask")
    assert len(P.from_masks(np.ones((2, 3, 3), dtype=bool))) == 2
    assert len(P.from_masks(np.eye(3, dtype=bool))) == 1


def test_bad_adjacency():
    with pytest.raises(ShapeError, match="expected adjacency lists for n = 5 queries; got 2"):
        P.from_adjacency([[0], [1]], n=5)
    with pytest.raises(DomainError, match="token indices must lie in 0..1; got \\[2\\]"):
        P.from_adjacency([[0, 2], [1]])
    with pytest.raises(ShapeError, match="must map to a list of integer keys"):
        P.from_adjacency([[[0, 1.5]]])
    with pytest.raises(ShapeError, match="lists must be adjacency lists"):
        P.from_adjacency("01")
    with pytest.raises(ShapeError, match="adjacency must be a list or dict"):
        P.from_adjacency([[[0]], 7])


@pytest.mark.parametrize("name", ["dense", "tridiagonal", "strided", "fixed", "star", "longformer"])
def test_dense_masks_refused_before_allocating(name):
    """Hostile-input issue, item 3: n = 10^6 asked numpy for terabytes (MemoryError) or hung."""
    from polyapprox import SizeError

    with pytest.raises(SizeError, match="attention mask would have 1,000,000,000,000 entries"):
        sparse.patterns.by_name(name, 10**6)
    function = getattr(sparse.patterns, name)
    with pytest.raises(SizeError, match="attention mask"):
        function(10**6) if name in ("dense", "tridiagonal", "star") else function(10**6, 3)


@pytest.mark.parametrize(
    "n, ring, s",
    [(2, False, 1), (3, False, 1), (4, False, 2), (5, False, 2), (4, True, 1), (5, True, 2), (6, True, 2)],
)
def test_patterns_star_reach_matches_docstring(n, ring, s):
    """The docstring said s = 2 for n >= 3; at n = 3 every token is a neighbour or the relay: s = 1."""
    masks = sparse.patterns.star(n, ring=ring)
    assert sparse.check_assumption(masks).s == s
    # independent: the least t with every token reached in t steps, by boolean matrix powers
    A = masks[0].astype(int)
    reach, t = A.copy(), 1
    while not reach.all():
        reach, t = (reach @ A > 0).astype(int), t + 1
    assert t == s
