"""Tests of the deficit flags: hand-made cases for every formula, then the Landes.

The tiny world (four communes, three sites, three cantons with a split town,
two EPCI) is drawn in ``indicator_cases``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from indicator_cases import (
    CRS,
    EST,
    LANDES_CANTONS,
    SITE_CANTONS,
    Y,
    _communes,
    _expected_without_site,
    _services,
    _territories,
    load_landes,
)
from scipy.spatial.distance import cdist

import accessibilite
from accessibilite import InputError, MissingColumnError
from accessibilite.analysis.coverage import coverage_over_time, cumulated_deficits
from accessibilite.analysis.indicators import (
    Deficits,
    access_times,
    flag_deficits,
)
from accessibilite.network.estimate import StraightLineEstimate

# ---------------------------------------------------------------- hand-made cases


def test_public_names():
    for name in ("access_times", "flag_deficits", "coverage_over_time", "cumulated_deficits"):
        assert getattr(accessibilite, name) is globals()[name]


def test_no_service_means_unreachable_never_zero():
    times = access_times(_communes(), _services().iloc[:0], EST)
    assert np.isinf(times["temps_min"]).all()
    assert times["service_id"].isna().all()
    deficits = flag_deficits(times, _services().iloc[:0], 30, **_territories())
    assert deficits.communes["au_dela_seuil"].all()
    dep = deficits.departement.iloc[0]
    assert dep["population_au_dela_seuil"] == dep["population"] == 1000
    assert dep["part_au_dela_seuil"] == 1.0
    assert math.isinf(dep["temps_max_min"])
    assert deficits.cantons["sans_service"].all()


def test_flag_deficits_hand_computed():
    services = _services()
    times = access_times(_communes(), services, EST)
    d = flag_deficits(times, services, seuil_min=9, **_territories())
    assert isinstance(d, Deficits) and d.seuil_min == 9.0
    # the method (provider description, origin) travels with the commune table
    assert d.communes.attrs["description"] == EST.description
    assert d.communes.attrs["origine"] == "mairie"
    assert list(d.communes["au_dela_seuil"]) == [False, False, True, False]
    assert list(d.communes["population_au_dela_seuil"]) == [0, 0, 300, 0]

    k = d.cantons.set_index("code")
    assert list(k.index) == ["K1", "K2", "K3"]
    assert list(k["nom"]) == ["Canton 1", "Canton 2", "Canton 3"]
    # split commune C2 (200 inhabitants): 120 in K1, 80 in K2
    assert list(k["population"]) == [100 + 120, 80 + 300, 400]
    assert list(k["population_au_dela_seuil"]) == [0, 300, 0]
    np.testing.assert_allclose(k["part_au_dela_seuil"], [0.0, 300 / 380, 0.0])
    # S1 (in split C2) counts for K1 and K2; S3 (other département) counts for nothing
    assert list(k["nb_sites"]) == [1, 1, 1]
    assert not k["sans_service"].any()
    assert list(k["commune_la_plus_eloignee"]) == ["Un", "Trois", "Quatre"]
    np.testing.assert_allclose(k["temps_max_min"], [6.0, 10.0, 1.0])
    assert k.geometry.iloc[0].equals(shapely.box(0, 0, 20_000, 10_000))

    e = d.epci.set_index("code")
    assert list(e["population"]) == [300, 700]
    assert list(e["population_au_dela_seuil"]) == [0, 300]
    np.testing.assert_allclose(e["part_au_dela_seuil"], [0.0, 3 / 7])
    assert list(e["nb_sites"]) == [1, 1]
    assert list(e["commune_la_plus_eloignee"]) == ["Un", "Trois"]

    dep = d.departement
    assert len(dep) == 1 and dep["code"].iloc[0] == "40" and dep["nom"].iloc[0] == "Landes"
    assert dep["population"].iloc[0] == 1000
    assert dep["population_au_dela_seuil"].iloc[0] == 300
    assert dep["part_au_dela_seuil"].iloc[0] == pytest.approx(0.3)
    assert dep["nb_sites"].iloc[0] == 2
    assert dep["commune_la_plus_eloignee"].iloc[0] == "Trois"
    np.testing.assert_allclose(dep.geometry.iloc[0].area, 40_000 * 10_000)


def test_threshold_is_strict():
    times = access_times(_communes(), _services(), EST)
    d = flag_deficits(times, _services(), seuil_min=10, **_territories())
    assert not d.communes["au_dela_seuil"].any()  # C3 at exactly 10 min is within


def test_itinerant_sites_excluded_on_demand():
    times = access_times(_communes(), _services(), EST)
    d = flag_deficits(times, _services(), 9, inclure_itinerants=False, **_territories())
    k = d.cantons.set_index("code")
    assert list(k["nb_sites"]) == [1, 1, 0]
    assert list(k.index[k["sans_service"]]) == ["K3"]
    assert list(d.epci["nb_sites"]) == [1, 0]
    assert d.departement["nb_sites"].iloc[0] == 1
    # excluding buses from the count does not change the times
    assert list(d.communes["au_dela_seuil"]) == [False, False, True, False]


def test_split_population_apportioned_by_largest_remainder():
    com = _communes()
    com.loc[1, "population"] = 201
    terr = _territories()
    terr["commune_cantons"]["part_surface"] = [1.0, 0.5, 0.5, 1.0, 1.0]
    times = access_times(com, _services(), EST)
    k = flag_deficits(times, _services(), 9, **terr).cantons
    assert k["population"].sum() == 1001
    assert sorted(k["population"].iloc[:2] - [100, 300]) == [100, 101]


def test_access_times_from_population_cells():
    # cells of C3: (21, 5) → S1 8 min, 30 inh.; (29, 5) → S2 6 min, 15 inh.;
    # (25, 5) → S2 10 min, 20 inh., commune unknown (found by its centre).
    # A cell of another commune outside the area is ignored.
    def cell(x):
        return shapely.box(x - 100, Y - 100, x + 100, Y + 100)

    cells = gpd.GeoDataFrame(
        {
            "idcar": ["a", "b", "c", "d"],
            "code_insee": ["40003", "40003", None, "40999"],
            "population": [30.0, 15.0, 20.0, 50.0],
        },
        geometry=[cell(21000), cell(29000), cell(25000), cell(80_000)],
        crs=CRS,
    )
    with pytest.warns(UserWarning, match="3 commune"):
        times = access_times(_communes(), _services(), EST, origine="carreaux", carreaux=cells)
    mean = (30 * 8 + 15 * 6 + 20 * 10) / 65
    np.testing.assert_allclose(times["temps_min"], [6.0, 2.0, mean, 1.0])
    np.testing.assert_allclose(times["temps_moyen_pondere_min"], times["temps_min"])
    assert times.loc[2, "service_id"] == "S2"  # serves 35 of the 65 inhabitants
    assert times.attrs["communes_sans_carreau"] == ["40001", "40002", "40004"]
    cell_times = times.attrs["temps_carreaux"].table.set_index("idcar")
    assert sorted(cell_times.index) == ["a", "b", "c"]
    np.testing.assert_allclose(cell_times.loc[["a", "b", "c"], "temps_min"], [8.0, 6.0, 10.0])

    d = flag_deficits(times, _services(), seuil_min=9, **_territories())
    c3 = d.communes.set_index("code_insee").loc["40003"]
    assert not c3["au_dela_seuil"]  # the weighted mean 8.15 min is within 9 min
    assert c3["part_population_au_dela_seuil"] == pytest.approx(20 / 65)
    assert c3["population_au_dela_seuil"] == pytest.approx(300 * 20 / 65)
    k2 = d.cantons.set_index("code").loc["K2"]
    assert k2["population_au_dela_seuil"] == round(300 * 20 / 65)
    assert k2["part_au_dela_seuil"] == pytest.approx(300 * 20 / 65 / 380)


def test_works_with_a_road_network():
    from accessibilite.network.road import RoadNetwork

    # nodes on the town halls and services; C4's town hall is cut off from every service
    x = [1000, 15000, 23000, 36000, 13000, 35000, -5000]
    y = [Y] * 7
    u = [0, 6, 1, 4, 2, 4, 3, 5]
    v = [6, 0, 4, 1, 4, 2, 5, 3]
    t = [300, 300, 60, 60, 1200, 1200, 30, 30]
    net = RoadNetwork.from_edges(u, v, t, x, y, crs=CRS)
    # C4 (node 3) reaches only S2 (node 5): drop S2 to make it unreachable
    services = _services().iloc[[0, 2]]
    with pytest.warns(UserWarning) as record:
        times = access_times(_communes(), services, net)
    # the unreachable commune is named, never a silent deficit
    assert [str(w.message) for w in record] == [
        "1 commune(s) sans temps d'accès (inaccessibles, comptées au-delà du seuil) : "
        "Quatre (40004)"
    ]
    np.testing.assert_allclose(times["temps_min"].iloc[:3], [5.0, 1.0, 20.0])
    assert np.isinf(times["temps_min"].iloc[3])
    assert times["service_id"].iloc[3] is None or pd.isna(times["service_id"].iloc[3])
    d = flag_deficits(times, services, 30, **_territories())
    assert list(d.communes["au_dela_seuil"]) == [False, False, False, True]
    assert d.cantons.set_index("code").loc["K3", "population_au_dela_seuil"] == 400


def test_departement_without_cantons_hand_made():
    # the tiny world placed in Guyane (973), which has no electoral canton
    com = _communes()
    com["code_departement"] = "973"
    services = _services()
    times = access_times(com, services, EST)
    with pytest.warns(UserWarning, match="pas de cantons électoraux .* 973"):
        d = flag_deficits(times, services, 9, epcis=_territories()["epcis"])
    assert len(d.cantons) == 0 and d.cantons.crs == com.crs
    assert list(d.cantons.columns) == list(d.epci.columns)
    # EPCI and département as computed in Landes: E1 = C1 + C2, E2 = C3 + C4 (C3 at 10 min)
    assert list(d.epci["population"]) == [300, 700]
    assert list(d.epci["population_au_dela_seuil"]) == [0, 300]
    assert list(d.epci["nb_sites"]) == [1, 1]
    dep = d.departement.iloc[0]
    assert (dep["code"], dep["nom"]) == ("973", "Guyane")
    assert (dep["population"], dep["population_au_dela_seuil"], dep["nb_sites"]) == (1000, 300, 2)
    assert list(d.communes["au_dela_seuil"]) == [False, False, True, False]
    # an unknown département code is still an error, not a missing canton
    com["code_departement"] = "99"
    with pytest.raises(InputError, match="99"):
        flag_deficits(access_times(com, services, EST), services, 9)


def test_bad_inputs():
    com, services = _communes(), _services()
    with pytest.raises(InputError, match="origine"):
        access_times(com, services, EST, origine="gare")
    with pytest.raises(InputError, match="carreaux"):
        access_times(com, services, EST, origine="carreaux")
    with pytest.raises(MissingColumnError, match="mairie"):
        access_times(com.drop(columns="mairie"), services, EST)
    with pytest.raises(MissingColumnError, match="population"):
        access_times(com.drop(columns="population"), services, EST)
    bad = com.copy()
    bad.loc[0, "population"] = -5
    with pytest.raises(InputError, match="population"):
        access_times(bad, services, EST)
    with pytest.raises(InputError, match="en double"):
        access_times(pd.concat([com, com.iloc[[0]]]), services, EST)
    times = access_times(com, services, EST)
    with pytest.raises(InputError, match="seuil"):
        flag_deficits(times, services, 0, **_territories())
    for bad_seuil in ("trente", None, "nan"):  # was a bare numpy TypeError for text
        with pytest.raises(InputError, match="seuil invalide"):
            flag_deficits(times, services, bad_seuil, **_territories())
    assert flag_deficits(times, services, "9", **_territories()).seuil_min == 9.0
    with pytest.raises(MissingColumnError, match="itinerant"):
        flag_deficits(
            times, services.drop(columns="itinerant"), 30, inclure_itinerants=False,
            **_territories(),
        )  # fmt: skip
    with pytest.raises(InputError, match="seuil manquant"):
        cumulated_deficits(com, {"fs": services}, EST, {"autre": 10})
    with pytest.raises(MissingColumnError, match="date_ouverture"):
        coverage_over_time(com, services.drop(columns="date_ouverture"), EST, ["2020-01-01"])


# ---------------------------------------------------------------- the Landes, real data


@pytest.fixture(scope="module")
def landes(fs_2024, landes_communes):
    return load_landes(fs_2024, landes_communes)


def test_landes_cantons_without_site_split_rule(landes):
    communes, services, _, raw = landes
    times = access_times(communes, services, StraightLineEstimate())
    d = flag_deficits(times, services, 30)
    assert len(d.cantons) == 15 and set(d.cantons["nom"]) == LANDES_CANTONS
    expected = _expected_without_site(raw)
    assert expected == {"Seignanx"}
    assert set(d.cantons.loc[d.cantons["sans_service"], "nom"]) == expected
    # each site counts once per canton of its commune: 20 sites, Dax and Mont-de-Marsan twice
    assert d.cantons["nb_sites"].sum() == sum(len(SITE_CANTONS[c]) for c in raw["lib_com"]) == 22
    assert d.departement["nb_sites"].item() == 20
    assert d.cantons["population"].sum() == communes["population"].sum()
    assert len(d.epci) == 18 and d.epci["population"].sum() == communes["population"].sum()
    beyond = times["temps_min"].to_numpy() > 30
    assert d.departement["population_au_dela_seuil"].item() == communes["population"][beyond].sum()
    worst = times.loc[times["temps_min"].idxmax(), "nom"]
    assert d.departement["commune_la_plus_eloignee"].item() == worst

    # without the buses of Dax, Mont-de-Marsan and Morcenx
    d = flag_deficits(times, services, 30, inclure_itinerants=False)
    expected = _expected_without_site(raw[~raw["bus"]])
    assert expected == {"Seignanx", "Dax-1", "Dax-2", "Mont-de-Marsan-1"}
    assert set(d.cantons.loc[d.cantons["sans_service"], "nom"]) == expected


def test_martinique_without_cantons():
    communes = accessibilite.communes("972")
    assert len(communes) == 34 and communes.crs.to_epsg() == 5490
    hosts = communes.set_index("code_insee").loc[["97209", "97217"]]  # Fort-de-France, Le Marin
    services = gpd.GeoDataFrame(
        {"service_id": ["FDF", "MARIN"], "code_insee": list(hosts.index), "itinerant": False},
        geometry=hosts["mairie"].to_numpy(),
        crs=communes.crs,
    )
    # distances measured in Martinique's own UTM projection, not in Lambert-93
    times = access_times(communes, services, StraightLineEstimate())
    with pytest.warns(UserWarning, match="pas de cantons électoraux .* 972"):
        d = flag_deficits(times, services, 20)
    assert len(d.cantons) == 0 and list(d.cantons.columns) == list(d.epci.columns)
    # independent: straight line × 1.3 at 60 km/h from the town halls
    mairies = shapely.get_coordinates(communes["mairie"].to_numpy())
    sites = shapely.get_coordinates(services.geometry.to_numpy())
    beyond = cdist(mairies, sites).min(axis=1) * 1.3 / 1000.0 > 20
    assert 0 < beyond.sum() < 34
    assert d.departement["nom"].item() == "Martinique"
    assert d.departement["population"].item() == communes["population"].sum()
    assert d.departement["population_au_dela_seuil"].item() == communes["population"][beyond].sum()
    assert d.departement["nb_sites"].item() == 2
    assert len(d.epci) == communes["code_epci"].nunique() == 3
    per_epci = communes.assign(far=communes["population"] * beyond).groupby("code_epci")
    epci = d.epci.set_index("code")
    assert epci["population"].to_dict() == per_epci["population"].sum().to_dict()
    assert epci["population_au_dela_seuil"].to_dict() == per_epci["far"].sum().to_dict()
    site_epci = set(hosts["code_epci"])
    assert set(epci.index[~epci["sans_service"]]) == site_epci


def test_study_area_smaller_than_the_departement(landes):
    # three communes (a user commune file or --communes): only their cantons and EPCI,
    # not the 12 other Landes cantons listed "sans site" with 0 inhabitants
    communes, services, _, _ = landes
    some = communes[communes["code_insee"].isin(["40088", "40192", "40243"])]
    times = access_times(some, services, StraightLineEstimate())
    d = flag_deficits(times, services, 30)
    links = accessibilite.commune_cantons("40")
    expected = set(links.loc[links["code_insee"].isin(some["code_insee"]), "code_canton"])
    assert len(expected) == 5  # Dax and Mont-de-Marsan are split in two cantons each
    assert set(d.cantons["code"]) == expected
    assert set(d.epci["code"]) == set(some["code_epci"])
    assert (d.cantons["population"] > 0).all() and (d.epci["population"] > 0).all()
    assert d.cantons["population"].sum() == some["population"].sum()
