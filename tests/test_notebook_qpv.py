"""Execute notebooks/qpv.ipynb and check its figures against the library."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "qpv.ipynb"


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code"), (
        "the notebook must be stored without outputs"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        client = NotebookClient(
            nb, kernel_name="python3", timeout=300,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )  # fmt: skip
        client.execute()
    finally:
        mp.undo()
    return nb


def _outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == kind]  # fmt: skip


def test_notebook_runs_and_draws_both_maps(executed):
    assert _outputs(executed, "error") == []
    images = [o for o in _outputs(executed, "display_data") if "image/png" in o.get("data", {})]
    assert len(images) == 2


def test_notebook_figures(executed):
    text = "".join(o.get("text", "") for o in _outputs(executed, "stream") if o.name == "stdout")
    assert "3 QPV retenus" not in text and "2 QPV retenus, 5 lignes rejetées, 1 hors" in text
    assert "QPV + reste = 29 554 habitants ; population municipale = 29 554" in text
    assert "réseau routier et piéton OpenStreetMap de juillet 2021" in text
    tables = "".join(o["data"].get("text/plain", "") for o in _outputs(executed, "execute_result"))
    assert "Contour de test - Digne-les-Bains centre" in tables and "Peyrouat" in tables
