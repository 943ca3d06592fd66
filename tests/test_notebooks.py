"""Execute every notebook in notebooks/ (jupytext percent format) in a fresh kernel."""

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.py"))
#: notebooks that run the training experiments: they need the torch extra (the others run without it)
NEEDS_TORCH = {p.stem for p in NOTEBOOKS if "from constructions import training" in p.read_text()}


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    assert {"08_training"} == NEEDS_TORCH


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.torch) if p.stem in NEEDS_TORCH else p for p in NOTEBOOKS],
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
