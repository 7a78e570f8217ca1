"""Tests of the access indicators: hand-made cases for every formula, then the Landes.

Tiny world (Lambert-93 metres, estimate with detour 1 and 60 km/h, so that one
kilometre of straight line is one minute)::

    x (km)  -5     0 1    10  13 15    20   23     30     35 36   40
            S3     |C1    |   S1 m2    |    m3     |      S2 m4   |
                    m1
    C1 40001 pop 100: town hall x=1  → S3 (Pyrénées-Atlantiques) 6 min
    C2 40002 pop 200: town hall x=15 → S1 (in C2, fixed)          2 min
    C3 40003 pop 300: town hall x=23 → S1 10 min (S2 is 12 min away)
    C4 40004 pop 400: town hall x=36 → S2 (in C4, itinerant bus)  1 min

Cantons: K1 = C1 + 60 % of C2, K2 = 40 % of C2 + C3, K3 = C4 (C2 is a split
town, like Dax). EPCI: E1 = C1 + C2, E2 = C3 + C4.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial.distance import cdist
from shapely.geometry import Point

import accessibilite
from accessibilite import InputError, MissingColumnError
from accessibilite.estimate import StraightLineEstimate
from accessibilite.indicators import (
    Deficits,
    access_times,
    coverage_over_time,
    cumulated_deficits,
    flag_deficits,
)

CRS = "EPSG:2154"
Y = 5000.0
EST = StraightLineEstimate(detour=1.0, vitesse_kmh=60.0)


def _communes():
    return gpd.GeoDataFrame(
        {
            "code_insee": ["40001", "40002", "40003", "40004"],
            "nom": ["Un", "Deux", "Trois", "Quatre"],
            "population": [100, 200, 300, 400],
            "code_departement": ["40"] * 4,
            "code_epci": ["E1", "E1", "E2", "E2"],
            "nom_epci": ["CC Un", "CC Un", "CC Deux", "CC Deux"],
            "mairie": gpd.GeoSeries(
                [Point(1000, Y), Point(15000, Y), Point(23000, Y), Point(36000, Y)], crs=CRS
            ),
        },
        geometry=[shapely.box(10_000 * i, 0, 10_000 * (i + 1), 10_000) for i in range(4)],
        crs=CRS,
    )


def _services():
    return gpd.GeoDataFrame(
        {
            "service_id": ["S1", "S2", "S3"],
            "nom": ["Fixe", "Bus", "Voisin"],
            "categorie": ["france_services"] * 3,
            "code_insee": ["40002", "40004", "64001"],
            "date_ouverture": pd.to_datetime(["2020-01-01", "2022-06-01", pd.NaT]),
            "itinerant": [False, True, False],
        },
        geometry=[Point(13000, Y), Point(35000, Y), Point(-5000, Y)],
        crs=CRS,
    )


def _territories():
    cantons = gpd.GeoDataFrame(
        {"code_canton": ["K1", "K2", "K3"], "nom": ["Canton 1", "Canton 2", "Canton 3"]},
        geometry=[
            shapely.box(0, 0, 20_000, 10_000),
            shapely.box(10_000, 0, 30_000, 10_000),
            shapely.box(30_000, 0, 40_000, 10_000),
        ],  # fmt: skip
        crs=CRS,
    )
    links = pd.DataFrame(
        {
            "code_insee": ["40001", "40002", "40002", "40003", "40004"],
            "code_canton": ["K1", "K1", "K2", "K2", "K3"],
            "part_surface": [1.0, 0.6, 0.4, 1.0, 1.0],
        }
    )
    epcis = gpd.GeoDataFrame(
        {"code_epci": ["E1", "E2"], "nom": ["CC Un", "CC Deux"]},
        geometry=[shapely.box(0, 0, 20_000, 10_000), shapely.box(20_000, 0, 40_000, 10_000)],
        crs=CRS,
    )
    return {"cantons": cantons, "commune_cantons": links, "epcis": epcis}


# ---------------------------------------------------------------- hand-made cases


def test_public_names():
    for name in ("access_times", "flag_deficits", "coverage_over_time", "cumulated_deficits"):
        assert getattr(accessibilite, name) is globals()[name]


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


def test_service_outside_located_without_code():
    services = _services()
    services.loc[2, "code_insee"] = None  # S3 lies outside every commune polygon
    services.loc[0, "code_insee"] = None  # S1 lies in C2 (40002)
    times = access_times(_communes(), services, EST)
    assert list(times["service_hors_departement"]) == [True, False, False, False]


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
    from accessibilite.network import RoadNetwork

    # nodes on the town halls and services; C4's town hall is cut off from every service
    x = [1000, 15000, 23000, 36000, 13000, 35000, -5000]
    y = [Y] * 7
    u = [0, 6, 1, 4, 2, 4, 3, 5]
    v = [6, 0, 4, 1, 4, 2, 5, 3]
    t = [300, 300, 60, 60, 1200, 1200, 30, 30]
    net = RoadNetwork.from_edges(u, v, t, x, y, crs=CRS)
    # C4 (node 3) reaches only S2 (node 5): drop S2 to make it unreachable
    services = _services().iloc[[0, 2]]
    times = access_times(_communes(), services, net)
    np.testing.assert_allclose(times["temps_min"].iloc[:3], [5.0, 1.0, 20.0])
    assert np.isinf(times["temps_min"].iloc[3])
    assert times["service_id"].iloc[3] is None or pd.isna(times["service_id"].iloc[3])
    d = flag_deficits(times, services, 30, **_territories())
    assert list(d.communes["au_dela_seuil"]) == [False, False, False, True]
    assert d.cantons.set_index("code").loc["K3", "population_au_dela_seuil"] == 400


def test_coverage_over_time_hand_computed():
    with pytest.warns(UserWarning, match="1 site"):
        cov = coverage_over_time(
            _communes(),
            _services(),
            EST,
            ["2024-01-01", "2021-01-01", "2019-01-01"],
            seuil_min=9,
            **_territories(),
        )
    assert list(cov.columns) == [
        "date", "niveau", "code", "nom", "population", "nb_sites", "sans_service",
        "population_au_dela_seuil", "part_au_dela_seuil",
    ]  # fmt: skip
    assert len(cov) == 3 * (3 + 2 + 1)
    dep = cov[cov["niveau"] == "departement"].set_index("date")
    assert list(dep.index) == list(pd.to_datetime(["2019-01-01", "2021-01-01", "2024-01-01"]))
    # 2019: only S3 (no date, counted open): C2 at 20 min, C3 at 28, C4 at 41 km
    # 2021: S1 and S3: C3 (10 min) and C4 (23 min) beyond 9 min; 2024: C3 only
    assert list(dep["nb_sites"]) == [0, 1, 2]
    assert list(dep["population_au_dela_seuil"]) == [900, 700, 300]
    k = cov[cov["niveau"] == "canton"].pivot(index="date", columns="code", values="sans_service")
    assert k.to_numpy().tolist() == [
        [True, True, True],
        [False, False, True],
        [False, False, False],
    ]
    with pytest.warns(UserWarning, match="ignorés"):
        cov = coverage_over_time(
            _communes(), _services(), EST, ["2019-01-01"], 9, date_inconnue="exclure",
            **_territories(),
        )  # fmt: skip
    assert cov.loc[cov["niveau"] == "departement", "population_au_dela_seuil"].item() == 1000


def test_cumulated_deficits_hand_computed():
    services = _services()
    other = gpd.GeoDataFrame({"service_id": ["M"]}, geometry=[Point(40_000, Y)], crs=CRS)
    out = cumulated_deficits(
        _communes(), {"fs": services, "maternite": other}, EST, seuil_min={"fs": 9, "maternite": 20}
    )
    np.testing.assert_allclose(out["temps_min_fs"], [6, 2, 10, 1])
    np.testing.assert_allclose(out["temps_min_maternite"], [39, 25, 17, 4])
    assert list(out["au_dela_seuil_fs"]) == [False, False, True, False]
    assert list(out["au_dela_seuil_maternite"]) == [True, True, False, False]
    assert list(out["nb_deficits"]) == [1, 1, 1, 0]
    assert list(out["categories_en_deficit"]) == ["maternite", "maternite", "fs", ""]
    out = cumulated_deficits(_communes(), {"fs": services, "maternite": other}, EST, 5)
    assert list(out["nb_deficits"]) == [2, 1, 2, 0]


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

#: By-hand canton lookup of the communes hosting a France Services site in August
#: 2024 (electoral cantons of 2014); Dax and Mont-de-Marsan are split towns.
SITE_CANTONS = {
    "Aire-sur-l'Adour": ["Adour Armagnac"],
    "Amou": ["Coteau de Chalosse"],
    "Castets": ["Côte d'Argent"],
    "Dax": ["Dax-1", "Dax-2"],
    "Gabarret": ["Haute Lande Armagnac"],
    "Geaune": ["Chalosse Tursan"],
    "Grenade-sur-l'Adour": ["Adour Armagnac"],
    "Hagetmau": ["Chalosse Tursan"],
    "Mont-de-Marsan": ["Mont-de-Marsan-1", "Mont-de-Marsan-2"],
    "Montfort-en-Chalosse": ["Coteau de Chalosse"],
    "Morcenx-la-Nouvelle": ["Pays morcenais tarusate"],
    "Parentis-en-Born": ["Grands Lacs"],
    "Peyrehorade": ["Orthe et Arrigans"],
    "Rion-des-Landes": ["Pays morcenais tarusate"],
    "Roquefort": ["Haute Lande Armagnac"],
    "Sabres": ["Haute Lande Armagnac"],
    "Saint-Julien-en-Born": ["Côte d'Argent"],
    "Saint-Pierre-du-Mont": ["Mont-de-Marsan-2"],
    "Saint-Vincent-de-Tyrosse": ["Pays Tyrossais"],
    "Soustons": ["Marensin Sud"],
}
LANDES_CANTONS = {
    "Adour Armagnac", "Chalosse Tursan", "Côte d'Argent", "Coteau de Chalosse", "Dax-1",
    "Dax-2", "Grands Lacs", "Haute Lande Armagnac", "Marensin Sud", "Mont-de-Marsan-1",
    "Mont-de-Marsan-2", "Orthe et Arrigans", "Pays morcenais tarusate", "Pays Tyrossais",
    "Seignanx",
}  # fmt: skip


def _raw_landes_sites(path) -> pd.DataFrame:
    """The 2024 Landes rows read straight from the CSV (independent of the loaders)."""
    raw = pd.read_csv(path, dtype=str)
    raw = raw[raw["insee_dep"] == "40"].copy()
    label = raw["labellisation_fs"].str.extract(r"(\d{2}/\d{2}/\d{4})")[0]
    raw["date"] = pd.to_datetime(label, format="%d/%m/%Y")
    raw["bus"] = raw["format_fs"].isin(["Bus_équivalent", "Itinérante"])
    return raw


def _expected_without_site(raw: pd.DataFrame) -> set[str]:
    covered = {c for com in raw["lib_com"] for c in SITE_CANTONS[com]}
    return LANDES_CANTONS - covered


@pytest.fixture(scope="module")
def landes(fs_2024, landes_communes):
    with pytest.warns(Warning):
        services = accessibilite.load_france_services(fs_2024, departement="40")
    with pytest.warns(Warning):
        wider = accessibilite.load_france_services(fs_2024, departement="40", buffer_km=40)
    return landes_communes, services, wider, _raw_landes_sites(fs_2024)


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


def test_landes_coverage_2020_2024(landes):
    communes, services, _, raw = landes
    dates = ["2020-01-01", "2022-01-01", "2024-08-01"]
    cov = coverage_over_time(communes, services, StraightLineEstimate(), dates, 30)
    assert len(cov) == 3 * (15 + 18 + 1)
    for date in pd.to_datetime(dates):
        rows = cov[(cov["date"] == date) & (cov["niveau"] == "canton")]
        expected = _expected_without_site(raw[raw["date"] <= date])
        assert set(rows.loc[rows["sans_service"], "nom"]) == expected, date
        dep = cov[(cov["date"] == date) & (cov["niveau"] == "departement")]
        assert dep["nb_sites"].item() == (raw["date"] <= date).sum()
    first = cov[(cov["date"] == "2020-01-01") & (cov["niveau"] == "canton")]
    assert set(first.loc[first["sans_service"], "nom"]) == LANDES_CANTONS - {
        "Adour Armagnac", "Chalosse Tursan", "Orthe et Arrigans", "Pays morcenais tarusate",
    }  # fmt: skip
    share = cov[cov["niveau"] == "departement"]["part_au_dela_seuil"].to_numpy()
    assert share[0] > share[1] > share[2]  # the network densified


def test_landes_cumulated_deficits(landes, bpe_d107):
    communes, services, _, _ = landes
    bpe = pd.read_csv(bpe_d107, dtype={"CODGEO": str})
    codes = sorted(set(bpe["CODGEO"]) & set(communes["code_insee"]))
    assert codes == ["40088", "40192"]  # Dax, Mont-de-Marsan
    hosts = communes.set_index("code_insee").loc[codes]
    maternites = gpd.GeoDataFrame(
        {"service_id": codes}, geometry=hosts["mairie"].to_numpy(), crs=communes.crs
    )
    out = cumulated_deficits(
        communes,
        {"france_services": services, "maternite": maternites},
        StraightLineEstimate(),
        seuil_min={"france_services": 30, "maternite": 45},
    )
    mairies = shapely.get_coordinates(communes["mairie"].to_numpy())
    fs = cdist(mairies, shapely.get_coordinates(services.geometry.to_numpy())).min(axis=1)
    mat = cdist(mairies, shapely.get_coordinates(maternites.geometry.to_numpy())).min(axis=1)
    expected = (fs * 1.3 / 1000 > 30).astype(int) + (mat * 1.3 / 1000 > 45).astype(int)
    np.testing.assert_array_equal(out["nb_deficits"], expected)
    assert (out["nb_deficits"] == 2).sum() >= 1
    assert set(out["nb_deficits"]) <= {0, 1, 2}
