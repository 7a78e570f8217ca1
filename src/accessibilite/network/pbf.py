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
from .rules import TAGS


def _osmium(path: Path):
    try:
        import osmium
    except ImportError as exc:
        raise DataFileError(
            path,
            "la lecture des fichiers .osm.pbf nécessite le paquet osmium "
            "(pip install 'accessibilite[pbf]')",
        ) from exc
    return osmium


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
    osmium = _osmium(path)
    refs, lons, lats = array("q"), array("d"), array("d")
    counts, way_ids = array("q"), array("q")
    columns: dict[str, list] = {t: [] for t in TAGS}
    try:
        reader = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        date = _header_date(reader)
        for way in reader.with_locations().with_filter(osmium.filter.KeyFilter("highway")):
            if not way.is_way():
                continue
            n0 = len(refs)
            for node in way.nodes:
                loc = node.location
                if loc.valid():
                    refs.append(node.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
            counts.append(len(refs) - n0)
            way_ids.append(way.id)
            tags = way.tags
            for key, values in columns.items():
                values.append(tags.get(key))
    except RuntimeError as exc:
        raise DataFileError(path, f"fichier OpenStreetMap illisible ou tronqué ({exc})") from exc
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
