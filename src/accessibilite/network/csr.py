"""Compact form of a road network: validated edge arrays → a pair of CSR matrices.

Private helpers of :class:`accessibilite.network.RoadNetwork`: node indices and
edge weights are checked (``NetworkError`` naming the array), parallel edges
are reduced to the fastest one, and travel times are kept strictly positive.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..errors import NetworkError

#: Smallest edge travel time (s): zero-time edges would be ambiguous in scipy.sparse.
MIN_TIME_S = 1e-3


def as_index(values, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values).ravel()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_float = arr.astype(np.float64)
        if not (np.isfinite(as_float).all() and (as_float == np.round(as_float)).all()):
            raise NetworkError(f"indices de nœuds non entiers dans {name}")
        arr = as_float
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} indice(s) de nœud hors de 0..{n - 1} dans {name} "
            f"(premier : {int(arr[bad][0])})"
        )
    return arr


def check_weights(values: np.ndarray, name: str) -> None:
    if np.isnan(values).any():
        raise NetworkError(f"{int(np.isnan(values).sum())} valeur(s) NaN dans {name}")
    if np.isinf(values).any():
        raise NetworkError(f"{int(np.isinf(values).sum())} valeur(s) infinie(s) dans {name}")
    if (values < 0).any():
        raise NetworkError(f"{int((values < 0).sum())} valeur(s) négative(s) dans {name}")


def build_csr(u, v, t, lengths, n):
    """CSR matrices (time, length), fastest of parallel edges kept, times ≥ MIN_TIME_S."""
    t = np.maximum(t, MIN_TIME_S)
    order = np.lexsort((lengths, t, v, u))
    u, v, t, lengths = u[order], v[order], t[order], lengths[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, t, lengths = u[first], v[first], t[first], lengths[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return csr_pair(indptr, v, t, lengths, n)


def csr_pair(indptr, indices, time, length, n: int):
    """Travel-time and length CSR matrices (n × n) sharing one sparsity pattern."""
    indices = np.asarray(indices).astype(np.int32 if n < 2**31 else np.int64)
    graph = sparse.csr_matrix((time, indices, indptr), shape=(n, n))
    length = sparse.csr_matrix(
        (np.asarray(length, dtype=np.float64), indices.copy(), np.array(indptr)), shape=(n, n)
    )
    return graph, length
