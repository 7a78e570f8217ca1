"""Common network builder: raw ways → junction split → speed model → contraction → CSR.

Every file reader (OSM ``.osm.pbf`` / XML streamed with pyosmium, GIS line
layers: Geofabrik, IGN BD TOPO, ROUTE 500) hands the same two things to
:func:`build`:

* :class:`Lines`: the ways as sequences of node indices, with the WGS84
  coordinates of the nodes (two ways meet where they share a node index);
* :class:`WayRules`: per way, its road class, the speed of the mode (km/h,
  NaN where unusable), whether the mode may travel it along / against its
  digitised direction, and its topological direction (one-way or not).

The builder then, vectorised with numpy (no Python loop over edges):

1. splits ways into segments and measures them (great circle, the osmnx
   formula, so lengths equal those of the osmnx path);
2. finds the junctions with the rules osmnx uses to simplify graphs, on the
   whole layer and on the mode's own graph (so that a chain never mixes usable
   and unusable segments, nor changes direction: a residential street that
   goes on as a track keeps its drivable part, where osmnx's merged edge
   ``[residential, track]`` drops it whole), then keeps the mode's segments
   only and walks their degree-2 chains between junctions (:mod:`.chains`);
   loops and parallel chains keep an inner node (tested among the chains the
   mode can travel: the others are dropped);
3. times every segment with its own speed × the curvature factor of its chain
   (``sinuosity = chain length / chord``, :func:`.curvature.curvature_factor`);
4. contracts the chains exactly (times and lengths summed per direction), but
   keeps an inner node every ``max_edge_m`` metres so that points still snap
   close to where they are on long rural roads, and isochrone corridors keep
   the shape of the road;
5. keeps the largest strongly connected component and packs the CSR pair.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..errors import NetworkError
from . import chains
from . import csr as _csr
from .curvature import curvature_factor, sinuosity
from .speeds import _MODE_LABEL

#: Longest contracted edge (m) before an inner shape point is kept as a node.
MAX_EDGE_M = 500.0
#: Earth radius of the osmnx great-circle distance (m).
EARTH_RADIUS_M = 6_371_009.0


@dataclass
class Lines:
    """Ways as node sequences.

    Attributes
    ----------
    indptr : ndarray of int64
        Way *i* is ``nodes[indptr[i]:indptr[i + 1]]``.
    nodes : ndarray of int64
        Node index of every vertex, into ``lon`` / ``lat``.
    lon, lat : ndarray of float64
        WGS84 coordinates of the nodes.
    node_ids : ndarray of int64, optional
        External ids of the nodes (OSM ids), kept as ``RoadNetwork.osmid``.
    """

    indptr: np.ndarray
    nodes: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    node_ids: np.ndarray | None = None

    @property
    def n_ways(self) -> int:
        return int(self.indptr.size - 1)


@dataclass
class WayRules:
    """Per-way attributes of one mode (arrays of length ``n_ways``).

    Attributes
    ----------
    highway : ndarray of str
        Road class (OSM highway vocabulary), for the curvature factor.
    speed_kmh : ndarray of float64
        Speed of the mode; NaN where the way is not usable.
    fwd, bwd : ndarray of bool
        Usable along / against the digitised direction.
    direction : ndarray of int8
        Topological direction, the same for every mode: 0 two-way, 1 one-way
        along the digitisation, -1 one-way against it.
    curvature : ndarray of bool
        Apply the curvature factor (False where the speed already includes
        the road's winding, e.g. BD TOPO ``vitesse_moyenne_vl``).
    """

    highway: np.ndarray
    speed_kmh: np.ndarray
    fwd: np.ndarray
    bwd: np.ndarray
    direction: np.ndarray
    curvature: np.ndarray


def great_circle(lon1, lat1, lon2, lat2, block: int = 1 << 20) -> np.ndarray:
    """Haversine distance (m), the formula and radius of ``osmnx.distance.great_circle``.

    Computed by blocks of ``block`` values: the temporaries stay in cache and
    memory does not grow with the input (same values as one pass).
    """
    lon1, lat1, lon2, lat2 = (np.asarray(c, dtype=np.float64) for c in (lon1, lat1, lon2, lat2))
    out = np.empty(np.broadcast(lon1, lat1, lon2, lat2).shape)
    flat = out.reshape(-1)
    args = [np.broadcast_to(c, out.shape).reshape(-1) for c in (lon1, lat1, lon2, lat2)]
    for i in range(0, flat.size, block):
        x1, y1, x2, y2 = (c[i : i + block] for c in args)
        y1, y2 = np.deg2rad(y1), np.deg2rad(y2)
        dx = np.deg2rad(x2) - np.deg2rad(x1)
        h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
        flat[i : i + block] = 2 * np.arcsin(np.sqrt(np.minimum(1, h))) * EARTH_RADIUS_M
    return out


def segments(lines: Lines):
    """Segments ``(a, b, way)`` of consecutive distinct vertices of each way."""
    counts = np.diff(lines.indptr)
    way = np.repeat(np.arange(lines.n_ways, dtype=np.int64), counts)
    same = way[1:] == way[:-1]
    a, b = lines.nodes[:-1][same], lines.nodes[1:][same]
    way = way[:-1][same]
    distinct = a != b
    return a[distinct], b[distinct], way[distinct]


def build(
    lines: Lines,
    rules: WayRules,
    mode: str,
    prof: dict,
    *,
    area=None,
    area_crs: str | None = None,
    max_edge_m: float = MAX_EDGE_M,
    contract: bool = True,
    what: str = "réseau",
) -> dict:
    """Build the compact network of one mode.

    Parameters
    ----------
    lines : Lines
    rules : WayRules
    mode : {"voiture", "marche", "velo"}
    prof : dict
        Speed profile (passed to the curvature factor).
    area : shapely geometry, optional
        Keep only the nodes inside it (in ``area_crs``), as osmnx's
        ``truncate_graph_polygon``.
    max_edge_m : float
        Keep an inner node at least every this many metres along a chain.
    contract : bool
        ``False`` keeps every vertex as a node (reference for tests).
    what : str
        Name of the input in messages.

    Returns
    -------
    dict
        ``x``, ``y``, ``crs``, ``graph``, ``length``, ``osmid`` and
        ``dropped_nodes`` (RoadNetwork keyword arguments), plus ``stats``.

    Raises
    ------
    NetworkError
        No way usable in ``mode``.
    """
    from .osm import local_crs

    a, b, way = segments(lines)
    used = rules.fwd[way] | rules.bwd[way]
    if not used.any():
        raise NetworkError(
            f"{what} : aucune voie utilisable {_MODE_LABEL[mode]} "
            f"({lines.n_ways} voies lues) : vérifier la zone, la couche ou le mode"
        )
    nodes, (a, b) = _compact(lines.lon.size, a, b)
    if nodes.size < 2**31 and a.size < 2**30:  # halve the memory of the index arrays
        a, b = a.astype(np.int32), b.astype(np.int32)
    lon, lat = lines.lon[nodes], lines.lat[nodes]
    n = nodes.size
    seg_len = great_circle(lon[a], lat[a], lon[b], lat[b])
    direction = rules.direction[way].astype(np.int8)
    kmh = rules.speed_kmh[way]
    go = np.isfinite(kmh) & (kmh > 0)
    ab_ok, ba_ok = go & rules.fwd[way], go & rules.bwd[way]
    # junctions of the whole layer, and of the mode's own graph: a chain never
    # mixes usable and unusable segments, nor changes direction in the mode
    kept = chains.junctions(a, b, direction, n)
    usable = ab_ok | ba_ok
    mode_dir = np.where(ab_ok & ba_ok, 0, np.where(ab_ok, 1, -1)).astype(np.int8)
    # (only where the mode goes: the nodes of unusable ways are no junctions of its graph,
    # else every unusable segment would be a chain of its own, walked for nothing)
    touched = np.zeros(n, dtype=bool)
    touched[a[usable]] = True
    touched[b[usable]] = True
    kept |= chains.junctions(a[usable], b[usable], mode_dir[usable], n) & touched
    del touched, mode_dir, direction
    # from here on, the mode's segments only: a chain of them has no other way along it
    n_segments = int(a.size)
    sel = np.flatnonzero(usable)
    a, b, way, seg_len, kmh, ab_ok, ba_ok = (
        arr[sel] for arr in (a, b, way, seg_len, kmh, ab_ok, ba_ok)
    )
    del sel, usable, go
    kept = chains.break_cycles(a, b, kept)
    walks = chains.walk(a, b, kept)
    # curvature factor of each chain between junctions
    start, end, rec_walk, rec_seg = walks[0], walks[1], walks[2], walks[3]
    chain_len = np.bincount(rec_walk, weights=seg_len[rec_seg], minlength=start.size)
    chord = great_circle(lon[start], lat[start], lon[end], lat[end])
    seg_sin = np.ones(a.size)
    seg_sin[rec_seg] = sinuosity(chain_len, chord)[rec_walk]
    factor = np.ones(a.size)
    bends = rules.curvature[way]
    if bends.any():
        factor[bends] = curvature_factor(
            np.asarray(rules.highway, dtype=object)[way[bends]], seg_sin[bends], mode, prof
        )
    speed = kmh * factor / 3.6
    ok = np.isfinite(speed) & (speed > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ok, seg_len / speed, np.inf)
    ab_ok, ba_ok = ab_ok & ok, ba_ok & ok
    if not contract:
        kept = np.ones(n, dtype=bool)
        walks = chains.walk(a, b, kept)
    else:
        usable = chains.walk_usable(walks, ab_ok, ba_ok)
        spaced = chains.loop_nodes(walks, kept, usable=usable)
        spaced = chains.spacing_nodes(a, b, spaced, seg_len, walks, max_edge_m, lon, lat)
        walks = chains.split(a, b, walks, spaced)
    u, v, time, length = chains.contract(walks, ab_ok, ba_ok, t, t, seg_len)
    if u.size == 0:
        raise NetworkError(
            f"{what} : aucune voie utilisable {_MODE_LABEL[mode]} "
            f"({lines.n_ways} voies lues) : vérifier la zone, la couche ou le mode"
        )
    # nodes of the contracted network, projected
    keep_nodes, (u, v) = _compact(n, u, v)
    lon, lat = lon[keep_nodes], lat[keep_nodes]
    crs = local_crs(lon, lat)
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ids = None if lines.node_ids is None else lines.node_ids[nodes[keep_nodes]]
    if area is not None:
        import shapely

        if area_crs is not None and area_crs != crs:
            import geopandas as gpd

            area = gpd.GeoSeries([area], crs=area_crs).to_crs(crs).iloc[0]
        inside = shapely.contains_xy(area, x, y)
        on = inside[u] & inside[v]
        if not on.any():
            raise NetworkError(f"{what} : aucune voie dans le territoire demandé")
        u, v, time, length = u[on], v[on], time[on], length[on]
        keep2, (u, v) = _compact(x.size, u, v)
        x, y = x[keep2], y[keep2]
        ids = None if ids is None else ids[keep2]
    total_km = _road_km(u, v, length)
    keep, dropped = largest_component(u, v, x.size, mode)
    renumber = np.cumsum(keep) - 1
    on = keep[u] & keep[v]
    graph, lengths = _csr.build_csr(
        renumber[u[on]], renumber[v[on]], time[on], length[on], int(keep.sum())
    )
    stats = {
        "ways": lines.n_ways,
        "segments": n_segments,
        "nodes_before": int(x.size),
        "edges_before": int(u.size),
        "km_before": total_km,
        "km_dropped": total_km - _road_km(u[on], v[on], length[on]),
    }
    return {
        "x": x[keep],
        "y": y[keep],
        "crs": crs,
        "graph": graph,
        "length": lengths,
        "osmid": None if ids is None else ids[keep].astype(np.int64),
        "dropped_nodes": dropped,
        "stats": stats,
    }


def _road_km(u: np.ndarray, v: np.ndarray, length: np.ndarray) -> float:
    """Length of road (km): a two-way edge pair counts once."""
    n = int(max(u.max(initial=0), v.max(initial=0))) + 1
    key = u * np.int64(n) + v
    rev = v * np.int64(n) + u
    both = np.isin(rev, key)
    once = ~both | (u < v)
    return float(length[once].sum()) / 1000.0


def _compact(n: int, *index: np.ndarray):
    """Used ids among ``0..n-1`` (sorted) and the index arrays renumbered to them."""
    used = np.zeros(n, dtype=bool)
    for arr in index:
        used[arr] = True
    ids = np.flatnonzero(used)
    renumber = np.cumsum(used) - 1
    return ids, tuple(renumber[arr] for arr in index)


class DroppedNodesWarning(UserWarning):
    """Nodes outside the largest strongly connected component were dropped (count in French)."""


def largest_component(u: np.ndarray, v: np.ndarray, n: int, mode: str, stacklevel: int = 5):
    """Mask of the largest strongly connected component, and the count of nodes dropped.

    A French :class:`DroppedNodesWarning` reports the nodes dropped.
    """
    adjacency = sparse.csr_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(adjacency, directed=True, connection="strong")
    keep = labels == np.argmax(np.bincount(labels))
    dropped = int(n - keep.sum())
    if dropped:
        warnings.warn(
            f"réseau {mode} : {dropped} nœud(s) hors de la plus grande composante "
            f"fortement connexe retiré(s) ({int(keep.sum())} nœuds conservés)",
            DroppedNodesWarning,
            stacklevel=stacklevel,
        )
    return keep, dropped
