"""Routing engine: snapping, nearest service, time matrix, against networkx Dijkstra."""

from __future__ import annotations

import types

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from accessibilite.errors import InputError, MissingColumnError, NetworkError
from accessibilite.network import routing

CRS = "EPSG:2154"
X0, Y0 = 650_000.0, 6_860_000.0


def stand_in(u, v, t, x, y, length=None, access_speed_kmh=3.6, max_snap_m=50.0):
    """A minimal network object with only the attributes routing may use."""
    n = len(x)
    u, v = np.asarray(u), np.asarray(v)
    if length is None:
        length = np.hypot(np.asarray(x)[v] - np.asarray(x)[u], np.asarray(y)[v] - np.asarray(y)[u])
    return types.SimpleNamespace(
        x=np.asarray(x, float),
        y=np.asarray(y, float),
        graph=sp.csr_matrix((np.asarray(t, float), (u, v)), shape=(n, n)),
        length=sp.csr_matrix((np.asarray(length, float), (u, v)), shape=(n, n)),
        crs=CRS,
        mode="voiture",
        access_speed_kmh=access_speed_kmh,
        max_snap_m=max_snap_m,
    )


def points(xy, ids=None, crs=CRS):
    xy = np.asarray(xy, float)
    data = {} if ids is None else {"service_id": ids}
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


# ---------------------------------------------------------------- hand-made graph
# Nodes on a line, 100 m apart; node 4 is isolated.
#   0 <-> 1 (10 s), 1 -> 2 (5 s, one-way), 2 <-> 3 (20 s), 3 -> 1 (7 s, one-way)
HAND_X = X0 + np.array([0.0, 100.0, 200.0, 300.0, 400.0])
HAND_Y = np.full(5, Y0)
HAND_EDGES = [(0, 1, 10.0, 110.0), (1, 0, 10.0, 110.0), (1, 2, 5.0, 120.0), (2, 3, 20.0, 130.0),
              (3, 2, 20.0, 130.0), (3, 1, 7.0, 140.0)]  # fmt: skip


@pytest.fixture
def hand():
    u, v, t, length = (np.array(c) for c in zip(*HAND_EDGES, strict=True))
    return stand_in(u, v, t, HAND_X, HAND_Y, length)


def test_snap_distances_and_flag(hand):
    pts = points([[X0 + 3, Y0 + 4], [X0 + 190, Y0], [X0 + 400, Y0 + 60]])
    pts.index = [10, 11, 12]
    out = routing.snap(hand, pts)
    assert list(out.index) == [10, 11, 12]
    assert out["node"].tolist() == [0, 2, 4]
    np.testing.assert_allclose(out["snap_m"], [5.0, 10.0, 60.0])
    assert out["au_dela_snap"].tolist() == [False, False, True]
    # (x, y) arrays give the same answer
    arr = routing.snap(hand, (pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()))
    assert arr["node"].tolist() == [0, 2, 4]


def test_snap_reprojects(hand):
    pts = points([[X0 + 100, Y0 + 2]]).to_crs("EPSG:4326")
    out = routing.snap(hand, pts)
    assert out["node"].tolist() == [1]
    assert out["snap_m"].iloc[0] == pytest.approx(2.0, abs=1e-3)


def test_nearest_hand_computed(hand):
    # service A 3 m from node 0 (3 s access leg at 1 m/s)
    svc = points([[X0, Y0 + 3]], ["A"])
    out = routing.nearest(hand, svc)
    assert list(out.columns) == ["time_s", "service_id", "distance_m"]
    # home -> service: 1->0 = 10; 3->1->0 = 17; 2->3->1->0 = 37 (2->1 does not exist)
    np.testing.assert_allclose(out["time_s"].to_numpy()[:4], [3, 13, 40, 20])
    assert np.isinf(out["time_s"].iloc[4])  # isolated node: inf, not 0
    assert out["service_id"].tolist() == ["A", "A", "A", "A", None]
    # route lengths computed on demand: road + service leg
    dist = routing.nearest(hand, svc, distances=True)["distance_m"].to_numpy()
    np.testing.assert_allclose(dist[:4], [3, 113, 130 + 140 + 110 + 3, 140 + 110 + 3])
    assert np.isinf(dist[4])


def test_nearest_two_services_and_origins(hand):
    svc = points([[X0, Y0], [X0 + 300, Y0 + 4]], ["A", "B"])
    out = routing.nearest(hand, svc)
    # node 2: A via 3->1->0 = 37, B via 2->3 = 20 + 4 s leg = 24 -> B
    np.testing.assert_allclose(out["time_s"].to_numpy()[:4], [0, 10, 24, 4])
    assert out["service_id"].tolist()[:4] == ["A", "A", "B", "B"]
    orig = points([[X0 + 200, Y0 - 2], [X0 + 100, Y0], [X0 + 400, Y0 + 100]])
    orig.index = ["p", "q", "r"]
    res = routing.nearest(hand, svc, orig)
    assert list(res.index) == ["p", "q", "r"]
    assert list(res.columns) == ["time_s", "service_id", "distance_m", "snap_m"]
    np.testing.assert_allclose(res["snap_m"], [2, 0, 100])
    np.testing.assert_allclose(res["time_s"].to_numpy()[:2], [26, 10])
    np.testing.assert_allclose(res["distance_m"].to_numpy()[:2], [2 + 130 + 4, 110])
    # origin 100 m from the network (> max_snap_m = 50): flagged, unreachable
    assert np.isinf(res["time_s"].iloc[2]) and res["service_id"].iloc[2] is None
    assert np.isinf(res["distance_m"].iloc[2])


def test_oneway_gives_different_directions(hand):
    a, b = points([[X0 + 200, Y0]]), points([[X0, Y0]])
    there = routing.time_matrix(hand, a, b)[0, 0]  # 2 -> 0
    back = routing.time_matrix(hand, b, a)[0, 0]  # 0 -> 2
    assert there == pytest.approx(37.0) and back == pytest.approx(15.0)


def test_time_matrix_hand(hand):
    pts = points(np.column_stack([HAND_X, HAND_Y]))
    m = routing.time_matrix(hand, pts, pts)
    inf = np.inf
    expected = np.array([
        [0, 10, 15, 35, inf],
        [10, 0, 5, 25, inf],
        [37, 27, 0, 20, inf],
        [17, 7, 12, 0, inf],
        [inf, inf, inf, inf, 0],
    ])  # fmt: skip
    np.testing.assert_allclose(m, expected)
    # three origins (duplicate included) vs two destinations: search from either side
    o = points([[X0 + 200, Y0 + 1], [X0 + 300, Y0], [X0 + 200, Y0 + 1]])
    d = points([[X0, Y0 - 2], [X0 + 100, Y0]])
    got = routing.time_matrix(hand, o, d)
    np.testing.assert_allclose(got, [[1 + 37 + 2, 1 + 27], [17 + 2, 7], [40, 28]])
    # an origin beyond max_snap_m (50 m) gets a row of inf
    far = routing.time_matrix(hand, points([[X0 + 100, Y0 + 70], [X0, Y0]]), d)
    assert np.isinf(far[0]).all() and np.isfinite(far[1]).all()


def test_bad_services(hand):
    with pytest.raises(InputError, match="vide"):
        routing.nearest(hand, points(np.zeros((0, 2)), []))
    with pytest.raises(InputError, match="hors de la zone"):
        routing.nearest(hand, points([[X0 + 5000, Y0]], ["far"]))
    with pytest.raises(MissingColumnError, match="service_id"):
        routing.nearest(hand, points([[X0, Y0]]))
    with pytest.raises(InputError, match="dupliqués"):
        routing.nearest(hand, points([[X0, Y0], [X0 + 100, Y0]], ["A", "A"]))
    with pytest.warns(UserWarning, match="far"):
        out = routing.nearest(hand, points([[X0, Y0], [X0 + 5000, Y0]], ["A", "far"]))
    assert set(out["service_id"].dropna()) == {"A"}


def test_bad_points_and_graph(hand):
    with pytest.raises(InputError, match="géométrie"):
        routing.snap(hand, gpd.GeoSeries([None], crs=CRS))
    with pytest.raises(InputError, match="non finie"):
        routing.snap(hand, (np.array([np.nan]), np.array([Y0])))
    bad = stand_in([0, 1], [1, 0], [1.0, np.nan], HAND_X[:2], HAND_Y[:2])
    with pytest.raises(NetworkError, match="NaN"):
        routing.nearest(bad, points([[X0, Y0]], ["A"]))
    neg = stand_in([0, 1], [1, 0], [1.0, -2.0], HAND_X[:2], HAND_Y[:2])
    with pytest.raises(NetworkError, match="négatifs"):
        routing.time_matrix(neg, points([[X0, Y0]]), points([[X0, Y0]]))


def test_shapely_points_and_unreadable_points(hand):
    import shapely

    # a list of shapely points (no CRS: the network's) is read like a GeoSeries
    o = [shapely.Point(X0 + 200, Y0 + 1), shapely.Point(X0 + 300, Y0)]
    d = points([[X0, Y0 - 2], [X0 + 100, Y0]])
    np.testing.assert_allclose(routing.time_matrix(hand, o, d), [[40, 28], [19, 7]])
    assert routing.snap(hand, shapely.Point(X0 + 3, Y0 + 4))["snap_m"].tolist() == [5.0]
    # text or mixed objects: the package's French error, not a numpy TypeError
    for bad in ("abc", [shapely.Point(X0, Y0), "x"]):
        with pytest.raises(InputError, match="origines : attendu"):
            routing.time_matrix(hand, bad, d)


# ---------------------------------------------------------------- networkx oracle
def random_network(seed: int, n: int = 300, m: int = 900):
    """Random sparse directed graph (some nodes unreachable), coordinates, weights."""
    rng = np.random.default_rng(seed)
    x = X0 + rng.uniform(0, 5000, n)
    y = Y0 + rng.uniform(0, 5000, n)
    pairs = {}
    for a, b in rng.integers(0, n, size=(m, 2)):
        if a != b:
            pairs[(int(a), int(b))] = (rng.uniform(1, 100), rng.uniform(10, 2000))
    u, v = np.array(list(pairs)).T
    t, length = np.array(list(pairs.values())).T
    net = stand_in(u, v, t, x, y, length, access_speed_kmh=5.0, max_snap_m=200.0)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for (a, b), (w, ln) in pairs.items():
        g.add_edge(a, b, time=w, length=ln)
    return net, g, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_equals_networkx_random(seed):
    net, g, rng = random_network(seed)
    n = g.number_of_nodes()
    s_nodes = rng.choice(n, size=6, replace=False)
    # services exactly on nodes: plain multi-source Dijkstra on the reversed graph
    svc = points(np.column_stack([net.x[s_nodes], net.y[s_nodes]]), [f"S{i}" for i in s_nodes])
    out = routing.nearest(net, svc, distances=True)
    rev = g.reverse(copy=False)
    lengths, paths = nx.multi_source_dijkstra(rev, set(s_nodes.tolist()), weight="time")
    expected = np.full(n, np.inf)
    expected[list(lengths)] = list(lengths.values())
    np.testing.assert_allclose(out["time_s"].to_numpy(), expected, rtol=0, atol=1e-6)
    assert np.isinf(expected).sum() > 0  # the oracle graph does have unreachable nodes
    for node, path in paths.items():  # random float weights: shortest paths are unique
        assert out["service_id"].iloc[node] == f"S{path[0]}"
        road = sum(g.edges[b, a]["length"] for a, b in zip(path[:-1], path[1:], strict=True))
        assert out["distance_m"].iloc[node] == pytest.approx(road, abs=1e-6)
    assert out["service_id"][np.isinf(expected)].isna().all()


@pytest.mark.parametrize("seed", [3, 4])
def test_access_legs_equal_networkx_super_source(seed):
    net, g, rng = random_network(seed)
    n = g.number_of_nodes()
    s_nodes = rng.choice(n, size=5, replace=False)
    off = rng.uniform(-100, 100, size=(5, 2))
    svc = points(np.column_stack([net.x[s_nodes], net.y[s_nodes]]) + off, list("ABCDE"))
    snapped = routing.snap(net, svc)
    legs = snapped["snap_m"].to_numpy() / (5.0 / 3.6)
    # oracle: reversed graph + one "virtual" node per service, edge weight = access leg
    rev = g.reverse(copy=True)
    for sid, node, leg in zip("ABCDE", snapped["node"], legs, strict=True):
        rev.add_edge(sid, int(node), time=leg)
    expected = nx.multi_source_dijkstra_path_length(rev, set("ABCDE"), weight="time")
    out = routing.nearest(net, svc)
    got = out["time_s"].to_numpy()
    for node in range(n):
        assert got[node] == pytest.approx(expected.get(node, np.inf), abs=1e-6)
    # origins: add their own access leg
    o_xy = rng.uniform(0, 5000, size=(40, 2)) + [X0, Y0]
    orig = points(o_xy)
    o_snap = routing.snap(net, orig)
    res = routing.nearest(net, svc, orig)
    exp_o = [
        np.inf if beyond else expected.get(int(node), np.inf) + d / (5.0 / 3.6)
        for node, d, beyond in o_snap.itertuples(index=False)
    ]
    np.testing.assert_allclose(res["time_s"].to_numpy(), exp_o, rtol=0, atol=1e-6)


@pytest.mark.parametrize("seed", [5, 6])
def test_time_matrix_equals_networkx_both_sides(seed):
    net, g, rng = random_network(seed, n=150, m=500)
    o = rng.choice(150, size=12)
    d = rng.choice(150, size=5)
    expected = np.array(
        [[nx.shortest_path_length(g, a, b, weight="time") if nx.has_path(g, a, b) else np.inf
          for b in d] for a in o]
    )  # fmt: skip
    zero_o, zero_d = np.zeros(len(o)), np.zeros(len(d))
    from_d = routing._time_matrix_nodes(net, o, zero_o, d, zero_d, from_side="destinations")
    from_o = routing._time_matrix_nodes(net, o, zero_o, d, zero_d, from_side="origins")
    np.testing.assert_allclose(from_d, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(from_o, from_d, rtol=0, atol=1e-9)
    assert np.isinf(expected).any() and (expected > 0).any()
    # public entry point, points on the nodes
    pub = routing.time_matrix(net, points(np.column_stack([net.x[o], net.y[o]])),
                              points(np.column_stack([net.x[d], net.y[d]])))  # fmt: skip
    np.testing.assert_allclose(pub, expected, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- real OSM graph
@pytest.fixture(scope="module")
def sgl(sgl_graphml):
    """Saint-Germain-en-Laye: our network and the networkx graph with the same weights."""
    import osmnx as ox

    g = ox.project_graph(ox.load_graphml(sgl_graphml), to_crs=CRS)
    g = ox.add_edge_travel_times(ox.add_edge_speeds(g))
    ids = list(g.nodes)
    pos = {k: i for i, k in enumerate(ids)}
    best = {}
    for a, b, data in g.edges(data=True):
        key = (pos[a], pos[b])
        cand = (float(data["travel_time"]), float(data["length"]))
        if key not in best or cand < best[key]:
            best[key] = cand
    u, v = np.array(list(best)).T
    t, length = np.array(list(best.values())).T
    x = np.array([g.nodes[k]["x"] for k in ids])
    y = np.array([g.nodes[k]["y"] for k in ids])
    net = stand_in(u, v, t, x, y, length, access_speed_kmh=20.0, max_snap_m=1000.0)
    return net, nx.relabel_nodes(g, pos)


def test_real_graph_nearest_equals_networkx(sgl):
    net, g = sgl
    rng = np.random.default_rng(0)
    s_nodes = rng.choice(len(net.x), size=8, replace=False)
    svc = points(np.column_stack([net.x[s_nodes], net.y[s_nodes]]), [f"fs{i}" for i in range(8)])
    out = routing.nearest(net, svc, distances=True)
    lengths, paths = nx.multi_source_dijkstra(g.reverse(copy=False), set(s_nodes.tolist()),
                                              weight="travel_time")  # fmt: skip
    expected = np.full(len(net.x), np.inf)
    expected[list(lengths)] = list(lengths.values())
    np.testing.assert_allclose(out["time_s"].to_numpy(), expected, rtol=0, atol=1e-6)
    assert np.isinf(expected).any()  # OSM extract: some nodes cannot reach any service
    # route lengths: networkx path, fastest parallel edge
    for node in rng.choice(list(paths), size=200, replace=False):
        path = paths[node][::-1]  # travel order, node -> service
        road = sum(min(d["length"] for d in g[a][b].values() if d["travel_time"] ==
                       min(e["travel_time"] for e in g[a][b].values()))
                   for a, b in zip(path[:-1], path[1:], strict=True))  # fmt: skip
        assert out["distance_m"].iloc[node] == pytest.approx(road, abs=1e-6)


def test_real_graph_oneways_and_matrix(sgl):
    net, g = sgl
    rng = np.random.default_rng(1)
    nodes = rng.choice(len(net.x), size=30, replace=False)
    pts = points(np.column_stack([net.x[nodes], net.y[nodes]]))
    m = routing.time_matrix(net, pts, pts)
    asym = 0
    for i, a in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(g, int(a), weight="travel_time")
        exp = np.array([lengths.get(int(b), np.inf) for b in nodes])
        np.testing.assert_allclose(m[i], exp, rtol=0, atol=1e-6)
    finite = np.isfinite(m) & np.isfinite(m.T)
    asym = np.abs(m - m.T)[finite]
    assert (asym > 1.0).sum() > 10  # one-way streets: A->B differs from B->A
    sub = routing._time_matrix_nodes(net, nodes[:20], np.zeros(20), nodes[:3], np.zeros(3),
                                     from_side="origins")  # fmt: skip
    np.testing.assert_allclose(sub, m[:20, :3], rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def sgl_net(sgl_graphml):
    """The real network as the library builds it (voiture, largest SCC)."""
    from accessibilite import RoadNetwork

    with pytest.warns(UserWarning):  # nodes outside the largest SCC are reported
        net = RoadNetwork.from_graphml(sgl_graphml)
    edges = net.edges()
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for a, b, t, ln in edges[["u", "v", "travel_time_s", "length_m"]].itertuples(index=False):
        g.add_edge(int(a), int(b), time=t, length=ln)
    return net, g


def test_road_network_nearest_with_access_legs(sgl_net):
    net, g = sgl_net
    rng = np.random.default_rng(2)
    s_nodes = rng.choice(net.n_nodes, size=6, replace=False)
    off = rng.uniform(-150, 150, size=(6, 2))
    svc = points(np.column_stack([net.x[s_nodes], net.y[s_nodes]]) + off, list("ABCDEF"))
    snapped = net.snap(svc)
    speed = net.access_speed_kmh / 3.6
    rev = g.reverse(copy=True)
    for sid, node, d in zip("ABCDEF", snapped["node"], snapped["snap_m"], strict=True):
        rev.add_edge(sid, int(node), time=d / speed, length=d)
    lengths, paths = nx.multi_source_dijkstra(rev, set("ABCDEF"), weight="time")
    out = net.nearest(svc)  # delegates to routing.nearest
    expected = np.array([lengths[i] for i in range(net.n_nodes)])
    np.testing.assert_allclose(out["time_s"].to_numpy(), expected, rtol=0, atol=1e-6)
    assert out["service_id"].tolist() == [paths[i][0] for i in range(net.n_nodes)]
    # origins off the network: own access leg, route length through networkx's path
    o_xy = np.column_stack([net.x, net.y])[rng.choice(net.n_nodes, 50)] + rng.uniform(
        -80, 80, (50, 2)
    )
    orig = points(o_xy)
    orig.index = np.arange(100, 150)
    o_snap = net.snap(orig)
    res = net.nearest(svc, orig)
    assert list(res.index) == list(range(100, 150))
    for label, (node, d, _) in o_snap.iterrows():
        path = paths[int(node)]
        route = sum(rev.edges[a, b]["length"] for a, b in zip(path[:-1], path[1:], strict=True))
        assert res.loc[label, "time_s"] == pytest.approx(expected[node] + d / speed, abs=1e-6)
        assert res.loc[label, "distance_m"] == pytest.approx(route + d, abs=1e-6)
        assert res.loc[label, "service_id"] == path[0]


def test_road_network_time_matrix(sgl_net):
    net, g = sgl_net
    rng = np.random.default_rng(3)
    o, d = rng.choice(net.n_nodes, 7), rng.choice(net.n_nodes, 4)
    m = net.time_matrix(points(np.column_stack([net.x[o], net.y[o]])),
                        points(np.column_stack([net.x[d], net.y[d]])))  # fmt: skip
    for i, a in enumerate(o):
        for j, b in enumerate(d):
            exp = nx.dijkstra_path_length(g, int(a), int(b), weight="time")
            assert m[i, j] == pytest.approx(exp, abs=1e-6)
