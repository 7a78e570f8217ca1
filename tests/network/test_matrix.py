"""Matrix engines (Dijkstra, contraction hierarchies), bounded matrices and the two-label pass.

Every engine is checked against an independent oracle: networkx Dijkstra on
random directed graphs (one-ways, several components, parallel edges) and the
plain scipy engine on the real Saint-Germain-en-Laye road network.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from test_routing import CRS, X0, Y0, points, stand_in

import accessibilite
from accessibilite.errors import NetworkError
from accessibilite.network import routing
from accessibilite.network.ch import build_ch, ch_matrix
from accessibilite.network.second import nearest_two


def random_graph(seed: int, n: int = 120, m: int = 330):
    """Random sparse directed graph: one-ways, ~3 components, some zero times."""
    rng = np.random.default_rng(seed)
    comp = rng.integers(0, 3, n)  # no edge between components: unreachable pairs
    u = rng.integers(0, n, 3 * m)
    v = rng.integers(0, n, 3 * m)
    keep = (comp[u] == comp[v]) & (u != v)
    pairs = np.unique(np.column_stack([u[keep], v[keep]]), axis=0)[:m]
    u, v = pairs[:, 0], pairs[:, 1]
    t = np.round(rng.uniform(0, 60, len(u)), 1)  # 0.0 s edges included
    t[rng.random(len(u)) < 0.03] = 0.0
    x = X0 + rng.uniform(0, 5000, n)
    y = Y0 + rng.uniform(0, 5000, n)
    return u, v, t, x, y


def oracle(u, v, t, n) -> np.ndarray:
    """All-pairs networkx Dijkstra."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), t.tolist(), strict=True))
    out = np.full((n, n), np.inf)
    for s, lengths in nx.all_pairs_dijkstra_path_length(g):
        for d, val in lengths.items():
            out[s, d] = val
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ch_matrix_equals_networkx_oracle(seed):
    u, v, t, x, y = random_graph(seed)
    n = len(x)
    expected = oracle(u, v, t, n)
    ch = build_ch(stand_in(u, v, t, x, y).graph)
    got = ch_matrix(ch, np.arange(n), np.arange(n))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))  # unreachable parts
    fin = np.isfinite(expected)
    np.testing.assert_allclose(got[fin], expected[fin], rtol=0, atol=1e-6)
    assert (got != got.T).any()  # one-ways: the matrix is not symmetric


@pytest.mark.parametrize("engine", ["dijkstra", "ch", "auto"])
def test_time_matrix_engines_with_access_legs(engine):
    u, v, t, x, y = random_graph(7)
    n = len(x)
    net = stand_in(u, v, t, x, y, max_snap_m=400.0)
    rng = np.random.default_rng(3)
    o = points(np.column_stack([x[:40] + rng.uniform(-30, 30, 40), y[:40]]))
    d = points(np.column_stack([x[50:75], y[50:75] + 12.0]))
    far = points([[X0 - 5000, Y0]])  # beyond max_snap_m: inf everywhere
    o = gpd.GeoDataFrame(geometry=np.concatenate([o.geometry.values, far.geometry.values]), crs=CRS)
    got = routing.time_matrix(net, o, d, engine=engine)
    snap_o, snap_d = routing.snap(net, o), routing.snap(net, d)
    core = oracle(u, v, t, n)[snap_o["node"].to_numpy()][:, snap_d["node"].to_numpy()]
    legs = (snap_o["snap_m"].to_numpy()[:, None] + snap_d["snap_m"].to_numpy()[None, :]) / 1.0
    expected = core + legs  # access_speed_kmh=3.6: 1 m/s
    expected[-1] = np.inf
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    fin = np.isfinite(expected)
    np.testing.assert_allclose(got[fin], expected[fin], rtol=0, atol=1e-6)


def test_bounded_matrix_is_exact_below_the_bound():
    u, v, t, x, y = random_graph(11)
    net = stand_in(u, v, t, x, y, max_snap_m=400.0)
    pts = points(np.column_stack([x, y]))
    full = routing.time_matrix(net, pts, pts[:30], engine="dijkstra")
    bound = float(np.median(full[np.isfinite(full)]))
    for engine in ("dijkstra", "ch"):
        got = routing.time_matrix(net, pts, pts[:30], limit_s=bound, engine=engine)
        expected = np.where(full <= bound, full, np.inf)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
        fin = np.isfinite(expected)
        np.testing.assert_allclose(got[fin], expected[fin], rtol=0, atol=1e-6)
        assert 0 < fin.sum() < np.isfinite(full).sum()  # the bound did cut something
    with pytest.raises(NetworkError, match="moteur inconnu"):
        routing.time_matrix(net, pts, pts, engine="osrm")
    with pytest.raises(NetworkError, match="borne"):
        routing.time_matrix(net, pts, pts, limit_s=-1)


def test_auto_engine_rule(monkeypatch):
    u, v, t, x, y = random_graph(5)
    net = stand_in(u, v, t, x, y)
    assert routing._choose_engine(net, "auto", routing.CH_MIN_SIDE - 1) == "dijkstra"
    assert routing._choose_engine(net, "auto", routing.CH_MIN_SIDE) == "ch"
    assert routing._choose_engine(net, "dijkstra", 10**6) == "dijkstra"
    monkeypatch.setattr(routing, "CH_MIN_SIDE", 10)  # auto on a big-enough side takes the CH
    pts = points(np.column_stack([x, y]))
    routing.time_matrix(net, pts, pts)
    assert getattr(net, "_routing_ch", None) is not None


# ------------------------------------------------------------------------ two labels
@pytest.mark.parametrize("seed", [0, 4, 9])
def test_nearest_two_equals_sorted_matrix(seed):
    u, v, t, x, y = random_graph(seed, n=150, m=420)
    net = stand_in(u, v, t, x, y, max_snap_m=400.0)
    rng = np.random.default_rng(seed)
    at = rng.choice(len(x), 12, replace=False)
    at[1] = at[0]  # two distinct services on the same node
    svc = points(np.column_stack([x[at] + 3.0, y[at]]), ids=[f"S{i:02d}" for i in range(12)])
    pts = points(np.column_stack([x, y + 5.0]))
    res = nearest_two(net, svc, pts)
    mat = routing.time_matrix(net, pts, svc, engine="dijkstra")
    srt = np.sort(mat, axis=1)
    for col, k in (("time_s", 0), ("time2_s", 1)):
        got = res[col].to_numpy()
        np.testing.assert_array_equal(np.isinf(got), np.isinf(srt[:, k]))
        fin = np.isfinite(got)
        np.testing.assert_allclose(got[fin], srt[fin, k], rtol=0, atol=1e-6)
    ids = svc["service_id"].to_numpy()
    for col, tcol in (("service_id", "time_s"), ("service2_id", "time2_s")):
        ok = res[col].notna().to_numpy()
        j = np.searchsorted(ids, res.loc[ok, col].to_numpy())
        np.testing.assert_allclose(mat[np.flatnonzero(ok), j], res.loc[ok, tcol], atol=1e-6)
        assert np.isinf(res.loc[~ok, tcol]).all()
    assert (res["service_id"] != res["service2_id"])[res["service2_id"].notna()].all()


# ------------------------------------------------------------------ real road network
@pytest.fixture(scope="module")
def sgl_net(sgl_graphml):
    return accessibilite.RoadNetwork.from_graphml(sgl_graphml, mode="voiture")


def test_real_network_engines_agree(sgl_net):
    rng = np.random.default_rng(0)
    n = sgl_net.n_nodes
    idx = rng.choice(n, 300, replace=False)
    pts = points(np.column_stack([sgl_net.x[idx], sgl_net.y[idx]]))
    dij = routing.time_matrix(sgl_net, pts, pts[:150], engine="dijkstra")
    ch = sgl_net.time_matrix(pts, pts[:150], engine="ch")
    np.testing.assert_array_equal(np.isinf(ch), np.isinf(dij))
    fin = np.isfinite(dij)
    assert fin.mean() > 0.95
    np.testing.assert_allclose(ch[fin], dij[fin], rtol=0, atol=1e-6)
    assert not np.allclose(dij[:150], dij[:150].T)  # one-way streets of a real town
    bounded = sgl_net.time_matrix(pts, pts[:150], limit_s=300.0)
    np.testing.assert_array_equal(bounded, np.where(dij <= 300.0, bounded, np.inf))
    np.testing.assert_allclose(bounded[dij <= 300.0], dij[dij <= 300.0], rtol=0, atol=1e-6)


@pytest.fixture(scope="module", params=["05", "78"])
def net05(request):
    """Real road networks (Geofabrik 2021 layers): Hautes-Alpes (70k nodes), Yvelines."""
    from conftest import SHARED_DATA, shared_file

    name = f"osm-roads-{request.param}.gpkg"
    path = shared_file(SHARED_DATA / "roads" / "osm-geofabrik-2021" / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return accessibilite.RoadNetwork.from_lines(path, mode="voiture")


def test_real_departement_networks_engines_and_two_labels(net05):
    rng = np.random.default_rng(5)
    idx = rng.choice(net05.n_nodes, 400, replace=False)
    pts = points(np.column_stack([net05.x[idx], net05.y[idx]]))
    dij = routing.time_matrix(net05, pts, pts[:120], engine="dijkstra")
    ch = routing.time_matrix(net05, pts, pts[:120], engine="ch")
    np.testing.assert_array_equal(np.isinf(ch), np.isinf(dij))
    fin = np.isfinite(dij)
    assert fin.all()  # largest strongly connected component: every pair reachable
    np.testing.assert_allclose(ch[fin], dij[fin], rtol=0, atol=1e-6)
    assert dij.max() > 1800  # a whole département: pairs over half an hour apart
    svc = points(np.column_stack([net05.x[idx[:25]], net05.y[idx[:25]]]),
                 ids=[f"S{i:02d}" for i in range(25)])  # fmt: skip
    two = net05.nearest_two(svc, pts)
    srt = np.sort(routing.time_matrix(net05, pts, svc, engine="dijkstra"), axis=1)
    np.testing.assert_allclose(two["time_s"], srt[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(two["time2_s"], srt[:, 1], rtol=0, atol=1e-6)
