"""Real département networks (Geofabrik 04 zip, 05 and 78 GeoPackages) built by ``from_lines``.

Checked against independent computations: the drivable length summed over the
source file in Lambert-93 with geopandas, a networkx Dijkstra oracle on
``net.edges()``, hand-computed one-way edges, the uncontracted network (exact
contraction, town-hall snapping), and a PBF written from the same rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from osmnx.distance import great_circle

from accessibilite.network import RoadNetwork
from accessibilite.network.curvature import curvature_factor
from accessibilite.network.routing import _time_matrix_nodes
from conftest import GEOFABRIK_FILES

ROOT = Path(__file__).resolve().parents[2]
DEPS = ("04", "05", "78")
MODES = ("voiture", "marche", "velo")
#: OSM highway classes a car may use (the profile's voiture classes), written out here
DRIVABLE = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service",
}  # fmt: skip


def _engine(net, sources, targets=None):
    targets = np.arange(net.n_nodes) if targets is None else targets
    zero_s, zero_t = np.zeros(len(sources)), np.zeros(len(targets))
    return _time_matrix_nodes(net, np.asarray(sources), zero_s, targets, zero_t, "origins")


@pytest.mark.parametrize("dep", DEPS)
@pytest.mark.parametrize("mode", MODES)
def test_builds_and_keeps_main_component(geofabrik_net, dep, mode):
    net, stats = geofabrik_net(dep, mode)
    share = net.n_nodes / stats["nodes_before"]
    print(
        f"{dep} {mode}: {net.n_nodes} nœuds / {stats['nodes_before']} ({share:.2%}), "
        f"{net.n_edges} arcs, {stats['km_before']:.1f} km dont {stats['km_dropped']:.1f} km "
        "hors composante principale"
    )
    assert share >= 0.97
    assert net.dropped_nodes == stats["nodes_before"] - net.n_nodes
    assert net.source == "OpenStreetMap (Geofabrik)" and net.crs == "EPSG:2154"
    assert net.mode == mode and net.graph.nnz == net.n_edges > 0


@pytest.mark.parametrize("dep", DEPS)
def test_drivable_length_equals_independent_sum(geofabrik_net, dep):
    import geopandas as gpd

    net, stats = geofabrik_net(dep, "voiture")
    ways = gpd.read_file(GEOFABRIK_FILES[dep], engine="pyogrio")
    drivable = ways[ways["fclass"].isin(DRIVABLE)].to_crs(2154)
    independent_km = float(drivable.length.sum()) / 1000.0
    e = net.edges()
    pairs = set(zip(e.u, e.v, strict=True))
    once = (e.u < e.v) | ~pd.Series(
        [(b, a) in pairs for a, b in zip(e.u, e.v, strict=True)], index=e.index
    )
    kept_km = float(e.length_m[once].sum()) / 1000.0
    print(
        f"{dep}: {independent_km:.1f} km de voies carrossables dans le fichier, "
        f"{kept_km:.1f} km dans le réseau, {stats['km_dropped']:.1f} km retirés "
        f"avec les petites composantes"
    )
    assert kept_km + stats["km_dropped"] == pytest.approx(independent_km, rel=0.01)
    assert stats["km_dropped"] < 0.03 * independent_km


@pytest.mark.parametrize(
    ("dep", "mode"),
    [("04", "voiture"), ("05", "voiture"), ("78", "voiture"), ("05", "marche"), ("78", "velo")],
)
def test_engine_equals_networkx_dijkstra(geofabrik_net, dep, mode):
    net, _ = geofabrik_net(dep, mode)
    e = net.edges()
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(e.u, e.v, e.travel_time_s, strict=True))
    sources = np.random.default_rng(8).choice(net.n_nodes, 2, replace=False)
    engine = _engine(net, sources)
    for i, s in enumerate(sources):
        oracle = nx.single_source_dijkstra_path_length(G, int(s))
        expected = np.array([oracle[k] for k in range(net.n_nodes)])  # strongly connected
        np.testing.assert_allclose(engine[i], expected, rtol=0, atol=1e-6)


def _lambert(lon, lat):
    from pyproj import Transformer

    return Transformer.from_crs(4326, 2154, always_xy=True).transform(lon, lat)


@pytest.mark.parametrize("oneway", ["F", "T"])
def test_real_one_way_streets(geofabrik_net, oneway):
    """A straight residential F (or T) way of 78 between two junctions: one direction only."""
    import geopandas as gpd
    import shapely
    from scipy.spatial import cKDTree

    net, _ = geofabrik_net("78", "voiture")
    ways = gpd.read_file(GEOFABRIK_FILES["78"], engine="pyogrio")
    cand = ways[
        (ways.oneway == oneway)
        & (ways.fclass == "residential")
        & (shapely.get_num_points(ways.geometry.values) == 2)
    ].sort_values("osm_id")
    tree = cKDTree(np.column_stack([net.x, net.y]))
    for row in cand.itertuples():
        (lon0, lat0), (lon1, lat1) = shapely.get_coordinates(row.geometry)
        d, (a, b) = tree.query(np.column_stack(_lambert([lon0, lon1], [lat0, lat1])))
        if d.max() > 1e-3:
            continue  # an end is not a junction node: the edge goes on beyond this way
        start, end = (a, b) if oneway == "F" else (b, a)  # travel direction
        legal = row.maxspeed if row.maxspeed > 0 else 50
        metres = great_circle(lat0, lon0, lat1, lon1)
        kmh = (
            legal
            * 0.60
            * curvature_factor(np.array(["residential"]), np.array([1.0]), "voiture")[0]
        )
        assert net.graph[start, end] == pytest.approx(metres / (kmh / 3.6), rel=1e-9)
        assert net.graph[end, start] == 0  # no edge against the one-way street
        t = _engine(net, [start, end], np.array([start, end]))
        assert t[0, 1] <= net.graph[start, end] + 1e-9
        assert t[1, 0] > t[0, 1]  # the way back is a detour
        print(f"{oneway} osm_id {row.osm_id}: {t[0, 1]:.1f} s, retour {t[1, 0]:.1f} s")
        return
    pytest.fail(f"aucune voie {oneway} exploitable trouvée")


def test_contraction_is_exact_and_keeps_town_hall_times(geofabrik_net):
    from accessibilite import communes

    net, _ = geofabrik_net("05", "voiture")
    full, _ = geofabrik_net("05", "voiture", contract=False)
    assert full.n_nodes > 3 * net.n_nodes
    # exact: node-to-node times equal on the nodes both keep
    # (a bridge over a road may share a coordinate with it: two nodes, left out here)
    index = pd.MultiIndex.from_arrays([full.x, full.y])
    unique = ~index.duplicated(keep=False)
    pos = index[unique].get_indexer(pd.MultiIndex.from_arrays([net.x, net.y]))
    pos = np.where(pos >= 0, np.flatnonzero(unique)[pos], -1)
    assert (pos >= 0).mean() > 0.999
    mine = np.flatnonzero(pos >= 0)
    sources = np.random.default_rng(5).choice(mine, 3, replace=False)
    np.testing.assert_allclose(
        _engine(net, sources, mine), _engine(full, pos[sources], pos[mine]), rtol=0, atol=1e-6
    )
    # town halls → 5 town halls, with access legs
    mairies = communes("05").set_geometry("mairie")
    dest = mairies.iloc[:5]
    a, b = net.time_matrix(mairies, dest), full.time_matrix(mairies, dest)

    def same_node(points):
        sa, sb = net.snap(points).node, full.snap(points).node
        return (net.x[sa] == full.x[sb]) & (net.y[sa] == full.y[sb])

    same, same_d = same_node(mairies), same_node(dest)
    both = same[:, None] & same_d[None, :]
    np.testing.assert_allclose(a[both], b[both], rtol=0, atol=1e-6)
    diff = np.abs(a - b)[~both]
    print(
        f"mairies de 05 : {same.sum()}/{len(same)} au même nœud ; ailleurs écart médian "
        f"{np.median(diff):.1f} s, p90 {np.quantile(diff, 0.9):.1f} s, max {diff.max():.1f} s"
    )
    assert same.mean() > 0.3 and np.isfinite(a).all()
    # documented in docs/networks.md: a few hundred metres of access leg at most, except
    # where the nearest kept node lies on another road
    assert np.median(diff) <= 30.0 and np.quantile(diff, 0.9) <= 120.0


def test_pbf_from_the_same_rows_gives_the_same_network(tmp_path):
    """Geofabrik rows → PBF (benchmarks/geofabrik_pbf.py) → from_osm == from_lines on the rows."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from geofabrik_pbf import geofabrik_to_pbf

    rows = gpd.read_file(GEOFABRIK_FILES["78"], engine="pyogrio", bbox=(2.05, 48.87, 2.12, 48.92))
    assert len(rows) > 1000 and rows.intersects(box(2.05, 48.87, 2.12, 48.92)).all()
    gpkg = tmp_path / "sgl.gpkg"
    pyogrio.write_dataframe(rows, gpkg, layer="gis_osm_roads_free_1")
    pbf = tmp_path / "sgl.osm.pbf"
    geofabrik_to_pbf(gpkg, pbf)
    for mode in MODES:
        with pytest.warns(UserWarning):
            a = RoadNetwork.from_lines(rows, mode)
        with pytest.warns(UserWarning):
            b = RoadNetwork.from_osm(pbf, mode)
        pd.testing.assert_frame_equal(a.nodes(), b.nodes()[["x", "y"]], rtol=1e-12)
        pd.testing.assert_frame_equal(a.edges(), b.edges(), rtol=1e-9)
