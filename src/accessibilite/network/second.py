"""Nearest and second-nearest distinct services of every node, in two Dijkstra passes.

"What if site *s* closed?" only needs, for every origin, the time to its
nearest service and to the nearest *other* one. Both come from two
multi-source passes instead of one search per site (see ``docs/routing.md``):

1. the usual nearest pass (transposed graph, one virtual node per service
   carrying its access leg) labels every node ``v`` with its nearest service
   ``s1(v)`` and time ``t1(v)``;
2. the second label: on a shortest road path from ``v`` to its nearest other
   service, let ``b`` be the first node with ``s1(b) != s1(v)`` and ``a`` the
   node before it. ``t1(b) <= t(b → that service)`` and ``s1(b) != s1(v)``, so
   ``t2(v) = min_a d(v → a) + w(a → b) + t1(b)`` with ``v → a`` inside the
   region of ``s1(v)``. One multi-source Dijkstra on the graph cut along
   region borders, started from every border node ``a`` with offset
   ``min_b w(a → b) + t1(b)``, gives ``t2`` and the service ``s1(b)`` reached.

Pure numpy / scipy: two ``scipy.sparse.csgraph.dijkstra`` passes with
``min_only=True`` plus vectorised edge operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .routing import _graph_t, _with_virtual_sources
from .snapping import _access_s, _service_legs, _snap_arrays

__all__ = ["nearest_two"]


def _csr(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, size: int) -> sp.csr_matrix:
    """Square CSR from edge arrays sorted by row, zero weights kept as edges (scipy's rule)."""
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=size), out=indptr[1:])
    out = sp.csr_matrix((size, size), dtype=np.float64)
    out.data, out.indices, out.indptr = w, cols.astype(np.int32), indptr
    return out


def _two_labels(net: Any, nodes: np.ndarray, leg_s: np.ndarray):
    """Per network node: ``t1, s1, t2, s2`` (seconds, service positions, -1 = none)."""
    gt = _graph_t(net)
    n, k = gt.shape[0], len(nodes)
    aug = _with_virtual_sources(gt, nodes, leg_s)
    t1, _, src = dijkstra(aug, indices=np.arange(n, n + k), min_only=True, return_predecessors=True)
    label = np.where(src >= n, src - n, -1)  # virtual node n + j is labelled j
    rows = np.repeat(np.arange(n + k), np.diff(aug.indptr))  # aug edge b -> a: road a -> b
    cols, w = aug.indices, aug.data
    lb, la = label[rows], label[cols]
    cross = (lb >= 0) & (la >= 0) & (lb != la)
    a, cand, via = cols[cross], t1[rows[cross]] + w[cross], lb[cross]
    order = np.lexsort((cand, a))
    a, cand, via = a[order], cand[order], via[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = a[1:] != a[:-1]
    border, offset, border_label = a[first], cand[first], via[first]
    # region graph (edges inside one region) + one virtual node per border node;
    # rows stay sorted: CSR order, then the virtual rows n + k ... appended
    same = (lb == la) & (lb >= 0)
    m = len(border)
    region = _csr(
        np.concatenate([rows[same], np.arange(n + k, n + k + m)]),
        np.concatenate([cols[same], border]),
        np.concatenate([w[same], offset]),
        n + k + m,
    )
    t2 = np.full(n, np.inf)
    s2 = np.full(n, -1)
    if m:
        t2_all, _, src2 = dijkstra(
            region, indices=np.arange(n + k, n + k + m), min_only=True, return_predecessors=True
        )
        t2 = t2_all[:n]
        s2 = np.where(src2[:n] >= n + k, border_label[np.maximum(src2[:n] - n - k, 0)], -1)
    return t1[:n], label[:n], t2, s2


def nearest_two(net: Any, services: Any, origins: Any = None) -> pd.DataFrame:
    """Time to the nearest service and to the nearest *other* service.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    services : GeoDataFrame
        Service points with a unique ``service_id`` (services beyond
        ``max_snap_m`` are ignored with a warning, as in ``nearest``).
    origins : GeoDataFrame, GeoSeries or points, optional
        Points to time; ``None`` times every network node.

    Returns
    -------
    DataFrame
        ``time_s``, ``service_id`` (nearest), ``time2_s``, ``service2_id``
        (nearest distinct service, ``None`` / ``inf`` when only one is
        reachable); two services on the same node are distinct services, so
        ``time2_s == time_s`` there. Seconds home → service, access legs at
        both ends included; aligned with ``origins`` (or the nodes).
    """
    ids, s_nodes, s_leg_s, _ = _service_legs(net, services)
    t1, s1, t2, s2 = _two_labels(net, s_nodes, s_leg_s)
    index = pd.RangeIndex(len(t1))
    if origins is not None:
        o_node, o_dist, o_beyond, index = _snap_arrays(net, origins, "origines")
        leg = _access_s(net, o_dist, o_beyond)
        t1, s1, t2, s2 = t1[o_node] + leg, s1[o_node], t2[o_node] + leg, s2[o_node]
        s1 = np.where(o_beyond, -1, s1)
        s2 = np.where(o_beyond, -1, s2)
    t1 = np.where(s1 < 0, np.inf, t1)
    t2 = np.where(s2 < 0, np.inf, t2)
    names = np.append(np.asarray(ids, dtype=object), None)
    return pd.DataFrame(
        {"time_s": t1, "service_id": names[s1], "time2_s": t2, "service2_id": names[s2]},
        index=index,
    )
