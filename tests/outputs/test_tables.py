"""Tests of the table writers: CSV with BOM, Excel workbook, atomic writes, GeoPackage types."""

from __future__ import annotations

import errno
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from test_maps import hand_case

from accessibilite.errors import DataFileError
from accessibilite.outputs import atomic
from accessibilite.outputs.tables import write_csv, write_geopackage
from accessibilite.outputs.xlsx import write_xlsx


def _frames():
    communes = pd.DataFrame(
        {
            "code_insee": ["40002", "40001", "40003"],
            "nom": ["Amou", "Aire-sur-l'Adour", "Angresse"],
            "population": np.array([1540, 6129, 2000], dtype="int64"),
            "temps_min": [12.3456, 0.14, np.inf],
            "au_dela_seuil": [False, False, True],
            "part_au_dela_seuil": [0.0, 0.0, 1.0],
        }
    )
    cantons = pd.DataFrame({"code": ["4001"], "nom": ["Adour Armagnac"], "nb_sites": [2]})
    return communes, cantons


def test_xlsx_sheets_headers_numbers_frozen(tmp_path):
    communes, cantons = _frames()
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {"Communes": (communes, ["code_insee", "nom"], "code_insee"), "Cantons": cantons},
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Communes", "Cantons"]
    ws = wb["Communes"]
    assert [c.value for c in ws[1]] == [
        "Code INSEE",
        "Nom",
        "Population",
        "Temps d'accès (min)",
        "Au-delà du seuil",
        "Part au-delà du seuil",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    # sorted by code, codes stay text (leading zeros), numbers are numbers
    assert rows == [
        ["40001", "Aire-sur-l'Adour", 6129, 0.14, "non", 0.0],
        ["40002", "Amou", 1540, 12.35, "non", 0.0],
        ["40003", "Angresse", 2000, None, "oui", 1.0],  # unreachable: an empty cell
    ]
    assert isinstance(rows[0][2], int) and isinstance(rows[1][3], float)
    assert ws["C2"].number_format == "#,##0" and ws["F2"].number_format == "0.0%"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"
    assert ws.column_dimensions["B"].width == len("Aire-sur-l'Adour") + 2
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDEF")
    assert [c.value for c in wb["Cantons"][2]] == ["4001", "Adour Armagnac", 2]


def test_xlsx_reruns_are_byte_identical(tmp_path, monkeypatch):
    communes, _ = _frames()
    first = write_xlsx(tmp_path / "a.xlsx", {"Communes": communes}).read_bytes()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400)  # three days later
    second = write_xlsx(tmp_path / "b.xlsx", {"Communes": communes}).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified


def test_csv_files_start_with_a_bom(tmp_path):
    deficits, services = hand_case()
    communes = deficits.communes.assign(mairie=deficits.communes.geometry.centroid)
    links = pd.DataFrame(  # commune 40001 split between two cantons
        {"code_insee": ["40000", "40001", "40001"], "code_canton": ["4001", "4002", "4001"]}
    )
    paths = write_csv(deficits, tmp_path, services, communes=communes, commune_cantons=links)
    for path in paths.values():
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf", path.name
    table = pd.read_csv(paths["communes"], dtype=str, encoding="utf-8-sig")
    assert table.columns[0] == "code_insee"
    # nearest site's name, from the services by service_id
    assert set(table.loc[table["service_id"] == "FS1", "site_nom"]) == {"FS A"}
    assert table["code_canton"].tolist()[:3] == ["4001", "4001 ; 4002", np.nan]
    assert table["nom_canton"].tolist()[1] == "Canton Ouest ; Canton Centre"
    x = communes.geometry.centroid.x.round(2).to_numpy()
    assert table["mairie_x"].astype(float).to_numpy() == pytest.approx(x, abs=0.006)


def test_replacing_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("ancien")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("moitié")
        raise RuntimeError("interrompu")
    assert target.read_text() == "ancien"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_full_disk_names_the_file(tmp_path, monkeypatch):
    def full(self, data):
        Path.write_text(self, "début")  # a half-written temporary file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(DataFileError) as err:
        atomic.write_text(tmp_path / "communes.csv", "code_insee\n")
    assert str(err.value) == f"{tmp_path / 'communes.csv'}: écriture impossible (disque plein)"
    assert list(tmp_path.iterdir()) == []


def test_gdal_error_in_english_becomes_french(tmp_path, monkeypatch):
    from pyogrio.errors import DataSourceError

    deficits, services = hand_case()
    real = pyogrio.write_dataframe

    def failing(frame, path, layer=None, **kwargs):
        real(frame, path, layer=layer, **kwargs)  # the first layers are written...
        if layer == "cantons":
            raise DataSourceError(
                f"sqlite3_exec(CREATE TABLE) failed: {path}: Read-only file system"
            )

    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    with pytest.raises(DataFileError, match="système de fichiers en lecture seule") as err:
        write_geopackage(tmp_path / "r.gpkg", deficits, services)
    assert err.value.path == str(tmp_path / "r.gpkg")
    assert list(tmp_path.iterdir()) == []  # ...but nothing is left behind


def _field_types(path) -> dict:
    out = {}
    for layer, geom in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=layer)
        out[layer] = (geom, dict(zip(info["fields"], info["dtypes"], strict=True)))
    return out


def test_geopackage_field_types_do_not_depend_on_the_run(tmp_path):
    deficits, services = hand_case()
    c = deficits.communes
    c["mairie"] = c.geometry.centroid
    iso = services.iloc[:2].copy()
    iso = iso.set_geometry(iso.buffer(10e3))[["geometry"]].assign(bande_min=[10.0, 20.0])
    services = services.assign(latitude=["43,89", "43.9", "44"], longitude=["-0.5", "-1", ""])
    a = _field_types(write_geopackage(tmp_path / "a.gpkg", deficits, services, iso))
    # another run: itinerant unknown for one site (object column), integer bands,
    # a town hall missing, no canton at all
    other = services.assign(itinerant=pd.Series([False, None, True], dtype=object))
    deficits.communes.loc[0, "mairie"] = None
    deficits.cantons = deficits.cantons.iloc[:0]
    b = _field_types(
        write_geopackage(tmp_path / "b.gpkg", deficits, other, iso.assign(bande_min=[10, 20]))
    )
    assert a == b
    geom, fields = a["services"]
    assert geom == "Point" and fields["itinerant"] == "bool"
    assert fields["latitude"] == fields["longitude"] == "float64"
    assert a["isochrones"] == ("MultiPolygon", {"bande_min": "int64"})
    assert a["communes"][1]["au_dela_seuil"] == "bool"
    assert a["communes"][1]["mairie_x"] == "float64"
    assert b["cantons"][0] == "MultiPolygon"  # an empty layer keeps its geometry type
    assert b["epci"][0] == "MultiPolygon"
    back = gpd.read_file(tmp_path / "a.gpkg", layer="services")
    assert back["latitude"].tolist() == [43.89, 43.9, 44.0]


def test_gdal_error_without_a_reason_on_a_full_disk(tmp_path, monkeypatch):
    """GDAL reports a full disk as "Failed to commit transaction": the free space tells."""
    import shutil
    from collections import namedtuple

    from pyogrio.errors import DataSourceError

    deficits, _ = hand_case()

    def failing(frame, path, **kwargs):
        Path(path).write_bytes(b"SQLite format 3\0")
        raise DataSourceError("Failed to commit transaction")

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10_000_000, 9_990_000, 10_000))
    with pytest.raises(DataFileError) as err:
        write_geopackage(tmp_path / "r.gpkg", deficits)
    assert str(err.value) == f"{tmp_path / 'r.gpkg'}: écriture impossible (disque plein)"
    assert list(tmp_path.iterdir()) == []
    # with room left, GDAL's own words are kept rather than a guess
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 0, 10**9))
    with pytest.raises(DataFileError, match=r"\(Failed to commit transaction\)"):
        write_geopackage(tmp_path / "r.gpkg", deficits)
