"""The documentation: guide examples run, the API reference is complete, nothing cites team files, the site builds."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(
    p
    for p in DOCS.rglob("*.md")
    if not p.relative_to(DOCS).parts[0].startswith(("_build", "notebooks"))
    and "report-latest" not in p.parts
    and "generated" not in p.parts
)
PYCON = re.compile(r"```pycon\n(.*?)```", re.S)

# pages whose examples need an optional extra
NEEDS = {"torch.md": "torch"}


def _pages_with_examples() -> list[Path]:
    return [p for p in PAGES if PYCON.search(p.read_text())]


def test_the_guide_and_theory_pages_have_examples():
    names = {p.name for p in _pages_with_examples()}
    assert {"first-network.md", "own-target.md", "verifying.md", "torch.md", "representation.md"} <= names


@pytest.mark.parametrize("page", _pages_with_examples(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page):
    """Every ```pycon block of a page is a doctest; the blocks of one page share their names."""
    if page.name in NEEDS:
        pytest.importorskip(NEEDS[page.name])
    text = "\n".join(PYCON.findall(page.read_text()))
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    assert test.examples, f"{page} has an empty pycon block"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) of {page.relative_to(ROOT)} failed (see output)"


def test_a_failing_example_is_detected():
    """The harness above can fail: a wrong expected output counts as a failure."""
    test = doctest.DocTestParser().get_doctest(">>> 1 + 1\n3\n", {}, "wrong", "wrong", 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda s: None)
    assert runner.failures == 1


# -- the API reference lists every public name --------------------------------------------------

sys.path.insert(0, str(DOCS / "_ext"))


def _independent_public_names() -> set[str]:
    """Public names computed here, without the docs extension: __all__ of the roots and every public submodule."""
    names = set()
    roots = [importlib.import_module("polyapprox"), importlib.import_module("constructions")]
    for root in roots:
        names |= {f"{root.__name__}.{n}" for n in root.__all__ if not inspect.ismodule(getattr(root, n))}
    stack = [roots[1]]
    while stack:
        package = stack.pop()
        for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            stack.append(module)
            exported = getattr(module, "__all__", None)
            if exported is None:  # a module without __all__: the functions and classes it defines
                exported = [
                    n
                    for n, o in vars(module).items()
                    if not n.startswith("_")
                    and (inspect.isfunction(o) or inspect.isclass(o))
                    and o.__module__ == module.__name__
                ]
            names |= {f"{module.__name__}.{n}" for n in exported if not inspect.ismodule(getattr(module, n))}
    return names


def _documented_objects(names: list[str]) -> set[int]:
    objects = set()
    for full in names:
        module, _, name = full.rpartition(".")
        objects.add(id(getattr(importlib.import_module(module), name)))
    return objects


def test_every_public_name_is_in_the_api_reference():
    pytest.importorskip("sphinx")
    import polyapprox_docs

    documented = polyapprox_docs.public_names()
    text = polyapprox_docs.api_rst()
    for full in documented:
        module, _, name = full.rpartition(".")
        assert re.search(
            rf"\.\. module:: {re.escape(module)}\n(?:(?!\.\. module::).)*\n   {re.escape(name)}\n", text, re.S
        ), f"{full} is not listed in the API reference"
    objects = _documented_objects(documented)
    missing = []
    for full in sorted(_independent_public_names()):
        module, _, name = full.rpartition(".")
        obj = getattr(importlib.import_module(module), name)
        # a re-export (e.g. transformer.Network also in linformer) is documented once, under one name
        if full not in documented and id(obj) not in objects:
            missing.append(full)
    assert not missing, f"public names missing from the API reference: {missing}"
    assert "polyapprox.represent_equivariant" in documented and "constructions.sparse.check_assumption" in documented
    assert not [n for n in documented if n.rpartition(".")[2].startswith("_")], "private names documented"


def test_app_modules_are_not_in_the_api_reference():
    pytest.importorskip("sphinx")
    import polyapprox_docs

    assert not [
        n for n in polyapprox_docs.public_names() if n.startswith(("polyapprox.app.cli", "polyapprox.app.report"))
    ]


# -- nothing user-facing cites the team's documents ---------------------------------------------

TEAM_FILES = re.compile(r"MATH\.md|API\.md")
GENERATED = ("_build", "notebooks", "generated", "report-latest", "jupyter_execute")


def _user_facing_files() -> list[Path]:
    files = [ROOT / "README.md"]
    files += [
        p
        for p in DOCS.rglob("*")
        if p.is_file()
        and p.suffix in {".md", ".rst", ".py", ".txt"}
        and not set(p.relative_to(DOCS).parts[:-1]) & set(GENERATED)
        and p.relative_to(DOCS).as_posix() != "reference/api.rst"
    ]
    files += sorted((ROOT / "notebooks").glob("*.py"))
    for package in ("polyapprox", "constructions"):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def test_the_scan_covers_the_user_facing_files():
    names = {p.relative_to(ROOT).as_posix() for p in _user_facing_files()}
    assert {
        "README.md",
        "docs/index.md",
        "docs/theory/continuous.md",
        "polyapprox/app/cli/__init__.py",
        "polyapprox/app/report/cases.py",
        "constructions/continuous.py",
        "notebooks/01_latent_dimension.py",
    } <= names


def test_no_user_facing_file_cites_the_team_documents():
    offenders = []
    for path in _user_facing_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEAM_FILES.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "cite the papers and the theory pages instead:\n" + "\n".join(offenders)


# -- the site builds with warnings as errors ----------------------------------------------------


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-b", "html", "-q", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # every notebook was executed during the build (its outputs are in the page)
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        page = (out / "notebooks" / f"{notebook.stem}.html").read_text()
        assert "cell_output" in page, f"{notebook.name} has no outputs in the built site"
    # every public name has a page in the API reference
    import polyapprox_docs

    for full in polyapprox_docs.public_names():
        assert (out / "reference" / "generated" / f"{full}.html").exists(), full
    # the CLI reference documents every subcommand
    cli = (out / "reference" / "cli.html").read_text()
    for command in ("latent-dim", "represent", "build", "verify", "sparse", "reproduce"):
        assert command in cli
    shutil.rmtree(out, ignore_errors=True)
