"""Tests of admin_files: user commune files (Admin Express, geo.api.gouv.fr)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

from accessibilite import DataFileError, InputError, MissingColumnError, communes
from accessibilite.territories.admin_files import read_communes

DATA = Path(__file__).parents[1] / "data" / "territories"


def test_read_admin_express():
    c = read_communes(DATA / "admin_express_commune.geojson")
    assert c["code_insee"].tolist() == ["40088", "40279", "40999", "64102"]
    assert c["population"].tolist() == [21238, 13645, 0, 51411]
    assert c.crs.to_epsg() == 2154
    assert c["code_epci"].tolist() == ["244000675", "244000675", None, "200067106"]
    assert c["nom_epci"][0] == "Communauté d'agglomération du Grand Dax"
    # Lambert-93 file: coordinates kept as they are; town hall inside the square
    assert c.geometry[0].area == 36e6
    assert c["mairie"][0].equals(shapely.Point(366000, 6297000))
    assert set(c.geometry.geom_type) == {"MultiPolygon"}
    only = communes("64", source=DATA / "admin_express_commune.geojson")
    assert only["nom"].tolist() == ["Bayonne"]


def test_read_geo_api_geojson():
    c = read_communes(DATA / "geo_api_communes_40.geojson", departement="40")
    assert c["code_insee"].tolist() == ["40192", "40243", "40281"]
    assert c["nom_epci"].tolist() == [
        "Mont de Marsan Agglomération",
        "Communauté de communes du Pays Tarusate",
        "Mont de Marsan Agglomération",
    ]
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    x, y = to_l93.transform(-0.4912, 43.8938)  # the file's "centre"
    assert (c["mairie"][0].x, c["mairie"][0].y) == pytest.approx((x, y), abs=1e-6)
    # no centre for Saint-Pierre-du-Mont: a point inside the polygon
    assert c["mairie"][2].within(c.geometry[2])


@pytest.mark.filterwarnings("ignore:Could not parse column")
def test_read_communes_errors(tmp_path):
    with pytest.raises(DataFileError, match="absent.geojson"):
        read_communes(tmp_path / "absent.geojson")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("{not json")
    with pytest.raises(DataFileError, match="garbage.geojson"):
        read_communes(garbage)
    src = json.loads((DATA / "geo_api_communes_40.geojson").read_text())
    for feature in src["features"]:
        del feature["properties"]["population"]
    nopop = tmp_path / "nopop.geojson"
    nopop.write_text(json.dumps(src))
    with pytest.raises(MissingColumnError, match="POPULATION") as err:
        read_communes(nopop)
    assert "nopop.geojson" in str(err.value)
    src["features"][0]["properties"]["population"] = "n/a"
    for feature in src["features"][1:]:
        feature["properties"]["population"] = 10
    badpop = tmp_path / "badpop.geojson"
    badpop.write_text(json.dumps(src))
    with pytest.raises(DataFileError, match="40192"):
        read_communes(badpop)
    points = src["features"][1:]
    for feature in points:
        feature["geometry"] = {"type": "Point", "coordinates": [-0.45, 43.89]}
    pointfile = tmp_path / "centres.geojson"
    pointfile.write_text(json.dumps({"type": "FeatureCollection", "features": points}))
    with pytest.raises(DataFileError, match="centres.geojson.*Point"):
        read_communes(pointfile)
    with pytest.raises(InputError, match="aucune commune"):
        read_communes(DATA / "geo_api_communes_40.geojson", departement="64")


def test_read_admin_express_geopackage_with_every_level(tmp_path):
    # The official Admin Express GeoPackage holds ARRONDISSEMENT, ..., COMMUNE,
    # DEPARTEMENT... in one file; GDAL reads the first layer by default.
    import geopandas as gpd

    src = gpd.read_file(DATA / "admin_express_commune.geojson")
    dep = src.dissolve("INSEE_DEP").reset_index()[["INSEE_DEP", "geometry"]]
    ade = tmp_path / "ADE_3-2_GPKG_LAMB93_FXX.gpkg"
    dep.assign(NOM="x").to_file(ade, layer="ARRONDISSEMENT")
    src.to_file(ade, layer="COMMUNE")
    dep.to_file(ade, layer="DEPARTEMENT")
    c = read_communes(ade)
    assert c["code_insee"].tolist() == ["40088", "40279", "40999", "64102"]
    assert c["population"].tolist() == [21238, 13645, 0, 51411]
    assert communes("64", source=ade)["nom"].tolist() == ["Bayonne"]
    # no COMMUNE layer: a French error naming the layers, unless layer= is given
    other = tmp_path / "deux.gpkg"
    dep.to_file(other, layer="departements")
    src.to_file(other, layer="mes_communes")
    with pytest.raises(DataFileError, match="deux.gpkg.*departements, mes_communes.*layer="):
        read_communes(other)
    assert len(read_communes(other, layer="mes_communes")) == 4
