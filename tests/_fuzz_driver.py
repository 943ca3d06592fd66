"""Fuzz driver: runs a batch of cases (JSON on stdin) and prints one outcome per case (JSON lines).

Started by ``tests/test_fuzz.py`` in a subprocess with a memory limit (``RLIMIT_AS``) and a
timeout; each case also gets its own wall-clock limit (``SIGALRM``). A case is one of

- ``{"kind": "poly", "text": str, "n": int, "d": int}``: the polynomial parser;
- ``{"kind": "expr", "text": str, "n": int, "d": int}``: the target-expression parser, then
  one evaluation on a small batch;
- ``{"kind": "from_dict", "data": any}``: ``EquivariantRepresentation.from_dict``;
- ``{"kind": "model", "data_b64": str}``: a model file with these bytes, loaded;
- ``{"kind": "cli", "argv": [str, ...]}``: ``polyapprox.app.cli.main(argv)`` in this process;
- ``{"kind": "faces", "construction": "sparse" | "discontinuous", "n", "d", "q", "X"}``: the float
  forward at grid faces and their float neighbours against an exact reference (Fraction floors);
- ``{"kind": "traced", "module": "dense" | "sparse", "X", "how": "export" | "trace"}``: an exported
  torch module (n = 2, d = 1) on inputs of any shape and value, against the numpy forward;
- ``{"kind": "api", "model": KIND | "target:NAME", "input": NAME}``: the registered model kind's
  example (or a registered target) called on a hostile input named in ``HOSTILE_INPUTS`` (or
  ``"sup_error-seed-1"``, ``"lipschitz-2**2000"``); a result must equal the plain-array one;
- ``{"kind": "header", "model": KIND, "field": [key, ...] | int, "value": any}``: the kind's example
  saved, one header field (a key path, or an index into ``header_fields``) replaced, loaded: a ``ModelFileError`` (or ``SizeError``) naming the
  file, or a model whose forward equals the original's.

Outcomes: ``ok`` (a result), ``error`` (a ``PolyapproxError``, or exit 2 with a one-line
message), ``exit1`` (a check failed), ``timeout``, ``crash`` (anything else: an exception
that is not a ``PolyapproxError``, a traceback, a multi-line error, another exit code).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import traceback


class CaseTimeout(BaseException):
    """Raised by SIGALRM when a case runs past its limit (a BaseException: nothing catches it)."""


def _alarm(signum, frame):
    raise CaseTimeout()


def _run_poly(case):
    from polyapprox.exact._parse import parse_polynomial

    parse_polynomial(case["text"], case["n"], case["d"])


def _run_expr(case):
    import numpy as np

    from constructions._targets.expression import from_expression

    target = from_expression(case["text"], lipschitz=1.0)
    X = np.random.default_rng(0).uniform(-1, 1, size=(3, case["n"], case["d"]))
    target(X[0])


def _bigints(value):
    """Strings "__bigint__:<hex>" back to ints (JSON cannot carry ints over 4,300 digits into Python)."""
    if isinstance(value, str) and value.startswith("__bigint__:"):
        return int(value.split(":", 1)[1], 16)
    if isinstance(value, list):
        return [_bigints(v) for v in value]
    if isinstance(value, dict):
        return {k: _bigints(v) for k, v in value.items()}
    return value


def _run_from_dict(case):
    from polyapprox import EquivariantRepresentation

    EquivariantRepresentation.from_dict(_bigints(case["data"]))


def _run_model(case):
    import constructions

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(case["data_b64"]))
        constructions.load(path)


def _clean_cli_stderr(text: str, code: int) -> bool:
    """Exit 2 ends with one 'polyapprox ...: error: ...' line (argparse may print its usage first)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if "Traceback" in text:
        return False
    if code != 2:
        return True
    if not lines or "error:" not in lines[-1]:
        return False
    extra = lines[:-1]  # only argparse's usage block may come before the error line
    return not extra or extra[0].startswith("usage:")


def _setup(entries) -> dict[str, str]:
    """Plant hostile paths in the current (temporary) directory: ["file", name, text] (a file that must keep
    its text), ["symlink", name, target] (target may dangle), ["fifo", name], ["dir", name]. Returns the
    files that must be unchanged afterwards."""
    keep = {}
    for entry in entries:
        kind, name = entry[0], entry[1]
        if kind == "file":
            with open(name, "w", encoding="utf-8") as handle:
                handle.write(entry[2])
            keep[name] = entry[2]
        elif kind == "symlink":
            os.symlink(entry[2], name)
        elif kind == "fifo":
            os.mkfifo(name)
        elif kind == "dir":
            os.mkdir(name)
    return keep


def _run_cli(case):
    from polyapprox.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        cwd = os.getcwd()
        os.chdir(tmp)  # whatever a case writes lands in a temporary directory
        try:
            keep = _setup(case.get("setup", []))
            code = main(case["argv"])
        except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
            code = exc.code if isinstance(exc.code, int) else 2
        finally:
            changed = [name for name, text in keep.items() if _read(name) != text]
            created = [e[2] for e in case.get("setup", []) if e[0] == "symlink" and os.path.lexists(e[2])]
            created = [name for name in created if name not in keep and not any(e[1] == name for e in case["setup"])]
            os.chdir(cwd)
    if changed or created:
        return "crash", f"wrote through a planted path: changed {changed}, created {created}"
    text = err.getvalue()
    if code not in (0, 1, 2) or not _clean_cli_stderr(text, code):
        return "crash", f"exit {code}: {text[-600:]}"
    return {0: "ok", 1: "exit1", 2: "error"}[code], text.strip().splitlines()[-1][:300] if code == 2 else ""


def _read(name: str) -> str | None:
    try:
        with open(name, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


_BUILT: dict = {}


def _cached(key, build):
    """One network (or exported program) per driver process: the cases of a batch share it."""
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def _run_faces(case):
    """The float path equals the exact reference at grid faces and their float neighbours."""
    import math
    from fractions import Fraction

    import numpy as np

    from constructions import discontinuous, targets
    from constructions.sparse import patterns, universal_network

    n, d, q = case["n"], case["d"], case["q"]
    X = np.array(case["X"], dtype=float).reshape(-1, n, d)
    f = targets.get("centered")
    cells = np.vectorize(lambda v: min(math.floor(Fraction(float(v)) * q), q - 1), otypes=[np.int64])(X)
    if case["construction"] == "sparse":
        net = _cached(("sparse", n, d, q), lambda: universal_network(f, n, d, Fraction(1, q), patterns.dense(n)))
        expected = f((cells + 0.5) / q)
        got = net(X, "float64")
        tolerance = net.float_error_estimate() * (1 + float(np.abs(expected).max()))
        if not np.abs(got - expected).max() <= tolerance:
            raise AssertionError(
                f"float64 off by {np.abs(got - expected).max():.3g} at a face (tolerance {tolerance:.3g})"
            )
        if not np.array_equal(net.exact(X[:3]).astype(float), expected[:3]):
            raise AssertionError("the exact path differs from f at the exact cube centre")
    else:
        S = _cached(("discontinuous", n, d, q), lambda: discontinuous.build(f, n, d, q))
        got, expected = S(X), f(cells / q)
        if not np.allclose(got, expected, rtol=0, atol=1e-15):
            raise AssertionError(f"the discontinuous Sumformer is off by {np.abs(got - expected).max():.3g} at a face")


def _exported(kind: str):
    """(numpy network, torch module, exported program with a dynamic batch) for n = 2, d = 1."""
    from fractions import Fraction

    import torch

    from constructions import continuous, targets, transformer
    from constructions.sparse import patterns, universal_network

    f = targets.get("centered")
    if kind == "sparse":
        net = universal_network(f, 2, 1, Fraction(1, 2), patterns.dense(2))
    else:
        S, _ = continuous.approximate(f, 2, 1, 2, samples=40)
        net = transformer.from_sumformer(S, 2)
    module = net.to_torch()
    example = torch.full((2, 2, 1), 0.5, dtype=torch.float64)
    program = torch.export.export(module, (example,), dynamic_shapes={"X": {0: torch.export.Dim("batch")}})
    return net, module, program.module()


def _run_traced(case):
    """An exported module refuses what the numpy forward refuses, and agrees with it on the rest;
    torch.jit.trace, which would keep no check, is refused."""
    import warnings

    import numpy as np
    import torch

    from polyapprox import PolyapproxError

    net, module, program = _cached(("exported", case["module"]), lambda: _exported(case["module"]))
    X = torch.tensor(case["X"], dtype=torch.float64)
    if case.get("how") == "trace":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.jit.trace(module, (X,))  # must raise PolyapproxError
        raise AssertionError("torch.jit.trace was not refused")
    try:
        expected, accepted = net(X.numpy()), True
    except PolyapproxError:
        expected, accepted = None, False
    try:
        out = program(X[None])[0] if X.dim() == 2 else program(X)
    except (AssertionError, RuntimeError, IndexError) as exc:  # the exported program's guards and asserts
        if accepted:
            raise AssertionError(f"the exported module refused an input numpy accepts: {exc}") from None
        raise PolyapproxError("refused by the exported program: " + (str(exc).splitlines() or [""])[0][:200]) from None
    if not accepted:
        raise AssertionError(
            f"the exported module ran an input numpy refuses (shape {tuple(X.shape)}): a silent answer"
        )
    if not np.allclose(out.detach().numpy(), expected, rtol=0, atol=1e-9):
        raise AssertionError("the exported module differs from the numpy forward")


def _sample(n: int, d: int):
    import numpy as np

    return np.random.default_rng(5).uniform(0.1, 0.9, size=(n, d))


def hostile_input(name: str, n: int, d: int):
    """The hostile input ``name`` for sequences of n tokens of dimension d (torch only when asked)."""
    import numpy as np

    X = _sample(n, d)
    if name == "zero-sequences":
        return np.zeros((0, n, d))
    if name == "np.matrix":
        return np.matrix(X)
    if name == "ragged-list":
        return [list(row) + [0.5] * (i == n - 1) for i, row in enumerate(X.tolist())]
    if name == "torch-requires-grad":
        import torch

        return torch.tensor(X, requires_grad=True)
    if name.startswith("broadcast-10**"):
        return np.broadcast_to(X, (10 ** int(name.split("**")[1]), n, d))
    raise KeyError(name)


HOSTILE_INPUTS = [
    "zero-sequences",
    "np.matrix",
    "ragged-list",
    "torch-requires-grad",
    *(f"broadcast-10**{k}" for k in (7, 8, 9)),
]


def _api_model(name: str):
    from constructions import get_model_kind, targets

    if name.startswith("target:"):
        f = targets.get(name.split(":", 1)[1])
        return f, 3, 1
    model = _cached(("example", name), lambda: get_model_kind(name).example())
    return model, model.n, model.d


def _run_api(case):
    """A hostile input to a model or target: a PolyapproxError, or the result of the same values as a plain array."""
    import numpy as np

    model, n, d = _api_model(case["model"])
    if case["input"] == "sup_error-seed-1":
        from constructions import targets, verify

        search = verify.SearchConfig(samples=5, grid_budget=5, local_starts=1, local_maxiter=1)
        verify.sup_error(model, targets.get("centered"), n, d, search=search, seed=-1)
        raise AssertionError("sup_error accepted seed=-1")
    if case["input"] == "lipschitz-2**2000":
        from constructions.targets import from_expression

        from_expression("x_i", lipschitz=2**2000)
        raise AssertionError("from_expression accepted lipschitz=2**2000 (no float holds it)")
    got = np.asarray(model(hostile_input(case["input"], n, d)))
    expected = np.asarray(model(_sample(n, d)))
    if case["input"] == "zero-sequences":
        if got.shape[:1] != (0,):
            raise AssertionError(f"zero sequences gave a result of shape {got.shape}")
    elif case["input"].startswith("broadcast"):
        if not (got == expected).all():
            raise AssertionError("a broadcast view gave values that differ from its one sequence's")
    elif not np.array_equal(got, expected):
        raise AssertionError(f"{case['input']} gave {got.ravel()[:4]}, the plain array {expected.ravel()[:4]}")


def saved_example(kind: str, directory: str):
    """(header, tensors, model) of the kind's example model, saved in ``directory`` and loaded back."""
    import struct

    from safetensors.numpy import load as st_load

    import constructions
    from constructions import get_model_kind

    path = os.path.join(directory, f"original-{kind}.safetensors")
    constructions.save(get_model_kind(kind).example(), path)
    with open(path, "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(json.loads(data[8 : 8 + length])["__metadata__"]["polyapprox"])
    return header, st_load(data), constructions.load(path)


def header_fields(value, prefix=()):
    """Every field of a header (nested keys; list entries by position, at most the first 3 of a list)."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from header_fields(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield from header_fields(item, (*prefix, index))


#: The wrong-type values every header field is replaced with (NaN and a 31-digit int included).
BAD_FIELD_VALUES = ["x", None, [1], True, 10**30, float("nan"), {}]


def mutated_load(kind: str, saved, field, value, directory: str) -> None:
    """Load the kind's example (``saved`` from :func:`saved_example`) with ``field`` of its header set to
    ``value``. Returns if the file loads and computes what the original does; raises a
    ``ModelFileError`` naming the file or a ``SizeError`` if refused; AssertionError otherwise."""
    import copy

    import numpy as np
    from safetensors.numpy import save as st_save

    import constructions
    from polyapprox.internal import ModelFileError, PolyapproxError, SizeError

    header, tensors, original = saved
    edited = copy.deepcopy(header)
    place = edited
    for key in field[:-1]:
        place = place[key]
    place[field[-1]] = value
    path = os.path.join(directory, f"mutated-{kind}.safetensors")
    with open(path, "wb") as handle:
        handle.write(st_save(tensors, metadata={"polyapprox": json.dumps(edited)}))
    try:
        loaded = constructions.load(path)
    except SizeError:
        raise
    except ModelFileError as exc:
        if f"mutated-{kind}.safetensors" not in str(exc):
            raise AssertionError(f"the error does not name the file: {exc}") from None
        raise
    except PolyapproxError as exc:
        raise AssertionError(f"{type(exc).__name__}, not ModelFileError: {exc}") from None
    X = np.random.default_rng(3).uniform(size=(4, original.n, original.d))
    if not np.array_equal(np.asarray(loaded(X)), np.asarray(original(X))):
        raise AssertionError(f"{kind}: header field {list(field)} = {value!r:.40} loads a different model")


def _directory() -> str:
    """One temporary directory per driver process (a batch), removed when it exits."""
    import atexit
    import shutil

    def make() -> str:
        path = tempfile.mkdtemp(prefix="polyapprox-fuzz-")
        atexit.register(shutil.rmtree, path, True)
        return path

    return _cached("directory", make)


def _run_header(case):
    kind = case["model"]
    saved = _cached(("saved", kind), lambda: saved_example(kind, _directory()))
    field = case["field"]
    if isinstance(field, int):
        fields = list(header_fields(saved[0]))
        field = fields[field % len(fields)]
    mutated_load(kind, saved, tuple(field), _bigints(case["value"]), _directory())


RUNNERS = {
    "poly": _run_poly,
    "expr": _run_expr,
    "from_dict": _run_from_dict,
    "model": _run_model,
    "cli": _run_cli,
    "faces": _run_faces,
    "traced": _run_traced,
    "api": _run_api,
    "header": _run_header,
}


def run_case(case: dict, seconds: float) -> dict:
    from polyapprox import PolyapproxError

    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        result = RUNNERS[case["kind"]](case)
        outcome, detail = result if result else ("ok", "")
    except CaseTimeout:
        outcome, detail = "timeout", f"ran past {seconds} s"
    except PolyapproxError as exc:
        message = str(exc)
        outcome, detail = ("error", message[:300]) if "\n" not in message else ("crash", "multi-line: " + message[:600])
    except Exception:
        outcome, detail = "crash", traceback.format_exc()[-1500:]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {"outcome": outcome, "detail": detail}


def main() -> None:
    request = json.load(sys.stdin)
    seconds = float(request.get("seconds", 20))
    for case in request["cases"]:
        report = run_case(case, seconds)
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
