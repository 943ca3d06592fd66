"""is_equivariant, equivariance_witness, symmetrize: against brute force over all permutations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy

from polyapprox import (
    NotEquivariantError,
    PolyapproxError,
    ShapeError,
    equivariance_witness,
    is_equivariant,
    sequence_symbols,
    symmetrize,
    token_symbol,
)
from polyapprox.exact._equivariance import check_target, read_target

x = token_symbol


def act(F, sigma, n, d):
    """(F(sigma X), sigma F(X)) by substitution, with (sigma X)_i = x_{sigma^{-1}(i)} (MATH.md sec. 1)."""
    inverse = [sigma.index(i) for i in range(n)]
    subs = {x(i + 1, k): x(inverse[i] + 1, k) for i in range(n) for k in range(1, d + 1)}
    return F.xreplace(subs), sympy.Matrix([list(F.row(inverse[i])) for i in range(n)])


def brute_force_equivariant(F, n, d):
    for sigma in itertools.permutations(range(n)):
        lhs, rhs = act(F, sigma, n, d)
        if (lhs - rhs).expand() != sympy.zeros(*F.shape):
            return False
    return True


def random_poly(n, d, seed, degree=3, terms=4):
    rng = np.random.default_rng(seed)
    X = list(sequence_symbols(n, d))
    g = sympy.Integer(0)
    for _ in range(terms):
        mon = sympy.Integer(int(rng.integers(-4, 5)))
        for _ in range(int(rng.integers(0, degree + 1))):
            mon *= X[int(rng.integers(len(X)))]
        g += mon
    return g


@pytest.mark.parametrize("n, d", [(2, 1), (3, 1), (3, 2), (4, 1), (4, 2)])
@pytest.mark.parametrize("seed", range(4))
def test_random_matrices_against_brute_force(n, d, seed):
    F = sympy.Matrix(n, 2, lambda i, c: random_poly(n, d, seed * 31 + 3 * int(i) + int(c)))
    expected = brute_force_equivariant(F, n, d)
    assert is_equivariant(F, n, d) == expected
    witness = equivariance_witness(F, n, d)
    if expected:
        assert witness is None
    else:
        lhs, rhs = act(F, witness, n, d)
        assert (lhs - rhs).expand() != sympy.zeros(n, 2)


@pytest.mark.parametrize("n, d", [(2, 1), (3, 2), (4, 1), (4, 2)])
@pytest.mark.parametrize("seed", range(3))
def test_symmetrize_is_the_stabilizer_average(n, d, seed):
    g = [random_poly(n, d, seed), random_poly(n, d, seed + 50)]
    F = symmetrize(g, n, d)
    assert F.shape == (n, 2)
    assert brute_force_equivariant(F, n, d)
    # row 1 is the average over all (n-1)! permutations fixing token 1 (brute force)
    for c in range(2):
        total = 0
        perms = list(itertools.permutations(range(1, n)))
        for perm in perms:
            sigma = (0, *perm)
            total += g[c].xreplace({x(i + 1, k): x(sigma[i] + 1, k) for i in range(n) for k in range(1, d + 1)})
        assert sympy.expand(total / len(perms) - F[0, c]) == 0


def test_symmetrize_keeps_semi_invariant_rows_and_doc_example():
    g = x(1, 1) * (x(2, 1) + x(3, 1)) + 7
    F = symmetrize(g, 3, 1)
    assert sympy.expand(F[0, 0] - g) == 0
    assert sympy.expand(F[2, 0] - (x(3, 1) * (x(2, 1) + x(1, 1)) + 7)) == 0
    assert symmetrize("x2_1", 3, 1) == symmetrize(sympy.Matrix([[x(2, 1)]]), 3, 1)
    assert symmetrize(x(1, 1), 1, 1) == sympy.Matrix([[x(1, 1)]])


def test_symmetrize_errors():
    with pytest.raises(ShapeError):
        symmetrize(sympy.Matrix([[x(1, 1)], [x(2, 1)]]), 2, 1)
    with pytest.raises(ShapeError):
        symmetrize([[x(1, 1)], [x(2, 1)]], 2, 1)
    with pytest.raises(PolyapproxError, match="x3_1"):
        symmetrize(x(3, 1), 2, 1)


def test_only_generators_are_tested_yet_complete():
    # equivariant under tau_12 but not under tau_13: a witness must still be found
    F = sympy.Matrix([[x(2, 1)], [x(1, 1)], [x(3, 1) ** 2]])
    assert not brute_force_equivariant(F, 3, 1)
    assert equivariance_witness(F, 3, 1) == (2, 1, 0)


def test_first_row_forms_and_witness_in_stabilizer():
    assert is_equivariant("x2_1 + x3_1", 3, 1)
    assert is_equivariant([x(2, 1) * x(3, 1), x(1, 1)], 3, 1)
    witness = equivariance_witness("x2_1*x3_2", 3, 2)
    assert witness == (0, 2, 1) and witness[0] == 0  # fixes token 1
    with pytest.raises(NotEquivariantError, match="swapping tokens 2 and 3") as info:
        check_target("x1_1 + x2_1**2", 3, 1)
    assert info.value.witness == (0, 2, 1)


def test_message_names_first_differing_entry():
    F = sympy.Matrix([[x(1, 1), x(2, 1)], [x(2, 1), x(2, 1)]])
    with pytest.raises(NotEquivariantError) as info:
        check_target(F, 2, 1)
    assert info.value.witness == (1, 0)
    assert "row 1, column 2" in str(info.value)
    assert info.value.detail and "sigma F(X) has x2_1" in str(info.value)


def test_n1_is_always_equivariant():
    assert is_equivariant(sympy.Matrix([[x(1, 1) ** 2, x(1, 2)]]), 1, 2)
    assert equivariance_witness("x1_1", 1, 1) is None


def test_read_target_forms_and_errors():
    rows, first = read_target(sympy.Matrix([[x(1, 1)], [x(2, 1)]]), 2, 1)
    assert not first and len(rows) == 2
    rows, first = read_target([[x(1, 1)], [x(2, 1)]], 2, 1)
    assert not first
    rows, first = read_target(["x2_1", x(1, 1)], 2, 1)
    assert first and len(rows[0]) == 2
    with pytest.raises(ShapeError):
        read_target(sympy.Matrix([[x(1, 1)], [x(2, 1)]]), 3, 1)
    with pytest.raises(ShapeError):
        read_target(sympy.zeros(2, 0), 2, 1)
    with pytest.raises(ShapeError):
        read_target([], 2, 1)
    with pytest.raises(ShapeError):
        read_target([[x(1, 1)], [x(1, 1)], [x(1, 1)]], 2, 1)
    with pytest.raises(ShapeError):
        read_target([[x(1, 1)], x(2, 1)], 2, 1)
    with pytest.raises(ShapeError):
        read_target([[x(1, 1)], [x(2, 1), x(1, 1)]], 2, 1)
    with pytest.raises(PolyapproxError, match="one polynomial"):
        read_target([["x1_1, x2_1"]], 2, 1)
    with pytest.raises(PolyapproxError, match="boolean"):
        read_target(True, 2, 1)
    with pytest.raises(PolyapproxError, match="float"):
        read_target(0.5, 2, 1)
    with pytest.raises(PolyapproxError, match="got dict"):
        read_target({}, 2, 1)
    with pytest.raises(PolyapproxError, match="sympy expression"):
        read_target([sympy.Eq(x(1, 1), 1)], 2, 1)


def test_flat_list_of_n_entries_is_ambiguous_and_made_explicit():
    a, b = x(1, 1), x(2, 1)
    with pytest.raises(ShapeError, match=r"first_row=True.*|\[\[F_1\], \.\.\., \[F_2\]\]"):
        is_equivariant([b, b], 2, 1)
    with pytest.raises(ShapeError, match="first_row=False"):
        equivariance_witness([b, b], 2, 1)
    # the two readings, explicit: rows (x2, x2) are not equivariant; the first row (x2, x2) is
    assert is_equivariant([b, b], 2, 1, first_row=False) is False
    assert is_equivariant(sympy.Matrix([b, b]), 2, 1) is False  # n x 1 Matrix: rows, as before
    assert is_equivariant([[b], [b]], 2, 1) is False
    assert is_equivariant([b, b], 2, 1, first_row=True) is True
    assert is_equivariant([[b, b]], 2, 1) is True  # one row in a list: the first row
    assert is_equivariant([b, a], 2, 1, first_row=False) is True  # rows x2, x1
    assert equivariance_witness([b, b], 2, 1, first_row=False) == (1, 0)
    # not ambiguous: d_out != n
    assert is_equivariant([b * x(3, 1), a], 3, 1)
    with pytest.raises(ShapeError, match="first_row=True"):
        is_equivariant(sympy.Matrix([[a], [b]]), 2, 1, first_row=True)
    with pytest.raises(ShapeError, match="first_row=False"):
        is_equivariant("x2_1", 2, 1, first_row=False)
    with pytest.raises(PolyapproxError, match="first_row"):
        is_equivariant([b, a], 2, 1, first_row="yes")


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_stabilizer_generators_generate(n):
    """The two generators of Stab(1) reach all (n-1)! permutations fixing token 1 (closure)."""
    from polyapprox.exact._equivariance import stabilizer_generators

    group = {tuple(range(n))}
    frontier = list(group)
    while frontier:
        g = frontier.pop()
        for s in stabilizer_generators(n):
            h = tuple(s[g[j]] for j in range(n))
            if h not in group:
                group.add(h)
                frontier.append(h)
    assert group == {(0, *p) for p in itertools.permutations(range(1, n))}


@pytest.mark.parametrize("seed", range(40))
def test_linear_check_agrees_with_the_transposition_scan(seed):
    """The generator check and the scan over tau_{1i} decide alike on near-equivariant inputs."""
    from polyapprox.exact._equivariance import _violation_of_rows, is_equivariant_rows
    from polyapprox.exact._poly import transposition

    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 6)), int(rng.integers(1, 3))
    F = symmetrize(random_poly(n, d, seed), n, d)
    if seed % 2:  # break one entry of one row
        r = int(rng.integers(n))
        F[r, 0] = F[r, 0] + x(int(rng.integers(1, n + 1)), 1)
    rows, first = read_target(F, n, d)
    scan = _violation_of_rows(rows, n, d, [transposition(n, 0, i) for i in range(1, n)]) is None
    assert is_equivariant_rows(rows, n, d, first) == scan == brute_force_equivariant(F, n, d)


@pytest.mark.parametrize("seed", range(40))
def test_engine_reader_decides_and_reports_like_check_target(seed):
    """read_checked (rows 2..n compared packed) accepts, refuses and names witnesses exactly like check_target."""
    from polyapprox.exact._equivariance import read_checked

    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 6)), int(rng.integers(1, 3))
    F = symmetrize(random_poly(n, d, seed), n, d)
    if seed % 2:  # break one entry of one row
        r = int(rng.integers(n))
        F[r, 0] = F[r, 0] + x(int(rng.integers(1, n + 1)), 1)
    expected = brute_force_equivariant(F, n, d)
    if expected:
        target, _, _ = read_checked(F, n, d)
        reference = check_target(F, n, d)
        assert [list(row) for row in target.rows] == [list(row) for row in reference.rows]
        assert target == reference and target.rows == [list(row) for row in reference.rows]
        assert target.first_row_only is False and len(target.rows) == n
        assert target.matrix() == F
    else:
        with pytest.raises(NotEquivariantError) as fast:
            read_checked(F, n, d)
        with pytest.raises(NotEquivariantError) as slow:
            check_target(F, n, d)
        assert fast.value.witness == slow.value.witness and str(fast.value) == str(slow.value)


def test_engine_reader_falls_back_for_other_inputs():
    """Strings, ints, floats and non-expanded rows take the general route (same results and messages)."""
    from polyapprox.exact._equivariance import read_checked

    X = sequence_symbols(2, 1)
    a, b = X
    for F in ([[(a + 1) ** 2 - 1], [(b + 1) ** 2 - 1]], [[a, 3], [b, 3]], "x1_1 + x2_1**2"):
        target, _, _ = read_checked(F, 2, 1)
        assert [list(r) for r in target.rows] == [list(r) for r in check_target(F, 2, 1).rows]
    with pytest.raises(PolyapproxError, match="float"):
        read_checked([[a + sympy.Float(0.5)], [b + sympy.Float(0.5)]], 2, 1)
    with pytest.raises(NotEquivariantError):
        read_checked(sympy.Matrix([[a * b], [a]]), 2, 1)
