"""Tests of the straight-line estimate against hand-computed values."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

import accessibilite
from accessibilite import InputError, MissingColumnError
from accessibilite.network.estimate import StraightLineEstimate
from accessibilite.network.provider import TravelTimeProvider

ROOT = Path(__file__).resolve().parents[2]


def _services():
    return gpd.GeoDataFrame(
        {"service_id": ["A", "B"]},
        geometry=[Point(0, 0), Point(10_000, 0)],
        crs="EPSG:2154",
    )


def _origins():
    # (3000, 4000) is 5 km from A; (10000, 6000) is 6 km from B;
    # (4000, 0) is 4 km from A and 6 km from B.
    return gpd.GeoSeries(
        [Point(3000, 4000), Point(10_000, 6000), Point(4000, 0)],
        index=[10, 20, 30],
        crs="EPSG:2154",
    )


def test_defaults_come_from_the_toml_file():
    with open(ROOT / "data" / "vol_oiseau.toml", "rb") as fh:
        table = tomllib.load(fh)["estimation"]
    est = StraightLineEstimate()
    assert est.detour == table["detour"] == 1.3
    assert est.vitesse_kmh == table["vitesse_kmh"] == 60.0
    assert est.estimation is True
    assert est.mode == "vol-oiseau"
    assert est.crs == "EPSG:2154"
    assert est.description.startswith("Estimation à vol d'oiseau")
    assert "1,3" in est.description and "60 km/h" in est.description
    assert isinstance(est, TravelTimeProvider)
    assert accessibilite.StraightLineEstimate is StraightLineEstimate


def test_nearest_hand_computed():
    est = StraightLineEstimate(detour=1.3, vitesse_kmh=60)
    out = est.nearest(_services(), _origins())
    assert list(out.index) == [10, 20, 30]
    assert list(out["service_id"]) == ["A", "B", "A"]
    # 5 km × 1.3 = 6.5 km at 60 km/h (1 km/min) = 6.5 min = 390 s
    np.testing.assert_allclose(out["distance_m"], [6500.0, 7800.0, 5200.0])
    np.testing.assert_allclose(out["time_s"], [390.0, 468.0, 312.0])
    np.testing.assert_allclose(out["snap_m"], 0.0)


def test_nearest_other_parameters_and_reprojection():
    est = StraightLineEstimate(detour=1.0, vitesse_kmh=36)  # 10 m/s
    origins = _origins().to_crs("EPSG:4326")
    out = est.nearest(_services().to_crs("EPSG:4326"), origins)
    np.testing.assert_allclose(out["time_s"], [500.0, 600.0, 400.0], rtol=1e-6)


def test_time_matrix_hand_computed():
    est = StraightLineEstimate(detour=1.5, vitesse_kmh=90)  # 25 m/s
    mat = est.time_matrix(_origins(), _services())
    d = np.array([[5000, math.hypot(7000, 4000)], [math.hypot(10_000, 6000), 6000], [4000, 6000]])
    assert mat.shape == (3, 2)
    np.testing.assert_allclose(mat, d * 1.5 / 25.0)
    # nearest is the row minimum of the matrix
    np.testing.assert_allclose(est.nearest(_services(), _origins())["time_s"], mat.min(axis=1))


def test_isochrones_radius_and_nesting():
    est = StraightLineEstimate(detour=1.25, vitesse_kmh=60)
    iso = est.isochrones(_services(), bands_min=(10, 5))
    assert list(iso["bande_min"]) == [5.0, 10.0]
    assert iso.crs == "EPSG:2154"
    # 10 min at 1 km/min = 10 km of road = 8 km straight line
    radius10, radius5 = 8000.0, 4000.0
    big = iso.geometry.iloc[1]
    assert big.contains(Point(0, 7990)) and not big.contains(Point(0, 8010))
    assert big.contains(iso.geometry.iloc[0])
    # two 4 km discs 10 km apart do not touch: area = 2 discs (polygon approximation)
    np.testing.assert_allclose(iso.geometry.iloc[0].area, 2 * math.pi * radius5**2, rtol=3e-3)
    assert shapely.get_num_geometries(iso.geometry.iloc[0]) == 2
    # 8 km discs overlap: a single merged polygon smaller than two discs
    assert shapely.get_num_geometries(big) == 1
    assert big.area < 2 * math.pi * radius10**2 * 0.99


def test_isochrones_per_service():
    est = StraightLineEstimate()
    iso = est.isochrones(_services(), bands_min=(10, 20), per_service=True)
    assert list(iso["service_id"]) == ["A", "A", "B", "B"]
    assert list(iso["bande_min"]) == [10.0, 20.0, 10.0, 20.0]
    radius = 60 / 3.6 * 600 / 1.3
    np.testing.assert_allclose(iso.geometry.iloc[2].centroid.x, 10_000, atol=1e-6)
    np.testing.assert_allclose(iso.geometry.iloc[2].area, math.pi * radius**2, rtol=3e-3)


def test_bad_inputs():
    est = StraightLineEstimate()
    with pytest.raises(InputError, match="origine"):
        est.nearest(_services())
    with pytest.raises(MissingColumnError, match="service_id"):
        est.nearest(_services().drop(columns="service_id"), _origins())
    with pytest.raises(InputError, match="vide"):
        est.nearest(_services().iloc[:0], _origins())
    poly = gpd.GeoSeries([Point(0, 0).buffer(10)], crs="EPSG:2154")
    with pytest.raises(InputError, match="ponctuelles"):
        est.nearest(_services(), poly)
    with pytest.raises(InputError, match="absente"):
        est.nearest(_services(), gpd.GeoSeries([None], crs="EPSG:2154"))
    with pytest.raises(InputError, match="détour"):
        StraightLineEstimate(detour=0.5)
    with pytest.raises(InputError, match="vitesse"):
        StraightLineEstimate(vitesse_kmh=0)
    with pytest.raises(InputError, match="facteur de détour invalide : 'x'"):
        StraightLineEstimate(detour="x")  # was a bare numpy TypeError
    with pytest.raises(InputError, match="vitesse invalide : '60 km/h'"):
        StraightLineEstimate(vitesse_kmh="60 km/h")
    assert StraightLineEstimate(detour="1.2", vitesse_kmh="50").vitesse_kmh == 50.0
    with pytest.raises(InputError, match="bandes"):
        est.isochrones(_services(), bands_min=(0, 10))


def test_distances_measured_in_the_points_projection_overseas():
    # Martinique points in their official projection (UTM 20N, EPSG:5490): by default
    # the estimate measures there, not in Lambert-93 (which distorts far from France).
    x0, y0 = 710_000.0, 1_620_000.0
    services = gpd.GeoDataFrame({"service_id": ["FdF"]}, geometry=[Point(x0, y0)], crs="EPSG:5490")
    origins = gpd.GeoSeries([Point(x0 + 30_000, y0 + 40_000)], crs="EPSG:5490")
    est = StraightLineEstimate(detour=1.0, vitesse_kmh=36)  # 10 m/s
    np.testing.assert_allclose(est.nearest(services, origins)["time_s"], [5000.0])
    np.testing.assert_allclose(est.time_matrix(origins, services), [[5000.0]])
    assert est.isochrones(services, [10]).crs == "EPSG:5490"
    # a fixed CRS still reprojects: Lambert-93 stretches these 50 km noticeably
    fixed = StraightLineEstimate(detour=1.0, vitesse_kmh=36, crs="EPSG:2154")
    assert abs(fixed.nearest(services, origins)["time_s"].iloc[0] - 5000.0) > 100.0
