"""Streaming OSM reader: ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` → ways for :func:`.build.build`.

One libosmium pass over the file run by pyosmium's C++ handlers (node location
index, way and ``highway`` key filters, OPL writer with the node locations on
the ways) to a temporary file, then that text parsed by blocks (pandas' C
reader for the node lists): no OSM node object is created in Python. Each way
keeps its node ids, their longitude / latitude and the tags of
:data:`.rules.TAGS`. With a bounding box, only the ways with at least one node
inside it are kept. No osmnx / networkx graph is built.
"""

from __future__ import annotations

import io
import re
import tempfile
from array import array
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, NetworkError, in_french
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
    with tempfile.TemporaryDirectory(prefix="accessibilite-osm-") as tmp:
        opl = Path(tmp) / "highways.opl"
        try:
            date = _header_date(osmium, path)
            _highways_to_opl(osmium, path, opl)
        except (RuntimeError, OSError, ValueError) as exc:
            if "space" in str(exc).lower():  # ENOSPC while writing the OPL copy
                raise DataFileError(
                    path,
                    f"espace disque insuffisant dans le dossier temporaire {tmp} "
                    "(la lecture écrit une copie texte des voies, environ 6 × la taille du "
                    "fichier) : libérer de la place ou définir TMPDIR",
                ) from exc
            raise DataFileError(
                path, f"fichier OpenStreetMap illisible ou tronqué ({in_french(str(exc))})"
            ) from exc
        refs, lon, lat, counts, way_ids, columns = _parse_opl(opl)
    valid = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)  # else: node absent from the extract
    if not valid.all():  # drop the vertices whose node is missing
        way = np.repeat(np.arange(counts.size), counts)
        counts = np.bincount(way[valid], minlength=counts.size).astype(np.int64)
        refs, lon, lat = refs[valid], lon[valid], lat[valid]
    return _finish(refs, lon, lat, counts, way_ids, columns, date, path, bbox)


def _highways_to_opl(osmium, path: Path, out: Path) -> None:
    """Highway ways of ``path``, with their node locations, written as OPL by libosmium.

    The whole pass (node location index, way and ``highway`` filters, writer)
    runs in libosmium's C++ handlers: no OSM node reaches Python.
    """
    locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
    locations.ignore_errors()  # a node missing from the extract: written without location
    target = osmium.io.File(str(out), "opl,locations_on_ways=true,add_metadata=false")
    with osmium.SimpleWriter(target) as writer:
        osmium.apply(
            str(path),
            locations,
            osmium.filter.EntityFilter(osmium.osm.WAY),
            osmium.filter.KeyFilter("highway"),
            writer,
        )


#: OPL vertex ``n<ref>x<lon>y<lat>`` → ``<ref> <lon> <lat>`` lines (``n`` deleted).
_VERTEX_TABLE = bytes.maketrans(b"xy,", b"  \n")
_TAG_KEYS = {key.encode(): key for key in TAGS}
_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")


def _parse_opl(opl: Path, block_bytes: int = 1 << 26):
    """OPL way lines ``w<id> T<k=v,...> N<n<ref>x<lon>y<lat>,...>`` → arrays, read in blocks.

    Node lists are parsed by pandas' C reader; tags, a short dict per way.
    """
    refs, lons, lats, counts, way_ids = [], [], [], [], []
    columns: dict[str, list] = {t: [] for t in TAGS}
    decoded: dict[bytes, str] = {}  # few distinct values: each unescaped once
    with open(opl, "rb") as handle:
        while block := handle.readlines(block_bytes):
            vertices, found = [], []
            for line in block:
                wid, tags, nodes = line.split(b" ")
                way_ids.append(int(wid[1:]))
                pairs = tags[1:].replace(b"=", b",").split(b",")  # escaped in keys and values
                found.append(dict(zip(pairs[::2], pairs[1::2], strict=False)))
                nodes = nodes[1:].rstrip()
                counts.append(nodes.count(b",") + 1 if nodes else 0)
                if nodes:
                    vertices.append(nodes)
            for raw, key in _TAG_KEYS.items():
                columns[key] += [
                    None
                    if (v := tags.get(raw)) is None
                    else decoded.get(v) or _unescape(v, decoded)
                    for tags in found
                ]
            del block, found
            if not vertices:
                continue
            # a node without location is written ``n<ref>xy``: mark it out of range
            text = b",".join(vertices).replace(b"xy", b"x999y999").translate(_VERTEX_TABLE, b"n")
            del vertices
            frame = pd.read_csv(
                io.BytesIO(text),
                sep=" ",
                header=None,
                names=["ref", "lon", "lat"],
                dtype={"ref": np.int64, "lon": np.float64, "lat": np.float64},
                engine="c",
                low_memory=False,  # one block: no internal chunks to concatenate
            )
            refs.append(frame["ref"].to_numpy())
            lons.append(frame["lon"].to_numpy())
            lats.append(frame["lat"].to_numpy())
    return (
        np.concatenate([np.zeros(0, np.int64), *refs]),
        np.concatenate([np.zeros(0), *lons]),
        np.concatenate([np.zeros(0), *lats]),
        np.asarray(counts, dtype=np.int64),
        np.asarray(way_ids, dtype=np.int64),
        columns,
    )


def _unescape(value: bytes, cache: dict) -> str:
    """OPL value → text (``%<hex code point>%`` escapes), remembered in ``cache``."""
    text = value.decode("utf-8", errors="replace")
    if "%" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    cache[value] = text
    return text


def _finish(refs, lons, lats, counts, way_ids, columns, date, path, bbox):
    """Collected arrays → Lines (nodes sorted by id), tags frame, date; bbox filter."""
    refs_a = np.asarray(refs, dtype=np.int64)  # ndarray, or array.array of the XML reader
    lon, lat = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
    count = np.asarray(counts, dtype=np.int64)
    tags = pd.DataFrame(columns)
    tags["osm_id"] = np.asarray(way_ids, dtype=np.int64)
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


def _header_date(osmium, path: Path) -> str | None:
    """``osmosis_replication_timestamp`` of the file header, as ``YYYY-MM-DD``."""
    try:
        stamp = osmium.FileProcessor(str(path), osmium.osm.NOTHING).header.get(
            "osmosis_replication_timestamp"
        )
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
