"""OpenStreetMap input of the road network: readers, Overpass, graph → timed edges.

Private helpers of :class:`accessibilite.network.RoadNetwork`: reading osmnx
GraphML files and OSM XML / ``.osm.pbf`` extracts (with the optional ``osmium``
package), downloading from Overpass with a filter generated from the speed
profile, the territory polygon (buffered in EPSG:2154, or in the overseas
département's CRS) that bounds a network, and
the conversion of an osmnx graph into the directed edges usable in a mode,
timed by :mod:`accessibilite.speeds`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .. import settings
from ..errors import DataFileError, DownloadError, InputError, NetworkError
from ..territories.datafrance import _OVERSEAS_CRS
from .curvature import curvature_factor, sinuosity
from .speeds import _MODE_LABEL, _contraflow, _usable, speed_kmh

#: lon/lat boxes (lon min, lon max, lat min, lat max) of the overseas départements,
#: whose networks are projected in their own CRS (Lambert-93 stretches La Réunion
#: by 88 %: snapping distances, access legs and isochrone widths would be wrong).
_OVERSEAS_BOXES = {
    "971": (-61.95, -60.95, 15.8, 16.55),
    "972": (-61.3, -60.75, 14.35, 14.9),
    "973": (-54.7, -51.5, 2.0, 6.0),
    "974": (55.15, 55.9, -21.45, -20.8),
    "976": (44.9, 45.35, -13.05, -12.55),
}


def local_crs(lon, lat) -> str:
    """Projected CRS of a place: its overseas département's, else ``settings.crs``.

    ``lon``, ``lat`` are WGS84 arrays; their median point decides.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        x, y = np.median(lon[ok]), np.median(lat[ok])
        for code, (x0, x1, y0, y1) in _OVERSEAS_BOXES.items():
            if x0 <= x <= x1 and y0 <= y <= y1:
                return _OVERSEAS_CRS[code]
    return settings.crs


# --------------------------------------------------------------------------- readers
def read_graphml(path: Path):
    """Read an osmnx GraphML file.

    Raises
    ------
    DataFileError
        The file is missing or is not a readable osmnx GraphML file.
    """
    import osmnx as ox

    if not path.is_file():
        raise DataFileError(path, "fichier GraphML introuvable")
    try:
        return ox.load_graphml(path)
    except Exception as exc:  # noqa: BLE001 - osmnx/networkx raise many types
        raise DataFileError(path, f"fichier GraphML illisible ({exc})") from exc


def read_osm(path: Path, territory=None, buffer_km: float = 10):
    """Read the highways of an OSM XML or ``.osm.pbf`` file as an osmnx graph.

    With ``osmium`` installed (required for PBF), the ways tagged ``highway``
    (within the bounding box of the buffered territory, if given) and their nodes
    are copied to a temporary OSM XML file; ``osmnx.graph_from_xml`` reads it (or
    the XML file itself without ``osmium``). The graph is then cut to the
    buffered territory (nodes inside it).

    Raises
    ------
    InputError
        Bad territory.
    DataFileError
        Missing or unreadable file, or ``osmium`` absent for a PBF file.
    NetworkError
        No way in the territory.
    """
    import osmnx as ox

    area = None if territory is None else _to_wgs84(*territory_polygon(territory, buffer_km))
    if not path.is_file():
        raise DataFileError(path, "fichier OpenStreetMap introuvable")
    with tempfile.TemporaryDirectory() as tmp, _extra_osm_tags():
        xml = path
        if path.name.lower().endswith(".pbf") or importlib.util.find_spec("osmium"):
            xml = Path(tmp) / "highways.osm"
            _highways_to_xml(path, xml, None if area is None else area.bounds)
        try:
            G = ox.graph_from_xml(xml, simplify=True, retain_all=True)
        except Exception as exc:  # noqa: BLE001 - sax, osmnx errors...
            raise DataFileError(path, f"fichier OpenStreetMap illisible ({exc})") from exc
    if area is not None:
        try:
            G = ox.truncate.truncate_graph_polygon(G, area, truncate_by_edge=False)
        except ValueError as exc:
            raise NetworkError(f"{path.name} : aucune voie dans le territoire demandé") from exc
    G.graph.pop("created_date", None)  # creation time of the graph, not data date
    return G


def overpass_graph(polygon, mode: str, prof: dict, crs: str | None = None):
    """Download the ways usable in ``mode`` within ``polygon`` (in ``crs``, default EPSG:2154).

    Raises
    ------
    DownloadError
        Overpass could not be reached or returned no data.
    """
    import osmnx as ox

    try:
        with _extra_osm_tags():
            return ox.graph_from_polygon(
                _to_wgs84(polygon, crs),
                custom_filter=_overpass_filter(mode, prof),
                simplify=True,
                retain_all=False,
            )
    except Exception as exc:  # noqa: BLE001 - requests / osmnx errors
        raise DownloadError(
            f"téléchargement du réseau OpenStreetMap impossible ({exc}) ; "
            "utiliser RoadNetwork.from_osm avec un extrait régional"
        ) from exc


# --------------------------------------------------------------------------- graph → edges
def graph_edges(G, mode: str, prof: dict):
    """Directed edges of an osmnx graph usable in ``mode``, timed by the speed model.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        osmnx graph (see :meth:`accessibilite.network.RoadNetwork.from_networkx`).
    mode : {"voiture", "marche", "velo"}
    prof : dict
        Speed profile (:func:`accessibilite.speeds.load_profile`).

    Returns
    -------
    ids : ndarray
        Node ids of the edges' ends, sorted (first-seen order if unsortable).
    x, y : ndarray of float64
        Their coordinates in ``crs``.
    u, v : ndarray of int64
        Edge ``u[i] → v[i]`` as positions in ``ids``.
    time_s, length_m : ndarray of float64
        Edge time (length ÷ speed, the speed reduced by the winding-road factor
        of :func:`.curvature.curvature_factor` for ``length`` ÷ straight line)
        and length (osmnx ``length``, else the straight line in ``crs``).
    back : ndarray of bool
        Edges also usable in reverse (every edge in ``marche``, contraflow in ``velo``).
    crs : str
        EPSG:2154 (``settings.crs``), or the overseas département's CRS when the
        graph lies there (:func:`local_crs`).

    Raises
    ------
    NetworkError
        No edge usable in ``mode``, missing node coordinates.
    """
    conf = prof[mode]
    heads, tails, lengths, speeds, back, classes = [], [], [], [], [], []
    cache: dict[tuple[str, str], float | None] = {}
    for a, b, data in G.edges(data=True):
        key = (str(data.get("highway")), str(data.get("maxspeed")))
        if key not in cache:
            cache[key] = speed_kmh(data.get("highway"), data.get("maxspeed"), mode, prof)
        kmh = cache[key]
        if kmh is None or not _usable(data, mode, conf):
            continue
        heads.append(a)
        tails.append(b)
        lengths.append(data.get("length"))
        speeds.append(kmh)
        classes.append(key[0])
        back.append(mode == "marche" or (mode == "velo" and _contraflow(data, conf, prof)))
    if not heads:
        raise NetworkError(
            f"aucune voie utilisable {_MODE_LABEL[mode]} dans le graphe "
            f"({G.number_of_edges()} arcs lus) : vérifier la zone ou le mode"
        )
    ids, inverse = _factorize(heads + tails)
    ui, vi = inverse[: len(heads)], inverse[len(heads) :]
    x, y, crs = _project_nodes(G, ids)
    length = np.array(pd.to_numeric(pd.Series(lengths, dtype=object), errors="coerce"), float)
    missing = np.isnan(length)
    chord = np.hypot(x[vi] - x[ui], y[vi] - y[ui])
    length[missing] = chord[missing]
    # an edge of a simplified osmnx graph runs between two junctions, as a chain
    # of the common builder: the same winding-road factor applies
    factor = curvature_factor(
        np.asarray(classes, dtype=object), sinuosity(length, chord), mode, prof
    )
    time = length / (np.asarray(speeds) * factor / 3.6)
    return ids, x, y, ui, vi, time, length, np.asarray(back, dtype=bool), crs


def _factorize(keys: list) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique node ids (first-seen order if unsortable) and inverse indices."""
    try:
        ids, inverse = np.unique(np.asarray(keys), return_inverse=True)
    except TypeError:
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        return np.asarray(uniques, dtype=object), codes.astype(np.int64)
    return ids, inverse.astype(np.int64).ravel()


def _project_nodes(G, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Node coordinates of ``ids`` projected to EPSG:2154 or the overseas CRS, and that CRS."""
    from pyproj import CRS, Transformer

    try:
        xs = np.array([G.nodes[n]["x"] for n in ids.tolist()], dtype=np.float64)
        ys = np.array([G.nodes[n]["y"] for n in ids.tolist()], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(f"coordonnées x/y absentes ou invalides sur un nœud ({exc})") from exc
    source = CRS.from_user_input(G.graph.get("crs", "EPSG:4326"))
    lon, lat = xs, ys
    if not source.is_geographic:
        lon, lat = Transformer.from_crs(source, "EPSG:4326", always_xy=True).transform(xs, ys)
    name = local_crs(lon, lat)
    target = CRS.from_user_input(name)
    if source != target:
        xs, ys = Transformer.from_crs(source, target, always_xy=True).transform(xs, ys)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise NetworkError(f"coordonnées de nœuds non projetables en {name}")
    return xs, ys, name


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


def _osmium(path: Path):
    """The pyosmium module, or a French error naming ``path`` when it is not installed."""
    try:
        import osmium
    except ImportError as exc:
        raise DataFileError(
            path,
            "la lecture des fichiers .osm.pbf nécessite le paquet osmium "
            "(pip install 'accessibilite[pbf]')",
        ) from exc
    return osmium


def _highways_to_xml(path: Path, out: Path, bbox: tuple | None = None) -> None:
    """Copy the highway ways of an OSM file (within a lon/lat bbox) and their nodes to OSM XML."""
    osmium = _osmium(path)
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


def _to_wgs84(polygon, crs: str | None = None):
    """A shapely geometry in ``crs`` (default ``settings.crs``) as WGS84 longitude / latitude."""
    import geopandas as gpd

    return gpd.GeoSeries([polygon], crs=crs or settings.crs).to_crs("EPSG:4326").iloc[0]


def territory_polygon(territory, buffer_km: float) -> tuple:
    """Union of a territory (GeoDataFrame, GeoSeries or geometry), buffered, and its CRS.

    The buffer is drawn in the territory's local projected CRS: EPSG:2154, or the
    overseas département's CRS (:func:`local_crs`), where metres are metres.

    Parameters
    ----------
    territory : GeoDataFrame, GeoSeries or shapely geometry
        In EPSG:2154; a GeoDataFrame / GeoSeries in another CRS is reprojected.
    buffer_km : float
        Margin added around the union (services just across the border count).

    Returns
    -------
    polygon : shapely geometry
    crs : str

    Raises
    ------
    InputError
        Not a geometry, or empty.
    """
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if isinstance(territory, gpd.GeoDataFrame | gpd.GeoSeries):
        territory = gpd.GeoSeries(territory.geometry.values, crs=territory.crs or settings.crs)
    elif isinstance(territory, BaseGeometry):
        territory = gpd.GeoSeries([territory], crs=settings.crs)
    else:
        raise InputError(
            f"territoire de type {type(territory).__name__} : attendu un GeoDataFrame, "
            "une GeoSeries ou une géométrie shapely en EPSG:2154"
        )
    territory = territory[territory.notna() & ~territory.is_empty]
    if not len(territory):
        raise InputError("territoire vide : aucune géométrie pour délimiter le réseau")
    centres = territory.to_crs("EPSG:4326").representative_point()
    crs = local_crs(centres.x, centres.y)
    geometry = territory.to_crs(crs).union_all()
    return geometry.buffer(float(buffer_km) * 1000.0), crs


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
