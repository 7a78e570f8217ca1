"""Shared cases of the indicator tests (access, indicators, coverage).

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

The Landes helpers read the 2024 France Services list straight from the CSV,
independently of the package's loaders.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import shapely
from accessibilite.estimate import StraightLineEstimate
from shapely.geometry import Point

import accessibilite

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


def load_landes(fs_2024, landes_communes):
    """Landes communes, 2024 sites, sites within 40 km of the border, raw CSV rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the other départements' sites are left out silently
        services = accessibilite.load_france_services(fs_2024, departement="40")
        wider = accessibilite.load_france_services(fs_2024, departement="40", buffer_km=40)
    return landes_communes, services, wider, _raw_landes_sites(fs_2024)
