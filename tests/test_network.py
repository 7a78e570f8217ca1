"""Tests of accessibilite.network: speed model, constructors, compact form, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from accessibilite.errors import InputError, NetworkError
from accessibilite.network import MIN_TIME_S, RoadNetwork, parse_maxspeed, speed_kmh


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
    from accessibilite.network import load_profile

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
