"""Fuzz suite (hostile-input issue): parsers, loaders and the CLI under generated and hostile input.

Every hypothesis example is a BATCH of cases run in one subprocess (``tests/_fuzz_driver.py``)
with an address-space limit (``RLIMIT_AS``, 2 GiB) and a timeout, each case with its own
wall-clock limit. The property: every case ends in a result or a clean error (a
``PolyapproxError``; in the CLI exit 0/1/2 with a one-line message and no traceback) within its
budget. The default run runs the explicit batches (the findings, hostile inputs); ``-m slow`` generates
derandomized batches (SLOW_EXAMPLES per test).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from constructions import model_kinds

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "_fuzz_driver.py"
MEMORY = 2 * 2**30
CASE_SECONDS = 20.0

SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]
#: the default run: the explicit batches only (the findings and hostile inputs, one subprocess each); the
#: generated batches run in the slow stage (SLOW), each test's ``_long`` twin drawing from the same strategies
FAST = settings(
    max_examples=1, derandomize=True, deadline=None, suppress_health_check=SUPPRESSED, phases=[Phase.explicit]
)
#: examples per long test (each a batch of cases in one subprocess, about 2 s CPU of start-up): 12 in the slow
#: stage; POLYAPPROX_FUZZ_EXAMPLES=200 python -m pytest -m slow tests/test_fuzz.py for a longer hunt
SLOW_EXAMPLES = int(os.environ.get("POLYAPPROX_FUZZ_EXAMPLES", "12"))
SLOW = settings(max_examples=SLOW_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=SUPPRESSED)


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_batch(cases: list[dict]) -> None:
    """Run ``cases`` in one limited subprocess; fail listing every case that crashed or timed out."""
    request = json.dumps({"seconds": CASE_SECONDS, "cases": cases})
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(DRIVER)],
        input=request,
        capture_output=True,
        text=True,
        timeout=60 + CASE_SECONDS * len(cases),
        preexec_fn=_limit_memory,
        cwd=ROOT,
        env=env,
    )
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(reports) == len(cases), f"the driver died after {len(reports)} cases: {proc.stderr[-2000:]}"
    bad = [(case, r) for case, r in zip(cases, reports) if r["outcome"] not in ("ok", "error", "exit1")]
    assert not bad, "\n".join(f"{json.dumps(c)[:300]} -> {r['outcome']}: {r['detail']}" for c, r in bad)


# -- hostile building blocks -------------------------------------------------------------------------

INJECTIONS = [
    "__import__('os').system('touch PWNED')",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1')",
    "exec('x=1')",
    "lambda: 0",
    "x1_1.__class__",
    "open('/etc/passwd').read()",
    "[x for x in ()]",
    "{1: 2}",
    "x1_1 if 1 else 0",
    "x1_1; import os",
    "\x00",
    "\ud800",
    "x１_1",  # full-width digit
    "𝑥1_1",
    "\u202ex1_1",
    "'" * 3,
    "\\",
    "%s%n%x",
    "${HOME}",
    "`id`",
]
HUGE = [
    "9" * 5000,
    "1e99999999999",
    "1e-99999999999",
    "10**10**10",
    "2**2**2**2**2",
    "(9**1000)**1000",
    "0x" + "f" * 5000,
]
DEEP = ["(" * 300 + "x1_1" + ")" * 300, "-" * 3000 + "x1_1", "+".join(["x1_1"] * 20000), "x1_1" + "**2" * 50]
BINARY = [bytes(range(256)).decode("latin-1"), "\ufeff{}", "\ufffe\ufffe"]


def _poly_expr(var: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    atom = st.one_of(
        var,
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["0.5", "1/3", "1e3", "0", "-1", *HUGE[:3]]),
    )

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.sampled_from(["0", "1", "2", "7", "30", "1000", "-1", "0.5", "10**9"])).map(
                lambda t: f"({t[0]})**{t[1]}"
            ),
            inner.map(lambda s: f"-{s}"),
        )

    return st.recursive(atom, extend, max_leaves=8)


TOKEN_VAR = st.builds(lambda i, k: f"x{i}_{k}", st.integers(0, 5), st.integers(0, 3))
POLY_TEXT = st.one_of(_poly_expr(TOKEN_VAR), st.sampled_from(INJECTIONS + HUGE + DEEP + BINARY), st.text(max_size=40))

EXPR_VAR = st.sampled_from(["x_i", "x_j", "x_i[0]", "x_i[1]", "x_i[99999999999]", "x_i[-1]", "x_k", "y"])
FUNCS = ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "norm", "norm2", "sum_j", "mean_j", "max_j", "min_j"]


def _target_expr() -> st.SearchStrategy[str]:
    atom = st.one_of(EXPR_VAR, st.sampled_from(["1", "0.5", "1e308", "1e-320", "nan", "inf", "-0.0", *HUGE[:2]]))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(FUNCS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"dot({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})"),
        )

    return st.recursive(atom, extend, max_leaves=8)


EXPR_TEXT = st.one_of(
    _target_expr(),
    st.sampled_from(INJECTIONS + HUGE + BINARY + ["sum_j(" * 200 + "x_j" + ")" * 200, "x_i" + "+x_i" * 30000]),
    st.text(max_size=40),
)
SIZES = st.sampled_from([1, 2, 3])


# -- (a) the polynomial parser ---------------------------------------------------------------------


def _poly_cases(texts, n, d):
    return [{"kind": "poly", "text": t, "n": n, "d": d} for t in texts]


@FAST
@given(st.lists(POLY_TEXT, min_size=10, max_size=25), SIZES, SIZES)
@example(INJECTIONS + HUGE + DEEP + BINARY, 3, 2)
def test_fuzz_polynomial_parser(texts, n, d):
    run_batch(_poly_cases(texts, n, d))


@pytest.mark.slow
@SLOW
@given(st.lists(POLY_TEXT, min_size=30, max_size=60), SIZES, SIZES)
def test_fuzz_polynomial_parser_long(texts, n, d):
    run_batch(_poly_cases(texts, n, d))


# -- (b) the target-expression parser --------------------------------------------------------------


def _nested_expression(levels: int) -> str:
    """Intermediates held ``levels`` deep, each of n^4 values: memory past the budget unless bounded first."""
    leaf = "norm2(x_i - x_j + x_k - x_l)"
    body = leaf
    for _ in range(levels):
        body = f"{leaf} + ({body})"
    return f"sum_j(sum_k(sum_l({body})))"


def _expr_cases(texts, n, d):
    return [{"kind": "expr", "text": t, "n": n, "d": d} for t in texts]


@FAST
@given(st.lists(EXPR_TEXT, min_size=10, max_size=25), SIZES, SIZES)
@example(INJECTIONS + HUGE + BINARY, 3, 2)
@example([_nested_expression(levels) for levels in (20, 30, 45, 60)] + ["exp(709) * x_i", "1e308 * x_i"], 45, 1)
def test_fuzz_target_expressions(texts, n, d):
    run_batch(_expr_cases(texts, n, d))


@pytest.mark.slow
@SLOW
@given(st.lists(EXPR_TEXT, min_size=30, max_size=60), SIZES, SIZES)
def test_fuzz_target_expressions_long(texts, n, d):
    run_batch(_expr_cases(texts, n, d))


# -- (c) loaders: from_dict and model files --------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, True, -1, 0, 10**5000, 1e308, float("nan"), "", [], {}, [[[[[]]]]], "x" * 100000]),
    st.sampled_from(INJECTIONS + HUGE[:4] + DEEP[:2]),
    st.integers(),
    st.text(max_size=20),
    st.lists(st.text(max_size=10), max_size=4),
)


@pytest.fixture(scope="module")
def representation_dict() -> dict:
    from polyapprox import represent_equivariant

    return represent_equivariant("x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2", 3, 2).to_dict()


def _tamper_dict(data: dict, edits) -> dict:
    data = json.loads(json.dumps(data))
    for key, where, value in edits:
        key = sorted(data)[key % len(data)]
        if isinstance(data[key], list) and data[key] and where is not None:
            data[key][where % len(data[key])] = value
        elif where is None and value is None:
            del data[key]
        else:
            data[key] = value
    return data


def _jsonable(value):
    if isinstance(value, int) and value.bit_length() > 13_000:  # JSON text of it would exceed Python's 4,300 digits
        return f"__bigint__:{value:x}"  # the driver turns it back into the int
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    try:
        json.dumps(value, allow_nan=True)
    except (ValueError, TypeError):  # e.g. a lone surrogate: stays in the case as its repr
        return repr(value)
    return value


EDITS = st.lists(
    st.tuples(st.integers(0, 50), st.one_of(st.none(), st.integers(0, 5)), HOSTILE_VALUES), min_size=1, max_size=3
)


@FAST
@given(st.lists(EDITS, min_size=8, max_size=15))
@example(
    [[(k, None, 10**5000)] for k in range(10)] + [[(k, 0, [[-(10**5000)]])] for k in range(10)]
)  # found by the slow run
def test_fuzz_from_dict(representation_dict, batches):
    _check_from_dict(representation_dict, batches)


def _check_from_dict(representation_dict, batches):
    cases = [{"kind": "from_dict", "data": representation_dict}]  # the untouched dict loads
    for edits in batches:
        tampered = _tamper_dict(representation_dict, [(k, w, _jsonable(v)) for k, w, v in edits])
        cases.append({"kind": "from_dict", "data": tampered})
    run_batch(cases)


@pytest.mark.slow
@SLOW
@given(st.lists(EDITS, min_size=20, max_size=40))
def test_fuzz_from_dict_long(representation_dict, batches):
    _check_from_dict(representation_dict, batches)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> bytes:
    import constructions
    from constructions import continuous, targets

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=2, samples=50)
    path = tmp_path_factory.mktemp("fuzz") / "m.safetensors"
    constructions.save(S, path)
    return path.read_bytes()


def _tamper_bytes(data: bytes, flips, cut) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        out[position % len(out)] = value
    return bytes(out[: max(0, len(out) - cut)])


def _tamper_header(data: bytes, edits) -> bytes:
    """Edit the JSON metadata of a safetensors file (8-byte length, JSON header, tensor bytes)."""
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    meta = json.loads(header["__metadata__"]["polyapprox"])
    for key, _, value in edits:
        keys = sorted(meta)
        meta[keys[key % len(keys)]] = value
    text = json.dumps(meta)
    for marker in set(re.findall(r'"__bigint__:([0-9a-f]+)"', text)):  # a literal integer of thousands of digits
        limit = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)  # in this test process only, to write the file
        try:
            text = text.replace(f'"__bigint__:{marker}"', str(int(marker, 16)))
        finally:
            sys.set_int_max_str_digits(limit)
    header["__metadata__"]["polyapprox"] = text
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data[8 + size :]


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
    st.lists(st.integers(0, 400), min_size=3, max_size=6),
    st.lists(EDITS, min_size=3, max_size=6),
)
@example([(0, 0)], [0, 0, 0], [[(k, None, 10**5000)] for k in range(3)])  # integer literals over 4,300 digits
def test_fuzz_model_files(saved_model, flips, cuts, header_edits):
    _check_model_files(saved_model, flips, cuts, header_edits)


def _check_model_files(saved_model, flips, cuts, header_edits):
    files = [saved_model, _tamper_bytes(saved_model, flips, 0), b"", b"\x00" * 64, "{}".encode("utf-16")]
    files += [_tamper_bytes(saved_model, [], cut) for cut in cuts]
    files += [_tamper_header(saved_model, [(k, w, _jsonable(v)) for k, w, v in e]) for e in header_edits]
    run_batch([{"kind": "model", "data_b64": base64.b64encode(f).decode()} for f in files])


@pytest.mark.slow
@SLOW
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=30),
    st.lists(st.integers(0, 2000), min_size=5, max_size=15),
    st.lists(EDITS, min_size=5, max_size=15),
)
def test_fuzz_model_files_long(saved_model, flips, cuts, header_edits):
    _check_model_files(saved_model, flips, cuts, header_edits)


# -- (d) the command line ---------------------------------------------------------------------------

NUMBER = st.sampled_from(["-1", "0", "1", "2", "3", "1000", "10**3", "1e3", "1.5", "nan", "99999999999999", "x", ""])
SMALL = st.sampled_from(["1", "2", "3"])


def _argv() -> st.SearchStrategy[list[str]]:
    represent = st.builds(
        lambda row, n, d, extra: ["represent", row, "--n", n, "--d", d, *extra],
        POLY_TEXT,
        st.one_of(SMALL, NUMBER),
        st.one_of(SMALL, NUMBER),
        st.sampled_from([[], ["--json"], ["--refined"], ["--degree", "40"], ["--max-work", "-5"], ["--latex"]]),
    )
    big = st.sampled_from(["20000", "50000", "1000000", "10**20", "100000000000000000000"])  # positional sizes
    latent = st.builds(
        lambda n, d, extra: ["latent-dim", n, d, *extra],
        st.one_of(NUMBER, big),
        st.one_of(NUMBER, big),
        st.sampled_from([[], ["--json"]]),
    )
    sparse = st.builds(
        lambda pattern, n: ["sparse", "check", "--pattern", pattern, "--n", n],
        st.sampled_from(["strided", "fixed", "star", "window", "dense", "nonsense", "__import__"]),
        NUMBER,
    )
    layers = st.builds(lambda n, d: ["sparse", "layers", "--n", n, "--d", d], NUMBER, NUMBER)
    verify = st.builds(
        lambda path: ["verify", path], st.sampled_from(["/dev/zero", "/dev/null", "/", "missing.safetensors", ""])
    )
    build = st.builds(
        lambda target, extra: ["build", "continuous", "--target", target, "--n", "2", "--d", "1", *extra],
        st.one_of(EXPR_TEXT, st.sampled_from(["centered", "nonsense", "os:system", "/etc/passwd:x"])),
        st.sampled_from(
            [
                ["--degree", "1", "--samples", "20"],
                ["--degree", "-1"],
                ["--degree", "1", "--samples", "10**12"],
                ["--degree", "1", "--samples", "20", "--seed", "-3"],
                ["--degree", "1", "--samples", "20", "--save", "/nonexistent/dir/m.safetensors"],
            ]
        ),
    )
    garbage = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(INJECTIONS + ["--help"])), max_size=4)
    return st.one_of(represent, latent, sparse, layers, verify, build, garbage)


def _sum(n: int, d: int = 1, start: int = 1) -> str:
    return " + ".join(f"x{i}_{k}" for i in range(start, n + 1) for k in range(1, d + 1))


def _cli(argv: list[str], *setup: list[str]) -> dict:
    return {"kind": "cli", "argv": argv, "setup": list(setup)}


#: The second probe's findings (files, sizes, claims): one CLI case each; planted paths come with the case.
SWEEP = ["sweep", "engine", "--n", "2", "--d", "1", "--degree", "2", "--no-progress"]
SPARSE = ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]
VICTIM = ["file", "victim", "keep"]
FINDINGS = [
    _cli([*SWEEP, "--out", "notes.txt"], ["file", "notes.txt", "my notes\n"]),
    _cli([*SWEEP, "--out", "notes.txt"], ["file", "notes.txt", "one line, no newline"]),
    _cli([*SWEEP, "--out", "link"], VICTIM, ["symlink", "link", "victim"]),
    _cli([*SWEEP, "--out", "link"], ["symlink", "link", "made.jsonl"]),
    _cli([*SWEEP, "--out", "pipe"], ["fifo", "pipe"]),
    _cli([*SWEEP, "--out", "r.jsonl"], VICTIM, ["symlink", "r.jsonl.tmp", "victim"]),
    _cli([*SPARSE, "--save", "link"], VICTIM, ["symlink", "link", "victim"]),
    _cli([*SPARSE, "--save", "link"], ["symlink", "link", "made.json"]),
    _cli(["reproduce", "--quick", "--only", "latent", "--out", "out"], ["dir", "real"], ["symlink", "out", "real"]),
    _cli(["represent", f"({_sum(100)})**3", "--n", "100", "--d", "1"]),
    _cli(["represent", f"({_sum(1000)})**2", "--n", "1000", "--d", "1"]),
    _cli(["represent", "*".join(f"(x1_1 + x{i}_1)" for i in range(2, 21)), "--n", "20", "--d", "1"]),
    _cli(["represent", f"({_sum(8, 2)})**8", "--n", "8", "--d", "2"]),
    _cli(["represent", f"({_sum(7, 3)})**7", "--n", "7", "--d", "3"]),
    _cli(["represent", _sum(1000, 1, 2), "--n", "1000", "--d", "1"]),
    _cli(["sweep", "engine", "--n", "1000000", "--d", "1", "--degree", "2", "--out", "r.jsonl"]),
    _cli(["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "1000000"]),
    _cli(
        [
            "build",
            "transformer",
            "--target",
            "centered",
            "--n",
            "100000",
            "--d",
            "1",
            "--degree",
            "1",
            "--samples",
            "10",
        ]
    ),
    _cli(["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "3", "--lipschitz", "0"]),
    # very large positional sizes and numbers, seeds, options that do not apply: one line each
    _cli(["latent-dim", "--table", "--n-max", "100000000000000000000"]),
    _cli(["build", "continuous", "--target", "centered", "--n", "100000000000000000000", "--d", "1", "--degree", "1"]),
    _cli(["build", "continuous", "--target", "1e308", "--n", "2", "--d", "1", "--degree", "1", "--samples", "20"]),
    _cli(["represent", "1e5000*x1_1", "--n", "2", "--d", "1"]),
    _cli(["represent", "x1_" + "1" * 5000, "--n", "2", "--d", "1"]),
    _cli(["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "2", "--seed", "-1"]),
    _cli(["represent", "x1_1", "--n", "2", "--d", "1", "--latex", "--json"]),
    _cli(["sweep", "engine", "--n", "2", "--d", "1", "--degree", "1", "--target", "x", "--out", "r.jsonl"]),
]


@FAST
@given(st.lists(_argv(), min_size=8, max_size=16))
@example(
    [
        ["sparse", "check", "--pattern", "strided", "--n", "1000000"],
        ["represent", "x1_1**24", "--n", "4", "--d", "1"],
        ["represent", "x2_1**60 + x3_1**60", "--n", "3", "--d", "1"],
        ["represent", "x1_1", "--n", "1000", "--d", "1"],
        ["represent", "x1_1", "--n", "1", "--d", "1000"],
        ["represent", "x1_1", "--n", "100000000000", "--d", "1"],
        ["represent", "x1_1", "--n", "2", "--d", "1", "--degree", "1000000000000"],
        ["latent-dim", "20000", "20000"],  # a 12,039-digit latent dimension (was a 4,300-digit traceback)
        ["latent-dim", "20000", "20000", "--json"],
        ["latent-dim", "100000000000000000000", "1"],
        ["latent-dim", "1000000", "1000000"],  # refused by its digit count
        *FINDINGS,  # in the same batch: one subprocess
    ]
)
def test_fuzz_cli(argvs):
    run_batch([argv if isinstance(argv, dict) else {"kind": "cli", "argv": argv} for argv in argvs])


@pytest.mark.slow
@SLOW
@given(st.lists(_argv(), min_size=10, max_size=20))
def test_fuzz_cli_long(argvs):
    run_batch([{"kind": "cli", "argv": argv} for argv in argvs])


# -- (e) faces of the domain: float paths against exact references ---------------------------------


def _face_value(q: int):
    """j/q as a float, or one of the floats next to it, inside [0, 1]."""
    import numpy as np

    def value(pair):
        j, side = pair
        v = float(j) / q if side == 0 else float(np.nextafter(float(j) / q, 2.0 if side > 0 else -1.0))
        return min(max(v, 0.0), 1.0)

    return st.tuples(st.integers(0, q), st.sampled_from([-1, 0, 1])).map(value)


@st.composite
def _face_cases(draw, construction: str):
    q = draw(st.sampled_from([3, 5, 6] if construction == "sparse" else [3, 5, 6, 7, 10]))
    n, d = (2, 1) if construction == "sparse" else draw(st.sampled_from([(2, 1), (3, 1), (2, 2)]))
    X = draw(st.lists(st.lists(_face_value(q), min_size=n * d, max_size=n * d), min_size=4, max_size=12))
    return {"kind": "faces", "construction": construction, "n": n, "d": d, "q": q, "X": X}


@FAST
@given(st.lists(_face_cases("sparse"), min_size=1, max_size=2), st.lists(_face_cases("discontinuous"), min_size=2))
@example(
    [
        {
            "kind": "faces",
            "construction": "sparse",
            "n": 2,
            "d": 1,
            "q": 3,
            "X": [[0.0, 0.5], [1 / 3, 2 / 3], [1.0, 0.0]],
        }
    ],
    [{"kind": "faces", "construction": "discontinuous", "n": 2, "d": 1, "q": 3, "X": [[1 / 3, 2 / 3], [0.0, 1.0]]}],
)  # float(1/3) is below 1/3: the float paths once put it in the cell above
def test_fuzz_faces(sparse_cases, discontinuous_cases):
    run_batch(sparse_cases + discontinuous_cases)


@pytest.mark.slow
@SLOW
@given(st.lists(st.one_of(_face_cases("sparse"), _face_cases("discontinuous")), min_size=5, max_size=15))
def test_fuzz_faces_long(cases):
    run_batch(cases)


# -- (f) exported torch modules: wrong lengths, out of the domain, NaN ------------------------------

SHAPES = st.sampled_from([(2, 1), (1, 1), (3, 1), (2, 2), (3, 2, 1), (2, 4, 1), (1, 2, 2), (2,), (1, 1, 2, 1)])
VALUES = st.sampled_from([0.0, 0.25, 0.5, 1.0, -0.3, 1.5, float("nan"), float("inf"), 1e308, -0.0])


@st.composite
def _traced_cases(draw):
    import numpy as np

    shape = draw(SHAPES)
    values = draw(st.lists(VALUES, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    X = np.array(values, dtype=float).reshape(shape).tolist()
    return {"kind": "traced", "module": draw(st.sampled_from(["dense", "sparse"])), "X": X, "how": "export"}


@pytest.mark.torch
@FAST  # the default run: the findings only (two exports per batch)
@given(st.lists(_traced_cases(), min_size=6, max_size=12))
@example(
    [
        {"kind": "traced", "module": m, "X": X, "how": how}
        for m in ("dense", "sparse")
        for X, how in (
            ([[[0.5], [0.5], [0.5]]], "export"),  # 3 tokens to an n = 2 network (ran 0.498 off once traced)
            ([[[-0.3], [0.5]]], "export"),
            ([[[float("nan")], [0.5]]], "export"),
            ([[[0.1], [0.9]]], "export"),
            ([[[0.1], [0.9]]], "trace"),
        )
    ]
)
def test_fuzz_exported_modules(cases):
    pytest.importorskip("torch")
    run_batch(cases)


@pytest.mark.torch
@pytest.mark.slow
@SLOW
@given(st.lists(_traced_cases(), min_size=6, max_size=20))
def test_fuzz_exported_modules_long(cases):
    pytest.importorskip("torch")
    run_batch(cases)


# -- the Python API under hostile inputs: every registered model kind and registered targets ----------

sys.path.insert(0, str(DRIVER.parent))
from _fuzz_driver import BAD_FIELD_VALUES, HOSTILE_INPUTS  # noqa: E402

TORCH = importlib.util.find_spec("torch") is not None
API_MODELS = [*sorted(model_kinds()), "target:centered", "target:gaussian-kernel-sum"]
API_INPUTS = [i for i in HOSTILE_INPUTS if TORCH or "torch" not in i]
API_CALLS = ["sup_error-seed-1", "lipschitz-2**2000"]


@st.composite
def _api_cases(draw):
    return {
        "kind": "api",
        "model": draw(st.sampled_from(API_MODELS)),
        "input": draw(st.sampled_from(API_INPUTS + API_CALLS)),
    }


@FAST  # the default run: the findings, every kind times every input
@given(st.lists(_api_cases(), min_size=4, max_size=12))
@example(
    [{"kind": "api", "model": m, "input": i} for m in API_MODELS for i in API_INPUTS]
    + [{"kind": "api", "model": m, "input": "sup_error-seed-1"} for m in API_MODELS]
    + [{"kind": "api", "model": "target:centered", "input": "lipschitz-2**2000"}]
)
def test_fuzz_api_hostile_inputs(cases):
    """Zero sequences, np.matrix, ragged lists, tensors that require grad, broadcast views of 10^7-10^9
    sequences, sup_error(seed=-1), from_expression(lipschitz=2**2000): a PolyapproxError or the right
    result, never a raw numpy/torch error."""
    run_batch(cases)


@pytest.mark.slow
@SLOW
@given(st.lists(_api_cases(), min_size=8, max_size=20))
def test_fuzz_api_hostile_inputs_long(cases):
    run_batch(cases)


@st.composite
def _header_cases(draw):
    value = draw(st.one_of(st.sampled_from(BAD_FIELD_VALUES), st.integers(-(2**70), 2**70), st.text(max_size=8)))
    return {
        "kind": "header",
        "model": draw(st.sampled_from(sorted(model_kinds()))),
        "field": draw(st.integers(0, 200)),
        "value": value,
    }


@FAST  # the default run: the explicit batch; -m slow generates more
@given(st.lists(_header_cases(), min_size=10, max_size=30))
@example(  # every field of every kind once, the wrong-type values in turn (the registry test tries them all)
    [
        {"kind": "header", "model": kind, "field": index, "value": BAD_FIELD_VALUES[index % len(BAD_FIELD_VALUES)]}
        for kind in sorted(model_kinds())
        for index in range(60)
    ]
)
def test_fuzz_model_file_header_fields(cases):
    """A header field of a saved model of any kind replaced: a one-line ModelFileError naming the file,
    or the same model."""
    run_batch(cases)


@pytest.mark.slow
@SLOW
@given(st.lists(_header_cases(), min_size=20, max_size=60))
def test_fuzz_model_file_header_fields_long(cases):
    run_batch(cases)
