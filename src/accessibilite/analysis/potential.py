"""Potential accessibility: two-step floating catchment area (2SFCA) and APL.

:func:`potential_access` — two-step floating catchment area (2SFCA, Luo &
Wang 2003) and its distance-decay variant used by the DREES *accessibilité
potentielle localisée* (APL, Barlet et al. 2012): supply per 100,000
inhabitants, taking neighbours' supply and competing demand into account. One
time matrix (demand × supply) from the travel-time provider, then numpy; see
``docs/scenarios.md`` for the formulas.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from ..errors import InputError
from ._planning import _description, _minutes, _points, _population

__all__ = ["potential_access"]

#: Default distance-decay bands of the APL-style indicator (upper bounds, minutes)
#: and their weights: supply within 10 min counts fully, 10–15 min for 2/3,
#: 15–20 min for 1/3, nothing beyond (DREES APL for general practitioners).
APL_BANDS_MIN: tuple[float, ...] = (10.0, 15.0, 20.0)
APL_WEIGHTS: tuple[float, ...] = (1.0, 2.0 / 3.0, 1.0 / 3.0)
#: Default catchment of the plain 2SFCA (minutes): the APL's outer limit.
CATCHMENT_2SFCA_MIN: float = 20.0
#: Accessibility is expressed per this many inhabitants.
PER_INHABITANTS: int = 100_000


def _decay(bands_min, weights, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated band upper bounds (minutes, increasing) and their weights."""
    if method == "2sfca":
        bands = (CATCHMENT_2SFCA_MIN,) if bands_min is None else bands_min
        bands = np.atleast_1d(np.asarray(bands, dtype="float64"))
        if len(bands) != 1:
            raise InputError("méthode '2sfca' : une seule zone de chalandise (bands_min=(seuil,))")
        if weights is not None and list(np.atleast_1d(weights)) != [1]:
            raise InputError("méthode '2sfca' : poids 1 uniquement (utiliser method='apl')")
        w = np.ones(1)
    elif method == "apl":
        bands = np.atleast_1d(
            np.asarray(APL_BANDS_MIN if bands_min is None else bands_min, "float64")
        )
        if weights is None and bands_min is not None:
            raise InputError("méthode 'apl' : donner weights avec bands_min (un poids par bande)")
        w = np.atleast_1d(np.asarray(APL_WEIGHTS if weights is None else weights, "float64"))
        if len(w) != len(bands):
            raise InputError(f"{len(bands)} bande(s) mais {len(w)} poids")
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise InputError(f"poids invalides : {w.tolist()} (attendus finis et >= 0)")
    else:
        raise InputError(f"méthode inconnue : {method!r} (attendu '2sfca' ou 'apl')")
    if not np.all(np.isfinite(bands)) or (bands <= 0).any() or (np.diff(bands) <= 0).any():
        raise InputError(f"bands_min invalides : {bands.tolist()} (minutes > 0, croissantes)")
    return bands, w


def potential_access(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    network,
    method: str = "2sfca",
    bands_min: Sequence[float] | float | None = None,
    weights: Sequence[float] | None = None,
    capacity_col: str = "capacite",
    population_col: str = "population",
    origine: str = "mairie",
) -> gpd.GeoDataFrame:
    """Two-step floating catchment accessibility (2SFCA, APL-style decay).

    Step 1, for each supply site *j*: ``R_j = S_j / Σ_i W(t_ij) P_i``;
    step 2, for each demand unit *i*: ``A_i = 100 000 × Σ_j W(t_ij) R_j``,
    with ``S_j`` the capacity, ``P_i`` the population, ``t_ij`` the travel
    time and ``W`` a step weight: ``W(t) = w_b`` when ``t`` lies in band *b*
    ``(bound_{b-1}, bound_b]`` (first band from 0 included), 0 beyond the last.

    Parameters
    ----------
    demand : GeoDataFrame
        Demand units, usually communes (population column, ``mairie``).
    supply : GeoDataFrame
        Supply points with a capacity column (e.g. GPs per commune from
        BPE D201 placed at the town hall).
    network : TravelTimeProvider
        Only ``network.time_matrix`` is used.
    method : {"2sfca", "apl"}
        ``"2sfca"``: one catchment, weight 1 within ``bands_min`` (default
        20 min). ``"apl"``: distance-decay bands, default 0–10 min: 1,
        10–15: 2/3, 15–20: 1/3 (DREES APL); custom ``bands_min`` need ``weights``.
    bands_min : float or sequence of float, optional
        Upper bounds of the bands, minutes, increasing.
    weights : sequence of float, optional
        One weight per band (APL only).
    capacity_col, population_col : str
        Names of the supply capacity and demand population columns.
    origine : {"mairie", "centroide"}
        Point each demand unit is timed from.

    Returns
    -------
    GeoDataFrame
        A copy of ``demand`` with a float column ``acces`` (supply per 100,000
        inhabitants). A unit with no supply of its own still gets the share of
        its neighbours' supply within the bands; 0 when none is in reach.
        ``.attrs``: ``method``, ``bands_min``, ``weights``, ``methode``.
    """
    bands, w = _decay(bands_min, weights, method)
    pop = _population(demand, population_col, "demande")
    if not isinstance(supply, gpd.GeoDataFrame) or len(supply) == 0:
        raise InputError("offre : aucun site (GeoDataFrame vide ou absent)")
    cap = _population(supply, capacity_col, "offre")
    origins = _points(demand, origine)
    tmin = _minutes(network, origins, supply.geometry, limit_min=float(bands[-1]))

    weight_of_band = np.append(w, 0.0)
    wmat = weight_of_band[np.searchsorted(bands, tmin, side="left")]  # (n_demand, n_supply)
    weighted_demand = pop @ wmat  # Σ_i W_ij P_i, per supply site
    ratio = np.divide(cap, weighted_demand, out=np.zeros_like(cap), where=weighted_demand > 0)
    out = demand.copy()
    out["acces"] = (wmat @ ratio) * PER_INHABITANTS
    out.attrs.update(
        method=method, bands_min=bands.tolist(), weights=w.tolist(), methode=_description(network)
    )
    return out
