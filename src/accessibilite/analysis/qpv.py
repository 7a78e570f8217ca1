"""Access from the priority neighbourhoods (QPV), compared with the rest of their commune.

Method (``docs/indicators.md``, section QPV)
-------------------------------------------
* Each QPV outline is cut by the commune outlines: a quarter straddling two
  communes gives two *pieces*, each compared with the rest of its own commune.
* **Origins.** With a Filosofi 200 m grid, the inhabited cells of the commune,
  weighted by their population; a cell belongs to the piece holding its centre.
  The piece's population is the sum of its cells; the rest of the commune is
  the commune's population (*population municipale*) minus its QPV pieces.
  Without a grid, points on a regular square grid (``pas_qpv_m`` inside the
  quarters, ``pas_reste_m`` in the rest of the commune) clipped to each
  polygon, all with the same weight (a polygon smaller than the grid gets one
  interior point); the piece's population is then *estimated* in proportion of
  its area (``population_estimee = True`` in the table).
* **Times.** For each mode (a travel-time provider: a road network of that mode,
  or :func:`straight_line` — the clearly labelled straight-line estimate), the
  time from each origin to the nearest service of each category
  (``provider.nearest``; unreachable = beyond every threshold).
* **Shares.** For each piece, mode, category and threshold: the share of the
  population beyond the threshold in the QPV and in the rest of the commune,
  and the gap (``ecart``, in percentage points, QPV − rest). Without a grid, a
  grid point farther from the road network than its snapping limit
  (``max_snap_m``: forest, river, fields) is taken as uninhabited and left out of
  that mode's shares (``points_hors_reseau``); an inhabited cell is never left
  out (unreachable = beyond every threshold).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnError
from ..network.estimate import StraightLineEstimate
from ..network.speeds import load_profile
from ._qpv_origins import grid_points, origins_from_cells, origins_from_grid

__all__ = ["QpvAccess", "qpv_access", "straight_line", "grid_points", "SEUILS_MIN"]

SEUILS_MIN = (10, 20, 30)
_MODES = ("marche", "velo", "voiture")
_CAR_KMH = 60.0


@dataclass(eq=False)
class QpvAccess:
    """Result of :func:`qpv_access`.

    Attributes
    ----------
    table : DataFrame
        One row per QPV piece × mode × category (see :func:`qpv_access`).
    origines : GeoDataFrame
        One row per origin: ``zone`` (``"qpv"`` / ``"reste"``), ``code_qp``
        (None in the rest of the commune), ``code_insee``, ``poids``
        (inhabitants the point stands for), one ``temps_<mode>_<categorie>_min``
        column per mode and category, geometry (point).
    pieces : GeoDataFrame
        The QPV outlines cut by commune: ``code_qp``, ``nom_qp``, ``code_insee``,
        ``commune``, ``population_qpv``, geometry.
    modes : dict
        Mode → description of its travel times (method line of the report).
    seuils : tuple of float
    estimation_population : bool
        True when populations were estimated by area (no grid).
    """

    table: pd.DataFrame
    origines: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    modes: dict = field(default_factory=dict)
    seuils: tuple = SEUILS_MIN
    estimation_population: bool = False

    def __repr__(self) -> str:
        return (
            f"QpvAccess({self.pieces['code_qp'].nunique()} quartier(s), "
            f"{len(self.origines)} origines, modes {', '.join(self.modes)})"
        )


def straight_line(mode: str) -> StraightLineEstimate:
    """The straight-line estimate of a mode: distance × 1,3 ÷ the mode's speed.

    Walking 4,5 km/h and cycling 15 km/h (the speed profile), car 60 km/h; the
    description says it is an estimate, and the mode.
    """
    if mode not in _MODES:
        raise InputError(f"mode inconnu : {mode!r} (attendu : {', '.join(_MODES)})")
    speed = _CAR_KMH if mode == "voiture" else float(load_profile()[mode]["speed_kmh"])
    est = StraightLineEstimate(vitesse_kmh=speed, mode=mode)
    label = {"marche": "à pied", "velo": "à vélo", "voiture": "en voiture"}[mode]
    est.description = f"{est.description} — {label}"
    return est


# ------------------------------------------------------------------ validation
def _validate(qpv, communes, services, providers, seuils):
    if not isinstance(qpv, gpd.GeoDataFrame):
        raise InputError("qpv : GeoDataFrame attendu (voir load_qpv)")
    for col in ("code_qp", "nom_qp"):
        if col not in qpv.columns:
            raise MissingColumnError(qpv.attrs.get("source"), col, list(qpv.columns))
    if len(qpv) == 0:
        raise InputError("qpv : aucun quartier prioritaire")
    if not isinstance(communes, gpd.GeoDataFrame):
        raise InputError("communes : GeoDataFrame attendu")
    for col in ("code_insee", "nom", "population"):
        if col not in communes.columns:
            raise MissingColumnError(None, col, list(communes.columns))
    if not isinstance(services, gpd.GeoDataFrame) or len(services) == 0:
        raise InputError("services : GeoDataFrame de points non vide attendu")
    for col in ("service_id", "categorie"):
        if col not in services.columns:
            raise MissingColumnError(services.attrs.get("source"), col, list(services.columns))
    if not providers:
        raise InputError("aucun mode de déplacement (providers vide)")
    for mode in providers:
        if mode not in _MODES:
            raise InputError(f"mode inconnu : {mode!r} (attendu : {', '.join(_MODES)})")
    try:
        seuils = tuple(float(s) for s in seuils)
    except (TypeError, ValueError):
        raise InputError(f"seuils invalides : {seuils!r}") from None
    if not seuils or any(not np.isfinite(s) or s <= 0 for s in seuils):
        raise InputError(f"seuils invalides : {seuils!r} (minutes > 0 attendues)")
    return tuple(sorted(set(seuils)))


def _pieces(qpv: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """QPV outlines cut by the commune outlines (pieces under 1 m² dropped)."""
    q = qpv[["code_qp", "nom_qp", qpv.geometry.name]].to_crs(communes.crs)
    c = communes[["code_insee", "nom", "population", communes.geometry.name]]
    pieces = gpd.overlay(q, c, how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 1.0].rename(columns={"nom": "commune"})
    lost = sorted(set(qpv["code_qp"]) - set(pieces["code_qp"]))
    if lost:
        warnings.warn(
            f"{len(lost)} quartier(s) hors des communes étudiées, ignoré(s) : {', '.join(lost)}",
            UserWarning,
            stacklevel=3,
        )
    if len(pieces) == 0:
        raise InputError("aucun quartier prioritaire dans les communes étudiées")
    pieces = pieces.sort_values(["code_qp", "code_insee"], kind="stable").reset_index(drop=True)
    return pieces[["code_qp", "nom_qp", "code_insee", "commune", "population", "geometry"]]


def _beyond(times_min: np.ndarray, weights: np.ndarray, seuil: float) -> float:
    total = weights.sum()
    if total <= 0:
        return np.nan
    return float(weights[~(times_min <= seuil)].sum() / total)


def _mean(times_min: np.ndarray, weights: np.ndarray) -> float:
    if weights.sum() <= 0:
        return np.nan
    used = weights > 0
    if (~np.isfinite(times_min) & used).any():
        return np.inf
    return float(np.average(times_min[used], weights=weights[used]))


# ------------------------------------------------------------------ main
def qpv_access(
    qpv: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    providers: dict,
    carreaux: gpd.GeoDataFrame | None = None,
    seuils_min=SEUILS_MIN,
    *,
    pas_qpv_m: float = 50.0,
    pas_reste_m: float = 200.0,
) -> QpvAccess:
    """Times from each QPV to each service category, beside the rest of its commune.

    Parameters
    ----------
    qpv : GeoDataFrame
        Quarters from :func:`~accessibilite.territories.load_qpv`.
    communes : GeoDataFrame
        Communes (``code_insee``, ``nom``, ``population``, outline); only those
        holding a QPV are used.
    services : GeoDataFrame
        Service points (``service_id``, ``categorie``), any number of categories.
    providers : dict
        Mode (``"marche"``, ``"velo"``, ``"voiture"``) → travel-time provider
        (:class:`~accessibilite.network.RoadNetwork` of that mode, or
        :func:`straight_line`).
    carreaux : GeoDataFrame, optional
        Filosofi 200 m grid (:func:`~accessibilite.territories.load_carreaux`):
        population-weighted origins. Without it, grid points with equal
        weights and populations estimated by area.
    seuils_min : sequence of float
        Thresholds (minutes), default 10, 20, 30.
    pas_qpv_m, pas_reste_m : float
        Grid steps without population grid.

    Returns
    -------
    QpvAccess
        ``table``: one row per piece × mode × category: ``code_qp``,
        ``nom_qp``, ``code_insee``, ``commune``, ``mode``, ``categorie``,
        ``population_commune``, ``population_qpv``, ``population_reste``
        (QPV pieces of a commune + rest = commune population),
        ``population_estimee``, ``temps_moyen_qpv_min``,
        ``temps_moyen_reste_min``, ``points_hors_reseau`` (grid points left
        out, see the module docstring), and per threshold *s*
        ``part_qpv_au_dela_<s>_min``, ``part_reste_au_dela_<s>_min``,
        ``ecart_<s>_min_pts`` (percentage points, QPV − rest),
        ``habitants_qpv_au_dela_<s>_min``. Sorted by code_qp, commune, mode,
        category.
    """
    seuils = _validate(qpv, communes, services, providers, seuils_min)
    pieces = _pieces(qpv, communes)
    concerned = communes[communes["code_insee"].isin(set(pieces["code_insee"]))]
    concerned = concerned.reset_index(drop=True)
    if carreaux is not None:
        origins, pop = origins_from_cells(pieces, concerned, carreaux)
    else:
        origins, pop = origins_from_grid(pieces, concerned, pas_qpv_m, pas_reste_m)
    pieces["population_qpv"] = [
        float(pop.get((q, c), 0.0))
        for q, c in zip(pieces["code_qp"], pieces["code_insee"], strict=True)
    ]
    empty = pieces[pieces["population_qpv"] <= 0]
    if len(empty):
        warnings.warn(
            f"{len(empty)} quartier(s) sans carreau habité : population 0, parts non définies "
            f"({', '.join(empty['code_qp'])})",
            UserWarning,
            stacklevel=2,
        )
    services = services.to_crs(concerned.crs) if services.crs != concerned.crs else services
    categories = sorted(services["categorie"].astype(str).unique())
    for mode, provider in providers.items():
        limit = getattr(provider, "max_snap_m", None)
        for cat in categories:
            sub = services[services["categorie"].astype(str) == cat]
            res = provider.nearest(sub, origins.geometry)
            t = res["time_s"].to_numpy(dtype=float, na_value=np.nan) / 60.0
            origins[f"temps_{mode}_{cat}_min"] = np.where(np.isfinite(t), t, np.inf)
            if limit is not None and "snap_m" in res.columns:
                snap = res["snap_m"].to_numpy(dtype=float, na_value=np.nan)
                origins[f"hors_reseau_{mode}"] = ~(snap <= float(limit))
        if f"hors_reseau_{mode}" not in origins.columns:
            origins[f"hors_reseau_{mode}"] = False

    pop_com = concerned.set_index("code_insee")["population"].astype(float)
    qpv_pop_by_com = pieces.groupby("code_insee")["population_qpv"].sum()
    rows = []
    for p in pieces.itertuples():
        in_q = (origins["zone"] == "qpv") & (origins["code_qp"] == p.code_qp)
        in_q &= origins["code_insee"] == p.code_insee
        rest = (origins["zone"] == "reste") & (origins["code_insee"] == p.code_insee)
        wq, wr = origins.loc[in_q, "poids"].to_numpy(), origins.loc[rest, "poids"].to_numpy()
        population_reste = pop_com[p.code_insee] - qpv_pop_by_com[p.code_insee]
        for mode in providers:
            # without a population grid, a point off the network (forest, river, field) is
            # taken as uninhabited and left out of that mode's shares; a cell is never
            off = origins[f"hors_reseau_{mode}"].to_numpy(dtype=bool) & (carreaux is None)
            wq_m = np.where(off[in_q.to_numpy()], 0.0, wq)
            wr_m = np.where(off[rest.to_numpy()], 0.0, wr)
            for cat in categories:
                col = f"temps_{mode}_{cat}_min"
                tq, tr = origins.loc[in_q, col].to_numpy(), origins.loc[rest, col].to_numpy()
                row = {
                    "code_qp": p.code_qp,
                    "nom_qp": p.nom_qp,
                    "code_insee": p.code_insee,
                    "commune": p.commune,
                    "mode": mode,
                    "categorie": cat,
                    "population_commune": int(pop_com[p.code_insee]),
                    "population_qpv": p.population_qpv,
                    "population_reste": population_reste,
                    "population_estimee": carreaux is None,
                    "temps_moyen_qpv_min": _mean(tq, wq_m),
                    "temps_moyen_reste_min": _mean(tr, wr_m),
                    "points_hors_reseau": int(off[in_q.to_numpy() | rest.to_numpy()].sum()),
                }
                for s in seuils:
                    tag = f"{s:g}".replace(".", "_")
                    pq, pr = _beyond(tq, wq_m, s), _beyond(tr, wr_m, s)
                    row[f"part_qpv_au_dela_{tag}_min"] = pq
                    row[f"part_reste_au_dela_{tag}_min"] = pr
                    row[f"ecart_{tag}_min_pts"] = 100.0 * (pq - pr)
                    row[f"habitants_qpv_au_dela_{tag}_min"] = pq * p.population_qpv
                rows.append(row)
    table = pd.DataFrame(rows)
    if (table["population_reste"] < 0).any():
        warnings.warn(
            "population des carreaux des QPV supérieure à la population municipale de la "
            "commune : reste de la commune négatif (grille d'une autre année ?)",
            UserWarning,
            stacklevel=2,
        )
    modes = {m: getattr(p, "description", "") for m, p in providers.items()}
    return QpvAccess(
        table=table,
        origines=origins,
        pieces=pieces.drop(columns="population"),
        modes=modes,
        seuils=seuils,
        estimation_population=carreaux is None,
    )
