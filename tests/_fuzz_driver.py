"""Fuzz driver: runs a batch of cases (JSON on stdin) and prints one outcome per case (JSON lines).

Started by ``tests/test_fuzz.py`` in a subprocess with a memory limit (``RLIMIT_AS``) and a
timeout; each case also gets its own wall-clock limit (``SIGALRM``). A case is one of

- ``{"kind": "poly", "text": str, "n": int, "d": int}``: the polynomial parser;
- ``{"kind": "expr", "text": str, "n": int, "d": int}``: the target-expression parser, then
  one evaluation on a small batch;
- ``{"kind": "from_dict", "data": any}``: ``EquivariantRepresentation.from_dict``;
- ``{"kind": "model", "data_b64": str}``: a model file with these bytes, loaded;
- ``{"kind": "cli", "argv": [str, ...]}``: ``polyapprox.app.cli.main(argv)`` in this process.

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


def _run_cli(case):
    from polyapprox.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        cwd = os.getcwd()
        os.chdir(tmp)  # whatever a case writes lands in a temporary directory
        try:
            code = main(case["argv"])
        except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
            code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.chdir(cwd)
    text = err.getvalue()
    if code not in (0, 1, 2) or not _clean_cli_stderr(text, code):
        return "crash", f"exit {code}: {text[-600:]}"
    return {0: "ok", 1: "exit1", 2: "error"}[code], text.strip().splitlines()[-1][:300] if code == 2 else ""


RUNNERS = {"poly": _run_poly, "expr": _run_expr, "from_dict": _run_from_dict, "model": _run_model, "cli": _run_cli}


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
