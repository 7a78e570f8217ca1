"""Access times: minutes from each commune to its nearest service.

:func:`access_times` takes a travel-time provider (:class:`~accessibilite.network.RoadNetwork`
or :class:`~accessibilite.estimate.StraightLineEstimate`) and uses only its
``nearest(services, origins)`` method, so the times are the same whichever way
they are obtained. Origins are the town halls (INSEE METRIC convention), a
point inside each commune, or the inhabited 200 m cells of the Filosofi grid.
The method is described in ``docs/indicators.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnError
from ..territories.carreaux import aggregate_by_commune, cells_in_communes
from ..territories.datafrance import departement_of

__all__ = ["CellTimes", "access_times"]

ORIGINES = ("mairie", "centroide", "carreaux")
_COMMUNE_COLUMNS = ("code_insee", "nom", "population")
_CARRIED = ("code_departement", "code_epci", "nom_epci")


@dataclass(eq=False)
class CellTimes:
    """Per-cell times kept in ``times.attrs["temps_carreaux"]`` (``origine="carreaux"``).

    A wrapper rather than a bare DataFrame so that pandas can compare and
    propagate ``attrs`` (it compares them with ``==``) without error.

    Attributes
    ----------
    table : DataFrame
        One row per inhabited cell: ``idcar``, ``code_insee``, ``population``,
        ``temps_min``.
    """

    table: pd.DataFrame

    def __repr__(self) -> str:
        return f"CellTimes({len(self.table)} carreaux)"


# --------------------------------------------------------------------- helpers


def _validate_seuil(seuil_min) -> float:
    """A threshold in minutes as a float > 0, else :class:`InputError`."""
    try:
        seuil = float(seuil_min)
    except (TypeError, ValueError):
        seuil = np.nan
    if not np.isfinite(seuil) or seuil <= 0:
        raise InputError(
            f"seuil invalide (seuil_min = {seuil_min!r}) : attendu un nombre de minutes > 0"
        )
    return seuil


def _validate_communes(communes, what: str = "communes") -> None:
    if not isinstance(communes, gpd.GeoDataFrame):
        raise InputError(f"{what} : GeoDataFrame attendu")
    for col in _COMMUNE_COLUMNS:
        if col not in communes.columns:
            raise MissingColumnError(None, col, communes.columns)
    if len(communes) == 0:
        raise InputError(f"{what} : aucune commune")
    if communes["code_insee"].duplicated().any():
        raise InputError(f"{what} : code_insee en double")
    pop = pd.to_numeric(communes["population"], errors="coerce")
    if pop.isna().any() or (pop < 0).any():
        raise InputError(f"{what} : population absente, non numérique ou négative")


def _check_unique_ids(services: pd.DataFrame, what: str = "services") -> None:
    """Refuse duplicated ``service_id`` (the nearest site and site counts would be ambiguous)."""
    dup = services["service_id"].duplicated()
    if dup.any():
        first = services.loc[dup, "service_id"].iloc[0]
        raise InputError(
            f"{what} : identifiant 'service_id' en double : {first!r} ({int(dup.sum())} "
            "doublon(s)) ; en réunissant plusieurs listes, préfixez les identifiants"
        )


def _validate_services(services, crs) -> gpd.GeoDataFrame:
    if not isinstance(services, gpd.GeoDataFrame):
        raise InputError("services : GeoDataFrame attendu")
    if "service_id" not in services.columns:
        raise MissingColumnError(None, "service_id", services.columns)
    _check_unique_ids(services)
    if services.crs is not None and crs is not None and services.crs != crs:
        services = services.to_crs(crs)
    return services


def _nearest(network, services: gpd.GeoDataFrame, origins: gpd.GeoSeries) -> pd.DataFrame:
    """``network.nearest`` made total: no service → unreachable; NaN time → inf."""
    n = len(origins)
    if len(services) == 0 or n == 0:
        return pd.DataFrame(
            {
                "time_s": np.full(n, np.inf),
                "service_id": np.full(n, None, dtype=object),
                "distance_m": np.full(n, np.nan),
                "snap_m": np.full(n, np.nan),
            },
            index=origins.index,
        )
    res = network.nearest(services, origins)
    for col in ("time_s", "service_id", "distance_m"):
        if col not in res.columns:
            raise MissingColumnError(None, col, res.columns)
    if len(res) != n:
        raise InputError(f"le fournisseur de temps a renvoyé {len(res)} lignes pour {n} origines")
    res = res.set_axis(origins.index)  # the protocol aligns rows with the origins
    time = res["time_s"].to_numpy(dtype=float, na_value=np.nan).copy()
    unreachable = ~np.isfinite(time)
    sid = res["service_id"].astype(object).to_numpy().copy()
    sid[unreachable] = None
    dist = res["distance_m"].to_numpy(dtype=float, na_value=np.nan).copy()
    dist[unreachable] = np.nan
    snap = (
        res["snap_m"].to_numpy(dtype=float, na_value=np.nan)
        if "snap_m" in res.columns
        else np.full(n, np.nan)
    )
    time[unreachable] = np.inf
    return pd.DataFrame(
        {"time_s": time, "service_id": sid, "distance_m": dist, "snap_m": snap},
        index=origins.index,
    )


def _mairies(communes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Town-hall points; a point inside the polygon where the town hall is unknown."""
    if "mairie" not in communes.columns:
        raise MissingColumnError(None, "mairie", communes.columns)
    pts = gpd.GeoSeries(communes["mairie"], index=communes.index)
    if pts.crs is None:
        pts = pts.set_crs(communes.crs)
    elif pts.crs != communes.crs:
        pts = pts.to_crs(communes.crs)
    missing = (pts.isna() | pts.is_empty).to_numpy()
    if missing.any():
        pts[missing] = communes.geometry[missing].representative_point()
        filled = missing & ~(pts.isna() | pts.is_empty).to_numpy()
        if filled.any():  # the others have no outline either: refused below
            warnings.warn(
                f"{int(filled.sum())} commune(s) sans mairie localisée : point intérieur "
                "du contour communal utilisé",
                UserWarning,
                stacklevel=3,
            )
    return _require_points(pts, communes)


def _require_points(pts: gpd.GeoSeries, communes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Refuse, naming them, the communes left without any origin point."""
    lost = (pts.isna() | pts.is_empty).to_numpy()
    if lost.any():
        rows = communes.loc[lost, ["nom", "code_insee"]].head(10)
        names = ", ".join(f"{r.nom} ({r.code_insee})" for r in rows.itertuples())
        raise InputError(
            f"{int(lost.sum())} commune(s) sans mairie ni contour communal, impossibles à "
            f"situer : {names}{' ...' if lost.sum() > len(rows) else ''} ; retirez-les des "
            "communes ou donnez leur géométrie"
        )
    return pts


def _outside(times: pd.DataFrame, services: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each commune's nearest service lies in another département.

    The service's département comes from its ``code_insee``; without a code,
    from the commune polygon holding it; a service outside every commune of
    ``times`` counts as outside the département.
    """
    if len(services) == 0:
        return np.zeros(len(times), dtype=bool)
    codes = (
        services["code_insee"].astype(object)
        if "code_insee" in services.columns
        else pd.Series(None, index=services.index, dtype=object)
    )
    codes = codes.where(codes.map(lambda c: isinstance(c, str) and len(c) == 5), None)
    dep = departement_of(codes)
    todo = dep.isna().to_numpy()
    if todo.any():
        polys = gpd.GeoDataFrame(
            {"_dep": times["code_departement"].to_numpy()}, geometry=times.geometry.values
        ).set_crs(times.crs)
        hit = gpd.sjoin(services.loc[todo, [services.geometry.name]], polys, how="left")
        hit = hit[~hit.index.duplicated(keep="first")]
        dep[todo] = hit["_dep"].reindex(services.index[todo]).astype(object).to_numpy()
    by_id = pd.Series(dep.to_numpy(), index=services["service_id"].astype(object).to_numpy())
    by_id = by_id[~by_id.index.duplicated(keep="first")]
    sdep = times["service_id"].map(by_id)
    reached = times["service_id"].notna()
    return (reached & (sdep.isna() | (sdep != times["code_departement"]))).to_numpy(dtype=bool)


# ---------------------------------------------------------------- access times


def _warn_unreachable(out: gpd.GeoDataFrame, network, n_services: int) -> None:
    """Name the communes left without any time (never a silent deficit)."""
    lost = ~np.isfinite(out["temps_min"].to_numpy(dtype=float))
    if not lost.any() or n_services == 0:  # no site at all: every commune, nothing to name
        return
    limit = getattr(network, "max_snap_m", None)
    far = ""
    if limit is not None:
        n_far = int((out.loc[lost, "snap_m"].to_numpy(dtype=float) > limit).sum())
        if n_far:
            far = f", dont {n_far} à plus de {limit:g} m du réseau (hors de son emprise)"
    rows = out.loc[lost, ["nom", "code_insee"]].head(10)
    names = ", ".join(f"{r.nom} ({r.code_insee})" for r in rows.itertuples())
    more = " ..." if lost.sum() > len(rows) else ""
    warnings.warn(
        f"{int(lost.sum())} commune(s) sans temps d'accès (inaccessibles, comptées au-delà "
        f"du seuil){far} : {names}{more}",
        UserWarning,
        stacklevel=3,
    )


def access_times(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    network,
    origine: str = "mairie",
    carreaux: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Travel time from each commune to its nearest service.

    Parameters
    ----------
    communes : GeoDataFrame
        Communes as returned by :func:`~accessibilite.territories.communes`
        (``code_insee``, ``nom``, ``population``, ``mairie`` for the default origin).
    services : GeoDataFrame
        Service points (``service_id``, ``code_insee``...). Include the sites of
        neighbouring départements (load them with a buffer): they count when nearer.
    network : TravelTimeProvider
        ``RoadNetwork`` or ``StraightLineEstimate``.
    origine : {"mairie", "centroide", "carreaux"}
        Where residents start: the town hall (INSEE METRIC convention), a point
        inside the commune polygon, or the inhabited 200 m cells of ``carreaux``.
    carreaux : GeoDataFrame, optional
        Cells from :func:`~accessibilite.carreaux.load_carreaux` (required with
        ``origine="carreaux"``).

    Returns
    -------
    GeoDataFrame
        One row per commune, same order, commune polygons: ``code_insee``, ``nom``,
        ``population``, (``code_departement``, ``code_epci``, ``nom_epci``),
        ``temps_min`` (``inf`` if no service can be reached), ``service_id``,
        ``distance_km``, ``snap_m``, ``service_hors_departement``; with
        ``origine="carreaux"`` also ``temps_moyen_pondere_min`` (equal to
        ``temps_min``, the population-weighted mean over the commune's cells).
        ``.attrs``: ``origine``, ``description``, ``mode``, ``estimation``,
        ``reseau_source`` / ``reseau_date`` (the network's ``source`` / ``date``, or None) and,
        for cells, ``temps_carreaux`` (a :class:`CellTimes`; its ``table`` has one row per cell: ``idcar``, ``code_insee``,
        ``population``, ``temps_min``) and ``communes_sans_carreau``.
    """
    _validate_communes(communes)
    if origine not in ORIGINES:
        raise InputError(f"origine inconnue : {origine!r} (attendu : {', '.join(ORIGINES)})")
    services = _validate_services(services, communes.crs)
    keep = [*_COMMUNE_COLUMNS, *(c for c in _CARRIED if c in communes.columns)]
    out = gpd.GeoDataFrame(
        communes[keep].copy(), geometry=communes.geometry.to_numpy(), crs=communes.crs
    )
    if "code_departement" not in out.columns:
        out["code_departement"] = departement_of(out["code_insee"]).to_numpy()

    attrs: dict = {}
    if origine == "carreaux":
        cells = cells_in_communes(carreaux, communes)
        cell_res = _nearest(network, services, cells.geometry)
        code = cells["code_insee"].to_numpy(dtype=object)
        pop = cells["population"].to_numpy()
        res = aggregate_by_commune(cell_res, code, pop).reindex(communes["code_insee"].to_numpy())
        res.index = communes.index
        without = res["time_s"].isna().to_numpy()
        if without.any():
            warnings.warn(
                f"{int(without.sum())} commune(s) sans carreau habité : temps calculé "
                "depuis la mairie",
                UserWarning,
                stacklevel=2,
            )
            sub = communes[without]
            origins = (
                _mairies(sub)
                if "mairie" in communes.columns
                else gpd.GeoSeries(sub.geometry.representative_point(), crs=communes.crs)
            )
            fallback = _nearest(network, services, origins)
            res = res.astype({"service_id": object})
            for col in ("time_s", "service_id", "distance_m", "snap_m"):
                res.loc[without, col] = fallback[col].to_numpy()
        attrs["temps_carreaux"] = CellTimes(
            pd.DataFrame(
                {
                    "idcar": cells["idcar"].to_numpy(),
                    "code_insee": code,
                    "population": pop,
                    "temps_min": cell_res["time_s"].to_numpy() / 60.0,
                }
            )
        )
        attrs["communes_sans_carreau"] = sorted(communes.loc[without, "code_insee"])
    else:
        origins = (
            _mairies(communes)
            if origine == "mairie"
            else _require_points(
                gpd.GeoSeries(communes.geometry.representative_point(), crs=communes.crs),
                communes,
            )
        )
        res = _nearest(network, services, origins)

    time_s = pd.to_numeric(res["time_s"]).to_numpy(dtype=float)
    out["temps_min"] = time_s / 60.0
    out["service_id"] = res["service_id"].astype(object).to_numpy()
    out["distance_km"] = pd.to_numeric(res["distance_m"]).to_numpy(dtype=float) / 1000.0
    out["snap_m"] = pd.to_numeric(res["snap_m"]).to_numpy(dtype=float)
    out["service_hors_departement"] = _outside(out, services)
    _warn_unreachable(out, network, n_services=len(services))
    if origine == "carreaux":
        out["temps_moyen_pondere_min"] = out["temps_min"]
    out = out[[c for c in out.columns if c != "geometry"] + ["geometry"]]
    out.attrs.update(
        origine=origine,
        description=getattr(network, "description", ""),
        mode=getattr(network, "mode", ""),
        estimation=bool(getattr(network, "estimation", False)),
        reseau_source=getattr(network, "source", None) or None,  # RoadNetwork provenance
        reseau_date=getattr(network, "date", None) or None,
        **attrs,
    )
    return out
