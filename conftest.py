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

import importlib.util
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent

#: modules that import torch (or a name of constructions.training, which imports it) when imported:
#: their doctests need it to be collected at all
TORCH_MODULES = (
    "constructions/_common/torch_checks.py",
    "constructions/_networks/sumformer_torch.py",
    "constructions/_networks/torch_modules.py",
    "constructions/sparse/_universal_torch.py",
    "constructions/training/_common.py",
    "constructions/training/_copying.py",
    "constructions/training/_one_layer.py",
    "constructions/training/_runs.py",
    "constructions/training/_sumformers.py",
    "constructions/training/copying.py",
    "constructions/training/one_layer.py",
    "constructions/training/sumformers.py",
    "polyapprox/app/experiments/_training.py",
)
#: docstring examples that call torch (modules importable without it, examples that are not)
TORCH_EXAMPLES = ("import torch", "import_torch_module()", "to_torch(", "torch_module(")
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
