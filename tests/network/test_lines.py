"""``RoadNetwork.from_lines`` schemas, bad input, and ``download(departement=)``.

BD TOPO 3 on the real commune files; BD TOPO 2 ``ROUTE`` and ROUTE 500
``TRONCON_ROUTE`` on small files written here in their published IGN schemas;
one French error naming the file for every bad input; the département extract
download with the network monkeypatched away.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from osmnx.distance import great_circle
from shapely.geometry import LineString, Point

from accessibilite.errors import DataFileError, InputError, NetworkError
from accessibilite.network import RoadNetwork, speed_kmh
from accessibilite.network.curvature import curvature_factor

DATA = Path(__file__).parents[1] / "data" / "network"
COMMUNES = ("04180", "04201", "05025", "05066", "05082", "05089", "05094", "05141", "05150")
COMMUNES += ("06142", "13057")


# --------------------------------------------------------------------------- BD TOPO 3
def test_bdtopo_communes_load(bdtopo_dir):
    files = sorted(bdtopo_dir.glob("troncon_de_route_*.geojson"))
    assert [f.stem[-5:] for f in files] == sorted(COMMUNES)
    for path in files:
        with (
            pytest.warns(UserWarning)
            if path.stem.endswith(("05089", "05094", "06142", "13057"))
            else _nothing()
        ):
            net = RoadNetwork.from_lines(path, "voiture")
        rows = gpd.read_file(path)
        assert net.source == "IGN BD TOPO" and net.date is not None
        assert net.n_edges > 0 and net.crs == "EPSG:2154"
        # nothing longer than what the drivable sections hold
        drivable = rows[~rows.nature.isin(["Sentier", "Escalier", "Chemin", "Piste cyclable"])]
        assert net.length.data.sum() <= 2 * drivable.to_crs(2154).length.sum() * 1.01


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_bdtopo_route_uses_vitesse_moyenne_vl(bdtopo_dir):
    """Buissard (05025): a two-way section between two junctions, timed by hand."""
    from scipy.spatial import cKDTree

    path = bdtopo_dir / "troncon_de_route_05025.geojson"
    net = RoadNetwork.from_lines(path, "voiture")
    rows = gpd.read_file(path)
    tree = cKDTree(np.column_stack([net.x, net.y]))
    from pyproj import Transformer

    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    checked = 0
    for row in rows.sort_values("cleabs").itertuples():
        if not (row.sens_de_circulation == "Double sens" and row.vitesse_moyenne_vl > 0):
            continue
        xy = np.asarray(row.geometry.coords)[:, :2]
        d, (a, b) = tree.query(np.column_stack(to_l93.transform(xy[[0, -1], 0], xy[[0, -1], 1])))
        if d.max() > 1e-3 or len(xy) > 20:
            continue
        metres = great_circle(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0]).sum()
        expected = metres / (row.vitesse_moyenne_vl / 3.6)
        if metres > 500 or not np.isclose(net.graph[a, b], expected, rtol=1e-9):
            continue  # split into several edges, or a faster parallel section
        assert net.graph[b, a] == pytest.approx(expected, rel=1e-9)
        assert net.length[a, b] == pytest.approx(metres, rel=1e-9)
        checked += 1
    assert checked >= 5
    # a path made of several sections: the sum of its sections' times
    from scipy.sparse.csgraph import dijkstra

    t, pred = dijkstra(net.graph, indices=0, return_predecessors=True)
    far = int(np.argmax(np.where(np.isfinite(t), t, -1)))
    total, node = 0.0, far
    while node != 0:
        total += net.graph[pred[node], node]
        node = pred[node]
    assert total == pytest.approx(t[far], rel=1e-12) and t[far] > 60


def test_bdtopo_access_rules(bdtopo_dir):
    path = bdtopo_dir / "troncon_de_route_04180.geojson"
    rows = gpd.read_file(path)
    voiture = RoadNetwork.from_lines(rows, "voiture")
    with pytest.warns(UserWarning):
        marche = RoadNetwork.from_lines(rows, "marche")
    assert marche.length.data.sum() > 3 * voiture.length.data.sum()  # sentiers, chemins
    closed = rows.copy()
    closed["acces_vehicule_leger"] = "Physiquement impossible"
    with pytest.raises(NetworkError, match="aucune voie utilisable en voiture"):
        RoadNetwork.from_lines(closed, "voiture")
    private = rows.copy()
    private["prive"] = True
    with pytest.raises(NetworkError, match="aucune voie utilisable"):
        RoadNetwork.from_lines(private, "voiture")


# --------------------------------------------------------------------------- IGN schemas
A, B, C, D, E = (
    (700000, 6600000),
    (700300, 6600000),
    (700300, 6600400),
    (700000, 6600400),
    (699700, 6600000),
)
#: a–b–c, c–d, d–a, a–e in Lambert-93: junctions a, c, d (one-way c–d), dead end e
SECTIONS = [LineString([A, B, C]), LineString([C, D]), LineString([D, A]), LineString([A, E])]


def _lonlat(points):
    from pyproj import Transformer

    t = Transformer.from_crs(2154, 4326, always_xy=True)
    lon, lat = t.transform(*np.asarray(points, float).T)
    return lon, lat


def _gc_len(line) -> float:
    lon, lat = _lonlat(line.coords)
    return float(great_circle(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())


def _bend() -> float:
    """Curvature factor of the bent section a–b–c (about 700 m for a 500 m chord)."""
    sinuosity = _gc_len(SECTIONS[0]) / _gc_len(LineString([A, C]))
    return float(curvature_factor(np.array(["secondary"]), np.array([sinuosity]), "voiture")[0])


def _by_ends(net) -> dict:
    """{(start point, end point): seconds} of the network's edges, points in Lambert-93."""
    e = net.edges()
    xy = [tuple(p) for p in np.column_stack([net.x, net.y]).round(3)]
    return {(xy[u], xy[v]): t for u, v, t in zip(e.u, e.v, e.travel_time_s, strict=True)}


def _expected(kmh: list[float], one_way: dict[int, tuple]) -> dict:
    out = {}
    for i, (line, speed) in enumerate(zip(SECTIONS, kmh, strict=True)):
        ends = [tuple(np.round(p, 3)) for p in (line.coords[0], line.coords[-1])]
        seconds = _gc_len(line) / (speed / 3.6)
        directions = [one_way[i]] if i in one_way else [(0, 1), (1, 0)]
        for s, t in directions:
            out[(ends[s], ends[t])] = seconds
    return out


def _check(net, expected):
    got = _by_ends(net)
    assert got.keys() == expected.keys()
    for key, seconds in expected.items():
        assert got[key] == pytest.approx(seconds, rel=1e-9), key


def test_bdtopo2_route_schema(tmp_path):
    """BD TOPO 2.x ROUTE (IGN descriptif de contenu): NATURE, IMPORTANCE, SENS, ETAT."""
    frame = gpd.GeoDataFrame(
        {
            "ID": ["TRONROUT0001", "TRONROUT0002", "TRONROUT0003", "TRONROUT0004"],
            "NATURE": [
                "Route à 1 chaussée",
                "Route à 1 chaussée",
                "Route empierrée",
                "Route à 1 chaussée",
            ],
            "NUMERO": ["D12", "NC", "NC", "NC"],
            "IMPORTANCE": ["3", "5", "5", "4"],
            "CL_ADMIN": ["Départementale", "Autre", "Autre", "Autre"],
            "FRANCHISST": ["NC", "NC", "NC", "NC"],
            "POS_SOL": [0, 0, 0, 0],
            "SENS": ["Double", "Inverse", "Double", "Double"],
            "ETAT": ["En service", "En service", "En service", "En service"],
        },
        geometry=SECTIONS,
        crs=2154,
    )
    path = tmp_path / "ROUTE.shp"
    frame.to_file(path, engine="pyogrio")
    net = RoadNetwork.from_lines(path)
    assert net.source == "IGN BD TOPO 2"
    # importance 3 → secondary 80 × 0.80 (a–b–c bends: curvature factor); 5 → unclassified;
    # 4 → tertiary (speeds and factor from the packaged profile)
    unclassified = speed_kmh("unclassified")
    kmh = [speed_kmh("secondary") * _bend(), unclassified, unclassified, speed_kmh("tertiary")]
    _check(net, _expected(kmh, {1: (1, 0)}))  # SENS Inverse: d → c only


def test_route500_schema():
    """ROUTE 500 TRONCON_ROUTE: VOCATION, NB_CHAUSSE, SENS Double sens / Sens unique."""
    frame = gpd.GeoDataFrame(
        {
            "ID_RTE500": [1, 2, 3, 4],
            "VOCATION": ["Liaison régionale", "Liaison locale", "Liaison principale", "Bretelle"],
            "NB_CHAUSSE": ["1 chaussée", "1 chaussée", "2 chaussées", "1 chaussée"],
            "NB_VOIES": ["2 voies", "1 voie", "4 voies", "1 voie"],
            "ETAT": ["Revêtu", "Revêtu", "Revêtu", "Revêtu"],
            "ACCES": ["Libre", "Libre", "Libre", "A péage"],
            "SENS": ["Double sens", "Sens unique", "Double sens", "Double sens"],
            "NUM_ROUTE": ["D12", "D40", "N7", "NC"],
            "CLASS_ADM": ["Départementale", "Départementale", "Nationale", "Sans objet"],
            "LONGUEUR": [0.7, 0.3, 0.4, 0.3],
        },
        geometry=SECTIONS,
        crs=2154,
    )
    net = RoadNetwork.from_lines(frame)
    assert net.source == "IGN ROUTE 500"
    # secondary 64 (a–b–c bends: curvature factor), tertiary (one-way along the
    # digitisation), trunk 93.5, trunk_link 42
    kmh = [64 * _bend(), speed_kmh("tertiary"), 93.5, 42]
    _check(net, _expected(kmh, {1: (0, 1)}))


# --------------------------------------------------------------------------- bad input
def _assert_one_error(exc_info, name: str):
    assert name in str(exc_info.value) and "\n" not in str(exc_info.value).strip()


def test_bad_inputs_raise_one_french_error_naming_the_file(tmp_path):
    unknown = gpd.GeoDataFrame(
        {"type_voie": ["rue"], "sens": ["x"]},
        geometry=[LineString([(2.0, 48.9), (2.01, 48.9)])],
        crs=4326,
    )
    path = tmp_path / "routes.gpkg"
    unknown.to_file(path, engine="pyogrio")
    with pytest.raises(
        DataFileError, match=r"routes.gpkg: schéma de couche de routes non reconnu"
    ) as err:
        RoadNetwork.from_lines(path)
    assert (
        "fclass" in str(err.value) and "schema=" in str(err.value) and "columns=" in str(err.value)
    )
    renamed = unknown.rename(columns={"type_voie": "kind"}).assign(oneway="B", maxspeed=0)
    net = RoadNetwork.from_lines(
        renamed.assign(kind="residential", geometry=[LineString([(2.0, 48.9), (2.01, 48.9)])]),
        columns={"fclass": "kind"},
    )
    assert net.n_edges == 2
    empty = tmp_path / "vide.gpkg"
    unknown.iloc[:0].to_file(empty, engine="pyogrio")
    with pytest.raises(DataFileError, match="vide.gpkg: couche de routes vide"):
        RoadNetwork.from_lines(empty)
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(
        {"fclass": ["primary"], "oneway": ["B"], "maxspeed": [0]},
        geometry=[Point(2, 48.9)],
        crs=4326,
    ).to_file(points)
    with pytest.raises(DataFileError, match="points.geojson: géométries de type Point"):
        RoadNetwork.from_lines(points)
    berlin = tmp_path / "berlin.gpkg"
    gpd.GeoDataFrame(
        {"fclass": ["primary"], "oneway": ["B"], "maxspeed": [50]},
        geometry=[LineString([(13.40, 52.52), (13.41, 52.52)])],
        crs=4326,
    ).to_file(berlin, engine="pyogrio")
    with pytest.raises(DataFileError, match="berlin.gpkg: les routes sont hors de France"):
        RoadNetwork.from_lines(berlin)
    corrupt = tmp_path / "gis_osm_roads.shp.zip"
    corrupt.write_bytes(b"PK\x03\x04 ceci n'est pas un zip")
    with pytest.raises(DataFileError, match="gis_osm_roads.shp.zip: fichier de routes illisible"):
        RoadNetwork.from_lines(corrupt)
    with pytest.raises(DataFileError, match="absent.gpkg: couche de routes introuvable"):
        RoadNetwork.from_lines(tmp_path / "absent.gpkg")
    with pytest.raises(DataFileError, match="schéma inconnu"):
        RoadNetwork.from_lines(path, schema="osm")


def test_geofabrik_zip_as_shipped(tmp_path):
    """A zip of the Geofabrik shapefile with several layers: the roads layer is picked."""
    rows = gpd.GeoDataFrame(
        {"osm_id": ["1", "2"], "code": [5115, 5122], "fclass": ["tertiary", "residential"],
         "name": ["", ""], "ref": ["", ""], "oneway": ["B", "F"], "maxspeed": [0, 30],
         "layer": [0, 0], "bridge": ["F", "F"], "tunnel": ["F", "F"]},
        geometry=[LineString([(6.0, 44.5), (6.01, 44.5)]), LineString([(6.01, 44.5), (6.0, 44.5)])],
        crs=4326,
    )  # fmt: skip
    shp = tmp_path / "shp"
    shp.mkdir()
    rows.to_file(shp / "gis_osm_roads_free_1.shp", engine="pyogrio")
    gpd.GeoDataFrame({"x": [1]}, geometry=[Point(6, 44.5)], crs=4326).to_file(
        shp / "gis_osm_pois_free_1.shp", engine="pyogrio"
    )
    archive = tmp_path / "provence-latest-free.shp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(shp.iterdir()):
            z.write(f, f.name)
    net = RoadNetwork.from_lines(archive)
    metres = float(great_circle(44.5, 6.0, 44.5, 6.01))
    e = net.edges()
    assert len(e) == 2  # tertiary both ways; the one-way residential is parallel and slower
    assert np.allclose(e.travel_time_s, metres / (speed_kmh("tertiary") / 3.6), rtol=1e-9)


def test_truncated_pbf_and_no_half_written_cache(tmp_path, monkeypatch):
    import osmium

    pbf = tmp_path / "mini.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(DATA / "mini.osm")):
        (writer.add_node if obj.is_node() else writer.add_way)(obj)
    writer.close()
    cut = tmp_path / "coupe.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[: pbf.stat().st_size // 2])
    with pytest.raises(DataFileError, match="coupe.osm.pbf: fichier OpenStreetMap illisible"):
        RoadNetwork.from_osm(cut)
    # download(departement=) with a truncated extract: error, nothing cached
    monkeypatch.setattr("accessibilite.settings.cache_folder", tmp_path / "cache")
    monkeypatch.setattr("accessibilite.sources.fetch", lambda url, filename, refresh=False: cut)
    with pytest.raises(DataFileError, match="coupe.osm.pbf"):
        RoadNetwork.download(departement="78", territory=_mini_area(), buffer_km=0)
    assert not any((tmp_path / "cache").rglob("*.npz"))


def _mini_area():
    from pyproj import Transformer
    from shapely.geometry import box

    t = Transformer.from_crs(4326, 2154, always_xy=True)
    (x0, x1), (y0, y1) = t.transform([2.085, 2.1], [48.895, 48.905])
    return box(x0, y0, x1, y1)


# --------------------------------------------------------------------------- download
def test_download_departement_extract(tmp_path, monkeypatch):
    from accessibilite.network.download import EXTRACTS, extract_url

    assert len(EXTRACTS) == 101  # 96 metropolitan (2A, 2B) + 5 overseas
    assert extract_url("4") == (
        "https://download.openstreetmap.fr/extracts/europe/france/"
        "provence_alpes_cote_d_azur/alpes_de_haute_provence-latest.osm.pbf"
    )
    assert extract_url("40").endswith("/france/aquitaine/landes-latest.osm.pbf")
    assert extract_url("2a").endswith("/france/corse/corse_du_sud-latest.osm.pbf")
    assert extract_url("974").endswith("/france/reunion-latest.osm.pbf")
    with pytest.raises(InputError, match="département inconnu"):
        extract_url("20")
    pbf = tmp_path / "src.osm"
    shutil.copy(DATA / "mini.osm", pbf)
    calls = []

    def fake_fetch(url, filename, refresh=False):
        calls.append((url, filename))
        return pbf

    monkeypatch.setattr("accessibilite.settings.cache_folder", tmp_path / "cache")
    monkeypatch.setattr("accessibilite.sources.fetch", fake_fetch)
    with pytest.warns(UserWarning):
        net = RoadNetwork.download(departement="78", territory=_mini_area(), buffer_km=0)
    assert calls == [(extract_url("78"), "osm-78-yvelines-latest.osm.pbf")]
    with pytest.warns(UserWarning):
        direct = RoadNetwork.from_osm(pbf, territory=_mini_area(), buffer_km=0)
    pd.testing.assert_frame_equal(net.edges(), direct.edges())
    again = RoadNetwork.download(departement="78", territory=_mini_area(), buffer_km=0)
    assert len(calls) == 1  # built network reused from the cache
    pd.testing.assert_frame_equal(again.edges(), net.edges())
