"""No user-supplied data is ever evaluated (hostile-input issue, item 1).

Every API entry point that takes symbolic input is fed strings that would write a marker
file if anything ``eval``-ed them, hidden at every depth of every container type. The
marker must never appear and every case must end in a ``PolyapproxError``. A second test
scans the source tree for calls that evaluate text and fails on any new one that is not
marked as reviewed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import sympy

import polyapprox as pa

ROOT = Path(__file__).resolve().parents[1]


def _payload(marker: Path) -> str:
    return f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"


def _containers(s: str) -> dict[str, object]:
    """Eleven ways to hide the string s inside a would-be matrix."""
    return {
        "nested-list": [[[s]]],
        "list-in-row": [[s]],
        "tuple": ((s,),),
        "tuple-in-list": [[(s,)]],
        "set": [[{s}]],
        "frozenset": [[frozenset([s])]],
        "dict": [[{s: 1}]],
        "dict-value": [[{"a": s}]],
        "numpy-str-array": [[np.array([s])]],
        "numpy-str-scalar": [[np.str_(s)]],
        "numpy-object-array": [[np.array([s], dtype=object)]],
    }


CONTAINER_IDS = list(_containers("x"))
y1, p1 = pa.own_symbols(1)[0], pa.power_sum_symbol((1,))


def _entry_points(value):
    """Every public entry point that reads a user polynomial container."""
    return {
        "rep-Psi": lambda: pa.EquivariantRepresentation(2, 1, 1, ((1,), (2,)), value),
        "rep-F": lambda: pa.EquivariantRepresentation(2, 1, 1, ((1,), (2,)), sympy.Matrix([[p1 - y1]]), F=value),
        "represent_equivariant": lambda: pa.represent_equivariant(value, 2, 1),
        "is_equivariant": lambda: pa.is_equivariant(value, 2, 1),
        "equivariance_witness": lambda: pa.equivariance_witness(value, 2, 1),
        "symmetrize": lambda: pa.symmetrize(value, 2, 1),
        "represent_invariant": lambda: pa.represent_invariant(value, 2, 1),
        "InvariantRepresentation-Q": lambda: pa.InvariantRepresentation(2, 1, ((1,), (2,)), value),
    }


ENTRY_IDS = list(_entry_points(None))


@pytest.mark.parametrize("entry", ENTRY_IDS)
@pytest.mark.parametrize("container", CONTAINER_IDS)
def test_hidden_string_is_never_evaluated(tmp_path, container, entry):
    marker = tmp_path / "marker"
    value = _containers(_payload(marker))[container]
    with pytest.raises(pa.PolyapproxError):
        _entry_points(value)[entry]()
    assert not marker.exists(), f"{entry} evaluated a string hidden in a {container}"


@pytest.mark.parametrize("entry", ["rep-Psi", "rep-F"])
def test_bare_string_leaf_refused_with_advice(tmp_path, entry):
    marker = tmp_path / "marker"
    with pytest.raises(pa.PolyapproxError, match="parse_polynomial"):
        _entry_points([[_payload(marker)]])[entry]()
    assert not marker.exists()


def test_valid_containers_still_work():
    r = pa.EquivariantRepresentation(
        2, 1, 1, ((1,), (2,)), [[p1 - y1]], F=[[sympy.Symbol("x2_1")], [sympy.Symbol("x1_1")]]
    )
    assert r.verify() is True
    assert r.Psi == sympy.Matrix([[p1 - y1]])


# Calls that evaluate text or unpickle data. A line may use one only with a trailing
# "# no-eval: <why it is safe>" comment, reviewed like any other change.
DANGEROUS = re.compile(
    r"\b(sympify|parse_expr|lambdify)\s*\(|(?<![.\w])(eval|exec|compile|__import__)\s*\("
    r"|\bsympy\.Matrix\s*\(|\bMatrix\s*\(\s*\w"
    r"|\bpickle\b|\bmarshal\b|\bshelve\b|allow_pickle\s*=\s*True|weights_only\s*=\s*False"
    r"|\btorch\.load\s*\("
)


def _code_lines(path: Path):
    in_doc = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        quotes = stripped.count('"""') + stripped.count("'''")
        if in_doc or stripped.startswith(('"""', "'''", "#", ">>>", "...")):
            if quotes % 2 == 1:
                in_doc = not in_doc
            continue
        if quotes % 2 == 1:
            in_doc = True
        yield number, line


def test_no_unreviewed_eval_in_the_library():
    offenders = []
    for package in ("polyapprox", "constructions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in _code_lines(path):
                code = line.split("#", 1)[0]
                if DANGEROUS.search(code) and "# no-eval:" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "unreviewed eval-like calls:\n" + "\n".join(offenders)


def test_scanner_catches_a_planted_call(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text('"""doc."""\nx = sympy.sympify(user)\ny = 1  # sympify(user) in a comment\n')
    hits = [n for n, line in _code_lines(planted) if DANGEROUS.search(line.split("#", 1)[0])]
    assert hits == [2]
