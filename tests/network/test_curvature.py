"""Curvature (sinuosity) factor: properties, profile checks, calibration on BD TOPO."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest

from accessibilite.errors import DataFileError, InputError
from accessibilite.network.curvature import curvature_curve, curvature_factor
from accessibilite.network.speeds import load_profile
from conftest import ROOT, SHARED_DATA, shared_file

CURVED = ["primary", "secondary", "tertiary", "unclassified"]


def _profile_with(**curve) -> dict:
    prof = copy.deepcopy(load_profile())
    prof["voiture"]["curvature"].update(curve)
    return prof


def test_straight_roads_keep_their_speed():
    s = np.ones(4)
    assert np.array_equal(curvature_factor(np.array(CURVED), s, "voiture"), np.ones(4))


def test_factor_is_monotone_bounded_and_follows_the_profile_curve():
    points, factors, classes = curvature_curve()
    assert classes == frozenset(CURVED)
    s = np.linspace(1.0, 6.0, 2001)
    f = curvature_factor(np.full(s.shape, "tertiary"), s, "voiture")
    assert np.all(np.diff(f) <= 0)
    assert f.max() == 1.0 and f.min() == factors[-1] > 0
    # at the break points the factor is the profile's value, in between linear
    for k in range(len(points)):
        assert curvature_factor(np.array(["unclassified"]), points[k : k + 1], "voiture")[0] == (
            pytest.approx(factors[k])
        )
    mid = (points[2] + points[3]) / 2
    expected = (factors[2] + factors[3]) / 2
    assert curvature_factor(np.array(["primary"]), np.array([mid]), "voiture")[0] == pytest.approx(
        expected
    )
    # constant beyond the last point
    assert curvature_factor(np.array(["tertiary"]), np.array([50.0]), "voiture")[0] == factors[-1]


def test_only_listed_classes_and_only_driving_are_corrected():
    hw = np.array(["motorway", "residential", "service", "tertiary", "['tertiary', 'residential']"])
    s = np.full(len(hw), 2.5)
    f = curvature_factor(hw, s, "voiture")
    last = curvature_curve()[1][-1]
    assert f.tolist() == [1.0, 1.0, 1.0, last, last]
    for mode in ("marche", "velo"):
        assert np.array_equal(curvature_factor(hw, s, mode), np.ones(len(hw)))
    with pytest.raises(InputError):
        curvature_factor(hw, s, "avion")


def test_loops_nan_and_below_one_are_treated_as_straight():
    hw = np.array(["tertiary"] * 4)
    f = curvature_factor(hw, np.array([np.inf, np.nan, 0.99, 1.0]), "voiture")
    assert f.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_shape_is_kept_and_empty_input_works():
    assert curvature_factor(np.array([], dtype=object), np.array([]), "voiture").shape == (0,)
    hw = np.array([["tertiary", "motorway"], ["unclassified", "primary"]])
    assert curvature_factor(hw, np.full((2, 2), 3.0), "voiture").shape == (2, 2)


def test_profile_without_curvature_section_means_no_correction():
    prof = copy.deepcopy(load_profile())
    del prof["voiture"]["curvature"]
    f = curvature_factor(np.array(["tertiary"]), np.array([3.0]), "voiture", prof)
    assert f.tolist() == [1.0]
    prof = _profile_with(classes=[])
    assert curvature_factor(np.array(["tertiary"]), np.array([3.0]), "voiture", prof)[0] == 1.0


@pytest.mark.parametrize(
    "curve, message",
    [
        ({"sinuosity": [1.0, 1.5], "factor": [1.0]}, "même longueur"),
        ({"sinuosity": [1.1, 1.5], "factor": [1.0, 0.8]}, "commencer"),
        ({"sinuosity": [1.0, 1.5, 1.4], "factor": [1.0, 0.8, 0.7]}, "croissante"),
        ({"sinuosity": [1.0, 1.5, 2.0], "factor": [1.0, 0.7, 0.8]}, "décroître"),
        ({"sinuosity": [1.0, 1.5], "factor": [1.0, 0.0]}, "décroître"),
        ({"classes": ["tertiary", "autoroute"]}, "classes inconnues"),
        ({"sinuosity": ["a", "b"]}, "listes de nombres"),
    ],
)
def test_malformed_curves_are_refused(curve, message):
    with pytest.raises(DataFileError, match=message):
        curvature_factor(np.array(["tertiary"]), np.array([1.2]), "voiture", _profile_with(**curve))


# --------------------------------------------------------------------- calibration on BD TOPO
#: documented bands (docs/speed-model.md): per class, length-weighted median of the
#: per-edge time ratio model ÷ BD TOPO, and ratio of the driven speeds (BD TOPO and
#: OSRM disagree by a third on tertiary roads: the model sits between them)
BAND = (0.85, 1.15)
SPEED_BAND = (0.80, 1.30)


@pytest.fixture(scope="module")
def bdtopo_study():
    roads = SHARED_DATA / "roads"
    shared_file(roads / "bdtopo-2021" / "troncon_de_route_05025.geojson")
    shared_file(roads / "osm-geofabrik-2021" / "osm-roads-04-shp.zip")
    shared_file(roads / "osm-geofabrik-2021" / "osm-roads-05.gpkg")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import calibrate_curvature as study
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    study.ROADS = roads
    study.BDTOPO = roads / "bdtopo-2021"
    study.OSM_FILES = {
        "04": "zip://" + str(roads / "osm-geofabrik-2021" / "osm-roads-04-shp.zip"),
        "05": str(roads / "osm-geofabrik-2021" / "osm-roads-05.gpkg"),
    }
    return study, study.study()


def test_study_matches_osm_edges_to_bdtopo(bdtopo_study):
    study, df = bdtopo_study
    # every commune contributes, edges are really matched, sinuosity ≥ 1 by construction
    assert set(df["commune"]) == set(study.COMMUNES)
    assert (df["share"] >= study.MIN_MATCHED).all()
    assert df["length_m"].sum() > 40_000
    finite = np.isfinite(df["sinuosity"])
    assert (df.loc[finite, "sinuosity"] >= 1 - 1e-9).all()
    # BD TOPO time recomputed from its own speeds: at most the slowest road speed met
    assert (df["bd_kmh"] <= 80 + 1e-9).all() and (df["bd_kmh"] >= 10 - 1e-9).all()


def test_tertiary_and_unclassified_match_bdtopo_within_the_band(bdtopo_study):
    study, df = bdtopo_study
    table = study.class_table(df).set_index("classe")
    for cls in ("tertiary", "unclassified"):
        row = table.loc[cls]
        assert row["km"] > 10
        ratio_of_sums = row["bdtopo_kmh"] / row["modèle_après_kmh"]
        assert SPEED_BAND[0] <= ratio_of_sums <= SPEED_BAND[1], (cls, ratio_of_sums)
        assert BAND[0] <= row["ratio_après_méd"] <= BAND[1], (cls, row["ratio_après_méd"])
    # the factor only ever slows down, and does on this winding sample
    assert (df["curved_time_s"] >= df["model_time_s"] - 1e-9).all()
    assert table.loc["tertiary", "modèle_après_kmh"] < table.loc["tertiary", "modèle_avant_kmh"]
