"""``accessibilite qpv`` and ``analyse --qpv`` on the test outlines (real 04 / 78 roads)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

import accessibilite as acc
from accessibilite.cli.app import main

DATA = Path(__file__).resolve().parents[1] / "data" / "qpv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def mdm_run(tmp_path_factory):
    """Mont-de-Marsan: CAF test points, Filosofi cells, the three modes estimated."""
    out = tmp_path_factory.mktemp("qpv40")
    argv = ["-q", "qpv", "-d", "40", "--qpv", DATA / "QP_METROPOLE_LB93.shp",
            "--services-fichier", DATA / "caf_40.csv", "--services", "caf", "--vol-oiseau",
            "--carreaux", DATA / "carreaux_qpv_40192.csv", "--sortie", out]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main([str(a) for a in argv]) == 0
    return out, first


def test_qpv_outputs_and_table(mdm_run):
    out, _ = mdm_run
    names = sorted(p.name for p in out.iterdir())
    assert names == ["carte_qpv_QP040001.png", "carte_qpv_QP040002.png", "qpv.csv",
                     "qpv.html", "qpv.xlsx"]  # fmt: skip
    raw = (out / "qpv.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    table = pd.read_csv(out / "qpv.csv", encoding="utf-8-sig", dtype={"code_insee": str})
    assert len(table) == 2 * 3  # two quarters × three modes × one category
    assert set(table["mode"]) == {"à pied", "à vélo", "en voiture"}
    assert set(table["categorie"]) == {"caf"}
    one = table.drop_duplicates("code_qp")
    assert one["population_qpv"].sum() + one["population_reste"].iloc[0] == 29554
    wb = load_workbook(out / "qpv.xlsx")
    ws = wb["QPV"]
    assert ws.max_row == 7
    assert ws["A1"].value == "Code QPV" and ws["B1"].value == "Quartier prioritaire"


def test_qpv_is_byte_identical(mdm_run):
    out, first = mdm_run
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_qpv_report_is_french_and_names_the_estimate(mdm_run):
    out, _ = mdm_run
    page = (out / "qpv.html").read_text(encoding="utf-8")
    assert "Le Peyrouat (QP040001)" in page and "La Moustey (QP040002)" in page
    assert "Estimation à vol d&#x27;oiseau" in page or "Estimation à vol d'oiseau" in page
    assert "carreaux INSEE Filosofi" in page
    assert page.count("data:image/png;base64,") == 2


def test_mode_without_network_needs_vol_oiseau(capsys, tmp_path):
    code, _, err = run(capsys, "-q", "qpv", "-d", "40", "--qpv", DATA / "QP_METROPOLE_LB93.shp",
                       "--services-fichier", DATA / "caf_40.csv", "--modes", "marche",
                       "--sortie", tmp_path)  # fmt: skip
    assert code != 0 and "--vol-oiseau" in err and "Traceback" not in err


def test_bad_mode_is_one_french_line(capsys, tmp_path):
    code, _, err = run(capsys, "-q", "qpv", "-d", "40", "--qpv", DATA / "QP_METROPOLE_LB93.shp",
                       "--modes", "bus", "--sortie", tmp_path)  # fmt: skip
    assert code != 0 and "--modes : bus" in err and "Traceback" not in err


def test_analyse_qpv_on_embedded_walking_network(tmp_path, capsys):
    """Digne-les-Bains test outline, embedded 04 walking network, analyse --qpv."""
    code, out, _ = run(capsys, "-q", "analyse", "-d", "04", "--mode", "marche",
                       "--communes", "04070", "--qpv", DATA / "qpv_test_04_78.geojson",
                       "--sortie", tmp_path)  # fmt: skip
    assert code == 0, out
    layers = dict(pyogrio.list_layers(tmp_path / "resultats.gpkg"))
    assert layers["qpv"] == "MultiPolygon" and "communes" in layers
    qpv = pyogrio.read_dataframe(tmp_path / "resultats.gpkg", layer="qpv")
    assert qpv["code_qp"].tolist() == ["QN00499T"]
    assert qpv["mode"].tolist() == ["marche"]
    assert qpv["population_qpv"].iloc[0] + qpv["population_reste"].iloc[0] == pytest.approx(
        acc.communes("04").set_index("code_insee").loc["04070", "population"]
    )
    page = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert page.index('<section id="qpv">') < page.index("<h2>Méthode</h2>")
    assert "Contour de test - Digne-les-Bains centre" in page
    assert (tmp_path / "carte_qpv_QN00499T.png").stat().st_size > 50_000
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, _ = run(capsys, "-q", "analyse", "-d", "04", "--mode", "marche",
                       "--communes", "04070", "--qpv", DATA / "qpv_test_04_78.geojson",
                       "--sortie", tmp_path)  # fmt: skip
    assert code == 0
    again = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(again) == sorted(first)
    assert [n for n in first if first[n] != again[n]] == []  # byte-identical rerun


def test_qpv_network_rebuilt_per_mode_matches_the_api(tmp_path, capsys, sgl_graphml):
    """--reseau GraphML: walking and cycling networks rebuilt, same shares as the API."""
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "id;nom;latitude;longitude\ncaf-1;Accueil (test);48.8975;2.0940\n"
        "caf-2;Accueil 2 (test);48.9110;2.0710\n",
        encoding="utf-8",
    )
    out = tmp_path / "sortie"
    code, _, err = run(capsys, "-q", "qpv", "-d", "78", "--qpv", DATA / "qpv_test_04_78.geojson",
                       "--services-fichier", sites, "--services", "caf", "--modes", "marche,velo",
                       "--reseau", sgl_graphml, "--sortie", out)  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(out / "qpv.csv", encoding="utf-8-sig").set_index("mode")
    qpv = acc.load_qpv(DATA / "qpv_test_04_78.geojson", "78")
    services = acc.load_points(sites, categorie="caf", departement="78")
    with pytest.warns(UserWarning):
        nets = {m: acc.RoadNetwork.from_graphml(sgl_graphml, mode=m) for m in ("marche", "velo")}
    res = acc.qpv_access(qpv, acc.communes("78"), services, nets).table.set_index("mode")
    for mode, label in (("marche", "à pied"), ("velo", "à vélo")):
        for s in (10, 20, 30):
            assert table.loc[label, f"pct_reste_au_dela_{s}_min"] == pytest.approx(
                100 * res.loc[mode, f"part_reste_au_dela_{s}_min"], abs=1e-4
            )
    assert (
        table.loc["à vélo", "temps_moyen_reste_min"] < table.loc["à pied", "temps_moyen_reste_min"]
    )
