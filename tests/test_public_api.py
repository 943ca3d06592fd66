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


#: Most parameters a public function or class constructor may take (``self`` not counted); a
#: longer list is grouped into a frozen config object (``TrainingConfig``, ``CopyingConfig``,
#: ``SumformerModelConfig``, ``OneLayerModelConfig``, ``FitConfig``, ``ErrorTableConfig``,
#: ``NetworkConfig``, ``SearchConfig``, ``CertificationBudget``).
MAX_PARAMETERS = 8

#: public name -> why it may take more than MAX_PARAMETERS (one name per callable, whichever
#: public module re-exports it). Dataclasses are not counted: their fields are a record (a
#: result, or a config object, which is the grouping itself).
ALLOWED_LONGER: dict[str, str] = {
    "constructions.Sumformer": "the five parts of the model (phi, psi, latent_dim, d, d_out) plus four descriptive "
    "keywords (n, domain, latent dtype, description); no group of them recurs elsewhere",
    "constructions.sparse.patterns.by_name": "a dispatcher: its keywords are the union of the named patterns' own "
    "parameters (each pattern function takes one to three), so a config would be a second copy of that list",
    "constructions.sparse.universal_network": "10: its documented signature is the construction's symbols (f, n, d, "
    "delta, patterns) and the Step-3 keywords (rho, t, eps, path) users pass by name, plus the value-layer budget; "
    "a config object for rho, t, eps would break those keywords",
}


def _parameter_counts():
    """(public names, callable, parameter count) of every public callable that is not a dataclass."""
    import dataclasses
    import inspect

    found: dict[int, tuple[list[str], object, int]] = {}
    for module_name in measures.public_modules():
        module = importlib.import_module(module_name)
        for attr in getattr(module, "__all__", ()):
            value = getattr(module, attr)
            if not callable(value) or (isinstance(value, type) and dataclasses.is_dataclass(value)):
                continue
            try:
                signature = inspect.signature(value)
            except (TypeError, ValueError):  # builtins and C types without a signature
                continue
            count = sum(1 for p in signature.parameters.values() if p.name != "self")
            found.setdefault(id(value), ([], value, count))[0].append(f"{module_name}.{attr}")
    return list(found.values())


@pytest.mark.torch  # every public callable, constructions.training's included (they import torch)
def test_no_public_callable_takes_more_than_eight_parameters():
    pytest.importorskip("torch")
    counts = _parameter_counts()
    over = {
        names[0]: count for names, _, count in counts if count > MAX_PARAMETERS and not set(names) & set(ALLOWED_LONGER)
    }
    assert not over, f"group these keywords into a config object: {over}"
    over_names = {name for names, _, count in counts if count > MAX_PARAMETERS for name in names}
    stale = set(ALLOWED_LONGER) - over_names
    assert not stale, f"no longer over {MAX_PARAMETERS} parameters (or not public): drop from ALLOWED_LONGER: {stale}"


@pytest.mark.torch  # every public callable, constructions.training's included (they import torch)
def test_the_parameter_count_sees_long_signatures():
    pytest.importorskip("torch")
    """The walk reaches the functions whose keywords were grouped, and counts them as a reader would."""
    counts = {name: count for names, _, count in _parameter_counts() for name in names}
    assert len(counts) > 100
    assert counts["constructions.continuous.approximate"] == 8  # f, n, d, degree, domain, samples, seed, config
    # pattern, n, vocab, layers, width, heads, level, config
    assert counts["constructions.training.copying.train_copying"] == 8
    assert counts["polyapprox.app.experiments.sumformer_curves"] == 5  # config, target, n, d, degree
    assert counts["constructions.sparse.error_table"] == 7
    assert counts["constructions.linformer.from_sumformer"] == 8
    assert counts["constructions.performer.from_sumformer"] == 5
    assert counts["constructions.masked.from_sumformer"] == 6
    assert counts["constructions.sparse.patterns.by_name"] == 10
