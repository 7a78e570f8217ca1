"""Deterministic synthetic road-like networks for the benchmarks.

The network is a jittered square grid at the scale of a French département
(Lambert-93 coordinates, about 100 km across) with a hierarchy of roads:

* local streets on every grid line (30-50 km/h, a few one-ways, about 8 % of
  street segments removed so that the grid has dead ends and detours);
* a *route départementale* on every 16th row and column (80 km/h);
* a fast road (*nationale* / expressway, 110 km/h) on every 64th row and column.

Edge lengths are the straight-line length between the two nodes times a small
random detour factor (1.0-1.25), and travel times are length / speed. Everything
depends only on ``seed``, so two runs build the same network.

Use it from another benchmark with::

    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic import road_like_network, synthetic_services
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticNetwork", "road_like_network", "synthetic_services"]

#: Lower-left corner of the grid, in Lambert-93 metres (roughly the Landes).
ORIGIN_X = 350_000.0
ORIGIN_Y = 6_250_000.0


@dataclass(frozen=True)
class SyntheticNetwork:
    """Arrays of a synthetic directed road network (node indices 0..n-1)."""

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.u)


def road_like_network(
    side: int = 400,
    spacing_m: float = 250.0,
    seed: int = 42,
    removed_share: float = 0.08,
    oneway_share: float = 0.05,
) -> SyntheticNetwork:
    """Build a département-sized, road-like directed network.

    Parameters
    ----------
    side : int
        Nodes per grid side (``side**2`` nodes; 400 gives 160,000 nodes and
        about 590,000 directed edges).
    spacing_m : float
        Grid spacing in metres (250 m × 400 = 100 km across).
    seed : int
        Seed of the random generator: same seed, same network.
    removed_share : float
        Share of local street segments removed.
    oneway_share : float
        Share of the remaining local street segments that are one-way.

    Returns
    -------
    SyntheticNetwork
    """
    rng = np.random.default_rng(seed)
    n = side * side
    ii, jj = np.divmod(np.arange(n), side)  # row, column
    jitter = rng.uniform(-0.3, 0.3, size=(2, n)) * spacing_m
    x = ORIGIN_X + jj * spacing_m + jitter[0]
    y = ORIGIN_Y + ii * spacing_m + jitter[1]

    # undirected segments: horizontal (a -> a+1) and vertical (a -> a+side)
    node = np.arange(n).reshape(side, side)
    h_a, h_b = node[:, :-1].ravel(), node[:, 1:].ravel()
    v_a, v_b = node[:-1, :].ravel(), node[1:, :].ravel()
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    # the grid line a segment lies on decides its road class
    line = np.concatenate([ii[h_a], jj[v_a]])
    speed_kmh = np.where(line % 64 == 0, 110.0, np.where(line % 16 == 0, 80.0, 0.0))
    local = speed_kmh == 0
    speed_kmh[local] = rng.choice([30.0, 50.0], size=local.sum(), p=[0.3, 0.7])

    keep = ~local | (rng.random(len(a)) >= removed_share)
    a, b, speed_kmh, local = a[keep], b[keep], speed_kmh[keep], local[keep]
    detour = rng.uniform(1.0, 1.25, size=len(a))
    length = np.hypot(x[b] - x[a], y[b] - y[a]) * detour
    time = length / (speed_kmh / 3.6)

    oneway = local & (rng.random(len(a)) < oneway_share)
    flip = rng.random(len(a)) < 0.5  # one-ways go either way
    fwd_u = np.where(oneway & flip, b, a)
    fwd_v = np.where(oneway & flip, a, b)
    two = ~oneway
    u = np.concatenate([fwd_u, b[two]])
    v = np.concatenate([fwd_v, a[two]])
    length_m = np.concatenate([length, length[two]])
    travel_time_s = np.concatenate([time, time[two]])
    order = np.lexsort((v, u))
    return SyntheticNetwork(
        x=x,
        y=y,
        u=u[order].astype(np.int64),
        v=v[order].astype(np.int64),
        length_m=length_m[order],
        travel_time_s=travel_time_s[order],
    )


def synthetic_services(net: SyntheticNetwork, k: int = 20, seed: int = 7, crs: str = "EPSG:2154"):
    """Pick ``k`` service points near random nodes (within 60 m), deterministically.

    Returns
    -------
    GeoDataFrame
        ``service_id`` ("S01", "S02"...), ``nom``, ``geometry`` (Point, ``crs``).
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, size=k, replace=False)
    angle = rng.uniform(0, 2 * np.pi, size=k)
    dist = rng.uniform(0, 60, size=k)
    px = net.x[nodes] + dist * np.cos(angle)
    py = net.y[nodes] + dist * np.sin(angle)
    ids = [f"S{i + 1:02d}" for i in range(k)]
    return gpd.GeoDataFrame(
        {"service_id": ids, "nom": [f"Service {i}" for i in ids]},
        geometry=gpd.points_from_xy(px, py),
        crs=crs,
    )
