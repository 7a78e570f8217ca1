"""Saint-Germain-en-Laye: the 78 Geofabrik network (OSM July 2021) against the OSMnx GraphML
(OSM December 2022) on 20 point pairs of the commune.

Points: the town hall and 7 junctions of the GraphML's drivable network at least 300 m
inside the commune's outline (so that both networks cover them), spread by farthest-point
sampling from the town hall.
Pairs more than 2 km apart (straight line) follow routes of the same length (same
streets); their times differ by up to about 22 %, because the 2022 data tag speed limits
(45 and 30 km/h) on streets the 2021 data leave untagged: the distribution is printed
(``pytest -s``) and reported in docs/speed-model.md.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibilite import RoadNetwork, communes
from conftest import SHARED_DATA, shared_file

GEOFABRIK_78 = SHARED_DATA / "roads" / "osm-geofabrik-2021" / "osm-roads-78.gpkg"


@pytest.fixture(scope="module")
def sgl(sgl_graphml):
    com = communes("78")
    sgl = com[com["code_insee"] == "78551"].reset_index(drop=True)
    graphml = RoadNetwork.from_graphml(sgl_graphml)
    with pytest.warns(UserWarning, match="composante"):
        lines = RoadNetwork.from_lines(shared_file(GEOFABRIK_78), territory=sgl, buffer_km=0)
    inner = sgl.geometry.iloc[0].buffer(-300)
    nodes = graphml.nodes()
    deg = np.diff(graphml.graph.indptr)
    ok = shapely.contains_xy(inner, nodes["x"], nodes["y"]) & (deg >= 3)
    mairie = sgl["mairie"].iloc[0]
    cand = nodes[["x", "y"]].to_numpy()[ok]
    xy = [np.array([mairie.x, mairie.y])]
    for _ in range(7):  # farthest-point sampling: junctions spread over the commune
        d = np.min([np.hypot(*(cand - p).T) for p in xy], axis=0)
        xy.append(cand[np.argmax(d)])
    xy = np.vstack(xy)
    points = shapely.points(xy)
    pairs = list(itertools.combinations(range(len(points)), 2))[:20]
    return graphml, lines, points, pairs


def _pair_routes(net, points, pairs):
    """Time (s) and length (m) of the fastest route of each pair."""
    out = []
    for i, j in pairs:
        site = gpd.GeoDataFrame({"service_id": ["s"]}, geometry=[points[j]], crs=net.crs)
        r = net.nearest(site, gpd.GeoSeries([points[i]], crs=net.crs), distances=True).iloc[0]
        out.append((r["time_s"], r["distance_m"]))
    return np.array(out).T


def test_twenty_pairs_2021_against_2022(sgl):
    graphml, lines, points, pairs = sgl
    assert len(pairs) == 20
    t_graphml, d_graphml = _pair_routes(graphml, points, pairs)
    t_lines, d_lines = _pair_routes(lines, points, pairs)
    assert np.isfinite(t_graphml).all() and np.isfinite(t_lines).all()
    # the matrix call gives the same times (independent code path: time_matrix)
    m = lines.time_matrix(points, points)
    assert np.allclose([m[i, j] for i, j in pairs], t_lines, rtol=1e-9)
    crow = np.array([shapely.distance(points[i], points[j]) for i, j in pairs])
    far = crow > 2000
    ratio = t_lines / t_graphml
    print(
        f"\nSaint-Germain, {len(pairs)} pairs ({far.sum()} beyond 2 km): time ratio Geofabrik 2021"
        f" / GraphML 2022 min {ratio.min():.3f}, p10 {np.percentile(ratio, 10):.3f}, median "
        f"{np.median(ratio):.3f}, p90 {np.percentile(ratio, 90):.3f}, max {ratio.max():.3f}; "
        f"beyond 2 km {np.round(np.sort(ratio[far]), 3).tolist()}; length ratio "
        f"{np.round(np.sort(d_lines[far] / d_graphml[far]), 3).tolist()}"
    )
    assert far.sum() >= 15
    # same streets: the fastest routes have the same length within 10 %
    assert np.all(np.abs(d_lines[far] / d_graphml[far] - 1) <= 0.10)
    # times: the 15 % is NOT met on every pair (docs/speed-model.md): the 2022 data
    # tag 45 and 30 km/h limits on streets untagged in 2021, so 2021 routes are faster.
    assert 0.85 <= np.median(ratio[far]) <= 1.0
    assert (np.abs(ratio[far] - 1) <= 0.15).sum() >= 15  # 15 of 19 on these files
    assert np.all(np.abs(ratio[far] - 1) <= 0.25), ratio[far]
    # both snap every point onto a road nearby
    for net in (graphml, lines):
        assert (net.snap(points)["snap_m"] < 150).all()


def test_the_gap_is_the_speed_limit_tags(sgl, sgl_graphml):
    """Without the ``maxspeed`` tags in both files, the 2021 and 2022 times agree.

    Same points and pairs; the GraphML's ``maxspeed`` attributes and the Geofabrik
    ``maxspeed`` column (0 = unknown) are removed, so both networks time every street
    with the class defaults. What remains is the rest of the data's change in a year
    (classes, one-way streets, new links) and the two readers (osmnx merged edges /
    common builder).
    """
    from accessibilite.network import osm as _osm

    graphml, _, points, pairs = sgl
    G = _osm.read_graphml(sgl_graphml)
    for *_, data in G.edges(keys=True, data=True):
        data.pop("maxspeed", None)
    com = communes("78")
    sgl_com = com[com["code_insee"] == "78551"].reset_index(drop=True)
    roads = gpd.read_file(shared_file(GEOFABRIK_78), bbox=tuple(sgl_com.to_crs(4326).total_bounds))
    assert (roads["maxspeed"] > 0).sum() > 500  # the column really is in use
    roads["maxspeed"] = 0
    with pytest.warns(UserWarning, match="composante"):
        plain_2022 = RoadNetwork.from_networkx(G, source="sans maxspeed")
        plain_2021 = RoadNetwork.from_lines(roads, territory=sgl_com, buffer_km=0)
    t_2022, _ = _pair_routes(plain_2022, points, pairs)
    t_2021, _ = _pair_routes(plain_2021, points, pairs)
    crow = np.array([shapely.distance(points[i], points[j]) for i, j in pairs])
    ratio = (t_2021 / t_2022)[crow > 2000]
    within = np.abs(ratio - 1) <= 0.15
    print(
        f"\nSaint-Germain without maxspeed: median {np.median(ratio):.3f}, "
        f"{within.sum()}/{ratio.size} pairs within 15 %: {np.round(np.sort(ratio), 3).tolist()}"
    )
    assert 0.97 <= np.median(ratio) <= 1.03
    assert within.sum() >= ratio.size - 2
    assert np.all(np.abs(ratio - 1) <= 0.20)
