"""Tests of the command line, run in-process through ``accessibilite.cli.main``."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import accessibilite as acc
from accessibilite.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ general
def test_help_lists_subcommands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("communes", "services", "analyse", "scenario"):
        assert name in out
    assert "afficher cette aide" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"accessibilite {acc.__version__}"


def test_usage_error_is_french_exit_2(capsys):
    code, _, err = run(capsys, "analyse", "--departement", "40", "--sortie", "x", "--mode", "avion")
    assert code == 2
    assert "erreur : argument --mode: choix invalide: 'avion'" in err


def test_unknown_departement_is_clean_error(capsys, tmp_path):
    code, out, err = run(
        capsys, "communes", "--departement", "999", "--sortie", tmp_path / "f.gpkg"
    )
    assert code == 2
    assert err.startswith("erreur : ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f.gpkg").exists()


# ------------------------------------------------------------------ communes
def test_communes_geopackage(capsys, tmp_path):
    sortie = tmp_path / "sub" / "landes.gpkg"
    code, out, _ = run(capsys, "communes", "--departement", "40", "--sortie", sortie)
    assert code == 0
    assert "327 communes" in out
    assert "407 444 habitants" in out
    assert [name for name, _ in pyogrio.list_layers(sortie)] == ["communes"]
    back = gpd.read_file(sortie, layer="communes")
    assert len(back) == 327
    assert back["population"].sum() == 407_444
    assert back["code_insee"].is_unique and back["code_insee"].str.startswith("40").all()
    assert back.crs.to_epsg() == 2154
    assert back.geometry.notna().all()
    # the town hall travels as coordinates, inside its commune
    mairie = gpd.points_from_xy(back["mairie_x"], back["mairie_y"], crs=back.crs)
    assert (back.geometry.buffer(1).contains(gpd.GeoSeries(mairie, crs=back.crs))).all()


def test_communes_csv_and_geojson(capsys, tmp_path, landes_communes):
    code, _, _ = run(capsys, "communes", "-d", "40", "--sortie", tmp_path / "c.csv")
    assert code == 0
    table = pd.read_csv(tmp_path / "c.csv", dtype={"code_insee": str})
    assert len(table) == 327
    assert "geometry" not in table.columns
    assert table["code_insee"].tolist() == landes_communes["code_insee"].tolist()
    code, _, _ = run(
        capsys, "communes", "-d", "40", "--communes", "40192,40088", "-o", tmp_path / "c.geojson"
    )
    assert code == 0
    back = gpd.read_file(tmp_path / "c.geojson")
    assert sorted(back["code_insee"]) == ["40088", "40192"]  # Dax, Mont-de-Marsan


def test_communes_unknown_code_named(capsys, tmp_path):
    code, _, err = run(
        capsys, "communes", "-d", "40", "--communes", "40192,64445", "-o", tmp_path / "c.csv"
    )
    assert code == 2
    assert "64445" in err


# ------------------------------------------------------------------ services
def test_services_france_services_summary(capsys, fs_2024):
    code, out, _ = run(capsys, "services", fs_2024, "--departement", "40")
    assert code == 0
    assert "Sites retenus (département 40) : 20" in out
    loaded = acc.load_france_services(fs_2024)
    n_rej = len(loaded.attrs["rejected"])
    assert f"Lignes lues : {len(loaded) + n_rej}" in out


def test_services_missing_file_names_it(capsys, tmp_path):
    absent = tmp_path / "sites_absents.csv"
    code, out, err = run(capsys, "services", absent, "--departement", "40")
    assert code == 2
    assert out == ""
    assert err.startswith("erreur : ") and "sites_absents.csv" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ analyse (Landes, offline)
OUTPUTS = (
    "communes.csv",
    "cantons.csv",
    "epci.csv",
    "resultats.gpkg",
    "carte.png",
    "carte.html",
    "rapport.html",
)
TERRITORY_COLUMNS = [
    "code",
    "nom",
    "population",
    "population_au_dela_seuil",
    "part_au_dela_seuil",
    "nb_sites",
    "sans_service",
]


@pytest.fixture(scope="module")
def landes_runs(tmp_path_factory, fs_2024):
    """The offline Landes analysis, run twice into two folders."""
    outs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"landes{i}")
        argv = ["-q", "analyse", "--departement", "40", "--mode", "vol-oiseau"]
        argv += ["--services-fichier", str(fs_2024), "--seuil", "30", "--sortie", str(out)]
        assert main(argv) == 0
        outs.append(out)
    return outs


def test_analyse_writes_every_output(landes_runs):
    for name in OUTPUTS:
        path = landes_runs[0] / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert (landes_runs[0] / "carte.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    layers = {name for name, _ in pyogrio.list_layers(landes_runs[0] / "resultats.gpkg")}
    assert {"communes", "cantons", "epci", "services"} <= layers


def test_analyse_commune_times_match_straight_line(landes_runs, fs_2024):
    table = pd.read_csv(landes_runs[0] / "communes.csv", dtype={"code_insee": str})
    assert len(table) == 327
    required = ["code_insee", "nom", "population", "temps_min", "au_dela_seuil", "service_id"]
    assert set(required) <= set(table.columns)
    assert table["population"].sum() == 407_444
    # independent computation: nearest site (whole national list) from each town hall
    communes = acc.communes("40")
    sites = acc.load_france_services(fs_2024)
    est = acc.StraightLineEstimate()
    d = communes["mairie"].apply(lambda p: sites.distance(p).min()).to_numpy()
    expected = d * est.detour / (est.vitesse_kmh / 3.6) / 60
    got = table.set_index("code_insee").loc[communes["code_insee"], "temps_min"].to_numpy()
    assert got == pytest.approx(expected, abs=0.005)  # the CSV keeps 2 decimals
    assert (table["au_dela_seuil"] == (table["temps_min"] > 30)).all()


def test_analyse_canton_table(landes_runs, fs_2024):
    cantons = pd.read_csv(landes_runs[0] / "cantons.csv", dtype={"code": str})
    assert len(cantons) == 15
    assert set(TERRITORY_COLUMNS) <= set(cantons.columns)
    # independent: sites located in a commune count for every canton sharing it
    sites = acc.load_france_services(fs_2024)
    table = acc.commune_cantons("40")
    in_landes = sites[sites["code_insee"].isin(table["code_insee"])]
    n = table.merge(in_landes[["code_insee"]], on="code_insee").groupby("code_canton").size()
    expected = n.reindex(cantons["code"], fill_value=0).to_numpy()
    assert cantons["nb_sites"].to_numpy().tolist() == expected.tolist()
    assert (cantons["sans_service"] == (cantons["nb_sites"] == 0)).all()
    epci = pd.read_csv(landes_runs[0] / "epci.csv", dtype={"code": str})
    assert set(TERRITORY_COLUMNS) <= set(epci.columns)
    assert len(epci) == acc.communes("40")["code_epci"].nunique()


def test_analyse_is_byte_identical(landes_runs):
    first, second = landes_runs
    for name in (
        "communes.csv",
        "cantons.csv",
        "epci.csv",
        "rapport.html",
        "carte.html",
        "carte.png",
    ):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_analyse_report_names_the_estimate(landes_runs):
    html = (landes_runs[0] / "rapport.html").read_text(encoding="utf-8")
    assert "vol d'oiseau" in html or "vol d&#x27;oiseau" in html or "vol d&#39;oiseau" in html


def test_analyse_offline_without_network_is_an_error(capsys, tmp_path, fs_2024, monkeypatch):
    def no_internet(*args, **kwargs):
        raise acc.DownloadError("connexion à Overpass impossible")

    monkeypatch.setattr(acc.RoadNetwork, "download", no_internet)
    out = tmp_path / "sortie"
    code, _, err = run(
        capsys, "analyse", "-d", "40", "--services-fichier", fs_2024, "--sortie", out
    )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("erreur : réseau routier indisponible") and "Traceback" not in err
    assert "--reseau" in err and "--mode vol-oiseau" in err
    assert "connexion à Overpass impossible" in err
    assert not (out / "communes.csv").exists()  # no silent vol-oiseau fallback


def test_analyse_missing_network_file_named(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "analyse", "-d", "40", "--reseau", tmp_path / "absent.graphml",
        "--services-fichier", fs_2024, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "absent.graphml" in err and "introuvable" in err


def test_analyse_bad_date(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "analyse", "-d", "40", "--mode", "vol-oiseau", "--date", "2024-13-01",
        "--services-fichier", fs_2024, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "2024-13-01" in err
