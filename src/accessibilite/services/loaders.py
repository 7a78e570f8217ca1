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

import warnings
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
from .columns import (
    ADDRESS_NAMES,
    DATE_NAMES,
    ID_NAMES,
    INSEE_NAMES,
    ITINERANT_NAMES,
    LATLON_NAMES,
    NOM_NAMES,
    XY_NAMES,
    find_column,
    itinerant_flags,
)
from .dates import UnreadableFieldWarning, filter_by_date

__all__ = [
    "RejectedRowsWarning",
    "UnreadableFieldWarning",
    "load_france_services",
    "load_points",
]

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
        date_col, names = "labellisation_fs", ("id_fs", "lib_fs", "insee_com", "labellisation_fs")
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
        date_col, names = None, (None, "lib_france_services", "result_citycode", None)
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
        date_col=date_col,
        columns=_mapping(*names, itinerant="format_fs" if schema == "2024" else "itinerance",
                         coordonnees=f"{xcol} / {ycol}", crs="EPSG:4326"),
    )  # fmt: skip
    frame.attrs.update(schema=schema, date_liste=date_liste or _date_in_name(path))
    return frame if date is None else filter_by_date(frame, date, "load_france_services")


def _mapping(ids, noms, insee, dates, **more) -> dict:
    """Standard field → source column (only the fields read from a column)."""
    fields = {"service_id": ids, "nom": noms, "code_insee": insee, "date_ouverture": dates}
    return {k: v for k, v in {**fields, **more}.items() if v is not None}


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
    itinerant_col: str | None = None,
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
    date=None,
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
    id_col, nom_col, insee_col, date_col, capacite_col, itinerant_col : str, optional
        Source columns of ``service_id``, ``nom``, ``code_insee``,
        ``date_ouverture``, ``capacite`` and ``itinerant`` (matched loosely:
        ``"nom du site"`` finds ``Nom du site``). By default usual names are
        found regardless of case, accents and small words: ``id``,
        ``Identifiant``; ``nom``, ``Nom du site``, ``Libellé``; ``code_insee``,
        ``Code commune INSEE``; ``Date d'ouverture``, ``Date de
        labellisation``; ``Itinérant``, ``format_fs``. Without an id column,
        ids are ``<categorie>-<row number>``. ``attrs["columns"]`` tells which
        column fed each field. An unreadable date leaves the date missing
        (NaT) and is reported in a warning and ``attrs["unreadable"]``; the
        site is kept. Dates are read by :func:`accessibilite.services.dates.parse_date`.
    departement, buffer_km
        As in :func:`load_france_services`.
    date : str or date, optional
        Keep the sites opened on or before this day (as in
        :func:`load_france_services`); sites without a readable date are set
        aside (``attrs["undated"]``). Without a date column, a warning says the
        filter cannot apply and every site is kept.
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
    x, y, id_col, nom_col, insee_col, date_col, capacite_col, itinerant_col = (
        _given_column(table, col, path)
        for col in (x, y, id_col, nom_col, insee_col, date_col, capacite_col, itinerant_col)
    )
    if (x is None) != (y is None):
        raise InputError("donnez les deux colonnes de coordonnées x= et y=, ou aucune")
    geoms = file_crs = coord_text = reasons = None
    if isinstance(table, gpd.GeoDataFrame):
        file_crs = table.crs.to_string() if table.crs is not None else None
        geoms = table.geometry.values
        table = pd.DataFrame(table).rename(columns={table.geometry.name: "geometry"})
    crs_from = "donné" if crs is not None else None
    if x is None and geoms is not None and not shapely.is_missing(geoms).all():
        points = shapely.point_on_surface(geoms)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        crs_from = crs_from or ("celui du fichier" if file_crs else None)
        crs = crs or file_crs
        # a MultiPoint of several places is several sites under one id: not one of them
        multi = (shapely.get_type_id(geoms) == 4) & (
            shapely.get_num_geometries(shapely.extract_unique_points(geoms)) > 1
        )
        reasons = np.where(multi, MULTI_POINTS, None)
        coords = "géométrie du fichier"
    else:
        xs, ys, coord_text, coords = _coordinate_columns(table, x, y, path)
        if crs is None and _find(table.columns, ["epsg"]) is not None:
            crs = _find(table.columns, ["epsg"])
            crs_from = f"colonne « {crs} »"
    n = len(table)
    insee_col = insee_col or find_column(table, INSEE_NAMES, filled=True)
    id_col = id_col or find_column(table, ID_NAMES)
    nom_col = nom_col or find_column(table, NOM_NAMES)
    date_col = date_col or find_column(table, DATE_NAMES)
    itinerant_col = itinerant_col or find_column(table, ITINERANT_NAMES)
    std = _standard(
        n,
        ids=table[id_col] if id_col else _generated_ids(categorie, n),
        noms=table[nom_col] if nom_col else None,
        categorie=categorie,
        insee=_codes(table[insee_col]) if insee_col else None,
        dates=_parse_dates(table[date_col], n) if date_col else None,
        itinerant=itinerant_flags(table[itinerant_col]) if itinerant_col else None,
        capacite=_to_float(table[capacite_col]) if capacite_col else None,
    )
    if crs is None:
        crs = _guess_crs(xs, ys, path, _overseas_crs(departement, std[0]["code_insee"]))
        crs_from = "deviné des valeurs"
    frame = _assemble(
        table,
        *std,
        xs,
        ys,
        _per_row_crs(table, crs, path),
        coord_text=coord_text,
        reasons=reasons,
        departement=departement,
        buffer_km=buffer_km,
        drop={id_col, nom_col, insee_col, date_col, capacite_col} & set(_STANDARD),
        source=path,
        date_col=date_col,
        columns=_mapping(id_col, nom_col, insee_col, date_col, itinerant=itinerant_col,
                         capacite=capacite_col, coordonnees=coords,
                         crs=f"{crs} ({crs_from})" if crs_from else str(crs)),
    )  # fmt: skip
    if date is None:
        return frame
    if date_col is None:
        warnings.warn(
            f"load_points ({path.name}) : date= ignorée : aucune colonne de date d'ouverture "
            "(indiquez-la avec date_col=) ; tous les sites sont conservés",
            UnreadableFieldWarning,
            stacklevel=2,
        )
        frame.attrs["no_date_column"] = True
        return frame
    return filter_by_date(frame, date, "load_points")


def _given_column(table: pd.DataFrame, column, path) -> str | None:
    """A column named by the caller: exact, else matched loosely (case, accents); or error."""
    if column is None or column in table.columns:
        return column
    found = _find(table.columns, [column])
    if found is None:
        raise MissingColumnError(path, column, table.columns)
    return found


def _coordinate_columns(table: pd.DataFrame, x, y, path):
    """x, y float arrays from the given, usual-name or ``geo_point_2d`` columns.

    Also returns the rows whose cells are written and the columns used (text).
    """
    if x is None:
        found = ((_find(table.columns, [a]), _find(table.columns, [b])) for a, b in XY_NAMES)
        x, y = next(((a, b) for a, b in found if a and b), (None, None))
    if x is not None:
        return (*_xy_columns(table, x, y), f"{x} / {y}")
    column = _find(table.columns, LATLON_NAMES)
    if column is None:
        address = find_column(table, ADDRESS_NAMES)
        hint = (
            f" ; le fichier a une colonne d'adresse « {address} » mais pas de coordonnées : "
            "géocodez-le d'abord (https://adresse.data.gouv.fr/outils/csv) puis indiquez les "
            "colonnes x= et y="
            if address is not None
            else " ; indiquez les colonnes de coordonnées avec x= et y="
        )
        raise MissingColumnError(
            path,
            "longitude/latitude (ou lon/lat, x/y, LAMBERT_X/LAMBERT_Y, geo_point_2d)" + hint,
            table.columns,
        )
    text = table[column].astype("string")
    num = r"(-?\d+(?:[.,]\d+)?)"  # decimal point or French decimal comma
    # "lat, lon", "lat;lon", "lat lon", "44,1; -0,5" (a comma right after digits is decimal)
    pair = text.str.extract(rf"^\s*\[?\s*{num}\s*(?:[,;]\s*|\s+){num}\s*\]?\s*$")
    lat = pair[0].fillna(text.str.extract(rf'"lat"\s*:\s*{num}')[0])
    lon = pair[1].fillna(text.str.extract(rf'"lon"\s*:\s*{num}')[0])
    return _to_float(lon), _to_float(lat), text.notna().to_numpy(), column
