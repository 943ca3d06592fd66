"""The registry of report sections, found rather than listed.

Every module of this package that defines ``SECTION`` (a :class:`SectionSpec`) is a
section; they run in the order of ``SECTION.order``. Adding a section means adding one
module, nothing else.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ._model import SectionSpec

_NOT_SECTIONS = {"cases", "executor", "sections"}


@functools.cache
def section_specs() -> dict[str, SectionSpec]:
    """name -> SectionSpec of every section, in report order."""
    package = importlib.import_module(__name__.rpartition(".")[0])  # this package, polyapprox.app.report
    specs = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in _NOT_SECTIONS:
            continue
        spec = getattr(importlib.import_module(f"{__package__}.{info.name}"), "SECTION", None)
        if isinstance(spec, SectionSpec):
            specs.append(spec)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two report sections share a name: {sorted(names)}")
    return {s.name: s for s in sorted(specs, key=lambda s: (s.order, s.name))}


def section_names() -> list[str]:
    """The section names in report order (what ``reproduce --only`` accepts)."""
    return list(section_specs())
