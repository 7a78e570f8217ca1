"""Nested isochrone polygons (time bands to the nearest service) from node times.

Method (details and rationale in ``docs/routing.md``)
-----------------------------------------------------
1. Times home → service at every node come from one multi-source Dijkstra
   pass (:mod:`accessibilite.routing`, access legs of the services included);
   with ``per_service=True``, one pass per service bounded by the largest band.
2. Every directed edge ``u → v`` is sampled every ``cell_m`` metres along the
   straight segment between its nodes; a point at fraction ``f`` from ``u``
   reaches the service in ``t[v] + (1 - f) · w(u, v)``. Partially reached
   edges are therefore cut where the remaining time runs out.
3. The minimum time of the samples falling in each cell of a square grid is
   spread to the four corners of the cell, then to every grid corner within
   ``buffer_m`` (a flat disc: the service area is the reached road network
   widened by ``buffer_m`` on each side, as in OSMnx's isochrone recipe).
4. The band polygon for ``T`` minutes is the filled contour ``{z ≤ T}`` of
   that corner grid (``contourpy``). A node whose time is ≤ ``T`` has its cell's
   four corners ≤ ``T``, so it lies inside the polygon.
5. Bands are made nested by construction: each polygon is unioned with the
   previous (smaller) band.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from ..errors import InputError
from . import routing

__all__ = ["isochrones"]

#: Half-width (m) of the band around the reached road network.
BUFFER_M = 100.0
#: Target number of grid cells for the automatic cell size.
TARGET_CELLS = 1_500_000
#: Smallest automatic cell size (m).
MIN_CELL_M = 25.0


def _validate_bands(bands_min: Any) -> np.ndarray:
    """Bands in minutes → sorted int array; empty, non-positive, unsorted → InputError.

    A single number is one band; a string is refused (``"15"`` would read as 1 and 5).
    """
    if isinstance(bands_min, str | bytes):
        raise InputError(
            f"bandes de temps invalides : {bands_min!r} (des minutes sont attendues, "
            "ex. (10, 20, 30), pas un texte)"
        )
    if isinstance(bands_min, int | float | np.number):
        bands_min = [bands_min]
    try:
        raw = np.asarray(list(bands_min), dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"bandes de temps invalides : {bands_min!r} (minutes attendues)") from exc
    if raw.size == 0:
        raise InputError("bandes de temps vides : donner au moins une durée en minutes")
    if not np.isfinite(raw).all() or (raw <= 0).any():
        raise InputError(f"bandes de temps invalides : {list(raw)} (minutes > 0 attendues)")
    if (raw != np.round(raw)).any():
        raise InputError(f"bandes de temps non entières : {list(raw)} (minutes entières attendues)")
    if (np.diff(raw) <= 0).any():
        raise InputError(
            f"bandes de temps non triées ou répétées : {list(raw.astype(int))} "
            "(ordre strictement croissant attendu, ex. (10, 20, 30))"
        )
    return raw.astype(int)


def _edges(net: Any):
    """Cached edge arrays: u, v, time (s), straight-line segment length (m)."""

    def build():
        g = routing._graph(net)
        n = g.shape[0]
        u = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
        v = g.indices.astype(np.int64)
        seg = np.hypot(net.x[v] - net.x[u], net.y[v] - net.y[u])
        return u, v, g.data, seg

    return routing._cached(net, "_iso_edges", net.graph, build)


def _samples(net: Any, time: np.ndarray, t_max: float, step: float):
    """Points along reached edges (and reached nodes) with their time to the service."""
    u, v, w, seg = _edges(net)
    keep = time[v] <= t_max
    u, v, w, seg = u[keep], v[keep], w[keep], seg[keep]
    count = np.maximum(np.ceil(seg / step), 1).astype(np.int64) + 1  # points, ends included
    edge = np.repeat(np.arange(len(u)), count)
    start = np.cumsum(count) - count
    k = np.arange(len(edge)) - start[edge]
    f = k / (count[edge] - 1)  # fraction from u
    ue, ve = u[edge], v[edge]
    t = time[ve] + (1.0 - f) * w[edge]
    sx = net.x[ue] + f * (net.x[ve] - net.x[ue])
    sy = net.y[ue] + f * (net.y[ve] - net.y[ue])
    node = np.flatnonzero(time <= t_max)  # nodes without in-edge (e.g. a service's node)
    sx = np.concatenate([sx, net.x[node]])
    sy = np.concatenate([sy, net.y[node]])
    t = np.concatenate([t, time[node]])
    ok = t <= t_max
    return sx[ok], sy[ok], t[ok]


def _disc_offsets(radius_cells: float) -> list[tuple[int, int]]:
    r = int(np.floor(radius_cells))
    return [
        (i, j)
        for i in range(-r, r + 1)
        for j in range(-r, r + 1)
        if (i, j) != (0, 0) and i * i + j * j <= radius_cells * radius_cells + 1e-9
    ]


def _corner_grid(sx, sy, t, cell: float, buffer_m: float, fill: float):
    """Grid of corner values: min sample time per cell → 4 corners → disc of ``buffer_m``."""
    pad = int(np.ceil(buffer_m / cell)) + 1
    x0 = np.floor(sx.min() / cell) * cell - pad * cell
    y0 = np.floor(sy.min() / cell) * cell - pad * cell
    ix = ((sx - x0) // cell).astype(np.int64)
    iy = ((sy - y0) // cell).astype(np.int64)
    nx, ny = int(ix.max()) + pad + 1, int(iy.max()) + pad + 1
    cells = np.full(ny * nx, fill)
    np.minimum.at(cells, iy * nx + ix, t)
    cells = cells.reshape(ny, nx)
    corners = np.full((ny + 1, nx + 1), fill)  # corner (i, j) at (x0 + j·cell, y0 + i·cell)
    for di in (0, 1):
        for dj in (0, 1):
            view = corners[di : di + ny, dj : dj + nx]
            np.minimum(view, cells, out=view)
    if buffer_m > 0:
        base = corners.copy()
        h, w = base.shape
        for di, dj in _disc_offsets(buffer_m / cell):
            dst = corners[max(di, 0) : h + min(di, 0), max(dj, 0) : w + min(dj, 0)]
            src = base[max(-di, 0) : h + min(-di, 0), max(-dj, 0) : w + min(-dj, 0)]
            np.minimum(dst, src, out=dst)
    gx = x0 + cell * np.arange(nx + 1)
    gy = y0 + cell * np.arange(ny + 1)
    return gx, gy, corners


def _contours(gx, gy, z, levels_s) -> list:
    """Filled contours ``{z ≤ level}`` as shapely (Multi)Polygons, one per level."""
    import contourpy

    gen = contourpy.contour_generator(
        gx, gy, z, name="serial", fill_type=contourpy.FillType.ChunkCombinedOffsetOffset
    )
    low = float(np.min(z)) - 1.0
    out = []
    for level in levels_s:
        if float(level) <= low:  # every sample beyond the band (a long access leg): empty band
            out.append(shapely.MultiPolygon())
            continue
        points, offsets, outer = gen.filled(low, float(level))
        parts = []
        for pts, off, oo in zip(points, offsets, outer, strict=True):
            if pts is None or len(pts) == 0:
                continue
            polys = shapely.from_ragged_array(
                shapely.GeometryType.POLYGON, pts, (off.astype(np.int64), oo.astype(np.int64))
            )
            parts.append(polys)
        if parts:
            geom = shapely.multipolygons(np.concatenate(parts))
            if not shapely.is_valid(geom):
                geom = shapely.make_valid(geom)
        else:
            geom = shapely.MultiPolygon()
        out.append(geom)
    return out


def _bands_from_times(net, time, bands, cell, buffer_m) -> list:
    """Nested band geometries for one time field (seconds per node)."""
    levels = bands * 60.0
    t_max = float(levels[-1])
    sx, sy, t = _samples(net, time, t_max, cell)
    if len(t) == 0:
        return [shapely.MultiPolygon() for _ in bands]
    gx, gy, z = _corner_grid(sx, sy, t, cell, buffer_m, fill=2.0 * t_max + 1.0)
    geoms = _contours(gx, gy, z, levels)
    for i in range(1, len(geoms)):  # nested by construction
        geoms[i] = shapely.union(geoms[i], geoms[i - 1])
    return geoms


def _auto_cell(net, buffer_m: float) -> float:
    x, y = np.asarray(net.x), np.asarray(net.y)
    area = max(float(np.ptp(x)) * float(np.ptp(y)), 1.0)
    return max(MIN_CELL_M, buffer_m / 2.0, float(np.sqrt(area / TARGET_CELLS)))


def isochrones(
    net: Any,
    services: Any,
    bands_min: Any = (10, 20, 30),
    per_service: bool = False,
    *,
    buffer_m: float = BUFFER_M,
    cell_m: float | None = None,
):
    """Nested isochrone polygons: areas within each time band of the nearest service.

    Parameters
    ----------
    net : RoadNetwork
        The network (attributes ``x``, ``y``, ``graph``, ``crs``...).
    services : GeoDataFrame
        Service points with a ``service_id`` column.
    bands_min : sequence of int
        Band limits in minutes, strictly increasing (e.g. ``(10, 20, 30)``).
    per_service : bool
        ``False``: one polygon per band for the nearest service (merged).
        ``True``: one set of bands per service (overlapping between services).
    buffer_m : float
        Half-width of the band around the reached road network (default 100 m).
    cell_m : float, optional
        Grid cell size; default: ``max(25 m, buffer_m / 2, √(extent area / 1.5 M))``.

    Returns
    -------
    GeoDataFrame
        In ``net.crs``: ``bande_min`` (int), ``service_id`` (when
        ``per_service``), ``geometry`` (MultiPolygon, possibly empty), sorted by
        (``service_id``,) ``bande_min``. The polygon of a band contains the
        polygons of the smaller bands.

    Raises
    ------
    InputError
        Empty, non-positive, non-integer or unsorted bands; bad service set
        (see :func:`accessibilite.routing.nearest`).
    """
    import geopandas as gpd

    bands = _validate_bands(bands_min)
    if not buffer_m >= 0:
        raise InputError(f"buffer_m invalide : {buffer_m!r} (mètres ≥ 0 attendus)")
    cell = float(cell_m) if cell_m is not None else _auto_cell(net, buffer_m)
    if not cell > 0:
        raise InputError(f"cell_m invalide : {cell_m!r} (mètres > 0 attendus)")
    ids, nodes, leg_s, _ = routing._service_legs(net, services)
    if not per_service:
        # bounded: the search stops at the outer band (beyond it: inf)
        time, _, _ = routing._multi_source(net, nodes, leg_s, limit_s=float(bands[-1]) * 60.0)
        geoms = _bands_from_times(net, time, bands, cell, buffer_m)
        return gpd.GeoDataFrame({"bande_min": bands}, geometry=geoms, crs=net.crs)

    gt = routing._graph_t(net)
    n = gt.shape[0]
    aug = routing._with_virtual_sources(gt, nodes, leg_s)
    by_id = {}
    block = max(1, routing._MATRIX_BLOCK_CELLS // (n + len(nodes)))
    starts = range(0, len(nodes), block)
    bar = routing._progress(None, len(nodes), "isochrones par service")
    for start in starts:
        virtual = np.arange(n + start, n + min(start + block, len(nodes)))
        times = dijkstra(aug, indices=virtual, limit=float(bands[-1]) * 60.0)
        for j, row in enumerate(times):
            by_id[ids[start + j]] = _bands_from_times(net, row[:n], bands, cell, buffer_m)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    rows_id, rows_band, rows_geom = [], [], []
    empty = [shapely.MultiPolygon() for _ in bands]
    # ids keep their type (sorted as text); ignored services get empty bands
    for sid in sorted(services["service_id"].tolist(), key=str):
        for band, geom in zip(bands, by_id.get(sid, empty), strict=True):
            rows_id.append(sid)
            rows_band.append(int(band))
            rows_geom.append(geom)
    return gpd.GeoDataFrame(
        {"bande_min": np.asarray(rows_band, dtype=int), "service_id": rows_id},
        geometry=rows_geom,
        crs=net.crs,
    )
