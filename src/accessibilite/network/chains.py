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
    node, other = np.concatenate([a, b]), np.concatenate([b, a])
    incident = np.bincount(node, minlength=n)
    # a node with two incident segments has two distinct neighbours unless both
    # segments lead to the same node o, i.e. unless 2·o equals the sum of the
    # two neighbours (exact: integer sums far below 2**53)
    total = np.bincount(node, weights=other, minlength=n)
    twice = np.zeros(n, dtype=bool)
    twice[node[2 * other.astype(np.float64) == total[node]]] = True
    through = (incident == 2) & ~twice & ((degree == 2) | (degree == 4))
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
    rec_walk, rec_seg, rec_fwd, rec_from : ndarray
        One row per (walk, segment) visited, ordered by walk then rank along
        it: the walk, the segment, whether it is travelled a → b, and the node
        it is entered from.
    """
    first, second = _pairs(a, b, kept)
    itype = np.int32 if 2 * a.size < 2**31 and kept.size < 2**31 else np.int64
    a, b = a.astype(itype, copy=False), b.astype(itype, copy=False)
    first, second = first.astype(itype), second.astype(itype)
    node = np.concatenate([a, b])
    seg = np.concatenate([np.arange(a.size, dtype=itype), np.arange(a.size, dtype=itype)])
    at = kept[node]
    cur_seg, cur_from = seg[at], node[at]
    del node, seg, at
    n_walks = cur_seg.size
    start = cur_from.astype(np.int64)
    end = np.full(n_walks, -1, dtype=np.int64)
    walk_id = np.arange(n_walks, dtype=itype)
    records = []
    while cur_seg.size:
        fwd = a[cur_seg] == cur_from
        to = np.where(fwd, b[cur_seg], a[cur_seg])
        records.append((walk_id, cur_seg, fwd, cur_from))
        stop = kept[to]
        end[walk_id[stop]] = to[stop]
        go = ~stop
        walk_id, cur_seg, to = walk_id[go], cur_seg[go], to[go]
        cur_seg = np.where(first[to] == cur_seg, second[to], first[to])
        cur_from = to
    if not records:
        empty = np.zeros(0, np.int64)
        return start, end, empty, empty, np.zeros(0, bool), empty
    steps = np.array([r[0].size for r in records])
    columns = [list(col) for col in zip(*records, strict=True)]
    del records
    # records come step by step, walks ascending within a step: place each at
    # offset[walk] + step to order them by walk then step, without sorting
    walks_col = np.concatenate(columns[0])
    size = np.bincount(walks_col, minlength=n_walks)
    offset = np.zeros(n_walks, dtype=np.int64)
    np.cumsum(size[:-1], out=offset[1:])
    pos = offset[walks_col] + np.repeat(np.arange(steps.size), steps)
    del offset
    out = []
    for i, parts in enumerate(columns):
        col = walks_col if i == 0 else np.concatenate(parts)
        parts.clear()
        arr = np.empty_like(col)
        arr[pos] = col
        out.append(arr)
        del col
    return start, end, *out


def split(a: np.ndarray, b: np.ndarray, walks: tuple, kept: np.ndarray) -> tuple:
    """The walks cut at every node of ``kept`` they pass through (same format, no new walk)."""
    _, _, w, s, f, frm = walks
    if w.size == 0:
        return walks
    new = np.r_[True, w[1:] != w[:-1]] | kept[frm]
    wid = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    last = np.r_[starts[1:], w.size] - 1
    end = np.where(f[last], b[s[last]], a[s[last]])
    return frm[starts], end, wid, s, f, frm


def loop_nodes(
    walks: tuple, kept: np.ndarray, parallel: bool = True, usable: np.ndarray | None = None
) -> np.ndarray:
    """Also keep the first inner node of loops and of parallel chains.

    A chain back to its own junction would contract to a self-loop, and two
    chains between the same junctions to parallel edges of which only the
    fastest is kept: their roads would vanish from the network. ``usable``
    (one flag per walk) limits both tests to the walks the mode can travel: the
    others are dropped by :func:`contract` and need no split.
    """
    start, end, w, _, _, frm = walks
    if w.size == 0:
        return kept
    size = np.bincount(w, minlength=start.size)
    first = np.r_[0, np.cumsum(size)[:-1]]
    n = kept.size
    consider = size > 0 if usable is None else (size > 0) & usable
    idx = np.flatnonzero(consider)
    # the two walks of a chain (one per direction) share its smallest segment
    chain = np.full(start.size, -1, dtype=np.int64)
    nonempty = size > 0  # reduceat over consecutive non-empty walks: exact ranges
    chain[nonempty] = np.minimum.reduceat(walks[3], first[nonempty])
    chain = chain[idx]
    lo, hi = np.minimum(start[idx], end[idx]), np.maximum(start[idx], end[idx])
    _, pair_id = np.unique(lo * np.int64(n) + hi, return_inverse=True)
    pair_id = pair_id.ravel()
    span = np.int64(walks[3].size + 1)
    key = _sorted_unique(pair_id * span + chain + 1)
    per_pair = np.bincount(key // span, minlength=int(pair_id.max(initial=-1)) + 1)
    dup = np.zeros(start.size, dtype=bool)
    dup[idx] = per_pair[pair_id] > 1
    bad = consider & ((start == end) | (dup & parallel)) & (size >= 2)
    second = first[bad] + 1  # record of the second segment: entered from the first inner node
    kept = kept.copy()
    kept[frm[second]] = True
    return kept


def spacing_nodes(
    a: np.ndarray,
    b: np.ndarray,
    kept: np.ndarray,
    seg_len: np.ndarray,
    walks: tuple,
    max_edge_m: float,
    lon: np.ndarray,
    lat: np.ndarray,
) -> np.ndarray:
    """Also keep the inner node of each chain reached past every ``max_edge_m`` metres.

    The split points are chosen on one walk of each chain (from its end that
    comes first by longitude, then latitude), so both directions share them and
    they do not depend on the order of the input.
    """

    def before(i, j):  # node i sorts before node j by (lon, lat, index)
        return (lon[i] < lon[j]) | (
            (lon[i] == lon[j]) & ((lat[i] < lat[j]) | ((lat[i] == lat[j]) & (i < j)))
        )

    start, end, w, s, f, frm = walks
    if not np.isfinite(max_edge_m) or w.size == 0:
        return kept
    bounds = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
    last = np.r_[bounds[1:], w.size] - 1
    # canonical walk of a chain: from its west-most end (its first inner node for
    # a loop), whatever the order of the input: both directions share the cuts
    first_inner = np.full(start.size, -1, dtype=np.int64)
    last_inner = np.full(start.size, -1, dtype=np.int64)
    many = last > bounds
    first_inner[w[bounds[many]]] = frm[bounds[many] + 1]
    last_inner[w[last[many]]] = frm[last[many]]
    loop = start == end
    canonical = np.where(loop, before(first_inner, last_inner), before(start, end)) & (
        first_inner >= 0
    )  # one-segment walks have no inner node
    pick = canonical[w]
    w, s, f = w[pick], s[pick], f[pick]
    length = seg_len[s]
    cum = np.cumsum(length)
    walk_start = np.r_[True, w[1:] != w[:-1]]
    offset = np.maximum.accumulate(np.where(walk_start, cum - length, 0.0))
    cum_end = np.maximum(cum - offset, 0.0)  # metres from the walk's start
    cum_begin = np.maximum(cum - length - offset, 0.0)  # (rounding: never below 0)
    crossed = np.floor(cum_end / max_edge_m) > np.floor(cum_begin / max_edge_m)
    to = np.where(f, b[s], a[s])
    kept = kept.copy()
    kept[to[crossed]] = True
    return kept


def walk_usable(walks: tuple, ab_ok: np.ndarray, ba_ok: np.ndarray) -> np.ndarray:
    """One flag per walk: every segment of it usable in the direction it is walked."""
    start, _, rec_walk, rec_seg, rec_fwd, _ = walks
    ok = np.where(rec_fwd, ab_ok[rec_seg], ba_ok[rec_seg])
    return np.bincount(rec_walk, weights=~ok, minlength=start.size) == 0


def contract(walks: tuple, ab_ok, ba_ok, t_ab, t_ba, seg_len):
    """Directed contracted edges: one per walk usable along its whole chain.

    Returns ``u, v, time_s, length_m`` (self-loops dropped).
    """
    start, end, rec_walk, rec_seg, rec_fwd, _ = walks
    n = start.size
    bad = ~walk_usable(walks, ab_ok, ba_ok)
    time = np.bincount(
        rec_walk, weights=np.where(rec_fwd, t_ab[rec_seg], t_ba[rec_seg]), minlength=n
    )
    length = np.bincount(rec_walk, weights=seg_len[rec_seg], minlength=n)
    keep = ~bad & (start != end) & (end >= 0)
    return start[keep], end[keep], time[keep], length[keep]
