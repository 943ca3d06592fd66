"""A safe parser for polynomials typed by users or read from files.

Text is parsed with ``ast.parse(text, mode="eval")`` and the syntax tree is walked over a
whitelist; nothing is ever evaluated, ``eval``-ed, ``sympify``-ed or ``exec``-ed (sympy's
``sympify``/``parse_expr`` call ``eval`` on their input, sympy issue #10805). Accepted:

- integer literals and decimal literals (``0.5``, ``1e-3``), converted EXACTLY to
  fractions from their source text (``0.1`` is 1/10, never a binary float);
- the token variables ``x{i}_{k}`` with 1 <= i <= n and 1 <= k <= d (no leading zeros),
  and the names in ``extra_symbols`` (e.g. ``y_1``, ``p_2_1`` when reading a saved Psi);
- binary ``+ - *``, ``/`` by a nonzero constant, ``**`` with a non-negative integer
  literal exponent, unary ``+ -``, parentheses; a top-level comma separates entries
  (:func:`parse_polynomials`).

Everything else (calls, attributes, subscripts, ``^``, lambdas, strings, comparisons,
unknown names) raises :class:`polyapprox.ParseError` naming the offending piece; calls of
non-polynomial functions (``sin``, ``sqrt``, ``abs``...), fractional powers and division by
a variable raise :class:`polyapprox.NotPolynomialError`, which points to the numeric route.
Inputs longer than ``MAX_LENGTH`` characters, exponents above ``MAX_EXPONENT``, total
degrees above ``MAX_DEGREE``, expansions of more than ``MAX_TERMS`` terms and coefficients of
more than ``MAX_DIGITS`` digits are refused with a ``SizeError``, estimated from the syntax tree
before anything is computed (so a short input such as ``((9**1000)**1000)**1000`` cannot hang).
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import sympy

from ._errors import NotPolynomialError, ParseError, PolyapproxError, SizeError
from ._poly import NUMERIC_ROUTE, check_token_name
from ._symbols import token_symbol
from ._validate import check_int

MAX_LENGTH = 200_000
MAX_EXPONENT = 1000
MAX_DEGREE = 1000
#: Most terms the expanded polynomial may have (estimated from the syntax tree before expanding).
MAX_TERMS = 1_000_000
#: Most decimal digits a coefficient may have (estimated before any arithmetic on it).
MAX_DIGITS = 10_000
#: Work units (those of the engine's elimination budget, ``max_work``) per term x variable x degree of an
#: expansion: reading, checking and certifying a polynomial of T terms in v variables of degree D costs
#: about T v D times 1-2 microseconds here (measured: (x1_1 + ... + x60_1)**3 at n = 60, 6.8e6 such units,
#: 4.4 s; (sum of all)**6 at n = 6, d = 2, 8.9e5 units, 1.8 s), an elimination unit about 0.7 ns.
EXPANSION_UNITS = 3000


@dataclass(frozen=True)
class _Cost:
    """Upper bounds for a sub-expression, known before sympy builds or expands anything."""

    degree: int
    terms: int
    digits: float

    def add(self, other: _Cost) -> _Cost:
        return _Cost(max(self.degree, other.degree), self.terms + other.terms, max(self.digits, other.digits) + 1)

    def times(self, other: _Cost) -> _Cost:
        return _Cost(self.degree + other.degree, self.terms * other.terms, self.digits + other.digits)

    def power(self, e: int) -> _Cost:
        # a sum of t terms to the power e has at most C(t + e - 1, e) terms; coefficients are products of
        # e coefficients times a multinomial coefficient below t^e
        terms = math.comb(self.terms + e - 1, e) if self.terms > 1 and e > 0 else 1
        return _Cost(self.degree * e, terms, e * (self.digits + math.log10(max(self.terms, 1))))


#: Names of functions that are not polynomials: calling them points to the numeric route.
NON_POLYNOMIAL_FUNCTIONS = frozenset(
    {
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "ln",
        "sqrt",
        "cbrt",
        "abs",
        "Abs",
        "max",
        "Max",
        "min",
        "Min",
        "sign",
        "floor",
        "ceil",
        "ceiling",
        "relu",
        "sigmoid",
        "softmax",
        "erf",
        "pow",
        "root",
    }
)

_OPERATOR_NAMES = {
    ast.BitXor: "'^' (write powers as '**', e.g. x1_1**2)",
    ast.BitOr: "'|'",
    ast.BitAnd: "'&'",
    ast.FloorDiv: "'//'",
    ast.Mod: "'%'",
    ast.MatMult: "'@'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.Invert: "'~'",
    ast.Not: "'not'",
}


def parse_polynomial(text: str, n: int, d: int, *, extra_symbols: Iterable[sympy.Symbol | str] = ()) -> sympy.Expr:
    """Parse one polynomial in the token variables x{i}_{k} (i <= n, k <= d), safely.

    Nothing is evaluated: the text is walked as a syntax tree over a whitelist (module
    docstring). Decimal literals are converted exactly (0.5 -> 1/2).

    Parameters
    ----------
    text : str
        One polynomial in the token variables ``x{i}_{k}``.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    extra_symbols : iterable of sympy.Symbol or str, default ()
        Further variable names allowed in ``text``.

    Returns
    -------
    sympy.Expr
        The polynomial, with exact rational coefficients.

    Raises
    ------
    ParseError
        Syntax errors, unknown names, disallowed constructs.
    NotPolynomialError
        sin, sqrt, x**0.5, division by a variable.
    SizeError
        Text or result too large.

    Examples
    --------
    >>> parse_polynomial("x2_1*x3_1 + 0.5*x1_2**2", n=3, d=2)
    x1_2**2/2 + x2_1*x3_1
    >>> parse_polynomial("__import__('os').system('echo hi')", n=3, d=2)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.ParseError: function calls are not allowed: __import__('os').system('echo hi') ...
    """
    entries = parse_polynomials(text, n, d, extra_symbols=extra_symbols)
    if len(entries) != 1:
        raise ParseError(f"expected one polynomial; got {len(entries)} comma-separated entries")
    return entries[0]


def parse_polynomials(
    text: str, n: int, d: int, *, extra_symbols: Iterable[sympy.Symbol | str] = (), max_work: int | None = None
) -> list[sympy.Expr]:
    """Parse comma-separated polynomials (one per output coordinate), safely.

    ``max_work`` (the engine's budget, in its work units): also refuse, from the syntax tree and
    before expanding, a sub-expression whose expansion (up to T terms in the n d variables, degree
    D) costs more than ``max_work`` / ``EXPANSION_UNITS`` term x variable x degree units.

    >>> parse_polynomials("x2_1*x3_1, x2_1 + x3_1", n=3, d=1)
    [x2_1*x3_1, x2_1 + x3_1]
    """
    n = check_int("n", n)
    d = check_int("d", d)
    if not isinstance(text, str):
        raise ParseError(f"expected a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SizeError(f"input has {len(text):,} characters, more than the limit of {MAX_LENGTH:,}")
    if not text.strip():
        raise ParseError("empty expression; write a polynomial such as 'x2_1*x3_1 + x1_1'")
    extra = {}
    for sym in extra_symbols:
        name = sym if isinstance(sym, str) else sym.name
        extra[name] = sympy.Symbol(name)
    walker = _Walker(text, n, d, extra, None if max_work is None else check_int("max_work", max_work))
    entries = []
    for entry in _split(text.strip()):
        if not entry:
            raise ParseError(f"empty entry in {_clip(text)!r}; separate output entries by single commas")
        terms = [walker.chunk(chunk) for chunk in entry]
        entries.append(terms[0] if len(terms) == 1 else sympy.Add(*terms))
    return entries


def _split(text: str) -> list[list[str]]:
    """Entries (top-level commas) of signed summands (top-level binary + and -), via ``tokenize``.

    Splitting long sums first keeps every piece given to ``ast.parse`` small, so inputs with
    many thousands of terms do not hit the recursion limit of Python's own parser.
    """
    starts, offset = [], 0
    for line in text.splitlines(keepends=True) or [""]:
        starts.append(offset)
        offset += len(line)
    entries: list[list[str]] = []
    pieces: list[str] = []
    begin, depth, previous = 0, 0, None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ParseError(f"invalid syntax in {_clip(text)!r}: {exc.args[0] if exc.args else exc}") from None
    for tok in tokens:
        if tok.type in (
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.COMMENT,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        at = starts[tok.start[0] - 1] + tok.start[1]
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif depth == 0 and tok.type == tokenize.OP and tok.string == ",":
            pieces.append(text[begin:at].strip())
            entries.append(pieces)
            pieces, begin, previous = [], at + 1, None
            continue
        elif (
            depth == 0
            and tok.type == tokenize.OP
            and tok.string in "+-"
            and previous is not None
            and _is_operand_end(previous)
        ):
            pieces.append(text[begin:at].strip())
            begin = at
        previous = tok
    pieces.append(text[begin:].strip())
    entries.append(pieces)
    return [[p for p in entry if p] if any(entry) else [] for entry in entries]


def _is_operand_end(tok: tokenize.TokenInfo) -> bool:
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string)
    return tok.type in (tokenize.NUMBER, tokenize.STRING) or (tok.type == tokenize.OP and tok.string in ")]}")


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: What refused syntax is called in a message, for every parser of user text (polynomials here,
#: target expressions in the numeric layer): one wording for both.
_SYNTAX_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditionals",
    ast.List: "lists",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments",
    ast.Starred: "starred expressions",
    ast.UnaryOp: "this unary operator",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generators",
    ast.Slice: "slices",
    ast.Await: "await",
    ast.Yield: "yield",
}


def syntax_name(node: ast.AST) -> str:
    """How a message names a refused syntax node ("lambdas", "f-strings", ...); else its class name.

    >>> syntax_name(ast.parse("lambda: 0", mode="eval").body)
    'lambdas'
    """
    return next((name for kind, name in _SYNTAX_NAMES.items() if isinstance(node, kind)), type(node).__name__)


class _Walker:
    """Turns whitelisted syntax nodes into sympy expressions, tracking a degree bound."""

    def __init__(self, text: str, n: int, d: int, extra: dict[str, sympy.Symbol], max_work: int | None = None) -> None:
        self.text, self.n, self.d, self.extra = text, n, d, extra
        self.max_work = max_work

    def chunk(self, text: str) -> sympy.Expr:
        """Parse one summand (it may begin with its sign) into an expression."""
        self.text = text
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            if "integer string conversion" in exc.msg:  # Python refuses int literals over 4,300 digits
                raise SizeError(
                    f"an integer literal in {_clip(text)!r} has more than 4,300 digits, more than Python reads"
                ) from None
            raise ParseError(f"invalid syntax in {_clip(text)!r}: {exc.msg}") from None
        except (RecursionError, MemoryError, ValueError) as exc:
            raise ParseError(
                f"cannot parse {_clip(text)!r} ({type(exc).__name__}: nested too deeply or invalid)"
            ) from None
        if isinstance(tree.body, ast.Tuple):
            raise ParseError(
                f"tuples are not allowed inside an entry: {_clip(text)!r}; separate output entries by top-level commas"
            )
        try:
            return self.expr(tree.body)[0]
        except RecursionError:
            raise ParseError(f"expression nested too deeply: {_clip(text)!r}") from None

    def source(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node)
        return _clip(segment if segment is not None else type(node).__name__)

    def expr(self, node: ast.AST) -> tuple[sympy.Expr, _Cost]:
        """(expression, upper bounds of its degree, expanded terms and coefficient digits)."""
        if isinstance(node, ast.Constant):
            value = self.constant(node)
            return value, _Cost(0, 1, _digits(value))
        if isinstance(node, ast.Name):
            return self.name(node), _Cost(1, 1, 0.0)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.UAdd, ast.USub)):
                value, cost = self.expr(node.operand)
                return (-value if isinstance(node.op, ast.USub) else value), cost
            raise ParseError(
                f"operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)} "
                f"is not allowed: {self.source(node)}"
            )
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in NON_POLYNOMIAL_FUNCTIONS:
                raise NotPolynomialError(f"{self.source(node)} is not a polynomial; {NUMERIC_ROUTE}")
            raise ParseError(
                f"function calls are not allowed: {self.source(node)} "
                "(only numbers, token variables x{i}_{k}, + - * / ** and parentheses)"
            )
        if isinstance(node, ast.Tuple):
            raise ParseError(f"tuples are not allowed inside an entry: {self.source(node)}")
        kind = syntax_name(node)
        raise ParseError(
            f"{kind} not allowed: {self.source(node)} "
            "(only numbers, token variables x{i}_{k}, + - * / ** and parentheses)"
        )

    def constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, (str, bytes, complex)):
            raise ParseError(f"literal {self.source(node)} is not allowed; only integer and decimal numbers")
        if isinstance(value, int):
            return sympy.Integer(value)
        if isinstance(value, float):  # exact decimal fraction from the source text, never the binary float
            segment = ast.get_source_segment(self.text, node) or repr(value)
            exponent = segment.replace("_", "").lower().partition("e")[2]
            if exponent and abs(int(exponent)) > MAX_DIGITS:
                raise SizeError(
                    f"the number {_clip(segment)} has about {abs(int(exponent)):,} digits, more than "
                    f"the limit of {MAX_DIGITS:,}"
                )
            try:
                exact = Fraction(segment.replace("_", ""))
            except (ValueError, ZeroDivisionError):
                raise ParseError(f"cannot read the number {segment!r} exactly") from None
            return sympy.Rational(exact.numerator, exact.denominator)
        raise ParseError(f"literal {self.source(node)} is not allowed")  # pragma: no cover - Ellipsis etc.

    def name(self, node: ast.Name) -> sympy.Symbol:
        name = node.id
        if name in self.extra:
            return self.extra[name]
        try:
            ik = check_token_name(name, self.n, self.d)
        except PolyapproxError as exc:
            raise ParseError(str(exc)) from None
        if ik is not None:
            return token_symbol(*ik)
        if name in NON_POLYNOMIAL_FUNCTIONS:
            raise NotPolynomialError(f"{name} is not a polynomial; {NUMERIC_ROUTE}")
        allowed = f"token variables x{{i}}_{{k}} with 1 <= i <= {self.n}, 1 <= k <= {self.d}"
        if self.extra:
            shown = sorted(self.extra)
            allowed += "; and " + (", ".join(shown) if len(shown) <= 6 else f"{shown[0]}, ..., {shown[-1]}")
        raise ParseError(f"unknown name {name!r}; allowed: {allowed}")

    def binop(self, node: ast.BinOp) -> tuple[sympy.Expr, _Cost]:
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):  # flatten long left-nested sums without recursion
            terms, chain = [], node
            while isinstance(chain, ast.BinOp) and isinstance(chain.op, (ast.Add, ast.Sub)):
                value, cost = self.expr(chain.right)
                terms.append((-value if isinstance(chain.op, ast.Sub) else value, cost))
                chain = chain.left
            terms.append(self.expr(chain))
            total = terms[0][1]
            for _, cost in terms[1:]:
                total = total.add(cost)
            return sympy.Add(*[t for t, _ in terms]), self.check(total, node)
        if isinstance(op, ast.Mult):
            (a, ca), (b, cb) = self.expr(node.left), self.expr(node.right)
            return a * b, self.check(ca.times(cb), node)
        if isinstance(op, ast.Div):
            (a, ca), (b, cb) = self.expr(node.left), self.expr(node.right)
            if b.free_symbols:
                raise NotPolynomialError(
                    f"division by a variable in {self.source(node)} is not a polynomial; {NUMERIC_ROUTE}"
                )
            if b == 0:
                raise ParseError(f"division by zero in {self.source(node)}")
            return a / b, self.check(_Cost(ca.degree, ca.terms, ca.digits + cb.digits), node)
        if isinstance(op, ast.Pow):
            base, cost = self.expr(node.left)
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.UAdd):
                exponent = exponent.operand
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int)
                and not isinstance(exponent.value, bool)
            ):
                message = f"exponent in {self.source(node)} must be a non-negative integer literal (e.g. x1_1**3)"
                if base.free_symbols:
                    raise NotPolynomialError(
                        f"{message}; a fractional, negative or symbolic power is not a polynomial; {NUMERIC_ROUTE}"
                    )
                raise ParseError(message)
            e = exponent.value
            if e > MAX_EXPONENT:
                raise SizeError(f"exponent {e} in {self.source(node)} exceeds the limit of {MAX_EXPONENT}")
            return base**e, self.check(cost.power(e), node)
        raise ParseError(
            f"operator {_OPERATOR_NAMES.get(type(op), type(op).__name__)} is not allowed: {self.source(node)}"
        )

    def check(self, cost: _Cost, node: ast.AST) -> _Cost:
        """Refuse a sub-expression whose bounds exceed the limits, before it is built or expanded."""
        if cost.degree > MAX_DEGREE:
            raise SizeError(f"{self.source(node)} has degree up to {cost.degree}, more than the limit of {MAX_DEGREE}")
        if cost.terms > MAX_TERMS:
            raise SizeError(
                f"expanding {self.source(node)} could give up to {_show_count(cost.terms)} terms, more "
                f"than the limit of {MAX_TERMS:,}"
            )
        if cost.digits > MAX_DIGITS:
            raise SizeError(
                f"{self.source(node)} has coefficients of up to about {cost.digits:,.0f} digits, more "
                f"than the limit of {MAX_DIGITS:,}"
            )
        if self.max_work is not None:
            check_expansion_work(cost, self.source(node), self.n * self.d + len(self.extra), self.max_work)
        return cost


def check_expansion_work(cost: _Cost, what: str, variables: int, max_work: int) -> None:
    """Refuse (``SizeError``) expanding ``what``, bounded by ``cost``, when it is estimated above ``max_work``."""
    work = EXPANSION_UNITS * cost.terms * variables * max(cost.degree, 1)
    if work > max_work:
        raise SizeError(
            f"expanding {what} (up to {_show_count(cost.terms)} terms of degree {cost.degree} in {variables:,} "
            f"variables) is estimated at {work:.3g} work units, more than the budget of {max_work:.3g}; raise it "
            "with SolveConfig(max_work=...) (CLI: --max-work)"
        )


def expansion_cost(expr: sympy.Basic) -> _Cost:
    """Bounds of the expansion of a sympy expression, from its tree alone (nothing is expanded).

    The same bounds as the parser's: sums add, products multiply, a power of a sum of t terms to
    the e has at most C(t + e - 1, e) terms. Anything else (a function, a negative or symbolic
    power) counts as one term of degree 1: the engine refuses it as not a polynomial without
    expanding it. The walk keeps its own stack (no recursion) and visits a shared sub-tree once.

    >>> from polyapprox import sequence_symbols
    >>> X = sequence_symbols(3, 1)
    >>> cost = expansion_cost((X[0] + X[1] + X[2]) ** 4)        # C(3 + 4 - 1, 4) = 15 terms
    >>> cost.terms, cost.degree
    (15, 4)
    """
    costs: dict[int, _Cost] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in costs:
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if id(arg) not in costs)
            continue
        costs[id(node)] = _node_cost(node, [costs[id(arg)] for arg in node.args])
    return costs[id(expr)]


def _node_cost(node: sympy.Basic, args: list[_Cost]) -> _Cost:
    if node.is_Rational:
        return _Cost(0, 1, _digits(cast(sympy.Expr, node)))
    if node.is_Add:
        total = args[0]
        for cost in args[1:]:
            total = total.add(cost)
        return total
    if node.is_Mul:
        total = args[0]
        for cost in args[1:]:
            total = total.times(cost)
        return total
    exponent = node.args[1] if node.is_Pow else None
    if isinstance(exponent, sympy.Integer) and exponent >= 0:
        base, e = args[0], int(exponent)
        if base.terms > 1 and e > MAX_EXPONENT:  # too large for the exact count: bounded through log-gamma
            log10 = (math.lgamma(base.terms + e) - math.lgamma(e + 1) - math.lgamma(base.terms)) / math.log(10)
            terms = math.ceil(10**log10 * (1 + 1e-9)) if log10 < 300 else 10 ** math.ceil(log10)  # rounded up
            return _Cost(base.degree * e, terms, e * (base.digits + math.log10(base.terms)))
        return base.power(e)
    return _Cost(1, 1, 0.0)


def _digits(value: sympy.Expr) -> float:
    """Decimal digits of a rational constant's numerator and denominator (an upper bound)."""
    p, q = sympy.fraction(value)
    return sum(int(abs(int(x))).bit_length() * 0.30103 + 1 for x in (p, q))


def _show_count(count: int) -> str:
    return f"{count:,}" if count < 10**15 else f"about 10^{math.floor(math.log10(count))}"


def parse_rows(rows: Sequence[Sequence[str]], n: int, d: int) -> list[list[sympy.Expr]]:
    """Parse a list of rows of strings (e.g. a saved F) entry by entry."""
    return [[parse_polynomial(entry, n, d) for entry in row] for row in rows]
