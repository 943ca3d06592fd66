"""Settings for every test of the tree: tests/ and the doctests of polyapprox/ and constructions/.

PyTorch and the interop packages are optional (the `torch` and `interop` extras); the README's
test command runs without them. Everything that needs them carries the marker `torch`, so CI
runs exactly those again after installing the CPU pin (`python -m pytest -m "torch and not slow"`):

- test files and test functions mark themselves (tests/test_architecture.py checks that every
  `importorskip` of torch, linformer or performer_pytorch is marked);
- doctests are marked here: the modules that import torch when imported (which cannot even be
  collected without it) and the docstring examples that use torch. Without torch they are
  skipped, with the install command as the reason.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent


def _modules_importing_torch() -> frozenset[str]:
    """The package files that import torch when imported (their doctests cannot even be collected without it).

    Read from the source, not kept by hand: a file imports torch at its top level, or a name of
    constructions.training (whose every name imports torch on first use), or, transitively, one of those files.
    tests/test_setup.py checks the result against a second method (importing every module with torch blocked).
    """
    imports: dict[str, set[str]] = {}  # module file -> the modules it imports at its top level (absolute names)
    for package in ("polyapprox", "constructions"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            parts = list(relative.with_suffix("").parts)
            names: set[str] = set()
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom):
                    base = parts[: len(parts) - node.level] if node.level else []
                    module = ".".join(base + ([node.module] if node.module else []))
                    names |= {module} | {f"{module}.{a.name}" for a in node.names}
            imports[relative.as_posix()] = names
    files = set(imports)
    importing = {
        f
        for f, names in imports.items()
        if any(n.split(".")[0] == "torch" or n.startswith("constructions.training.") for n in names)
        and not f.startswith("constructions/training/__init__")
    }
    while True:  # a module that imports one of them at its top level needs torch too
        more = {
            f for f, names in imports.items() if any({n.replace(".", "/") + ".py"} & files & importing for n in names)
        } - importing
        if not more:
            return frozenset(importing)
        importing |= more


TORCH_MODULES = _modules_importing_torch()
#: docstring examples that call torch (modules importable without it, examples that are not)
TORCH_EXAMPLES = ("import torch", "import_torch_module()", "require_torch()", "to_torch(", "torch_module(")
INSTALL = 'pip install torch==2.13.0, then pip install -e ".[torch,interop]"'
HAS_TORCH = importlib.util.find_spec("torch") is not None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Without torch, the modules that import it are not imported for their doctests (an ImportError otherwise)."""
    path = collection_path.resolve()
    if not HAS_TORCH and path.is_relative_to(ROOT) and path.relative_to(ROOT).as_posix() in TORCH_MODULES:
        return True
    return None


def _needs_torch(item: pytest.Item) -> bool:
    if not isinstance(item, DoctestItem) or item.dtest is None:
        return False
    path = Path(str(item.dtest.filename or "")).resolve()
    in_torch_module = path.is_relative_to(ROOT) and path.relative_to(ROOT).as_posix() in TORCH_MODULES
    return in_torch_module or any(word in ex.source for ex in item.dtest.examples for word in TORCH_EXAMPLES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _needs_torch(item):
            item.add_marker(pytest.mark.torch)
            if not HAS_TORCH:
                item.add_marker(pytest.mark.skip(reason=f"needs torch: {INSTALL}"))
