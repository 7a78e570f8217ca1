"""Streaming OSM reader: ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` → ways for :func:`.build.build`.

One pyosmium pass over the file, with node locations (pyosmium's location
index) and a ``highway`` key filter; each way keeps its node ids, their
longitude / latitude and the tags of :data:`.rules.TAGS`. With a bounding box,
only the ways with at least one node inside it are kept. No osmnx / networkx
graph is built.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, NetworkError
from .build import Lines
from .osm import _osmium
from .rules import TAGS


def read_osm_ways(path: Path, bbox: tuple | None = None) -> tuple[Lines, pd.DataFrame, str | None]:
    """Highway ways of an OSM file.

    Parameters
    ----------
    path : Path
    bbox : (lon_min, lat_min, lon_max, lat_max), optional

    Returns
    -------
    lines : Lines
        Node indices sorted by OSM id (``lines.node_ids``).
    tags : DataFrame
        One row per way, columns :data:`.rules.TAGS` (str or None), plus ``osm_id``.
    date : str or None
        ``osmosis_replication_timestamp`` of the file header (``YYYY-MM-DD``), if any.

    Raises
    ------
    DataFileError
        Missing, unreadable or truncated file; osmium not installed.
    NetworkError
        No highway way (in the box).
    """
    if not path.is_file():
        raise DataFileError(path, "fichier OpenStreetMap introuvable")
    if not _has_osmium() and not path.name.lower().endswith(".pbf"):
        return _finish(*_read_xml(path), path, bbox)
    osmium = _osmium(path)
    refs, xs, ys = array("q"), array("l"), array("l")
    counts, way_ids = array("q"), array("q")
    columns: dict[str, list] = {t: [] for t in TAGS}
    try:
        reader = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        date = _header_date(reader)
        for way in reader.with_locations().with_filter(osmium.filter.KeyFilter("highway")):
            if not way.is_way():
                continue
            n0 = len(refs)
            for node in way.nodes:  # fixed-point 1e-7° coordinates, converted below
                refs.append(node.ref)
                xs.append(node.x)
                ys.append(node.y)
            counts.append(len(refs) - n0)
            way_ids.append(way.id)
            tags = way.tags
            for key, values in columns.items():
                values.append(tags.get(key))
    except RuntimeError as exc:
        raise DataFileError(path, f"fichier OpenStreetMap illisible ou tronqué ({exc})") from exc
    x = np.frombuffer(xs, dtype=np.int_) if xs else np.zeros(0, np.int_)
    y = np.frombuffer(ys, dtype=np.int_) if ys else np.zeros(0, np.int_)
    valid = (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)  # else: node absent
    if not valid.all():  # drop the vertices whose node is missing from the extract
        way = np.repeat(np.arange(len(counts)), np.frombuffer(counts, dtype=np.int64))
        counts = array("q", np.bincount(way[valid], minlength=len(counts)).tolist())
        refs = array("q", np.frombuffer(refs, dtype=np.int64)[valid].tobytes())
        x, y = x[valid], y[valid]
    lons = array("d", (x / 1e7).tobytes())
    lats = array("d", (y / 1e7).tobytes())
    return _finish(refs, lons, lats, counts, way_ids, columns, date, path, bbox)


def _finish(refs, lons, lats, counts, way_ids, columns, date, path, bbox):
    """Collected arrays → Lines (nodes sorted by id), tags frame, date; bbox filter."""
    refs_a = np.frombuffer(refs, dtype=np.int64) if refs else np.zeros(0, np.int64)
    lon = np.frombuffer(lons, dtype=np.float64) if lons else np.zeros(0)
    lat = np.frombuffer(lats, dtype=np.float64) if lats else np.zeros(0)
    count = np.frombuffer(counts, dtype=np.int64) if counts else np.zeros(0, np.int64)
    tags = pd.DataFrame(columns)
    tags["osm_id"] = np.frombuffer(way_ids, dtype=np.int64) if way_ids else np.zeros(0, np.int64)
    if bbox is not None and count.size:
        inside = (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
        starts = np.r_[0, np.cumsum(count)[:-1]]
        hit = np.zeros(count.size, dtype=bool)
        nonempty = count > 0
        hit[nonempty] = np.logical_or.reduceat(inside, starts[nonempty])
        vertex = np.repeat(hit, count)
        refs_a, lon, lat, count = refs_a[vertex], lon[vertex], lat[vertex], count[hit]
        tags = tags[hit].reset_index(drop=True)
    if not (count >= 2).any():
        where = "dans le territoire demandé" if bbox is not None else "dans le fichier"
        raise NetworkError(f"{path.name} : aucune voie (highway) {where}")
    ids, first, inverse = np.unique(refs_a, return_index=True, return_inverse=True)
    indptr = np.zeros(count.size + 1, dtype=np.int64)
    np.cumsum(count, out=indptr[1:])
    lines = Lines(indptr, inverse.astype(np.int64), lon[first], lat[first], node_ids=ids)
    return lines, tags, date


def _header_date(reader) -> str | None:
    try:
        stamp = reader.header.get("osmosis_replication_timestamp")
    except (AttributeError, RuntimeError):
        return None
    return stamp[:10] if stamp else None


def _has_osmium() -> bool:
    import importlib.util

    return importlib.util.find_spec("osmium") is not None


def _read_xml(path: Path):
    """OSM XML (``.osm``, ``.osm.bz2``) without osmium: the same arrays, via ``iterparse``."""
    import bz2
    import xml.etree.ElementTree as ET

    opener = bz2.open if path.name.lower().endswith(".bz2") else open
    locations: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict]] = []
    try:
        with opener(path, "rb") as handle:
            for _, elem in ET.iterparse(handle, events=("end",)):
                if elem.tag == "node":
                    locations[int(elem.get("id"))] = (
                        float(elem.get("lon")),
                        float(elem.get("lat")),
                    )
                    elem.clear()
                elif elem.tag == "way":
                    tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                    if "highway" in tags:
                        refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                        ways.append((int(elem.get("id")), refs, tags))
                    elem.clear()
    except (ET.ParseError, OSError, EOFError, ValueError, TypeError) as exc:
        raise DataFileError(path, f"fichier OpenStreetMap illisible ou tronqué ({exc})") from exc
    refs, lons, lats = array("q"), array("d"), array("d")
    counts, way_ids = array("q"), array("q")
    columns: dict[str, list] = {t: [] for t in TAGS}
    for way_id, way_refs, tags in ways:
        n0 = len(refs)
        for ref in way_refs:
            if ref in locations:
                lon, lat = locations[ref]
                refs.append(ref)
                lons.append(lon)
                lats.append(lat)
        counts.append(len(refs) - n0)
        way_ids.append(way_id)
        for key, values in columns.items():
            values.append(tags.get(key))
    return refs, lons, lats, counts, way_ids, columns, None
