"""Contraction hierarchies and bucket-based many-to-many travel times (numba kernels).

The engine behind ``time_matrix(..., engine="ch")`` (see ``docs/routing.md``):

* **Preprocessing** (Geisberger et al. 2008): nodes are contracted one by one
  in the order of a lazily updated priority (edge difference + contracted
  neighbours); contracting ``v`` adds a shortcut ``u → w`` for each pair of
  remaining neighbours unless a *witness* search (a local Dijkstra from ``u``
  avoiding ``v``, bounded in distance and settled nodes) finds a path no
  longer than ``u → v → w``. A witness search that gives up early only adds a
  superfluous shortcut, never a wrong time.
* **Many-to-many** (Knopp et al. 2007, the method of OSRM's ``table``): one
  backward upward search per target fills *buckets* ``(target, d)`` on the
  nodes it settles; one forward upward search per source scans the buckets of
  the nodes it settles: ``M[s, t] = min_x d↑(s, x) + d↓(x, t)``.

Times are sums of the same edge weights as Dijkstra's in another order, so
they equal the Dijkstra engine's up to floating-point rounding (~1e-9 s).
The kernels are compiled by numba (on first use, cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit

from .heap import _clear, _pop, _push

__all__ = ["ContractionHierarchy", "build_ch", "ch_matrix"]

#: Settled-node budget of the witness searches (contraction / priority simulation).
_WITNESS_SETTLED = 400
_PRIORITY_SETTLED = 60


@dataclass(frozen=True)
class ContractionHierarchy:
    """A contracted graph: upward forward CSR and upward backward CSR.

    Attributes
    ----------
    rank : (n,) int64, contraction order of each node (0 first).
    up_ptr, up_idx, up_w : CSR of edges ``u → w`` with ``rank[w] > rank[u]``.
    dn_ptr, dn_idx, dn_w : CSR, for each node ``t``, of edges ``x → t`` with
        ``rank[x] > rank[t]`` (read backwards by the target searches).
    n_shortcuts : int, shortcuts added by the contraction.
    """

    rank: np.ndarray
    up_ptr: np.ndarray
    up_idx: np.ndarray
    up_w: np.ndarray
    dn_ptr: np.ndarray
    dn_idx: np.ndarray
    dn_w: np.ndarray
    n_shortcuts: int


# --------------------------------------------------------------------------- contraction
@njit(cache=True)
def _grow(a, size):
    b = np.empty(size, a.dtype)
    b[: len(a)] = a
    return b


@njit(cache=True)
def _witness(src, avoid, limit, budget, out_head, e_dst, e_w, out_next, contracted, dist, touched,
             hn, hk, pos):  # fmt: skip
    """Local Dijkstra from ``src`` avoiding ``avoid``; leaves distances in ``dist``.

    Returns the number of touched nodes (``touched[:k]`` to reset by the caller).
    """
    k = 0
    dist[src] = 0.0
    touched[k] = src
    k += 1
    size = _push(hn, hk, pos, 0, src, 0.0)
    settled = 0
    while size > 0:
        x, d, size = _pop(hn, hk, pos, size)
        if d > limit or settled >= budget:
            break
        settled += 1
        e = out_head[x]
        while e >= 0:
            y = e_dst[e]
            if y != avoid and not contracted[y]:
                nd = d + e_w[e]
                if nd < dist[y]:
                    if dist[y] == np.inf:
                        touched[k] = y
                        k += 1
                    dist[y] = nd
                    size = _push(hn, hk, pos, size, y, nd)
            e = out_next[e]
    _clear(hn, pos, size)
    return k


@njit(cache=True)
def _live_neighbours(e, nxt, end, e_w, contracted, nodes, weights):
    """Uncontracted neighbours along an edge list (``e`` its head, ``nxt`` its links,
    ``end`` the neighbour of each edge), the cheapest edge per neighbour, written
    into ``nodes`` / ``weights`` (grown when full). Returns them and their count."""
    k = 0
    while e >= 0:
        a = end[e]
        if not contracted[a]:
            found = -1
            for q in range(k):
                if nodes[q] == a:
                    found = q
            if found >= 0:
                weights[found] = min(weights[found], e_w[e])
            else:
                if k == len(nodes):
                    nodes = _grow(nodes, 2 * k)
                    weights = _grow(weights, 2 * k)
                nodes[k], weights[k] = a, e_w[e]
                k += 1
        e = nxt[e]
    return nodes, weights, k


@njit(cache=True)
def _contract(n, u0, v0, w0):
    """Contract every node; returns (rank, src, dst, w, n_edges, n_shortcuts)."""
    m = len(u0)
    cap = 2 * m + 16
    e_src = np.empty(cap, np.int64)
    e_dst = np.empty(cap, np.int64)
    e_w = np.empty(cap, np.float64)
    out_next = np.empty(cap, np.int64)
    in_next = np.empty(cap, np.int64)
    out_head = np.full(n, -1, np.int64)
    in_head = np.full(n, -1, np.int64)
    ne = 0
    for i in range(m):
        a, b = u0[i], v0[i]
        if a == b:
            continue
        e_src[ne], e_dst[ne], e_w[ne] = a, b, w0[i]
        out_next[ne] = out_head[a]
        out_head[a] = ne
        in_next[ne] = in_head[b]
        in_head[b] = ne
        ne += 1
    contracted = np.zeros(n, np.bool_)
    deleted = np.zeros(n, np.int64)
    rank = np.full(n, -1, np.int64)
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    hn = np.empty(n, np.int64)
    hk = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int64)
    qn = np.empty(n, np.int64)
    qk = np.empty(n, np.float64)
    qpos = np.full(n, -1, np.int64)
    qsize = 0
    # scratch lists of the live in / out neighbours of the node being contracted
    in_u = np.empty(16, np.int64)
    in_w = np.empty(16, np.float64)
    out_v = np.empty(16, np.int64)
    out_wt = np.empty(16, np.float64)
    sc_u = np.empty(16, np.int64)
    sc_v = np.empty(16, np.int64)
    sc_w = np.empty(16, np.float64)

    order = 0
    for phase in range(2):  # phase 0: initial priorities; phase 1: contraction
        todo = n if phase == 0 else 0
        while (phase == 0 and todo > 0) or (phase == 1 and qsize > 0):
            if phase == 0:
                v = n - todo
                todo -= 1
            else:
                v, _, qsize = _pop(qn, qk, qpos, qsize)
            simulate = True
            for _attempt in range(2):
                budget = _PRIORITY_SETTLED if simulate else _WITNESS_SETTLED
                # live neighbours, cheapest edge per neighbour
                in_u, in_w, ni = _live_neighbours(in_head[v], in_next, e_src, e_w, contracted,
                                                  in_u, in_w)
                out_v, out_wt, no = _live_neighbours(out_head[v], out_next, e_dst, e_w,
                                                     contracted, out_v, out_wt)
                ns = 0
                for p in range(ni):
                    a = in_u[p]
                    limit = -1.0
                    for q in range(no):
                        if out_v[q] != a:
                            limit = max(limit, in_w[p] + out_wt[q])
                    if limit < 0:
                        continue
                    k = _witness(a, v, limit, budget, out_head, e_dst, e_w, out_next, contracted,
                                 dist, touched, hn, hk, pos)  # fmt: skip
                    for q in range(no):
                        b = out_v[q]
                        if b == a:
                            continue
                        via = in_w[p] + out_wt[q]
                        if dist[b] > via:
                            if ns == len(sc_u):
                                sc_u = _grow(sc_u, 2 * ns)
                                sc_v = _grow(sc_v, 2 * ns)
                                sc_w = _grow(sc_w, 2 * ns)
                            sc_u[ns], sc_v[ns], sc_w[ns] = a, b, via
                            ns += 1
                    for t in range(k):
                        dist[touched[t]] = np.inf
                prio = float(ns - ni - no + deleted[v])
                if phase == 0:
                    qsize = _push(qn, qk, qpos, qsize, v, prio)
                    break
                if simulate:
                    if qsize > 0 and prio > qk[0]:
                        qsize = _push(qn, qk, qpos, qsize, v, prio)  # lazy update: not the minimum
                        break
                    simulate = False
                    continue
                # contract v: add its shortcuts, mark it
                for s in range(ns):
                    if ne == len(e_src):
                        size = 2 * ne
                        e_src = _grow(e_src, size)
                        e_dst = _grow(e_dst, size)
                        e_w = _grow(e_w, size)
                        out_next = _grow(out_next, size)
                        in_next = _grow(in_next, size)
                    a, b = sc_u[s], sc_v[s]
                    e_src[ne], e_dst[ne], e_w[ne] = a, b, sc_w[s]
                    out_next[ne] = out_head[a]
                    out_head[a] = ne
                    in_next[ne] = in_head[b]
                    in_head[b] = ne
                    ne += 1
                contracted[v] = True
                rank[v] = order
                order += 1
                for p in range(ni):
                    deleted[in_u[p]] += 1
                for q in range(no):
                    deleted[out_v[q]] += 1
                break
    return rank, e_src[:ne], e_dst[:ne], e_w[:ne], ne - m


def _csr_min(key: np.ndarray, other: np.ndarray, w: np.ndarray, n: int):
    """CSR grouped by ``key`` keeping the lightest of parallel edges."""
    order = np.lexsort((w, other, key))
    key, other, w = key[order], other[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = (key[1:] != key[:-1]) | (other[1:] != other[:-1])
    key, other, w = key[first], other[first], w[first]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, key + 1, 1)
    return np.cumsum(ptr), other.astype(np.int64), w.astype(np.float64)


def build_ch(graph: sp.csr_matrix) -> ContractionHierarchy:
    """Contract a travel-time CSR (u → v, seconds) into a :class:`ContractionHierarchy`."""
    g = sp.csr_matrix(graph, dtype=np.float64)
    n = g.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    rank, src, dst, w, n_sc = _contract(n, rows, g.indices.astype(np.int64), g.data.copy())
    upward = rank[dst] > rank[src]
    up = _csr_min(src[upward], dst[upward], w[upward], n)
    dn = _csr_min(dst[~upward], src[~upward], w[~upward], n)
    return ContractionHierarchy(rank, *up, *dn, int(n_sc))


# --------------------------------------------------------------------------- queries
@njit(cache=True)
def _upward(start, ptr, idx, w, sptr, sidx, sw, dist, touched, stall, hn, hk, pos):
    """Upward Dijkstra from ``start`` with stall-on-demand; returns the settled count.

    ``touched[:k]`` holds the nodes reached, ``dist`` their distance;
    ``stall[x]`` marks a node provably not on a shortest up-down path
    (Schultes 2008: a higher neighbour reaches it faster through the edges
    ``sptr`` / ``sidx`` / ``sw`` of the opposite direction). The caller resets
    ``dist`` and ``stall`` over ``touched[:k]``.
    """
    k = 0
    dist[start] = 0.0
    touched[k] = start
    k += 1
    size = _push(hn, hk, pos, 0, start, 0.0)
    while size > 0:
        x, d, size = _pop(hn, hk, pos, size)
        stalled = False
        for e in range(sptr[x], sptr[x + 1]):
            if dist[sidx[e]] + sw[e] < d:
                stalled = True
                break
        if stalled:
            stall[x] = True
            continue
        for e in range(ptr[x], ptr[x + 1]):
            y = idx[e]
            nd = d + w[e]
            if nd < dist[y]:
                if dist[y] == np.inf:
                    touched[k] = y
                    k += 1
                dist[y] = nd
                size = _push(hn, hk, pos, size, y, nd)
    return k


@njit(cache=True)
def _many_to_many(n, up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w, sources, targets):
    n_t = len(targets)
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    stall = np.zeros(n, np.bool_)
    hn = np.empty(n, np.int64)
    hk = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int64)
    # backward searches: bucket entries (node, target, d)
    cap = 64 * n_t + 16
    b_node = np.empty(cap, np.int64)
    b_t = np.empty(cap, np.int64)
    b_d = np.empty(cap, np.float64)
    nb = 0
    for j in range(n_t):
        k = _upward(targets[j], dn_ptr, dn_idx, dn_w, up_ptr, up_idx, up_w, dist, touched, stall, hn, hk, pos)
        if nb + k > len(b_node):
            size = max(2 * len(b_node), nb + k)
            b_node = _grow(b_node, size)
            b_t = _grow(b_t, size)
            b_d = _grow(b_d, size)
        for i in range(k):
            x = touched[i]
            if not stall[x]:
                b_node[nb], b_t[nb], b_d[nb] = x, j, dist[x]
                nb += 1
            dist[x] = np.inf
            stall[x] = False
    # counting sort of the entries by node
    ptr = np.zeros(n + 1, np.int64)
    for i in range(nb):
        ptr[b_node[i] + 1] += 1
    for x in range(n):
        ptr[x + 1] += ptr[x]
    fill = ptr[:-1].copy()
    bt = np.empty(nb, np.int64)
    bd = np.empty(nb, np.float64)
    for i in range(nb):
        p = fill[b_node[i]]
        bt[p], bd[p] = b_t[i], b_d[i]
        fill[b_node[i]] += 1
    out = np.full((len(sources), n_t), np.inf)
    for s in range(len(sources)):
        k = _upward(sources[s], up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w, dist, touched, stall, hn, hk, pos)
        row = out[s]
        for i in range(k):
            x = touched[i]
            d = dist[x]
            dist[x] = np.inf
            if stall[x]:
                stall[x] = False
                continue
            for p in range(ptr[x], ptr[x + 1]):
                c = d + bd[p]
                if c < row[bt[p]]:
                    row[bt[p]] = c
    return out


def ch_matrix(ch: ContractionHierarchy, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Node-to-node seconds, shape ``(len(sources), len(targets))``; ``inf`` = unreachable."""
    return _many_to_many(
        len(ch.rank),
        ch.up_ptr,
        ch.up_idx,
        ch.up_w,
        ch.dn_ptr,
        ch.dn_idx,
        ch.dn_w,
        np.asarray(sources, dtype=np.int64),
        np.asarray(targets, dtype=np.int64),
    )
