"""The travel-time interface shared by every provider.

Indicators, scenarios and maps depend on this small protocol, never on a
concrete class: :class:`~accessibilite.network.RoadNetwork` (routing on an
OpenStreetMap road network) and :class:`~accessibilite.estimate.StraightLineEstimate`
(straight-line distance × detour factor ÷ speed, the *vol d'oiseau* estimate)
both satisfy it.

Conventions
-----------
* Points are GeoDataFrames / GeoSeries of Point geometries in the provider's
  CRS (EPSG:2154 for metropolitan France); they are reprojected if needed.
* Times are seconds (float64), distances metres; ``inf`` marks "unreachable".
* Direction is always *origin → destination*, i.e. home → service, so that
  one-way streets are respected in the direction residents travel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import numpy as np
    import pandas as pd

__all__ = ["TravelTimeProvider"]


@runtime_checkable
class TravelTimeProvider(Protocol):
    """What indicators and scenarios need from a travel-time source.

    Attributes
    ----------
    mode : str
        ``"voiture"``, ``"marche"``, ``"velo"`` or ``"vol-oiseau"``.
    crs : str
        CRS of the provider's coordinates (points are reprojected to it).
    description : str
        One French sentence describing the method, for map captions and reports.
    """

    mode: str
    crs: str
    description: str

    def nearest(
        self,
        services: gpd.GeoDataFrame,
        origins: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    ) -> pd.DataFrame:
        """Time from each origin to its nearest service (one multi-source pass).

        Parameters
        ----------
        services : GeoDataFrame
            Points with a ``service_id`` column.
        origins : GeoDataFrame or GeoSeries, optional
            Points to time. ``None`` means every node of the network
            (``RoadNetwork`` only).

        Returns
        -------
        DataFrame
            Aligned row for row with ``origins`` (same index): ``time_s``
            (``inf`` where unreachable), ``service_id`` (``None`` where
            unreachable), ``distance_m`` (length of the chosen route).
        """
        ...

    def time_matrix(
        self,
        origins: gpd.GeoDataFrame | gpd.GeoSeries,
        destinations: gpd.GeoDataFrame | gpd.GeoSeries,
    ) -> np.ndarray:
        """Seconds from every origin to every destination, shape (n_origins, n_destinations)."""
        ...

    def isochrones(
        self,
        services: gpd.GeoDataFrame,
        bands_min=(10, 20, 30),
        per_service: bool = False,
    ) -> gpd.GeoDataFrame:
        """Nested band polygons (columns ``bande_min``, ``service_id`` if per service, geometry)."""
        ...
