"""Straight-line ("vol d'oiseau") travel-time estimate.

When no road network can be obtained, travel time is *estimated* from the
straight-line distance::

    time = euclidean distance × detour ÷ speed

with a road detour index (default 1.3) and a mean speed (default 60 km/h)
read from ``data/vol_oiseau.toml``. :class:`StraightLineEstimate` has the same
travel-time interface as :class:`~accessibilite.network.RoadNetwork`
(:class:`~accessibilite.provider.TravelTimeProvider`), so every indicator, map
and scenario accepts either; its ``estimation`` attribute is ``True`` and its
``description`` says in French that the times are an estimate, so that it is
never mistaken for routed times.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..errors import InputError, MissingColumnError

__all__ = ["StraightLineEstimate"]

#: Number of segments per quarter circle of the isochrone discs.
_QUAD_SEGS = 16


@cache
def _defaults() -> dict[str, float]:
    """Read the default detour factor and speed from ``vol_oiseau.toml``."""
    resource = importlib.resources.files("accessibilite.profiles") / "vol_oiseau.toml"
    with resource.open("rb") as fh:
        table = tomllib.load(fh)["estimation"]
    return {"detour": float(table["detour"]), "vitesse_kmh": float(table["vitesse_kmh"])}


def _fr(value: float) -> str:
    """Format a number the French way (decimal comma, no useless zeros)."""
    return f"{value:g}".replace(".", ",")


def _number(value) -> float:
    """``float(value)``, NaN when it is not a number (then refused with a French message)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


class StraightLineEstimate:
    """Travel times estimated from straight-line distances.

    Parameters
    ----------
    detour : float, optional
        Road detour index (route length ÷ straight-line distance), ≥ 1.
        Default from ``data/vol_oiseau.toml`` (1.3).
    vitesse_kmh : float, optional
        Mean travel speed in km/h, > 0. Default from ``data/vol_oiseau.toml`` (60).
    mode : str, default "vol-oiseau"
        Label of the mode, as in :class:`~accessibilite.provider.TravelTimeProvider`.
    crs : str, optional
        Projected CRS (metres) in which distances are measured; points in
        another CRS are reprojected. By default distances are measured in the
        points' own CRS when it is projected (the loaders give each
        département its official projection: Lambert-93 in metropolitan
        France, UTM overseas), else in Lambert-93 (``crs`` attribute).

    Attributes
    ----------
    estimation : bool
        Always ``True``: these times are an estimate, not routed times.
    description : str
        French sentence for captions and reports.

    Examples
    --------
    >>> est = StraightLineEstimate()                      # doctest: +SKIP
    >>> est.nearest(services, communes["mairie"])        # doctest: +SKIP
    """

    estimation: bool = True

    def __init__(
        self,
        detour: float | None = None,
        vitesse_kmh: float | None = None,
        mode: str = "vol-oiseau",
        crs: str | None = None,
    ) -> None:
        defaults = _defaults()
        detour = defaults["detour"] if detour is None else detour
        vitesse_kmh = defaults["vitesse_kmh"] if vitesse_kmh is None else vitesse_kmh
        if not np.isfinite(_number(detour)) or _number(detour) < 1:
            raise InputError(f"facteur de détour invalide : {detour!r} (attendu : nombre ≥ 1)")
        if not np.isfinite(_number(vitesse_kmh)) or _number(vitesse_kmh) <= 0:
            raise InputError(f"vitesse invalide : {vitesse_kmh!r} km/h (attendu : nombre > 0)")
        self.detour = float(detour)
        self.vitesse_kmh = float(vitesse_kmh)
        self.mode = mode
        self.crs = "EPSG:2154" if crs is None else crs
        self._fixed_crs = crs is not None
        self.description = (
            f"Estimation à vol d'oiseau : distance en ligne droite × {_fr(self.detour)} "
            f"÷ {_fr(self.vitesse_kmh)} km/h (temps approchés, sans réseau routier)"
        )

    def __repr__(self) -> str:
        return (
            f"StraightLineEstimate(detour={self.detour}, vitesse_kmh={self.vitesse_kmh}, "
            f"mode={self.mode!r}, crs={self.crs!r})"
        )

    # -- helpers -------------------------------------------------------------

    @property
    def _speed_ms(self) -> float:
        return self.vitesse_kmh / 3.6

    def _measuring_crs(self, *points):
        """CRS in which distances are measured: fixed, else the first projected input CRS."""
        if not self._fixed_crs:
            for p in points:
                crs = getattr(p, "crs", None)
                if crs is not None and crs.is_projected:
                    return crs
        return self.crs

    def _xy(self, points, what: str, crs) -> np.ndarray:
        """Coordinates (n, 2) of point geometries in ``crs``."""
        if isinstance(points, gpd.GeoDataFrame):
            geoms = points.geometry
        elif isinstance(points, gpd.GeoSeries):
            geoms = points
        else:
            raise InputError(f"{what} : GeoDataFrame ou GeoSeries de points attendu")
        if geoms.crs is not None and geoms.crs != crs:
            geoms = geoms.to_crs(crs)
        arr = np.asarray(geoms.values, dtype=object)
        bad = shapely.is_missing(arr) | shapely.is_empty(arr)
        if bad.any():
            raise InputError(f"{what} : {int(bad.sum())} géométrie(s) absente(s) ou vide(s)")
        if not (shapely.get_type_id(arr) == 0).all():
            raise InputError(f"{what} : seules les géométries ponctuelles sont acceptées")
        return shapely.get_coordinates(arr)[:, :2]

    def _services(self, services, crs) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(services, gpd.GeoDataFrame):
            raise InputError("services : GeoDataFrame attendu")
        if "service_id" not in services.columns:
            raise MissingColumnError(None, "service_id", services.columns)
        if len(services) == 0:
            raise InputError("services : aucun service à atteindre (tableau vide)")
        return self._xy(services, "services", crs), services["service_id"].to_numpy(dtype=object)

    # -- protocol ------------------------------------------------------------

    def nearest(self, services, origins=None) -> pd.DataFrame:
        """Time from each origin to its nearest service, straight line × detour ÷ speed.

        Parameters
        ----------
        services : GeoDataFrame
            Points with a ``service_id`` column.
        origins : GeoDataFrame or GeoSeries
            Points to time (required: an estimate has no network nodes).

        Returns
        -------
        DataFrame
            Same index as ``origins``: ``time_s``, ``service_id``,
            ``distance_m`` (straight line × detour) and ``snap_m`` (0: no snapping).

        Raises
        ------
        InputError
            If ``origins`` is None, services are empty or geometries are not points.
        """
        if origins is None:
            raise InputError(
                "l'estimation à vol d'oiseau n'a pas de nœuds de réseau : "
                "donnez des points d'origine"
            )
        crs = self._measuring_crs(origins, services)
        sxy, sid = self._services(services, crs)
        oxy = self._xy(origins, "origines", crs)
        if len(oxy):
            dist, idx = cKDTree(sxy).query(oxy, k=1)
        else:
            dist, idx = np.empty(0), np.empty(0, dtype=int)
        length = dist * self.detour
        return pd.DataFrame(
            {
                "time_s": length / self._speed_ms,
                "service_id": sid[idx],
                "distance_m": length,
                "snap_m": np.zeros(len(oxy)),
            },
            index=origins.index,
        )

    def time_matrix(self, origins, destinations) -> np.ndarray:
        """Seconds from every origin to every destination, shape (n_origins, n_destinations)."""
        crs = self._measuring_crs(origins, destinations)
        oxy = self._xy(origins, "origines", crs)
        dxy = self._xy(destinations, "destinations", crs)
        if len(oxy) == 0 or len(dxy) == 0:
            return np.zeros((len(oxy), len(dxy)))
        return cdist(oxy, dxy) * self.detour / self._speed_ms

    def isochrones(self, services, bands_min=(10, 20, 30), per_service: bool = False):
        """Discs reachable within each band: radius = speed × t ÷ detour.

        Parameters
        ----------
        services : GeoDataFrame
            Points with a ``service_id`` column.
        bands_min : sequence of float
            Time limits in minutes; each polygon is the area within that time
            (nested: the 20-min polygon contains the 10-min one).
        per_service : bool, default False
            One row per service and band (column ``service_id``) instead of
            the union over services.

        Returns
        -------
        GeoDataFrame
            ``bande_min``, (``service_id``), ``geometry``; sorted by
            (``service_id``), ``bande_min``; CRS in which distances were measured.
        """
        bands = sorted({float(b) for b in bands_min})
        if not bands or bands[0] <= 0:
            raise InputError(f"bandes de temps invalides : {list(bands_min)!r} (minutes > 0)")
        crs = self._measuring_crs(services)
        sxy, sid = self._services(services, crs)
        pts = shapely.points(sxy)
        rows = []
        for band in bands:
            radius = self._speed_ms * band * 60.0 / self.detour
            discs = shapely.buffer(pts, radius, quad_segs=_QUAD_SEGS)
            if per_service:
                rows += [
                    {"service_id": s, "bande_min": band, "geometry": g}
                    for s, g in zip(sid, discs, strict=True)
                ]
            else:
                rows.append({"bande_min": band, "geometry": shapely.union_all(discs)})
        out = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
        keys = ["service_id", "bande_min"] if per_service else ["bande_min"]
        return out.sort_values(keys, kind="stable").reset_index(drop=True)
