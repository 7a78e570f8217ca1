"""Tests of the France Services and point-file loaders on the real ANCT files and small files."""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from accessibilite import DataFileError, InputError, MissingColumnError
from accessibilite.services import UnreadableFieldWarning
from accessibilite.services.loaders import RejectedRowsWarning, load_france_services, load_points

DATA = Path(__file__).parents[1] / "data" / "services"
STANDARD = ["service_id", "nom", "categorie", "code_insee", "date_ouverture", "itinerant"]
TO_L93 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
#: The 20 Landes sites of the 2024 list (communes named in the file's PROVENANCE.md).
LANDES_2024 = sorted(
    "Mont-de-Marsan Peyrehorade Geaune Rion-des-Landes Aire-sur-l'Adour Saint-Julien-en-Born "
    "Parentis-en-Born Dax Gabarret Roquefort Saint-Pierre-du-Mont Hagetmau Castets Sabres "
    "Morcenx-la-Nouvelle Amou Montfort-en-Chalosse Soustons Saint-Vincent-de-Tyrosse "
    "Grenade-sur-l'Adour".split()
)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RejectedRowsWarning)
        return func(*args, **kwargs)


def _check_frame(frame, rows_read):
    """Contract of every services frame."""
    assert list(frame.columns[:7]) == STANDARD + ["geometry"]
    assert frame.crs == "EPSG:2154"
    assert frame["service_id"].is_unique
    assert frame["date_ouverture"].dtype == "datetime64[ns]"
    assert frame["itinerant"].dtype == bool
    assert (frame.geometry.geom_type == "Point").all()
    assert isinstance(frame.index, pd.RangeIndex)
    rejected = frame.attrs["rejected"]
    assert "reason" in rejected.columns and rejected["reason"].notna().all()
    assert frame.attrs["rows_read"] == rows_read
    left_out = frame.attrs["out_of_territory"] + frame.attrs["filtered_by_date"]
    assert len(frame) + len(rejected) + left_out == rows_read


# ------------------------------------------------------------ France Services


def test_france_services_2024_full_list(fs_2024):
    raw = pd.read_csv(fs_2024, dtype=str)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RejectedRowsWarning)  # nothing is rejected
        fs = load_france_services(fs_2024)
    _check_frame(fs, 2845)
    assert len(fs) == 2845 and fs.attrs["schema"] == "2024"
    assert (fs["categorie"] == "france_services").all()
    assert fs["service_id"].tolist() == raw["id_fs"].tolist()
    # leading zeros kept; the 29 arrondissements of Paris, Marseille, Lyon → their commune
    plm = (
        raw["insee_com"]
        .str.extract(r"^(751|132|6938)")[0]
        .map({"751": "75056", "132": "13055", "6938": "69123"})
    )
    assert plm.notna().sum() == 29
    assert fs["code_insee"].tolist() == plm.fillna(raw["insee_com"]).tolist()
    assert fs["insee_com"].tolist() == raw["insee_com"].tolist()  # source column unchanged
    # itinerant: Bus_équivalent (134) + Itinérante (29), per the file's value counts
    assert fs["itinerant"].sum() == 163
    assert set(fs.loc[fs["itinerant"], "format_fs"]) == {"Bus_équivalent", "Itinérante"}
    # label years listed in PROVENANCE.md: 2020: 938, 2021: 914, 2022: 808, 2023: 169, 2024: 16
    years = fs["date_ouverture"].dt.year.value_counts().to_dict()
    assert years == {2020: 938, 2021: 914, 2022: 808, 2023: 169, 2024: 16}
    # geometry = independent pyproj transform of the WGS84 columns
    x, y = TO_L93.transform(raw["longitude"].astype(float), raw["latitude"].astype(float))
    np.testing.assert_allclose(fs.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(fs.geometry.y, y, atol=1e-6)


def test_france_services_date_filter_is_not_a_rejection(fs_2024):
    fs = load_france_services(fs_2024, date="2020-12-31")
    assert len(fs) == 938 and fs.attrs["filtered_by_date"] == 2845 - 938
    assert len(fs.attrs["rejected"]) == 0 and fs.attrs["date"] == "2020-12-31"
    assert (fs["date_ouverture"] <= "2020-12-31").all()
    with pytest.raises(InputError, match="date illisible"):
        load_france_services(fs_2024, date="pas une date")


def test_france_services_date_is_read_day_first_and_never_a_number(fs_2024):
    raw = pd.read_csv(fs_2024, dtype=str)
    labelled = pd.to_datetime(raw["labellisation_fs"].str[-10:], format="%d/%m/%Y")
    # "01/02/2020" is 1 February 2020 (French order), not 2 January (pandas' order)
    feb = load_france_services(fs_2024, date="01/02/2020")
    assert feb.attrs["date"] == "2020-02-01"
    assert len(feb) == (labelled <= "2020-02-01").sum() == 591
    assert len(load_france_services(fs_2024, date=datetime.date(2020, 1, 2))) == 516
    # a year is its 1 January, never 1970-01-01 + 2022 ns (pd.Timestamp(2022))
    for year in (2022, 2022.0, "2022"):
        assert load_france_services(fs_2024, date=year).attrs["date"] == "2022-01-01"
    for bad in ("31/02/2022", "", "2022-13-45"):
        with pytest.raises(InputError, match="date illisible"):
            load_france_services(fs_2024, date=bad)
    # before the first label: nothing left, everything counted as filtered
    early = load_france_services(fs_2024, date="2019-12-31")
    assert len(early) == 0 and early.attrs["filtered_by_date"] == 2845


def test_france_services_landes(fs_2024):
    # the other départements' rows are left out by territory: no rejection, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fs = load_france_services(fs_2024, departement="40")
    _check_frame(fs, 2845)
    assert sorted(fs["lib_com"]) == LANDES_2024
    assert fs["code_insee"].str.startswith("40").all()
    assert len(fs.attrs["rejected"]) == 0 and fs.attrs["out_of_territory"] == 2825
    assert fs["itinerant"].sum() == 3  # Mont-de-Marsan, Dax and Morcenx buses


def test_france_services_landes_by_2020(fs_2024):
    fs = _quiet(load_france_services, fs_2024, date="2020-01-01", departement="40")
    assert sorted(fs["lib_com"]) == ["Aire-sur-l'Adour", "Geaune", "Peyrehorade", "Rion-des-Landes"]
    assert sorted(fs["code_insee"]) == ["40001", "40110", "40224", "40243"]
    assert fs.attrs["filtered_by_date"] == 16 and fs.attrs["out_of_territory"] == 2825
    assert len(fs.attrs["rejected"]) == 0
    _check_frame(fs, 2845)


def test_france_services_buffer_keeps_sites_across_the_border(fs_2024):
    from accessibilite.territories import departement_contour

    fs = _quiet(load_france_services, fs_2024, departement="40", buffer_km=15)
    contour = departement_contour("40")
    distance = shapely.distance(contour, fs.geometry.values)
    assert len(fs) > 20 and (distance <= 15_000 + 1e-6).all()
    assert (fs["insee_dep"] != "40").sum() == len(fs) - 20
    rejected = fs.attrs["rejected"]
    x, y = TO_L93.transform(rejected["longitude"].astype(float), rejected["latitude"].astype(float))
    assert (shapely.distance(contour, shapely.points(x, y)) > 15_000).all()


def test_france_services_2020_list(fs_2020):
    with pytest.warns(RejectedRowsWarning, match="coordonnées manquantes : 2"):
        fs = load_france_services(fs_2020)
    _check_frame(fs, 456)
    assert len(fs) == 454 and fs.attrs["schema"] == "2020"
    rejected = fs.attrs["rejected"]
    assert rejected["lib_com"].tolist() == ["BOGNY-SUR-MEUSE", "DESCARTES"]
    assert (rejected["reason"] == "coordonnées manquantes").all()
    assert fs["date_ouverture"].isna().all()
    assert fs["service_id"].iloc[[0, -1]].tolist() == ["2020-001", "2020-456"]
    # 18 "Oui" in itinerance, one of them (Bogny-sur-Meuse) has no coordinates
    assert fs["itinerant"].sum() == 17
    assert fs.loc[0, "code_insee"] == "01033"  # from result_citycode (insee_com is empty)
    landes = _quiet(load_france_services, fs_2020, departement="40")
    assert sorted(landes["result_city"]) == [
        "Aire-sur-l'Adour", "Geaune", "Peyrehorade", "Rion-des-Landes"]  # fmt: skip
    with pytest.raises(InputError, match="janvier 2020"):
        load_france_services(fs_2020, date="2020-01-01")


def test_france_services_default_source_uses_the_cache(monkeypatch, fs_2024):
    from accessibilite import sources

    asked = []

    def fake_fetch(name, filename=None, *, refresh=False):
        asked.append(name)
        return fs_2024

    monkeypatch.setattr(sources, "fetch", fake_fetch)
    fs = load_france_services(date="2020-01-01")
    assert asked == ["france_services"] and fs.attrs["source"] == str(fs_2024)
    assert len(fs) == 516 and fs.attrs["filtered_by_date"] == 2845 - 516


def test_france_services_bad_files(tmp_path):
    with pytest.raises(DataFileError, match="introuvable"):
        load_france_services(tmp_path / "absent.csv")
    bad = tmp_path / "fs.csv"
    bad.write_text("id_fs,lib_fs,latitude\n1,France services X,44.0\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="'longitude'") as info:
        load_france_services(bad)
    assert "fs.csv" in str(info.value) and info.value.column == "longitude"


# ------------------------------------------------------------------ points


def test_points_lambert93_semicolon_decimal_comma_cp1252():
    with pytest.warns(RejectedRowsWarning), pytest.warns(UnreadableFieldWarning, match="bientôt"):
        pts = load_points(
            DATA / "agences_l93.csv", "agence", id_col="IDENTIFIANT", nom_col="NOM",
            date_col="DATE_OUVERTURE", capacite_col="NB_AGENTS",
        )  # fmt: skip
    _check_frame(pts, 6)
    assert pts["service_id"].tolist() == ["L1", "L2", "L3", "L5"]  # L5: date unreadable, kept
    assert pts["nom"].tolist()[0] == "Agence de Mont-de-Marsan"
    assert pts["code_insee"].tolist() == ["40192", "40088", "40119", "40184"]  # CODE_COMMUNE
    assert pts["capacite"].tolist() == [2.5, 3.5, 4.5, 2.0]
    assert pts["date_ouverture"].dt.strftime("%Y-%m-%d").fillna("NaT").tolist() == [
        "2019-03-01", "2019-03-02", "2019-03-03", "NaT"]  # fmt: skip
    assert pts.attrs["unreadable"] == {
        "DATE_OUVERTURE": {"champ": "date_ouverture", "count": 1, "examples": ["bientôt"]}
    }
    # Lambert-93 recognised from the values: coordinates kept exactly
    assert pts.geometry.iloc[0].coords[0] == (418853.7, 6316364.0)
    reasons = pts.attrs["rejected"].set_index("NOM")["reason"].to_dict()
    assert reasons == {
        "Agence sans coordonnées": "coordonnées manquantes",
        "Doublon de Dax": "identifiant en double",
    }


@pytest.mark.parametrize(
    "name, kwargs",
    [("sites_3857.gpkg", {"id_col": "code", "nom_col": "name", "layer": "sites"}),
     ("sites_l93.shp", {"nom_col": "name", "capacite_col": "places"})],
)  # fmt: skip
def test_points_gpkg_web_mercator_and_shapefile_lambert93(name, kwargs):
    pts = load_points(DATA / name, "site", **kwargs)
    _check_frame(pts, 3)
    expected = TO_L93.transform([-0.4997, -1.0536, -0.5792], [43.8902, 43.7102, 44.8378])
    np.testing.assert_allclose(pts.geometry.x, expected[0], atol=0.01)
    np.testing.assert_allclose(pts.geometry.y, expected[1], atol=0.01)
    assert pts["nom"].tolist() == ["Site Mont-de-Marsan", "Site Dax", "Site Bordeaux"]
    assert pts["code_insee"].tolist() == ["40192", "40088", "33063"]
    if "capacite_col" in kwargs:
        assert pts["capacite"].tolist() == [10.0, 20.0, 30.0]
        assert pts["service_id"].tolist() == ["site-1", "site-2", "site-3"]


def test_points_geojson_null_geometry_and_swapped_point():
    with pytest.warns(RejectedRowsWarning, match="latitude et longitude inversées : 1"):
        pts = load_points(DATA / "mairies_wgs84.geojson", "mairie")
    _check_frame(pts, 5)
    assert pts["service_id"].tolist() == ["G1", "G2", "G3"]
    assert "nom" not in pts.columns[7:]  # the consumed source column is not repeated
    reasons = pts.attrs["rejected"].set_index("id")["reason"].to_dict()
    assert reasons == {"G4": "coordonnées manquantes", "G5": "latitude et longitude inversées"}


def test_points_opendatasoft_geo_point_2d():
    pts = _quiet(load_points, DATA / "ods_mediatheques.csv", "mediatheque",
                 nom_col="Nom de l'équipement")  # fmt: skip
    _check_frame(pts, 4)
    x, y = TO_L93.transform([-0.4997, -1.0536, -0.5700], [43.8902, 43.7102, 43.7575])
    np.testing.assert_allclose(pts.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(pts.geometry.y, y, atol=1e-6)
    assert pts["code_insee"].tolist() == ["40192", "40088", "40282"]  # "Code INSEE"
    assert pts.attrs["rejected"]["Commune"].tolist() == ["Mimizan"]


def test_points_caf_annuaire_tab_separated_and_territory():
    caf = load_points(DATA / "caf_annuaire.tsv", "caf")
    _check_frame(caf, 3)
    assert caf["service_id"].tolist() == ["caf-40192-01", "caf-40088-01", "caf-33063-01"]
    assert caf["code_insee"].tolist() == ["40192", "40088", "33063"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Bordeaux is left out by territory, not rejected
        landes = load_points(DATA / "caf_annuaire.tsv", "caf", departement="40")
    assert landes["service_id"].tolist() == ["caf-40192-01", "caf-40088-01"]
    assert len(landes.attrs["rejected"]) == 0 and landes.attrs["out_of_territory"] == 1
    _check_frame(landes, 3)


def test_points_every_rejection_reason():
    with pytest.warns(RejectedRowsWarning) as record:
        pts = load_points(DATA / "rejets.csv", "test", date_col="date", departement="40")
    messages = [str(r.message) for r in record]
    assert len(messages) == 2 and "5 ligne(s) rejetée(s) sur 9" in messages[0]
    assert "1 date(s) illisible(s)" in messages[1] and "« 31/02/2021 »" in messages[1]
    _check_frame(pts, 9)
    assert pts["service_id"].tolist() == ["R1", "R5"]  # R5: impossible date, kept as NaT
    assert pd.isna(pts["date_ouverture"].iloc[1])
    assert pts.attrs["out_of_territory"] == 2  # Bordeaux, Saint-Denis: elsewhere, not rejected
    reasons = pts.attrs["rejected"].set_index("nom")["reason"].to_dict()
    assert reasons == {
        "Sans coordonnées": "coordonnées manquantes",
        "Madrid": "coordonnées hors de France",
        "Inversée Dax": "latitude et longitude inversées",
        "Doublon": "identifiant en double",
        "Texte illisible": "coordonnées illisibles",
    }
    # without a territory, the overseas point is valid
    assert "R7" in _quiet(load_points, DATA / "rejets.csv", "test")["service_id"].tolist()


def test_points_errors(tmp_path):
    with pytest.raises(DataFileError, match="introuvable"):
        load_points(tmp_path / "absent.csv", "x")
    nocoord = tmp_path / "sans.csv"
    nocoord.write_text("nom;adresse\nMairie;1 place\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="longitude/latitude") as info:
        load_points(nocoord, "x")
    assert "sans.csv" in str(info.value)
    with pytest.raises(MissingColumnError, match="'LATITUDE'"):
        load_points(DATA / "rejets.csv", "x", x="lon", y="LATITUDE")
    broken = tmp_path / "casse.gpkg"
    broken.write_bytes(b"not a geopackage")
    with pytest.raises(DataFileError, match="casse.gpkg"):
        load_points(broken, "x")
    weird = tmp_path / "inconnu.csv"
    weird.write_text("id;x;y\n1;5000000;9000000\n", encoding="utf-8")
    with pytest.raises(InputError, match="crs="):
        load_points(weird, "x")


def test_points_explicit_columns_and_crs_give_the_same_result(fs_2020):
    auto = _quiet(load_points, fs_2020, "fs")
    explicit = _quiet(load_points, fs_2020, "fs", x="long", y="lat", crs="EPSG:4326")
    pd.testing.assert_frame_equal(auto, explicit)
    assert auto["code_insee"].iloc[0] == "01033"  # empty insee_com skipped for result_citycode


def test_points_bpe_geolocated_layout_and_per_row_crs(tmp_path):
    bpe = _quiet(load_points, DATA / "bpe20_xy_extrait.csv", "medecin")
    _check_frame(bpe, 3)
    assert bpe["code_insee"].tolist() == ["40088", "40192"]  # DEPCOM
    assert bpe.geometry.iloc[0].coords[0] == (373366.51, 6298515.84)
    assert bpe.attrs["rejected"]["QUALITE_XY"].tolist() == ["Non géolocalisé"]
    # an "EPSG" column gives one system per row (Lambert-93 and La Réunion UTM 40S)
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2975", always_xy=True)
    ux, uy = utm.transform(55.4481, -20.8789)
    mixed = tmp_path / "mixte.csv"
    mixed.write_text(
        f"id;X;Y;EPSG\nA;373366.5;6298515.8;2154\nB;{ux};{uy};2975\nC;1;2;99999\n",
        encoding="utf-8",
    )
    pts = _quiet(load_points, mixed, "x")
    assert pts["service_id"].tolist() == ["A", "B"]
    assert pts.geometry.iloc[0].coords[0] == (373366.5, 6298515.8)
    lon, lat = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(
        pts.geometry.x.iloc[1], pts.geometry.y.iloc[1]
    )
    assert lon == pytest.approx(55.4481, abs=1e-7) and lat == pytest.approx(-20.8789, abs=1e-7)
    assert pts.attrs["rejected"]["reason"].tolist() == ["système de coordonnées inconnu"]
    with pytest.raises(InputError, match="inconnu"):
        load_points(mixed, "x", crs="EPSG:99999")


def test_same_input_same_output(fs_2024):
    first = _quiet(load_france_services, fs_2024, departement="40")
    second = _quiet(load_france_services, fs_2024, departement="40")
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first.attrs["rejected"], second.attrs["rejected"])


def test_france_services_overseas_departement_in_its_own_crs(fs_2024):
    raw = pd.read_csv(fs_2024, dtype=str)
    assert (raw["insee_dep"] == "974").sum() == 29  # independent count by code
    fs = _quiet(load_france_services, fs_2024, departement="974")
    assert len(fs) == 29 and fs.crs == "EPSG:2975"  # RGR92 / UTM 40S, La Réunion
    assert set(fs["insee_dep"]) == {"974"}
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2975", always_xy=True)
    x, y = utm.transform(fs["longitude"].astype(float), fs["latitude"].astype(float))
    np.testing.assert_allclose(fs.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(fs.geometry.y, y, atol=1e-6)


def test_points_polygons_give_a_point_inside_and_empty_files(tmp_path):
    import geopandas as gpd

    square = shapely.Point(418_850, 6_316_360).buffer(500)
    polygons = gpd.GeoDataFrame({"nom": ["Zone"]}, geometry=[square], crs="EPSG:2154")
    polygons.to_crs("EPSG:4326").to_file(tmp_path / "zones.geojson")
    pts = load_points(tmp_path / "zones.geojson", "zone")
    assert square.buffer(1e-3).contains(pts.geometry.iloc[0])  # point on the surface
    (tmp_path / "vide.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataFileError, match="vide"):
        load_points(tmp_path / "vide.csv", "x")
    (tmp_path / "entete.csv").write_text("id;lat;lon\n", encoding="utf-8")
    none = load_points(tmp_path / "entete.csv", "x")
    assert (
        len(none) == 0
        and none.attrs["rows_read"] == 0
        and list(none.columns[:7])
        == [
            *STANDARD,
            "geometry",
        ]
    )


def test_points_excel_workbook(tmp_path):
    import openpyxl  # noqa: F401  (a declared dependency: the test must run, never skip)

    table = pd.DataFrame(
        {
            "Identifiant": ["X1", "X2", "X3"],
            "Nom": ["Mairie de Dax", "Sans point", "Mairie de Mimizan"],
            "Code INSEE": ["40088", "40282", "40184"],
            "Latitude": [43.7102, None, 44.2003],
            "Longitude": [-1.0536, None, -1.2294],
        }
    )
    table.to_excel(tmp_path / "liste.xlsx", sheet_name="sites", index=False)
    with pytest.warns(RejectedRowsWarning, match="coordonnées manquantes : 1"):
        pts = load_points(tmp_path / "liste.xlsx", "mairie", layer="sites")
    _check_frame(pts, 3)
    assert pts["service_id"].tolist() == ["X1", "X3"]  # "Identifiant" found
    assert pts["code_insee"].tolist() == ["40088", "40184"]
    x, y = TO_L93.transform([-1.0536, -1.2294], [43.7102, 44.2003])
    np.testing.assert_allclose(pts.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(pts.geometry.y, y, atol=1e-6)


def test_points_without_commune_codes_get_them_from_the_commune_polygons(tmp_path, landes_communes):
    # town halls of Dax and Mont-de-Marsan, a point 5 km into the Gironde margin
    halls = landes_communes.set_index("code_insee").loc[["40088", "40192"], "mairie"]
    margin = shapely.Point(halls.iloc[1].x, 6_395_000.0)  # north of the Landes, in Gironde
    rows = [(p.x, p.y) for p in halls] + [(margin.x, margin.y)]
    path = tmp_path / "sans_code.csv"
    pd.DataFrame({"x": [r[0] for r in rows], "y": [r[1] for r in rows]}).to_csv(path, index=False)
    frame = load_points(path, "caf", departement="40", buffer_km=30)
    contour = shapely.union_all(landes_communes.geometry.values)
    assert not contour.contains(margin) and len(frame) == 3
    assert frame["code_insee"].tolist() == ["40088", "40192", None]
    # without a département there is nothing to look the points up in
    assert frame.attrs["rows_read"] == 3
    assert load_points(path, "caf")["code_insee"].isna().all()


def test_points_wgs84_suffixed_columns_and_french_coordinate_column(tmp_path):
    # data.gouv.fr exports: "lat_wgs84"/"lon_wgs84", and one accented "Coordonnées GPS"
    # column "lat; lon" written with French decimal commas.
    (tmp_path / "wgs.csv").write_text(
        "id;nom;lat_wgs84;lon_wgs84\nA;Dax;43,7102;-1,0536\nB;Mimizan;44.2003;-1.2294\n",
        encoding="utf-8",
    )
    pts = load_points(tmp_path / "wgs.csv", "mairie")
    _check_frame(pts, 2)
    x, y = TO_L93.transform([-1.0536, -1.2294], [43.7102, 44.2003])
    np.testing.assert_allclose(pts.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(pts.geometry.y, y, atol=1e-6)

    (tmp_path / "gps.csv").write_text(
        "id\tnom\tCoordonnées GPS\n"
        "A\tDax\t43,7102; -1,0536\n"  # decimal commas, ";" between the two numbers
        "B\tMimizan\t44.2003, -1.2294\n"
        "C\tDax bis\t43,7102,-1,0536\n"  # decimal commas and "," between them
        "D\tDax ter\t43.7102 -1.0536\n"  # a space between them
        "E\tIllisible\t43,7102 ; -1,0536 (approx.)\n",
        encoding="cp1252",
    )
    with pytest.warns(RejectedRowsWarning, match="coordonnées illisibles : 1"):
        pts = load_points(tmp_path / "gps.csv", "mairie")
    _check_frame(pts, 5)
    assert pts["service_id"].tolist() == ["A", "B", "C", "D"]
    lon, lat = [-1.0536, -1.2294, -1.0536, -1.0536], [43.7102, 44.2003, 43.7102, 43.7102]
    x, y = TO_L93.transform(lon, lat)
    np.testing.assert_allclose(pts.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(pts.geometry.y, y, atol=1e-6)
    assert pts.attrs["rejected"]["id"].tolist() == ["E"]


def test_points_geopackage_with_two_layers_needs_layer(tmp_path):
    import geopandas as gpd

    sites = gpd.read_file(DATA / "sites_3857.gpkg", layer="sites")
    two = tmp_path / "deux.gpkg"
    sites.to_file(two, layer="caf")
    sites.iloc[:1].to_file(two, layer="cpam")
    # GDAL would read "caf" silently (with an English warning); ask which one
    with pytest.raises(DataFileError, match=r"deux.gpkg: 2 couches \(caf, cpam\).*layer="):
        load_points(two, "site", id_col="code")
    assert len(load_points(two, "cpam", id_col="code", layer="cpam")) == 1
    # an attribute-only table (QGIS "layer_styles") is not a second layer of points
    import sqlite3

    styled = tmp_path / "style.gpkg"
    sites.to_file(styled, layer="caf")
    with sqlite3.connect(styled) as con:
        con.execute("CREATE TABLE layer_styles (f_table_name TEXT, styleQML TEXT)")
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles')"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pts = load_points(styled, "site", id_col="code")
    _check_frame(pts, 3)


def test_points_multipoint_of_several_places_is_rejected(tmp_path):
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"id": ["un", "deux", "double"]},
        geometry=[
            shapely.MultiPoint([(-1.0536, 43.7102)]),  # one point: that point
            shapely.MultiPoint([(-1.0536, 43.7102), (-1.2294, 44.2003)]),  # two sites
            shapely.MultiPoint([(-1.2294, 44.2003), (-1.2294, 44.2003)]),  # same place twice
        ],
        crs="EPSG:4326",
    )
    frame.to_file(tmp_path / "multi.geojson")
    with pytest.warns(RejectedRowsWarning, match="plusieurs points pour un site : 1"):
        pts = load_points(tmp_path / "multi.geojson", "site")
    _check_frame(pts, 3)
    assert pts["service_id"].tolist() == ["un", "double"]
    x, y = TO_L93.transform([-1.0536, -1.2294], [43.7102, 44.2003])
    np.testing.assert_allclose(pts.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(pts.geometry.y, y, atol=1e-6)
    assert pts.attrs["rejected"]["id"].tolist() == ["deux"]


def test_france_services_in_marseille_have_the_commune_code(fs_2024):
    # the ANCT list codes Marseille's sites by arrondissement (13201..13216); the
    # commune frame (and every table keyed by code_insee) has one commune, 13055
    from accessibilite import communes

    fs = _quiet(load_france_services, fs_2024, departement="13")
    assert set(fs["code_insee"]) <= set(communes("13")["code_insee"])
    marseille = fs[fs["insee_com"].str.startswith("132")]
    assert len(marseille) == 13 and (marseille["code_insee"] == "13055").all()


def test_points_overseas_projected_coordinates_are_read_in_the_departement_crs(tmp_path):
    # Guadeloupe sites in UTM 20N (EPSG:5490), the département's official CRS: these
    # values also fit Lambert II étendu, which put them near Narbonne, then rejected
    # them all as "hors du territoire" with departement="971".
    lon, lat = [-61.5331, -61.7261], [16.2411, 15.9985]  # Pointe-à-Pitre, Basse-Terre
    x, y = pyproj.Transformer.from_crs(4326, 5490, always_xy=True).transform(lon, lat)
    xy = [f"{a:.2f};{b:.2f}" for a, b in zip(x, y, strict=True)]
    (tmp_path / "gp.csv").write_text(f"id;code_insee;x;y\nA;97120;{xy[0]}\nB;97105;{xy[1]}\n")
    (tmp_path / "gp_sans_code.csv").write_text(f"id;x;y\nA;{xy[0]}\nB;{xy[1]}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RejectedRowsWarning)
        in_dep = load_points(tmp_path / "gp_sans_code.csv", "site", departement="971")
        by_code = load_points(tmp_path / "gp.csv", "site")  # commune codes 971xx
    assert in_dep.crs == "EPSG:5490" and len(in_dep) == 2
    np.testing.assert_allclose(in_dep.geometry.x, np.round(x, 2), atol=1e-6)
    np.testing.assert_allclose(in_dep.geometry.y, np.round(y, 2), atol=1e-6)
    back = by_code.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, lon, atol=1e-6)
    np.testing.assert_allclose(back.geometry.y, lat, atol=1e-6)


def test_services_frames_combine_with_pandas(fs_2024):
    # .attrs["rejected"] must not stop pandas from combining frames (it compares attrs)
    landes = _quiet(load_france_services, fs_2024, departement="40")
    gers = _quiet(load_france_services, fs_2024, departement="32")
    both = pd.concat([landes, gers], ignore_index=True)
    assert len(both) == len(landes) + len(gers)
    assert "rejected" not in both.attrs  # two different rejected tables: none kept
    merged = landes.merge(landes[["service_id"]], on="service_id")
    assert len(merged) == 20
    text = landes.astype(str)
    assert text.attrs["rejected"] is not None and len(text) == 20
    rejected = landes.attrs["rejected"]
    assert isinstance(rejected, pd.DataFrame) and rejected["reason"].notna().all()
    # element-wise comparison with anything but another rejected table is unchanged
    assert (rejected["reason"] == "hors du territoire").all()
    assert rejected == rejected.copy() and not (rejected != rejected.copy())


def test_points_opening_date_column_found_and_unreadable_dates_kept(tmp_path):
    path = tmp_path / "msp.csv"
    path.write_text(
        "id;nom;latitude;longitude;date_ouverture\n"
        "m1;MSP de Dax;43,7102;-1,0536;2019-03-01\n"
        "m2;MSP de Mont-de-Marsan;43,8902;-0,4990;15/09/2022\n"
        "m3;MSP de Tartas;43,8326;-0,8086;bientôt\n",
        encoding="utf-8",
    )
    with pytest.warns(UnreadableFieldWarning, match="1 date"):
        frame = load_points(path, "msp")
    _check_frame(frame, 3)
    assert frame["date_ouverture"].dt.strftime("%Y-%m-%d").fillna("?").tolist() == [
        "2019-03-01", "2022-09-15", "?"]  # fmt: skip
    assert len(frame.attrs["rejected"]) == 0
    assert frame.attrs["columns"]["date_ouverture"] == "date_ouverture"
