"""``accessibilite reseau`` and ``analyse --reseau`` on real network files (04, 05, BD TOPO),
and bad network files: one French line naming the file, no traceback, nothing written."""

from __future__ import annotations

import contextlib
import io
import warnings
import zipfile

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import accessibilite as acc
from accessibilite.cli import main
from accessibilite.cli.reseau import road_km
from conftest import SHARED_DATA, shared_file

ROADS = SHARED_DATA / "roads"
GEOFABRIK = {
    "04": ROADS / "osm-geofabrik-2021" / "osm-roads-04-shp.zip",  # zipped shapefile
    "05": ROADS / "osm-geofabrik-2021" / "osm-roads-05.gpkg",  # GeoPackage
}
N_COMMUNES = {"04": 198, "05": 162}
BDTOPO_05025 = ROADS / "bdtopo-2021" / "troncon_de_route_05025.geojson"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _number(text: str, after: str) -> int:
    """The integer printed just before ``after`` ("78 387 nœuds" → 78387)."""
    head = text.split(after)[0].rstrip().split(":")[-1].split(",")[-1]
    return int(head.replace(" ", "").replace("\u202f", ""))


# --------------------------------------------------------------- helpers
def test_road_km_counts_two_way_streets_once():
    # 0 ⇄ 1 (1 km both ways), 1 → 2 (2 km one way), 2 ⇄ 0 (3 km both ways)
    net = acc.RoadNetwork.from_edges(
        u=[0, 1, 1, 2, 0], v=[1, 0, 2, 0, 2], travel_time_s=[60, 60, 120, 180, 180],
        x=[0.0, 1000.0, 1000.0], y=[0.0, 0.0, 2000.0], length_m=[1000, 1000, 2000, 3000, 3000],
    )  # fmt: skip
    assert road_km(net) == pytest.approx(6.0)


# --------------------------------------------------------------- 04 and 05 built once, analysed
@pytest.fixture(scope="module", params=["04", "05"])
def built(request, tmp_path_factory):
    """``accessibilite reseau osm-roads-DEP... -d DEP --sortie reseau-DEP.npz``, once each."""
    dep = request.param
    src = shared_file(GEOFABRIK[dep])
    out = tmp_path_factory.mktemp(f"reseau{dep}") / f"reseau-{dep}.npz"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["reseau", str(src), "--departement", dep, "--sortie", str(out)])
    assert code == 0, stderr.getvalue()
    return dep, out, stdout.getvalue(), stderr.getvalue()


def test_reseau_summary_matches_the_saved_network(built):
    _, again, out, err = built
    net = acc.RoadNetwork.load(again)
    # said once, in the summary (not again by the builder's warning)
    assert "Plus grande composante fortement connexe" in out
    assert "composante" not in err and "Traceback" not in err
    assert _number(out, "nœuds") == net.n_nodes > 10_000  # a département, not a toy
    assert _number(out, "arcs") == net.n_edges
    # km of road, independently: unique undirected node pairs of net.edges()
    e = net.edges()
    pair = pd.DataFrame({"a": np.minimum(e.u, e.v), "b": np.maximum(e.u, e.v), "m": e.length_m})
    km = pair.groupby(["a", "b"])["m"].mean().sum() / 1000  # both directions: their mean
    assert _number(out, "km de voies") == round(km)
    share = net.n_nodes / (net.n_nodes + net.dropped_nodes)
    assert f"{100 * share:.1f}".replace(".", ",") + " % des nœuds conservés" in out
    assert share >= 0.97
    assert "Temps de construction" in out and f"Écrit : {again}" in out


@pytest.fixture(scope="module")
def analysed(built, tmp_path_factory):
    """``accessibilite analyse -d DEP --reseau reseau-DEP.npz`` (France Services 2024, 30 min)."""
    dep, npz = built[:2]
    fs = shared_file(SHARED_DATA / "services" / "france_services" / "liste-fs-20240801.csv")
    out = tmp_path_factory.mktemp(f"analyse{dep}")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(["analyse", "-d", dep, "--reseau", str(npz), "--services-fichier",
                     str(fs), "--seuil", "30", "--sortie", str(out), "-q"])  # fmt: skip
    assert code == 0
    return dep, out, acc.RoadNetwork.load(npz), fs, stdout.getvalue()


def test_analyse_writes_every_output(analysed):
    dep, out, _, _, text = analysed
    for name in ("communes.csv", "cantons.csv", "epci.csv", "resultats.gpkg", "carte.png",
                 "carte.html", "rapport.html"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    com = pd.read_csv(out / "communes.csv", dtype={"code_insee": str})
    assert len(com) == N_COMMUNES[dep] and com["code_insee"].str.startswith(dep).all()
    assert np.isfinite(com["temps_min"]).all()
    assert set(pyogrio.list_layers(out / "resultats.gpkg")[:, 0]) >= {"communes", "services"}
    beyond = int((com["temps_min"] > 30).sum())
    assert f"Communes au-delà de 30 min : {beyond} " in text and "Durée totale" in text


def test_analyse_times_match_a_networkx_oracle(analysed):
    dep, out, net, fs_path, _ = analysed
    com = pd.read_csv(out / "communes.csv", dtype={"code_insee": str, "service_id": str})
    communes = acc.communes(dep)
    with warnings.catch_warnings():  # rows of other départements: left out, not rejected
        warnings.simplefilter("ignore")
        sites = acc.load_france_services(fs_path, departement=dep, buffer_km=20)
    # independent: networkx Dijkstra on net.edges(), reversed, from a super-source joined to
    # each usable site's snapped node by its access leg
    e = net.edges()
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(e.v, e.u, e.travel_time_s, strict=True))
    leg = 3.6 / net.access_speed_kmh
    snap = net.snap(sites.geometry)
    for node, metres, far in zip(snap["node"], snap["snap_m"], snap["au_dela_snap"], strict=True):
        if not far:
            G.add_edge("S", int(node), weight=metres * leg)
    dist = nx.single_source_dijkstra_path_length(G, "S")
    sample = communes.iloc[:: len(communes) // 10][:10]
    osnap = net.snap(sample["mairie"])
    expected = np.array(
        [dist[int(n)] + m * leg for n, m in zip(osnap["node"], osnap["snap_m"], strict=True)]
    )
    got = com.set_index("code_insee").loc[sample["code_insee"], "temps_min"].to_numpy() * 60
    assert len(sample) == 10
    assert np.allclose(got, expected, atol=0.31)  # communes.csv rounds to 0.01 min
    beyond = com["temps_min"] > 30
    assert beyond.sum() == (com["au_dela_seuil"] == 1).sum() > 0


def test_analyse_with_a_network_of_another_mode_is_refused(built, capsys, tmp_path, fs_2024):
    dep, npz = built[:2]
    code, _, err = run(
        capsys, "analyse", "-d", dep, "--mode", "marche", "--reseau", npz,
        "--services-fichier", fs_2024, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 2 and "mode voiture" in err and npz.name in err
    assert "Traceback" not in err


# --------------------------------------------------------------- BD TOPO, layers
def test_reseau_bdtopo_geopackage_layer(capsys, tmp_path):
    src = gpd.read_file(shared_file(BDTOPO_05025))
    gpkg = tmp_path / "bdtopo.gpkg"
    src.to_file(gpkg, layer="troncon_de_route")
    src.head(3).to_file(gpkg, layer="autre_couche")
    out = tmp_path / "bd.npz"
    code, text, err = run(capsys, "reseau", gpkg, "--couche", "troncon_de_route", "--sortie", out)
    assert code == 0, err
    net = acc.RoadNetwork.load(out)
    assert net.source.startswith("IGN BD TOPO")
    direct = acc.RoadNetwork.from_lines(gpkg, layer="troncon_de_route")
    assert (net.n_nodes, net.n_edges) == (direct.n_nodes, direct.n_edges)
    assert np.array_equal(net.graph.data, direct.graph.data)
    assert f"{net.n_nodes} nœuds" in text
    # a layer that is not there: named, nothing written
    out2 = tmp_path / "bd2.npz"
    code, _, err = run(capsys, "reseau", gpkg, "--couche", "routes", "--sortie", out2)
    assert code == 2 and "routes" in err and "Traceback" not in err
    assert not out2.exists()


# --------------------------------------------------------------- bad files
def _bad_files(tmp_path):
    corrupt = tmp_path / "corrompu.shp.zip"
    corrupt.write_bytes(b"PK\x03\x04 pas vraiment un zip")
    truncated = tmp_path / "tronque.osm.pbf"
    truncated.write_bytes(b"\x00\x00\x00\x0d\n\tOSMHeader\x18\x7f")
    empty = tmp_path / "vide.gpkg"
    gpd.GeoDataFrame({"fclass": []}, geometry=[], crs=4326).to_file(empty, layer="routes")
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(
        {"fclass": ["primary", "primary"], "oneway": ["B", "B"], "maxspeed": [0, 0],
         "layer": [0, 0], "bridge": ["F", "F"], "tunnel": ["F", "F"]},
        geometry=shapely.points([[6.0, 44.5], [6.01, 44.5]]), crs=4326,
    ).to_file(points)  # fmt: skip
    schema = tmp_path / "inconnu.geojson"
    gpd.GeoDataFrame(
        {"type_voie": ["rue"]}, geometry=[shapely.LineString([(6, 44.5), (6.01, 44.5)])], crs=4326
    ).to_file(schema)
    unknown = tmp_path / "reseau.txt"
    unknown.write_text("rien")
    zipped = tmp_path / "sans_couche.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("lisezmoi.txt", "pas de shapefile")
    return [corrupt, truncated, empty, points, schema, unknown, zipped]


def test_bad_network_files_give_one_french_line(capsys, tmp_path):
    for path in _bad_files(tmp_path):
        out = tmp_path / f"{path.stem}.npz"
        code, text, err = run(capsys, "reseau", path, "--sortie", out)
        assert code == 2, path.name
        lines = [line for line in err.splitlines() if line.startswith("erreur")]
        assert len(lines) == 1 and path.name in lines[0], (path.name, err)
        assert "Traceback" not in err and text == ""
        assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_options_checked_before_reading(capsys, tmp_path, fs_2024):
    code, _, err = run(capsys, "reseau", BDTOPO_05025, "--sortie", tmp_path / "x.gpkg")
    assert code == 2 and ".npz" in err
    (tmp_path / "a.osm.pbf").write_bytes(b"")
    code, _, err = run(
        capsys, "analyse", "-d", "05", "--reseau", tmp_path / "a.osm.pbf", "--couche", "x",
        "--services-fichier", fs_2024, "--sortie", tmp_path / "out",
    )  # fmt: skip
    assert code == 2 and "--couche" in err and "a.osm.pbf" in err
