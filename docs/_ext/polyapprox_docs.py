"""Sphinx extension of the polyapprox documentation: content generated from the code.

- ``public_namespaces()`` / ``public_names()``: the public API, read from ``__all__`` (or, for a
  public module without ``__all__``, the functions and classes it defines); the API reference
  page ``reference/api.rst`` is written from it before autosummary runs, so it lists exactly the
  public names and nothing else.
- The notebooks (``../notebooks/*.py``, jupytext percent format) are copied into
  ``notebooks/`` so that myst-nb renders and executes them.
- The directive ``repro-cases`` renders rows of the table of reproduction cases
  (``polyapprox.app.report.cases.CASES``), the single table that the report and the tests read.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import json
import os
import pkgutil
import re
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parent.parent
NOTEBOOKS = DOCS.parent / "notebooks"

#: Top-level namespaces, in the order the API reference lists them, with a one-line heading.
ROOTS = {
    "polyapprox": "Exact (symbolic) layer",
    "constructions": "Numeric layer",
}

# -- the public API ------------------------------------------------------------------------------


def _defined_public(module: ModuleType) -> list[str]:
    """Functions and classes that a module without ``__all__`` defines (or takes from a private module)."""
    names = []
    package = module.__name__.split(".")[0]
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        home = getattr(obj, "__module__", "") or ""
        if home == module.__name__ or (home.startswith(package + ".") and home.rsplit(".", 1)[-1].startswith("_")):
            names.append(name)
    return names


def _public(module: ModuleType) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return _defined_public(module)


def _submodules(module: ModuleType) -> list[ModuleType]:
    """The public (non-underscored) submodules of a package, recursively, in name order."""
    found = []
    if not hasattr(module, "__path__"):
        return found
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        sub = importlib.import_module(f"{module.__name__}.{info.name}")
        found.append(sub)
        found.extend(_submodules(sub))
    return found


#: Public modules of the user-facing app: documented on the CLI page, not in the API reference.
APP_MODULES = ("polyapprox.app.cli", "polyapprox.app.report", "polyapprox.internal")

#: App modules with a Python API of their own, listed after the numeric layer.
APP_API = ("polyapprox.app.experiments",)


def public_namespaces() -> list[tuple[str, list[str]]]:
    """(module name, its public non-module names), every object listed once, in reading order.

    The roots' ``__all__`` first, then every public submodule of ``constructions``, then the app
    modules of ``APP_API``.
    An object already listed under an earlier namespace (a re-export) is not listed again.
    """
    modules = [importlib.import_module(root) for root in ROOTS]
    modules += [m for m in _submodules(modules[1]) if not m.__name__.startswith(APP_MODULES)]
    modules += [importlib.import_module(name) for name in APP_API]
    # objects that a module's __all__ exports belong there, not to a module that merely imports them
    claimed = {
        id(getattr(m, name)): m.__name__
        for m in modules
        if hasattr(m, "__all__")
        for name in m.__all__
        if inspect.isclass(getattr(m, name)) or inspect.isfunction(getattr(m, name))
    }
    seen: set[int] = set()
    result = []
    for module in modules:
        names = []
        for name in _public(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            key = id(obj)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if key in seen or (not hasattr(module, "__all__") and key in claimed):
                    continue
                seen.add(key)
            names.append(name)
        result.append((module.__name__, names))
    return result


def public_names() -> list[str]:
    """Every fully qualified public name the API reference documents."""
    return [f"{module}.{name}" for module, names in public_namespaces() for name in names]


def _first_line(module_name: str) -> str:
    doc = inspect.getdoc(importlib.import_module(module_name)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def api_rst() -> str:
    """The text of ``reference/api.rst``."""
    lines = [
        ".. This file is generated by docs/_ext/polyapprox_docs.py at build time; do not edit.",
        "",
        ".. _api-reference:",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of the two import packages, generated from their docstrings. The exact",
        "layer :mod:`polyapprox` never imports the numeric layer :mod:`constructions`; the numeric",
        "layer uses only the public names of the exact one. Everything not listed here is private.",
        "",
    ]
    for module, names in public_namespaces():
        title = f"``{module}``"
        lines += [f".. _api-{module.replace('.', '-')}:", "", title, "-" * len(title), "", f".. module:: {module}", ""]
        first = _first_line(module)
        if first:
            lines += [first, ""]
        if not names:
            continue
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names]
        lines.append("")
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


REPORT = DOCS / "reference" / "report-latest"


def _quick_report() -> None:
    """Write ``polyapprox reproduce --quick`` into reference/report-latest.

    POLYAPPROX_DOCS_REPORT=0 skips it; POLYAPPROX_DOCS_REPORT=<folder> copies the quick report already
    written there (by the tests of the same checkout and environment: .ci/run computes it once per run)
    instead of computing it again; unset, it is computed here.
    """
    setting = os.environ.get("POLYAPPROX_DOCS_REPORT", "1")
    if setting == "0":
        REPORT.mkdir(parents=True, exist_ok=True)
        (REPORT / "report.md").write_text(
            "# polyapprox reproduction report\n\nNot generated in this build (POLYAPPROX_DOCS_REPORT=0); "
            "run `polyapprox reproduce --quick` to produce it.\n"
        )
        return
    if setting != "1":
        source = Path(setting)
        if not (source / "results.json").is_file() or not (source / "report.md").is_file():
            raise RuntimeError(f"POLYAPPROX_DOCS_REPORT={setting}: no quick report (report.md, results.json) there")
        results = json.loads((source / "results.json").read_text())
        if results.get("mode", "quick") != "quick":
            raise RuntimeError(f"POLYAPPROX_DOCS_REPORT={setting}: not a quick report")
        shutil.rmtree(REPORT, ignore_errors=True)
        shutil.copytree(source, REPORT)
        failed = [c for c in results["claims"] if not c["passed"]]
    else:
        from polyapprox.app.report import run_report

        sections = run_report(REPORT, quick=True, progress=False)
        failed = [c for s in sections for c in s.claims if not c.passed]
    if failed:
        logger.warning("the quick report has %d failing claim(s); see reference/report-latest/report.md", len(failed))


def _kernel_environment() -> None:
    """Notebook kernels of this build read kernel/ipython_kernel_config.py (a fresh IPython directory per build)."""
    ipython_dir = Path(tempfile.mkdtemp(prefix="polyapprox-docs-ipython-"))
    profile = ipython_dir / "profile_default"
    profile.mkdir()
    shutil.copyfile(
        Path(__file__).with_name("kernel") / "ipython_kernel_config.py", profile / "ipython_kernel_config.py"
    )
    os.environ["IPYTHONDIR"] = str(ipython_dir)  # inherited by the kernels the build starts
    atexit.register(shutil.rmtree, ipython_dir, True)


def _generate(app: Sphinx, config: Any = None) -> None:
    _kernel_environment()
    _write_if_changed(DOCS / "reference" / "api.rst", api_rst())
    # autosummary rewrites its stubs but never deletes one: a name that left the API would stay
    # behind as an orphan page (a -W error), so the stubs are regenerated from scratch
    shutil.rmtree(DOCS / "reference" / "generated", ignore_errors=True)
    _quick_report()
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = {p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")}
    for old in target.glob("*.py"):
        if old.name not in wanted:
            old.unlink()
    for name in sorted(wanted):
        src, dst = NOTEBOOKS / name, target / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


# -- docstrings ----------------------------------------------------------------------------------

_REF_UNDERSCORE = re.compile(r"(?<=\w)_(?=[.\s,;:)\]]|$)")


# characters that may follow the end of an inline literal
_LITERAL_END_OK = set(" \t.,;:!?)]}'\"/\\-")


def _escape_line(line: str) -> str:
    """Escape plain text outside inline literals; end a literal glued to text (``a``^n) with an escaped space."""
    parts = line.split("``")
    if len(parts) % 2 == 0:  # an unclosed literal: leave the line as it is
        return line
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            text = _escape_text(part)
            if i > 0 and text and text[0] not in _LITERAL_END_OK:
                text = "\\ " + text
            out.append(text)
        else:
            out.append(part)
    return "``".join(out)


def _escape_text(segment: str) -> str:
    """Plain-text mathematics in docstrings: |x| is an absolute value, p_... a name, not markup."""
    return _REF_UNDERSCORE.sub(r"\\_", segment.replace("|", r"\|"))


def plain_math_docstring(lines: list[str]) -> list[str]:
    """Escape the characters that reStructuredText would read as markup in plain-text formulas.

    The docstrings write mathematics as plain text (``|alpha| <= K``, ``p_...``): a bar is an
    absolute value and a trailing underscore part of a name, never a substitution or a link.
    Doctest blocks, literal blocks and inline literals are left alone.
    """
    out = []
    in_doctest = in_literal = False
    literal_indent = 0
    previous = ""
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped:
            in_doctest = False
            out.append(line)
            continue
        if in_literal and indent <= literal_indent:
            in_literal = False
        if not in_literal and previous.rstrip().endswith("::") and indent > literal_indent_of(previous):
            in_literal, literal_indent = True, literal_indent_of(previous)
        if stripped.startswith(">>>"):
            in_doctest = True
        table_or_line_block = stripped.startswith(("| ", "+-", "+=")) or (stripped[0] == stripped[-1] == "|")
        if in_doctest or in_literal or table_or_line_block:
            out.append(line)
        else:
            out.append(_escape_line(line))
        previous = line
    return out


def literal_indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _process_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what in ("data", "attribute") and getattr(obj, "__doc__", None) == getattr(type(obj), "__doc__", None):
        # a module constant (a dict, a tuple, ...) would otherwise show its type's docstring
        lines[:] = [f"A constant of type ``{type(obj).__name__}``; see the module's documentation."]
        return
    lines[:] = plain_math_docstring(lines)


# -- reproduction cases --------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A compact, readable rendering of an expected value of the case table."""
    if isinstance(value, dict):
        return "; ".join(f"{format_key(k)}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "fails"
    return str(value)


def format_key(key: Any) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(format_value(k) for k in key) + ")"
    return str(key)


def _row(cells: list[str], literal: int | None = None) -> nodes.row:
    row = nodes.row()
    for i, text in enumerate(cells):
        entry = nodes.entry()
        para = nodes.paragraph()
        para += nodes.literal(text, text) if i == literal else nodes.Text(text)
        entry += para
        row += entry
    return row


def _table(
    header: list[str],
    rows: list[list[str]],
    widths: list[int],
    literal: int | None = None,
    classes: list[str] | None = None,
) -> nodes.table:
    table = nodes.table(classes=classes or [])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells, literal)
    return table


class ReproCases(SphinxDirective):
    """``repro-cases ID [ID ...]``: a table of those reproduction cases (id, what, expected, tolerance)."""

    required_arguments = 1
    optional_arguments = 100

    def run(self) -> list[nodes.Node]:
        from polyapprox.app.report.cases import CASES

        unknown = [i for i in self.arguments if i not in CASES]
        if unknown:
            raise self.error(f"unknown reproduction case(s) {unknown}; known: {sorted(CASES)}")
        rows = [[c.id, c.what, format_value(c.expected), c.tolerance] for c in (CASES[i] for i in self.arguments)]
        return [
            _table(
                ["case", "what is checked", "expected", "tolerance"],
                rows,
                [8, 40, 40, 12],
                literal=2,
                classes=["repro-cases"],
            )
        ]


class LatentDimensionTable(SphinxDirective):
    """``latent-dimension-table`` with options ``:n:`` and ``:d:`` (space-separated integers).

    Renders :func:`polyapprox.latent_dimension_table` and the source of every column.
    """

    option_spec: ClassVar[dict[str, Any]] = {"n": directives.positive_int_list, "d": directives.positive_int_list}

    def run(self) -> list[nodes.Node]:
        from polyapprox import latent_dimension_table

        table = latent_dimension_table(self.options.get("n", [2, 3, 4]), self.options.get("d", [1, 2, 3]))
        names = [c.name for c in table.columns]
        rows = [[str(r["n"]), str(r["d"])] + ["-" if r[c] is None else str(r[c]) for c in names] for r in table.rows]
        result: list[nodes.Node] = [_table(["n", "d", *names], rows, [3, 3] + [6] * len(names))]
        legend = nodes.bullet_list()
        for c in table.columns:
            item = nodes.list_item()
            para = nodes.paragraph()
            para += nodes.literal(c.name, c.name)
            para += nodes.Text(f" = {c.formula}: {c.source} [{c.kind}]")
            item += para
            legend += item
        result.append(legend)
        return result


def _missing_reference(app: Sphinx, env: Any, node: Any, contnode: Any) -> None:
    """A link from a hand-written page to a polyapprox or constructions name must resolve."""
    target = node.get("reftarget", "")
    refdoc = node.get("refdoc", "")
    if (
        node.get("refdomain") == "py"
        and target.startswith(("polyapprox", "constructions"))
        and not refdoc.startswith("reference/generated")
    ):
        logger.warning("unresolved API link %r (not a documented public name)", target, location=node)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _generate)
    app.add_directive("repro-cases", ReproCases)
    app.add_directive("latent-dimension-table", LatentDimensionTable)
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("missing-reference", _missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
