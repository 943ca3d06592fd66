"""Setting up: the README's test command installs no GPU stack, and every torch test is marked for CI's torch stage."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
#: distributions that pull (or are) a torch build, with its CUDA wheels
TORCH_STACK = re.compile(r"^(torch|triton|nvidia-.*|linformer|performer-pytorch)$")
OPTIONAL = ("torch", "linformer", "performer_pytorch")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_test_extra_needs_no_torch_and_the_interop_extra_holds_it():
    assert not [r for r in EXTRAS["test"] if TORCH_STACK.match(_name(r))]
    assert {"torch", "linformer", "performer-pytorch"} <= {_name(r) for r in EXTRAS["interop"]}
    assert {_name(r) for r in EXTRAS["torch"]} == {"torch"}


def test_the_readme_gives_the_torch_pin_as_its_own_step_after_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert blocks[0].split("\n")[:2] == [
        "pip install -e . && polyapprox reproduce --quick",
        'pip install -e ".[test]" && python -m pytest',
    ]
    # the next code block of the README is the torch step: the CPU pin first, then the local extras
    assert blocks[1].strip().splitlines() == ["pip install torch==2.13.0", 'pip install -e ".[torch,interop]"']
    between = readme.split(blocks[0], 1)[1].split(blocks[1], 1)[0]
    assert "CPU" in between and "CUDA" in between
    install = (ROOT / "docs" / "guide" / "install.md").read_text()
    assert blocks[1] in install


def _marked_torch(decorators: list[ast.expr]) -> bool:
    """@pytest.mark.torch, or parameters marked with it (pytest.param(..., marks=pytest.mark.torch))."""
    return any("pytest.mark.torch" in ast.unparse(d) for d in decorators)


def _torch_importorskips(tree: ast.Module):
    """(enclosing function or None, module name) for every importorskip of torch or an interop package."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) == "pytest.importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in OPTIONAL
        ):
            scope = parents.get(node)
            while scope is not None and not isinstance(scope, ast.FunctionDef):
                scope = parents.get(scope)
            yield scope, node.args[0].value


def test_every_test_that_needs_torch_is_marked_torch():
    """CI runs `-m torch` after installing torch: a test that skips without torch but lacks the marker would never run."""
    unmarked, found = [], 0
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        module_marked = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            and "pytest.mark.torch" in ast.unparse(node.value)
            for node in tree.body
        )
        for function, module in _torch_importorskips(tree):
            found += 1
            if function is not None and not function.name.startswith("test"):
                continue  # a helper: the tests that call it carry the marker
            if not module_marked and (function is None or not _marked_torch(function.decorator_list)):
                where = function.name if function is not None else "module level"
                unmarked.append(f"{path.name}: {where} (importorskip {module!r})")
    assert found >= 10, "the scan found too few importorskip calls: is it still reading the tests?"
    assert not unmarked, "mark these @pytest.mark.torch (or the module with pytestmark):\n" + "\n".join(unmarked)


def test_the_modules_listed_as_importing_torch_are_exactly_those():
    """The root conftest skips the doctests of these modules without torch; the list must match the code."""
    sys.path.insert(0, str(ROOT))
    try:
        spec = importlib.util.spec_from_file_location("_root_conftest", ROOT / "conftest.py")
        assert spec is not None and spec.loader is not None
        conftest = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conftest)
    finally:
        sys.path.remove(str(ROOT))
    listed = set(conftest.TORCH_MODULES)
    imports = {}  # module file -> the modules it imports at its top level (absolute names)
    for package in ("polyapprox", "constructions"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            parts = list(relative.with_suffix("").parts)
            names = set()
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom):
                    base = parts[: len(parts) - node.level] if node.level else []
                    module = ".".join(base + ([node.module] if node.module else []))
                    names |= {module} | {f"{module}.{a.name}" for a in node.names}
            imports[relative.as_posix()] = names

    def as_file(name: str) -> set[str]:
        return {f"{name.replace('.', '/')}.py"} & set(imports)

    # torch itself, or a name of constructions.training, whose every name imports torch on first use
    importing = {
        f
        for f, names in imports.items()
        if any(n.split(".")[0] == "torch" or n.startswith("constructions.training.") for n in names)
        and not f.startswith("constructions/training/__init__")
    }
    while True:  # a module that imports one of them at its top level needs torch too
        more = {f for f, names in imports.items() if any(as_file(n) & importing for n in names)} - importing
        if not more:
            break
        importing |= more
    assert importing == listed


@pytest.mark.slow
def test_the_resolver_plans_no_torch_for_the_test_extra(tmp_path):
    """pip's own plan for the README's test command, from scratch: no torch, no nvidia-* wheel, no triton."""
    report = tmp_path / "plan.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        + ["--report", str(report), "-e", ".[test]"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    planned = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert {"pytest", "numpy", "sympy"} <= planned  # the plan is the real one
    assert not sorted(n for n in planned if TORCH_STACK.match(n))
