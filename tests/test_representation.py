"""The exact representation engine (MATH.md section 4) and its result types.

References used here are independent of the engine: MATH.md's printed worked examples and
sizes, exact sympy expansion of Psi(x_i, P(X)) by substitution, sympy's own ``symmetrize``
(elementary symmetric polynomials) converted with Newton's identities, and the reference
method (dense expansion + sympy rref) against the default method.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest
import sympy

from polyapprox import (
    EquivariantRepresentation,
    InvariantRepresentation,
    NotEquivariantError,
    NotPolynomialError,
    ParseError,
    PolyapproxError,
    ShapeError,
    SizeError,
    SolveConfig,
    UnknownNameError,
    own_symbols,
    power_sum_indices,
    power_sum_symbol,
    power_sums,
    represent_equivariant,
    represent_invariant,
    sequence_symbols,
    symmetrize,
    token_symbol,
)
from polyapprox.app.report.cases import CASES
from polyapprox.exact._representation import (
    _represent_equivariant_stats,
    _represent_invariant_stats,
)

x = token_symbol


def s(*alpha):
    return power_sum_symbol(alpha)


def swap_1i(expr, i, d):
    """F_1 o tau_{1i}: exchange the variables of tokens 1 and i (independent of the engine)."""
    return expr.xreplace({**{x(1, k): x(i, k) for k in range(1, d + 1)}, **{x(i, k): x(1, k) for k in range(1, d + 1)}})


def full_F(first_row, n, d):
    return sympy.Matrix([[e if i == 1 else swap_1i(e, i, d) for e in first_row] for i in range(1, n + 1)])


def substitute_psi(Psi_entry, n, d, refined, token):
    """Psi(x_token, P(X)) by sympy substitution and expansion: the independent certificate."""
    subs = {y: x(token, k + 1) for k, y in enumerate(own_symbols(d))}
    subs.update({power_sum_symbol(a): v for a, v in power_sums(n, d, refined).items()})
    return sympy.expand(Psi_entry.xreplace(subs))


def assert_represents(rep, F, n, d, refined):
    for i in range(1, n + 1):
        for c in range(F.cols):
            assert sympy.expand(substitute_psi(rep.Psi[c], n, d, refined, i) - F[i - 1, c]) == 0


# ---------------------------------------------------------------------------------------------
# MATH.md section 4: worked examples and sizes (P1, P2)
# ---------------------------------------------------------------------------------------------

y = own_symbols(1)[0]
p1, p2 = s(1), s(2)
EXAMPLE_1 = [  # F_1, Psi for K = 1 (refined), Psi for K = 2, candidates K=1 / K=2
    (x(2, 1), p1 - y, p1 - y, 3, 3),
    (x(1, 1) * x(2, 1), y * p1 - y**2, p1**2 / 2 - p2 / 2, 6, 7),
    (x(2, 1) ** 2, p1**2 - 2 * y * p1 + y**2, p1**2 / 2 - y * p1 + p2 / 2, 6, 7),
    (x(1, 1) ** 2 * x(2, 1) + x(2, 1) ** 3, p1**3 - 3 * y * p1**2 + 4 * y**2 * p1 - 2 * y**3, p1 * p2 - y * p2, 10, 13),
]


@pytest.mark.parametrize("method", ["orbit-blocks", "dense-expansion"])
@pytest.mark.parametrize("row", EXAMPLE_1, ids=lambda r: str(r[0]))
def test_worked_example_1(row, method):
    F1, psi_k1, psi_k2, count_k1, count_k2 = row
    for refined, expected, count in [(True, psi_k1, count_k1), (False, psi_k2, count_k2)]:
        rep, stats = _represent_equivariant_stats(F1, 2, 1, refined, method=method)
        assert sympy.expand(rep.Psi[0] - expected) == 0
        assert stats.candidates == count
        assert rep.verify()


def test_worked_example_2_both_K_both_methods():
    y1, y2 = own_symbols(2)
    F1 = [x(2, 1) * x(3, 1) + x(1, 2) * (x(2, 2) + x(3, 2)), x(2, 1) * x(2, 2) + x(3, 1) * x(3, 2)]
    expected = [s(1, 0) ** 2 / 2 - y1 * s(1, 0) + y1**2 - s(2, 0) / 2 + y2 * s(0, 1) - y2**2, s(1, 1) - y1 * y2]
    F = full_F(F1, 3, 2)
    assert F[1, :] == sympy.Matrix(
        [[x(1, 1) * x(3, 1) + x(2, 2) * (x(1, 2) + x(3, 2)), x(1, 1) * x(1, 2) + x(3, 1) * x(3, 2)]]
    )  # MATH.md's F_2
    for refined in (True, False):
        for method in ("orbit-blocks", "dense-expansion"):
            rep, stats = _represent_equivariant_stats(F, 3, 2, refined, method=method)
            assert [sympy.expand(a - b) for a, b in zip(rep.Psi, expected)] == [0, 0]
            assert (stats.candidates, stats.rank) == (18, 18)
            assert_represents(rep, F, 3, 2, refined)


# Reproduction case P1: (n, d, D, K) -> candidates; all systems solvable.
MATH_SIZES = list(CASES["P1"].expected.items())


@pytest.mark.parametrize("case, expected", MATH_SIZES, ids=str)
def test_candidate_counts_of_math_md(case, expected):
    n, d, D, K = case
    F = symmetrize(_random_polynomial(n, d, D, seed=sum(case)), n, d)
    rep, stats = _represent_equivariant_stats(F, n, d, refined=(n - 1 == K), degree=D)
    assert stats.candidates == expected
    if case == (3, 2, 4, 2):
        assert stats.rank == CASES["P1-rank"].expected  # 121 candidates, rank 120
    assert rep.verify()


def test_non_uniqueness_example_rank():
    # n=2, d=1, K=2, D=2: 7 candidates, rank 6 (y^2 - y s_1 + (s_1^2 - s_2)/2 vanishes)
    for method in ("orbit-blocks", "dense-expansion"):
        _, stats = _represent_equivariant_stats("x1_1*x2_1", 2, 1, method=method)
        assert (stats.candidates, stats.rank) == (7, 6)


def test_closed_form_invariant_n2_d1():
    Q = represent_invariant(x(1, 1) * x(2, 1), 2, 1).Q
    assert sympy.expand(Q - (p1**2 - p2) / 2) == 0


def test_docstring_style_example():
    X = sequence_symbols(2, 1)
    F = X.applyfunc(lambda xi: xi * sum(X))
    assert represent_equivariant(F, n=2, d=1).Psi == sympy.Matrix([[p1 * y]])


# ---------------------------------------------------------------------------------------------
# random equivariant polynomials, every (n, d, degree) with n <= 4, d <= 3, degree <= 4
# ---------------------------------------------------------------------------------------------


def _random_polynomial(n, d, degree, seed, terms=6):
    rng = np.random.default_rng(seed)
    X = list(sequence_symbols(n, d))
    g = sympy.Integer(int(rng.integers(-3, 4)))
    for _ in range(terms):
        mon = sympy.Integer(1)
        for _ in range(int(rng.integers(1, degree + 1)) if degree else 0):
            mon *= X[int(rng.integers(len(X)))]
        g += int(rng.integers(-5, 6)) * mon
    return g


GRID = [(n, d, D) for n in range(1, 5) for d in range(1, 4) for D in range(0, 5)]
#: slow: the two largest, and above n d = 4 (where the grid compares the two solvers only, with no brute-force
#: check) the interior degrees 2 and 3: degrees 0, 1 and 4 stay there, and every degree stays at n d <= 4
SLOW = {(4, 3, 4), (3, 3, 4)} | {(n, d, D) for n, d, D in GRID if n * d > 4 and D in (2, 3)}


def _grid_param(case):
    marks = [pytest.mark.slow] if case in SLOW else []
    return pytest.param(case, marks=marks, id="n{}-d{}-D{}".format(*case))


@pytest.mark.parametrize("case", [_grid_param(c) for c in GRID])
def test_random_equivariant_default_equals_reference(case):
    n, d, D = case
    g = [_random_polynomial(n, d, D, seed=100 * n + 10 * d + D), _random_polynomial(n, d, D, seed=7 + D)]
    F = symmetrize(g, n, d)
    for refined in (False, True):
        default, _stats = _represent_equivariant_stats(F, n, d, refined)
        assert default.verify()
        reference = represent_equivariant(F, n, d, refined, config=SolveConfig(method="dense-expansion"))
        assert reference.verify()
        # the canonical normal form is the same (not only after substitution)
        assert list(default.Psi) == list(reference.Psi)
        assert default == reference
        if n * d <= 4:
            assert_represents(default, F, n, d, refined)


@pytest.mark.parametrize("case", [(3, 2, 4), (2, 3, 4), (4, 2, 3)], ids=str)
def test_linear_algebra_paths_agree(case):
    n, d, D = case
    F = symmetrize(_random_polynomial(n, d, D, seed=3), n, d)
    results = [_represent_equivariant_stats(F, n, d, use_flint=flag)[0] for flag in (True, False)]
    from _dense_reference import dense_block_solver

    from polyapprox.exact._equivariance import check_target
    from polyapprox.exact._linalg import sparse_solve
    from polyapprox.exact._semi_invariant import solve

    rows = check_target(F, n, d).rows[0]
    sols = [
        solve(rows, n, d, power_sum_indices(n, d), D, block_solver=solver, use_flint=fl)[0]
        for solver in (sparse_solve, dense_block_solver)
        for fl in (True, False)
    ]
    assert results[0] == results[1]
    assert all(sol == sols[0] for sol in sols)


def test_refined_uses_only_degrees_below_n():
    n, d, D = 3, 2, 4
    F = symmetrize(_random_polynomial(n, d, D, seed=11), n, d)
    rep = represent_equivariant(F, n, d, refined=True)
    assert rep.indices == tuple(power_sum_indices(n, d, refined=True))
    assert all(sum(a) <= n - 1 for a in rep.indices) and rep.latent_dim == 5
    allowed = set(own_symbols(d)) | {power_sum_symbol(a) for a in rep.indices}
    assert set().union(*(e.free_symbols for e in rep.Psi)) <= allowed
    assert rep.verify()
    assert_represents(rep, F, n, d, refined=True)


def test_n1_refined_depends_on_y_only():
    rep = represent_equivariant("3*x1_1**2 - x1_1 + 2", 1, 1, refined=True)
    assert rep.indices == () and rep.latent_dim == 0
    assert sympy.expand(rep.Psi[0] - (3 * y**2 - y + 2)) == 0
    assert rep.verify()


def test_zero_and_constant_targets():
    assert represent_equivariant("0", 3, 2).Psi == sympy.Matrix([[0]])
    rep = represent_equivariant("5/2", 3, 2)
    assert rep.Psi == sympy.Matrix([[sympy.Rational(5, 2)]]) and rep.verify()


def test_degree_parameter_allows_more_candidates_and_same_psi_in_full_rank_case():
    # d = 1, K = n - 1: the power sums and y are algebraically independent: Psi is unique.
    a = represent_equivariant("x2_1*x3_1", 3, 1, refined=True)
    b, stats = _represent_equivariant_stats("x2_1*x3_1", 3, 1, True, degree=4)
    assert stats.candidates > 6 and a.Psi == b.Psi and b.verify()


# ---------------------------------------------------------------------------------------------
# invariant polynomials; d = 1 cross-check against sympy's symmetrize + Newton's identities
# ---------------------------------------------------------------------------------------------


def _elementary_via_power_sums(n):
    """e_0..e_n in p_1..p_n by Newton's identities: k e_k = sum_{i=1}^k (-1)^(i-1) e_{k-i} p_i."""
    e = [sympy.Integer(1)]
    for k in range(1, n + 1):
        e.append(sympy.expand(sum((-1) ** (i - 1) * e[k - i] * s(i) for i in range(1, k + 1)) / k))
    return e


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_d1_against_sympy_symmetrize(n, seed):
    from sympy.polys.polyfuncs import symmetrize as sympy_symmetrize

    X = [x(i, 1) for i in range(1, n + 1)]
    f = sympy.expand(
        sum(_random_polynomial(n, 1, 4, seed=seed).xreplace(dict(zip(X, perm))) for perm in itertools.permutations(X))
    )
    sym, rest, defs = sympy_symmetrize(f, *X, formal=True)
    assert rest == 0
    e = _elementary_via_power_sums(n)
    expected = sympy.expand(sym.xreplace({name: e[int(str(name)[1:])] for name, _ in defs}))
    for method in ("orbit-blocks", "dense-expansion"):
        rep = represent_invariant(f, n, 1, config=SolveConfig(method=method))
        # p_1..p_n are algebraically independent for d = 1: Q is unique
        assert sympy.expand(rep.Q - expected) == 0
        assert rep.verify()


def test_invariant_d2_verifies_and_methods_agree():
    n, d = 3, 2
    X = sequence_symbols(n, d)
    g = _random_polynomial(n, d, 3, seed=5)
    f = sympy.expand(
        sum(
            g.xreplace({X[i, k]: X[perm[i], k] for i in range(n) for k in range(d)})
            for perm in itertools.permutations(range(n))
        )
    )
    a, stats = _represent_invariant_stats(f, n, d)
    b = represent_invariant(f, n, d, config=SolveConfig(method="dense-expansion"))
    assert a == b and a.verify() and stats.candidates > 0
    subs = {power_sum_symbol(al): v for al, v in power_sums(n, d).items()}
    assert sympy.expand(a.Q.xreplace(subs) - f) == 0


def test_invariant_not_invariant_raises_with_witness():
    with pytest.raises(NotEquivariantError) as info:
        represent_invariant("x1_1**2 + x2_1", 2, 1)
    assert info.value.witness == (1, 0) and "not invariant" in str(info.value)


def test_invariant_input_forms_and_errors():
    assert p1 == represent_invariant(sympy.Matrix([[x(1, 1) + x(2, 1)]]), 2, 1).Q
    with pytest.raises(ShapeError):
        represent_invariant(sympy.Matrix([[x(1, 1), x(2, 1)]]), 2, 1)
    with pytest.raises(ShapeError):
        represent_invariant(["x1_1 + x2_1", "x1_1*x2_1"], 2, 1)
    with pytest.raises(UnknownNameError):
        represent_invariant("x1_1 + x2_1", 2, 1, config=SolveConfig(method="fast"))


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def _brute_force_violates(F, n, d, sigma):
    """F(sigma X) != sigma F(X) with (sigma X)_i = x_{sigma^{-1}(i)}, by substitution."""
    inverse = [sigma.index(i) for i in range(n)]
    subs = {x(i + 1, k): x(inverse[i] + 1, k) for i in range(n) for k in range(1, d + 1)}
    lhs = F.xreplace(subs)
    rhs = sympy.Matrix([list(F.row(inverse[i])) for i in range(n)])
    return (lhs - rhs).expand() != sympy.zeros(*F.shape)


def test_non_equivariant_full_F_message_and_witness():
    F = sympy.Matrix([[x(2, 1)], [x(1, 1)], [x(1, 1)]])
    with pytest.raises(NotEquivariantError) as info:
        represent_equivariant(F, 3, 1)
    err = info.value
    assert _brute_force_violates(F, 3, 1, err.witness)
    assert str(err.witness) in str(err) and "row" in str(err) and "column 1" in str(err)


def test_first_row_not_semi_invariant():
    with pytest.raises(NotEquivariantError) as info:
        represent_equivariant("x2_1 + 2*x3_1", 3, 1)
    assert info.value.witness == (0, 2, 1)
    assert "not invariant under permutations fixing token 1" in str(info.value)


@pytest.mark.parametrize(
    "F",
    [
        sympy.sin(x(2, 1)),
        sympy.Abs(x(1, 1)),
        sympy.sqrt(x(1, 1)),
        1 / x(1, 1),
        "sin(x2_1)",
        "abs(x1_1)",
        "sqrt(x1_1)",
        "x1_1**0.5",
        "1/x1_1",
    ],
    ids=str,
)
def test_non_polynomial_points_to_numeric_route(F):
    with pytest.raises(NotPolynomialError, match="constructions.continuous.approximate"):
        represent_equivariant(F, 2, 1)


@pytest.mark.parametrize(
    "F, name",
    [
        (x(4, 1), "x4_1"),
        ("x4_1", "x4_1"),
        (x(1, 3), "x1_3"),
        ("x1_3", "x1_3"),
        (sympy.Symbol("z"), "z"),
        ("z + x1_1", "z"),
    ],
    ids=str,
)
def test_variables_out_of_range_are_named(F, name):
    with pytest.raises(PolyapproxError, match=name):
        represent_equivariant(F, 3, 2)


def test_float_policy():
    with pytest.raises(PolyapproxError, match="Rational"):
        represent_equivariant(sympy.Float(0.5) * x(1, 1), 2, 1)
    with pytest.raises(PolyapproxError, match="Rational"):
        represent_equivariant([0.5], 2, 1)
    # decimals in strings are exact decimal fractions, never rounded binary floats
    rep = represent_equivariant("0.1*x1_1", 2, 1)
    assert rep.Psi[0] == sympy.Rational(1, 10) * y


def test_irrational_coefficient_rejected():
    with pytest.raises(PolyapproxError, match="rational"):
        represent_equivariant(sympy.sqrt(2) * x(1, 1), 2, 1)


def test_too_large_refused_with_size():
    with pytest.raises(SizeError, match=r"[0-9,]+ terms"):
        represent_equivariant(x(1, 1) ** 12, 8, 4)
    with pytest.raises(SizeError, match="dense-expansion"):
        represent_equivariant(x(1, 1) ** 6, 6, 3, config=SolveConfig(method="dense-expansion"))


def test_other_argument_errors():
    with pytest.raises(PolyapproxError, match="degree"):
        represent_equivariant("x1_1**3", 2, 1, degree=2)
    with pytest.raises(UnknownNameError):
        represent_equivariant("x1_1", 2, 1, config=SolveConfig(method="fast"))
    with pytest.raises(PolyapproxError, match="refined"):
        represent_equivariant("x1_1", 2, 1, refined="yes")
    with pytest.raises(PolyapproxError):
        represent_equivariant("x1_1", 0, 1)
    with pytest.raises(ShapeError):
        represent_equivariant(sympy.Matrix([[x(1, 1)], [x(2, 1)]]), 3, 1)
    with pytest.raises(ParseError):
        represent_equivariant("x1_1 +", 2, 1)


def test_input_forms_agree():
    F1 = [x(2, 1) * x(3, 1) + x(1, 2), x(1, 1) * (x(2, 2) + x(3, 2))]
    F = full_F(F1, 3, 2)
    forms = [F, [list(F.row(i)) for i in range(3)], F1, sympy.Matrix([F1]), "x2_1*x3_1 + x1_2, x1_1*(x2_2 + x3_2)"]
    reps = [represent_equivariant(form, 3, 2) for form in forms]
    assert all(r == reps[0] for r in reps)
    assert all((r.F - F).expand() == sympy.zeros(3, 2) for r in reps)


# ---------------------------------------------------------------------------------------------
# the result types
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def example2():
    return represent_equivariant("x2_1*x3_1 + x1_2*(x2_2 + x3_2), x2_1*x2_2 + x3_1*x3_2", 3, 2)


def test_round_trip_json(example2):
    data = json.loads(json.dumps(example2.to_dict()))
    back = EquivariantRepresentation.from_dict(data)
    assert back == example2 and back.method == "orbit-blocks" and back.verify()
    assert hash(back) == hash(example2)
    noF = EquivariantRepresentation(3, 2, 2, example2.indices, example2.Psi)
    assert EquivariantRepresentation.from_dict(json.loads(json.dumps(noF.to_dict()))) == noF
    assert noF != example2


def test_coefficients_latent_dim_latex(example2):
    _y1, _y2 = own_symbols(2)
    coeffs = example2.coefficients()
    zero = (0,) * 9
    assert coeffs[1] == {((0, 0), (0, 0, 0, 1, 0, 0, 0, 0, 0)): Fraction(1), ((1, 1), zero): Fraction(-1)}
    assert coeffs[0][((0, 0), (2,) + (0,) * 8)] == Fraction(1, 2)
    assert example2.latent_dim == 9 and example2.K == 3
    latex = example2.to_latex()
    assert r"\Psi^{(2)}(y, s) &= s_{11} - y_{1} y_{2}" in latex and latex.startswith(r"\begin{aligned}")


def test_verify_failures():
    F = sympy.Matrix([[x(2, 1)], [x(1, 1)]])
    wrong = EquivariantRepresentation(2, 1, 1, ((1,), (2,)), sympy.Matrix([[p1]]), F=F)
    for flag in (True, False):
        with pytest.raises(PolyapproxError, match=r"Psi\(x_1, P\(X\)\) - F_1 in output entry 1"):
            wrong.verify(use_flint=flag)
    with pytest.raises(PolyapproxError, match="nothing to verify"):
        EquivariantRepresentation(2, 1, 1, ((1,), (2,)), sympy.Matrix([[p1]])).verify()


def test_constructor_validation():
    idx = ((1,), (2,))
    with pytest.raises(ShapeError):
        EquivariantRepresentation(2, 1, 2, idx, sympy.Matrix([[p1]]))
    with pytest.raises(PolyapproxError, match="p_3"):
        EquivariantRepresentation(2, 1, 1, idx, sympy.Matrix([[s(3)]]))
    with pytest.raises(PolyapproxError, match="y_2"):
        EquivariantRepresentation(2, 1, 1, idx, sympy.Matrix([[own_symbols(2)[1]]]))
    with pytest.raises(PolyapproxError, match="indices"):
        EquivariantRepresentation(2, 1, 1, ((1,),), sympy.Matrix([[p1]]))
    with pytest.raises(PolyapproxError, match="indices"):
        EquivariantRepresentation(2, 1, 1, 5, sympy.Matrix([[p1]]))
    with pytest.raises(ShapeError):
        EquivariantRepresentation(2, 1, 1, idx, sympy.Matrix([[p1]]), F=sympy.Matrix([[x(1, 1)]]))
    with pytest.raises(PolyapproxError, match="x3_1"):
        EquivariantRepresentation(2, 1, 1, idx, [[p1]], F=[[x(3, 1)], [x(1, 1)]])
    with pytest.raises(ShapeError):
        EquivariantRepresentation(2, 1, 1, idx, [[p1], [p1, p2]])
    with pytest.raises(PolyapproxError, match="sympy Matrix"):
        EquivariantRepresentation(2, 1, 1, idx, "p_1")
    with pytest.raises(PolyapproxError, match="strings are not accepted"):
        EquivariantRepresentation(2, 1, 1, idx, [["__import__('os')"]])
    with pytest.raises(PolyapproxError, match="refined"):
        EquivariantRepresentation(2, 1, 1, idx, [[p1]], refined=1)
    with pytest.raises(PolyapproxError, match="method"):
        EquivariantRepresentation(2, 1, 1, idx, [[p1]], method=3)
    # a list Psi is accepted and normalised
    rep = EquivariantRepresentation(2, 1, 1, [[1], [2]], [[p1 - y]], F=[[x(2, 1)], [x(1, 1)]])
    assert isinstance(rep.Psi, sympy.Matrix) and rep.indices == idx and rep.verify()


def _tamper(data, **changes):
    out = json.loads(json.dumps(data))
    out.update(changes)
    return out


def test_from_dict_rejects_tampering_and_executes_nothing(example2, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    data = example2.to_dict()
    evil = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    for key, value in [
        ("Psi", [evil, "p_1_1"]),
        ("Psi", ["os.system('ls')", "p_1_1"]),
        ("Psi", ["q_1 + y_1", "p_1_1"]),
        ("F", [[evil, "0"]] * 3),
    ]:
        with pytest.raises(ParseError):
            EquivariantRepresentation.from_dict(_tamper(data, **{key: value}))
    assert not marker.exists()
    bad = [
        ("n", "3"),
        ("n", 0),
        ("d", 2.0),
        ("refined", "no"),
        ("method", 1),
        ("indices", [[1, 0]]),
        ("indices", "all"),
        ("Psi", "p_1_1"),
        ("Psi", ["p_1_1"]),
        ("Psi", [1, 2]),
        ("F", [["0", "0"]]),
        ("F", "x1_1"),
        ("type", "InvariantRepresentation"),
        ("version", 2),
    ]
    for key, value in bad:
        with pytest.raises(PolyapproxError):
            EquivariantRepresentation.from_dict(_tamper(data, **{key: value}))
    with pytest.raises(PolyapproxError, match="unknown keys"):
        EquivariantRepresentation.from_dict(_tamper(data, extra=1))
    with pytest.raises(PolyapproxError, match="missing keys"):
        EquivariantRepresentation.from_dict({k: v for k, v in data.items() if k != "F"})
    with pytest.raises(PolyapproxError, match="expects a dict"):
        EquivariantRepresentation.from_dict([1, 2])
    with pytest.raises(PolyapproxError, match="refers to token"):  # F mentions a token > n
        EquivariantRepresentation.from_dict(_tamper(data, F=[["x4_1", "0"]] * 3))


def test_invariant_representation_type(tmp_path):
    rep = represent_invariant("x1_1*x2_1 + x1_2*x2_2", 2, 2)
    assert rep.verify(use_flint=True) and rep.verify(use_flint=False)
    back = InvariantRepresentation.from_dict(json.loads(json.dumps(rep.to_dict())))
    assert back == rep and hash(back) == hash(rep) and back.latent_dim == 5
    assert rep.to_latex().startswith("Q(s) = ")
    assert rep.coefficients() and all(isinstance(v, Fraction) for v in rep.coefficients().values())
    assert rep != represent_invariant("x1_1 + x2_1", 2, 2)
    assert (rep == 3) is False
    with pytest.raises(PolyapproxError, match="nothing to verify"):
        InvariantRepresentation(2, 2, rep.indices, rep.Q).verify()
    wrong = InvariantRepresentation(2, 2, rep.indices, rep.Q + 1, f=rep.f)
    with pytest.raises(PolyapproxError, match="verification failed"):
        wrong.verify()
    with pytest.raises(ParseError):
        InvariantRepresentation.from_dict(_tamper(rep.to_dict(), Q="exec('1')"))
    with pytest.raises(PolyapproxError):
        InvariantRepresentation.from_dict(_tamper(rep.to_dict(), f=3))
    with pytest.raises(PolyapproxError, match="method"):
        InvariantRepresentation(2, 2, rep.indices, rep.Q, method=None)
    noF = InvariantRepresentation(2, 2, rep.indices, rep.Q)
    assert InvariantRepresentation.from_dict(noF.to_dict()) == noF


def test_method_names_and_the_old_names_refused():
    new = {
        m: represent_equivariant("x2_1**2", 2, 1, config=SolveConfig(method=m))
        for m in ("orbit-blocks", "dense-expansion")
    }
    assert new["orbit-blocks"] == new["dense-expansion"]
    assert new["orbit-blocks"].method == "orbit-blocks" and new["dense-expansion"].method == "dense-expansion"
    assert new["orbit-blocks"].stats.method == "orbit-blocks" and new["orbit-blocks"].stats.candidates == 7
    data = new["orbit-blocks"].to_dict() | {"method": "default"}  # a file saved before the rename still reads
    assert EquivariantRepresentation.from_dict(data) == new["orbit-blocks"]
    for old in ("default", "reference", "fast"):  # the names before the rename are refused, naming the new ones
        with pytest.raises(PolyapproxError, match="'orbit-blocks', 'dense-expansion'"):
            represent_equivariant("x2_1", 2, 1, config=SolveConfig(method=old))
        with pytest.raises(PolyapproxError, match="'orbit-blocks', 'dense-expansion'"):
            represent_invariant("x1_1 + x2_1", 2, 1, config=SolveConfig(method=old))


def test_solve_config_is_checked_when_built_and_its_budget_reaches_the_solver():
    with pytest.raises(PolyapproxError, match="max_work must be an integer >= 1; got 0"):
        SolveConfig(max_work=0)
    with pytest.raises(PolyapproxError, match="config must be a SolveConfig; got dict"):
        represent_equivariant("x1_1", 2, 1, config={"method": "orbit-blocks"})  # pyright: ignore[reportArgumentType]
    with pytest.raises(PolyapproxError, match="config must be a SolveConfig; got str"):
        represent_invariant("x1_1 + x2_1", 2, 1, config="dense-expansion")  # pyright: ignore[reportArgumentType]
    # x1_1**2 at n = 2, d = 1: the elimination is estimated at 2^2 (4 - 3) 3^2 = 36 units (test_semi_invariant)
    with pytest.raises(SizeError, match=r"budget of 35.*SolveConfig\(max_work=\.\.\.\)"):
        represent_equivariant("x1_1**2", 2, 1, config=SolveConfig(max_work=35))
    assert represent_equivariant("x1_1**2", 2, 1, config=SolveConfig(max_work=36)).verify()


def test_from_terms_matches_the_engine():
    from fractions import Fraction

    rep = represent_equivariant("x2_1**2", 2, 1)
    terms = [{beta + m: c for (beta, m), c in out.items()} for out in rep.coefficients()]
    back = EquivariantRepresentation.from_terms(2, 1, terms)
    assert back == EquivariantRepresentation(2, 1, 1, rep.indices, rep.Psi)
    assert EquivariantRepresentation(2, 1, 1, back.indices, back.Psi, F=rep.F).verify()
    # affine: Psi(z') with z' = 2 z - 1 expands exactly
    shifted = EquivariantRepresentation.from_terms(2, 1, [{(1, 0, 0): Fraction(1, 3)}], affine=([2, 1, 1], [-1, 0, 0]))
    y1 = own_symbols(1)[0]
    assert sympy.expand(shifted.Psi[0] - (2 * y1 - 1) / 3) == 0
    with pytest.raises(PolyapproxError, match="exact"):
        EquivariantRepresentation.from_terms(2, 1, [{(1, 0, 0): 0.5}])


def test_certified_by_default_with_time_split():
    F = symmetrize([_random_polynomial(3, 2, 3, seed=5), _random_polynomial(3, 2, 3, seed=6)], 3, 2)
    rep = represent_equivariant(F, 3, 2)
    st = rep.stats
    assert st.verified is True and st.verify_seconds > 0
    assert min(st.convert_seconds, st.check_seconds, st.candidates_seconds, st.solve_seconds) >= 0
    assert st.nonzeros > 0
    skipped = represent_equivariant(F, 3, 2, verify=False)
    assert skipped.stats.verified is None and skipped.stats.verify_seconds == 0.0
    assert skipped == rep
    with pytest.raises(PolyapproxError, match="verify"):
        represent_equivariant(F, 3, 2, verify="yes")


def test_lazy_matrices_keep_their_values():
    """Psi and F are built from the exact terms on first access and equal the eager objects."""
    X = sequence_symbols(3, 1)
    F = X.applyfunc(lambda xi: xi * sum(X) ** 2)
    rep = represent_equivariant(F, 3, 1)
    assert "_Psi_value" in rep.__dict__ and rep.F is F  # a full Matrix input is kept as given
    Psi = rep.Psi
    assert Psi is rep.Psi  # built once
    assert Psi == sympy.Matrix([[sympy.expand(e) for e in Psi]])  # canonical sympy form
    eager = EquivariantRepresentation(3, 1, 1, rep.indices, Psi, F=F)
    assert eager == rep and eager.verify()
    first = represent_equivariant("x2_1*x3_1", 3, 1)  # F completed from the first row
    assert full_F([x(2, 1) * x(3, 1)], 3, 1) == first.F
    assert first.Psi == sympy.Matrix([[s(1) ** 2 / 2 - s(1) * x_own() - s(2) / 2 + x_own() ** 2]])
    with pytest.raises(TypeError):
        EquivariantRepresentation(3, 1, 1, rep.indices)  # Psi stays a required field


def x_own():
    return own_symbols(1)[0]


def test_flat_list_ambiguity_in_represent_equivariant():
    a, b = x(1, 1), x(2, 1)
    with pytest.raises(ShapeError, match="first_row"):
        represent_equivariant([b, a], 2, 1)
    rows = represent_equivariant([b, a], 2, 1, first_row=False)  # F_1 = x2, F_2 = x1
    assert rows.d_out == 1 and rows.Psi == sympy.Matrix([[s(1) - x_own()]])
    first = represent_equivariant([b, a], 2, 1, first_row=True)  # F_1 = (x2, x1)
    assert first.d_out == 2 and first.Psi == sympy.Matrix([[s(1) - x_own(), x_own()]])
    assert sympy.Matrix([[b, a], [a, b]]) == first.F


def test_from_dict_refuses_inconsistent_or_boolean_versioned_data():
    rep = represent_equivariant("x2_1", 2, 1)
    data = rep.to_dict()
    with pytest.raises(PolyapproxError, match="version"):
        EquivariantRepresentation.from_dict({**data, "version": True})
    contradicting = {**data, "F": [["x1_1"], ["x2_1"]]}  # Psi = p_1 - y_1 represents F_1 = x2_1, not x1_1
    with pytest.raises(PolyapproxError, match="disagree"):
        EquivariantRepresentation.from_dict(contradicting)
    trusted = EquivariantRepresentation.from_dict(contradicting, verify=False)  # explicitly skipped
    assert trusted.Psi == rep.Psi


def test_from_dict_counts_indices_before_building_them():
    """Hostile-input issue, item 8: d = 1000 in a dict built 501,500 index tuples of length 1000 first (hung)."""
    data = represent_equivariant("x2_1", 2, 1).to_dict()
    with pytest.raises(PolyapproxError, match="must be the 501,500 power-sum indices .* got 2 entries"):
        EquivariantRepresentation.from_dict({**data, "d": 1000})
    with pytest.raises(PolyapproxError, match="indices must be the 2 power-sum indices"):
        EquivariantRepresentation.from_dict({**data, "indices": [[1], [2], [3]]})


def test_from_dict_with_integers_too_long_to_print():
    """Found by the fuzz suite: a 5,000-digit int in any field raised ValueError (Python's 4,300-digit limit)
    while the error message was formatted, or OverflowError in the index count."""
    data = represent_equivariant("x2_1", 2, 1).to_dict()
    for key in ("n", "d", "d_out", "version", "Psi", "indices", "F", "refined", "method", "type"):
        for value in (10**5000, -(10**5000), [[10**5000]]):
            with pytest.raises(PolyapproxError):
                EquivariantRepresentation.from_dict({**data, key: value})


def test_a_short_psi_that_would_expand_past_memory_is_refused_on_load():
    """Hostile input: a 27-character Psi in a saved representation once aborted the interpreter inside
    GMP; now the parser's size bound refuses it before expanding anything (model files: test_modelfile)."""
    data = represent_equivariant("x2_1+x3_1", n=3, d=1).to_dict()
    data.update(Psi=["(p_1+p_2+p_3+y_1+1)**120"], F=None)
    with pytest.raises(SizeError, match="terms"):
        EquivariantRepresentation.from_dict(data)
