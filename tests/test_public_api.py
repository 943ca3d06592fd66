"""The public names of every public module (its ``__all__``) change only on purpose.

``tests/public_names.json`` records them; after a deliberate change of the API, regenerate it with
``PYTHONPATH=. python benchmarks/architecture_measures.py --write-public-names`` and review the diff.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "architecture_measures", ROOT / "benchmarks" / "architecture_measures.py"
)
assert _spec is not None and _spec.loader is not None
measures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measures)


@pytest.mark.torch  # every public module, constructions.training's included (they import torch)
def test_public_names_match_the_record():
    pytest.importorskip("torch")
    recorded = json.loads((ROOT / "tests" / "public_names.json").read_text())
    current = measures.public_names()
    assert sorted(current) == sorted(recorded), "public modules differ"
    changed = {m: sorted(set(current[m]) ^ set(recorded[m])) for m in current if current[m] != recorded[m]}
    assert not changed, changed


def test_polyapprox_re_exports_exactly_the_exact_core():
    import polyapprox
    import polyapprox.exact

    assert polyapprox.__all__ == polyapprox.exact.__all__
    assert all(getattr(polyapprox, n) is getattr(polyapprox.exact, n) for n in polyapprox.__all__)


@pytest.mark.torch  # every public module, constructions.training's included (they import torch)
def test_public_modules_only_re_export():
    pytest.importorskip("torch")
    """A public module defines no function or class of its own: implementation lives in private modules."""
    own = {}
    for name in measures.public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            value = getattr(module, attr)
            if getattr(value, "__module__", None) == name and name.startswith("constructions"):
                own.setdefault(name, []).append(attr)
    assert not own, own
