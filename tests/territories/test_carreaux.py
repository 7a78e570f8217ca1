"""Tests of the Filosofi 200 m grid loader on small files in the official schema."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import accessibilite
from accessibilite import DataFileError, MissingColumnError
from accessibilite.territories.carreaux import load_carreaux

HERE = Path(__file__).resolve().parents[1] / "data" / "carreaux"
GPKG = HERE / "carreaux_200m_met.gpkg"
CSV = HERE / "carreaux_200m_met.csv"
TO_L93 = Transformer.from_crs(3035, 2154, always_xy=True)


def _communes():
    """Two hand-made communes split at x = 3 478 550 (EPSG:3035), in Lambert-93."""
    polys = [
        shapely.box(3_477_800, 2_367_800, 3_478_550, 2_368_600),
        shapely.box(3_478_550, 2_367_800, 3_479_200, 2_368_600),
    ]
    frame = gpd.GeoDataFrame(
        {"code_insee": ["40192", "40281"], "nom": ["Mont-de-Marsan", "Saint-Pierre-du-Mont"]},
        geometry=polys,
        crs="EPSG:3035",
    )
    return frame.to_crs("EPSG:2154")


def test_public_name():
    assert accessibilite.load_carreaux is load_carreaux


def test_gpkg_without_communes():
    with pytest.warns(UserWarning, match="1 carreau"):
        cells = load_carreaux(GPKG)
    assert cells.crs == "EPSG:2154"
    assert len(cells) == 8
    rejected = cells.attrs["rejected"]
    assert len(rejected) == 1
    assert rejected["reason"].iloc[0] == "population (ind) absente ou négative"
    assert rejected["idcar_200m"].iloc[0] == "CRS3035RES200mN2368400E3478000"
    assert cells.attrs["hors_territoire"] == 0
    assert list(cells["idcar"]) == sorted(cells["idcar"])
    by_id = cells.set_index("idcar")
    assert by_id.loc["CRS3035RES200mN2368000E3478200", "population"] == 30.5
    assert by_id.loc["CRS3035RES200mN2368000E3478200", "i_est_200"] == 1
    # a cell across two communes has no single commune without polygons
    assert pd.isna(by_id.loc["CRS3035RES200mN2368000E3478400", "code_insee"])
    assert by_id.loc["CRS3035RES200mN2368000E3478400", "lcog_geo"] == "4028140192"
    assert by_id.loc["CRS3035RES200mN2368800E3478200", "code_insee"] == "40088"
    assert cells["population"].sum() == pytest.approx(12 + 30.5 + 8 + 20 + 4 + 50 + 3 + 7)


def test_square_geometry_is_the_cell_reprojected():
    with pytest.warns(UserWarning):
        cells = load_carreaux(GPKG)
    cell = cells.set_index("idcar").geometry["CRS3035RES200mN2368200E3478600"]
    x, y = TO_L93.transform(3_478_700.0, 2_368_300.0)  # centre of the cell in EPSG:3035
    assert cell.centroid.distance(shapely.Point(x, y)) < 0.05
    # LAEA is equal-area; Lambert-93 scale error in the Landes is < 0.1 %
    assert cell.area == pytest.approx(40_000.0, rel=2e-3)


def test_gpkg_with_communes():
    with pytest.warns(UserWarning):
        cells = load_carreaux(GPKG, communes=_communes())
    assert cells.attrs["hors_territoire"] == 1  # the 40088 cell
    assert len(cells) == 7
    assert len(cells) + len(cells.attrs["rejected"]) + cells.attrs["hors_territoire"] == 9
    codes = cells.set_index("idcar")["code_insee"]
    # the two-commune cell goes to the commune holding its centre, not the first code listed
    assert codes["CRS3035RES200mN2368000E3478400"] == "40192"
    # a single lcog_geo code is trusted even when the centre lies outside that polygon
    assert codes["CRS3035RES200mN2368200E3479400"] == "40281"
    pop = cells.groupby("code_insee")["population"].sum()
    assert pop.to_dict() == {"40192": 12 + 30.5 + 8 + 4, "40281": 20 + 50 + 3}


def test_csv_same_cells_as_gpkg_and_rejections():
    with pytest.warns(UserWarning, match="4 carreau"):
        from_csv = load_carreaux(CSV, communes=_communes())
    with pytest.warns(UserWarning):
        from_gpkg = load_carreaux(GPKG, communes=_communes())
    rejected = from_csv.attrs["rejected"].set_index("idcar_200m")["reason"]
    assert len(rejected) == 4
    assert rejected["CRS3035RES200mNXXXE1"] == "identifiant de carreau illisible"
    assert sorted(rejected) == sorted(
        [
            "identifiant de carreau illisible",
            "population (ind) absente ou négative",
            "population (ind) absente ou négative",
            "identifiant de carreau en double",
        ]
    )
    assert len(from_csv) + len(rejected) + from_csv.attrs["hors_territoire"] == 12
    pd.testing.assert_frame_equal(
        from_csv.drop(columns="geometry"), from_gpkg.drop(columns="geometry")
    )
    # squares rebuilt from idcar_200m match the official squares
    dist = from_csv.geometry.reset_index(drop=True).hausdorff_distance(
        from_gpkg.geometry.reset_index(drop=True)
    )
    assert np.all(dist < 0.01)


def test_capitalised_2017_names_and_semicolons(tmp_path):
    table = pd.read_csv(CSV, dtype=str, keep_default_na=False).iloc[:3]
    table = table.rename(
        columns={"idcar_200m": "Idcar_200m", "ind": "Ind", "i_est_200": "I_est_200"}
    )
    path = tmp_path / "Filosofi2017_carreaux_200m_met.csv"
    table.to_csv(path, sep=";", index=False)
    cells = load_carreaux(path)
    assert list(cells["population"]) == [12.0, 30.5, 8.0]
    assert list(cells["code_insee"].iloc[:2]) == ["40192", "40192"]
    assert pd.isna(cells["code_insee"].iloc[2])


def test_unreadable_imputation_flag_is_missing_not_a_crash(tmp_path):
    # i_est_200 only describes the cell: an empty or odd flag must not stop the loading
    table = pd.read_csv(CSV, dtype=str, keep_default_na=False).iloc[:3]
    table["i_est_200"] = ["x", "", "1"]
    path = tmp_path / "carreaux.csv"
    table.to_csv(path, index=False)
    cells = load_carreaux(path)
    assert list(cells["population"]) == [12.0, 30.5, 8.0]
    assert cells["i_est_200"].isna().tolist() == [True, True, False]
    assert cells["i_est_200"].iloc[2] == 1


def test_errors(tmp_path):
    with pytest.raises(DataFileError, match="introuvable"):
        load_carreaux(tmp_path / "absent.csv")
    path = tmp_path / "bad.csv"
    pd.read_csv(CSV, dtype=str).drop(columns="ind").to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match="'ind'") as err:
        load_carreaux(path)
    assert str(path) in str(err.value)


def test_loaded_cells_as_origins_of_access_times():
    from accessibilite.analysis.indicators import access_times, flag_deficits
    from accessibilite.network.estimate import StraightLineEstimate

    communes = _communes()
    communes["population"] = [1000, 500]
    communes["mairie"] = communes.geometry.representative_point()
    with pytest.warns(UserWarning):
        cells = load_carreaux(GPKG, communes=communes)
    # one service at the centre of the cell N2368000E3478000 (in Mont-de-Marsan)
    x, y = TO_L93.transform(3_478_100.0, 2_368_100.0)
    services = gpd.GeoDataFrame({"service_id": ["S"]}, geometry=[shapely.Point(x, y)], crs=2154)
    est = StraightLineEstimate(detour=1.0, vitesse_kmh=60.0)  # 1 km per minute
    times = access_times(communes, services, est, origine="carreaux", carreaux=cells)
    # independent computation: cell centres in EPSG:3035 (LAEA distances match within 0.1 %)
    expected = {}
    for code in ("40192", "40281"):
        sub = cells[cells["code_insee"] == code]
        e = sub["idcar"].str.extract(r"E(\d+)")[0].astype(float) + 100
        n = sub["idcar"].str.extract(r"N(\d+)")[0].astype(float) + 100
        dist_km = np.hypot(e - 3_478_100, n - 2_368_100) / 1000
        expected[code] = float((dist_km * sub["population"]).sum() / sub["population"].sum())
    np.testing.assert_allclose(
        times["temps_moyen_pondere_min"], [expected["40192"], expected["40281"]], rtol=2e-3
    )
    # share of Mont-de-Marsan's cell population beyond 0.1 min (100 m): all but the service's cell
    with pytest.warns(UserWarning, match="code_epci"):
        d = flag_deficits(
            times,
            services,
            0.1,
            cantons=communes.rename(columns={"code_insee": "code_canton"})[
                ["code_canton", "nom", "geometry"]
            ],
            commune_cantons=pd.DataFrame(
                {"code_insee": ["40192", "40281"], "code_canton": ["40192", "40281"]}
            ),
            epcis=gpd.GeoDataFrame({"code_epci": [], "nom": []}, geometry=[], crs=2154),
        )
    mdm = d.communes.set_index("code_insee").loc["40192"]
    assert mdm["part_population_au_dela_seuil"] == pytest.approx(
        (30.5 + 8 + 4) / (12 + 30.5 + 8 + 4)
    )
    assert mdm["population_au_dela_seuil"] == pytest.approx(1000 * 42.5 / 54.5)


def test_csv_cells_far_from_the_communes_are_counted_not_built(tmp_path):
    table = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    far = table.iloc[[0, 1]].copy()
    far["idcar_200m"] = ["CRS3035RES200mN2900000E3800000", "CRS3035RES200mN2900000E3800200"]
    far["ind"] = ["5", "-3"]  # far away: never checked, never rejected
    path = tmp_path / "carreaux_200m_met.csv"
    pd.concat([table, far]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="4 carreau"):
        cells = load_carreaux(path, communes=_communes())
    assert len(cells) == 7 and len(cells.attrs["rejected"]) == 4
    assert cells.attrs["hors_territoire"] == 1 + 2
