"""The layers (exact core -> numeric constructions -> app), the import contracts, the import
weight of both packages, the public names and the size of functions.

import-linter checks the contracts declared in pyproject.toml; these tests make sure every
contract holds, that each would catch a planted violation, that importing a package loads no
heavier layer, and that the public names change only on purpose.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Functions allowed over 60 lines, each with the reason (kernels that read best in one piece).
LONG_FUNCTIONS = {
    "polyapprox/exact/_linalg.py:sparse_solve": "one elimination kernel: reduce, pivot, back-substitute",
}


def test_contracts_are_rules_not_module_lists():
    kinds = {c["type"] for c in CONTRACTS}
    assert {"layers", "private_modules", "acyclic_siblings", "forbidden"} <= kinds
    layers = next(c for c in CONTRACTS if c["type"] == "layers")
    assert layers["layers"] == ["polyapprox.app", "constructions", "polyapprox.exact"]
    for contract in CONTRACTS:  # packages and third-party names only: no list of private modules to keep
        for key in ("source_modules", "forbidden_modules"):
            assert not any(part.startswith("_") for m in contract.get(key, ()) for part in m.split(".")), contract


def test_package_init_imports_only_the_core():
    tree = ast.parse((ROOT / "polyapprox" / "__init__.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1 and node.module == "exact", ast.unparse(node)
        assert not isinstance(node, ast.Import), ast.unparse(node)


@pytest.mark.parametrize(
    "package, heavy",
    [("polyapprox", ("numpy", "constructions", "polyapprox.app")), ("constructions", ("matplotlib", "torch"))],
)
def test_importing_a_package_loads_no_heavier_layer(package, heavy):
    code = f"import sys, {package}; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m in {heavy!r}))"
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed in this environment")
    env = {"PYTHONPATH": str(cwd), "PATH": str(LINT_IMPORTS.parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_the_contract_holds():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


#: One planted violation per contract: (contract id, file, line appended to it).
PLANTED = [
    ("layers", "constructions/targets.py", "import polyapprox.app.cli"),
    ("core-is-exact", "polyapprox/exact/_poly.py", "import numpy"),
    ("no-plots-below-the-app", "constructions/relu.py", "import matplotlib"),
    ("private-modules", "polyapprox/app/cli/build.py", "from constructions._sumformers import least_squares"),
    ("private-modules", "constructions/targets.py", "from polyapprox.exact._poly import to_fraction"),
    ("acyclic", "constructions/_common/validate.py", "from constructions._targets import target"),
]


def test_every_contract_has_a_planted_violation():
    assert {c["id"] for c in CONTRACTS} == {contract for contract, _, _ in PLANTED}


@pytest.mark.parametrize("contract, path, line", PLANTED, ids=[f"{c}:{p}" for c, p, _ in PLANTED])
def test_the_contract_catches_a_planted_violation(tmp_path, contract, path, line):
    for name in ("polyapprox", "constructions"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / path
    target.write_text(target.read_text() + f"\n{line}  # planted\n")
    result = _lint_imports(tmp_path)
    name = next(c["name"] for c in CONTRACTS if c["id"] == contract)
    broken = [c["name"] for c in CONTRACTS if f"{c['name']} BROKEN" in " ".join(result.stdout.split())]
    assert result.returncode != 0 and broken == [name], result.stdout[-3000:]


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body, from the first statement after the docstring to the end."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
        body = body[1:]
    return node.end_lineno - body[0].lineno + 1


def test_no_function_over_60_lines_without_a_reason():
    long = []
    for package in ("polyapprox", "constructions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    key = f"{path.relative_to(ROOT)}:{node.name}"
                    if _code_lines(node) > 60 and key not in LONG_FUNCTIONS:
                        long.append(f"{key} ({_code_lines(node)} lines)")
    assert not long, "split these functions, or justify them in LONG_FUNCTIONS: " + ", ".join(long)


def test_class_names_are_unique_across_the_library():
    seen: dict[str, list[str]] = {}
    for package in ("polyapprox", "constructions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: where for name, where in seen.items() if len(where) > 1}
