"""Degree-2 chains of a segment graph: junctions, chain walks, exact contraction.

Private helpers of :mod:`accessibilite.network.build`. Segments are undirected
pairs of node indices ``(a, b)`` with a topological direction (``0`` two-way,
``1`` one-way a → b, ``-1`` one-way b → a). A node is a *junction* by the
rules osmnx uses to simplify a graph (self-loop, no way in or no way out, not
exactly two neighbours with 2 or 4 directed edges) and, in addition, whenever
it does not have exactly two incident segments. Every other node is a shape
point inside a chain of segments between two junctions; chains are walked from
each of their junction ends in one vectorised pass (one numpy step per segment
of the longest chain, over the chains still being walked).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: faster than numpy's hash unique on int64)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def junctions(a: np.ndarray, b: np.ndarray, direction: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the nodes that are chain ends (osmnx ``_is_endpoint`` rules).

    Parameters
    ----------
    a, b : ndarray of int64
        Segment ends (``a != b``).
    direction : ndarray of int8
        0 two-way, 1 one-way a → b, -1 one-way b → a.
    n : int
        Number of nodes.
    """
    tail = np.concatenate([a[direction >= 0], b[direction <= 0]])
    head = np.concatenate([b[direction >= 0], a[direction <= 0]])
    out_deg = np.bincount(tail, minlength=n)
    in_deg = np.bincount(head, minlength=n)
    degree = in_deg + out_deg
    pairs = _sorted_unique(np.concatenate([a, b]) * np.int64(n) + np.concatenate([b, a]))
    neighbours = np.bincount(pairs // n, minlength=n)
    incident = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    through = (neighbours == 2) & ((degree == 2) | (degree == 4)) & (incident == 2)
    return (out_deg == 0) | (in_deg == 0) | ~through


def _pairs(a: np.ndarray, b: np.ndarray, kept: np.ndarray):
    """For each non-junction node, its two incident segments (-1 at junctions)."""
    n = kept.size
    node = np.concatenate([a, b])
    seg = np.concatenate([np.arange(a.size), np.arange(a.size)])
    inner = ~kept[node]
    node, seg = node[inner], seg[inner]
    order = np.argsort(node, kind="stable")
    node, seg = node[order], seg[order]
    first = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -1, dtype=np.int64)
    first[node[0::2]] = seg[0::2]
    second[node[1::2]] = seg[1::2]
    return first, second


def break_cycles(a: np.ndarray, b: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Mark one node of every closed chain without any junction as a junction."""
    n = kept.size
    loose = ~(kept[a] | kept[b])
    if not loose.any():
        return kept
    # segments touching a junction reach it; the rest form paths or rings of inner nodes
    idx = np.flatnonzero(loose)
    graph = sparse.coo_matrix(
        (
            np.ones(idx.size * 2),
            (np.concatenate([a[idx], b[idx]]), np.concatenate([b[idx], a[idx]])),
        ),
        shape=(n, n),
    ).tocsr()
    _, label = csgraph.connected_components(graph, directed=False)
    ends = np.concatenate([a[~loose], b[~loose]])
    touched = np.zeros(label.max() + 1, dtype=bool)
    touched[label[ends[~kept[ends]]]] = True  # this component leads to a junction
    nodes = _sorted_unique(np.concatenate([a[idx], b[idx]]))
    rings = nodes[~touched[label[nodes]]]
    if rings.size:
        lab = label[rings]
        order = np.lexsort((rings, lab))
        rings, lab = rings[order], lab[order]
        firsts = np.ones(rings.size, dtype=bool)
        firsts[1:] = lab[1:] != lab[:-1]
        kept = kept.copy()
        kept[rings[firsts]] = True
    return kept


def walk(a: np.ndarray, b: np.ndarray, kept: np.ndarray):
    """Walk every chain from each of its junction ends.

    Returns
    -------
    start, end : ndarray of int64
        Junction where each walk starts and ends.
    rec_walk, rec_seg, rec_fwd, rec_step : ndarray
        One row per (walk, segment) visited: the walk, the segment, whether it
        is travelled a → b, and its rank in the walk (0 for the first).
    """
    first, second = _pairs(a, b, kept)
    node = np.concatenate([a, b])
    seg = np.concatenate([np.arange(a.size), np.arange(a.size)])
    at = kept[node]
    cur_seg, cur_from = seg[at], node[at]
    order = np.lexsort((cur_seg, cur_from))
    cur_seg, cur_from = cur_seg[order], cur_from[order]
    n_walks = cur_seg.size
    start = cur_from.copy()
    end = np.full(n_walks, -1, dtype=np.int64)
    walk_id = np.arange(n_walks, dtype=np.int64)
    records = []
    step = 0
    while cur_seg.size:
        fwd = a[cur_seg] == cur_from
        to = np.where(fwd, b[cur_seg], a[cur_seg])
        records.append((walk_id, cur_seg, fwd, np.full(cur_seg.size, step, dtype=np.int32)))
        stop = kept[to]
        end[walk_id[stop]] = to[stop]
        go = ~stop
        walk_id, cur_seg, to = walk_id[go], cur_seg[go], to[go]
        cur_seg = np.where(first[to] == cur_seg, second[to], first[to])
        cur_from = to
        step += 1
    if records:
        rec = [np.concatenate(col) for col in zip(*records, strict=True)]
    else:
        rec = [
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
            np.zeros(0, np.int32),
        ]
    return start, end, *rec


def spacing_nodes(
    a: np.ndarray,
    b: np.ndarray,
    kept: np.ndarray,
    seg_len: np.ndarray,
    walks: tuple,
    max_edge_m: float,
) -> np.ndarray:
    """Also keep the inner node of each chain reached past every ``max_edge_m`` metres.

    The split points are chosen on one walk of each chain (the one whose first
    segment has the smaller id), so both directions share them.
    """
    start, end, rec_walk, rec_seg, rec_fwd, rec_step = walks
    if not np.isfinite(max_edge_m) or rec_walk.size == 0:
        return kept
    # order records by walk then step; first and last segment of each walk
    order = np.lexsort((rec_step, rec_walk))
    w, s, f = rec_walk[order], rec_seg[order], rec_fwd[order]
    bounds = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
    last = np.r_[bounds[1:], w.size] - 1
    first_seg = np.full(start.size, -1, dtype=np.int64)
    last_seg = np.full(start.size, -1, dtype=np.int64)
    first_seg[w[bounds]] = s[bounds]
    last_seg[w[last]] = s[last]
    canonical = first_seg < last_seg  # one-segment walks have no inner node
    pick = canonical[w]
    w, s, f = w[pick], s[pick], f[pick]
    length = seg_len[s]
    cum = np.cumsum(length)
    walk_start = np.r_[True, w[1:] != w[:-1]]
    offset = np.maximum.accumulate(np.where(walk_start, cum - length, 0.0))
    cum_end = cum - offset
    cum_begin = cum_end - length
    crossed = np.floor(cum_end / max_edge_m) > np.floor(cum_begin / max_edge_m)
    to = np.where(f, b[s], a[s])
    kept = kept.copy()
    kept[to[crossed]] = True
    return kept


def contract(walks: tuple, ab_ok, ba_ok, t_ab, t_ba, seg_len):
    """Directed contracted edges: one per walk usable along its whole chain.

    Returns ``u, v, time_s, length_m`` (self-loops dropped).
    """
    start, end, rec_walk, rec_seg, rec_fwd, _ = walks
    n = start.size
    ok = np.where(rec_fwd, ab_ok[rec_seg], ba_ok[rec_seg])
    bad = np.bincount(rec_walk, weights=~ok, minlength=n) > 0
    time = np.bincount(
        rec_walk, weights=np.where(rec_fwd, t_ab[rec_seg], t_ba[rec_seg]), minlength=n
    )
    length = np.bincount(rec_walk, weights=seg_len[rec_seg], minlength=n)
    keep = ~bad & (start != end) & (end >= 0)
    return start[keep], end[keep], time[keep], length[keep]
