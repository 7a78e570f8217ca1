"""Snapping points to the road network: nearest node, access legs, cached k-d tree.

A point farther than ``max_snap_m`` from every node is flagged, never silently
routed. The access leg (straight line to the node, at the mode's access speed)
is added to every time (see ``docs/routing.md``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import InputError, MissingColumnError, NetworkError


def _cached(net: Any, name: str, key: Any, build):
    """Return ``build()`` cached on ``net`` as ``name``, rebuilt if ``key`` changed."""
    hit = getattr(net, name, None)
    if hit is not None and hit[0] is key:
        return hit[1]
    value = build()
    try:
        setattr(net, name, (key, value))
    except AttributeError:  # slotted / frozen object: just do not cache
        pass
    return value


def _kdtree(net: Any) -> cKDTree:
    def build():
        return cKDTree(np.column_stack([np.asarray(net.x, float), np.asarray(net.y, float)]))

    return _cached(net, "_routing_kdtree", net.x, build)


def _points_xy(
    points: Any, crs: Any, what: str = "points"
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Coordinates (in ``crs``) and index of GeoDataFrame/GeoSeries or ``(x, y)`` points."""
    import shapely

    if isinstance(points, shapely.Geometry) or (
        isinstance(points, list | tuple | np.ndarray)
        and len(points)
        and all(isinstance(p, shapely.Geometry) for p in points)
    ):  # shapely points without a CRS: taken in the network's CRS
        import geopandas as gpd

        points = gpd.GeoSeries(np.atleast_1d(np.asarray(points, dtype=object)), crs=None)
    if hasattr(points, "geometry") and hasattr(points, "crs"):
        geoms = points.geometry
        if geoms.crs is not None and crs is not None and geoms.crs != crs:
            geoms = geoms.to_crs(crs)
        import shapely

        values = np.asarray(geoms.values, dtype=object)
        kind = shapely.get_type_id(values)
        bad = (kind != 0) | shapely.is_empty(values)
        if bad.any():
            labels = list(points.index[bad][:5])
            raise InputError(
                f"{what} : {int(bad.sum())} géométrie(s) absente(s), vide(s) ou autre(s) "
                f"que des points (colonne 'geometry', lignes {labels})"
            )
        x, y = shapely.get_x(values), shapely.get_y(values)
        index = points.index
    else:
        try:
            arr = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            arr = np.empty(0)  # not numbers: reported below
        if arr.ndim == 2 and arr.shape[0] == 2 and arr.shape[1] != 2:
            arr = arr.T
        elif arr.ndim == 2 and arr.shape == (2, 2) and isinstance(points, tuple):
            arr = arr.T  # (x, y) tuple of two 2-element arrays
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError(
                f"{what} : attendu un GeoDataFrame/GeoSeries de points ou des tableaux (x, y)"
            )
        x, y = arr[:, 0].copy(), arr[:, 1].copy()
        index = pd.RangeIndex(len(x))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise InputError(
            f"{what} : {int(bad.sum())} coordonnée(s) manquante(s) ou non finie(s) "
            f"(lignes {list(index[bad][:5])})"
        )
    return np.asarray(x, float), np.asarray(y, float), index


def _snap_arrays(net: Any, points: Any, what: str):
    x, y, index = _points_xy(points, net.crs, what)
    if len(x) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool), index
    dist, node = _kdtree(net).query(np.column_stack([x, y]))
    node = np.asarray(node, dtype=np.int64)
    return node, np.asarray(dist, float), dist > float(net.max_snap_m), index


def snap(net: Any, points: Any) -> pd.DataFrame:
    """Snap points to their nearest network node.

    Parameters
    ----------
    net : RoadNetwork
        Network (uses ``x``, ``y``, ``crs``, ``max_snap_m``).
    points : GeoDataFrame, GeoSeries, shapely points or (x, y) arrays
        Points; reprojected to ``net.crs`` when their CRS differs (a missing
        CRS is taken to be ``net.crs``).

    Returns
    -------
    DataFrame
        Aligned with ``points`` (same index): ``node`` (int, node index),
        ``snap_m`` (straight-line distance to that node, metres) and
        ``au_dela_snap`` (bool, ``snap_m > net.max_snap_m``: such points are
        unreachable in :func:`nearest` and :func:`time_matrix`).
    """
    node, dist, beyond, index = _snap_arrays(net, points, "points")
    return pd.DataFrame({"node": node, "snap_m": dist, "au_dela_snap": beyond}, index=index)


def _access_s(net: Any, dist_m: np.ndarray, beyond: np.ndarray) -> np.ndarray:
    """Access-leg time in seconds (``inf`` for points beyond the snapping distance)."""
    speed = float(net.access_speed_kmh) / 3.6
    if not speed > 0:
        raise NetworkError(f"vitesse d'accès invalide : {net.access_speed_kmh!r} km/h")
    return np.where(beyond, np.inf, dist_m / speed)


# --------------------------------------------------------------------------
# services and multi-source search
# --------------------------------------------------------------------------
def _service_legs(net: Any, services: Any):
    """Validated services → (ids, nodes, leg seconds, leg metres) of the usable ones."""
    if not hasattr(services, "geometry") or not hasattr(services, "columns"):
        raise InputError(
            "services : un GeoDataFrame de points avec une colonne 'service_id' est attendu"
        )
    source = getattr(services, "attrs", {}).get("source")
    if "service_id" not in services.columns:
        raise MissingColumnError(source, "service_id", list(services.columns))
    if len(services) == 0:
        raise InputError("aucun service fourni : le jeu de services est vide")
    ids = services["service_id"]
    if ids.isna().any():
        raise InputError(
            f"services : {int(ids.isna().sum())} valeur(s) manquante(s) dans 'service_id'"
        )
    if ids.duplicated().any():
        dup = sorted(map(str, ids[ids.duplicated()].unique()))[:5]
        raise InputError(f"services : identifiants dupliqués dans 'service_id' : {dup}")
    node, dist, beyond, _ = _snap_arrays(net, services, "services")
    if beyond.all():
        raise InputError(
            f"services hors de la zone du réseau : les {len(services)} services sont à plus de "
            f"{net.max_snap_m:g} m du réseau routier le plus proche"
        )
    if beyond.any():
        out = sorted(map(str, ids[beyond]))
        warnings.warn(
            f"{int(beyond.sum())} service(s) à plus de {net.max_snap_m:g} m du réseau, ignoré(s) : "
            f"{', '.join(out[:10])}{' ...' if len(out) > 10 else ''}",
            stacklevel=3,
        )
    keep = ~beyond
    leg_s = _access_s(net, dist, beyond)
    return np.asarray(ids, dtype=object)[keep], node[keep], leg_s[keep], dist[keep]

