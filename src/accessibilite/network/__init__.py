"""Road networks and travel-time engines.

:class:`RoadNetwork` (node coordinates and a compact CSR graph of edge times in
seconds) is built from OpenStreetMap files, OSMnx GraphML, Overpass or edge
tables, timed by the French speed model (:mod:`.speeds`), saved as ``.npz``
(:mod:`.npz`). :mod:`.routing` (multi-source Dijkstra, matrices),
:mod:`.snapping` and :mod:`.isochrones` work on it; :class:`StraightLineEstimate`
is the offline fallback; both follow :class:`TravelTimeProvider`. May import
territories, services and the foundation modules.
"""

from .build import DroppedNodesWarning
from .csr import MIN_TIME_S
from .estimate import StraightLineEstimate
from .provider import TravelTimeProvider
from .road import RoadNetwork
from .speeds import load_profile, parse_maxspeed, speed_kmh

__all__ = [
    "DroppedNodesWarning",
    "MIN_TIME_S",
    "RoadNetwork",
    "StraightLineEstimate",
    "TravelTimeProvider",
    "load_profile",
    "parse_maxspeed",
    "speed_kmh",
]
