"""Constructors' work for :class:`~accessibilite.network.RoadNetwork`: inputs → keyword arguments.

Each function returns the keyword arguments of ``RoadNetwork(...)`` (``x``,
``y``, ``graph``, ``length``, ``crs``, ``osmid``, ``dropped_nodes``,
``description``, ``source``, ``date``...): osmnx graphs (GraphML, Overpass)
through :func:`.osm.graph_edges`, OSM files streamed by :mod:`.pbf` through
the common builder :mod:`.build`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..errors import NetworkError
from . import build as _build
from . import csr as _csr
from . import osm as _osm
from .pbf import read_osm_ways
from .rules import osm_rules
from .speeds import _MODE_LABEL, load_profile


def description(
    mode: str, source: str, date: str | None, profile: dict | None = None, curvature: bool = False
) -> str:
    """French description of a network's travel times (shown in outputs).

    ``curvature``: the driven speeds carry the winding-road factor (every OSM
    network; not the BD TOPO speeds, which already include the winding).
    """
    prof = load_profile(profile)
    src = source if source.startswith(("OpenStreetMap", "IGN")) else f"OpenStreetMap ({source}"
    if not source.startswith(("OpenStreetMap", "IGN")):
        src += f"{', ' + date if date else ''})"
    elif date:
        src += f" ({date})"
    if mode == "voiture":
        speed = (
            f"vitesses légales françaises (profil {prof.get('name', 'personnalisé')}) "
            "pondérées par un facteur de réalisme par type de voie"
        )
        if curvature:
            speed += " et réduites sur les routes sinueuses"
    else:
        speed = f"vitesse constante de {prof[mode]['speed_kmh']:g} km/h".replace(".", ",")
    return f"Temps de trajet {_MODE_LABEL[mode]} sur le réseau {src}, {speed}, plus court chemin."


def networkx_kwargs(G, mode: str, prof: dict, source: str | None, date: str | None) -> dict:
    """An osmnx MultiDiGraph → RoadNetwork keyword arguments (see ``from_networkx``)."""
    conf = prof[mode]
    ids, x, y, ui, vi, time, length, back, crs = _osm.graph_edges(G, mode, prof)
    _csr.check_weights(length, "length")
    ui, vi = np.concatenate([ui, vi[back]]), np.concatenate([vi, ui[back]])
    time, length = np.concatenate([time, time[back]]), np.concatenate([length, length[back]])
    keep, dropped = _build.largest_component(ui, vi, ids.size, mode, stacklevel=5)
    renumber = np.cumsum(keep) - 1
    on = keep[ui] & keep[vi]
    graph, lengths_csr = _csr.build_csr(
        renumber[ui[on]], renumber[vi[on]], time[on], length[on], int(keep.sum())
    )
    osmid = None
    if np.issubdtype(ids.dtype, np.integer):
        osmid = ids[keep].astype(np.int64)
    source = source or str(G.graph.get("name", "graphe osmnx"))
    date = date or str(G.graph.get("created_date", ""))[:10] or None
    return {
        "x": x[keep],
        "y": y[keep],
        "graph": graph,
        "length": lengths_csr,
        "mode": mode,
        "crs": crs,
        "description": description(mode, source, date, prof, curvature=True),
        "osmid": osmid,
        "dropped_nodes": dropped,
        "source": source,
        "date": date,
        "access_speed_kmh": conf["access_speed_kmh"],
        "max_snap_m": conf["max_snap_m"],
    }


def osmium_available() -> bool:
    return importlib.util.find_spec("osmium") is not None


def osm_file_kwargs(
    path: Path,
    mode: str,
    prof: dict,
    territory=None,
    buffer_km: float = 10,
    *,
    source: str | None = None,
    date: str | None = None,
    contract: bool = True,
) -> dict:
    """An OSM XML / PBF file streamed by pyosmium → RoadNetwork keyword arguments."""
    area = crs = bbox = None
    if territory is not None:
        area, crs = _osm.territory_polygon(territory, buffer_km)
        bbox = _osm._to_wgs84(area, crs).bounds
    with stage_bar(3, f"Lecture des voies de {path.name}") as bar:
        lines, tags, file_date = read_osm_ways(path, bbox)
        bar.update()
        bar.set_description("Vitesses et sens de circulation")
        rules = osm_rules(tags, mode, prof)
        del tags
        bar.update()
        bar.set_description(f"Construction du réseau {mode}")
        built = _build.build(
            lines, rules, mode, prof, area=area, area_crs=crs, contract=contract, what=path.name
        )
        bar.update()
    return finish(built, mode, prof, source or path.name, date or file_date)


def stage_bar(total: int, desc: str, leave: bool = False):
    """A tqdm bar of ``total`` steps starting at ``desc``, shown when ``settings.progress``."""
    from tqdm.auto import tqdm

    from .. import settings

    return tqdm(total=total, desc=desc, disable=not settings.progress, unit="étape", leave=leave)


def finish(
    built: dict, mode: str, prof: dict, source: str, date: str | None, curvature: bool = True
) -> dict:
    """Builder output → RoadNetwork keyword arguments (description, provenance, mode)."""
    conf = prof[mode]
    kwargs = {k: built[k] for k in ("x", "y", "crs", "graph", "length", "osmid", "dropped_nodes")}
    return kwargs | {
        "mode": mode,
        "description": description(mode, source, date, prof, curvature=curvature),
        "source": source,
        "date": date,
        "access_speed_kmh": conf["access_speed_kmh"],
        "max_snap_m": conf["max_snap_m"],
    }


def download(cls, territory, buffer_km, mode, cache, departement, profile):
    """Body of ``RoadNetwork.download`` (see there)."""
    from . import npz as _netfile

    prof = load_profile(profile)
    if departement is not None:
        from .download import _code, fetch_extract

        code = _code(departement)
        if territory is None:
            from ..territories import communes

            territory = communes(code)
        polygon, _ = _osm.territory_polygon(territory, buffer_km)
        path = _netfile.cache_path(polygon, mode, prof)
        path = path.with_name(f"{path.stem}_extrait_{code}.npz")
        if cache and path.is_file():
            return cls.load(path)
        pbf = fetch_extract(code)
        net = cls(**osm_file_kwargs(pbf, mode, prof, territory, buffer_km))
        if cache:
            net.save(path)
        return net
    polygon, crs = _osm.territory_polygon(territory, buffer_km)
    path = _netfile.cache_path(polygon, mode, prof)
    if cache and path.is_file():
        return cls.load(path)
    import osmnx as ox

    from .. import sources

    sources.check_connection(ox.settings.overpass_url)  # offline: OfflineError at once
    area_km2 = f"{polygon.area / 1e6:,.0f} km²"
    with stage_bar(2, f"Téléchargement du réseau OSM ({mode}, {area_km2})", leave=True) as bar:
        G = _osm.overpass_graph(polygon, mode, prof, crs)
        bar.update()
        bar.set_description("Construction du réseau")
        net = cls(**networkx_kwargs(G, mode, prof, "Overpass API via osmnx", None))
        bar.update()
    if cache:
        net.save(path)
    return net


def edges_kwargs(u, v, travel_time_s, x, y, length_m, crs: str, mode: str) -> dict:
    """Edge arrays → RoadNetwork keyword arguments (see ``RoadNetwork.from_edges``)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    t = np.asarray(travel_time_s, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise NetworkError(f"coordonnées x/y vides ou de tailles différentes ({x.size}, {y.size})")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NetworkError("coordonnées de nœuds non finies (NaN ou inf) dans x/y")
    u = _csr.as_index(u, "u", x.size)
    v = _csr.as_index(v, "v", x.size)
    if not (u.size == v.size == t.size):
        raise NetworkError(
            f"u, v et travel_time_s doivent avoir la même longueur ({u.size}, {v.size}, {t.size})"
        )
    if u.size == 0:
        raise NetworkError("réseau sans aucun arc : impossible de calculer des temps de trajet")
    _csr.check_weights(t, "travel_time_s")
    if length_m is None:
        lengths = np.hypot(x[v] - x[u], y[v] - y[u])
    else:
        lengths = np.asarray(length_m, dtype=np.float64).ravel()
        if lengths.size != u.size:
            raise NetworkError(f"length_m a {lengths.size} valeurs pour {u.size} arcs")
        _csr.check_weights(lengths, "length_m")
    graph, length = _csr.build_csr(u, v, t, lengths, x.size)
    description = (
        f"Temps de trajet {_MODE_LABEL[mode]} sur un réseau fourni sous forme d'arcs "
        "(temps de parcours donnés), plus court chemin."
    )
    return {
        "x": x,
        "y": y,
        "graph": graph,
        "length": length,
        "mode": mode,
        "crs": crs,
        "description": description,
        "source": "arcs",
    }
