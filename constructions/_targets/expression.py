"""Target expressions: a small, safe language for equivariant maps, compiled to numpy.

A user writes the output of token ``i`` in terms of its own token ``x_i`` and of reductions
over all tokens, e.g. ``"sum_j(exp(-norm2(x_i - x_j)))"`` for f(X)_i = sum_j exp(-|x_i - x_j|^2).
The text is parsed with ``ast.parse(text, mode="eval")`` and the syntax tree is walked over a
whitelist (as the polynomial parser does); nothing is ever evaluated, ``eval``-ed or
``sympify``-ed. The walker builds a tree of small closures over a number system
(:mod:`constructions._targets.number_systems`), evaluated on a whole batch (b, n, d) at once: on float
arrays it gives the values, on intervals rigorous enclosures and on interval jets enclosures
of the gradient and Hessian too, so every expression can be certified. A numeric literal means
its float64 value; ``pi`` and ``e`` mean the real constants.

The language:

- ``x_i``: the own token (a vector of length d); ``x_i[c]``: its coordinate c (0-based);
- reductions over all tokens ``sum_j(...)``, ``mean_j(...)``, ``max_j(...)``, ``min_j(...)``:
  the letter after the underscore is the index the reduction binds, and ``x_j`` is allowed only
  inside it. Nested reductions bind their own letters: ``sum_j(x_j[0] * sum_k(x_k[0] * x_j[0]))``
  (any lowercase letter other than ``i``; a letter cannot be rebound inside its own reduction);
- arithmetic ``+ - * /``, powers ``a ** p`` with a numeric constant p, |p| <= ``MAX_EXPONENT``;
  vectors combine coordinate-wise and with scalars by broadcasting;
- functions ``exp log sqrt sin cos tanh abs`` (coordinate-wise), ``dot(u, v)``, ``norm(v)``
  (Euclidean) and ``norm2(v)`` (squared norm); constants: numbers, ``pi``, ``e``;
- a top-level tuple ``(a, b, ...)`` lists output entries: d_out is the sum of their widths
  (1 for a scalar, d for a vector).

Every such expression is permutation-equivariant by construction: token i enters only as
``x_i``, every other token only through a symmetric reduction over all tokens. Writing
``x_j`` outside ``sum_j(...)`` etc. is refused ("not equivariant: ..."), as is anything not in
the list above. Size guards: at most ``MAX_LENGTH`` characters, ``MAX_NODES`` syntax nodes,
nesting depth ``MAX_DEPTH``, ``MAX_REDUCTION_DEPTH`` nested reductions; evaluation runs in
batch chunks of at most ``EVAL_BUDGET_BYTES`` of intermediates.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyapprox import ParseError
from polyapprox.internal import DomainError, PolyapproxError, ShapeError, SizeError, check_int, syntax_name

from .._common.interval import Interval, Jet
from .number_systems import system_for
from .target import Target

MAX_LENGTH = 4000
MAX_NODES = 1500
MAX_DEPTH = 200
MAX_REDUCTION_DEPTH = 3
MAX_EXPONENT = 64
MAX_OUTPUTS = 256
EVAL_BUDGET_BYTES = 2**27  # intermediates per evaluation chunk (128 MiB)
#: Part of the budget kept for numpy's own buffers (its iterators buffer reductions in blocks of 8192 values).
NUMPY_OVERHEAD_BYTES = 2**20

ELEMENTWISE = ("exp", "log", "sqrt", "sin", "cos", "tanh", "abs")  # number-system operations of these names
VECTOR_FUNCTIONS = ("dot", "norm", "norm2")
REDUCTIONS = ("sum", "mean", "max", "min")
CONSTANTS = {"pi": math.pi, "e": math.e}
_REDUCTION_NAME = re.compile(r"(sum|mean|max|min)_([a-z])")
_TOKEN_NAME = re.compile(r"x_([a-z])")
ALLOWED = (
    "x_i, x_i[c], reductions sum_j(...) mean_j(...) max_j(...) min_j(...) binding x_j, + - * / **, "
    "exp log sqrt sin cos tanh abs dot norm norm2, numbers, pi, e"
)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# the closure tree: every node maps an evaluation context to an array of its number system
#
# At reduction depth s (s enclosing reductions) a value has shape (b, n|1, [n|1] * s) for a scalar
# and (b, n|1, [n|1] * s, d|1) for a vector: axis 1 is the own token i, axis 1 + p the token bound
# by the p-th enclosing reduction. A numeric constant is a 0-d array (it broadcasts everywhere).


class _Context:
    """The input batch, its number system ``K``; ``trace`` records failures (float arrays only)."""

    def __init__(self, X: Any, trace: bool = False) -> None:
        self.X, self.n = X, X.shape[1]
        self.K = system_for(X)
        self.trace = trace
        self.first_bad: tuple[str, np.ndarray] | None = None


@dataclass(frozen=True)
class _Node:
    source: str
    vector: bool
    depth: int  # number of enclosing reductions
    run: Callable[[_Context], Any] = field(repr=False)

    def __call__(self, ctx: _Context) -> Any:
        value = self.run(ctx)
        if ctx.trace and ctx.first_bad is None and not np.all(np.isfinite(value)):
            ctx.first_bad = (self.source, value)
        return value


def _token_view(position: int, depth: int) -> Callable[[_Context], Any]:
    """x at axis 1 + position of a depth-``depth`` value (position 0: the own token i)."""

    def run(ctx: _Context) -> Any:
        b, n, d = ctx.X.shape
        shape = [b] + [1] * (depth + 1) + [d]
        shape[1 + position] = n
        return ctx.X.reshape(tuple(shape))

    return run


def _full(K: Any, value: Any, depth: int, vector: bool) -> Any:
    """``value`` with all its axes (a 0-d constant becomes (1, 1, ..., 1))."""
    ndim = 2 + depth + (1 if vector else 0)
    return K.reshape(value, (1,) * ndim) if getattr(value, "ndim", 0) == 0 else value


def _as_vector(K: Any, value: Any, vector: bool) -> Any:
    return value if vector else K.expand_last(value)


# ---------------------------------------------------------------------------------------------
# the walker


class _Compiler:
    """Whitelisted syntax nodes -> closure nodes; tracks bound reduction indices and size guards."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.min_d = 1
        self.max_depth = 0

    def source(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node)
        return _clip(segment if segment is not None else type(node).__name__)

    def fail(self, node: ast.AST, message: str) -> ParseError:
        return ParseError(f"{message} (in {self.source(node)!r}); allowed: {ALLOWED}")

    def expr(self, node: ast.AST, bound: tuple[str, ...]) -> _Node:
        depth = len(bound)
        src = self.source(node)
        if isinstance(node, ast.Constant):
            return self.constant(node, depth)
        if isinstance(node, ast.Name):
            return self.name(node, bound)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            inner = self.expr(node.operand, bound)
            if isinstance(node.op, ast.UAdd):
                return inner
            return _Node(src, inner.vector, depth, lambda ctx: -inner(ctx))
        if isinstance(node, ast.BinOp):
            return self.binop(node, bound)
        if isinstance(node, ast.Call):
            return self.call(node, bound)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, bound)
        if isinstance(node, ast.Tuple):
            raise self.fail(node, "a tuple is allowed only as the whole expression (one entry per output)")
        kind = syntax_name(node)
        raise self.fail(node, f"{kind} not allowed")

    def constant(self, node: ast.Constant, depth: int) -> _Node:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"literal {self.source(node)} is not allowed; only real numbers")
        if isinstance(value, int) and value.bit_length() > 1000:
            raise SizeError(f"an integer literal of {value.bit_length()} bits is too large for float64")
        number = float(value)
        if not math.isfinite(number):
            raise SizeError(f"the number {self.source(node)} overflows float64")
        return _Node(self.source(node), False, depth, lambda ctx: ctx.K.constant(number))

    def name(self, node: ast.Name, bound: tuple[str, ...]) -> _Node:
        name, depth = node.id, len(bound)
        if name in CONSTANTS:
            real = CONSTANTS[name]
            return _Node(name, False, depth, lambda ctx: ctx.K.real(real))
        token = _TOKEN_NAME.fullmatch(name)
        if token:
            letter = token.group(1)
            if letter == "i":
                return _Node(name, True, depth, _token_view(0, depth))
            if letter in bound:
                return _Node(name, True, depth, _token_view(1 + bound.index(letter), depth))
            raise ParseError(
                f"not equivariant: {name} appears outside a reduction over {letter} (in "
                f"{self.source(node)!r}); another token may enter only inside sum_{letter}(...), "
                f"mean_{letter}(...), max_{letter}(...) or min_{letter}(...); the own token is x_i"
            )
        if name in ELEMENTWISE or name in VECTOR_FUNCTIONS or _REDUCTION_NAME.fullmatch(name):
            raise self.fail(node, f"{name} is a function: call it, e.g. {name}(...)")
        raise self.fail(node, f"unknown name {name!r}")

    def binop(self, node: ast.BinOp, bound: tuple[str, ...]) -> _Node:
        depth, src = len(bound), self.source(node)
        op = node.op
        if isinstance(op, ast.Pow):
            base = self.expr(node.left, bound)
            exponent = self.exponent(node.right)
            return _Node(src, base.vector, depth, lambda ctx: ctx.K.power(base(ctx), exponent))
        functions = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
        if type(op) not in functions:
            symbol = {
                ast.BitXor: "'^' (write powers as '**')",
                ast.FloorDiv: "'//'",
                ast.Mod: "'%'",
                ast.MatMult: "'@' (write dot(u, v))",
                ast.BitOr: "'|'",
                ast.BitAnd: "'&'",
                ast.LShift: "'<<'",
                ast.RShift: "'>>'",
            }.get(type(op), type(op).__name__)
            raise self.fail(node, f"operator {symbol} is not allowed")
        fn = functions[type(op)]
        left, right = self.expr(node.left, bound), self.expr(node.right, bound)
        vector = left.vector or right.vector
        if vector and not (left.vector and right.vector):
            if left.vector:
                return _Node(src, True, depth, lambda ctx: fn(left(ctx), _as_vector(ctx.K, right(ctx), False)))
            return _Node(src, True, depth, lambda ctx: fn(_as_vector(ctx.K, left(ctx), False), right(ctx)))
        return _Node(src, vector, depth, lambda ctx: fn(left(ctx), right(ctx)))

    def exponent(self, node: ast.AST) -> float:
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if not (
            isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        ):
            raise self.fail(node, "an exponent must be a numeric constant such as 2, -1 or 0.5")
        if isinstance(node.value, int) and node.value.bit_length() > 64:
            raise SizeError(f"exponent {_clip(self.source(node))} exceeds the limit of {MAX_EXPONENT}")
        value = sign * float(node.value)
        if not abs(value) <= MAX_EXPONENT:
            raise SizeError(
                f"exponent {_clip(self.source(node))} exceeds the limit of {MAX_EXPONENT} in absolute value"
            )
        return value

    def call(self, node: ast.Call, bound: tuple[str, ...]) -> _Node:
        depth, src = len(bound), self.source(node)
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only the listed functions may be called, by their plain names")
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, f"{name}(...) takes plain positional arguments only")
        reduction = _REDUCTION_NAME.fullmatch(name)
        if reduction:
            return self.reduction(node, reduction.group(1), reduction.group(2), bound)
        arity = 2 if name == "dot" else 1
        if name not in ELEMENTWISE and name not in VECTOR_FUNCTIONS:
            raise self.fail(node, f"function {name!r} is not allowed")
        if len(node.args) != arity:
            raise self.fail(node, f"{name} takes {arity} argument{'s' if arity > 1 else ''}; got {len(node.args)}")
        args = [self.expr(a, bound) for a in node.args]
        if name in ELEMENTWISE:
            (a,) = args
            return _Node(src, a.vector, depth, lambda ctx: getattr(ctx.K, name)(a(ctx)))
        for a, arg in zip(args, node.args):
            if not a.vector:
                raise self.fail(
                    arg, f"{name} needs vector arguments (tokens such as x_i - x_j); {self.source(arg)!r} is a scalar"
                )
        if name == "dot":
            u, v = args
            return _Node(src, False, depth, lambda ctx: ctx.K.dot(u(ctx), v(ctx)))
        (a,) = args
        if name == "norm2":
            return _Node(src, False, depth, lambda ctx: ctx.K.sum(ctx.K.square(a(ctx)), -1))
        return _Node(src, False, depth, lambda ctx: ctx.K.sqrt(ctx.K.sum(ctx.K.square(a(ctx)), -1)))

    def reduction(self, node: ast.Call, kind: str, letter: str, bound: tuple[str, ...]) -> _Node:
        depth, src = len(bound), self.source(node)
        if letter == "i":
            raise self.fail(node, "a reduction cannot bind i (the own token); use another letter, e.g. sum_j")
        if letter in bound:
            raise self.fail(
                node,
                f"index {letter} is already bound by an enclosing reduction; "
                "name nested reductions with new letters, e.g. sum_j(... sum_k(... x_k ...))",
            )
        if len(node.args) != 1:
            raise self.fail(node, f"{kind}_{letter} takes one argument; got {len(node.args)}")
        if depth + 1 > MAX_REDUCTION_DEPTH:
            raise SizeError(
                f"{_clip(src)!r} nests {depth + 1} reductions; the limit is {MAX_REDUCTION_DEPTH} "
                "(cost grows like n^(nesting + 1))"
            )
        self.max_depth = max(self.max_depth, depth + 1)
        body = self.expr(node.args[0], bound + (letter,))
        axis = 2 + depth  # the bound token's axis in the body's value

        def run(ctx: _Context) -> Any:
            K = ctx.K
            value = _full(K, body(ctx), depth + 1, body.vector)
            if value.shape[axis] == 1:  # the body does not depend on the bound token
                value = K.squeeze(value, axis)
                return value * ctx.n if kind == "sum" and ctx.n != 1 else value
            return getattr(K, kind)(value, axis)

        return _Node(src, body.vector, depth, run)

    def subscript(self, node: ast.Subscript, bound: tuple[str, ...]) -> _Node:
        depth, src = len(bound), self.source(node)
        index = node.slice
        if not (isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool)):
            raise self.fail(node, "a coordinate must be a non-negative integer literal, e.g. x_i[0]")
        c = index.value
        if c < 0 or c >= 10_000:
            raise self.fail(node, f"coordinate {c} is out of range; coordinates are 0-based: x_i[0] .. x_i[d-1]")
        base = self.expr(node.value, bound)
        if not base.vector:
            raise self.fail(node, f"{self.source(node.value)!r} is a scalar; only vectors (tokens) have coordinates")
        self.min_d = max(self.min_d, c + 1)
        return _Node(src, False, depth, lambda ctx: ctx.K.coordinate(base(ctx), c))


# ---------------------------------------------------------------------------------------------
# the compiled program and the Target


class CompiledExpression:
    """A parsed target expression: ``__call__`` maps (b, n, d) to (b, n, d_out) in one vectorised pass.

    ``entries``: one closure tree per output entry; ``min_d``: the least d the coordinates allow;
    ``reduction_depth``: the deepest nesting of reductions (cost ~ b n^(depth + 1) d).
    :meth:`enclose` evaluates the same trees on intervals or interval jets.
    """

    def __init__(
        self, text: str, entries: list[_Node], min_d: int, reduction_depth: int, items: Sequence[ast.AST] | None = None
    ) -> None:
        self.text, self.entries = text, entries
        self.min_d, self.reduction_depth = min_d, reduction_depth
        self._items = items
        self._peaks: dict[tuple[int, int], int] = {}

    def output_dim(self, d: int) -> int:
        return sum(d if e.vector else 1 for e in self.entries)

    def check_d(self, d: int) -> int:
        if d < self.min_d:
            raise ShapeError(
                f"the expression {_clip(self.text)!r} reads coordinate {self.min_d - 1}, so it needs "
                f"d >= {self.min_d}; got d = {d}"
            )
        return d

    def bytes_per_sequence(self, n: int, d: int) -> int:
        """Bytes of intermediates per sequence: the peak of the arrays alive at once while the closure tree
        runs (every result held while its siblings run, broadcast shapes n^axes x d, temporaries of dot
        and norms), from the syntax tree, before anything is evaluated (:func:`_peak_elements`)."""
        if self._items is None:  # built without its syntax tree: the coarse bound
            return 8 * 4 * n ** (self.reduction_depth + 1) * max(d, 1) * max(len(self.entries), 1)
        key = (int(n), int(d))
        if key not in self._peaks:
            peak, held = 0, 0
            for item in self._items:
                entry_peak, entry_held, _, _ = _peak_elements(item, (), key[0], key[1])
                peak = max(peak, held + entry_peak)
                held += entry_held
            d_out = self.output_dim(key[1])
            self._peaks[key] = 8 * (max(peak, held + key[0] * d_out) + key[0] * d_out)
        return self._peaks[key]

    def _chunk(self, n: int, d: int, scale: int = 1) -> int:
        """Sequences per evaluation chunk within the memory budget (``scale``: floats per value)."""
        per_sequence = self.bytes_per_sequence(n, d) * scale
        budget = EVAL_BUDGET_BYTES - NUMPY_OVERHEAD_BYTES
        if per_sequence > budget:
            raise SizeError(
                f"evaluating {_clip(self.text)!r} on n = {n} tokens needs about {per_sequence:.3g} bytes "
                f"of intermediates per sequence ({self.reduction_depth} nested reductions: arrays of up to "
                f"n^{self.reduction_depth + 1} x d values alive at once), more than the budget of {budget:.3g}"
            )
        return max(1, budget // per_sequence)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        b, n, d = X.shape
        self.check_d(d)
        chunk = self._chunk(n, d)
        parts = [self._evaluate(X[start : start + chunk]) for start in range(0, b, chunk)]
        out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        if not np.all(np.isfinite(out)):
            self._report_non_finite(X, out)
        return out

    def enclose(self, X: Interval | Jet) -> Interval | Jet:
        """Enclosures of the values (b, n, d_out) over the boxes X (b, n, d) of intervals or interval jets.

        Parameters
        ----------
        X : Interval or Jet
            Boxes of shape (b, n, d); jets also carry derivatives with respect to N variables.

        Returns
        -------
        Interval or Jet
            Rigorous enclosures of the same type; jets raise ``NotSmoothError`` at max, min, abs,
            and at sqrt or norm where the value may be 0.

        Examples
        --------
        >>> box = Interval(np.array([[[0.0], [1.0]]]), np.array([[[0.5], [1.0]]]))   # x_1 in [0, 1/2], x_2 = 1
        >>> out = compile_expression("x_i - mean_j(x_j)").enclose(box)             # f_1 = (x_1 - 1)/2
        >>> bool(out.lo[0, 0, 0] <= -0.5 and -0.25 <= out.hi[0, 0, 0])             # contains [-1/2, -1/4]
        True
        """
        b, n, d = X.shape
        self.check_d(d)
        width = 2 * (X.entry_width if isinstance(X, Jet) else 1)
        chunk = self._chunk(n, d, width)
        parts = [self._evaluate(X[start : start + chunk]) for start in range(0, b, chunk)]
        return parts[0] if len(parts) == 1 else parts[0].concatenate(parts[1:], 0)

    def _evaluate(self, X: Any) -> Any:
        ctx = _Context(X, False)
        columns = self._columns(X, ctx)
        out = ctx.K.concatenate(columns, -1)
        return out.astype(float, copy=False) if isinstance(out, np.ndarray) else out

    def _trace(self, X: np.ndarray) -> _Context:
        """The evaluation context after a traced run (it records the first non-finite part)."""
        ctx = _Context(X, True)
        self._columns(X, ctx)
        return ctx

    def _columns(self, X: Any, ctx: _Context) -> list[Any]:
        b, n, d = X.shape
        K, columns = ctx.K, []
        with np.errstate(all="ignore"):
            for entry in self.entries:
                value = _as_vector(K, _full(K, entry(ctx), 0, entry.vector), entry.vector)
                columns.append(K.broadcast_to(value, (b, n, d if entry.vector else 1)))
        return columns

    def _report_non_finite(self, X: np.ndarray, out: np.ndarray) -> None:
        s, i, c = (int(v) for v in np.argwhere(~np.isfinite(out))[0])
        ctx = self._trace(X[s : s + 1])
        part = f"; first at its part {ctx.first_bad[0]!r}" if ctx.first_bad is not None else ""
        where = np.array2string(X[s], precision=4, threshold=20, separator=", ").replace("\n", "")
        raise DomainError(
            f"the target expression {_clip(self.text)!r} gives {out[s, i, c]} at output ({i}, {c}) "
            f"of sequence {s}{part}; X = {where}"
        )


def compile_expression(text: str) -> CompiledExpression:
    """Parse ``text`` over the whitelist (module docstring) into a vectorised numpy program.

    >>> program = compile_expression("x_i - mean_j(x_j)")
    >>> program(np.array([[[0.0], [1.0]]]))[0]
    array([[-0.5],
           [ 0.5]])
    >>> compile_expression("x_j")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.ParseError: not equivariant: x_j appears outside a reduction over j ...
    """
    if not isinstance(text, str):
        raise ParseError(f"a target expression must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SizeError(f"the expression has {len(text):,} characters, more than the limit of {MAX_LENGTH:,}")
    if not text.strip():
        raise ParseError("empty target expression; write e.g. 'sum_j(exp(-norm2(x_i - x_j)))'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        hint = " (write reductions as calls: sum_j(...))" if re.search(r"\b(sum|mean|max|min)_[a-z]\s+\w", text) else ""
        raise ParseError(f"invalid syntax in {_clip(text)!r}: {exc.msg}{hint}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ParseError(f"cannot parse {_clip(text)!r} ({type(exc).__name__}: nested too deeply or invalid)") from None
    _check_tree_size(tree, text)
    compiler = _Compiler(text.strip())
    body = tree.body
    items = body.elts if isinstance(body, ast.Tuple) else [body]
    if not items:
        raise ParseError("an empty tuple has no outputs")
    if len(items) > MAX_OUTPUTS:
        raise SizeError(f"{len(items)} output entries, more than the limit of {MAX_OUTPUTS}")
    try:
        entries = [compiler.expr(item, ()) for item in items]
    except RecursionError:
        raise ParseError(f"expression nested too deeply: {_clip(text)!r}") from None
    return CompiledExpression(text.strip(), entries, compiler.min_d, compiler.max_depth, items)


def _peak_elements(node: ast.AST, bound: tuple[str, ...], n: int, d: int) -> tuple[int, int, frozenset, bool]:
    """Memory of evaluating ``node`` per sequence, in float64 elements, mirroring :class:`_Compiler`'s closures.

    Returns (peak, held, axes, vector): the most elements alive at once during its evaluation (its
    result included), the elements its result keeps alive (0 for a view of X or a constant), the
    token axes its value spans (0 = the own token, 1 + k = the k-th bound index) and whether it is a
    d-vector. A value spanning axes A is n^|A| (x d) elements; numpy allocates every operation's
    broadcast result while its operands are alive. Called on a tree the compiler accepted.
    """

    def size(axes: frozenset, vector: bool) -> int:
        return n ** len(axes) * (d if vector else 1)

    def combine(children: Sequence[ast.AST]) -> tuple[int, int, list[tuple[int, int, frozenset, bool]]]:
        """Children evaluated left to right, each result held while the next runs."""
        peak, held, parts = 0, 0, []
        for child in children:
            part = _peak_elements(child, bound, n, d)
            peak = max(peak, held + part[0])
            held += part[1]
            parts.append(part)
        return peak, held, parts

    if isinstance(node, ast.Constant):
        return 0, 0, frozenset(), False
    if isinstance(node, ast.Name):
        token = _TOKEN_NAME.fullmatch(node.id)
        if token is None:  # pi, e
            return 0, 0, frozenset(), False
        letter = token.group(1)
        return 0, 0, frozenset({0 if letter == "i" else 1 + bound.index(letter)}), True
    if isinstance(node, ast.UnaryOp):
        peak, held, ((_, _, axes, vector),) = combine([node.operand])
        if isinstance(node.op, ast.UAdd):
            return peak, held, axes, vector
        out = size(axes, vector)
        return max(peak, held + out), out, axes, vector
    if isinstance(node, ast.BinOp):
        children = [node.left] if isinstance(node.op, ast.Pow) else [node.left, node.right]
        peak, held, parts = combine(children)
        axes = frozenset().union(*(p[2] for p in parts))
        vector = any(p[3] for p in parts)
        out = size(axes, vector)
        return max(peak, held + out), out, axes, vector
    if isinstance(node, ast.Subscript):  # a view: keeps its base alive
        peak, held, ((_, _, axes, _),) = combine([node.value])
        return peak, held, axes, False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        reduction = _REDUCTION_NAME.fullmatch(name)
        if reduction:
            inner = bound + (reduction.group(2),)
            peak, held, axes, vector = _peak_elements(node.args[0], inner, n, d)
            axis = len(inner)  # 1 + the new index's position
            out_axes = axes - {axis}
            out = size(out_axes, vector)
            if axis not in axes and reduction.group(1) != "sum":  # squeezed: a view of the body
                return peak, held, out_axes, vector
            return max(peak, held + out), out, out_axes, vector
        peak, held, parts = combine(list(node.args))
        axes = frozenset().union(*(p[2] for p in parts))
        if name in ELEMENTWISE:
            vector = parts[0][3]
            out = size(axes, vector)
            return max(peak, held + out), out, axes, vector
        temporary = size(axes, True)  # u * v or a ** 2, then summed over the coordinates
        out = size(axes, False)
        extra = out if name == "norm" else 0  # the square root
        return max(peak, held + temporary + out + extra), out, axes, False
    return 0, 0, frozenset(), False  # not reached: the compiler refused everything else


def _check_tree_size(tree: ast.AST, text: str) -> None:
    """Count nodes and nesting depth iteratively, before any recursive walk."""
    stack, count = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise SizeError(f"the expression has more than {MAX_NODES} syntax nodes; the limit is {MAX_NODES}")
        if depth > MAX_DEPTH:
            raise SizeError(f"the expression {_clip(text)!r} is nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


@dataclass(frozen=True)
class ExpressionTarget(Target):
    """A :class:`Target` compiled from a target expression; ``expression`` is its text.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    ``lipschitz_estimated`` is True when the Lipschitz constant was not given but estimated by
    sampling: an estimate from below, not a proof.

    Parameters
    ----------
    name : str
        Registry name.
    description : str
        The formula in words.
    fn : callable
        The vectorised map (b, n, d) -> (b, n, d_out).
    d_out : callable
        d -> output dimension per token.
    lipschitz : callable or None, default None
        (n, d) -> L with max-norm Lipschitz bound L on [0,1]^{n x d}, or None if not known.
    continuous : bool, default True
        False for discontinuous targets.
    dims : tuple of int or None, default None
        The token dimensions d the target accepts (None: any).
    polynomial_degree : int or None, default None
        Total degree when f is a polynomial, else None.
    interval : callable or None, default None
        Interval evaluation for certified bounds, or None.
    expression : str, default ''
        The target expression.
    lipschitz_estimated : bool, default False
        True when the Lipschitz constant was estimated, not given.
    program : CompiledExpression or None, default None
        The compiled program.

    Examples
    --------
    >>> f = from_expression("x_i - mean_j(x_j)")
    >>> f.expression, f.lipschitz_estimated
    ('x_i - mean_j(x_j)', True)
    """

    expression: str = ""
    lipschitz_estimated: bool = False
    program: CompiledExpression | None = field(default=None, repr=False, compare=False)

    def check_d(self, d: int) -> int:
        d = super().check_d(d)
        return self.program.check_d(d) if self.program is not None else d


def estimate_lipschitz(
    f: Callable[[np.ndarray], np.ndarray], n: int, d: int, *, samples: int = 64, seed: int = 0, step: float = 1e-6
) -> float:
    """Estimate L in ||f(X) - f(Y)||_max <= L ||X - Y||_max on [0, 1]^{n x d} by sampling.

    The (max-norm -> max-norm) operator norm of the Jacobian is the largest absolute row sum;
    it is estimated by central differences at ``samples`` seeded uniform points (all
    perturbations in one batch) and maximised. A sampled maximum bounds L from below only.

    Shapes: f maps X (b, n, d) to (b, n, d_out).

    Parameters
    ----------
    f : callable
        The map.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    samples : int, default 64
        Seeded uniform points.
    seed : int, default 0
        Seed of every random choice (reproducible).
    step : float, default 1e-06
        Central-difference step.

    Returns
    -------
    float
        The largest sampled Jacobian norm (a lower bound on L).

    Examples
    --------
    >>> round(estimate_lipschitz(compile_expression("x_i - mean_j(x_j)"), n=2, d=1), 6)   # exactly 1
    1.0
    """
    n, d, samples = check_int("n", n), check_int("d", d), check_int("samples", samples)
    rng = np.random.default_rng(seed)
    X = rng.uniform(step, 1 - step, size=(samples, n, d))
    eye = np.eye(n * d).reshape(n * d, n, d) * step
    plus = (X[:, None] + eye[None]).reshape(-1, n, d)
    minus = (X[:, None] - eye[None]).reshape(-1, n, d)
    Y = np.asarray(f(np.concatenate([plus, minus])), dtype=float)
    half = len(plus)
    J = (Y[:half] - Y[half:]).reshape(samples, n * d, -1) / (2 * step)  # (sample, input, output)
    return float(np.abs(J).sum(axis=1).max())


def from_expression(
    text: str, *, lipschitz: float | None = None, name: str | None = None, description: str | None = None
) -> ExpressionTarget:
    """Compile a target expression into the :class:`Target` f(X)_i = <expression>.

    Equivariant by construction; evaluated by one vectorised numpy pass over (b, n, d). Nothing
    in the text is ever executed.

    Shapes: the target maps X (n, d) -> (n, d_out) and (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    text : str
        The expression, e.g. ``"sum_j(exp(-norm2(x_i - x_j)))"``.
    lipschitz : float or None, default None
        Known Lipschitz constant (max-norm to max-norm), used by error bounds; None: estimated
        by sampling per (n, d) and marked ``lipschitz_estimated``.
    name : str or None, default None
        Name of the target; default the text.
    description : str or None, default None
        Description; default the formula.

    Returns
    -------
    ExpressionTarget
        The compiled target.

    Raises
    ------
    ParseError
        For text outside the whitelist, naming what is not allowed.

    Examples
    --------
    >>> f = from_expression("sum_j(exp(-norm2(x_i - x_j)))")
    >>> f(np.array([[0.0, 0.0], [0.0, 1.0]])).round(4)
    array([[1.3679],
           [1.3679]])
    >>> f.output_dim(2), from_expression("(x_i[0], norm(x_i))").output_dim(3)
    (1, 2)
    """
    program = compile_expression(text)
    if lipschitz is not None:
        try:  # a huge int overflows float64: refused like inf
            given = (
                float(lipschitz) if isinstance(lipschitz, (int, float)) and not isinstance(lipschitz, bool) else -1.0
            )
        except OverflowError:
            given = math.inf
        if not 0 <= given < math.inf:
            bits = lipschitz.bit_length() if isinstance(lipschitz, int) else 0
            shown = f"an integer of {bits:,} bits" if bits > 64 else _clip(repr(lipschitz))
            raise PolyapproxError(f"lipschitz must be a finite number >= 0; got {shown}")

        def given_lipschitz(n: int, d: int) -> float:
            return given

        lip: Callable[[int, int], float] = given_lipschitz
    else:
        cache: dict[tuple[int, int], float] = {}

        def estimated_lipschitz(n: int, d: int) -> float:
            if (n, d) not in cache:
                per = max(1, program.bytes_per_sequence(n, d))
                samples = int(min(64, max(4, 2**26 // (per * 2 * n * d))))
                cache[(n, d)] = estimate_lipschitz(program, n, d, samples=samples)
            return cache[(n, d)]

        lip = estimated_lipschitz

    return ExpressionTarget(
        name=name or program.text,
        description=description or f"f(X)_i = {program.text}",
        fn=program,
        d_out=program.output_dim,
        lipschitz=lip,
        interval=program.enclose,
        expression=program.text,
        lipschitz_estimated=lipschitz is None,
        program=program,
    )
