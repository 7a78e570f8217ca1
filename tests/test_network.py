"""Tests of accessibilite.network: speed model, constructors, compact form, save/load."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csgraph

from accessibilite.errors import DataFileError, DownloadError, InputError, NetworkError
from accessibilite.network import MIN_TIME_S, RoadNetwork
from accessibilite.speeds import parse_maxspeed, speed_kmh


# --------------------------------------------------------------------------- from_edges
@pytest.fixture
def tiny():
    # 0 → 1 twice (parallel: 7 s and 3 s), 1 → 2, 2 → 0 with zero time, 1 → 0
    return RoadNetwork.from_edges(
        u=[0, 0, 1, 2, 1],
        v=[1, 1, 2, 0, 0],
        travel_time_s=[7.0, 3.0, 20.0, 0.0, 5.0],
        x=[0.0, 100.0, 200.0, 500.0],
        y=[0.0, 0.0, 50.0, 500.0],
        length_m=[150.0, 120.0, 111.0, 0.0, 100.0],
    )


def test_from_edges_keeps_nodes_in_order(tiny):
    nodes = tiny.nodes()
    assert list(nodes.columns) == ["x", "y"]
    assert nodes["x"].tolist() == [0.0, 100.0, 200.0, 500.0]  # isolated node 3 kept
    assert tiny.n_nodes == 4 and tiny.graph.shape == (4, 4)
    assert tiny.dropped_nodes == 0 and tiny.osmid is None


def test_from_edges_edges_sorted_parallel_min_zero_clamped(tiny):
    e = tiny.edges()
    assert list(e.columns) == ["u", "v", "length_m", "travel_time_s"]
    assert e[["u", "v"]].values.tolist() == [[0, 1], [1, 0], [1, 2], [2, 0]]
    # fastest parallel edge kept with its own length
    assert e.travel_time_s.tolist() == [3.0, 5.0, 20.0, MIN_TIME_S]
    assert e.length_m.tolist() == [120.0, 100.0, 111.0, 0.0]
    assert tiny.n_edges == 4
    assert tiny.graph[0, 1] == 3.0 and tiny.length[0, 1] == 120.0
    # same sparsity pattern, explicit zero length kept
    assert np.array_equal(tiny.graph.indices, tiny.length.indices)
    assert np.array_equal(tiny.graph.indptr, tiny.length.indptr)
    assert (tiny.graph.data > 0).all()


def test_from_edges_default_length_is_euclidean():
    net = RoadNetwork.from_edges([0], [1], [10.0], [0.0, 3.0], [0.0, 4.0])
    assert net.edges().length_m.tolist() == [5.0]


def test_from_edges_attributes_from_profile():
    net = RoadNetwork.from_edges([0], [1], [1.0], [0, 1], [0, 0], mode="marche")
    assert net.mode == "marche" and net.crs == "EPSG:2154"
    assert net.access_speed_kmh == 4.5 and net.max_snap_m == 500.0
    assert "à pied" in net.description
    assert "2 nœuds" in repr(net) and "1 arcs" in repr(net)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"travel_time_s": [1.0, np.nan]}, "NaN dans travel_time_s"),
        ({"travel_time_s": [1.0, -2.0]}, "négative"),
        ({"travel_time_s": [1.0, np.inf]}, "infinie"),
        ({"v": [1, 5]}, "hors de 0..2 dans v"),
        ({"u": [-1, 0]}, "hors de 0..2 dans u"),
        ({"u": [0.5, 1]}, "non entiers dans u"),
        ({"u": [], "v": [], "travel_time_s": []}, "sans aucun arc"),
        ({"travel_time_s": [1.0]}, "même longueur"),
        ({"length_m": [1.0, np.nan]}, "NaN dans length_m"),
        ({"x": [0.0, np.nan, 1.0]}, "non finies"),
        ({"x": [], "y": []}, "vides"),
    ],
)
def test_from_edges_validation(kwargs, message):
    args = {"u": [0, 1], "v": [1, 2], "travel_time_s": [1.0, 2.0], "x": [0, 1, 2], "y": [0, 0, 0]}
    args.update(kwargs)
    with pytest.raises(NetworkError, match=message):
        RoadNetwork.from_edges(**args)


def test_invalid_mode():
    with pytest.raises(InputError, match="mode de déplacement inconnu"):
        RoadNetwork.from_edges([0], [1], [1.0], [0, 1], [0, 0], mode="avion")


# --------------------------------------------------------------------------- speed model
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        (50, 50.0),
        ("50 mph", 50 * 1.609344),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("FR:motorway", 130.0),
        ("FR:zone30", 30.0),
        ("FR:walk", 6.0),
        ("['50', '30']", 40.0),  # osmnx list string: mean
        (["70", "90"], 80.0),
        ("30;50", 40.0),
        ("['30', 'signals']", 30.0),
        ("none", None),
        ("signals", None),
        ("fast", None),
        ("0", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_parse_maxspeed_min_rule():
    from accessibilite.speeds import load_profile

    prof = dict(load_profile())
    prof["maxspeed"] = {**prof["maxspeed"], "list_rule": "min"}
    assert parse_maxspeed("['50', '30']", prof) == 30.0


@pytest.mark.parametrize(
    ("highway", "maxspeed", "mode", "expected"),
    [
        ("motorway", None, "voiture", 130 * 0.90),
        ("trunk", None, "voiture", 110 * 0.85),
        ("primary", "45", "voiture", 45 * 0.80),
        ("primary", None, "voiture", 80 * 0.80),
        ("secondary", "FR:urban", "voiture", 50 * 0.80),
        ("tertiary", None, "voiture", 80 * 0.75),
        ("residential", None, "voiture", 50 * 0.60),
        ("residential", "FR:zone30", "voiture", 30 * 0.60),
        ("living_street", None, "voiture", 20 * 0.75),
        ("unclassified", "50 mph", "voiture", 50 * 1.609344 * 0.65),
        ("['tertiary', 'tertiary_link']", None, "voiture", min(80 * 0.75, 50 * 0.60)),
        (["unclassified", "residential"], "30", "voiture", 30 * 0.60),
        ("track", None, "voiture", None),
        ("footway", None, "voiture", None),
        ("['residential', 'steps']", None, "voiture", None),
        ("footway", None, "marche", 4.5),
        ("motorway", None, "marche", None),
        ("primary", "80", "velo", 15.0),
        ("footway", None, "velo", None),
        ("cycleway", None, "velo", 15.0),
        (None, None, "voiture", None),
    ],
)
def test_speed_kmh(highway, maxspeed, mode, expected):
    got = speed_kmh(highway, maxspeed, mode)
    assert got == (pytest.approx(expected) if expected is not None else None)


# --------------------------------------------------------------------------- real graph
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "network"
PROFILE = tomllib.loads((ROOT / "data" / "vitesses_fr.toml").read_text(encoding="utf-8"))


def _classes(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _drivable(d: dict) -> bool:
    """Independent re-statement of the voiture filter documented in docs/speed-model.md."""
    conf = PROFILE["voiture"]
    if not all(c in conf["default_kmh"] for c in _classes(d["highway"])):
        return False
    if any(a in ("private", "no") for a in _classes(d.get("access"))):
        return False
    if "service" in _classes(d["highway"]):
        return not any(s in conf["exclude_service"] for s in _classes(d.get("service")))
    return True


@pytest.fixture(scope="module")
def sgl_graph(sgl_graphml):
    import osmnx as ox

    return ox.load_graphml(sgl_graphml)


@pytest.fixture(scope="module")
def sgl_nets(sgl_graphml, sgl_graph):
    with pytest.warns(UserWarning, match="réseau voiture : 434 nœud"):
        nets = {"voiture": RoadNetwork.from_graphml(sgl_graphml, "voiture")}
    for mode in ("marche", "velo"):
        with pytest.warns(UserWarning, match=f"réseau {mode} : .* plus grande composante"):
            nets[mode] = RoadNetwork.from_networkx(sgl_graph, mode)
    return nets


def _largest_scc(H):
    return H.subgraph(max(nx.strongly_connected_components(H), key=len))


def test_sgl_voiture_counts_match_networkx(sgl_graph, sgl_nets):
    net = sgl_nets["voiture"]
    keep = [(u, v, k) for u, v, k, d in sgl_graph.edges(keys=True, data=True) if _drivable(d)]
    H = sgl_graph.edge_subgraph(keep)
    S = _largest_scc(H)
    assert 1_300 < net.n_nodes < 1_600  # PROVENANCE: drivable subset about 1,499 nodes
    assert net.n_nodes == S.number_of_nodes()
    assert net.n_edges == len(set(S.edges()))  # parallel edges merged
    assert net.dropped_nodes == H.number_of_nodes() - S.number_of_nodes()
    assert sorted(net.osmid.tolist()) == net.osmid.tolist() == sorted(S.nodes)
    assert net.mode == "voiture" and net.date == "2022-12-20"
    assert net.description == (
        "Temps de trajet en voiture sur le réseau OpenStreetMap "
        "(yvelines_saint-germain-en-laye_osmnx_all.graphml, 2022-12-20), vitesses légales "
        "françaises (profil vitesses_fr) pondérées par un facteur de réalisme par type de "
        "voie, plus court chemin."
    )
    assert "vitesse constante de 4,5 km/h" in sgl_nets["marche"].description
    assert net.source == "yvelines_saint-germain-en-laye_osmnx_all.graphml"
    n_comp, _ = csgraph.connected_components(net.graph, directed=True, connection="strong")
    assert n_comp == 1


def test_sgl_voiture_csr_equals_networkx_adjacency(sgl_graph, sgl_nets):
    """Every CSR entry is the fastest parallel edge, time = length / profile speed."""
    net = sgl_nets["voiture"]
    S = _largest_scc(
        sgl_graph.edge_subgraph(
            [(u, v, k) for u, v, k, d in sgl_graph.edges(keys=True, data=True) if _drivable(d)]
        )
    )
    D = nx.DiGraph()
    for u, v, d in S.edges(data=True):
        t = max(d["length"] / (speed_kmh(d["highway"], d.get("maxspeed")) / 3.6), MIN_TIME_S)
        if not D.has_edge(u, v) or t < D[u][v]["t"]:
            D.add_edge(u, v, t=t, length=d["length"])
    ref_t = nx.to_scipy_sparse_array(D, nodelist=net.osmid.tolist(), weight="t", format="csr")
    ref_l = nx.to_scipy_sparse_array(D, nodelist=net.osmid.tolist(), weight="length", format="csr")
    assert (abs(ref_t - net.graph)).max() < 1e-9
    assert (abs(ref_l - net.length)).max() < 1e-9
    assert ref_t.nnz == net.n_edges
    assert net.length.data.sum() / 1000 == pytest.approx(
        sum(d["length"] for d in D.edges.values()) / 1000
    )


# (u osmid, v osmid, expected seconds computed by hand from PROVENANCE attributes)
HAND_EDGES = [
    (86035705, 4762169309, 21.718 / (45 * 0.80 / 3.6)),  # primary, maxspeed 45, one-way
    (86035705, 535639308, 175.692 / (30 * 0.60 / 3.6)),  # residential, 30, one-way
    (130216771, 1690546320, 270.021 / (80 * 0.80 / 3.6)),  # primary, no maxspeed
    (243192912, 9592983549, 138.267 / (57.5 * 0.80 / 3.6)),  # secondary ['70', '45'] → mean
    (249841807, 1831394426, 481.621 / (80 * 0.80 / 3.6)),  # secondary, no maxspeed
    (242542766, 535319780, 140.96 / (50 * 0.60 / 3.6)),  # residential, no maxspeed
    (249830215, 414206229, 28.324 / (80 * 0.65 / 3.6)),  # unclassified, no maxspeed
    (242542446, 535312224, 83.708 / (20 * 0.75 / 3.6)),  # living_street 20, access=destination
    (130217027, 130217023, 17.77 / (80 * 0.75 / 3.6)),  # tertiary, no maxspeed
]


@pytest.mark.parametrize(("a", "b", "seconds"), HAND_EDGES)
def test_sgl_edge_times_checked_by_hand(sgl_nets, a, b, seconds):
    net = sgl_nets["voiture"]
    pos = {o: i for i, o in enumerate(net.osmid.tolist())}
    assert net.graph[pos[a], pos[b]] == pytest.approx(seconds, rel=1e-12)


def test_sgl_one_way_directions(sgl_nets):
    """Rue du Président Roosevelt (N 13, one-way, 45 km/h) and a one-way 30 km/h street."""
    pos = {m: {o: i for i, o in enumerate(n.osmid.tolist())} for m, n in sgl_nets.items()}

    def edge(mode, a, b):
        return sgl_nets[mode].graph[pos[mode][a], pos[mode][b]]

    n13 = (86035705, 4762169309)
    assert edge("voiture", *n13) > 0 and edge("voiture", *n13[::-1]) == 0
    assert edge("marche", *n13) == edge("marche", *n13[::-1]) == pytest.approx(21.718 / (4.5 / 3.6))
    assert edge("velo", *n13) == pytest.approx(21.718 / (15 / 3.6))
    assert edge("velo", *n13[::-1]) == 0  # 45 km/h: no double-sens cyclable
    zone30 = (86035705, 535639308)
    assert edge("voiture", *zone30[::-1]) == 0
    assert edge("velo", *zone30[::-1]) == pytest.approx(175.692 / (15 / 3.6))  # contraflow


def test_sgl_marche_and_velo(sgl_graph, sgl_nets):
    marche, velo = sgl_nets["marche"], sgl_nets["velo"]
    # marche: every edge both ways, constant 4.5 km/h
    assert (marche.graph != marche.graph.T).nnz == 0
    assert np.allclose(marche.graph.data, np.maximum(marche.length.data / 1.25, MIN_TIME_S))
    assert np.allclose(velo.graph.data, np.maximum(velo.length.data / (15 / 3.6), MIN_TIME_S))
    assert marche.n_nodes > velo.n_nodes > sgl_nets["voiture"].n_nodes
    # independent count for marche: walkable classes, no access=private/no, both directions
    classes = PROFILE["marche"]["classes"]
    keep = [
        (u, v, k)
        for u, v, k, d in sgl_graph.edges(keys=True, data=True)
        if all(c in classes for c in _classes(d["highway"]))
        and not any(a in ("private", "no") for a in _classes(d.get("access")))
    ]
    H = sgl_graph.edge_subgraph(keep).to_undirected(as_view=True)
    giant = max(nx.connected_components(H), key=len)
    assert marche.n_nodes == len(giant)
    assert marche.n_edges == nx.DiGraph(H.subgraph(giant).to_directed()).number_of_edges()
    for n in (marche, velo):
        assert csgraph.connected_components(n.graph, connection="strong")[0] == 1


# --------------------------------------------------------------------------- OSM files
MINI_OSM = DATA / "mini.osm"
MINI_NODES = {  # osmid: (lon, lat), as written in tests/data/network/mini.osm
    1: (2.0900, 48.9000),
    2: (2.0920, 48.9000),
    3: (2.0940, 48.9000),
    4: (2.0940, 48.9015),
    5: (2.0920, 48.9015),
    6: (2.0900, 48.9015),
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
    with pytest.warns(UserWarning, match="1 nœud"):
        net = RoadNetwork.from_osm(MINI_OSM, "voiture")
    assert net.osmid.tolist() == [1, 2, 3, 5, 6]  # 11: dead end of a one-way street, dropped
    assert net.dropped_nodes == 1
    got = _edge_dict(net)
    expected = {
        (1, 2): _gc(1, 2) / (50 * 0.80 / 3.6),  # primary, maxspeed 50, two-way
        (2, 1): _gc(1, 2) / (50 * 0.80 / 3.6),
        (2, 3): _gc(2, 3) / (50 * 0.80 / 3.6),
        (3, 2): _gc(2, 3) / (50 * 0.80 / 3.6),
        (3, 5): (_gc(3, 4) + _gc(4, 5)) / (30 * 0.60 / 3.6),  # one-way, FR:zone30, via 4
        (5, 2): _gc(5, 2) / (50 * 0.60 / 3.6),  # one-way residential, no maxspeed
        (5, 6): _gc(5, 6) / (80 * 0.75 / 3.6),  # tertiary, no maxspeed
        (6, 5): _gc(5, 6) / (80 * 0.75 / 3.6),
        (6, 1): _gc(6, 1) / (30 * 1.609344 * 0.65 / 3.6),  # unclassified "30 mph"
        (1, 6): _gc(6, 1) / (30 * 1.609344 * 0.65 / 3.6),
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
    assert marche.osmid.tolist() == [1, 2, 3, 5, 6, 11] and marche.dropped_nodes == 0
    got = _edge_dict(marche)
    assert len(got) == 14 and all((b, a) in got for a, b in got)
    assert got[(5, 3)] == pytest.approx((_gc(3, 4) + _gc(4, 5)) / 1.25, rel=1e-6)
    # the footway detour 2-9-10-1 is a slower parallel edge to 2-1: the fastest is kept
    assert got[(2, 1)] == pytest.approx(_gc(1, 2) / 1.25, rel=1e-6)
    velo = RoadNetwork.from_osm(MINI_OSM, "velo")
    got = _edge_dict(velo)
    assert (5, 3) in got  # one-way zone 30: double-sens cyclable
    assert (2, 5) not in got  # one-way at 50 km/h: no contraflow
    assert (6, 11) in got and (11, 6) in got  # living_street (20 km/h) one-way: contraflow
    assert len(got) == 13 and velo.dropped_nodes == 0
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
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "mini.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(MINI_OSM)):
        if obj.is_node():
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
    writer.close()
    return pbf


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
    assert e.travel_time_s.tolist() == pytest.approx(
        [110 / (40 / 3.6), 100 / (30 / 3.6), 300 / (15 / 3.6), 300 / (15 / 3.6)]
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


# --------------------------------------------------------------------------- save / load
def _assert_same(a, b):
    for attr in ("x", "y", "osmid"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr))
    for attr in ("graph", "length"):
        m, n = getattr(a, attr), getattr(b, attr)
        assert np.array_equal(m.indptr, n.indptr) and np.array_equal(m.indices, n.indices)
        assert np.array_equal(m.data, n.data)
    for attr in ("mode", "crs", "description", "access_speed_kmh", "max_snap_m"):
        assert getattr(a, attr) == getattr(b, attr)
    for attr in ("dropped_nodes", "source", "date"):
        assert getattr(a, attr) == getattr(b, attr)


def test_save_load_round_trip(sgl_nets, tiny, tmp_path):
    for name, net in [("sgl", sgl_nets["voiture"]), ("tiny", tiny)]:
        path = net.save(tmp_path / f"{name}.npz")
        again = RoadNetwork.load(path)
        _assert_same(net, again)
        pd.testing.assert_frame_equal(net.edges(), again.edges())
        assert again.save(tmp_path / f"{name}2.npz").read_bytes() == path.read_bytes()
    with np.load(tmp_path / "sgl.npz", allow_pickle=False) as z:  # plain npz, no pickle
        assert sorted(z.files)[:3] == ["indices", "indptr", "length"]


def test_load_rejects_tampered_network(tiny, tmp_path):
    with np.load(tiny.save(tmp_path / "ok.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["time"] = arrays["time"].copy()
    arrays["time"][0] = np.nan
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(DataFileError, match="nan.npz: .*NaN dans graph"):
        RoadNetwork.load(tmp_path / "nan.npz")


def test_constructor_validation(tiny):
    with pytest.raises(NetworkError, match="même structure creuse"):
        RoadNetwork(tiny.x, tiny.y, tiny.graph, tiny.graph[:, [1, 0, 2, 3]].tocsr())
    with pytest.raises(NetworkError, match="matrice CSR 3×3"):
        RoadNetwork(tiny.x[:3], tiny.y[:3], tiny.graph, tiny.length)
    with pytest.raises(NetworkError, match="tailles incohérentes"):
        RoadNetwork(tiny.x, tiny.y[:3], tiny.graph, tiny.length)


def test_load_errors(tmp_path):
    with pytest.raises(DataFileError, match="absent.npz: fichier de réseau introuvable"):
        RoadNetwork.load(tmp_path / "absent.npz")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(DataFileError, match="bad.npz: fichier de réseau illisible"):
        RoadNetwork.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(DataFileError, match="other.npz: fichier de réseau illisible"):
        RoadNetwork.load(tmp_path / "other.npz")


# --------------------------------------------------------------------------- download
@pytest.fixture
def sgl_territory():
    """A small polygon (EPSG:2154) in the middle of Saint-Germain-en-Laye."""
    from pyproj import Transformer
    from shapely.geometry import Point

    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(2.093, 48.898)
    return Point(x, y).buffer(500.0)


def test_download_buffers_caches_and_builds(
    monkeypatch, tmp_path, sgl_graph, sgl_nets, sgl_territory
):
    import osmnx as ox

    from accessibilite import settings

    calls = []

    def fake_graph_from_polygon(polygon, **kwargs):
        calls.append((polygon, kwargs))
        assert "maxspeed" in ox.settings.useful_tags_way
        assert "motor_vehicle" in ox.settings.useful_tags_way  # extra access tags kept
        return sgl_graph.copy()

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph_from_polygon)
    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    monkeypatch.setattr(settings, "progress", False)
    with pytest.warns(UserWarning):
        net = RoadNetwork.download(sgl_territory, buffer_km=2)
    assert "motor_vehicle" not in ox.settings.useful_tags_way  # restored
    polygon, kwargs = calls[0]
    minx, miny, maxx, maxy = polygon.bounds  # WGS84, 500 m + 2 km around the point
    assert 2.05 < minx < 2.07 and 2.11 < maxx < 2.14 and 48.87 < miny < 48.88 < 48.91 < maxy
    assert kwargs["simplify"] is True and kwargs["retain_all"] is False
    base, *overrides = kwargs["custom_filter"]  # union of Overpass filters
    assert base.startswith('["highway"~"^(living_street|motorway|motorway_link|primary|')
    assert base.endswith('["access"!~"^(private|no)$"]') and '["area"!~"^(yes)$"]' in base
    assert [f[f.rindex("[") :] for f in overrides] == [
        '["motor_vehicle"~"^(yes|destination|designated|permissive)$"]',
        '["motorcar"~"^(yes|destination|designated|permissive)$"]',
    ]
    pd.testing.assert_frame_equal(net.edges(), sgl_nets["voiture"].edges())
    assert net.source == "Overpass API via osmnx" and net.date == "2022-12-20"
    cached = list((tmp_path / "reseaux").glob("reseau_voiture_*.npz"))
    assert len(cached) == 1

    def offline(polygon, **kwargs):
        raise ConnectionError("pas de réseau")

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    again = RoadNetwork.download(sgl_territory, buffer_km=2)  # from the cache
    _assert_same(net, again)
    with pytest.raises(DownloadError, match="téléchargement du réseau OpenStreetMap impossible"):
        RoadNetwork.download(sgl_territory, buffer_km=2, cache=False)
    with pytest.raises(DownloadError):  # another buffer: another cache key
        RoadNetwork.download(sgl_territory, buffer_km=3)


def test_download_territory_errors():
    import geopandas as gpd

    with pytest.raises(InputError, match="territoire de type str"):
        RoadNetwork.download("Landes")
    with pytest.raises(InputError, match="territoire vide"):
        RoadNetwork.download(gpd.GeoDataFrame(geometry=[], crs=2154))


# --------------------------------------------------------------------------- delegated options
@pytest.fixture
def lattice():
    """5 × 4 grid, 100 m spacing, two-way except one one-way row, times vary by edge."""
    rng = np.random.default_rng(3)
    side_x, side_y = 5, 4
    n = side_x * side_y
    jj, ii = np.divmod(np.arange(n), side_y)
    x, y = 700_000.0 + 100.0 * jj, 6_600_000.0 + 100.0 * ii
    node = np.arange(n).reshape(side_x, side_y)
    a = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    b = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    two_way = ~np.isin(a, node[:, 0]) | ~np.isin(b, node[:, 0])  # row 0: one-way a → b
    u, v = np.concatenate([a, b[two_way]]), np.concatenate([b, a[two_way]])
    length = np.hypot(x[v] - x[u], y[v] - y[u]) * rng.uniform(1.0, 1.5, u.size)
    time = length / rng.choice([5.0, 10.0, 20.0], size=u.size)
    return RoadNetwork.from_edges(u, v, time, x, y, length)


def _services_at(net, nodes):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"service_id": [f"S{i}" for i in nodes]},
        geometry=gpd.points_from_xy(net.x[nodes], net.y[nodes]),
        crs=net.crs,
    )


def test_nearest_forwards_distances(lattice):
    services = _services_at(lattice, [0, 17])
    default = lattice.nearest(services)
    assert default.distance_m.isna().all()  # whole network: distances off by default
    got = lattice.nearest(services, distances=True)
    assert np.isfinite(got.distance_m).all()
    # oracle: networkx Dijkstra on the reversed graph (home → service), lengths summed
    e = lattice.edges()
    D = nx.DiGraph()
    D.add_weighted_edges_from(zip(e.v, e.u, e.travel_time_s, strict=True), weight="t")
    nx.set_edge_attributes(
        D, {(b, a): m for a, b, m in zip(e.u, e.v, e.length_m, strict=True)}, "length"
    )
    times, paths = nx.multi_source_dijkstra(D, {0, 17}, weight="t")
    for node in range(lattice.n_nodes):
        path = paths[node]
        assert got.time_s[node] == pytest.approx(times[node], abs=1e-6)
        assert got.service_id[node] == f"S{path[0]}"
        metres = sum(D[p][q]["length"] for p, q in zip(path[:-1], path[1:], strict=True))
        assert got.distance_m[node] == pytest.approx(metres, abs=1e-6)
    pd.testing.assert_series_equal(got.time_s, default.time_s)


def test_isochrones_forwards_buffer_and_cell(lattice):
    from accessibilite import isochrones

    services = _services_at(lattice, [0])
    narrow = lattice.isochrones(services, (1, 2), buffer_m=30.0, cell_m=10.0)
    wide = lattice.isochrones(services, (1, 2), buffer_m=80.0, cell_m=10.0)
    direct = isochrones.isochrones(lattice, services, (1, 2), buffer_m=30.0, cell_m=10.0)
    assert narrow.bande_min.tolist() == [1, 2]
    assert narrow.geometry.geom_equals_exact(direct.geometry, tolerance=0).all()
    assert (narrow.area < wide.area).all()
    assert not narrow.geometry.geom_equals_exact(
        lattice.isochrones(services, (1, 2)).geometry, tolerance=0
    ).all()  # defaults (100 m) give other polygons
