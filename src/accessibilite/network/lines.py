"""GIS road layers → :class:`~accessibilite.network.RoadNetwork` (``RoadNetwork.from_lines``).

Reads a GeoPackage, shapefile, zipped shapefile (as Geofabrik ships it) or
GeoJSON with pyogrio, or takes a GeoDataFrame; recognises its schema
(:mod:`.schemas`), turns its lines into shared nodes and hands them to the
common builder (:mod:`.build`). Geofabrik ways meet at any shared vertex of
the same level (``layer``, ``bridge``, ``tunnel``); at a coordinate where a way
*ends*, ways of every level meet (a bridge starts and ends on the roads leading
to it). IGN sections meet only at their ends, which IGN places at junctions
only, so different levels never join elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, NetworkError
from . import build as _build
from . import schemas
from .readers import finish, stage_bar
from .speeds import _validate_mode, load_profile

#: Layers picked by default in multi-layer files (lower case), in this order.
PREFERRED_LAYERS = ("gis_osm_roads_free_1", "troncon_de_route", "troncon_route", "route")
#: lon/lat box of metropolitan France and its neighbourhood, and of the overseas départements.
_FRANCE_BOXES = [(-6.0, 10.5, 41.0, 51.6)]


def _name(source) -> str:
    return Path(source).name if isinstance(source, str | Path) else "GeoDataFrame"


def read_layer(source, layer: str | None = None):
    """A line layer as a GeoDataFrame (path or GeoDataFrame), and the file's name.

    Raises
    ------
    DataFileError
        Missing or unreadable file (corrupt zip...), unknown layer, empty layer.
    """
    import geopandas as gpd

    if isinstance(source, gpd.GeoDataFrame):
        frame, path = source, "GeoDataFrame"
    else:
        import pyogrio

        path = Path(source)
        if not path.is_file():
            raise DataFileError(path, "couche de routes introuvable")
        try:
            available = [str(name) for name, _ in pyogrio.list_layers(path)]
            if layer is None and len(available) > 1:
                lower = {n.lower(): n for n in available}
                layer = next((lower[p] for p in PREFERRED_LAYERS if p in lower), None)
                if layer is None:
                    raise DataFileError(
                        path,
                        f"plusieurs couches ({', '.join(available)}) : choisir avec layer=",
                    )
            elif layer is not None and layer not in available:
                raise DataFileError(
                    path, f"couche {layer!r} absente (couches : {', '.join(available)})"
                )
            frame = pyogrio.read_dataframe(path, layer=layer)
        except DataFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyogrio / GDAL errors
            raise DataFileError(path, f"fichier de routes illisible ({exc})") from exc
    if len(frame) == 0:
        raise DataFileError(path, "couche de routes vide (aucune ligne)")
    if frame.crs is None:
        raise DataFileError(path, "système de coordonnées inconnu (fichier .prj absent ?)")
    return frame, path


def _lines_only(frame, path) -> None:
    import shapely

    geoms = np.asarray(frame.geometry.values, dtype=object)
    kind = shapely.get_type_id(geoms)
    bad = ~np.isin(kind, [1, 5]) & ~shapely.is_missing(geoms)
    if bad.all() or (bad.mean() > 0.5):
        names = sorted(set(shapely.get_type_id(geoms[bad]).tolist()))
        kinds = ", ".join(
            {0: "Point", 3: "Polygon", 4: "MultiPoint", 6: "MultiPolygon"}.get(k, str(k))
            for k in names
        )
        raise DataFileError(path, f"géométries de type {kinds} : une couche de lignes est attendue")


def _in_france(lon: np.ndarray, lat: np.ndarray, path) -> None:
    from .osm import _OVERSEAS_BOXES

    x, y = float(np.median(lon)), float(np.median(lat))
    boxes = _FRANCE_BOXES + list(_OVERSEAS_BOXES.values())
    if not any(x0 <= x <= x1 and y0 <= y <= y1 for x0, x1, y0, y1 in boxes):
        raise DataFileError(
            path,
            f"les routes sont hors de France (centre lon {x:.2f}, lat {y:.2f}) : "
            "vérifier le fichier et son système de coordonnées",
        )


def to_lines(frame, join: str, level: np.ndarray | None, path) -> tuple[_build.Lines, np.ndarray]:
    """Lines (node indices, WGS84 coordinates) of a GeoDataFrame's line parts, and their rows."""
    import shapely
    from pyproj import CRS, Transformer

    geoms = np.asarray(frame.geometry.values, dtype=object)
    parts, row = shapely.get_parts(geoms, return_index=True)
    parts_ok = shapely.get_type_id(parts) == 1
    parts, row = parts[parts_ok], row[parts_ok]
    coords, part = shapely.get_coordinates(parts, return_index=True)
    if coords.shape[0] == 0:
        raise DataFileError(path, "aucune ligne exploitable dans la couche")
    count = np.bincount(part, minlength=parts.size)
    indptr = np.zeros(parts.size + 1, dtype=np.int64)
    np.cumsum(count, out=indptr[1:])
    is_end = np.zeros(coords.shape[0], dtype=bool)
    nonempty = count > 0
    is_end[indptr[:-1][nonempty]] = True
    is_end[indptr[1:][nonempty] - 1] = True
    xy = np.ascontiguousarray(coords, dtype=np.float64).view(np.complex128).ravel()
    uniq, cid = np.unique(xy, return_inverse=True)
    cid = cid.ravel().astype(np.int64)
    if join == "vertices":
        lev = np.zeros(coords.shape[0], np.int64) if level is None else level[row][part]
        has_end = np.bincount(cid, weights=is_end, minlength=uniq.size) > 0
        key = cid * (int(lev.max()) + 2) + np.where(has_end[cid], 0, lev + 1)
    else:  # IGN sections meet at their ends only
        key = np.where(is_end, cid, uniq.size + np.arange(coords.shape[0]))
    nodes, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    xn, yn = coords[first, 0], coords[first, 1]
    crs = CRS.from_user_input(frame.crs)
    if crs != CRS.from_epsg(4326):
        xn, yn = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xn, yn)
    lon, lat = np.asarray(xn, np.float64), np.asarray(yn, np.float64)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise DataFileError(path, "coordonnées non projetables en longitude / latitude")
    _in_france(lon, lat, path)
    del nodes
    return _build.Lines(indptr, inverse.ravel().astype(np.int64), lon, lat), row


def lines_kwargs(
    source,
    mode: str = "voiture",
    schema: str = "auto",
    territory=None,
    buffer_km: float = 10,
    layer: str | None = None,
    columns: dict | None = None,
    profile=None,
    *,
    contract: bool = True,
) -> dict:
    """Keyword arguments of ``RoadNetwork(...)`` built from a GIS road layer (see ``from_lines``)."""
    from .osm import territory_polygon

    _validate_mode(mode)
    prof = load_profile(profile)
    with stage_bar(2, "Lecture de la couche de routes") as bar:
        frame, path = read_layer(source, layer)
        frame, schema = _resolve_schema(frame, path, schema, columns)
        _lines_only(frame, path)
        area = crs = None
        if territory is not None:
            area, crs = territory_polygon(territory, buffer_km)
            frame = _clip(frame, area, crs, path)
        frame = frame.reset_index(drop=True)
        level = schemas.levels(frame) if schema == "geofabrik" else None
        lines, row = to_lines(frame, schemas.JOIN[schema], level, path)
        rules = schemas.rules_for(schema, frame, mode, prof)
        rules = _build.WayRules(*(np.asarray(getattr(rules, f))[row] for f in _RULE_FIELDS))
        bar.update()
        bar.set_description(f"Construction du réseau {mode}")
        built = _build.build(
            lines, rules, mode, prof, area=area, area_crs=crs, contract=contract, what=_name(path)
        )
        curved = bool(np.asarray(rules.curvature).any())  # not BD TOPO's own speeds
        out = finish(built, mode, prof, schemas.SOURCES[schema], _date(frame, path), curved)
        out["stats"] = built["stats"]
    return out


def _resolve_schema(frame, path, schema: str, columns: dict | None):
    """Columns renamed by ``columns``, and the schema checked or recognised.

    Raises
    ------
    DataFileError
        A mapped column is absent, the schema is unknown, cannot be recognised or
        lacks its signature columns (the message names them and the arguments).
    """
    if columns:
        missing = [c for c in columns.values() if c not in frame.columns]
        if missing:
            raise DataFileError(
                path, f"colonnes {missing} absentes (colonnes : {list(frame.columns)})"
            )
        frame = frame.rename(columns={v: k for k, v in columns.items()})
    if schema == "auto":
        schema = schemas.detect(frame.columns)
        if schema is None:
            looked = "; ".join(f"{k} : {', '.join(v)}" for k, v in schemas.SIGNATURES.items())
            raise DataFileError(
                path,
                f"schéma de couche de routes non reconnu (colonnes lues : "
                f"{', '.join(map(str, frame.columns[:15]))}) ; colonnes cherchées — {looked} ; "
                "préciser schema='geofabrik' | 'bdtopo3' | 'bdtopo2' | 'route500' et, si les "
                "noms diffèrent, columns={'fclass': 'ma_colonne', ...}",
            )
    elif schema not in schemas.SIGNATURES:
        raise DataFileError(
            path, f"schéma inconnu : {schema!r} (choisir parmi {', '.join(schemas.SIGNATURES)})"
        )
    else:
        absent = [
            c
            for c in schemas.SIGNATURES[schema]
            if c not in {str(x).lower() for x in frame.columns}
        ]
        if absent:
            raise DataFileError(
                path,
                f"schéma {schema} : colonne(s) {', '.join(absent)} absente(s) ; utiliser columns=",
            )
    return frame, schema


_RULE_FIELDS = ("highway", "speed_kmh", "fwd", "bwd", "direction", "curvature")


def _clip(frame, area, crs, path):
    """Rows intersecting the buffered territory's bounding box."""
    box = pd.Series(area.bounds)
    try:
        import geopandas as gpd

        bounds = gpd.GeoSeries([area], crs=crs).to_crs(frame.crs).total_bounds
    except Exception as exc:  # noqa: BLE001
        raise DataFileError(path, f"territoire non projetable ({exc})") from exc
    del box
    hit = frame.geometry.intersects(__import__("shapely").box(*bounds))
    if not hit.any():
        raise NetworkError(f"{_name(path)} : aucune voie dans le territoire demandé")
    return frame[hit.to_numpy()]


def _date(frame, path) -> str | None:
    """Data date when the layer says it (BD TOPO ``date_modification``), else None."""
    for col in ("date_modification", "date_creation"):
        if col in frame.columns:
            dates = pd.to_datetime(frame[col], errors="coerce", utc=True).dropna()
            if len(dates):
                return dates.max().strftime("%Y-%m")
    return None
