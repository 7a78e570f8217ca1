"""Geofabrik "free" roads layer (``gis_osm_roads_free_1``) → OpenStreetMap ``.osm.pbf``.

Peer routing engines (OSRM, Valhalla...) read OSM PBF files, while the project's
real test data are Geofabrik free-layout road files (shapefile zip or GeoPackage,
see ``shared/data/roads/osm-geofabrik-2021/PROVENANCE.md``). This module rebuilds
a routable PBF from such a file so that the engines and the library can be run on
exactly the same roads::

    python benchmarks/geofabrik_pbf.py SRC OUT.osm.pbf [--tiles N] [--layer NAME]
                                       [--levels endpoints|strict|ignore]

or, from Python (``benchmarks/`` on ``sys.path``)::

    from geofabrik_pbf import geofabrik_to_pbf
    stats = geofabrik_to_pbf("osm-roads-05.gpkg", "05.osm.pbf")

What is written
---------------
* One OSM node per distinct coordinate (rounded to the PBF's 1e-7 degree
  resolution) and *level*, the level being the way's ``(layer, bridge, tunnel)``.
  Ways of different levels that share a coordinate get different nodes there,
  except, with ``levels="endpoints"`` (the default), where one of those ways *ends*
  at that coordinate: a bridge or tunnel way starts and ends on the ways that
  lead to it, and in OSM those are the same node (on 05, 4,251 of the 4,269
  coordinates shared by several levels are such attachments; cutting them, as
  ``levels="strict"`` does, detaches nearly every bridge and tunnel from the
  network). Only crossings in the middle of ways of different levels stay apart.
  ``levels="ignore"`` makes one node per coordinate whatever the levels.
* One way per Geofabrik row, with the row's ``osm_id`` as way id when every
  ``osm_id`` is a distinct integer (else 1..n in file order), and the tags
  ``highway`` (= ``fclass``; ``track_grade1..5`` → ``highway=track`` +
  ``tracktype=grade1..5``; ``unknown`` → ``highway=road``), ``oneway``
  (``F`` → ``yes``, ``T`` → ``-1``, ``B`` → no tag), ``maxspeed`` (when > 0),
  ``name``, ``ref``, ``layer`` (when not 0), ``bridge=yes``, ``tunnel=yes``.
  Vertices repeated in a row are written once; a way left with fewer than two
  nodes is skipped (counted in the returned stats).
* Nodes first, sorted by id, then ways sorted by id: a valid, sorted PBF.
* ``tiles=N`` writes N copies of the network side by side in longitude, each one
  shifted by the bounding-box width plus a margin (5 % of the width, at least
  0.05°), with node and way ids shifted by a per-copy stride: a synthetic
  N-times-larger network (copies are not connected to each other). A point
  ``(lon, lat)`` of the source lies at ``(lon + offset[0] + k * stats.tile_shift,
  lat + offset[1])`` in copy ``k`` (0-based). Copy ``k``'s node ids are
  ``id_offset + k * n + 1 .. id_offset + (k + 1) * n`` (``n`` nodes per copy), its
  way ids ``id_offset + k * max_way_id + way_id``.

Importing this module does no work; pyogrio, shapely and osmium are imported by
the function itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PbfStats", "geofabrik_to_pbf", "main"]

_SCALE = 10_000_000  # PBF coordinates: 100 nanodegrees
_LEVEL_MODES = ("endpoints", "strict", "ignore")


@dataclass(frozen=True)
class PbfStats:
    """What :func:`geofabrik_to_pbf` wrote."""

    path: Path
    nodes: int
    ways: int
    skipped_ways: int
    tiles: int
    bbox: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max (all tiles)
    tile_shift: float  # longitude shift between two copies (0 when tiles == 1)
    seconds: float


def _highway_tags(fclass: str) -> list[tuple[str, str]]:
    if fclass.startswith("track_grade"):
        return [("highway", "track"), ("tracktype", "grade" + fclass[len("track_grade") :])]
    if not fclass or fclass == "unknown":
        return [("highway", "road")]
    return [("highway", fclass)]


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    text = str(value).strip()
    return text or None


def _number(value) -> float | None:
    """A finite float, or None (None, NaN, pandas NA, text that is no number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _is_true(frame, column: str) -> np.ndarray:
    """Geofabrik's ``T`` / ``F`` flags as booleans (missing column or value: False)."""
    if column not in frame:
        return np.zeros(len(frame), bool)
    return frame[column].eq("T").fillna(False).to_numpy(dtype=bool)


def _level_codes(frame) -> np.ndarray:
    """One small integer per row for its ``(layer, bridge, tunnel)``."""
    n = len(frame)
    layer = (
        np.nan_to_num(frame["layer"].to_numpy(dtype=np.float64, na_value=np.nan))
        .round()
        .astype(np.int64)
        if "layer" in frame
        else np.zeros(n, np.int64)
    )
    bridge = _is_true(frame, "bridge")
    tunnel = _is_true(frame, "tunnel")
    raw = (layer - layer.min()) * 4 + bridge * 2 + tunnel
    _, codes = np.unique(raw, return_inverse=True)
    return codes.astype(np.int64)


def _way_ids(frame) -> np.ndarray:
    n = len(frame)
    if "osm_id" in frame:
        try:
            ids = np.asarray(frame["osm_id"].astype("int64").to_numpy(), dtype=np.int64)
        except (TypeError, ValueError):
            ids = None
        if ids is not None and n and ids.min() > 0 and len(np.unique(ids)) == n:
            return ids
    return np.arange(1, n + 1, dtype=np.int64)


def _way_tags(frame) -> list[list[tuple[str, str]]]:
    n = len(frame)

    def column(name):
        return frame[name].tolist() if name in frame else [None] * n

    fclass, oneway, maxspeed = column("fclass"), column("oneway"), column("maxspeed")
    name, ref, layer = column("name"), column("ref"), column("layer")
    bridge, tunnel = column("bridge"), column("tunnel")
    out = []
    for i in range(n):
        tags = _highway_tags(_text(fclass[i]) or "unknown")
        if oneway[i] == "F":
            tags.append(("oneway", "yes"))
        elif oneway[i] == "T":
            tags.append(("oneway", "-1"))
        speed = _number(maxspeed[i])
        if speed is not None and speed > 0:
            tags.append(("maxspeed", str(int(round(speed)))))
        for key, value in (("name", name[i]), ("ref", ref[i])):
            value = _text(value)
            if value is not None:
                tags.append((key, value))
        lay = _number(layer[i])
        if lay is not None and int(round(lay)) != 0:
            tags.append(("layer", str(int(round(lay)))))
        if bridge[i] == "T":
            tags.append(("bridge", "yes"))
        if tunnel[i] == "T":
            tags.append(("tunnel", "yes"))
        out.append(tags)
    return out


def geofabrik_to_pbf(
    source,
    out_path,
    *,
    layer: str | None = None,
    offset: tuple[float, float] = (0.0, 0.0),
    id_offset: int = 0,
    tiles: int = 1,
    levels: str = "endpoints",
) -> PbfStats:
    """Write the Geofabrik free roads file ``source`` as the OSM PBF ``out_path``.

    Parameters
    ----------
    source : path
        Shapefile, zipped shapefile or GeoPackage in the Geofabrik free layout
        (``osm_id, code, fclass, name, ref, oneway, maxspeed, layer, bridge,
        tunnel``), any CRS (reprojected to WGS84 when needed). Line strings
        (multi-line strings are split into their parts, one way each).
    out_path : path
        The ``.osm.pbf`` to write (overwritten).
    layer : str, optional
        Layer to read (default: the only or first one, e.g. ``gis_osm_roads_free_1``).
    offset : (float, float)
        Added to every longitude and latitude, in degrees.
    id_offset : int
        Added to every node id and way id.
    tiles : int
        Number of side-by-side copies (see the module docstring).
    levels : {"endpoints", "strict", "ignore"}
        How ways of different ``(layer, bridge, tunnel)`` share nodes at a common
        coordinate: only where one of them ends there (default), never, or always.

    Returns
    -------
    PbfStats
    """
    import osmium
    import pyogrio
    import shapely
    from osmium.osm.mutable import Node, Way

    if levels not in _LEVEL_MODES:
        raise ValueError(f"levels must be one of {_LEVEL_MODES}, not {levels!r}")
    tiles = int(tiles)
    if tiles < 1:
        raise ValueError("tiles must be >= 1")
    start_time = time.perf_counter()
    out_path = Path(out_path)

    frame = pyogrio.read_dataframe(source, layer=layer)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if (frame.geometry.geom_type != "LineString").any():
        frame = frame.explode(index_parts=False)
    frame = frame.reset_index(drop=True)
    n_rows = len(frame)
    if n_rows == 0:
        raise ValueError(f"{source}: no line to convert")

    # --- vertices → nodes (vectorised) -------------------------------------------
    xy, row = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    xy = xy + np.asarray(offset, dtype=np.float64)
    q = np.round(xy * _SCALE).astype(np.int64)  # PBF resolution
    counts = np.bincount(row, minlength=n_rows)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(len(row)) - starts[row]
    is_end = (pos == 0) | (pos == counts[row] - 1)

    # one id per distinct coordinate (x, y packed in 64 bits)
    packed = ((q[:, 0] + 2**31).astype(np.uint64) << np.uint64(32)) | (q[:, 1] + 2**31).astype(
        np.uint64
    )
    coord_keys, coord = np.unique(packed, return_inverse=True)
    if levels == "ignore":
        vlevel = np.zeros(len(row), np.int64)
    else:
        vlevel = _level_codes(frame)[row] + 1
        if levels == "endpoints":
            ends_here = np.zeros(len(coord_keys), bool)
            ends_here[coord[is_end]] = True
            vlevel[ends_here[coord]] = 0  # a way ends here: every level joins
    node_key = coord.astype(np.int64) * (int(vlevel.max()) + 1) + vlevel
    node_keys, node_of_vertex = np.unique(node_key, return_inverse=True)
    n_nodes = len(node_keys)
    first_vertex = np.zeros(n_nodes, np.int64)
    first_vertex[node_of_vertex[::-1]] = np.arange(len(row))[::-1]
    node_q = q[first_vertex]  # (n_nodes, 2) integer coordinates, sorted like node ids

    # drop a vertex that repeats the previous one's node on the same way
    repeat = np.zeros(len(row), bool)
    repeat[1:] = (node_of_vertex[1:] == node_of_vertex[:-1]) & (row[1:] == row[:-1])
    keep_row = row[~repeat]
    keep_node = node_of_vertex[~repeat] + 1  # node ids start at 1
    kept_counts = np.bincount(keep_row, minlength=n_rows)
    bounds = np.concatenate(([0], np.cumsum(kept_counts)))
    valid = kept_counts >= 2

    way_ids = _way_ids(frame)
    tags = _way_tags(frame)
    order = np.argsort(way_ids, kind="stable")
    order = order[valid[order]]

    # --- tiling ------------------------------------------------------------------
    lon_min, lat_min = node_q.min(axis=0) / _SCALE
    lon_max, lat_max = node_q.max(axis=0) / _SCALE
    width = lon_max - lon_min
    shift = width + max(0.05 * width, 0.05) if tiles > 1 else 0.0
    shift_q = int(round(shift * _SCALE))
    node_stride = n_nodes
    way_stride = int(way_ids.max()) if n_rows else 0
    if lon_max + (tiles - 1) * shift > 180.0:
        raise ValueError(f"{tiles} tiles of {shift:.3f}° pass longitude 180°")

    # --- write -------------------------------------------------------------------
    header = osmium.io.Header()
    header.set("generator", "accessibilite benchmarks/geofabrik_pbf.py")
    header.set("sorting", "Type_then_ID")  # PBF optional feature Sort.Type_then_ID
    header.add_box(
        osmium.osm.Box(
            osmium.osm.Location(lon_min, lat_min),
            osmium.osm.Location(lon_max + (tiles - 1) * shift, lat_max),
        )
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    lons = node_q[:, 0].tolist()
    lats = node_q[:, 1].tolist()
    refs = keep_node.tolist()
    bounds_list = bounds.tolist()
    ids_list = way_ids.tolist()
    with osmium.SimpleWriter(str(out_path), overwrite=True, header=header) as writer:
        for k in range(tiles):
            base = id_offset + k * node_stride
            dx = k * shift_q
            for i in range(n_nodes):
                writer.add_node(
                    Node(id=base + i + 1, location=((lons[i] + dx) / _SCALE, lats[i] / _SCALE))
                )
        for k in range(tiles):
            node_base = id_offset + k * node_stride
            way_base = id_offset + k * way_stride
            for r in order.tolist():
                nodes = refs[bounds_list[r] : bounds_list[r + 1]]
                if node_base:
                    nodes = [n + node_base for n in nodes]
                writer.add_way(Way(id=way_base + ids_list[r], nodes=nodes, tags=tags[r]))

    return PbfStats(
        path=out_path,
        nodes=n_nodes * tiles,
        ways=len(order) * tiles,
        skipped_ways=int(n_rows - len(order)) * tiles,
        tiles=tiles,
        bbox=(float(lon_min), float(lat_min), float(lon_max + (tiles - 1) * shift), float(lat_max)),
        tile_shift=float(shift),
        seconds=time.perf_counter() - start_time,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="Geofabrik free roads file (.shp, .shp.zip, .gpkg)")
    parser.add_argument("out", help="output .osm.pbf")
    parser.add_argument("--layer", default=None, help="layer name (default: first)")
    parser.add_argument("--tiles", type=int, default=1, help="side-by-side copies (default 1)")
    parser.add_argument("--id-offset", type=int, default=0)
    parser.add_argument(
        "--offset", type=float, nargs=2, default=(0.0, 0.0), metavar=("DLON", "DLAT")
    )
    parser.add_argument("--levels", choices=_LEVEL_MODES, default="endpoints")
    args = parser.parse_args(argv)
    stats = geofabrik_to_pbf(
        args.source,
        args.out,
        layer=args.layer,
        offset=tuple(args.offset),
        id_offset=args.id_offset,
        tiles=args.tiles,
        levels=args.levels,
    )
    print(
        f"{stats.path}: {stats.nodes:,} nodes, {stats.ways:,} ways "
        f"({stats.skipped_ways:,} skipped), {stats.tiles} tile(s), "
        f"bbox {', '.join(f'{v:.5f}' for v in stats.bbox)}, {stats.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
