"""Service locations: France Services lists and generic point files.

Both loaders return the standard services frame (see ``docs/architecture.md``
and ``docs/services.md``): a GeoDataFrame with ``service_id``, ``nom``,
``categorie``, ``code_insee``, ``date_ouverture``, ``itinerant``, ``geometry``
(Point, EPSG:2154, or the département's CRS overseas), ``capacite`` where
relevant, then the source columns. Rows that cannot be used are never dropped
silently: they go to ``.attrs["rejected"]`` with a French ``reason`` and one
:class:`RejectedRowsWarning` summarises them. Health registers (FINESS, BPE
counts) are in :mod:`accessibilite.health`.
"""

from __future__ import annotations

import datetime
import re
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, MissingColumnError
from ._core import (
    _STANDARD,
    MULTI_POINTS,
    RejectedRowsWarning,
    _assemble,
    _generated_ids,
    _guess_crs,
    _overseas_crs,
    _parse_dates,
    _per_row_crs,
    _standard,
    _text,
)
from ._editions import _date_in_name, _official_or_embedded
from ._read import _codes, _find, _read_any, _source_path, _to_float, _xy_columns

__all__ = ["RejectedRowsWarning", "load_france_services", "load_points"]

#: Coordinate column pairs "x:y", searched case-insensitively in this order.
_XY_NAMES = [
    pair.split(":")
    for pair in (
        "longitude:latitude lon:lat lng:lat long:lat xlong:ylat x_wgs84:y_wgs84 "
        "lon_wgs84:lat_wgs84 longitude_wgs84:latitude_wgs84 wgs84_x:wgs84_y "
        "lambert_x:lambert_y x_l93:y_l93 xl93:yl93 x_lambert93:y_lambert93 coordx:coordy "
        "coord_x:coord_y coordxet:coordyet x:y"
    ).split()
]
#: Single columns holding "lat, lon" (opendatasoft) or {"lon": .., "lat": ..}.
_LATLON_NAMES = [
    "geo_point_2d", "geo_point", "geopoint", "point_geo", "coordonnees", "coordonnees_gps",
    "coordonnees_geographiques", "geolocalisation", "latlon", "lat_lon", "latitude_longitude",
]  # fmt: skip
_ID_NAMES = ["id", "identifiant", "uid", "id_fs", "nofinesset"]
_NOM_NAMES = ["nom", "name", "libelle", "lib_fs", "raison_sociale", "rs", "denomination"]
#: Opening / label date columns found automatically (``JJ/MM/AAAA`` or ISO values).
_DATE_NAMES = [
    "date_ouverture",
    "date_labellisation",
    "labellisation_fs",
    "date_label",
    "labellisation",
]
_INSEE_NAMES = (
    "code_insee codeinsee insee insee_com codgeo depcom com_code code_commune_insee "
    "code_commune citycode result_citycode"
).split()


# ---------------------------------------------------------- France Services


def load_france_services(
    source: str | PathLike | None = None,
    date=None,
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
) -> gpd.GeoDataFrame:
    """Load an ANCT list of France Services sites (2024 or January-2020 schema).

    Parameters
    ----------
    source : str or PathLike, optional
        The CSV file (plain or ``.csv.xz`` / ``.gz``). ``None`` downloads the
        current official list into the cache (``sources.fetch("france_services")``);
        when it cannot be downloaded, the embedded list of 2024-08-01
        (``datasets.france_services_file()``) is used and a warning says so.
    date : str or datetime-like, optional
        Keep only the sites labelled on or before this day (``labellisation_fs``).
        Sites labelled later are not "rejected": they are counted in
        ``attrs["filtered_by_date"]``.
    departement : str, int or list, optional
        Keep the sites inside the département outline buffered by ``buffer_km``;
        the others are rejected (``"hors du territoire"``).
    buffer_km : float, default 0
        Outward buffer of the outline, to keep services just across the border.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame, ``categorie == "france_services"``.
        ``len(frame) + attrs["filtered_by_date"] + len(attrs["rejected"])``
        equals ``attrs["rows_read"]``. ``attrs["date_liste"]``: ISO date of the
        list edition (embedded list; download day of the official list; date in
        the file name, ``liste-fs-20240801.csv``), or None when unknown.

    Notes
    -----
    The schema is detected from the columns. The 2024 list (``id_fs``, ``lib_fs``,
    ``latitude``, ``longitude``...) gives ``date_ouverture`` from
    ``labellisation_fs`` and ``itinerant`` from ``format_fs`` (``Bus_équivalent``,
    ``Itinérante``). The January-2020 list has no identifier (ids ``2020-001``...
    in file order), no date (``date_ouverture`` is NaT, so ``date=`` raises
    :class:`InputError`), and ``itinerant`` from ``itinerance == "Oui"``;
    its commune code is the geocoder's ``result_citycode``.
    """
    source, date_liste = _official_or_embedded(source)
    table, path = _read_any(_source_path(source, "france_services"))
    n, cols = len(table), set(table.columns)
    if {"id_fs", "lib_fs", "latitude", "longitude"} <= cols:
        schema, xcol, ycol = "2024", "longitude", "latitude"
        fmt = _text(table.get("format_fs", [None] * n))
        std = _standard(
            n,
            ids=table["id_fs"],
            noms=table["lib_fs"],
            categorie="france_services",
            insee=_codes(table["insee_com"]) if "insee_com" in cols else None,
            dates=_parse_dates(table.get("labellisation_fs"), n),
            itinerant=fmt.isin(["Bus_équivalent", "Itinérante"]),
        )
    elif {"lib_france_services", "lat", "long"} <= cols:
        schema, xcol, ycol = "2020", "long", "lat"
        if date is not None:
            raise InputError(
                f"{path}: la liste de janvier 2020 ne donne pas de date de labellisation ; "
                "date= n'est utilisable qu'avec la liste 2024 (labellisation_fs)"
            )
        insee = table.get("result_citycode", pd.Series([None] * n))
        std = _standard(
            n,
            ids=_generated_ids("2020", n),
            noms=table["lib_france_services"],
            categorie="france_services",
            insee=_codes(insee.fillna(table.get("insee_com", insee))),
            itinerant=_text(table.get("itinerance", [None] * n)).str.lower() == "oui",
        )
    else:
        need = ["id_fs", "lib_fs", "latitude", "longitude"]
        if "lib_france_services" in cols:
            need = ["lib_france_services", "lat", "long"]
        raise MissingColumnError(path, next(c for c in need if c not in cols), table.columns)
    xs, ys, written = _xy_columns(table, xcol, ycol)
    frame = _assemble(
        table,
        *std,
        xs,
        ys,
        np.full(n, "EPSG:4326", dtype=object),
        coord_text=written,
        departement=departement,
        buffer_km=buffer_km,
        source=path,
        label="load_france_services",
    )
    frame.attrs.update(
        schema=schema, filtered_by_date=0, date_liste=date_liste or _date_in_name(path)
    )
    return frame if date is None else _filter_by_date(frame, date)


def _filter_by_date(frame: gpd.GeoDataFrame, date) -> gpd.GeoDataFrame:
    """Keep the sites opened on or before ``date``; count the others in attrs."""
    when = _as_day(date)
    attrs = dict(frame.attrs)
    keep = (frame["date_ouverture"] <= when).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    frame.attrs = attrs | {"filtered_by_date": int((~keep).sum()), "date": str(when.date())}
    return frame


def _as_day(date) -> pd.Timestamp:
    """``date=`` as a day: ``AAAA-MM-JJ``, French ``JJ/MM/AAAA`` or a date object.

    A bare number is refused (``pd.Timestamp(2022)`` is 2022 ns after 1970), and a
    slashed date is read day first, never month first as pandas would.
    """
    if isinstance(date, str) and re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", date):
        when = pd.to_datetime(date.strip(), format="%d/%m/%Y", errors="coerce")
    elif isinstance(date, (str, datetime.date, np.datetime64)):
        try:
            when = pd.Timestamp(date)
        except (ValueError, TypeError):
            when = pd.NaT
    else:
        when = pd.NaT
    if pd.isna(when):
        raise InputError(f"date illisible : {date!r} (attendu AAAA-MM-JJ ou JJ/MM/AAAA)")
    return when


# ------------------------------------------------------------ any point file


def load_points(
    path: str | PathLike,
    categorie: str,
    *,
    x: str | None = None,
    y: str | None = None,
    crs=None,
    id_col: str | None = None,
    nom_col: str | None = None,
    insee_col: str | None = None,
    date_col: str | None = None,
    capacite_col: str | None = None,
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
    layer: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Load service points from any CSV, GeoJSON, GeoPackage or Shapefile.

    Parameters
    ----------
    path : str or PathLike
        The file. CSV separators ``;``, ``,`` and tab are sniffed; UTF-8 is
        tried first, then cp1252. Excel workbooks (``.xlsx``, needs openpyxl)
        are read as text. Other formats are read with pyogrio.
    categorie : str
        Value of the ``categorie`` column (e.g. ``"caf"``, ``"msp"``).
    x, y : str, optional
        Coordinate columns. By default the point geometry of a vector file,
        else the first pair of common names found regardless of case and
        accents (``longitude``/``latitude``, ``lon``/``lat``, ``long``, ``lng``,
        ``lon_wgs84``/``lat_wgs84``, ``xlong``/``ylat``, ``LAMBERT_X``/``LAMBERT_Y``,
        ``X_L93``/``Y_L93``, ``coordx``/``coordy``, ``x``/``y``...) or one
        ``"lat, lon"`` column (``geo_point_2d``, ``coordonnees``,
        ``Coordonnées GPS``...). A MultiPoint of several places is rejected.
    crs : str, optional
        CRS of the coordinates, or the name of a column giving it per row
        (``"EPSG:2154"`` or ``2154``). By default the file's own CRS, else an
        ``EPSG`` column, else guessed from the values (WGS84, Lambert-93 or
        Lambert II étendu); other systems need ``crs=``.
    id_col, nom_col, insee_col, date_col, capacite_col : str, optional
        Source columns of ``service_id``, ``nom``, ``code_insee``,
        ``date_ouverture`` and ``capacite``. ``id``, ``nom``, ``code_insee``,
        ``date_ouverture`` / ``date_labellisation`` and a few usual variants
        are found automatically; without an id column, ids are
        ``<categorie>-<row number>``.
    departement, buffer_km
        As in :func:`load_france_services`.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage), or sheet of a workbook.
    sep, encoding : str, optional
        Force the CSV separator or the text encoding.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame (``capacite`` only with ``capacite_col``).

    Raises
    ------
    DataFileError
        Missing or unreadable file.
    MissingColumnError
        A named column is absent, or no coordinate column was found.
    """
    table, path = _read_any(path, layer, sep, encoding)
    for col in (x, y, id_col, nom_col, insee_col, date_col, capacite_col):
        if col is not None and col not in table.columns:
            raise MissingColumnError(path, col, table.columns)
    if (x is None) != (y is None):
        raise InputError("donnez les deux colonnes de coordonnées x= et y=, ou aucune")
    geoms = file_crs = coord_text = reasons = None
    if isinstance(table, gpd.GeoDataFrame):
        file_crs = table.crs.to_string() if table.crs is not None else None
        geoms = table.geometry.values
        table = pd.DataFrame(table).rename(columns={table.geometry.name: "geometry"})
    if x is None and geoms is not None and not shapely.is_missing(geoms).all():
        points = shapely.point_on_surface(geoms)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        crs = crs or file_crs
        # a MultiPoint of several places is several sites under one id: not one of them
        multi = (shapely.get_type_id(geoms) == 4) & (
            shapely.get_num_geometries(shapely.extract_unique_points(geoms)) > 1
        )
        reasons = np.where(multi, MULTI_POINTS, None)
    else:
        xs, ys, coord_text = _coordinate_columns(table, x, y, path)
        crs = crs or _find(table.columns, ["epsg"])
    n = len(table)
    insee_col = insee_col or next(
        (
            c
            for c in (_find(table.columns, [name]) for name in _INSEE_NAMES)
            if c is not None and table[c].notna().any()
        ),
        None,
    )
    id_col = id_col or _find(table.columns, _ID_NAMES)
    nom_col = nom_col or _find(table.columns, _NOM_NAMES)
    date_col = date_col or _find(table.columns, _DATE_NAMES)
    std = _standard(
        n,
        ids=table[id_col] if id_col else _generated_ids(categorie, n),
        noms=table[nom_col] if nom_col else None,
        categorie=categorie,
        insee=_codes(table[insee_col]) if insee_col else None,
        dates=_parse_dates(table[date_col], n) if date_col else None,
        capacite=_to_float(table[capacite_col]) if capacite_col else None,
    )
    return _assemble(
        table,
        *std,
        xs,
        ys,
        _per_row_crs(
            table,
            crs or _guess_crs(xs, ys, path, _overseas_crs(departement, std[0]["code_insee"])),
            path,
        ),
        coord_text=coord_text,
        reasons=reasons,
        departement=departement,
        buffer_km=buffer_km,
        drop={id_col, nom_col, insee_col, date_col, capacite_col} & set(_STANDARD),
        source=path,
    )


def _coordinate_columns(table: pd.DataFrame, x, y, path):
    """x, y float arrays from the given, usual-name or ``geo_point_2d`` columns."""
    if x is None:
        found = ((_find(table.columns, [a]), _find(table.columns, [b])) for a, b in _XY_NAMES)
        x, y = next(((a, b) for a, b in found if a and b), (None, None))
    if x is not None:
        return _xy_columns(table, x, y)
    column = _find(table.columns, _LATLON_NAMES)
    if column is None:
        raise MissingColumnError(
            path,
            "longitude/latitude (ou lon/lat, x/y, LAMBERT_X/LAMBERT_Y, geo_point_2d)",
            table.columns,
        )
    text = table[column].astype("string")
    num = r"(-?\d+(?:[.,]\d+)?)"  # decimal point or French decimal comma
    # "lat, lon", "lat;lon", "lat lon", "44,1; -0,5" (a comma right after digits is decimal)
    pair = text.str.extract(rf"^\s*\[?\s*{num}\s*(?:[,;]\s*|\s+){num}\s*\]?\s*$")
    lat = pair[0].fillna(text.str.extract(rf'"lat"\s*:\s*{num}')[0])
    lon = pair[1].fillna(text.str.extract(rf'"lon"\s*:\s*{num}')[0])
    return _to_float(lon), _to_float(lat), text.notna().to_numpy()
