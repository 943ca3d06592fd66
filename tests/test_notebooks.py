"""Execute every notebook in notebooks/ (jupytext percent format) in a fresh kernel.

The default run executes the notebooks of the exact core (they import nothing from ``constructions``): the
kernel, jupytext and the paths are checked there. The notebooks of the numeric layer (about 2 to 3 s CPU each,
14 s of the default run together) carry the marker ``slow``: CI's documentation build executes every notebook
with ``nb_execution_raise_on_error`` (docs/conf.py), so a failing cell fails it, and its slow stage runs them here.
"""

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.py"))
#: notebooks that run the training experiments: they need the torch extra (the others run without it)
NEEDS_TORCH = {p.stem for p in NOTEBOOKS if "from constructions import training" in p.read_text()}
#: notebooks that use the numeric layer: executed by the docs build and by -m slow (the default run: the exact core's)
NUMERIC = {p.stem for p in NOTEBOOKS if re.search(r"^\s*(from|import) constructions\b", p.read_text(), re.M)}


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    assert {"08_training"} == NEEDS_TORCH
    assert NEEDS_TORCH < NUMERIC < {p.stem for p in NOTEBOOKS}, "the default run executes at least one notebook"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=[pytest.mark.torch] * (p.stem in NEEDS_TORCH) + [pytest.mark.slow] * (p.stem in NUMERIC))
        for p in NOTEBOOKS
    ],
    ids=[p.stem for p in NOTEBOOKS],
)
def test_notebook_executes(path, tmp_path):
    if path.stem in NEEDS_TORCH:
        pytest.importorskip(
            "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
        )
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    notebook = jupytext.read(path)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
