"""QPV loader on every published schema (ANCT 2024, 2015 metropole and overseas)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

import accessibilite as acc
from accessibilite.errors import DataFileError, MissingColumnError
from accessibilite.rejects import RejectedRows, RejectedRowsWarning
from accessibilite.territories.qpv import COLUMNS

DATA = Path(__file__).resolve().parents[1] / "data" / "qpv"
GEOJSON_2024 = DATA / "qpv_2024_metropole.geojson"


def _load(path, dep=None):
    with pytest.warns(RejectedRowsWarning) if path == GEOJSON_2024 else _nowarn():
        return acc.load_qpv(path, dep)


class _nowarn:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_2024_geojson_rows_and_rejects():
    raw = pyogrio.read_dataframe(GEOJSON_2024)
    qpv = _load(GEOJSON_2024)
    assert list(qpv.columns) == list(COLUMNS)
    assert qpv.crs == "EPSG:2154"
    assert qpv["code_qp"].tolist() == ["QN04001M", "QN04002M", "QN05935M"]
    assert qpv["nom_qp"].tolist() == ["Peyrouat", "La Moustey", "Sous-le-Bois"]
    assert qpv["code_insee"].tolist() == ["40192", "40192", "59392"]
    assert qpv["code_departement"].tolist() == ["40", "40", "59"]
    assert set(qpv["generation"]) == {"2024"} and qpv.attrs["generation"] == "2024"
    rej = qpv.attrs["rejected"]
    assert isinstance(rej, RejectedRows)
    assert dict(zip(rej["lib_qp"], rej["reason"], strict=True)) == {
        "Sans contour": "géométrie absente ou vide",
        "Code illisible": "code du quartier (code_qp) illisible : attendu QNXXXYYZ (2024) "
        "ou QPXXXYYY (2015)",
        "Peyrouat (doublon)": "code du quartier en double",
        "Ligne": "géométrie autre qu'un polygone",
        "Inversé": "contour hors de France (coordonnées ou projection erronées ?)",
    }
    assert len(qpv) + len(rej) + qpv.attrs["hors_departement"] == len(raw)
    # outlines kept as drawn: same area as the source polygons reprojected independently
    src = raw.iloc[:3].to_crs("EPSG:2154")
    assert qpv.geometry.area.to_numpy() == pytest.approx(src.geometry.area.to_numpy(), rel=1e-9)


def test_departement_filter_counts_the_others():
    raw_rows = len(pyogrio.read_dataframe(GEOJSON_2024))
    qpv = _load(GEOJSON_2024, "40")
    assert qpv["code_qp"].tolist() == ["QN04001M", "QN04002M"]
    assert qpv.attrs["hors_departement"] == 1  # Sous-le-Bois (59)
    assert len(qpv) + len(qpv.attrs["rejected"]) + 1 == raw_rows


def test_2024_geopackage_lambert93_capitalised_fields():
    """The FeatureServer spelling (Code_QP, Lib_QP, Insee_Com...) in Lambert-93."""
    fields = pyogrio.read_info(DATA / "qpv_2024_metropole_lb93.gpkg")["fields"].tolist()
    assert fields[:3] == ["Code_QP", "Lib_QP", "Insee_Reg"]
    gpkg = acc.load_qpv(DATA / "qpv_2024_metropole_lb93.gpkg", "59")
    assert gpkg["code_qp"].tolist() == ["QN05935M"]
    assert gpkg["communes_qp"].tolist() == ["59392"]
    assert gpkg.attrs["hors_departement"] == 2
    geo = _load(GEOJSON_2024, "59")
    assert shapely.equals_exact(gpkg.geometry.iloc[0], geo.geometry.iloc[0], tolerance=0.05)


def test_2015_shapefile_commune_names():
    qpv = acc.load_qpv(DATA / "QP_METROPOLE_LB93.shp", 40)
    assert qpv["code_qp"].tolist() == ["QP040001", "QP040002"]
    assert qpv["nom_qp"].tolist() == ["Le Peyrouat", "La Moustey"]
    assert qpv["communes_qp"].tolist() == ["Mont-de-Marsan", "Mont-de-Marsan"]
    assert qpv["code_insee"].isna().all()  # 2015 names communes, no code
    assert qpv.attrs["generation"] == "2015" and qpv.attrs["hors_departement"] == 1
    assert len(qpv.attrs["rejected"]) == 0


def test_2015_overseas_in_local_crs():
    qpv = acc.load_qpv(DATA / "QP_DOM_974.shp", "974")
    assert qpv.crs == "EPSG:2975"
    assert qpv["code_departement"].tolist() == ["974"]
    saint_denis = acc.communes("974").set_index("code_insee").geometry["97411"]
    assert saint_denis.contains(qpv.geometry.iloc[0])


def test_missing_name_column_names_file_and_column(tmp_path):
    frame = pyogrio.read_dataframe(DATA / "QP_METROPOLE_LB93.shp").drop(columns="NOM_QP")
    path = tmp_path / "qp.gpkg"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(MissingColumnError) as err:
        acc.load_qpv(path)
    assert str(path) in str(err.value) and "nom_qp" in str(err.value)
    assert "CODE_QP" in str(err.value)  # the columns found are listed


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_file_and_missing_crs(tmp_path):
    with pytest.raises(DataFileError, match="introuvable"):
        acc.load_qpv(tmp_path / "absent.geojson")
    gdf = gpd.GeoDataFrame(
        {"CODE_QP": ["QP040001"], "NOM_QP": ["X"]}, geometry=[shapely.box(0, 0, 1, 1)]
    )
    path = tmp_path / "sans_crs.shp"
    gdf.to_file(path, engine="pyogrio")
    with pytest.raises(DataFileError, match="système de coordonnées absent") as err:
        acc.load_qpv(path)
    assert str(path) in str(err.value)


def test_zipped_shapefile(tmp_path):
    """The 2015 shapefile as downloaded, in a zip archive."""
    import zipfile

    archive = tmp_path / "QP_METROPOLE_LB93.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(DATA.glob("QP_METROPOLE_LB93.*")):
            zf.write(part, part.name)
    qpv = acc.load_qpv(archive, "40")
    direct = acc.load_qpv(DATA / "QP_METROPOLE_LB93.shp", "40")
    assert qpv["code_qp"].tolist() == direct["code_qp"].tolist()
    assert qpv.geometry.equals(direct.geometry)
