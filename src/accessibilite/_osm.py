"""OpenStreetMap input of the road network: files, Overpass, territory polygons.

Private helpers of :class:`accessibilite.network.RoadNetwork`: reading OSM XML /
``.osm.pbf`` extracts (with the optional ``osmium`` package), the Overpass filter
generated from the speed profile, the extra way tags the modes need, and the
territory polygon (EPSG:2154 and WGS84) that bounds a network.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd

from . import settings
from .errors import DataFileError, InputError, NetworkError


def _factorize(keys: list) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique node ids (first-seen order if unsortable) and inverse indices."""
    try:
        ids, inverse = np.unique(np.asarray(keys), return_inverse=True)
    except TypeError:
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        return np.asarray(uniques, dtype=object), codes.astype(np.int64)
    return ids, inverse.astype(np.int64).ravel()


def _project_nodes(G, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of ``ids`` projected from the graph's CRS to EPSG:2154."""
    from pyproj import CRS, Transformer

    try:
        xs = np.array([G.nodes[n]["x"] for n in ids.tolist()], dtype=np.float64)
        ys = np.array([G.nodes[n]["y"] for n in ids.tolist()], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(f"coordonnées x/y absentes ou invalides sur un nœud ({exc})") from exc
    source = CRS.from_user_input(G.graph.get("crs", "EPSG:4326"))
    target = CRS.from_user_input(settings.crs)
    if source != target:
        xs, ys = Transformer.from_crs(source, target, always_xy=True).transform(xs, ys)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise NetworkError("coordonnées de nœuds non projetables en Lambert-93 (EPSG:2154)")
    return xs, ys


_EXTRA_WAY_TAGS = ["motor_vehicle", "motorcar", "foot", "bicycle", "oneway:bicycle", "cycleway"]


@contextlib.contextmanager
def _extra_osm_tags():
    """Temporarily keep the access tags the modes need as osmnx edge attributes."""
    import osmnx as ox

    before = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = before + [t for t in _EXTRA_WAY_TAGS if t not in before]
    try:
        yield
    finally:
        ox.settings.useful_tags_way = before


def _highways_to_xml(path: Path, out: Path, bbox: tuple | None = None) -> None:
    """Copy the highway ways of an OSM file (within a lon/lat bbox) and their nodes to OSM XML."""
    try:
        import osmium
    except ImportError as exc:
        raise DataFileError(
            path,
            "la lecture des fichiers .osm.pbf nécessite le paquet osmium "
            "(pip install 'accessibilite[pbf]')",
        ) from exc
    try:
        way_ids: set[int] = set()
        node_ids: set[int] = set()
        ways = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for way in ways.with_locations().with_filter(osmium.filter.KeyFilter("highway")):
            if not way.is_way():
                continue
            if bbox is not None:
                lonlat = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
                if not any(
                    bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3] for lon, lat in lonlat
                ):
                    continue
            way_ids.add(way.id)
            node_ids.update(node.ref for node in way.nodes)
        if not way_ids:
            where = "dans le territoire demandé" if bbox is not None else "dans le fichier"
            raise NetworkError(f"{path.name} : aucune voie (highway) {where}")
        writer = osmium.SimpleWriter(str(out))
        try:
            for kind, ids, add in (
                (osmium.osm.NODE, node_ids, writer.add_node),
                (osmium.osm.WAY, way_ids, writer.add_way),
            ):
                if ids:
                    selected = osmium.FileProcessor(str(path), kind)
                    for obj in selected.with_filter(osmium.filter.IdFilter(ids)):
                        add(obj)
        finally:
            writer.close()
    except RuntimeError as exc:
        raise DataFileError(path, f"fichier OpenStreetMap illisible ({exc})") from exc


def _territory_wgs84(territory, buffer_km: float):
    """Territory enlarged by ``buffer_km``, as a WGS84 shapely geometry."""
    import geopandas as gpd

    polygon = _territory_polygon(territory).buffer(float(buffer_km) * 1000.0)
    return gpd.GeoSeries([polygon], crs=settings.crs).to_crs("EPSG:4326").iloc[0]


def _territory_polygon(territory):
    """Union of a territory (GeoDataFrame, GeoSeries or geometry) in EPSG:2154."""
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(territory, gpd.GeoDataFrame | gpd.GeoSeries):
        if territory.crs is not None:
            territory = territory.to_crs(settings.crs)
        geometry = territory.geometry.union_all() if len(territory) else None
    elif isinstance(territory, BaseGeometry):
        geometry = territory
    else:
        raise InputError(
            f"territoire de type {type(territory).__name__} : attendu un GeoDataFrame, "
            "une GeoSeries ou une géométrie shapely en EPSG:2154"
        )
    if geometry is None or geometry.is_empty:
        raise InputError("territoire vide : aucune géométrie pour délimiter le réseau")
    return geometry


def _overpass_filter(mode: str, prof: dict) -> list[str]:
    """Overpass QL way filters (their union) equivalent to the profile's classes and tags."""
    conf = prof[mode]
    classes = conf["default_kmh"] if mode == "voiture" else conf["classes"]
    base = f'["highway"~"^({"|".join(sorted(classes))})$"]'
    access = ""
    for tag, bad in sorted(conf["exclude_tags"].items()):
        clause = f'["{tag}"!~"^({"|".join(bad)})$"]'
        access, base = (clause, base) if tag == "access" else (access, base + clause)
    if mode == "voiture":
        base += f'["service"!~"^({"|".join(conf["exclude_service"])})$"]'
    overrides = sorted(conf.get("allow_tags", {}).items())
    return [base + access] + [f'{base}["{tag}"~"^({"|".join(good)})$"]' for tag, good in overrides]
