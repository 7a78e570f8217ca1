"""One date parser for files, ``date=`` and ``--date``: the forms French files hold (issue 10)."""

from __future__ import annotations

import datetime
import warnings

import numpy as np
import pandas as pd
import pytest

from accessibilite import InputError
from accessibilite.services import UnreadableFieldWarning, load_points, parse_date
from accessibilite.services.dates import as_day, parse_dates


@pytest.mark.parametrize(
    "written, day, precision",
    [
        ("15/03/2021", "2021-03-15", "jour"),
        ("15.03.2021", "2021-03-15", "jour"),
        ("15-03-2021", "2021-03-15", "jour"),
        ("01/02/2020", "2020-02-01", "jour"),  # day first, never pandas' month first
        ("2021-03-15", "2021-03-15", "jour"),
        ("2021-03-15 00:00:00", "2021-03-15", "jour"),  # an Excel date cell read as text
        ("2021-03-15T10:30:00+02:00", "2021-03-15", "jour"),
        ("1er janvier 2021", "2021-01-01", "jour"),
        ("15 février 2021", "2021-02-15", "jour"),
        ("15 fevrier 2021", "2021-02-15", "jour"),
        ("3 AOÛT 2022", "2022-08-03", "jour"),
        ("01/2020", "2020-01-01", "mois"),  # a month is its first day
        ("2020-09", "2020-09-01", "mois"),
        ("septembre 2020", "2020-09-01", "mois"),
        ("2020", "2020-01-01", "annee"),  # a year is its 1 January
        ("43831", "2020-01-01", "jour"),  # Excel serial day number
        ("44270.0", "2021-03-15", "jour"),
        ("Espace labellisé 01/09/2020", "2020-09-01", "jour"),
        ("Espace labellisé 01/2020", "2020-01-01", "mois"),
        ("labellisé en 2019", "2019-01-01", "annee"),
    ],
)
def test_written_forms(written, day, precision):
    assert parse_date(written, precision=True) == (pd.Timestamp(day), precision)
    assert as_day(written) == pd.Timestamp(day)


@pytest.mark.parametrize(
    "value, day",
    [
        (2021, "2021-01-01"),
        (2021.0, "2021-01-01"),
        (43831, "2020-01-01"),
        (np.int64(44270), "2021-03-15"),
        (datetime.date(2021, 3, 15), "2021-03-15"),
        (datetime.datetime(2021, 3, 15, 18, 5), "2021-03-15"),
        (np.datetime64("2021-03-15"), "2021-03-15"),
        (pd.Timestamp("2021-03-15 12:00", tz="Europe/Paris"), "2021-03-15"),
    ],
)
def test_values_that_are_not_text(value, day):
    assert parse_date(value) == pd.Timestamp(day)


@pytest.mark.parametrize(
    "written",
    ["2020-13-45", "31/02/2021", "30/02/2020", "00/01/2021", "01/13/2021", "13/2020",
     "01/09/20", "bientôt", "?", "12", "123456", "31 fevrier 2021", True],
)  # fmt: skip
def test_impossible_dates_are_missing_never_another_date(written):
    assert pd.isna(parse_date(written))
    with pytest.raises(InputError, match="date illisible"):
        as_day(written, "--date")


def test_a_column_missing_and_unreadable_cells_told_apart():
    cells = ["15/03/2021", None, "", "  ", np.nan, "2020-13-45", "bientôt", 2020, "01/2020"]
    dates, unreadable = parse_dates(pd.Series(cells, dtype=object))
    assert dates.dtype == "datetime64[ns]"
    assert dates.dt.strftime("%Y-%m-%d").fillna("-").tolist() == [
        "2021-03-15", "-", "-", "-", "-", "-", "-", "2020-01-01", "2020-01-01"]  # fmt: skip
    assert unreadable.tolist() == [False] * 5 + [True, True, False, False]


#: The forms of the issue, one a row, in a file shaped like a user's (semicolons, Excel export).
_ISSUE_FORMS = [
    ("Dax", "43,7102", "-1,0536", "01/2020", "2020-01-01"),
    ("Mont-de-Marsan", "43,8902", "-0,4997", "2020", "2020-01-01"),
    ("Tartas", "43,8326", "-0,8086", "43831", "2020-01-01"),
    ("Saint-Sever", "43,7575", "-0,5700", "01.03.2021", "2021-03-01"),
    ("Mimizan", "44,2008", "-1,2295", "1er janvier 2021", "2021-01-01"),
    ("Morcenx", "44,0355", "-0,9128", "Espace labellisé 01/2020", "2020-01-01"),
    ("Hagetmau", "43,6578", "-0,5917", "Espace labellisé 01/09/2020", "2020-09-01"),
    ("Aire-sur-l'Adour", "43,7022", "-0,2619", "2020-13-45", None),
    ("Labouheyre", "44,2128", "-0,9233", "", None),
]


@pytest.fixture(scope="module")
def forms_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("dates") / "sites.csv"
    rows = ["Nom du site;Latitude;Longitude;Date d'ouverture"]
    rows += [f"France services {c};{lat};{lon};{d}" for c, lat, lon, d, _ in _ISSUE_FORMS]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    return path


def test_no_site_lost_to_its_date(forms_csv):
    with pytest.warns(UnreadableFieldWarning) as record:
        sites = load_points(forms_csv, "france_services", departement="40")
    assert len(sites) == len(_ISSUE_FORMS) and len(sites.attrs["rejected"]) == 0
    expected = [e for *_, e in _ISSUE_FORMS]
    got = sites["date_ouverture"].dt.strftime("%Y-%m-%d").where(sites["date_ouverture"].notna())
    assert got.replace({np.nan: None}).tolist() == expected
    # one warning, with the count and the example; the empty cell is missing, not unreadable
    assert len(record) == 1
    assert "1 date(s) illisible(s)" in str(record[0].message)
    assert "« 2020-13-45 »" in str(record[0].message)
    assert sites.attrs["unreadable"] == {
        "Date d'ouverture": {"champ": "date_ouverture", "count": 1, "examples": ["2020-13-45"]}
    }
    assert sites.attrs["columns"]["nom"] == "Nom du site"
    assert sites.attrs["columns"]["date_ouverture"] == "Date d'ouverture"


def test_only_a_date_filter_sets_undated_sites_aside(forms_csv):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sites = load_points(forms_csv, "fs", departement="40", date="31/12/2020")
    messages = [str(w.message) for w in record]
    assert any("2 site(s) sans date d'ouverture lisible écarté(s)" in m for m in messages)
    # 2020-01-01 ×4 and 2020-09-01 kept; 2021 ×2 later; 2 undated
    assert len(sites) == 5
    assert sites.attrs["filtered_by_date"] == 4 and sites.attrs["undated"] == 2
    assert len(sites) + sites.attrs["filtered_by_date"] == sites.attrs["rows_read"]


def test_excel_workbook_with_real_date_cells(tmp_path):
    import openpyxl  # a declared dependency: the test must run, never skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Libellé", "Latitude", "Longitude", "Date de labellisation", "Code INSEE"])
    sheet.append(["FS Dax", 43.7102, -1.0536, datetime.datetime(2020, 1, 1), 40088])
    sheet.append(["FS Mont-de-Marsan", 43.8902, -0.4997, datetime.date(2021, 3, 15), 40192])
    sheet.append(["FS Tartas", 43.8326, -0.8086, 43831, 40313])  # a serial in a General cell
    sheet.append(["FS Morcenx", 44.0355, -0.9128, "01/09/2020", 40197])  # typed as text
    sheet["D2"].number_format = "DD/MM/YYYY"
    sheet["D3"].number_format = "DD/MM/YYYY"
    path = tmp_path / "sites.xlsx"
    book.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sites = load_points(path, "france_services", departement="40")
    assert sites["nom"].tolist() == ["FS Dax", "FS Mont-de-Marsan", "FS Tartas", "FS Morcenx"]
    assert sites["date_ouverture"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-01-01", "2021-03-15", "2020-01-01", "2020-09-01"]  # fmt: skip
    assert sites["code_insee"].tolist() == ["40088", "40192", "40313", "40197"]
    assert sites.attrs["columns"]["date_ouverture"] == "Date de labellisation"
    assert sites.attrs["columns"]["nom"] == "Libellé"


def test_landes_user_file_keeps_every_site_and_the_diagnosis(tmp_path, fs_2024, landes_communes):
    """The issue's file: the 20 Landes sites with their dates written seven ways, French
    column names, cp1252, decimal commas. It lost the sites whose date it could not read
    and then put 62 % of the communes beyond 30 min: the diagnosis must be the official
    list's."""
    import accessibilite as acc

    raw = pd.read_csv(fs_2024, dtype=str)
    landes = raw[raw["insee_com"].str.startswith("40")].reset_index(drop=True)
    forms = [form for _, _, _, form, _ in _ISSUE_FORMS[:7]]
    user = pd.DataFrame(
        {
            "Nom du site": landes["lib_fs"],
            "Adresse": landes["adresse"],
            "Code INSEE": landes["insee_com"],
            "Latitude": landes["latitude"].str.replace(".", ","),
            "Longitude": landes["longitude"].str.replace(".", ","),
            "Date d'ouverture": [forms[i % 7] for i in range(len(landes))],
        }
    )
    path = tmp_path / "sites_landes.csv"
    user.to_csv(path, sep=";", index=False, encoding="cp1252")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every date read, nothing rejected
        sites = load_points(path, "france_services", departement="40")
    official = acc.load_france_services(fs_2024, departement="40")
    assert len(sites) == len(official) == 20
    estimate = acc.StraightLineEstimate()
    ours = acc.flag_deficits(acc.access_times(landes_communes, sites, estimate), sites)
    ref = acc.flag_deficits(acc.access_times(landes_communes, official, estimate), official)
    assert ours.departement["part_au_dela_seuil"].item() == pytest.approx(
        ref.departement["part_au_dela_seuil"].item(), abs=1e-9
    )
    assert ref.departement["part_au_dela_seuil"].item() < 0.05  # not 62 %
