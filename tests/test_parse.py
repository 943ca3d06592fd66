"""The safe parser: whitelisted syntax only, exact decimals, nothing ever executed."""

from __future__ import annotations

import builtins

import pytest
import sympy

from polyapprox import NotPolynomialError, ParseError, PolyapproxError, SizeError, token_symbol
from polyapprox.exact._parse import MAX_LENGTH, parse_polynomial, parse_polynomials, parse_rows

x = token_symbol


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x2_1*x3_1 + x1_2*(x2_2 + x3_2)", x(2, 1) * x(3, 1) + x(1, 2) * (x(2, 2) + x(3, 2))),
        ("-x1_1**2 + +3", -(x(1, 1) ** 2) + 3),
        ("x1_1 - x2_1 - x3_1", x(1, 1) - x(2, 1) - x(3, 1)),
        ("0.5*x1_1", sympy.Rational(1, 2) * x(1, 1)),
        ("0.1 + 1e-3 + 2.50 + 1_000", sympy.Rational(1, 10) + sympy.Rational(1, 1000) + sympy.Rational(5, 2) + 1000),
        ("(x1_1 + x2_1)**2 / 4", (x(1, 1) + x(2, 1)) ** 2 / 4),
        ("x1_1 / (2 - 0.5)", x(1, 1) * sympy.Rational(2, 3)),
        ("x1_1**+2", x(1, 1) ** 2),
        ("7", sympy.Integer(7)),
    ],
    ids=str,
)
def test_accepted(text, expected):
    assert sympy.expand(parse_polynomial(text, 3, 2) - expected) == 0


def test_decimal_is_exact_not_binary_float():
    value = parse_polynomial("0.1", 1, 1)
    assert value == sympy.Rational(1, 10) and not value.atoms(sympy.Float)


def test_several_entries_and_rows():
    assert parse_polynomials("x1_1, x2_1*x1_1", 2, 1) == [x(1, 1), x(1, 1) * x(2, 1)]
    assert parse_rows([["x1_1", "1"]], 2, 1) == [[x(1, 1), 1]]
    with pytest.raises(ParseError, match="one polynomial"):
        parse_polynomial("x1_1, x2_1", 2, 1)


def test_extra_symbols():
    y1 = sympy.Symbol("y_1")
    assert parse_polynomial("p_1_0*y_1", 1, 2, extra_symbols=["p_1_0", y1]) == sympy.Symbol("p_1_0") * y1
    with pytest.raises(ParseError, match="p_1_0"):
        parse_polynomial("p_2_0", 1, 2, extra_symbols=["p_1_0"])


@pytest.mark.parametrize(
    "text, match",
    [
        ("__import__('os').system('echo hi')", "function calls"),
        ("foo(x1_1)", "function calls"),
        ("x1_1.conjugate", "attribute"),
        ("x1_1[0]", "subscripts"),
        ("lambda: 1", "lambdas"),
        ("'x1_1'", "literal"),
        ("x1_1^2", r"\*\*"),
        ("x1_1 < 2", "comparisons"),
        ("x1_1 and x2_1", "boolean"),
        ("x1_1 if 1 else 2", "conditionals"),
        ("[x1_1]", "lists"),
        ("{1: 2}", "dicts"),
        ("{x1_1}", "sets"),
        ("f'{x1_1}'", "f-strings"),
        ("(y := 1)", "assignments"),
        ("(x1_1, (x2_1, 1))", "tuple"),
        ("x1_1,,x2_1", "empty entry"),
        ("x1_1 + (", "invalid syntax"),
        ("x1_1 $ 2", "invalid syntax"),
        ("z", "unknown name 'z'"),
        ("x0_1", "unknown name"),
        ("x01_1", "unknown name"),
        ("X1_1", "unknown name"),
        ("x4_1", "token 4"),
        ("x1_3", "coordinate 3"),
        ("True", "literal"),
        ("None", "literal"),
        ("1j", "literal"),
        ("b'1'", "literal"),
        ("not x1_1", "'not'"),
        ("~x1_1", "'~'"),
        ("x1_1 % 2", "'%'"),
        ("x1_1 // 2", "'//'"),
        ("x1_1 @ x2_1", "'@'"),
        ("x1_1 << 1", "'<<'"),
        ("x1_1 | 1", "'\\|'"),
        ("x1_1 & 1", "'&'"),
        ("x1_1 >> 1", "'>>'"),
        ("2**-1", "non-negative integer"),
        ("2**0.5", "non-negative integer"),
        ("x1_1 / 0", "division by zero"),
        ("", "empty"),
        ("   ", "empty"),
        ("x1_1 +", "invalid syntax"),
        ("()", "tuple"),
        ("*x1_1", "invalid syntax|starred"),
    ],
    ids=str,
)
def test_rejected_with_a_clear_error(text, match):
    with pytest.raises(ParseError, match=match):
        parse_polynomial(text, 3, 2)


@pytest.mark.parametrize(
    "text",
    [
        "sin(x1_1)",
        "sqrt(x1_1)",
        "abs(x1_1)",
        "exp(x2_1)",
        "x1_1**0.5",
        "x1_1**(1/2)",
        "x1_1**-1",
        "x1_1**x2_1",
        "1/x1_1",
        "x2_1/(x1_1 + 1)",
        "sqrt",
    ],
)
def test_non_polynomial_points_to_numeric_route(text):
    with pytest.raises(NotPolynomialError, match="constructions.continuous.approximate"):
        parse_polynomial(text, 3, 2)


def test_size_guards():
    with pytest.raises(SizeError, match="exponent"):
        parse_polynomial("x1_1**100000", 2, 1)
    with pytest.raises(SizeError, match="degree"):
        parse_polynomial("((x1_1**100)**100)", 2, 1)
    with pytest.raises(SizeError, match="characters"):
        parse_polynomial("1" * (MAX_LENGTH + 1), 2, 1)


def test_deep_nesting_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_polynomial("(" * 5000 + "x1_1" + ")" * 5000, 2, 1)
    with pytest.raises(ParseError):
        parse_polynomial("-" * 100_000 + "x1_1", 2, 1)


def test_long_sums_parse_without_recursion():
    text = " + ".join(["x1_1*x2_1"] * 15_000)
    assert parse_polynomial(text, 2, 1) == 15_000 * x(1, 1) * x(2, 1)


def test_non_string_and_bad_sizes():
    with pytest.raises(ParseError, match="string"):
        parse_polynomial(3, 2, 1)
    with pytest.raises(PolyapproxError):
        parse_polynomial("x1_1", 0, 1)


def test_nothing_is_evaluated(monkeypatch, tmp_path):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/sympify must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden)
    assert parse_polynomial("x1_1 + 0.25*x2_1", 2, 1) == x(1, 1) + x(2, 1) / 4
    marker = tmp_path / "created"
    with pytest.raises(ParseError):
        parse_polynomial(f"__import__('pathlib').Path({str(marker)!r}).touch()", 2, 1)
    assert not marker.exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("((9**1000)**1000)**1000", "digits"),
        ("1e99999999999*x1_1", "digits"),
        ("(x1_1+x2_1+x3_1+1)**300", "terms"),
        ("(x1_1+x2_1)**999 * (x1_1+x2_1)**999", "degree"),
        ("(1 + x1_1 + x2_1 + x3_1 + x1_2)**100", "terms"),
    ],
)
def test_short_inputs_that_would_explode_are_refused_from_the_syntax_tree(text, message):
    # each of these hung or exhausted memory when the size was only checked after expanding
    with pytest.raises(SizeError, match=message):
        parse_polynomial(text, 3, 2)


def test_size_estimates_leave_ordinary_inputs_alone():
    assert parse_polynomial("9**1000*x1_1", 3, 1).as_coeff_Mul()[0] == 9**1000
    assert parse_polynomial("(x1_1 + x2_1 + 1)**20", 3, 1).expand().subs({"x1_1": 1, "x2_1": 1}) == 3**20


def test_integer_literals_over_4300_digits_are_a_size_error():
    """Hostile-input issue, item 4: the message was Python's own (sys.set_int_max_str_digits ...)."""
    with pytest.raises(SizeError, match="more than 4,300 digits"):
        parse_polynomial("9" * 5000 + "*x1_1", 1, 1)
