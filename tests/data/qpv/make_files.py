"""Write the small QPV test files of tests/territories/test_qpv.py and tests/analysis/test_qpv.py.

Field names follow the ANCT publications exactly (see README.md beside this
file); the polygons are drawn by hand (rough shapes near each quarter), NOT the
official outlines. Run: ``python make_files.py`` (byte-stable output).
"""

from pathlib import Path

import geopandas as gpd
import shapely

HERE = Path(__file__).resolve().parent


def poly(lon, lat, dx, dy, skew=0.0):
    """An irregular pentagon of half-size dx, dy degrees around (lon, lat), WGS84."""
    return shapely.Polygon(
        [
            (lon - dx, lat - dy),
            (lon + dx, lat - dy + skew),
            (lon + dx * 1.2, lat + dy * 0.3),
            (lon + dx * 0.2, lat + dy),
            (lon - dx * 0.9, lat + dy * 0.6),
        ]
    )


PEYROUAT = poly(-0.4780, 43.9010, 0.0045, 0.0030, 0.0005)
MOUSTEY = poly(-0.4990, 43.8870, 0.0035, 0.0025)
SOUS_LE_BOIS = poly(3.9550, 50.2850, 0.0040, 0.0025)
CHAUDRON = poly(55.4950, -20.8950, 0.0050, 0.0035)
TEST_DIGNE = poly(6.2340, 44.0930, 0.0030, 0.0022)
TEST_SGL = poly(2.0900, 48.8990, 0.0040, 0.0025)

Q2024 = ["code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep", "insee_com",
         "lib_com", "siren_epci"]  # fmt: skip
NA, HDF = ("75", "Nouvelle-Aquitaine"), ("32", "Hauts-de-France")
ROWS_2024 = [
    ("QN04001M", "Peyrouat", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675", PEYROUAT),
    ("QN04002M", "La Moustey", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675", MOUSTEY),
    ("QN05935M", "Sous-le-Bois", *HDF, "59", "Nord", "59392", "Maubeuge", "200043396",
     SOUS_LE_BOIS),
]  # fmt: skip
BAD_2024 = [
    ("QN04003M", "Sans contour", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675", None),
    ("X-40-4", "Code illisible", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675",
     PEYROUAT.buffer(-0.001)),
    ("QN04001M", "Peyrouat (doublon)", *NA, "40", "Landes", "40192", "Mont-de-Marsan",
     "244000675", PEYROUAT),
    ("QN04004M", "Ligne", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675",
     shapely.LineString([(-0.48, 43.90), (-0.47, 43.91)])),
    ("QN04005M", "Inversé", *NA, "40", "Landes", "40192", "Mont-de-Marsan", "244000675",
     shapely.Polygon([(43.90, -0.48), (43.91, -0.48), (43.91, -0.47)])),  # lat/lon swapped
]  # fmt: skip
TESTS_2024 = [
    ("QN00499T", "Contour de test - Digne-les-Bains centre", "93",
     "Provence-Alpes-Côte d'Azur", "04", "Alpes-de-Haute-Provence", "04070", "Digne-les-Bains",
     "200067437", TEST_DIGNE),
    ("QN07899T", "Contour de test - Saint-Germain-en-Laye centre", "11", "Île-de-France", "78",
     "Yvelines", "78551", "Saint-Germain-en-Laye", "200058519", TEST_SGL),
]  # fmt: skip


def frame(rows, columns, crs="EPSG:4326"):
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    return gpd.GeoDataFrame(data, geometry=[r[-1] for r in rows], crs="EPSG:4326").to_crs(crs)


def main():
    # 2024, GeoJSON in WGS84, with rows to reject
    frame(ROWS_2024 + BAD_2024, Q2024).to_file(
        HERE / "qpv_2024_metropole.geojson", driver="GeoJSON", engine="pyogrio",
        layer_options={"WRITE_BBOX": "NO", "COORDINATE_PRECISION": 7},
    )  # fmt: skip
    # 2024, GeoPackage in Lambert-93, fields as on the ANCT FeatureServer (Code_QP, Lib_QP...)
    caps = [c.title().replace("Siren_Epci", "Siren_EPCI").replace("_Qp", "_QP") for c in Q2024]
    frame(ROWS_2024, caps, "EPSG:2154").to_file(
        HERE / "qpv_2024_metropole_lb93.gpkg", driver="GPKG", engine="pyogrio", layer="qpv"
    )
    # 2015, shapefile in Lambert-93 (QP_METROPOLE_LB93), commune names
    rows15 = [
        ("QP040001", "Le Peyrouat", "Mont-de-Marsan", PEYROUAT),
        ("QP040002", "La Moustey", "Mont-de-Marsan", MOUSTEY),
        ("QP059039", "Sous le Bois", "Maubeuge", SOUS_LE_BOIS),
    ]
    frame(rows15, ["CODE_QP", "NOM_QP", "COMMUNE_QP"], "EPSG:2154").to_file(
        HERE / "QP_METROPOLE_LB93.shp", engine="pyogrio", encoding="UTF-8"
    )
    # 2015, overseas shapefile in the Réunion CRS (RGR92 / UTM 40S)
    frame([("QP974012", "Le Chaudron", "Saint-Denis", CHAUDRON)],
          ["CODE_QP", "NOM_QP", "COMMUNE_QP"], "EPSG:2975").to_file(
        HERE / "QP_DOM_974.shp", engine="pyogrio", encoding="UTF-8")  # fmt: skip
    # test outlines on the embedded 04 and shared 78 networks
    frame(TESTS_2024, Q2024).to_file(
        HERE / "qpv_test_04_78.geojson", driver="GeoJSON", engine="pyogrio",
        layer_options={"WRITE_BBOX": "NO", "COORDINATE_PRECISION": 7},
    )  # fmt: skip
    write_grid()


def write_grid():
    """Filosofi 2019 200 m cells (official schema) over Mont-de-Marsan, invented counts."""
    import sys

    sys.path.insert(0, str(HERE.parent / "carreaux"))
    import numpy as np
    import pandas as pd
    from make_files import COLUMNS, row  # the official column list and row builder

    com = shapely.box(-0.5556, 43.8554, -0.4462, 43.9316)
    pts = gpd.GeoSeries([PEYROUAT.centroid, MOUSTEY.centroid], crs=4326).to_crs(3035)
    cells = []
    rng = np.random.default_rng(40192)
    for p in pts:  # a 5 x 5 block of cells around each quarter
        n0, e0 = int(p.y // 200 * 200) - 400, int(p.x // 200 * 200) - 400
        for i in range(5):
            for j in range(5):
                cells.append((n0 + 200 * i, e0 + 200 * j))
    centre = gpd.GeoSeries([shapely.Point(-0.4930, 43.8930)], crs=4326).to_crs(3035).iloc[0]
    n0, e0 = int(centre.y // 200 * 200), int(centre.x // 200 * 200)
    cells += [(n0 + 200 * i, e0 + 200 * j) for i in range(6) for j in range(6)]
    rows = []
    for n, e in sorted(set(cells)):
        ind = float(rng.integers(5, 180))
        rows.append(row(n, e, "40192", ind, 0))
    table = pd.DataFrame(rows, columns=COLUMNS)
    # every cell must lie in Mont-de-Marsan's bounding box
    sq = gpd.GeoSeries(
        [shapely.box(e, n, e + 200, n + 200) for n, e in sorted(set(cells))], crs=3035
    ).to_crs(4326)
    assert sq.within(com).all()
    table.to_csv(HERE / "carreaux_qpv_40192.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
