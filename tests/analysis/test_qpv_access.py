"""QPV access: engine times checked against networkx on the real Saint-Germain graph,
and the QPV / rest-of-commune table checked against independent sums."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import accessibilite as acc
from accessibilite.analysis.qpv import grid_points, straight_line

DATA = Path(__file__).resolve().parents[1] / "data" / "qpv"


@pytest.fixture(scope="module")
def sgl(sgl_graphml):
    with pytest.warns(UserWarning, match="composante"):
        net = acc.RoadNetwork.from_graphml(sgl_graphml, mode="marche")
    qpv = acc.load_qpv(DATA / "qpv_test_04_78.geojson", "78")
    communes = acc.communes("78")
    # services near three road nodes, 25 m / 15 m off them: two "caf" and one "msp"
    targets = gpd.GeoSeries(
        gpd.points_from_xy([2.0940, 2.0710, 2.1000], [48.8975, 48.9110, 48.8930]), crs=4326
    ).to_crs("EPSG:2154")
    node = net.snap(targets)["node"].to_numpy()
    services = gpd.GeoDataFrame(
        {"service_id": ["caf-1", "caf-2", "msp-1"], "categorie": ["caf", "caf", "msp"]},
        geometry=gpd.points_from_xy(net.x[node] + 25.0, net.y[node] - 15.0),
        crs="EPSG:2154",
    )
    res = acc.qpv_access(qpv, communes, services, {"marche": net})
    return net, qpv, communes, services, res


def _oracle(net, services, origins):
    """networkx Dijkstra on net.edges(), legs timed at the access speed, brute-force snapping."""
    edges = net.edges()
    rev = nx.DiGraph()
    rev.add_weighted_edges_from(zip(edges["v"], edges["u"], edges["travel_time_s"], strict=True))
    speed = net.access_speed_kmh / 3.6
    nxy = np.column_stack([net.x, net.y])

    def snap(geoms):
        xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
        d = np.sqrt(((xy[:, None, :] - nxy[None, :, :]) ** 2).sum(-1))
        return d.argmin(1), d.min(1)

    s_node, s_d = snap(services.geometry.to_numpy())
    for node, d in zip(s_node, s_d, strict=True):
        w = d / speed
        if rev.has_edge("S", int(node)):
            w = min(w, rev["S"][int(node)]["weight"])
        rev.add_edge("S", int(node), weight=w)
    dist = nx.single_source_dijkstra_path_length(rev, "S")
    o_node, o_d = snap(origins.geometry.to_numpy())
    t = np.array([dist.get(int(n), np.inf) for n in o_node]) + o_d / speed
    t[o_d > net.max_snap_m] = np.inf
    return t / 60.0, o_d > net.max_snap_m


def test_walking_times_equal_networkx(sgl):
    net, _, _, services, res = sgl
    o = res.origines
    assert (o["zone"] == "qpv").sum() > 50 and (o["zone"] == "reste").sum() > 500
    for cat in ("caf", "msp"):
        expected, _ = _oracle(net, services[services["categorie"] == cat], o)
        got = o[f"temps_marche_{cat}_min"].to_numpy()
        assert np.isfinite(got[o["zone"] == "qpv"]).all() and np.isfinite(got).mean() > 0.5
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_shares_from_origin_times_and_populations_add_up(sgl):
    net, qpv, communes, services, res = sgl
    t = res.table
    assert len(t) == 2  # one quarter × one mode × two categories
    com = communes.set_index("code_insee").loc["78551"]
    piece = qpv.geometry.iloc[0]
    # population estimated by area (no grid): QPV area share of the commune
    assert t["population_qpv"].iloc[0] == pytest.approx(
        com.population * piece.area / com.geometry.area, rel=1e-9
    )
    assert (t["population_qpv"] + t["population_reste"]).tolist() == pytest.approx(
        [44753, 44753], abs=1e-6
    )
    assert t["population_estimee"].all()
    o = res.origines
    _, off = _oracle(net, services, o)  # grid points off the network: left out (no grid)
    assert off.sum() > 20 and not off[(o["zone"] == "qpv").to_numpy()].any()
    assert (t["points_hors_reseau"] == off.sum()).all()
    for row in t.itertuples():
        col = f"temps_marche_{row.categorie}_min"
        tq = o.loc[(o["zone"] == "qpv").to_numpy() & ~off, col].to_numpy()
        tr = o.loc[(o["zone"] == "reste").to_numpy() & ~off, col].to_numpy()
        assert row.part_qpv_au_dela_10_min == pytest.approx((tq > 10).mean())
        assert row.part_reste_au_dela_20_min == pytest.approx((~(tr <= 20)).mean())
        assert row.ecart_30_min_pts == pytest.approx(
            100 * ((tq > 30).mean() - (~(tr <= 30)).mean())
        )


def test_grid_points_inside_and_stable():
    poly = shapely.Polygon([(0, 0), (1000, 0), (1000, 500), (0, 500)])
    pts = grid_points(poly, 100.0)
    assert len(pts) == 50 and shapely.contains(poly, pts).all()
    tiny = shapely.box(10, 10, 20, 20)
    assert len(grid_points(tiny, 100.0)) == 1


@pytest.fixture(scope="module")
def mdm():
    with pytest.warns(acc.RejectedRowsWarning):
        qpv = acc.load_qpv(DATA / "qpv_2024_metropole.geojson", "40")
    communes = acc.communes("40")
    cells = acc.load_carreaux(
        DATA / "carreaux_qpv_40192.csv", communes[communes["code_insee"] == "40192"]
    )
    services = gpd.GeoDataFrame(
        {"service_id": ["fs-1", "caf-1"], "categorie": ["france_services", "caf"]},
        geometry=gpd.points_from_xy([-0.4990, -0.4700], [43.8930, 43.9050]),
        crs="EPSG:4326",
    ).to_crs("EPSG:2154")
    modes = {"marche": straight_line("marche"), "velo": straight_line("velo")}
    res = acc.qpv_access(qpv, communes, services, modes, carreaux=cells)
    return qpv, communes, services, res


def test_cells_population_adds_up_to_commune(mdm):
    qpv, communes, _, res = mdm
    table = pd.read_csv(DATA / "carreaux_qpv_40192.csv", dtype={"lcog_geo": str})
    ne = table["idcar_200m"].str.extract(r"N(\d+)E(\d+)").astype(float)
    centres = gpd.GeoSeries(gpd.points_from_xy(ne[1] + 100, ne[0] + 100), crs="EPSG:3035").to_crs(
        "EPSG:2154"
    )
    t = res.table[(res.table["mode"] == "marche") & (res.table["categorie"] == "caf")]
    assert t["code_qp"].tolist() == ["QN04001M", "QN04002M"]
    for row in t.itertuples():
        poly = qpv.set_index("code_qp").geometry[row.code_qp]
        assert row.population_qpv == table.loc[centres.within(poly).to_numpy(), "ind"].sum()
        assert row.population_qpv > 0
    assert t["population_qpv"].sum() + t["population_reste"].iloc[0] == 29554
    assert (t["population_commune"] == 29554).all() and not t["population_estimee"].any()


def test_straight_line_times_and_weighted_shares(mdm):
    _, _, services, res = mdm
    o = res.origines
    fs = services[services["categorie"] == "france_services"].geometry.iloc[0]
    d = o.geometry.distance(fs).to_numpy()
    np.testing.assert_allclose(o["temps_velo_france_services_min"], d * 1.3 / (15 / 3.6) / 60)
    np.testing.assert_allclose(o["temps_marche_france_services_min"], d * 1.3 / (4.5 / 3.6) / 60)
    row = res.table[
        (res.table["code_qp"] == "QN04001M")
        & (res.table["mode"] == "marche")
        & (res.table["categorie"] == "france_services")
    ].iloc[0]
    q = o[o["code_qp"] == "QN04001M"]
    w, tm = q["poids"].to_numpy(), q["temps_marche_france_services_min"].to_numpy()
    assert row.part_qpv_au_dela_20_min == pytest.approx(w[tm > 20].sum() / w.sum())
    assert row.temps_moyen_qpv_min == pytest.approx(np.average(tm, weights=w))
    assert row.habitants_qpv_au_dela_20_min == pytest.approx(w[tm > 20].sum())
    assert "vol d'oiseau" in res.modes["marche"] and "à pied" in res.modes["marche"]
    assert re.search(r"4,5 km/h", res.modes["marche"])


def test_bad_inputs(mdm):
    qpv, communes, services, _ = mdm
    with pytest.raises(acc.InputError, match="mode inconnu"):
        acc.qpv_access(qpv, communes, services, {"bus": straight_line("marche")})
    with pytest.raises(acc.MissingColumnError, match="categorie"):
        acc.qpv_access(qpv, communes, services.drop(columns="categorie"), {"marche": None})
    with pytest.raises(acc.InputError, match="seuils"):
        acc.qpv_access(qpv, communes, services, {"marche": straight_line("marche")}, seuils_min=[0])


def test_quarter_across_two_communes_adds_up_in_each():
    """A hand-drawn quarter across Mont-de-Marsan and Saint-Pierre-du-Mont: two pieces."""
    import sys

    sys.path.insert(0, str(DATA))
    from make_files import poly

    communes = acc.communes("40")
    qpv = gpd.GeoDataFrame(
        {"code_qp": ["QN04009X"], "nom_qp": ["Quartier de test à cheval"]},
        geometry=[poly(-0.5060, 43.8830, 0.0035, 0.0025)],
        crs="EPSG:4326",
    ).to_crs("EPSG:2154")
    services = gpd.GeoDataFrame(
        {"service_id": ["s"], "categorie": ["caf"]},
        geometry=gpd.points_from_xy([420000.0], [6320000.0]),
        crs="EPSG:2154",
    )
    res = acc.qpv_access(qpv, communes, services, {"marche": straight_line("marche")})
    t = res.table.set_index("code_insee")
    assert sorted(t.index) == ["40192", "40281"]
    whole = qpv.geometry.iloc[0]
    by_code = communes.set_index("code_insee")
    for code in ("40192", "40281"):
        piece = whole.intersection(by_code.geometry[code])
        expected = by_code.population[code] * piece.area / by_code.geometry[code].area
        assert t.loc[code, "population_qpv"] == pytest.approx(expected, rel=1e-9)
        assert t.loc[code, "population_qpv"] + t.loc[code, "population_reste"] == pytest.approx(
            by_code.population[code]
        )
    assert res.pieces.geometry.area.sum() == pytest.approx(whole.area, rel=1e-6)
