"""Tests of the OSM input (accessibilite._osm) through the RoadNetwork constructors.

OSM XML / PBF files, territory clipping, osmium absent, file errors; filtering,
timing and directions of osmnx graphs per mode (access and contraflow rules of
accessibilite.speeds); territory errors of ``download``.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from accessibilite.errors import DataFileError, InputError, NetworkError
from accessibilite.network.road import RoadNetwork

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data" / "network"


# --------------------------------------------------------------------------- OSM files
MINI_OSM = DATA / "mini.osm"
MINI_NODES = {  # osmid: (lon, lat), as written in tests/data/network/mini.osm
    1: (2.0900, 48.9000),
    2: (2.0920, 48.9000),
    3: (2.0940, 48.9000),
    4: (2.0940, 48.9015),
    5: (2.0920, 48.9015),
    6: (2.0900, 48.9015),
    9: (2.0920, 48.8990),
    10: (2.0900, 48.8990),
    11: (2.0900, 48.9030),
}


def _gc(a: int, b: int) -> float:
    """Great-circle distance (m) between two mini.osm nodes, osmnx earth radius."""
    (lon1, lat1), (lon2, lat2) = np.radians(MINI_NODES[a]), np.radians(MINI_NODES[b])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return float(2 * 6_371_009 * np.arcsin(np.sqrt(h)))


def _edge_dict(net) -> dict[tuple[int, int], float]:
    e = net.edges()
    return {
        (int(net.osmid[u]), int(net.osmid[v])): t
        for u, v, t in zip(e.u, e.v, e.travel_time_s, strict=True)
    }


def test_from_osm_xml_voiture():
    with pytest.warns(UserWarning, match="3 nœud"):
        net = RoadNetwork.from_osm(MINI_OSM, "voiture")
    assert net.osmid.tolist() == [1, 2, 3, 5, 6]  # 11: dead end of a one-way street, dropped
    # 7-8 (residential) is reached only through the private service road 3-7: its own
    # component, dropped by the component cut (osmnx merged 3-7-8 into one edge
    # [service, residential] and dropped it whole before)
    assert net.dropped_nodes == 3
    got = _edge_dict(net)
    expected = {
        (1, 2): _gc(1, 2) / (50 * 0.80 / 3.6),  # primary, maxspeed 50, two-way
        (2, 1): _gc(1, 2) / (50 * 0.80 / 3.6),
        (2, 3): _gc(2, 3) / (50 * 0.80 / 3.6),
        (3, 2): _gc(2, 3) / (50 * 0.80 / 3.6),
        (3, 5): (_gc(3, 4) + _gc(4, 5)) / (30 * 0.60 / 3.6),  # one-way, FR:zone30, via 4
        (5, 2): _gc(5, 2) / (50 * 0.60 / 3.6),  # one-way residential, no maxspeed
        (5, 6): _gc(5, 6) / (80 * 0.67 / 3.6),  # tertiary, no maxspeed
        (6, 5): _gc(5, 6) / (80 * 0.67 / 3.6),
        (6, 1): _gc(6, 1) / (30 * 1.609344 * 0.45 / 3.6),  # unclassified "30 mph"
        (1, 6): _gc(6, 1) / (30 * 1.609344 * 0.45 / 3.6),
    }
    # excluded: service access=private (3-7), footway, track, motor_vehicle=no, building
    assert got.keys() == expected.keys()
    for key, seconds in expected.items():
        assert got[key] == pytest.approx(seconds, rel=1e-6), key
    # Lambert-93 coordinates of node 1 (pyproj, independent call)
    from pyproj import Transformer

    x1, y1 = Transformer.from_crs(4326, 2154, always_xy=True).transform(*MINI_NODES[1])
    assert (net.x[0], net.y[0]) == (pytest.approx(x1, abs=1e-6), pytest.approx(y1, abs=1e-6))
    assert net.source == "mini.osm" and net.date is None


def test_from_osm_xml_marche_and_velo():
    marche = RoadNetwork.from_osm(MINI_OSM, "marche")
    # 7-8 only through the private 3-7: cut with the other components
    assert marche.osmid.tolist() == [1, 2, 3, 5, 6, 9, 10, 11] and marche.dropped_nodes == 2
    got = _edge_dict(marche)
    assert len(got) == 20 and all((b, a) in got for a, b in got)
    assert got[(5, 3)] == pytest.approx((_gc(3, 4) + _gc(4, 5)) / 1.25, rel=1e-6)
    # the footway detour 2-9-10-1 runs parallel to 2-1: it keeps its nodes 9 and 10 (a
    # parallel chain contracted to one edge 2-1 would vanish behind the faster 2-1)
    assert got[(2, 1)] == pytest.approx(_gc(1, 2) / 1.25, rel=1e-6)
    assert got[(9, 10)] == pytest.approx(_gc(9, 10) / 1.25, rel=1e-6)
    velo = RoadNetwork.from_osm(MINI_OSM, "velo")
    got = _edge_dict(velo)
    assert (5, 3) in got  # one-way zone 30: double-sens cyclable
    assert (2, 5) not in got  # one-way at 50 km/h: no contraflow
    assert (6, 11) in got and (11, 6) in got  # living_street (20 km/h) one-way: contraflow
    # the track 9-10 and the residential 10-1 (motor_vehicle=no) are rideable: a dead
    # end 1 ⇄ 9 (osmnx merged them with the footway 2-9, not rideable, and dropped all)
    assert got[(1, 9)] == pytest.approx((_gc(1, 10) + _gc(10, 9)) / (15 / 3.6), rel=1e-6)
    assert (2, 9) not in got and (9, 2) not in got
    assert len(got) == 15 and velo.dropped_nodes == 2  # 7-8, as on foot
    assert got[(1, 2)] == pytest.approx(_gc(1, 2) / (15 / 3.6), rel=1e-6)


def test_from_osm_pbf_equals_xml(mini_pbf):
    pbf = mini_pbf
    assert pbf.read_bytes()[:4] != b"<?xm"
    for mode in ("voiture", "marche", "velo"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            a = RoadNetwork.from_osm(MINI_OSM, mode)
            b = RoadNetwork.from_osm(pbf, mode)
        pd.testing.assert_frame_equal(a.nodes(), b.nodes())
        pd.testing.assert_frame_equal(a.edges(), b.edges())
        assert b.source == "mini.osm.pbf"


@pytest.fixture
def mini_pbf(tmp_path):
    import osmium  # declared in the dev and pbf extras: never skipped

    pbf = tmp_path / "mini.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(MINI_OSM)):
        if obj.is_node():
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
    writer.close()
    return pbf


_TRICKY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="44.5000000" lon="6.0000000"/>
  <node id="2" lat="44.5010000" lon="6.0012345"/>
  <node id="3" lat="44.5020000" lon="-0.0000001"/>
  <node id="5" lat="-44.5030000" lon="179.9999999"/>
  <way id="7"><nd ref="1"/><nd ref="4"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="30 mph"/>
    <tag k="access" v="yes;destination, delivery=1 %25 é"/><tag k="name" v="a=b,c d%"/></way>
  <way id="8"><nd ref="2"/><nd ref="3"/><nd ref="5"/>
    <tag k="highway" v="tertiary"/><tag k="oneway" v="-1"/>
    <tag k="oneway:bicycle" v="no"/><tag k="motor_vehicle" v=""/></way>
  <way id="9"><nd ref="4"/><nd ref="6"/><tag k="highway" v="track"/></way>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="building" v="yes"/></way>
</osm>
"""


@pytest.mark.parametrize("kind", ["osm", "pbf"])
def test_libosmium_reader_equals_the_python_xml_reader(kind, tmp_path):
    """The OPL pass (libosmium) and the independent iterparse reader read the same ways.

    Escaped tag values (``=``, ``,``, space, ``%``, non-ASCII), empty values,
    nodes missing from the extract (way 7 loses node 4, way 9 every node),
    negative and ±180° coordinates, a non-highway way (dropped).
    """
    import osmium

    from accessibilite.network import pbf as reader

    xml = tmp_path / "tricky.osm"
    xml.write_text(_TRICKY_OSM, encoding="utf-8")
    path = xml
    if kind == "pbf":
        path = tmp_path / "tricky.osm.pbf"
        with osmium.SimpleWriter(str(path)) as writer:
            for obj in osmium.FileProcessor(str(xml)):
                (writer.add_node if obj.is_node() else writer.add_way)(obj)
    got_lines, got_tags, _ = reader.read_osm_ways(path)
    ref_lines, ref_tags, _ = reader._finish(*reader._read_xml(xml), xml, None)
    for field in ("indptr", "nodes", "lon", "lat", "node_ids"):
        np.testing.assert_array_equal(getattr(got_lines, field), getattr(ref_lines, field))
    pd.testing.assert_frame_equal(got_tags, ref_tags)
    assert got_tags["osm_id"].tolist() == [7, 8, 9]
    assert got_tags["access"][0] == "yes;destination, delivery=1 %25 é"
    assert got_tags["maxspeed"][0] == "30 mph" and got_tags["motor_vehicle"][1] == ""
    assert got_lines.node_ids.tolist() == [1, 2, 3, 5]
    assert np.diff(got_lines.indptr).tolist() == [2, 3, 0]
    assert got_lines.lon.tolist() == [6.0, 6.0012345, -0.0000001, 179.9999999]


def _lonlat_box(lon0, lat0, lon1, lat1):
    from pyproj import Transformer
    from shapely.geometry import Polygon

    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    corners = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)]
    return Polygon([to_l93.transform(lon, lat) for lon, lat in corners])


@pytest.fixture
def no_osmium(monkeypatch):
    """Simulate an installation without the optional osmium package."""
    import importlib.util
    import sys

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "osmium" else real_find_spec(name, *a),
    )
    monkeypatch.setitem(sys.modules, "osmium", None)  # import osmium → ImportError


@pytest.mark.parametrize("reader", ["xml", "xml-osmnx-seul", "pbf"])
def test_from_osm_territory_clip(reader, request):
    path = request.getfixturevalue("mini_pbf") if reader == "pbf" else MINI_OSM
    if reader == "xml-osmnx-seul":
        request.getfixturevalue("no_osmium")
    west = _lonlat_box(2.0895, 48.8995, 2.0925, 48.9035)  # nodes 1, 2, 5, 6, 11
    with pytest.warns(UserWarning, match="1 nœud"):  # 11, one-way dead end
        net = RoadNetwork.from_osm(path, territory=west, buffer_km=0)
    assert net.osmid.tolist() == [1, 2, 5, 6]
    assert sorted(_edge_dict(net)) == [(1, 2), (1, 6), (2, 1), (5, 2), (5, 6), (6, 1), (6, 5)]
    landes = _lonlat_box(-1.0, 43.9, -0.9, 44.0)
    with pytest.raises(NetworkError, match="aucune voie .*dans le territoire demandé"):
        RoadNetwork.from_osm(path, territory=landes, buffer_km=1)


@pytest.mark.parametrize("mode", ["voiture", "marche", "velo"])
def test_from_osm_without_osmium(mode, request, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        default = RoadNetwork.from_osm(MINI_OSM, mode)
        request.getfixturevalue("no_osmium")
        direct = RoadNetwork.from_osm(MINI_OSM, mode)  # XML read by osmnx alone
    pd.testing.assert_frame_equal(default.nodes(), direct.nodes())
    pd.testing.assert_frame_equal(default.edges(), direct.edges())
    pbf = tmp_path / "x.osm.pbf"
    pbf.write_bytes(b"\x00")
    with pytest.raises(DataFileError, match=r"x.osm.pbf: .*paquet osmium"):
        RoadNetwork.from_osm(pbf)


def test_file_errors(tmp_path):
    with pytest.raises(DataFileError, match="absent.graphml: fichier GraphML introuvable"):
        RoadNetwork.from_graphml(tmp_path / "absent.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("ceci n'est pas du GraphML")
    with pytest.raises(DataFileError, match="bad.graphml: fichier GraphML illisible"):
        RoadNetwork.from_graphml(bad)
    with pytest.raises(DataFileError, match="absent.osm: fichier OpenStreetMap introuvable"):
        RoadNetwork.from_osm(tmp_path / "absent.osm")
    bad_osm = tmp_path / "bad.osm"
    bad_osm.write_text("<osm><node id='1'")
    with pytest.raises(DataFileError, match="bad.osm: fichier OpenStreetMap illisible"):
        RoadNetwork.from_osm(bad_osm)
    bad_pbf = tmp_path / "bad.osm.pbf"
    bad_pbf.write_bytes(b"\x00\x01garbage")
    with pytest.raises(DataFileError, match="bad.osm.pbf"):
        RoadNetwork.from_osm(bad_pbf)
    with pytest.raises(InputError):
        RoadNetwork.from_osm(MINI_OSM, "trottinette")


# --------------------------------------------------------------------------- from_networkx
def _lambert_graph(edges):
    G = nx.MultiDiGraph(crs="EPSG:2154")
    for name, (x, y) in {"a": (700000.0, 6600000.0), "b": (700100.0, 6600000.0)}.items():
        G.add_node(name, x=x, y=y)
    G.add_node("c", x=700100.0, y=6600300.0)
    G.add_node("d", x=700400.0, y=6600300.0)
    for u, v, attrs in edges:
        G.add_edge(u, v, **attrs)
    return G


def test_from_networkx_filters_and_parallel_edges():
    G = _lambert_graph(
        [
            ("a", "b", {"highway": "residential", "length": 100.0}),
            ("a", "b", {"highway": "primary", "maxspeed": "50", "length": 110.0}),
            ("b", "a", {"highway": "residential"}),  # no length: straight line 100 m
            ("b", "c", {"highway": "service", "service": "parking_aisle", "length": 300.0}),
            ("b", "c", {"highway": "service", "length": 300.0}),
            ("c", "b", {"highway": "service", "length": 300.0}),
            ("c", "d", {"highway": "residential", "access": "private", "length": 300.0}),
            ("d", "c", {"highway": "residential", "motor_vehicle": "no", "length": 300.0}),
            ("c", "d", {"highway": "track", "length": 300.0}),
        ]
    )
    net = RoadNetwork.from_networkx(G, "voiture", source="test")
    assert net.osmid is None and net.n_nodes == 3 and net.dropped_nodes == 0
    assert net.x.tolist() == [700000.0, 700100.0, 700100.0]  # already Lambert-93: unchanged
    e = net.edges()
    assert e[["u", "v"]].values.tolist() == [[0, 1], [1, 0], [1, 2], [2, 1]]
    # the primary edge winds: 110 m for a 100 m chord, sinuosity 1.1 → factor 0.9
    # (data/vitesses_fr.toml [voiture.curvature]); residential and service: no factor
    assert e.travel_time_s.tolist() == pytest.approx(
        [110 / (40 * 0.9 / 3.6), 100 / (30 / 3.6), 300 / (15 / 3.6), 300 / (15 / 3.6)]
    )
    assert e.length_m.tolist() == pytest.approx([110.0, 100.0, 300.0, 300.0])
    with pytest.raises(NetworkError, match="aucune voie utilisable en voiture"):
        RoadNetwork.from_networkx(_lambert_graph([("a", "b", {"highway": "footway"})]))
    with pytest.raises(NetworkError, match="NaN dans length|négative"):
        RoadNetwork.from_networkx(
            _lambert_graph([("a", "b", {"highway": "primary", "length": -5.0})])
        )


def test_specific_tags_override_access():
    G = _lambert_graph(
        [
            (
                "a",
                "b",
                {"highway": "footway", "access": "no", "foot": "designated", "length": 90.0},
            ),
            ("b", "c", {"highway": "residential", "access": "no", "motor_vehicle": "destination"}),
            ("c", "b", {"highway": "residential", "access": "no", "motor_vehicle": "destination"}),
            ("c", "d", {"highway": "residential", "access": "no", "length": 300.0}),
            ("c", "a", {"highway": "service", "area": "yes", "motorcar": "yes", "length": 50.0}),
            ("d", "a", {"highway": "cycleway", "access": "private", "bicycle": "no"}),
        ]
    )
    voiture = RoadNetwork.from_networkx(G, "voiture")
    assert voiture.n_nodes == 2 and voiture.n_edges == 2  # b ⇄ c only (area=yes stays out)
    marche = RoadNetwork.from_networkx(G, "marche")
    pairs = {(int(u), int(v)) for u, v in marche.edges()[["u", "v"]].values}
    # b-c: access=no still applies on foot (motor_vehicle=destination is for cars only)
    assert pairs == {(0, 1), (1, 0), (2, 0), (0, 2)}
    assert marche.graph[0, 1] == pytest.approx(90.0 / 1.25)


def test_from_networkx_velo_contraflow_rules():
    one_way = {"oneway": True, "length": 100.0}
    G = _lambert_graph(
        [
            ("a", "b", {"highway": "residential", "maxspeed": "30", **one_way}),
            ("b", "c", {"highway": "residential", **one_way}),  # implicit 50 km/h
            ("c", "d", {"highway": "residential", "oneway:bicycle": "no", **one_way}),
            ("d", "a", {"highway": "tertiary", "cycleway": "opposite_lane", **one_way}),
            (
                "c",
                "a",
                {"highway": "residential", "maxspeed": "30", "junction": "roundabout", **one_way},
            ),
            ("b", "d", {"highway": "living_street", **one_way}),  # implicit 20 km/h
        ]
    )
    net = RoadNetwork.from_networkx(G, "velo")
    pairs = {(int(u), int(v)) for u, v in net.edges()[["u", "v"]].values}
    # a=0, b=1, c=2, d=3
    assert (1, 0) in pairs and (0, 1) in pairs  # 30 km/h: double-sens cyclable
    assert (1, 2) in pairs and (2, 1) not in pairs  # 50 km/h one-way
    assert (3, 2) in pairs and (0, 3) in pairs  # oneway:bicycle=no, cycleway=opposite_lane
    assert (2, 0) in pairs and (0, 2) not in pairs  # never against a roundabout
    assert (3, 1) in pairs  # zone de rencontre
    assert len(pairs) == 10
    with pytest.raises(NetworkError, match="aucune voie utilisable à vélo"):
        RoadNetwork.from_networkx(_lambert_graph([("a", "b", {"highway": "motorway"})]), "velo")


def test_from_networkx_projects_wgs84_and_custom_profile(tmp_path):
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=3.0, y=46.5)  # origin of Lambert-93: (700000, 6600000)
    G.add_node(2, x=3.001, y=46.5)
    G.add_edge(1, 2, highway="residential", length=76.5)
    G.add_edge(2, 1, highway="residential", length=76.5)
    custom = tmp_path / "profil.toml"
    text = (ROOT / "data" / "vitesses_fr.toml").read_text(encoding="utf-8")
    custom.write_text(text.replace("residential = 0.60", "residential = 1.0"), encoding="utf-8")
    net = RoadNetwork.from_networkx(G, profile=custom)
    assert net.x[0] == pytest.approx(700000.0, abs=1e-3)
    assert net.y[0] == pytest.approx(6600000.0, abs=1e-3)
    assert net.osmid.tolist() == [1, 2]
    assert net.graph[0, 1] == pytest.approx(76.5 / (50 / 3.6))
    bad = tmp_path / "bad.toml"
    bad.write_text("[voiture\n")
    with pytest.raises(DataFileError, match="bad.toml: profil de vitesses illisible"):
        RoadNetwork.from_networkx(G, profile=bad)
    incomplete = tmp_path / "incomplet.toml"
    incomplete.write_text(text.replace("[voiture.realism]", "[voiture.realisme]"), encoding="utf-8")
    with pytest.raises(DataFileError, match="incomplet.toml: .*clé voiture.realism absente"):
        RoadNetwork.from_networkx(G, profile=incomplete)
    with pytest.raises(DataFileError, match="list_rule doit valoir"):
        RoadNetwork.from_networkx(
            G,
            profile={
                **tomllib.loads(text),
                "maxspeed": {"list_rule": "max", "mph_kmh": 1.6, "implicit": {}},
            },
        )
    G.add_node(3, y=46.5)
    G.add_edge(2, 3, highway="residential", length=1.0)
    with pytest.raises(NetworkError, match="coordonnées x/y absentes"):
        RoadNetwork.from_networkx(G)


def test_overseas_graph_in_the_departement_crs(monkeypatch, tmp_path):
    # Saint-Denis (La Réunion): Lambert-93 stretches lengths there by 88 %; the
    # network must be in EPSG:2975, like communes("974"), so that metres are metres.
    import geopandas as gpd
    import osmnx as ox
    from pyproj import Geod, Transformer

    lonlat = {1: (55.450, -20.880), 2: (55.455, -20.880), 3: (55.455, -20.884)}
    G = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in lonlat.items():
        G.add_node(node, x=lon, y=lat)
    geod = Geod(ellps="WGS84")
    for a, b in [(1, 2), (2, 3)]:
        (lon1, lat1), (lon2, lat2) = lonlat[a], lonlat[b]
        metres = geod.inv(lon1, lat1, lon2, lat2)[2]
        G.add_edge(a, b, highway="residential", length=metres)
        G.add_edge(b, a, highway="residential", length=metres)
    net = RoadNetwork.from_networkx(G)
    assert net.crs == "EPSG:2975"
    lons, lats = np.array(list(lonlat.values())).T
    x, y = Transformer.from_crs(4326, 2975, always_xy=True).transform(lons, lats)
    np.testing.assert_allclose(net.x, x, atol=1e-6)
    np.testing.assert_allclose(net.y, y, atol=1e-6)
    # a town hall 300 m (geodesic) east of node 2: snapped at about 300 m, not 564 m
    lon, lat, _ = geod.fwd(*lonlat[2], 90.0, 300.0)
    mairie = gpd.GeoSeries.from_xy([lon], [lat], crs=4326)
    assert net.snap(mairie)["snap_m"].iloc[0] == pytest.approx(300.0, rel=1e-3)
    same = RoadNetwork.load(net.save(tmp_path / "reunion.npz"))
    assert same.crs == "EPSG:2975" and np.array_equal(same.x, net.x)
    # download(communes("974")): the 1 km margin is drawn in EPSG:2975, not in Lambert-93
    from accessibilite import communes

    reunion = communes("974")
    polygons = []

    def fake_graph_from_polygon(polygon, **kwargs):
        polygons.append(polygon)
        return G.copy()

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph_from_polygon)
    monkeypatch.setattr("accessibilite.sources.check_connection", lambda url, timeout=None: None)
    monkeypatch.setattr("accessibilite.settings.cache_folder", tmp_path)
    RoadNetwork.download(reunion, buffer_km=1, mode="voiture", cache=False)
    area = gpd.GeoSeries(polygons, crs=4326).to_crs(2975).iloc[0]
    xmin, ymin, xmax, ymax = reunion.total_bounds
    assert area.bounds == pytest.approx((xmin - 1000, ymin - 1000, xmax + 1000, ymax + 1000), abs=2)


# --------------------------------------------------------------------------- download
def test_download_territory_errors():
    import geopandas as gpd

    with pytest.raises(InputError, match="territoire de type str"):
        RoadNetwork.download("Landes")
    with pytest.raises(InputError, match="territoire vide"):
        RoadNetwork.download(gpd.GeoDataFrame(geometry=[], crs=2154))


def test_streaming_builder_equals_the_osmnx_path():
    """from_osm (pyosmium → build) == the former osmnx path (XML copy → graph_from_xml)."""
    from accessibilite.network import load_profile
    from accessibilite.network.osm import read_osm
    from accessibilite.network.readers import networkx_kwargs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        old = RoadNetwork(
            **networkx_kwargs(read_osm(MINI_OSM), "voiture", load_profile(), "x", None)
        )
        new = RoadNetwork.from_osm(MINI_OSM, "voiture")
    pd.testing.assert_frame_equal(old.nodes(), new.nodes(), rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(old.edges(), new.edges(), rtol=1e-12, atol=1e-6)


def test_full_temporary_disk_is_said_in_french(monkeypatch, mini_pbf):
    from accessibilite.network import pbf as reader

    def full(*_):
        raise RuntimeError("Write failed: No space left on device")

    monkeypatch.setattr(reader, "_highways_to_opl", full)
    with pytest.raises(DataFileError, match=r"mini.osm.pbf: espace disque insuffisant .*TMPDIR"):
        RoadNetwork.from_osm(mini_pbf)


@pytest.mark.parametrize("reader", ["osmium", "sans-osmium"])
def test_from_osm_bz2_equals_xml(reader, tmp_path, request):
    import bz2

    packed = tmp_path / "mini.osm.bz2"
    packed.write_bytes(bz2.compress(MINI_OSM.read_bytes()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = RoadNetwork.from_osm(MINI_OSM)
        if reader == "sans-osmium":
            request.getfixturevalue("no_osmium")
        got = RoadNetwork.from_osm(packed)
    pd.testing.assert_frame_equal(plain.nodes(), got.nodes())
    pd.testing.assert_frame_equal(plain.edges(), got.edges())
    assert got.source == "mini.osm.bz2"
