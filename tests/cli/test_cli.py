"""Tests of the command line, run in-process through ``accessibilite.cli.main``."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
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
    # the town hall is kept as x/y columns, metres to the centimetre (not "6.3585e+06")
    assert table["mairie_x"].to_numpy() == pytest.approx(landes_communes["mairie"].x, abs=0.006)
    assert table["mairie_y"].to_numpy() == pytest.approx(landes_communes["mairie"].y, abs=0.006)
    code, _, _ = run(
        capsys, "communes", "-d", "40", "--communes", "40192,40088", "-o", tmp_path / "c.geojson"
    )
    assert code == 0
    back = gpd.read_file(tmp_path / "c.geojson")
    assert sorted(back["code_insee"]) == ["40088", "40192"]  # Dax, Mont-de-Marsan
    assert back.crs.to_epsg() == 4326  # GeoJSON (RFC 7946) is in WGS84
    two = landes_communes.set_index("code_insee").loc[back["code_insee"]].geometry.to_numpy()
    assert (
        back.to_crs(2154).geometry.centroid.distance(gpd.GeoSeries(two, crs=2154).centroid).max()
        < 1.0
    )


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


def test_services_january_2020_list_and_date(capsys, fs_2020, fs_2024):
    code, out, _ = run(capsys, "services", fs_2020, "-d", "40")
    assert code == 0
    assert "Lignes lues : 456" in out
    assert "Sites retenus (département 40) : 4" in out
    assert "  - coordonnées manquantes : 2" in out
    code, out, _ = run(capsys, "services", fs_2024, "-d", "40", "--date", "2020-01-01")
    assert code == 0
    assert "Sites retenus (département 40) : 4" in out
    assert "Sites labellisés après le 2020-01-01 (non comptés) : 16" in out


def test_services_generic_point_file(capsys, tmp_path):
    path = tmp_path / "msp.csv"
    path.write_text(
        "id,nom,lat,lon\n"
        "a,MSP de Mont-de-Marsan,43.8936,-0.4999\n"
        "b,MSP sans coordonnées,,\n"
        "c,MSP de Dax,43.7102,-1.0531\n"
        "d,MSP de Paris,48.85,2.35\n",
        encoding="utf-8",
    )
    sortie = tmp_path / "msp.gpkg"
    code, out, err = run(
        capsys, "services", path, "-d", "40", "--categorie", "msp", "--sortie", sortie
    )
    assert code == 0
    assert "Lignes lues : 4" in out and "Sites retenus (département 40) : 2" in out
    assert "  - coordonnées manquantes : 1\n  - hors du territoire : 1\n" in out
    back = gpd.read_file(sortie)
    assert sorted(back["service_id"]) == ["a", "c"] and (back["categorie"] == "msp").all()
    code, _, _ = run(
        capsys,
        "services",
        path,
        "-d",
        "40",
        "--categorie",
        "msp",
        "-o",
        path.with_suffix(".out.csv"),
    )
    table = pd.read_csv(path.with_suffix(".out.csv"), dtype={"service_id": str})
    assert code == 0 and table["service_id"].tolist() == back["service_id"].tolist()
    assert table["x"].to_numpy() == pytest.approx(back.geometry.x, abs=0.006)  # Lambert-93
    assert table["y"].to_numpy() == pytest.approx(back.geometry.y, abs=0.006)
    assert "rejetée" not in err  # the summary replaces the loader's warning


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
    "resultats.xlsx",
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
    for name in OUTPUTS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_analyse_report_names_the_estimate(landes_runs):
    html = (landes_runs[0] / "rapport.html").read_text(encoding="utf-8")
    assert "vol d'oiseau" in html or "vol d&#x27;oiseau" in html or "vol d&#39;oiseau" in html
    # method lines in French words, not the raw option values "vol-oiseau" / "mairie"
    assert (
        "<th>Mode de déplacement</th><td>voiture, estimation à vol d&#x27;oiseau "
        "(sans réseau routier)</td>"
    ) in html
    assert "<th>Origines</th><td>mairie de chaque commune (convention du distancier" in html


def test_analyse_download_failure_is_one_plain_sentence(capsys, tmp_path, fs_2024, monkeypatch):
    def overpass_fails(*args, **kwargs):
        raise acc.DownloadError("connexion à Overpass impossible (erreur 504 (Gateway))")

    monkeypatch.setattr(acc.sources, "check_connection", lambda url, timeout=None: None)
    monkeypatch.setattr(acc.RoadNetwork, "download", overpass_fails)
    out = tmp_path / "sortie"
    code, _, err = run(
        capsys, "analyse", "-d", "40", "--services-fichier", fs_2024, "--sortie", out
    )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last == (
        "erreur : réseau routier indisponible, échec pour le téléchargement OpenStreetMap : "
        "donnez un réseau local avec --reseau FICHIER, ou demandez l'estimation à vol "
        "d'oiseau avec --mode vol-oiseau."
    )
    assert "Traceback" not in err and "(" not in last
    assert not (out / "communes.csv").exists()  # no silent vol-oiseau fallback


def test_analyse_offline_fails_at_once(capsys, tmp_path):
    # sockets are blocked by conftest, as on a machine without internet: no --reseau for 40
    import time

    out = tmp_path / "sortie"
    start = time.perf_counter()
    code, _, err = run(capsys, "analyse", "-d", "40", "--sortie", out)
    elapsed = time.perf_counter() - start
    assert code == 2
    assert err.strip().splitlines() == [
        "erreur : réseau routier indisponible, pas de connexion internet pour le "
        "téléchargement OpenStreetMap : donnez un réseau local avec --reseau FICHIER, ou "
        "demandez l'estimation à vol d'oiseau avec --mode vol-oiseau."
    ]  # before any long step: not even the communes are loaded
    assert elapsed < 5
    assert not (out / "communes.csv").exists()


def test_analyse_04_download_asked_offline_fails_at_once(capsys, tmp_path):
    # the 04 has an embedded network; --telecharger-reseau asks for the current one instead
    code, _, err = run(capsys, "analyse", "-d", "04", "--telecharger-reseau", "-o", tmp_path)
    assert code == 2
    assert err.strip().splitlines()[0].startswith(
        "erreur : réseau routier indisponible, pas de connexion internet"
    )
    assert "--reseau FICHIER" in err and "--mode vol-oiseau" in err
    assert not (tmp_path / "communes.csv").exists()


def test_analyse_without_service_list_offline_uses_the_embedded_list(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(acc.settings, "cache_folder", tmp_path / "cache")  # nothing cached
    monkeypatch.setattr(acc.settings, "data_folder", None)
    code, out, err = run(capsys, "analyse", "-d", "40", "--mode", "vol-oiseau", "-o", tmp_path)
    assert code == 0
    assert (
        "attention : liste officielle France Services non téléchargée, pas de connexion "
        "internet : liste embarquée du 1er août 2024 utilisée"
    ) in err.splitlines()
    assert (
        "Liste France Services : liste ANCT du 01/08/2024, copie embarquée dans accessibilite"
        in out
    )
    assert "sites de service pris en compte : 50" in out  # the 20 Landes sites + 30 in the margin
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert "liste ANCT du 01/08/2024, copie embarquée dans accessibilite" in html


def test_communes_from_user_file(capsys, tmp_path, landes_communes):
    # a geo.api.gouv.fr-style GeoJSON of two communes
    two = landes_communes[landes_communes["code_insee"].isin(["40088", "40192"])]
    two = two[["code_insee", "nom", "population", "code_departement", "geometry"]].rename(
        columns={"code_insee": "code", "code_departement": "codeDepartement"}
    )
    two.to_crs(4326).to_file(tmp_path / "geoapi.geojson")
    code, out, _ = run(
        capsys, "communes", "-d", "40", "--fichier-communes", tmp_path / "geoapi.geojson",
        "-o", tmp_path / "c.csv",
    )  # fmt: skip
    assert code == 0
    assert "2 communes" in out and "50 235 habitants" in out
    table = pd.read_csv(tmp_path / "c.csv", dtype={"code_insee": str})
    assert table["code_insee"].tolist() == ["40088", "40192"]


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


def test_analyse_osm_extract_is_cut_to_the_communes(capsys, tmp_path, fs_2024, monkeypatch):
    calls = []

    def spy(path, mode="voiture", *, territory=None, buffer_km=10, profile=None):
        calls.append((Path(path).name, mode, territory, buffer_km))
        raise acc.NetworkError("arrêt du test après la lecture de l'extrait")

    monkeypatch.setattr(acc.RoadNetwork, "from_osm", spy)
    (tmp_path / "aquitaine.osm.pbf").write_bytes(b"")
    code, _, err = run(
        capsys, "analyse", "-d", "40", "--communes", "40192,40088", "--mode", "marche",
        "--reseau", tmp_path / "aquitaine.osm.pbf", "--buffer-km", "5",
        "--services-fichier", fs_2024, "--sortie", tmp_path / "out",
    )  # fmt: skip
    assert code == 2 and "arrêt du test" in err
    ((name, mode, territory, buffer_km),) = calls
    assert (name, mode, buffer_km) == ("aquitaine.osm.pbf", "marche", 5.0)
    # the regional extract is cut to the analysed communes (+ margin), not read whole
    assert territory["code_insee"].tolist() == ["40088", "40192"]
    assert territory.crs.to_epsg() == 2154


# ------------------------------------------------------------------ analyse on a real road graph
SGL_SITES = """id,nom,latitude,longitude
sgl-1,Mairie de Saint-Germain-en-Laye,48.8989,2.0938
sgl-2,Mairie annexe de Fourqueux,48.8866,2.0647
"""


def test_analyse_road_graph_saint_germain(capsys, tmp_path, sgl_graphml):
    sites = tmp_path / "sites.csv"
    sites.write_text(SGL_SITES, encoding="utf-8")
    out = tmp_path / "sgl"
    # Saint-Germain-en-Laye and Le Pecq are on the graph; Versailles is ~10 km away from it
    code, stdout, err = run(
        capsys, "analyse", "--departement", "78", "--communes", "78551,78481,78646",
        "--reseau", sgl_graphml, "--services", "mairie", "--services-fichier", sites,
        "--seuil", "5", "--sortie", out,
    )  # fmt: skip
    assert code == 0, err
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    assert "exclue(s) de l'analyse : Versailles (78646)" in err
    excluded = pd.read_csv(out / "communes_hors_reseau.csv", dtype={"code_insee": str})
    assert excluded["code_insee"].tolist() == ["78646"]
    assert excluded["distance_reseau_m"].iloc[0] > 1000

    table = pd.read_csv(out / "communes.csv", dtype={"code_insee": str}).set_index("code_insee")
    assert table.index.tolist() == ["78481", "78551"]
    assert (table["service_id"] == "sgl-1").all()
    assert (table["au_dela_seuil"] == (table["temps_min"] > 5)).all()
    # a route is never shorter than the straight line, nor faster than 130 km/h
    communes = acc.communes("78").set_index("code_insee").loc[table.index]
    site = gpd.GeoSeries.from_xy([2.0938], [48.8989], crs=4326).to_crs(2154).iloc[0]
    straight_km = communes["mairie"].distance(site).to_numpy() / 1000
    assert (table["distance_km"].to_numpy() >= straight_km - 0.01).all()
    assert (table["distance_km"].to_numpy() <= 3 * straight_km + 0.2).all()
    assert (table["temps_min"].to_numpy() >= table["distance_km"].to_numpy() / 130 * 60).all()
    assert table.loc["78481", "temps_min"] > table.loc["78551", "temps_min"]

    cantons = pd.read_csv(out / "cantons.csv", dtype={"code": str})
    assert cantons["code"].tolist() == ["7816"]  # only the canton of the analysed communes
    assert cantons["nb_sites"].tolist() == [2]
    assert cantons["population"].tolist() == [table["population"].sum()]
    assert "Communes : 2 ;" in stdout
    # both sites lie in Saint-Germain-en-Laye: found from the commune polygons (no code column)
    assert "2 site(s) retenu(s) : 2 dans le département, 0 dans la marge" in err
    beyond = table["au_dela_seuil"].astype(bool)
    pop = int(table.loc[beyond, "population"].sum())
    share = f"{100 * pop / table['population'].sum():.1f}".replace(".", ",")
    assert f"Communes au-delà de 5 min : {int(beyond.sum())} (" in stdout
    assert f"{share} % de la population)" in stdout


def test_analyse_network_covering_no_commune(capsys, tmp_path, sgl_graphml):
    sites = tmp_path / "sites.csv"
    sites.write_text(SGL_SITES, encoding="utf-8")
    code, _, err = run(
        capsys, "analyse", "-d", "78", "--communes", "78646", "--reseau", sgl_graphml,
        "--services", "mairie", "--services-fichier", sites, "--seuil", "5", "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("erreur : aucune commune n'est dans l'emprise")


# ------------------------------------------------------------------ scenarios (Landes, offline)
def _landes_minutes(fs_2024, buffer_km=20.0):
    """Independent straight-line minutes: town halls x Landes sites (+ margin)."""
    from scipy.spatial.distance import cdist

    communes = acc.communes("40")
    with pytest.warns(UserWarning, match="hors du territoire"):
        sites = acc.load_france_services(fs_2024, departement="40", buffer_km=buffer_km)
    est = acc.StraightLineEstimate()
    xy = cdist(
        list(zip(communes["mairie"].x, communes["mairie"].y, strict=True)),
        list(zip(sites.geometry.x, sites.geometry.y, strict=True)),
    )
    return communes, sites, xy * est.detour / (est.vitesse_kmh / 3.6) / 60


def test_scenario_fermeture(capsys, tmp_path, fs_2024, monkeypatch):
    import accessibilite.outputs.maps

    figures, save_map = [], accessibilite.outputs.maps.save_map  # keep the figure the CLI saves
    monkeypatch.setattr(
        accessibilite.outputs.maps,
        "save_map",
        lambda fig, *a, **k: figures.append(fig) or save_map(fig, *a, **k),
    )
    code, out, err = run(
        capsys, "-q", "scenario", "fermeture", "-d", "40", "--mode", "vol-oiseau",
        "--services-fichier", fs_2024, "--seuil", "20", "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "fermeture.png").read_bytes()[:4] == b"\x89PNG"
    assert "Scénarios" in (tmp_path / "rapport_fermeture.html").read_text(encoding="utf-8")
    table = pd.read_csv(tmp_path / "fermeture.csv", dtype={"service_id": str})
    communes, sites, minutes = _landes_minutes(fs_2024)
    assert sorted(table["service_id"]) == sorted(sites["service_id"])
    pop = communes["population"].to_numpy()
    within = minutes.min(axis=1) <= 20
    expected = {}
    for j, sid in enumerate(sites["service_id"]):
        others = minutes.min(axis=1, initial=np.inf, where=np.arange(minutes.shape[1]) != j)
        expected[sid] = int(pop[within & (others > 20)].sum())
    got = dict(zip(table["service_id"], table["population_basculant"], strict=True))
    assert got == expected
    assert table["population_basculant"].is_monotonic_decreasing
    assert max(expected.values()) > 0
    # the map: one title (the page's), one circle per closure that flips residents
    (fig,) = figures
    assert fig._suptitle.get_text().replace("\n", " ") == (
        "Fermeture d'un site : population basculant au-delà de 20 min"
    )
    assert fig.axes[0].get_title() == ""
    (circles,) = [a for a in fig.findobj() if a.get_gid() == "fermetures"]
    assert len(circles.get_offsets()) == sum(v > 0 for v in expected.values())


def test_scenario_ouverture(capsys, tmp_path, fs_2024):
    code, out, err = run(
        capsys, "-q", "scenario", "ouverture", "-d", "40", "--mode", "vol-oiseau", "--k", "2",
        "--services-fichier", fs_2024, "--seuil", "15", "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "ouverture.png").is_file()
    table = pd.read_csv(tmp_path / "ouverture.csv", dtype={"code_insee": str})
    communes, sites, minutes = _landes_minutes(fs_2024)
    pop = communes["population"].to_numpy()
    uncovered = np.where(minutes.min(axis=1) <= 15, 0, pop)
    # candidate c = town hall of commune c: minutes from every town hall to it
    from scipy.spatial.distance import cdist

    xy = np.column_stack([communes["mairie"].x, communes["mairie"].y])
    est = acc.StraightLineEstimate()
    cand = cdist(xy, xy) * est.detour / (est.vitesse_kmh / 3.6) / 60 <= 15
    gains = uncovered @ cand
    greedy = table[table["methode"] == "glouton"].sort_values("rang")
    assert len(greedy) == 2
    assert greedy["gain_population"].iloc[0] == gains.max()
    assert greedy["code_insee"].iloc[0] == communes["code_insee"].iloc[int(np.argmax(gains))]
    exact = table[table["methode"] == "exact"]
    assert exact["population_couverte_cumulee"].max() >= greedy["population_couverte_cumulee"].max()
    assert "Sites proposés — " in out


def test_analyse_population_grid_origins(capsys, tmp_path, fs_2024):
    grid = Path(__file__).parents[1] / "data" / "carreaux" / "carreaux_200m_met.csv"
    code, _, err = run(
        capsys, "-q", "analyse", "-d", "40", "--communes", "40192,40281", "--mode", "vol-oiseau",
        "--origine", "carreaux", "--carreaux", grid, "--services-fichier", fs_2024, "-o", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "communes.csv", dtype={"code_insee": str})
    assert table["code_insee"].tolist() == ["40192", "40281"]
    # independent: population-weighted mean of the cells' straight-line minutes
    communes = acc.communes("40")
    communes = communes[communes["code_insee"].isin(["40192", "40281"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = acc.load_carreaux(grid, communes=communes)
        sites = acc.load_france_services(fs_2024, departement="40", buffer_km=20)
    est = acc.StraightLineEstimate()
    d = cells.geometry.centroid.apply(lambda p: sites.distance(p).min())
    cells = cells.assign(t=d * est.detour / (est.vitesse_kmh / 3.6) / 60)
    cells["tp"] = cells["t"] * cells["population"]
    agg = cells.groupby("code_insee")[["tp", "population"]].sum()
    expected = (agg["tp"] / agg["population"]).reindex(table["code_insee"]).to_numpy()
    assert table["temps_min"].to_numpy() == pytest.approx(expected, abs=0.005)


def test_analyse_departement_without_cantons(capsys, tmp_path, fs_2024):
    code, out, err = run(
        capsys, "-q", "analyse", "-d", "75", "--mode", "vol-oiseau", "--seuil", "10",
        "--services-fichier", fs_2024, "-o", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "pas de cantons électoraux" in err
    assert "Cantons : aucun canton électoral dans ce territoire" in out
    assert "0 sur 0" not in out
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert "pas de canton électoral" in html and "0 sur 0" not in html
    assert len(pd.read_csv(tmp_path / "communes.csv")) == 1  # Paris
    assert len(pd.read_csv(tmp_path / "cantons.csv")) == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--seuil", "nan"], "erreur : --seuil : nan minute(s), attendu un nombre > 0"),
        (["--seuil", "inf"], "erreur : --seuil : inf minute(s), attendu un nombre > 0"),
        (["--seuil", "-5"], "erreur : --seuil : -5 minute(s), attendu un nombre > 0"),
        (["--k", "0"], "erreur : --k : 0 site(s), attendu un entier >= 1"),
    ],
)
def test_scenario_bad_numbers_checked_first(capsys, tmp_path, options, message):
    # checked before any file is read: the option is named, nothing else is printed
    code, out, err = run(
        capsys, "scenario", "ouverture", "-d", "48", "--mode", "vol-oiseau",
        "--services-fichier", tmp_path / "absent.csv", "-o", tmp_path, *options,
    )  # fmt: skip
    assert code == 2 and out == ""
    assert err.strip() == message


def test_analyse_generic_file_without_services_category(capsys, tmp_path):
    path = tmp_path / "caf.csv"
    path.write_text("id,nom,adresse\n1,CAF de Mende,1 rue X\n", encoding="utf-8")
    code, _, err = run(
        capsys, "-q", "analyse", "-d", "48", "--mode", "vol-oiseau", "--services-fichier", path,
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"erreur : {path}: pas une liste France Services")
    assert "'id_fs'" in err and "--services CATEGORIE" in err


def test_analyse_no_site_names_the_file(capsys, tmp_path):
    path = tmp_path / "sites_vides.csv"
    path.write_text("id,nom,latitude,longitude\n", encoding="utf-8")
    code, _, err = run(
        capsys, "-q", "analyse", "-d", "48", "--mode", "vol-oiseau", "--services", "caf",
        "--services-fichier", path, "-o", tmp_path / "out",
    )  # fmt: skip
    assert code == 2
    assert err.strip() == (
        f"erreur : aucun site de service retenu dans le département 48 (fichier {path})"
    )


def test_scenario_grid_origin_and_nothing_to_open(capsys, tmp_path, fs_2024):
    # Mont-de-Marsan and Saint-Paul-lès-Dax both have a site within 45 min: nothing to open;
    # the scenario runs from the town halls, and says so, although the diagnosis uses cells
    grid = Path(__file__).parents[1] / "data" / "carreaux" / "carreaux_200m_met.csv"
    code, out, err = run(
        capsys, "-q", "scenario", "ouverture", "-d", "40", "--communes", "40192,40281",
        "--mode", "vol-oiseau", "--origine", "carreaux", "--carreaux", grid, "--seuil", "45",
        "--services-fichier", fs_2024, "-o", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "scénario depuis les mairies" in err
    assert "Aucun site proposé : aucun emplacement candidat n'amène de nouveaux habitants" in out
    assert "Sites proposés" not in out
    assert len(pd.read_csv(tmp_path / "ouverture.csv")) == 0


def test_output_and_input_paths_clean_errors(capsys, tmp_path, fs_2024):
    afile = tmp_path / "sortie.txt"
    afile.write_text("", encoding="utf-8")
    analyse = ("-q", "analyse", "-d", "48", "--mode", "vol-oiseau")
    # --sortie is an existing file: refused before any computation (was a traceback at the end)
    code, out, err = run(capsys, *analyse, "--services-fichier", fs_2024, "-o", afile)
    assert (code, out) == (2, "")
    assert err == f"erreur : --sortie {afile} : c'est un fichier, un dossier est attendu\n"
    # a folder given as the services file (was "fichier introuvable")
    code, _, err = run(capsys, *analyse, "--services-fichier", tmp_path, "-o", tmp_path / "o")
    assert code == 2 and err == f"erreur : {tmp_path}: c'est un dossier, un fichier est attendu\n"
    # --carreaux without --origine carreaux was silently ignored
    code, _, err = run(
        capsys, *analyse, "--services-fichier", fs_2024, "--carreaux", afile, "-o", tmp_path / "o"
    )
    assert code == 2 and "--carreaux FICHIER n'est utilisé qu'avec --origine carreaux" in err
    # an OS error while writing: one French line, exit 2, no traceback
    code, _, err = run(capsys, "-q", "communes", "-d", "48", "-o", afile / "c.gpkg")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"erreur : {afile / 'c.gpkg'}: impossible de créer le dossier {afile}")


def test_date_on_a_file_without_opening_dates_is_said(capsys, tmp_path):
    # a generic point file has no opening date: --date cannot filter it (was silent)
    path = tmp_path / "caf.csv"
    path.write_text(
        "id,nom,lat,lon\n"
        "a,CAF Mont-de-Marsan,43.8936,-0.4999\n"
        "b,CAF Dax,43.7102,-1.0531\n"
        "c,CAF de Paris,48.85,2.35\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, "services", path, "-d", "40", "--categorie", "caf", "--date", "2020-01-01"
    )
    assert code == 0
    assert err == (
        "attention : --date 2020-01-01 : 2 site(s) sans date d'ouverture dans caf.csv, "
        "conservé(s)\n"
    )
    assert "Sites retenus (département 40) : 2" in out


def test_date_filters_a_generic_file_with_an_opening_date_column(capsys, tmp_path):
    path = tmp_path / "msp.csv"
    path.write_text(
        "id,nom,lat,lon,date_ouverture\n"
        "a,MSP Mont-de-Marsan,43.8936,-0.4999,2018-05-01\n"
        "b,MSP Dax,43.7102,-1.0531,01/06/2023\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, "services", path, "-d", "40", "--categorie", "msp", "--date", "2020-01-01"
    )
    assert code == 0 and err == ""
    assert "Sites retenus (département 40) : 1" in out
    assert "Sites labellisés après le 2020-01-01 (non comptés) : 1" in out


def test_scenario_candidates_file_without_any_site_named(capsys, tmp_path, fs_2024):
    path = tmp_path / "candidats.csv"
    path.write_text("id,nom,lat,lon\nc1,Paris,48.85,2.35\n", encoding="utf-8")  # not in 48
    code, _, err = run(
        capsys, "-q", "scenario", "ouverture", "-d", "48", "--mode", "vol-oiseau",
        "--services-fichier", fs_2024, "--candidats", path, "-o", tmp_path / "o",
    )  # fmt: skip
    assert code == 2
    assert err.splitlines()[-1] == (
        f"erreur : --candidats {path} : aucun emplacement candidat retenu dans le département 48"
    )


def test_rejected_rows_warning_points_to_the_services_command(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "analyse", "-d", "48", "--mode", "vol-oiseau", "--services-fichier", fs_2024,
        "-o", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    line = next(x for x in err.splitlines() if "rejetée(s)" in x)
    assert line.startswith("attention : load_france_services (liste-fs-20240801.csv) : ")
    assert line.endswith("(détail : commande « accessibilite services »)")
    assert ".attrs" not in err  # a Python detail, meaningless on the command line


def test_analyse_cantal_sets_aside_communes_without_outline(capsys, tmp_path, fs_2024):
    # the embedded tables have neither town hall nor outline for 4 communes restored in the
    # Cantal: the whole département stopped on "origines : 4 géométrie(s) absente(s)"
    code, out, err = run(
        capsys, "-q", "analyse", "-d", "15", "--mode", "vol-oiseau",
        "--services-fichier", fs_2024, "-o", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    lost = "Celles (15031), Chalinargues (15035), Chavagnac (15047), Sainte-Anastasie (15171)"
    assert (
        "attention : 4 commune(s) sans mairie ni contour dans les données communales, "
        f"exclue(s) de l'analyse : {lost}"
    ) in err
    assert "Communes : 246 ;" in out and "Communes sans mairie ni contour (exclues) : 4" in out
    aside = pd.read_csv(tmp_path / "communes_sans_origine.csv", dtype={"code_insee": str})
    assert aside["code_insee"].tolist() == ["15031", "15035", "15047", "15171"]
    table = pd.read_csv(tmp_path / "communes.csv", dtype={"code_insee": str})
    assert len(table) == 246 and not set(aside["code_insee"]) & set(table["code_insee"])
    with pytest.warns(UserWarning, match="contour absent pour 4 commune"):
        every = acc.communes("15")
    assert len(table) + len(aside) == len(every)  # no commune lost silently
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert "Communes sans mairie ni contour (exclues)" in html and "Chavagnac (15047)" in html
