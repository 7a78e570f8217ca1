"""Planning scenarios: closure impact and where to open new sites.

Two questions a SDAASP asks once the diagnosis is made:

* :func:`closure_impact` — "what if this site closed?": for every site, the
  population and communes that would fall beyond the time threshold, and the
  increase of the population-weighted mean access time.
* :func:`recommend_sites` — "where should the next sites go?": the ``k`` new
  sites (among candidate points, by default every town hall) that bring the
  most residents within the threshold, existing sites kept. Greedy heuristic
  and exact maximal covering location problem (MCLP, Church & ReVelle 1974)
  solved with PuLP/CBC.

``closure_impact`` asks a road network for the two nearest sites of every
commune (two multi-source passes, :func:`accessibilite.network.second.nearest_two`);
``recommend_sites`` asks for communes × sites matrices bounded by the threshold
(searches stop there); both work on numpy arrays from there; see ``docs/scenarios.md`` for the
method and the formulas. Potential accessibility (2SFCA / APL) is in
:mod:`accessibilite.potential`.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import settings
from ..errors import AccessibiliteError, InputError
from ._planning import (
    _description,
    _minutes,
    _points,
    _population,
    _require_columns,
    _validate_sites,
)
from .access import _validate_seuil

__all__ = ["closure_impact", "recommend_sites"]

_METHODES = ("glouton", "exact", "les_deux")
_RESULT_COLUMNS = [
    "rang",
    "candidat_id",
    "code_insee",
    "nom",
    "gain_population",
    "population_couverte_cumulee",
    "part_couverte_cumulee",
    "methode",
]


def closure_impact(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    network,
    seuil_min: float = 30,
    origine: str = "mairie",
) -> gpd.GeoDataFrame:
    """Impact of closing each site, one site at a time, the others kept.

    Parameters
    ----------
    communes : GeoDataFrame
        Communes frame (``code_insee``, ``nom``, ``population``, ``mairie``).
    services : GeoDataFrame
        Current sites (``service_id``, ``nom`` if any, Point geometry).
    network : TravelTimeProvider
        ``network.nearest_two`` when it has one (``RoadNetwork``: nearest and
        second-nearest site of every commune from two multi-source passes,
        whatever the number of sites), else one communes × sites
        ``network.time_matrix``.
    seuil_min : float, default 30
        Access-time threshold in minutes.
    origine : {"mairie", "centroide"}
        Where each commune's residents are assumed to start.

    Returns
    -------
    GeoDataFrame
        One row per site (geometry = the site), sorted by decreasing
        ``population_basculant``, then decreasing ``hausse_temps_moyen_min``,
        then ``service_id``: ``service_id``, ``nom``, ``population_basculant``
        (residents within the threshold today whose best alternative is beyond
        it), ``nb_communes_basculant``, ``communes_basculant`` (names, sorted,
        ``"; "``-joined), ``hausse_temps_moyen_min`` (increase of the
        population-weighted mean time over communes that reach a site today;
        ``inf`` when some would reach none). ``.attrs``: ``seuil_min``,
        ``origine``, ``population_totale``, ``temps_moyen_min``, ``methode``.
    """
    seuil = _validate_seuil(seuil_min)
    _require_columns(communes, ["nom"], "communes")
    pop = _population(communes, "population", "communes")
    _validate_sites(services)
    origins = _points(communes, origine)
    n_sites = len(services)
    best, t1, t2 = _two_nearest(network, services, origins)
    served = np.isfinite(t1)

    flips = served & (t1 <= seuil) & (t2 > seuil)
    with np.errstate(invalid="ignore"):  # inf - inf, 0 * inf: masked just below
        delta = np.where(served & (pop > 0), pop * (t2 - t1), 0.0)  # inf: no alternative
    pop_served = pop[served].sum()
    mean_before = (
        float((pop * np.where(served, t1, 0.0)).sum() / pop_served) if pop_served else np.nan
    )

    pop_flip = np.bincount(best[flips], weights=pop[flips], minlength=n_sites)
    nb_flip = np.bincount(best[flips], minlength=n_sites)
    hausse = np.zeros(n_sites)
    for j in np.unique(best[served]):  # np.bincount cannot sum inf safely
        hausse[j] = delta[served & (best == j)].sum()
    hausse = hausse / pop_served if pop_served else np.full(n_sites, np.nan)

    names = communes["nom"].astype(str).to_numpy()
    noms_flip = [""] * n_sites
    for j in np.unique(best[flips]):
        noms_flip[j] = "; ".join(sorted(names[flips & (best == j)]))

    nom = services["nom"] if "nom" in services.columns else services["service_id"]
    nom = nom.where(nom.notna(), services["service_id"]).astype(str)
    out = gpd.GeoDataFrame(
        {
            "service_id": services["service_id"].astype(str).to_numpy(),
            "nom": nom.to_numpy(),
            "population_basculant": pop_flip.round().astype("int64"),
            "nb_communes_basculant": nb_flip.astype("int64"),
            "communes_basculant": noms_flip,
            "hausse_temps_moyen_min": hausse,
        },
        geometry=services.geometry.to_numpy(),
        crs=services.crs,
    )
    out = out.sort_values(
        ["population_basculant", "hausse_temps_moyen_min", "service_id"],
        ascending=[False, False, True],
        kind="mergesort",
    ).reset_index(drop=True)
    out.attrs.update(
        seuil_min=seuil,
        origine=origine,
        population_totale=int(round(pop.sum())),
        temps_moyen_min=mean_before,
        methode=_description(network),
    )
    return out


def _two_nearest(network, services, origins) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per origin: position of the nearest site, minutes to it and to the nearest other one.

    A provider with ``nearest_two`` (``RoadNetwork``: two multi-source passes
    for all sites at once) is asked that; any other provider gives one
    communes × sites matrix. Unreachable origins get position 0 and ``inf``.
    """
    if hasattr(network, "nearest_two"):
        res = network.nearest_two(services, origins)
        if len(res) != len(origins):
            raise AccessibiliteError(
                f"nearest_two a renvoyé {len(res)} lignes pour {len(origins)} origines"
            )
        t1 = res["time_s"].to_numpy(dtype="float64") / 60.0
        t2 = res["time2_s"].to_numpy(dtype="float64") / 60.0
        position = pd.Series(
            np.arange(len(services)), index=services["service_id"].astype(object).to_numpy()
        )
        best = res["service_id"].map(position).fillna(0).to_numpy(dtype="int64")
        return best, t1, t2
    tmin = _minutes(network, origins, services.geometry)
    best = np.argmin(tmin, axis=1)
    t1 = tmin[np.arange(len(tmin)), best]
    t2 = np.partition(tmin, 1, axis=1)[:, 1] if tmin.shape[1] > 1 else np.full(len(tmin), np.inf)
    return best, t1, t2


# --------------------------------------------------------------------------- recommend
def _candidates(communes: gpd.GeoDataFrame, candidats, origine: str) -> gpd.GeoDataFrame:
    """Candidate table ``candidat_id``, ``code_insee``, ``nom``, ``geometry`` (points)."""
    if candidats is None:  # every commune's town hall (or centroid)
        _require_columns(communes, ["code_insee", "nom"], "communes")
        pts = _points(communes, origine)
        candidats = gpd.GeoDataFrame(
            communes[["code_insee", "nom"]].astype(str), geometry=pts.to_numpy(), crs=pts.crs
        )
    elif not isinstance(candidats, gpd.GeoDataFrame) or len(candidats) == 0:
        raise InputError("candidats : un GeoDataFrame non vide de points est attendu")
    id_col = next((c for c in ("candidat_id", "service_id", "code_insee") if c in candidats), None)
    ids = candidats[id_col] if id_col else pd.Series(candidats.index, index=candidats.index)
    table = gpd.GeoDataFrame(
        {
            "candidat_id": ids.astype(str).to_numpy(),
            **{c: candidats[c].astype(str).to_numpy() if c in candidats else None
               for c in ("code_insee", "nom")},
        },
        geometry=candidats.geometry.to_numpy(),
        crs=candidats.crs,
    )  # fmt: skip
    if table["candidat_id"].duplicated().any():
        dup = table.loc[table["candidat_id"].duplicated(), "candidat_id"].iloc[0]
        raise InputError(f"candidats : identifiant en double : {dup!r}")
    return table


def _greedy(cover: np.ndarray, weight: np.ndarray, k: int) -> list[int]:
    """Greedy maximal covering: k times, the candidate adding the most weight."""
    remaining = weight.copy()
    cover_f = cover.astype("float64")
    picks: list[int] = []
    for _ in tqdm(range(k), desc="Sites (glouton)", disable=not settings.progress, leave=False):
        gains = remaining @ cover_f
        j = int(np.argmax(gains))  # first maximum: lowest candidate index on ties
        if gains[j] <= 0:
            break
        picks.append(j)
        remaining[cover[:, j]] = 0.0
    return picks


def _exact(cover: np.ndarray, weight: np.ndarray, k: int) -> list[int]:
    """Exact MCLP (Church & ReVelle 1974) with PuLP and the bundled CBC solver.

    max Σ_i w_i y_i  s.t.  y_i <= Σ_{j covers i} x_j,  Σ_j x_j <= k,
    x_j ∈ {0, 1}, 0 <= y_i <= 1 (y is integral at the optimum for integral x).
    Only uncovered communes with weight and the candidates reaching one enter the model.
    """
    import pulp

    rows = np.flatnonzero((weight > 0) & cover.any(axis=1))
    cols = np.flatnonzero(cover[rows].any(axis=0))
    if len(cols) <= k:
        return [int(j) for j in cols]
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    new_var = getattr(prob, "add_variable", None) or pulp.LpVariable  # PuLP >= 3.3 / older
    x = {int(j): new_var(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in cols}
    y = {int(i): new_var(f"y_{i}", 0, 1) for i in rows}
    prob += pulp.lpSum(float(weight[i]) * y[i] for i in y)
    for i in y:
        prob += y[i] <= pulp.lpSum(x[int(j)] for j in np.flatnonzero(cover[i]) if int(j) in x)
    prob += pulp.lpSum(x.values()) <= k
    coin = pulp.COIN_CMD(msg=False, threads=1)  # a CBC on the PATH (pulp[cbc]) if any
    with warnings.catch_warnings():  # else the CBC bundled with PuLP (deprecated in PuLP 4)
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = coin if coin.available() else pulp.PULP_CBC_CMD(msg=False, threads=1)
        status = prob.solve(solver)
    if pulp.LpStatus[status] != "Optimal":
        raise AccessibiliteError(
            f"MCLP : le solveur CBC n'a pas trouvé d'optimum ({pulp.LpStatus[status]})"
        )
    return sorted(j for j, var in x.items() if var.value() is not None and var.value() > 0.5)


def _ranked(picks: list[int], cover: np.ndarray, weight: np.ndarray) -> list[tuple[int, float]]:
    """Order a set of picks by marginal gain (greedy order), dropping zero gains."""
    remaining, left, out = weight.copy(), list(picks), []
    while left:
        gains = [remaining[cover[:, j]].sum() for j in left]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        j = left.pop(best)
        out.append((j, float(gains[best])))
        remaining[cover[:, j]] = 0.0
    return out


def recommend_sites(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame | None,
    network,
    k: int = 3,
    seuil_min: float = 30,
    candidats: gpd.GeoDataFrame | None = None,
    methode: str = "glouton",
    origine: str = "mairie",
) -> gpd.GeoDataFrame:
    """The ``k`` new sites bringing the most residents within the threshold.

    Parameters
    ----------
    communes : GeoDataFrame
        Communes frame (``code_insee``, ``nom``, ``population``, ``mairie``).
    services : GeoDataFrame or None
        Existing sites, all kept; ``None`` means none exists yet (an empty
        frame is refused as a probable filtering mistake).
    network : TravelTimeProvider
        Only ``network.time_matrix`` is used.
    k : int, default 3
        Number of new sites (>= 1).
    seuil_min : float, default 30
        Access-time threshold in minutes.
    candidats : GeoDataFrame, optional
        Candidate points; identifier taken from ``candidat_id``,
        ``service_id`` or ``code_insee`` (first present), else the index.
        Default: every commune's town hall (identifier = ``code_insee``).
    methode : {"glouton", "exact", "les_deux"}
        Greedy heuristic, exact MCLP (PuLP/CBC), or both stacked.
    origine : {"mairie", "centroide"}
        Where each commune's residents start.

    Returns
    -------
    GeoDataFrame
        One row per pick (geometry = candidate point), by ``methode`` then
        ``rang``: ``rang`` (1..), ``candidat_id``, ``code_insee``, ``nom``,
        ``gain_population`` (marginal gain: residents newly within the
        threshold), ``population_couverte_cumulee`` (residents within the
        threshold with existing sites and picks up to this rank),
        ``part_couverte_cumulee`` (same, share of the total population),
        ``methode``. Communes already within the threshold bring no gain.
        Fewer than ``k`` rows (with a warning) when no further pick adds
        residents. ``.attrs``: ``population_totale``,
        ``population_couverte_initiale``, ``seuil_min``, and per method
        ``population_couverte_<methode>``; with ``"les_deux"`` also
        ``ecart_population`` (exact − greedy, >= 0).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k doit être un entier >= 1, pas {k!r}")
    if methode not in _METHODES:
        raise InputError(f"methode inconnue : {methode!r} (attendu {', '.join(_METHODES)})")
    seuil = _validate_seuil(seuil_min)
    pop = _population(communes, "population", "communes")
    origins = _points(communes, origine)
    table = _candidates(communes, candidats, origine)

    covered0 = np.zeros(len(communes), dtype=bool)
    if services is not None:
        _validate_sites(services)
        covered0 = (_minutes(network, origins, services.geometry, seuil) <= seuil).any(axis=1)
    cover = _minutes(network, origins, table.geometry, seuil) <= seuil
    weight = np.where(covered0, 0.0, pop)
    total, base = float(pop.sum()), float(pop[covered0].sum())

    frames: list[gpd.GeoDataFrame] = []
    attrs = {
        "population_totale": int(round(total)),
        "population_couverte_initiale": int(round(base)),
        "seuil_min": seuil,
        "methode": _description(network),
    }
    for name in ("glouton", "exact") if methode == "les_deux" else (methode,):
        picks = _greedy(cover, weight, k) if name == "glouton" else _exact(cover, weight, k)
        ranked = _ranked(picks, cover, weight)
        if len(ranked) < k:
            warnings.warn(
                f"{name} : seulement {len(ranked)} site(s) sur {k} apportent de nouveaux "
                f"habitants à moins de {seuil:g} min",
                UserWarning,
                stacklevel=2,
            )
        idx = [j for j, _ in ranked]
        gains = np.array([g for _, g in ranked], dtype="float64")
        cumul = base + np.cumsum(gains)
        frame = table.iloc[idx].reset_index(drop=True)
        frame.insert(0, "rang", np.arange(1, len(idx) + 1, dtype="int64"))
        frame["gain_population"] = gains.round().astype("int64")
        frame["population_couverte_cumulee"] = cumul.round().astype("int64")
        frame["part_couverte_cumulee"] = cumul / total if total else np.nan
        frame["methode"] = name
        attrs[f"population_couverte_{name}"] = int(round(base + gains.sum()))
        frames.append(frame[[*_RESULT_COLUMNS, "geometry"]])
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=table.crs)
    if methode == "les_deux":
        attrs["ecart_population"] = (
            attrs["population_couverte_exact"] - attrs["population_couverte_glouton"]
        )
    out.attrs.update(attrs)
    return out
