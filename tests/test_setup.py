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


def test_the_modules_found_to_import_torch_are_exactly_those_that_fail_without_it():
    """The root conftest skips the doctests of the modules it finds (from the source) to import torch; a second
    method must agree: import every module of both packages in a fresh interpreter where torch cannot be imported."""
    spec = importlib.util.spec_from_file_location("_root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    probe = (
        "import importlib, json, sys\n"
        "sys.modules['torch'] = None  # import torch now raises ImportError, as without the extra\n"
        "failing = []\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:  # ImportError, or the training package's one-line PolyapproxError\n"
        "        if 'torch' not in str(exc).lower():\n"
        "            raise\n"
        "        failing.append(name)\n"
        "print(json.dumps(failing))\n"
    )
    files = sorted(
        p.relative_to(ROOT) for package in ("polyapprox", "constructions") for p in (ROOT / package).rglob("*.py")
    )
    names = [".".join(f.with_suffix("").parts).removesuffix(".__init__") for f in files if f.name != "__main__.py"]
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(names)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    failing = {name.replace(".", "/") + ".py" for name in json.loads(result.stdout)}
    found = {f for f in conftest.TORCH_MODULES}
    # a package __init__ that fails is listed by its file name in the probe's terms
    failing = {f if (ROOT / f).exists() else f.removesuffix(".py") + "/__init__.py" for f in failing}
    assert "constructions/_networks/sparse_attention.py" in found  # the module this check was written for
    assert found == failing


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
