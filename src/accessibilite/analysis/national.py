"""France at once: access times of every commune of many départements, in parallel.

:func:`national_access` runs, for each département, exactly what a
single-département analysis runs — its communes against the sites of the
national list that lie inside its outline buffered by ``buffer_km`` (the sites
across the border count, as in ``load_france_services(departement=...,
buffer_km=...)``) — in worker processes (:class:`concurrent.futures.ProcessPoolExecutor`),
then stacks the commune tables and summarises each département. The figures
are therefore the same as département-by-département runs.

Travel times come from one provider shared by every département (the
straight-line estimate, offline) or from ``network_for(code, communes)``, a
picklable function building each département's road network (e.g. cut from a
regional or national PBF with ``RoadNetwork.from_osm(path, territory=communes,
buffer_km=...)``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..territories import communes as _communes
from ..territories import departements as _all_departements
from ..territories.datafrance import _rows, _validate_departements
from .access import _validate_seuil, access_times

__all__ = ["NationalAccess", "national_access", "region_departements", "resolve_departements"]

#: CRS of the stacked national commune table (metropolitan and overseas together).
NATIONAL_CRS = "EPSG:4326"


@dataclass(eq=False)
class NationalAccess:
    """Result of :func:`national_access`.

    Attributes
    ----------
    communes : GeoDataFrame
        One row per commune of every département (sorted by ``code_insee``),
        the columns of :func:`~accessibilite.analysis.access.access_times` plus
        ``au_dela_seuil``; EPSG:4326.
    departements : DataFrame
        One row per département: ``code_departement``, ``nom``,
        ``nb_communes``, ``population``, ``nb_sites`` (sites of the list inside
        the département), ``nb_sites_pris_en_compte`` (with the margin),
        ``temps_moyen_pondere_min`` (population-weighted, reachable communes),
        ``temps_max_min``, ``nb_communes_au_dela``, ``population_au_dela``,
        ``part_population_au_dela``, ``nb_communes_inaccessibles``.
    seuil_min : float
    sans_origine : DataFrame
        Communes set aside, with no town hall nor outline in the embedded
        tables (``code_insee``, ``nom``, ``population``); counted nowhere else.
    """

    communes: gpd.GeoDataFrame
    departements: pd.DataFrame
    seuil_min: float
    sans_origine: pd.DataFrame


def region_departements(region: str) -> list[str]:
    """Département codes of a region (INSEE region code, e.g. ``"93"``, or its name)."""
    regions = {r["id"]: (r["code"], r["nom"]) for r in _rows("regions")}
    key = str(region).strip()
    ids = [i for i, (code, nom) in regions.items() if key in (code, nom) or key.lower() == nom.lower()]
    if not ids:
        names = ", ".join(f"{c} ({n})" for c, n in sorted(regions.values()))
        raise InputError(f"région inconnue : {region!r} (attendu l'une de : {names})")
    return sorted(r["code"] for r in _rows("departements") if r["region_id"] in ids)


def resolve_departements(value: str | Iterable[str], region: str | None = None) -> list[str]:
    """``"all"`` / ``"tous"`` → every département; ``"04,05"`` → a list; plus a region's."""
    known = _all_departements()["code"].tolist()
    codes: list[str] = []
    if region is not None:
        codes += region_departements(region)
    if value is not None:
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [str(i).strip() for i in items if str(i).strip()]
        named = [i for i in items if i.lower() not in ("all", "tous", "france")]
        if len(named) < len(items):
            codes += known
        if named:
            codes += _validate_departements(named)
    if not codes:
        raise InputError("aucun département à analyser")
    return sorted(set(codes))


def _load_communes(codes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """Communes of every département, read in one pass per projection (then cached)."""
    metro = [c for c in codes if len(c) == 2]
    if len(metro) > 1:
        with warnings.catch_warnings():  # warned once below, per département
            warnings.simplefilter("ignore")
            _communes(metro)  # one streaming pass fills the per-département cache
    return {code: _communes(code) for code in codes}


def _sites_for(code: str, services: gpd.GeoDataFrame, crs, buffer_km: float) -> gpd.GeoDataFrame:
    """Sites of the département and its ``buffer_km`` margin, by the loaders' own rule.

    A site whose commune code is in the département belongs to it; another one
    when its point lies within the margin (with the outline tolerance), exactly
    as ``load_france_services(departement=code, buffer_km=...)`` keeps them.
    """
    from ..services._territory import _outside

    svc = services.to_crs(crs) if services.crs != crs else services
    xy = shapely.get_coordinates(svc.geometry.values)
    codes = svc["code_insee"] if "code_insee" in svc.columns else pd.Series([None] * len(svc))
    placed = np.ones(len(svc), bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        outside = _outside(codes.to_numpy(), xy[:, 0], xy[:, 1], placed, code, buffer_km)
    return svc[~outside].reset_index(drop=True)


def _without_origin(communes: gpd.GeoDataFrame, origine: str):
    """Split off the communes with no point to start from (no town hall and no outline).

    The embedded tables lack both for a few recent communes; like the
    single-département command, they are set aside and listed, not lost.
    """
    geom = communes.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if origine == "mairie" and "mairie" in communes.columns:
        mairie = communes["mairie"]
        missing = missing & (mairie.isna() | mairie.is_empty).to_numpy()
    gone = pd.DataFrame(communes.loc[missing, ["code_insee", "nom", "population"]])
    return communes.loc[~missing].reset_index(drop=True), gone.reset_index(drop=True)


def _one_departement(code, communes, sites, provider, network_for, seuil, origine):
    """One département (worker process): (table, sites used, warnings, communes set aside)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        communes, gone = _without_origin(communes, origine)
        prov = provider if network_for is None else network_for(code, communes)
        times = access_times(communes, sites, prov, origine=origine)
    times["au_dela_seuil"] = ~(times["temps_min"].to_numpy(dtype=float) <= seuil)
    messages = [f"département {code} : {w.message}" for w in caught]
    if len(gone):
        names = ", ".join(f"{r.nom} ({r.code_insee})" for r in gone.itertuples())
        messages.append(
            f"département {code} : {len(gone)} commune(s) sans mairie ni contour dans les "
            f"données communales, exclue(s) de l'analyse : {names}"
        )
    return times.to_crs(NATIONAL_CRS), len(sites), messages, gone


def _summary(table: gpd.GeoDataFrame, services, counts: dict[str, int]) -> pd.DataFrame:
    names = _all_departements().set_index("code")["nom"]
    svc_dep = services["code_insee"].astype(str).str[:2]
    svc_dep = svc_dep.where(svc_dep != "97", services["code_insee"].astype(str).str[:3])
    rows = []
    for code, group in table.groupby("code_departement", sort=True):
        t = group["temps_min"].to_numpy(dtype=float)
        pop = group["population"].to_numpy(dtype=float)
        fin = np.isfinite(t)
        beyond = group["au_dela_seuil"].to_numpy(dtype=bool)
        reach_pop = pop[fin].sum()
        rows.append(
            {
                "code_departement": code,
                "nom": names.get(code),
                "nb_communes": len(group),
                "population": int(round(pop.sum())),
                "nb_sites": int((svc_dep == code).sum()),
                "nb_sites_pris_en_compte": counts[code],
                "temps_moyen_pondere_min": float((t[fin] * pop[fin]).sum() / reach_pop)
                if reach_pop
                else np.nan,
                "temps_max_min": float(t[fin].max()) if fin.any() else np.nan,
                "nb_communes_au_dela": int(beyond.sum()),
                "population_au_dela": int(round(pop[beyond].sum())),
                "part_population_au_dela": float(pop[beyond].sum() / pop.sum())
                if pop.sum()
                else np.nan,
                "nb_communes_inaccessibles": int((~fin).sum()),
            }
        )
    return pd.DataFrame(rows)


def national_access(
    departements: Iterable[str] | str,
    services: gpd.GeoDataFrame,
    provider=None,
    *,
    network_for: Callable | None = None,
    seuil_min: float = 30,
    origine: str = "mairie",
    buffer_km: float = 20.0,
    workers: int | None = None,
) -> NationalAccess:
    """Access times of every commune of a set of départements, one worker per département.

    Parameters
    ----------
    departements : str or iterable of str
        Codes, ``"04,05,06"``, or ``"all"`` (every département, see
        :func:`resolve_departements`).
    services : GeoDataFrame
        The national list (e.g. ``load_france_services(path)`` without
        ``departement``): each département keeps the sites inside its outline
        buffered by ``buffer_km``.
    provider : TravelTimeProvider, optional
        One provider for every département (``StraightLineEstimate``).
    network_for : callable, optional
        ``network_for(code, communes) -> provider``, called in the worker
        (module-level function or ``functools.partial``: it is pickled).
        Exactly one of ``provider`` and ``network_for`` is given.
    seuil_min : float
        Threshold of ``au_dela_seuil`` and of the summary.
    origine : {"mairie", "centroide"}
    buffer_km : float
        Margin around each département for the sites across the border.
    workers : int, optional
        Worker processes (default: the CPU count, at most the number of
        départements); ``1`` runs in this process.

    Returns
    -------
    NationalAccess
        Stacked commune table and per-département summary. Warnings raised in
        the workers (unreachable communes...) are re-emitted here, prefixed
        with the département.
    """
    seuil = _validate_seuil(seuil_min)
    if (provider is None) == (network_for is None):
        raise InputError("donner soit provider, soit network_for (un seul des deux)")
    if not isinstance(services, gpd.GeoDataFrame) or "service_id" not in services.columns:
        raise InputError("services : GeoDataFrame avec une colonne 'service_id' attendu")
    codes = resolve_departements(departements)
    frames = _load_communes(codes)  # in this process: the workers get their own frames
    sites = [_sites_for(c, services, frames[c].crs, float(buffer_km)) for c in codes]
    shared = (provider, network_for, seuil, origine)
    tasks = [codes, [frames[c] for c in codes], sites, *[[a] * len(codes) for a in shared]]
    n_workers = min(len(codes), workers or os.cpu_count() or 1)
    if n_workers <= 1:
        results = [_one_departement(*task) for task in zip(*tasks, strict=True)]
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            results = list(pool.map(_one_departement, *tasks))
    for _, _, messages, _ in results:
        for message in messages:
            warnings.warn(message, UserWarning, stacklevel=2)
    table = pd.concat([r[0] for r in results], ignore_index=True)
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=NATIONAL_CRS)
    table = table.sort_values("code_insee", kind="mergesort").reset_index(drop=True)
    counts = dict(zip(codes, (r[1] for r in results), strict=True))
    gone = pd.concat([r[3] for r in results], ignore_index=True)
    return NationalAccess(table, _summary(table, services, counts), seuil, gone)
