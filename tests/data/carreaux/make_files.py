"""Write the small Filosofi 2019 grid files used by tests/test_carreaux.py.

Schema of the official INSEE release "Revenus, pauvreté et niveau de vie en
2019 - Données carroyées" (https://www.insee.fr/fr/statistiques/7655475):
``carreaux_200m_met.gpkg`` (squares in EPSG:3035) and ``carreaux_200m_met.csv``
(same columns, no geometry). Values are invented; cells lie in Mont-de-Marsan
(40192) and Saint-Pierre-du-Mont (40281). Run: ``python make_files.py``.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "idcar_200m", "idcar_1km", "idcar_nat", "i_est_200", "i_est_1km", "lcog_geo",
    "ind", "men", "men_pauv", "men_1ind", "men_5ind", "men_prop", "men_fmp",
    "ind_snv", "men_surf", "men_coll", "men_mais", "log_av45", "log_45_70",
    "log_70_90", "log_ap90", "log_inc", "log_soc", "ind_0_3", "ind_4_5",
    "ind_6_10", "ind_11_17", "ind_18_24", "ind_25_39", "ind_40_54",
    "ind_55_64", "ind_65_79", "ind_80p", "ind_inc",
]  # fmt: skip

# (north, east) of the lower-left corner in EPSG:3035, lcog_geo, ind, i_est_200
CELLS = [
    (2368000, 3478000, "40192", 12.0, 0),
    (2368000, 3478200, "40192", 30.5, 1),
    (2368000, 3478400, "4028140192", 8.0, 0),  # across two communes, centre in 40192
    (2368000, 3478600, "40281", 20.0, 0),
    (2368200, 3478000, "40192", 4.0, 0),
    (2368200, 3478600, "40281", 50.0, 0),
    (2368200, 3479400, "40281", 3.0, 0),  # lcog_geo trusted though outside the test polygon
    (2368800, 3478200, "40088", 7.0, 0),  # another commune: outside the study area
]


def row(n, e, lcog, ind, est):
    men = round(ind / 2.2, 1)
    values = dict.fromkeys(COLUMNS, 0.0)
    values.update(
        idcar_200m=f"CRS3035RES200mN{n}E{e}",
        idcar_1km=f"CRS3035RES1000mN{n // 1000 * 1000}E{e // 1000 * 1000}",
        idcar_nat=f"CRS3035RES1000mN{n // 1000 * 1000}E{e // 1000 * 1000}",
        i_est_200=est,
        i_est_1km=0,
        lcog_geo=lcog,
        ind=ind,
        men=men,
        men_prop=round(men * 0.6, 1),
        ind_snv=round(ind * 21_500.0, 1),
        men_surf=round(men * 95.0, 1),
        men_mais=men,
        log_ap90=men,
        ind_25_39=round(ind * 0.4, 1),
        ind_40_54=round(ind * 0.6, 1),
    )
    return values


def main():
    table = pd.DataFrame([row(*c) for c in CELLS], columns=COLUMNS)
    geom = [shapely.box(e, n, e + 200, n + 200) for n, e, *_ in CELLS]
    gpkg = gpd.GeoDataFrame(table.copy(), geometry=geom, crs="EPSG:3035")
    # one faulty row: population missing
    bad = gpkg.iloc[[0]].copy()
    bad["idcar_200m"] = "CRS3035RES200mN2368400E3478000"
    bad["ind"] = None
    bad.geometry = [shapely.box(3478000, 2368400, 3478200, 2368600)]
    gpkg = pd.concat([gpkg, bad], ignore_index=True)
    gpkg.to_file(HERE / "carreaux_200m_met.gpkg", layer="carreaux_200m_met", driver="GPKG")

    csv = table.astype(object)
    faulty = [
        dict(row(2368200, 3478200, "40192", 0, 0), idcar_200m="CRS3035RES200mNXXXE1"),
        dict(row(2368200, 3478200, "40192", 0, 0), ind=""),
        row(2368000, 3478000, "40192", 99.0, 0),  # duplicate of the first cell
        row(2368200, 3478400, "40192", -1.0, 0),
    ]
    csv = pd.concat([csv, pd.DataFrame(faulty, columns=COLUMNS)], ignore_index=True)
    csv.to_csv(HERE / "carreaux_200m_met.csv", index=False)


if __name__ == "__main__":
    main()
