"""Isochrone bands: nested, containing the reached nodes, excluding the far ones."""

from __future__ import annotations

import types

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from accessibilite.errors import InputError
from accessibilite.network import isochrones, routing

CRS = "EPSG:2154"
X0, Y0 = 400_000.0, 6_400_000.0
TOL = 1e-6


def grid_network(side: int = 40, spacing: float = 200.0, seed: int = 0):
    """Jittered grid with a few missing and one-way segments, mixed speeds."""
    rng = np.random.default_rng(seed)
    n = side * side
    ii, jj = np.divmod(np.arange(n), side)
    x = X0 + jj * spacing + rng.uniform(-40, 40, n)
    y = Y0 + ii * spacing + rng.uniform(-40, 40, n)
    node = np.arange(n).reshape(side, side)
    a = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    b = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    keep = rng.random(len(a)) > 0.1
    a, b = a[keep], b[keep]
    speed = rng.choice([8.0, 14.0, 22.0], size=len(a))  # m/s
    length = np.hypot(x[b] - x[a], y[b] - y[a]) * 1.1
    oneway = rng.random(len(a)) < 0.1
    u = np.concatenate([a, b[~oneway]])
    v = np.concatenate([b, a[~oneway]])
    t = np.concatenate([length / speed, (length / speed)[~oneway]])
    ln = np.concatenate([length, length[~oneway]])
    return types.SimpleNamespace(
        x=x,
        y=y,
        graph=sp.csr_matrix((t, (u, v)), shape=(n, n)),
        length=sp.csr_matrix((ln, (u, v)), shape=(n, n)),
        crs=CRS,
        mode="voiture",
        access_speed_kmh=20.0,
        max_snap_m=1000.0,
    )


def services_at(net, nodes, ids=None):
    ids = ids or [f"S{i}" for i in range(len(nodes))]
    return gpd.GeoDataFrame(
        {"service_id": ids},
        geometry=gpd.points_from_xy(net.x[nodes] + 5.0, net.y[nodes]),
        crs=CRS,
    )


@pytest.fixture(scope="module")
def grid():
    net = grid_network()
    svc = services_at(net, [45, 820, 1530])
    times = routing.nearest(net, svc)["time_s"].to_numpy()
    return net, svc, times


def check_bands(net, times, frame, bands, buffer_m, cell):
    """Nested; reached nodes inside; nodes far from every reached edge outside."""
    geoms = list(frame.geometry)
    assert frame["bande_min"].tolist() == list(bands)
    for small, big in zip(geoms[:-1], geoms[1:], strict=True):
        assert shapely.contains(big.buffer(TOL), small)
        assert big.area >= small.area
    pts = shapely.points(net.x, net.y)
    g = net.graph.tocoo()
    n_far_checked = 0
    for band, geom in zip(bands, geoms, strict=True):
        limit = band * 60.0
        inside = shapely.intersects(geom.buffer(TOL), pts)
        assert inside[times <= limit].all()
        # edges u -> v with t[v] <= limit are the only reached road: every node farther
        # than buffer + 2 cell diagonals from all of them must be outside the band
        reached = times[g.col] <= limit
        lines = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([net.x[g.row[reached]], net.y[g.row[reached]]]),
                    np.column_stack([net.x[g.col[reached]], net.y[g.col[reached]]]),
                ],
                axis=1,
            )
        )
        margin = buffer_m + 2 * cell * np.sqrt(2)
        near = np.zeros(len(pts), dtype=bool)
        near[shapely.STRtree(lines).query(pts, predicate="dwithin", distance=margin)[0]] = True
        far = ~near & (times > limit)
        assert not inside[far].any()
        n_far_checked += int(far.sum())
    assert n_far_checked > 0


def test_merged_bands(grid):
    net, svc, times = grid
    out = isochrones.isochrones(net, svc, bands_min=(2, 4, 6), buffer_m=100.0, cell_m=50.0)
    assert isinstance(out, gpd.GeoDataFrame)
    assert list(out.columns) == ["bande_min", "geometry"]
    assert out.crs == CRS
    assert out["bande_min"].dtype.kind == "i"
    check_bands(net, times, out, [2, 4, 6], 100.0, 50.0)
    # not trivial: the smallest band misses nodes that the largest covers
    assert (times > 120).sum() > 100 and (times <= 120).sum() > 20


def test_default_parameters_and_buffer(grid):
    net, svc, times = grid
    out = isochrones.isochrones(net, svc, bands_min=[3, 5])
    cell = isochrones._auto_cell(net, isochrones.BUFFER_M)
    check_bands(net, times, out, [3, 5], isochrones.BUFFER_M, cell)
    wide = isochrones.isochrones(net, svc, bands_min=[3, 5], buffer_m=300.0)
    assert wide.area.iloc[0] > out.area.iloc[0]


def test_per_service(grid):
    net, svc, _ = grid
    out = isochrones.isochrones(net, svc, bands_min=(2, 4), per_service=True, cell_m=50.0)
    assert list(out.columns) == ["bande_min", "service_id", "geometry"]
    assert out["service_id"].tolist() == ["S0", "S0", "S1", "S1", "S2", "S2"]
    assert out["bande_min"].tolist() == [2, 4] * 3
    pts = gpd.GeoSeries(gpd.points_from_xy(net.x, net.y), crs=CRS)
    own = routing.time_matrix(net, pts, svc)  # node -> each service
    for j, sid in enumerate(["S0", "S1", "S2"]):
        sub = out[out["service_id"] == sid]
        check_bands(net, own[:, j], sub, [2, 4], isochrones.BUFFER_M, 50.0)
    # the services are far apart: their 2-minute areas do not overlap
    small = out[out["bande_min"] == 2].geometry.to_numpy()
    assert not shapely.intersects(small[0], small[2])


def test_per_service_ignored_service_gets_empty_bands(grid):
    net, _, _ = grid
    svc = services_at(net, [45, 820], ["A", "B"])
    svc.loc[1, "geometry"] = shapely.Point(X0 - 50_000, Y0)
    with pytest.warns(UserWarning, match="B"):
        out = isochrones.isochrones(net, svc, bands_min=(2,), per_service=True)
    assert out["service_id"].tolist() == ["A", "B"]
    assert out.geometry.is_empty.tolist() == [False, True]


@pytest.mark.parametrize(
    ("bands", "match"),
    [((), "vides"), ((10, -5), "invalides"), ((20, 10), "triées"), ((10, 10), "triées"),
     ((7.5,), "entières"), ("abc", "invalides"), ("15", "pas un texte")],
)  # fmt: skip
def test_bad_bands(grid, bands, match):
    net, svc, _ = grid
    with pytest.raises(InputError, match=match):
        isochrones.isochrones(net, svc, bands_min=bands)


def test_single_number_is_one_band(grid):
    # "15" used to be read as the bands 1 and 5 minutes; 15 is one band of 15 minutes
    net, svc, _ = grid
    one = isochrones.isochrones(net, svc, bands_min=15)
    same = isochrones.isochrones(net, svc, bands_min=[15])
    assert one["bande_min"].tolist() == [15]
    assert one.geometry.iloc[0].equals(same.geometry.iloc[0])
    lazy = isochrones.isochrones(net, svc, bands_min=(b for b in (5, 15)))  # any iterable
    assert lazy["bande_min"].tolist() == [5, 15] and lazy.geometry.iloc[1].equals(one.geometry[0])


def test_bad_services(grid):
    net, svc, _ = grid
    with pytest.raises(InputError, match="vide"):
        isochrones.isochrones(net, svc.iloc[:0])


def test_real_graph_bands(sgl_graphml):
    from accessibilite import RoadNetwork

    with pytest.warns(UserWarning):  # nodes outside the largest SCC are reported
        net = RoadNetwork.from_graphml(sgl_graphml)
    svc = services_at(net, [10, 1000])
    times = net.nearest(svc)["time_s"].to_numpy()
    out = net.isochrones(svc, bands_min=(2, 5))  # delegates to isochrones.isochrones
    check_bands(net, times, out, [2, 5], isochrones.BUFFER_M, isochrones._auto_cell(net, 100.0))
    per = net.isochrones(svc, bands_min=(2, 5), per_service=True)
    assert per["service_id"].tolist() == ["S0", "S0", "S1", "S1"]
    # the merged band is the union of the per-service bands, up to the grid resolution
    merged_5 = out.geometry.iloc[1]
    union_5 = shapely.union_all(per[per["bande_min"] == 5].geometry.to_numpy())
    assert shapely.symmetric_difference(merged_5, union_5).area < 0.05 * merged_5.area


def test_per_service_keeps_integer_ids(grid):
    net, svc, _ = grid
    numbered = svc.assign(service_id=[30, 4, 100])
    out = isochrones.isochrones(net, numbered, bands_min=(2,), per_service=True, cell_m=50.0)
    assert out["service_id"].tolist() == [100, 30, 4]  # sorted as text, type kept
    named = isochrones.isochrones(net, svc, bands_min=(2,), per_service=True, cell_m=50.0)
    by_name = dict(zip(named["service_id"], named.geometry, strict=True))
    for name, number in zip(svc["service_id"], [30, 4, 100], strict=True):
        assert out.set_index("service_id").geometry[number].equals(by_name[name])


def test_band_shorter_than_access_leg_is_empty(grid):
    """A site 326 m from the road at walking pace (about 5 min of access leg): the 2-min
    band is empty instead of raising (issue 10, item 5), the 5-min band is not."""
    net, _, _ = grid
    walk = types.SimpleNamespace(**{**vars(net), "access_speed_kmh": 4.0, "mode": "marche"})
    node = 400  # west edge of the grid: the site is 326 m west of the road
    far = gpd.GeoDataFrame(
        {"service_id": ["loin"]},
        geometry=gpd.points_from_xy([net.x[:401].min() - 326.0], [net.y[node]]),
        crs=CRS,
    )
    leg_s = routing._service_legs(walk, far)[2][0]
    assert 120 < leg_s < 360  # the access leg is longer than 2 min, shorter than 6
    for per_service in (False, True):
        out = isochrones.isochrones(walk, far, bands_min=(2, 6, 10), per_service=per_service)
        assert out["bande_min"].tolist() == [2, 6, 10]
        assert out.geometry.iloc[0].is_empty
        assert not out.geometry.iloc[1].is_empty
        assert out.geometry.iloc[2].area > out.geometry.iloc[1].area
