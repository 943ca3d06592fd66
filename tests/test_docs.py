"""The documentation: guide examples run, the API reference is complete, nothing cites team files, the site builds."""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
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


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=pytest.mark.torch) if p.name in NEEDS else p for p in _pages_with_examples()],
    ids=lambda p: str(p.relative_to(DOCS)),
)
def test_page_examples_run(page):
    """Every ```pycon block of a page is a doctest; the blocks of one page share their names."""
    if page.name in NEEDS:
        pytest.importorskip(NEEDS[page.name], reason=f"{page.name} needs the {NEEDS[page.name]} extra")
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


@pytest.mark.torch
def test_every_public_name_is_in_the_api_reference():
    pytest.importorskip("sphinx")
    pytest.importorskip(
        "torch", reason="the API reference imports every public module, constructions.training's need torch"
    )
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


@pytest.mark.torch
def test_app_modules_are_not_in_the_api_reference():
    pytest.importorskip("sphinx")
    pytest.importorskip(
        "torch", reason="the API reference imports every public module, constructions.training's need torch"
    )
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


def _built_site(tmp_path: Path) -> tuple[Path, str]:
    """(the built site, the build's log): the site CI built (POLYAPPROX_DOCS_HTML with its log POLYAPPROX_DOCS_LOG,
    set by .ci/run: one build per CI run, with one quick report and one execution per notebook), else a fresh build."""
    site, log = os.environ.get("POLYAPPROX_DOCS_HTML"), os.environ.get("POLYAPPROX_DOCS_LOG")
    if site and log:
        return Path(site), Path(log).read_text()
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
    return out, result.stderr


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    out, log = _built_site(tmp_path)
    # no warnings in the log at all: -W fails on Sphinx's own, and the notebook kernels' (IPKernelApp) are gone too
    assert "WARNING" not in log and "IPKernelApp" not in log, log[-4000:]
    _check_math_rendered(out)
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


# -- math renders without internet access, in a real browser --------------------------------------

RAW_TEX = ("\\binom", "\\(", "\\)", "$$", "\\[", "\\frac")
#: chromium with every network request refused: a dead proxy for all but loopback, and no name resolution
OFFLINE = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless Chromium (.ci/run installs it: apt-get install -y chromium)")


def _rendered(page: Path) -> tuple[str, str]:
    """(DOM after scripts ran, visible text: the DOM without script and style contents) of ``page``, offline."""
    from html.parser import HTMLParser

    result = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", *OFFLINE]
        + ["--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(result.stdout)
    return result.stdout, "".join(parser.parts)


def _check_math_rendered(site: Path) -> None:
    assert (site / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served from the built site"
    for name in ("theory/latent.html", "theory/continuous.html"):
        page = site / name
        source = page.read_text()
        assert "_static/mathjax/tex-chtml.js" in source and "cdn.jsdelivr" not in source
        dom, text = _rendered(page)
        assert "<mjx-container" in dom, f"{name}: MathJax did not typeset the page"
        raw = [t for t in RAW_TEX if t in text]
        assert not raw, f"{name}: raw TeX left in the rendered page: {raw}"


def test_the_offline_browser_check_sees_raw_tex_when_math_comes_from_a_cdn(tmp_path):
    """The check can fail: a page that loads MathJax from a CDN stays raw TeX in the offline browser."""
    page = tmp_path / "cdn.html"
    page.write_text(
        '<html><head><script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
        "</head><body><p>\\(\\binom{n+d}{d}\\)</p></body></html>"
    )
    dom, text = _rendered(page)
    assert "\\binom" in text and "<mjx-container" not in dom


def test_math_renders_offline_in_a_headless_browser():
    """The built site (POLYAPPROX_DOCS_HTML, set by .ci/run after its docs build) renders every formula offline."""
    site = os.environ.get("POLYAPPROX_DOCS_HTML")
    if not site:
        pytest.skip("set POLYAPPROX_DOCS_HTML to a built site (.ci/run does), or run the slow test that builds one")
    _check_math_rendered(Path(site))


@pytest.mark.slow
def test_math_renders_offline_in_a_site_built_without_notebooks(tmp_path):
    """Builds the site with notebook execution and the quick report off (minutes, not the full build), then checks it."""
    if os.environ.get("POLYAPPROX_DOCS_HTML"):
        pytest.skip(
            "the built site of POLYAPPROX_DOCS_HTML is checked by test_math_renders_offline_in_a_headless_browser"
        )
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-D", "nb_execution_mode=off", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1200,
        env={**os.environ, "POLYAPPROX_DOCS_REPORT": "0"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    _check_math_rendered(out)
