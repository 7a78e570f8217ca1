"""Input checks and time matrices shared by the planning scenarios and the 2SFCA.

Private: :mod:`accessibilite.scenarios` and :mod:`accessibilite.potential`
validate their frames, pick the points each commune is timed from and ask the
travel-time provider for minutes through these helpers.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnError, NetworkError
from .access import _check_unique_ids


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`MissingColumnError` for the first absent column."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} : un (Geo)DataFrame est attendu, pas {type(frame).__name__}")
    for col in columns:
        if col not in frame.columns:  # name the source file when the loader recorded it
            raise MissingColumnError(frame.attrs.get("source"), col, list(frame.columns))


def _population(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """Population column as float64, checked: present, numeric, finite, >= 0."""
    _require_columns(frame, [column], what)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InputError(
            f"{what} : colonne {column!r} invalide (valeur manquante, non numérique ou "
            f"négative) sur {int(bad.sum())} ligne(s), ex. ligne {frame.index[bad][0]!r}"
        )
    return values


def _points(frame: gpd.GeoDataFrame, origine: str = "mairie") -> gpd.GeoSeries:
    """The points to time a frame from: its town hall or its polygon centroid.

    Parameters
    ----------
    frame : GeoDataFrame
        Communes (or any polygons / points).
    origine : {"mairie", "centroide"}
        ``"mairie"`` uses the ``mairie`` point column of the communes frame;
        ``"centroide"`` the centroid of the active geometry (the point itself
        for point geometries).
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"un GeoDataFrame est attendu, pas {type(frame).__name__}")
    if origine == "mairie":
        _require_columns(frame, ["mairie"], "communes")
        pts = gpd.GeoSeries(frame["mairie"], index=frame.index)
        if pts.crs is None:
            pts = pts.set_crs(frame.crs)
    elif origine == "centroide":
        pts = frame.geometry.centroid
    else:
        raise InputError(f"origine inconnue : {origine!r} (attendu 'mairie' ou 'centroide')")
    missing = pts.isna().to_numpy() | pts.is_empty.to_numpy()
    if missing.any():
        raise InputError(f"point d'origine ({origine}) manquant pour {int(missing.sum())} ligne(s)")
    return pts


def _validate_sites(sites: gpd.GeoDataFrame, what: str = "services") -> None:
    """Sites must be a non-empty GeoDataFrame with unique ``service_id``."""
    if not isinstance(sites, gpd.GeoDataFrame):
        raise InputError(f"{what} : un GeoDataFrame est attendu, pas {type(sites).__name__}")
    if len(sites) == 0:
        raise InputError(f"{what} : aucun site (tableau vide)")
    _require_columns(sites, ["service_id"], what)
    _check_unique_ids(sites, what)


def _accepts(method, name: str) -> bool:
    """Whether a provider method takes the keyword ``name`` (optional protocol extras)."""
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):  # builtins, mocks without a signature
        return False


def _minutes(network, origins, destinations, limit_min: float | None = None) -> np.ndarray:
    """``network.time_matrix`` in minutes, shape-checked; ``inf`` = unreachable.

    With ``limit_min``, the question is bounded: a provider whose
    ``time_matrix`` takes ``limit_s`` (``RoadNetwork``) stops its searches
    there, and every time above the bound is ``inf`` whichever the provider,
    so callers see the same matrix either way.
    """
    if limit_min is not None and _accepts(network.time_matrix, "limit_s"):
        # a hair above the bound: times at the bound itself stay exact after / 60
        limit_s = float(limit_min) * 60.0 * (1 + 1e-12)
        secs = network.time_matrix(origins, destinations, limit_s=limit_s)
    else:
        secs = network.time_matrix(origins, destinations)
    secs = np.asarray(secs, dtype="float64")
    expected = (len(origins), len(destinations))
    if secs.shape != expected:
        raise NetworkError(
            f"matrice de temps de forme {secs.shape} au lieu de {expected} "
            f"({type(network).__name__})"
        )
    if np.isnan(secs).any():
        raise NetworkError(f"matrice de temps avec des valeurs NaN ({type(network).__name__})")
    minutes = secs / 60.0
    if limit_min is not None:
        minutes[minutes > limit_min] = np.inf
    return minutes


def _description(network) -> str:
    return str(getattr(network, "description", type(network).__name__))


# --------------------------------------------------------------------------- closure
