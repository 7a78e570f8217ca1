"""Fuzz test of the point loader (issue 10): random column names, separators, encodings,
coordinate systems, decimal marks and date forms. It never raises anything but the
package's own errors, and always accounts for every row it read."""

from __future__ import annotations

import csv
import io
import warnings

import numpy as np
import pyproj

# hypothesis is a declared dev dependency: the fuzz test must run, never skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibilite import AccessibiliteError
from accessibilite.services import load_points

_XY = [("longitude", "latitude"), ("Lon", "Lat"), ("LONGITUDE (WGS84)", "LATITUDE (WGS84)"),
       ("X_L93", "Y_L93"), ("lambert_x", "lambert_y"), ("x", "y"), ("Coord X", "Coord Y"),
       ("PosX", "PosY")]  # fmt: skip
_NAMES = ["nom", "Nom du site", "Libellé", "NOM", "raison sociale", "Intitulé"]
_DATES = ["date_ouverture", "Date d'ouverture", "Date de labellisation", "DATE", "ouverture"]
_CRS = {"EPSG:4326": None, "EPSG:2154": None, "EPSG:27572": None, "EPSG:3857": None}
_DATE_FORMS = [
    "15/03/2021", "15.03.2021", "2021-03-15", "03/2021", "2021", "44270", "1er mars 2021",
    "Espace labellisé 15/03/2021", "2020-13-45", "31/02/2021", "bientôt", "", "01/09/20",
    "2021-03-15 00:00:00", "mars 2021",
]  # fmt: skip
_TO = {crs: pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True) for crs in _CRS}

cell_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=32, max_codepoint=0x17F),  # Latin, accents, œ
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    ),
    max_size=12,
)
row = st.fixed_dictionaries(
    {
        # mostly in and around the Landes, sometimes far away or nonsense
        "lon": st.one_of(*[st.floats(-1.6, 0.2)] * 4, st.floats(-180, 180), st.just(np.nan)),
        "lat": st.one_of(*[st.floats(43.4, 44.6)] * 4, st.floats(-90, 90), st.just(np.nan)),
        "garbage_coord": st.one_of(*[st.none()] * 9, cell_text),
        "nom": cell_text,
        "date": st.one_of(st.sampled_from(_DATE_FORMS), cell_text),
        "code": st.one_of(st.none(), st.sampled_from(["40192", "40088", "33063", "2A004", "4019"]),
                          cell_text),  # fmt: skip
    }
)


def _cell(value: float, comma: bool, digits: int) -> str:
    if not np.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if comma else text


@st.composite
def point_files(draw):
    xcol, ycol = draw(st.sampled_from(_XY))
    crs = draw(st.sampled_from(sorted(_CRS)))
    sep = draw(st.sampled_from([";", ",", "\t"]))
    comma = sep != "," and draw(st.booleans())
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]))
    names = [draw(st.sampled_from(_NAMES)), xcol, ycol, draw(st.sampled_from(_DATES)), "INSEE"]
    extra = draw(st.lists(cell_text.filter(lambda t: t.strip() != ""), max_size=2))
    names += [f"{e}_{i}" for i, e in enumerate(extra)]
    rows = draw(st.lists(row, max_size=8))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(names)
    digits = 6 if crs == "EPSG:4326" else 1
    for r in rows:
        x, y = _TO[crs].transform(r["lon"], r["lat"])
        xs, ys = _cell(x, comma, digits), _cell(y, comma, digits)
        if r["garbage_coord"] is not None:
            xs = r["garbage_coord"]
        writer.writerow([r["nom"], xs, ys, r["date"], r["code"] or ""] + ["v"] * len(extra))
    data = buffer.getvalue().encode(encoding, errors="replace")
    return {
        "data": data,
        "n": len(rows),
        "sep": draw(st.sampled_from([None, sep])),
        "crs": draw(st.sampled_from([None, crs])),
        "departement": draw(st.sampled_from([None, "40"])),
        "date": draw(st.sampled_from([None, "01/01/2021", "2021"])),
    }


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=point_files())
def test_point_loader_never_crashes_and_balances(tmp_path, case):
    path = tmp_path / "points.csv"
    path.write_bytes(case["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = load_points(
                path, "fuzz", crs=case["crs"], sep=case["sep"],
                departement=case["departement"], date=case["date"],
            )  # fmt: skip
        except AccessibiliteError:
            return  # a French error of the package, naming the file or the column
    attrs = frame.attrs
    parts = (
        len(frame)
        + len(attrs["rejected"])
        + attrs["out_of_territory"]
        + attrs.get("filtered_by_date", 0)
    )
    assert parts == attrs["rows_read"]
    if case["sep"] is not None:  # the separator given: every written row was read
        assert attrs["rows_read"] == case["n"]
    assert frame["service_id"].is_unique
    assert frame["date_ouverture"].dtype == "datetime64[ns]"
    assert attrs["rejected"]["reason"].notna().all()
    if len(frame):
        assert np.isfinite(frame.geometry.x).all() and np.isfinite(frame.geometry.y).all()
    if case["departement"] is not None:  # no margin: a commune code of elsewhere stays out
        codes = frame["code_insee"].dropna()
        assert codes.str.startswith("40").all(), codes.tolist()
