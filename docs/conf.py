"""Sphinx configuration of the polyapprox documentation.

Build: ``pip install -e ".[docs]" && sphinx-build -W -b html docs docs/_build/html``.
The notebooks in ../notebooks (jupytext percent format) are copied into notebooks/ here and
executed at build time; the API reference and the reproduction-case tables are generated
from the code (``_ext/``), so neither can drift from it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import polyapprox  # noqa: E402

project = "polyapprox"
author = "the polyapprox developers"
copyright = "2025, the polyapprox developers"
release = polyapprox.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 served from the built site: formulas render without internet access
    "sphinxarg.ext",
    "myst_nb",
    "polyapprox_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".py": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "_ext", "reference/report-latest"]
# .py files are sources only in notebooks/ (conf.py and _ext/ are not pages)
include_patterns = ["**.md", "**.rst", "notebooks/*.py"]

# -- MyST / notebooks --------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "force"
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- API reference -----------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# -- Math --------------------------------------------------------------------------------------
# MathJax is copied into _static/mathjax by sphinx-mathjax-offline (docs extra) and loaded from there,
# never from a CDN: on a machine without internet the theory pages would otherwise show raw TeX.
mathjax_path = "mathjax/tex-chtml.js"

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"polyapprox {release}"
html_static_path: list[str] = []
