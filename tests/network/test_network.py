"""Tests of accessibilite.network: from_edges, the real graph, save/load, download cache, delegation.

Speed model: tests/test_speeds.py; OSM files and osmnx graphs: tests/test_osm.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csgraph

from accessibilite.errors import DataFileError, DownloadError, InputError, NetworkError
from accessibilite.network.road import MIN_TIME_S, RoadNetwork
from accessibilite.network.speeds import speed_kmh


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


# --------------------------------------------------------------------------- real graph
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data" / "network"
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
        "voie et réduites sur les routes sinueuses, plus court chemin."
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
    bends = _curve_oracle(sgl_graph)
    curved = 0
    for u, v, d in S.edges(data=True):
        factor = bends(u, v, d)
        curved += factor < 1
        kmh = speed_kmh(d["highway"], d.get("maxspeed")) * factor
        t = max(d["length"] / (kmh / 3.6), MIN_TIME_S)
        if not D.has_edge(u, v) or t < D[u][v]["t"]:
            D.add_edge(u, v, t=t, length=d["length"])
    ref_t = nx.to_scipy_sparse_array(D, nodelist=net.osmid.tolist(), weight="t", format="csr")
    ref_l = nx.to_scipy_sparse_array(D, nodelist=net.osmid.tolist(), weight="length", format="csr")
    assert (abs(ref_t - net.graph)).max() < 1e-9
    assert (abs(ref_l - net.length)).max() < 1e-9
    assert ref_t.nnz == net.n_edges
    assert curved > 50  # the winding-road factor is exercised (slopes of the Seine valley)
    assert net.length.data.sum() / 1000 == pytest.approx(
        sum(d["length"] for d in D.edges.values()) / 1000
    )


def _curve_oracle(G):
    """Winding-road factor of an osmnx edge, recomputed from the TOML profile.

    Sinuosity = osmnx length / straight line between the end nodes in Lambert-93;
    the profile's break points interpolated linearly; only the listed classes.
    """
    from pyproj import Transformer

    root = Path(__file__).resolve().parents[2]
    conf = tomllib.loads((root / "data" / "vitesses_fr.toml").read_text())["voiture"]["curvature"]
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    xy = {n: to_l93.transform(d["x"], d["y"]) for n, d in G.nodes(data=True)}

    def factor(u, v, d):
        highway = d["highway"] if isinstance(d["highway"], list) else [d["highway"]]
        if not set(highway) & set(conf["classes"]):
            return 1.0
        chord = float(np.hypot(xy[v][0] - xy[u][0], xy[v][1] - xy[u][1]))
        if chord == 0:
            return 1.0
        return float(np.interp(max(d["length"] / chord, 1.0), conf["sinuosity"], conf["factor"]))

    return factor


# (u osmid, v osmid, expected seconds computed by hand from PROVENANCE attributes)
HAND_EDGES = [
    (86035705, 4762169309, 21.718 / (45 * 0.80 / 3.6)),  # primary, maxspeed 45, one-way
    (86035705, 535639308, 175.692 / (30 * 0.60 / 3.6)),  # residential, 30, one-way
    (130216771, 1690546320, 270.021 / (80 * 0.80 / 3.6)),  # primary, no maxspeed
    (243192912, 9592983549, 138.267 / (57.5 * 0.80 / 3.6)),  # secondary ['70', '45'] → mean
    (249841807, 1831394426, 481.621 / (80 * 0.80 / 3.6)),  # secondary, no maxspeed
    (242542766, 535319780, 140.96 / (50 * 0.60 / 3.6)),  # residential, no maxspeed
    (249830215, 414206229, 28.324 / (80 * 0.45 / 3.6)),  # unclassified, no maxspeed
    (242542446, 535312224, 83.708 / (20 * 0.75 / 3.6)),  # living_street 20, access=destination
    (130217027, 130217023, 17.77 / (80 * 0.67 / 3.6)),  # tertiary, no maxspeed
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

    from accessibilite import settings, sources

    calls = []
    # Overpass is faked: the connection probe would see the sockets blocked by conftest
    monkeypatch.setattr(sources, "check_connection", lambda url, timeout=None: None)

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
    from accessibilite.network import isochrones

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
