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
  torch module (n = 2, d = 1) on inputs of any shape and value, against the numpy forward.

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


RUNNERS = {
    "poly": _run_poly,
    "expr": _run_expr,
    "from_dict": _run_from_dict,
    "model": _run_model,
    "cli": _run_cli,
    "faces": _run_faces,
    "traced": _run_traced,
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
