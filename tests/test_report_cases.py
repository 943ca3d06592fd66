"""The report and the tests read one table of reproduction cases (polyapprox.app.report.cases)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from polyapprox.app.report import section_specs
from polyapprox.app.report._model import _jsonable
from polyapprox.app.report.cases import CASES

TESTS = Path(__file__).parent

# claims whose "expected" is the case value itself (others quote a threshold derived from it)
QUOTED = {"latent": ["L1", "L2", "L3", "L-cross"], "representation": ["P1", "P4"], "sparse": ["S1", "S4", "S6"]}


@pytest.fixture
def claims(quick_report):
    """The claims of the session's quick report (tests/conftest.py)."""
    return quick_report.results["claims"]


@pytest.mark.parametrize("case_id", [c for ids in QUOTED.values() for c in ids])
def test_report_claims_quote_the_case_table(claims, case_id):
    quoted = [c["expected"] for c in claims if c["id"] == case_id]
    assert quoted == [json.loads(json.dumps(_jsonable(CASES[case_id].expected)))]


def test_every_claim_id_is_a_case_or_a_section_check():
    ids = {c.id for spec in section_specs().values() for c in spec.claims}
    extra = {i for i in ids if i not in CASES}
    # section-level checks without a case of their own, named after their section letter
    assert all("-" in i for i in extra), extra


# The unit tests that check reproduction cases take their expected values from the same table.
@pytest.mark.parametrize(
    "test_file, case_ids",
    [
        ("test_latent.py", ["L1"]),
        ("test_candidates.py", ["P1"]),
        ("test_representation.py", ["P1", "P1-rank"]),
        ("test_continuous.py", ["C1", "C2"]),
        ("test_discontinuous.py", ["L4", "D2"]),
        ("test_sparse_contextual.py", ["S2", "S5"]),
    ],
)
def test_unit_tests_read_the_case_table(test_file, case_ids):
    source = (TESTS / test_file).read_text()
    tree = ast.parse(source)
    imports = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "polyapprox.app.report.cases"
    ]
    assert imports, f"{test_file} does not import the case table"
    used = {
        node.slice.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "CASES"
        and isinstance(node.slice, ast.Constant)
    }
    assert set(case_ids) <= used


def test_every_section_links_an_existing_theory_page():
    for spec in section_specs().values():
        assert (TESTS.parent / "docs" / f"{spec.theory}.md").is_file(), spec.name


def test_report_claims_link_their_theory_page(claims):
    assert all(c["theory"].startswith("theory/") for c in claims)
