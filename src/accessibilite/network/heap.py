"""Indexed binary min-heap for the numba kernels of :mod:`.ch`.

A heap of nodes keyed by float64, with the position of each node (``pos[x] =
-1`` when absent) so that a key is lowered in place: at most one entry per
node, capacity n, no allocation inside the searches.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def _sift_up(hn, hk, pos, i):
    node, key = hn[i], hk[i]
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hn[i], hk[i] = hn[parent], hk[parent]
        pos[hn[i]] = i
        i = parent
    hn[i], hk[i] = node, key
    pos[node] = i


@njit(cache=True)
def _push(hn, hk, pos, size, node, key):
    """Insert ``node`` or lower its key; returns the new heap size."""
    i = pos[node]
    if i < 0:
        i = size
        size += 1
    elif hk[i] <= key:
        return size
    hn[i], hk[i] = node, key
    _sift_up(hn, hk, pos, i)
    return size


@njit(cache=True)
def _pop(hn, hk, pos, size):
    """Remove the minimum; returns ``(node, key, new size)``."""
    top, key = hn[0], hk[0]
    pos[top] = -1
    size -= 1
    if size > 0:
        node, nkey = hn[size], hk[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= nkey:
                break
            hn[i], hk[i] = hn[c], hk[c]
            pos[hn[i]] = i
            i = c
        hn[i], hk[i] = node, nkey
        pos[node] = i
    return top, key, size


@njit(cache=True)
def _clear(hn, pos, size):
    for i in range(size):
        pos[hn[i]] = -1
