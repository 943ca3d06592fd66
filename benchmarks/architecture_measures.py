"""Architecture measures: import cycles between modules, ``# noqa: E402`` lines, public names.

Run from the repository root: ``PYTHONPATH=. python benchmarks/architecture_measures.py``
(``--write-public-names`` rewrites the record that tests/test_public_api.py compares against).
Cycles are counted with grimp (installed with import-linter) as the strongly connected
components of the module import graph of ``polyapprox`` and ``constructions`` that hold more
than one module, counting every import (function-local ones included).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("polyapprox", "constructions")


def cycles() -> list[list[str]]:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & set(modules) for m in modules}
    # Tarjan's strongly connected components.
    sys.setrecursionlimit(10000)
    low, num, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        num[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in num:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], num[w])
        if low[v] == num[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in modules:
        if m not in num:
            visit(m)
    return sorted(out)


def noqa_e402() -> int:
    return sum(
        line.count("noqa: E402")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for line in path.read_text().splitlines()
    )


def public_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            names.append(info.name)
    return sorted(names)


def public_names() -> dict[str, list[str]]:
    """``module -> sorted __all__`` for every public module that declares one."""
    out = {}
    for name in public_modules():
        module = importlib.import_module(name)
        if hasattr(module, "__all__"):
            out[name] = sorted(module.__all__)
    return out


def main() -> None:
    if "--write-public-names" in sys.argv:
        path = ROOT / "tests" / "public_names.json"
        path.write_text(json.dumps(public_names(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
        return
    found = cycles()
    names = public_names()
    distinct = {n for values in names.values() for n in values}
    print(f"import cycles (strongly connected groups of modules): {len(found)}")
    for comp in found:
        print("   ", " <-> ".join(comp))
    print(f"'# noqa: E402' lines: {noqa_e402()}")
    print(f"public modules with __all__: {len(names)}")
    print(f"public (module, name) pairs: {sum(len(v) for v in names.values())}; distinct names: {len(distinct)}")


if __name__ == "__main__":
    main()
