"""Execute the Landes walkthrough notebook and check its outputs against the library."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import accessibilite as acc

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "landes_france_services.ipynb"
DATES = ["2020-01-01", "2022-01-01", "2024-08-01"]


@pytest.fixture(scope="module")
def executed(fs_2024, tmp_path_factory):
    """The notebook run top to bottom in a fresh kernel, with the shared data folder."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code"), (
        "the notebook must be stored without outputs"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("ACCESSIBILITE_SHARED_DATA", str(fs_2024.parents[2]))
    mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=600,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    finally:
        mp.undo()
    return nb


def _stdout(nb) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stdout"
    )


def test_notebook_runs_without_error(executed):
    errors = [
        o for c in executed.cells if c.cell_type == "code" for o in c.outputs
        if o.output_type == "error"
    ]  # fmt: skip
    assert errors == []


def test_notebook_counts(executed):
    text = _stdout(executed)
    assert "Landes : 327 communes, 407 444 habitants" in text
    assert re.search(r"Sites retenus : \d+, dont 20 dans les Landes", text)


def _cantons_without_site(fs_2024, date: str) -> int:
    """Independent count: cantons with no site labelled by ``date`` (split towns shared)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = acc.load_france_services(fs_2024, date=date, departement="40")
    links = acc.commune_cantons("40")
    covered = set(links.loc[links["code_insee"].isin(sites["code_insee"]), "code_canton"])
    return len(acc.cantons("40")) - len(covered)


def test_notebook_coverage_table(executed, fs_2024):
    found = dict(re.findall(r"Cantons sans site au (\d{4}-\d{2}-\d{2}) : (\d+)", _stdout(executed)))
    assert list(found) == DATES
    got = [int(found[d]) for d in DATES]
    assert got == [_cantons_without_site(fs_2024, d) for d in DATES]
    assert got[0] >= got[1] >= got[2]
    assert got[0] > got[2]  # the France Services roll-out did close gaps


def test_notebook_has_a_map(executed):
    images = [
        o for c in executed.cells if c.cell_type == "code" for o in c.outputs
        if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})
    ]  # fmt: skip
    assert images


def test_notebook_road_analysis_of_the_04(executed):
    """Section 7: real road times on the embedded 04 network, French number formats."""
    text = _stdout(executed)
    assert "Réseau : OpenStreetMap (Geofabrik), 2021-07 — © contributeurs OpenStreetMap" in text
    assert "Alpes-de-Haute-Provence : 198 communes, 163 915 habitants" in text
    assert "liste du 01/08/2024" in text
    # the README's figures of command 1 (checked against the CLI by tests/cli/test_readme.py)
    assert (
        "04 sur route : 14 communes au-delà de 30 min, 2 910 habitants (1,8 % de la population)"
        in text
    )
    found = re.search(r"04 : cantons sans site : (\d+) sur (\d+)", text)
    # independent count: cantons none of whose communes holds a site of the 04 (on the network)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = acc.load_france_services(acc.datasets.france_services_file(), departement="04")
    links = acc.commune_cantons("04")
    covered = set(links.loc[links["code_insee"].isin(sites["code_insee"]), "code_canton"])
    cantons = acc.cantons("04")
    assert (int(found[1]), int(found[2])) == (len(cantons) - len(covered), len(cantons))
    assert re.search(r"Temps moyen pondéré par la population : \d+,\d min", text)
    assert re.search(r"Surface à 30 min ou moins d'un site : \d{1,3}( \d{3})* km²", text)
    assert not re.search(r"\d,\d{3}\b(?! km)", text.replace("407 444", ""))  # no English 1,097
