"""The layering contract (exact core -> numeric constructions -> app) and the size of functions.

import-linter checks the contract declared in pyproject.toml; these tests make sure the
contract names every module there is, that it holds, and that it would catch a new private
import.
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


def _core_modules() -> set[str]:
    return {
        f"polyapprox.{p.stem}" for p in (ROOT / "polyapprox").glob("*.py") if p.stem not in ("__init__", "__main__")
    }


def test_contracts_name_every_module_of_the_exact_core():
    core, numeric_forbidden, app_forbidden = CONTRACTS
    assert set(core["source_modules"]) == _core_modules()
    private = {m for m in _core_modules() if m.rsplit(".", 1)[1].startswith("_")}
    assert private <= set(numeric_forbidden["forbidden_modules"])
    assert private <= set(app_forbidden["forbidden_modules"])
    assert {"constructions", "numpy", "matplotlib", "polyapprox.app.cli", "polyapprox.app.report"} <= set(
        core["forbidden_modules"]
    )


def test_package_init_imports_only_the_core():
    tree = ast.parse((ROOT / "polyapprox" / "__init__.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1 and f"polyapprox.{node.module}" in _core_modules(), ast.unparse(node)
        assert not isinstance(node, ast.Import), ast.unparse(node)


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


def test_the_contract_catches_a_private_import(tmp_path):
    for name in ("polyapprox", "constructions"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "constructions" / "targets.py"
    target.write_text(target.read_text() + "\nfrom polyapprox.exact._poly import to_fraction  # planted\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout


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
