"""Views and delegated queries of :class:`~accessibilite.network.RoadNetwork` (a mixin).

Node and edge tables, sizes, the summary ``repr``, and the routing / isochrone
queries delegated to :mod:`.routing` and :mod:`.isochrones`; they only read
the network's attributes (``x``, ``y``, ``graph``, ``length``, ``osmid``...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import isochrones, routing
from .isochrones import BUFFER_M


class NetworkViews:
    """Read-only views and queries shared by :class:`RoadNetwork`."""

    # ----------------------------------------------------------------- views
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (after merging parallel edges)."""
        return int(self.graph.nnz)

    def nodes(self) -> pd.DataFrame:
        """Nodes as a DataFrame ``x``, ``y`` (+ ``osmid``), index 0..n-1."""
        frame = pd.DataFrame({"x": self.x, "y": self.y})
        if self.osmid is not None:
            frame["osmid"] = self.osmid
        return frame

    def edges(self) -> pd.DataFrame:
        """Directed edges ``u``, ``v``, ``length_m``, ``travel_time_s``, sorted by u then v."""
        g = self.graph
        u = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(g.indptr))
        v = g.indices.astype(np.int64)
        order = np.lexsort((v, u))
        return pd.DataFrame(
            {
                "u": u[order],
                "v": v[order],
                "length_m": self.length.data[order],
                "travel_time_s": g.data[order],
            }
        )

    def __repr__(self) -> str:
        km = float(self.length.data.sum()) / 1000.0
        return (
            f"<RoadNetwork {self.mode} : {self.n_nodes} nœuds, {self.n_edges} arcs orientés, "
            f"{km:.1f} km de voies, {self.crs}>"
        )

    # ----------------------------------------------------------------- queries (delegated)
    def nearest(self, services, origins=None, *, distances: bool | None = None) -> pd.DataFrame:
        """Time to the nearest service; see :func:`accessibilite.routing.nearest`.

        ``distances=True`` also gives ``distance_m`` for ``origins=None`` (whole network).
        """
        return routing.nearest(self, services, origins, distances=distances)

    def time_matrix(self, origins, destinations) -> np.ndarray:
        """Origins × destinations times (s); see :func:`accessibilite.routing.time_matrix`."""
        return routing.time_matrix(self, origins, destinations)

    def snap(self, points) -> pd.DataFrame:
        """Snap points to nodes; see :func:`accessibilite.routing.snap`."""
        return routing.snap(self, points)

    def isochrones(
        self,
        services,
        bands_min=(10, 20, 30),
        per_service: bool = False,
        *,
        buffer_m: float = BUFFER_M,
        cell_m: float | None = None,
    ):
        """Nested band polygons; see :func:`accessibilite.isochrones.isochrones`."""
        return isochrones.isochrones(
            self, services, bands_min, per_service, buffer_m=buffer_m, cell_m=cell_m
        )
