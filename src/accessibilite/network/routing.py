"""Snapping, multi-source nearest service and time matrices on a compact network.

Every function takes the network first and uses only its attributes ``x``,
``y`` (node coordinates in ``crs``), ``graph`` (CSR matrix of travel seconds,
directed u → v), ``length`` (CSR matrix of metres, same sparsity), ``crs``,
``access_speed_kmh`` and ``max_snap_m`` (see ``docs/architecture.md``).
The hot path is numpy / scipy only.

Method (details in ``docs/routing.md``)
---------------------------------------
* A point is *snapped* to its nearest network node (Euclidean, k-d tree).
  The leg between the point and that node is timed at ``access_speed_kmh``.
  A point farther than ``max_snap_m`` from every node is flagged
  (``au_dela_snap``) and treated as unreachable (time ``inf``): it is never
  silently attached to a road across a river or a border.
* Times are measured in the travel direction *home → service*: the nearest
  service search runs Dijkstra **from the services on the transposed graph**,
  so one-way streets are respected in the direction residents drive.
* Service access legs are per-source initial offsets, which
  ``scipy.sparse.csgraph.dijkstra`` does not support: the transposed graph is
  extended with one virtual node per service, linked to its snapped node by
  an edge weighing the access-leg time, and Dijkstra starts from the virtual
  nodes (``min_only=True``, one pass for all services).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .. import settings
from ..errors import NetworkError
from .snapping import _access_s, _cached, _service_legs, _snap_arrays, snap

__all__ = ["snap", "nearest", "time_matrix"]

#: Maximum number of float64 cells of one Dijkstra block in ``time_matrix``
#: (sources × nodes); bounds memory to about 160 MB.
_MATRIX_BLOCK_CELLS = 20_000_000


# --------------------------------------------------------------------------
# cached derived structures (built once per network, stored on the object)
# --------------------------------------------------------------------------
def _graph(net: Any) -> sp.csr_matrix:
    """The travel-time CSR, float64, sorted indices, validated once."""

    def build():
        g = sp.csr_matrix(net.graph, dtype=np.float64, copy=True)
        g.sort_indices()
        if g.shape[0] != g.shape[1] or g.shape[0] != len(net.x):
            raise NetworkError(
                f"matrice du réseau de forme {g.shape} incompatible avec {len(net.x)} nœuds"
            )
        bad = ~np.isfinite(g.data) | (g.data < 0)
        if bad.any():
            raise NetworkError(
                f"{int(bad.sum())} temps de parcours d'arcs négatifs ou non finis (NaN, inf) "
                "dans le réseau"
            )
        return g

    return _cached(net, "_routing_graph", net.graph, build)


def _graph_t(net: Any) -> sp.csr_matrix:
    """The transposed travel-time CSR (edge v → u for each road u → v)."""

    def build():
        gt = _graph(net).T.tocsr()
        gt.sort_indices()
        return gt

    return _cached(net, "_routing_graph_t", net.graph, build)


def _edge_keys(net: Any) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys ``u * n + v`` of the CSR entries and the matching lengths."""

    def build():
        g = _graph(net)
        n = g.shape[0]
        length = sp.csr_matrix(net.length, dtype=np.float64, copy=True)
        length.sort_indices()
        if (
            length.shape != g.shape
            or length.nnz != g.nnz
            or not np.array_equal(length.indices, g.indices)
        ):
            raise NetworkError("les matrices `graph` et `length` n'ont pas la même structure")
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
        return rows * n + g.indices, length.data

    return _cached(net, "_routing_edge_keys", net.length, build)


# --------------------------------------------------------------------------
# points and snapping
# --------------------------------------------------------------------------

def _with_virtual_sources(gt: sp.csr_matrix, nodes: np.ndarray, leg_s: np.ndarray) -> sp.csr_matrix:
    """Append one virtual node per source to a CSR, each with a single edge to its node.

    Virtual node ``n + j`` has one out-edge ``→ nodes[j]`` weighing ``leg_s[j]``
    (explicit zeros are edges for scipy's sparse graphs). Rows are appended,
    so building it only copies the arrays once.
    """
    n, k = gt.shape[0], len(nodes)
    indptr = np.concatenate([gt.indptr, gt.indptr[-1] + np.arange(1, k + 1, dtype=gt.indptr.dtype)])
    indices = np.concatenate([gt.indices, nodes.astype(gt.indices.dtype)])
    data = np.concatenate([gt.data, leg_s])
    aug = sp.csr_matrix((n + k, n + k), dtype=np.float64)
    aug.data, aug.indices, aug.indptr = (
        data,
        indices,
        indptr,
    )  # arrays are consistent by construction
    return aug


def _multi_source(net: Any, nodes: np.ndarray, leg_s: np.ndarray, limit_s: float = np.inf):
    """One Dijkstra pass from all services (transposed graph, access legs as offsets).

    ``limit_s`` stops the search there (nodes beyond it: ``inf``, source -1).

    Returns
    -------
    time : (n,) float, seconds from each node to its nearest service (home → service)
    source : (n,) int, index of that service in ``nodes`` (-1 when unreachable)
    pred : (n,) int, next node towards the service (>= n: the virtual service node)
    """
    gt = _graph_t(net)
    n = gt.shape[0]
    aug = _with_virtual_sources(gt, nodes, leg_s)
    virtual = np.arange(n, n + len(nodes))
    time, pred, src = dijkstra(
        aug, indices=virtual, min_only=True, return_predecessors=True, limit=limit_s
    )
    source = np.where(src[:n] >= n, src[:n] - n, -1)
    return time[:n], source, pred[:n]


def _route_length(net: Any, pred: np.ndarray) -> np.ndarray:
    """Road length (m) from every node to the root of its shortest-path tree.

    Vectorised pointer jumping: ``acc[v]`` holds the length from ``v`` to
    ``parent[v]``; each round doubles the jump (``O(n log depth)``).
    """
    n = len(pred)
    keys, lengths = _edge_keys(net)
    has_parent = (pred >= 0) & (pred < n)
    parent = np.where(has_parent, pred, np.arange(n))
    acc = np.zeros(n)
    child = np.flatnonzero(has_parent)
    # the road used is child -> pred[child] (travel direction)
    pos = np.searchsorted(keys, child.astype(np.int64) * n + parent[child])
    acc[child] = lengths[pos]
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return acc
        acc += acc[parent]
        parent = grand


def _nodes_frame(time, source, ids, index, dist=None) -> pd.DataFrame:
    sid = np.append(ids, None)[source]  # source -1 (unreachable) -> None
    if dist is None:
        dist = np.full(len(time), np.nan)
    frame = pd.DataFrame(
        {
            "time_s": pd.Series(time, index=index, copy=False),
            "service_id": pd.Series(sid, index=index, dtype=object, copy=False),
            "distance_m": pd.Series(dist, index=index, copy=False),
        },
        copy=False,
    )
    return frame


def nearest(
    net: Any, services: Any, origins: Any = None, distances: bool | None = None
) -> pd.DataFrame:
    """Travel time from each origin (or node) to its nearest service, one Dijkstra pass.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    services : GeoDataFrame
        Service points with a unique ``service_id`` column. Services farther
        than ``net.max_snap_m`` from the network are ignored with a warning.
    origins : GeoDataFrame, GeoSeries, shapely points or (x, y) arrays, optional
        Points to time. ``None`` times every network node.
    distances : bool, optional
        Compute ``distance_m``. Default: ``True`` when ``origins`` is given,
        ``False`` for ``origins=None`` (whole-network calls are the hot path
        of isochrones and indicators; the route lengths then cost a pointer-
        jumping pass over all nodes, so ``distance_m`` is left ``NaN`` unless
        asked for).

    Returns
    -------
    DataFrame
        ``time_s`` (seconds, home → service, access legs at both ends
        included; ``inf`` where unreachable or where the origin is beyond
        ``max_snap_m``), ``service_id`` (``None`` where unreachable) and
        ``distance_m`` (route length in metres including both access legs;
        ``inf`` where unreachable). Aligned with ``origins`` (same index), or
        with the network nodes (RangeIndex 0..n-1) when ``origins`` is None.
        With ``origins``, a fourth column ``snap_m`` gives the distance from
        each origin to its snapped node (see :func:`snap`).

    Raises
    ------
    InputError
        Empty service set, missing / duplicated ``service_id``, or every
        service outside the network's area.
    """
    ids, s_nodes, s_leg_s, s_leg_m = _service_legs(net, services)
    time, source, pred = _multi_source(net, s_nodes, s_leg_s)
    if distances is None:
        distances = origins is not None
    dist = None
    if distances:
        dist = _route_length(net, pred) + np.where(source >= 0, s_leg_m[np.maximum(source, 0)], 0)
        dist[source < 0] = np.inf
    if origins is None:
        return _nodes_frame(time, source, ids, pd.RangeIndex(len(time)), dist)
    o_node, o_dist, o_beyond, index = _snap_arrays(net, origins, "origines")
    o_leg = _access_s(net, o_dist, o_beyond)
    src = np.where(o_beyond, -1, source[o_node])
    t = time[o_node] + o_leg
    t[src < 0] = np.inf
    d = dist[o_node] + o_dist
    d[src < 0] = np.inf
    frame = _nodes_frame(t, src, ids, index, d)
    frame["snap_m"] = o_dist
    return frame


# --------------------------------------------------------------------------
# time matrix
# --------------------------------------------------------------------------
def _progress(iterable, total: int, desc: str):
    """tqdm bar over ``iterable`` (or a manual bar if None) when ``settings.progress``.

    Without a bar, returns ``iterable`` itself (``None`` for a manual bar).
    """
    if settings.progress and total > 1:
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, leave=False)
    return iterable


#: Engines of :func:`time_matrix` (``"auto"`` picks one, see ``_choose_engine``).
ENGINES = ("auto", "dijkstra", "ch")
#: ``engine="auto"`` contracts the network (once, then cached) when the smaller
#: side of a matrix has at least this many distinct nodes: below it, the
#: Dijkstra searches cost less than the contraction (on the real 05 network
#: the contraction costs about 250 searches; ``benchmarks/bench_matrix.py``,
#: ``docs/routing.md``).
CH_MIN_SIDE = 300


def time_matrix(
    net: Any,
    origins: Any,
    destinations: Any,
    limit_s: float | None = None,
    engine: str = "auto",
) -> np.ndarray:
    """Seconds from every origin to every destination (home → service direction).

    Parameters
    ----------
    net : RoadNetwork
        The network.
    origins, destinations : GeoDataFrame, GeoSeries, shapely points or (x, y) arrays
        Points; access legs at both ends are included.
    limit_s : float, optional
        Bound of the question (seconds): every search stops there and any
        time above it is returned as ``inf`` (exact below or at the bound).
        Coverage, catchment and isochrone questions only need times up to
        their threshold.
    engine : {"auto", "dijkstra", "ch"}
        ``"dijkstra"``: one scipy Dijkstra per node of the smaller side (from
        the destinations on the transposed graph or from the origins).
        ``"ch"``: contraction hierarchies and bucket many-to-many
        (:mod:`.ch`; the contraction is built once per network and cached).
        ``"auto"``: ``"ch"`` when the network's hierarchy is already built
        or the smaller side has at least :data:`CH_MIN_SIDE` distinct nodes,
        else ``"dijkstra"``. Both give the same times within 1e-6 s (they
        differ by float rounding, ~1e-11 s).

    Returns
    -------
    ndarray
        Shape ``(len(origins), len(destinations))``, float64 seconds; ``inf``
        where unreachable, beyond ``limit_s`` or for a point beyond ``max_snap_m``.
    """
    o_node, o_dist, o_beyond, _ = _snap_arrays(net, origins, "origines")
    d_node, d_dist, d_beyond, _ = _snap_arrays(net, destinations, "destinations")
    return _time_matrix_nodes(
        net,
        o_node,
        _access_s(net, o_dist, o_beyond),
        d_node,
        _access_s(net, d_dist, d_beyond),
        limit_s=limit_s,
        engine=engine,
    )


def _contraction(net: Any):
    """The network's contraction hierarchy, built once and cached (numba kernels)."""
    from .ch import build_ch

    return _cached(net, "_routing_ch", net.graph, lambda: build_ch(_graph(net)))


def _choose_engine(net: Any, engine: str, n_small: int) -> str:
    if engine not in ENGINES:
        raise NetworkError(f"moteur inconnu : {engine!r} (attendu {', '.join(ENGINES)})")
    if engine != "auto":
        return engine
    built = getattr(net, "_routing_ch", None)
    if built is not None and built[0] is net.graph:
        return "ch"
    if n_small < CH_MIN_SIDE:
        return "dijkstra"
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency
        return "dijkstra"
    return "ch"


def _time_matrix_nodes(
    net,
    o_node,
    o_leg,
    d_node,
    d_leg,
    from_side: str | None = None,
    limit_s: float | None = None,
    engine: str = "dijkstra",
) -> np.ndarray:
    """Node-level time matrix plus access legs; ``from_side`` forces the search side (tests)."""
    out = np.full((len(o_node), len(d_node)), np.inf)
    if limit_s is not None and not (float(limit_s) >= 0):
        raise NetworkError(f"borne de temps invalide : {limit_s!r} (secondes >= 0 attendues)")
    if len(o_node) == 0 or len(d_node) == 0:
        return out
    uo, o_inv = np.unique(o_node, return_inverse=True)
    ud, d_inv = np.unique(d_node, return_inverse=True)
    if _choose_engine(net, engine, min(len(uo), len(ud))) == "ch":
        from .ch import ch_matrix

        out = ch_matrix(_contraction(net), uo, ud)[o_inv][:, d_inv]
    else:
        out = _dijkstra_core(net, uo, o_inv, ud, d_inv, from_side, limit_s)
    out = out + o_leg[:, None] + d_leg[None, :]
    if limit_s is not None:
        out[out > limit_s] = np.inf
    return np.ascontiguousarray(out)


def _dijkstra_core(net, uo, o_inv, ud, d_inv, from_side, limit_s) -> np.ndarray:
    """Node-to-node times by blocks of scipy Dijkstra searches (bounded by ``limit_s``)."""
    if from_side is None:
        from_side = "destinations" if len(ud) <= len(uo) else "origins"
    if from_side == "destinations":
        graph, sources, targets = _graph_t(net), ud, uo
    else:
        graph, sources, targets = _graph(net), uo, ud
    n = graph.shape[0]
    block = max(1, _MATRIX_BLOCK_CELLS // n)
    limit = np.inf if limit_s is None else float(limit_s)
    core = np.empty((len(sources), len(targets)))  # core[s, t]: search source s to target t
    starts = range(0, len(sources), block)
    for start in _progress(starts, len(starts), "matrice de temps"):
        chunk = sources[start : start + block]
        dist = dijkstra(graph, indices=chunk, limit=limit)
        core[start : start + len(chunk)] = dist[:, targets]
    if from_side == "destinations":
        return core[d_inv][:, o_inv].T
    return core[o_inv][:, d_inv]
