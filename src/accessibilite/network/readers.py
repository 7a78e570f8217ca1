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

from . import build as _build
from . import csr as _csr
from . import osm as _osm
from .pbf import read_osm_ways
from .rules import osm_rules
from .speeds import _MODE_LABEL, load_profile


def description(mode: str, source: str, date: str | None, profile: dict | None = None) -> str:
    """French description of a network's travel times (shown in outputs)."""
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
        "description": description(mode, source, date, prof),
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
    lines, tags, file_date = read_osm_ways(path, bbox)
    rules = osm_rules(tags, mode, prof)
    built = _build.build(
        lines, rules, mode, prof, area=area, area_crs=crs, contract=contract, what=path.name
    )
    return finish(built, mode, prof, source or path.name, date or file_date)


def finish(built: dict, mode: str, prof: dict, source: str, date: str | None) -> dict:
    """Builder output → RoadNetwork keyword arguments (description, provenance, mode)."""
    conf = prof[mode]
    kwargs = {k: built[k] for k in ("x", "y", "crs", "graph", "length", "osmid", "dropped_nodes")}
    return kwargs | {
        "mode": mode,
        "description": description(mode, source, date, prof),
        "source": source,
        "date": date,
        "access_speed_kmh": conf["access_speed_kmh"],
        "max_snap_m": conf["max_snap_m"],
    }
