"""Road networks: OpenStreetMap → voiture / marche / velo graph → compact CSR form.

A :class:`RoadNetwork` holds node coordinates (EPSG:2154) and a
``scipy.sparse`` CSR matrix of edge travel times in seconds; routing and
isochrone queries are delegated to :mod:`accessibilite.routing` and
:mod:`accessibilite.isochrones`. Speeds come from the editable profile
``data/vitesses_fr.toml`` (see ``docs/speed-model.md``).
"""

from __future__ import annotations

import importlib.resources
import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .errors import DataFileError, InputError, NetworkError

__all__ = ["RoadNetwork", "load_profile", "parse_maxspeed", "speed_kmh"]

MODES = ("voiture", "marche", "velo")
#: Smallest edge travel time (s): zero-time edges would be ambiguous in scipy.sparse.
MIN_TIME_S = 1e-3
_FORMAT_VERSION = 1
_MODE_LABEL = {"voiture": "en voiture", "marche": "à pied", "velo": "à vélo"}


# --------------------------------------------------------------------------- speed model
def load_profile(profile: str | Path | dict | None = None) -> dict:
    """Load a speed profile (default: the packaged ``vitesses_fr.toml``).

    Parameters
    ----------
    profile : str, Path, dict or None
        Path of a TOML file with the structure of ``data/vitesses_fr.toml``, an
        already-parsed dict, or ``None`` for the packaged French profile.

    Returns
    -------
    dict
    """
    if profile is None:
        return _packaged_profile()
    if isinstance(profile, dict):
        return profile
    path = Path(profile)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"profil de vitesses illisible ({exc})") from exc


@lru_cache(maxsize=1)
def _packaged_profile() -> dict:
    text = importlib.resources.files("accessibilite.profiles").joinpath("vitesses_fr.toml")
    return tomllib.loads(text.read_text(encoding="utf-8"))


_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def _as_list(value: Any) -> list:
    """Return OSM tag values as a list (osmnx gives lists, or their string form)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        return [p.strip().strip("'\"") for p in text[1:-1].split(",") if p.strip()]
    return [p.strip() for p in text.split(";")] if ";" in text else [text]


def parse_maxspeed(value: Any, profile: dict | None = None) -> float | None:
    """Parse an OSM ``maxspeed`` value into a legal speed in km/h.

    Parameters
    ----------
    value : str, number, list or None
        ``"50"``, ``"50 mph"``, ``"FR:urban"``, ``"['50', '30']"`` (osmnx list),
        ``"none"``, ``"signals"``...
    profile : dict, optional
        Speed profile (default: packaged French profile).

    Returns
    -------
    float or None
        km/h, or ``None`` when the value carries no usable limit (absent, "none",
        "signals", garbage): the highway class default then applies. Lists are
        reduced by the profile's ``list_rule`` ("mean" or "min") over their
        usable items.
    """
    prof = load_profile(profile)["maxspeed"]
    speeds = []
    for item in _as_list(value):
        implicit = prof["implicit"].get(item)
        if implicit is not None:
            speeds.append(float(implicit))
            continue
        match = _NUMBER.match(item)
        if match:
            kmh = float(match.group(1).replace(",", "."))
            if (match.group(2) or "").lower() == "mph":
                kmh *= prof["mph_kmh"]
            if kmh > 0:
                speeds.append(kmh)
    if not speeds:
        return None
    return min(speeds) if prof["list_rule"] == "min" else sum(speeds) / len(speeds)


def speed_kmh(
    highway: Any, maxspeed: Any = None, mode: str = "voiture", profile: dict | None = None
) -> float | None:
    """Travel speed on an edge, or ``None`` if its highway class is not usable in ``mode``.

    Parameters
    ----------
    highway : str or list
        OSM ``highway`` class(es); a merged osmnx edge may carry several, and it is
        usable only if every class is.
    maxspeed : str, number, list or None
        OSM ``maxspeed`` (only used in ``voiture`` mode).
    mode : {"voiture", "marche", "velo"}
    profile : dict, optional

    Returns
    -------
    float or None
        ``voiture``: min over the classes of (maxspeed, else class default) ×
        realism factor of the class. ``marche`` / ``velo``: the profile's constant speed.
    """
    prof = load_profile(profile)
    conf = prof[_validate_mode(mode)]
    classes = _as_list(highway)
    if not classes:
        return None
    if mode != "voiture":
        return float(conf["speed_kmh"]) if all(c in conf["classes"] for c in classes) else None
    if not all(c in conf["default_kmh"] for c in classes):
        return None
    legal = parse_maxspeed(maxspeed, prof)
    return min(
        (legal if legal is not None else conf["default_kmh"][c]) * conf["realism"][c]
        for c in classes
    )


def _validate_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"mode de déplacement inconnu : {mode!r} (choisir parmi {MODES})")
    return mode


def _usable(data: dict, mode: str, conf: dict) -> bool:
    """Access restrictions of an osmnx edge (tags such as access=private)."""
    for tag, bad in conf["exclude_tags"].items():
        if any(v in bad for v in _as_list(data.get(tag))):
            return False
    if mode == "voiture" and "service" in _as_list(data.get("highway")):
        return not any(v in conf["exclude_service"] for v in _as_list(data.get("service")))
    return True


def _truthy(value: Any) -> bool:
    return any(str(v).lower() in ("true", "yes", "1", "-1") for v in _as_list(value))


def _description(mode: str, source: str, date: str | None, profile: dict | None = None) -> str:
    src = f"OpenStreetMap ({source}{', ' + date if date else ''})"
    if mode == "voiture":
        speed = "vitesses légales françaises (profil vitesses_fr) pondérées par un facteur de réalisme par type de voie"
    else:
        kmh = load_profile(profile)[mode]["speed_kmh"]
        speed = f"vitesse constante de {kmh:g} km/h"
    return f"Temps de trajet {_MODE_LABEL[mode]} sur le réseau {src}, {speed}, plus court chemin."


# --------------------------------------------------------------------------- the network
class RoadNetwork:
    """A directed road network in compact form, satisfying ``TravelTimeProvider``.

    Build it with :meth:`from_graphml`, :meth:`from_osm`, :meth:`download`,
    :meth:`from_networkx`, :meth:`from_edges` or :meth:`load`.

    Attributes
    ----------
    x, y : ndarray of float64
        Node coordinates in ``crs`` (node *i* is row *i* of :meth:`nodes`).
    graph : scipy.sparse.csr_matrix
        n × n travel times (s), directed u → v, strictly positive (≥ ``MIN_TIME_S``);
        parallel edges are reduced to the fastest one.
    length : scipy.sparse.csr_matrix
        Same sparsity pattern as ``graph``: edge lengths (m).
    mode, crs, description : str
    access_speed_kmh, max_snap_m : float
        Speed of the leg between a point and its snapped node; snapping distance
        beyond which points are flagged (from the profile).
    osmid : ndarray of int64 or None
        OSM node ids when built from OSM.
    dropped_nodes : int
        Nodes removed because outside the largest strongly connected component.
    source : str
    date : str or None
        Date of the network data, if known.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        graph: sparse.csr_matrix,
        length: sparse.csr_matrix,
        *,
        mode: str = "voiture",
        crs: str = "EPSG:2154",
        description: str | None = None,
        access_speed_kmh: float | None = None,
        max_snap_m: float | None = None,
        osmid: np.ndarray | None = None,
        dropped_nodes: int = 0,
        source: str = "",
        date: str | None = None,
    ) -> None:
        conf = _packaged_profile()[_validate_mode(mode)]
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.graph = graph
        self.length = length
        self.mode = mode
        self.crs = crs
        self.source = source
        self.date = date
        self.description = description or _description(mode, source, date)
        self.access_speed_kmh = float(access_speed_kmh or conf["access_speed_kmh"])
        self.max_snap_m = float(max_snap_m or conf["max_snap_m"])
        self.osmid = None if osmid is None else np.asarray(osmid, dtype=np.int64)
        self.dropped_nodes = int(dropped_nodes)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_edges(
        cls,
        u,
        v,
        travel_time_s,
        x,
        y,
        length_m=None,
        *,
        crs: str = "EPSG:2154",
        mode: str = "voiture",
    ) -> RoadNetwork:
        """Build a network from edge arrays, keeping every node as given, in order.

        Parameters
        ----------
        u, v : array-like of int
            Directed edge ``u[i] → v[i]`` between node indices ``0..n-1``.
        travel_time_s : array-like of float
            Edge times (s), finite and ≥ 0; times below ``MIN_TIME_S`` are raised to it.
        x, y : array-like of float
            Coordinates of nodes ``0..n-1`` in ``crs``.
        length_m : array-like of float, optional
            Edge lengths (m); default: straight line between the two nodes.
        crs : str
        mode : {"voiture", "marche", "velo"}
            Sets the access speed and snapping distance (no component is pruned).

        Returns
        -------
        RoadNetwork

        Raises
        ------
        NetworkError
            Empty edge set, indices out of range, NaN / infinite / negative weights.
        """
        _validate_mode(mode)
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        t = np.asarray(travel_time_s, dtype=np.float64).ravel()
        if x.shape != y.shape or x.size == 0:
            raise NetworkError(
                f"coordonnées x/y vides ou de tailles différentes ({x.size}, {y.size})"
            )
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise NetworkError("coordonnées de nœuds non finies (NaN ou inf) dans x/y")
        u = _as_index(u, "u", x.size)
        v = _as_index(v, "v", x.size)
        if not (u.size == v.size == t.size):
            raise NetworkError(
                f"u, v et travel_time_s doivent avoir la même longueur ({u.size}, {v.size}, {t.size})"
            )
        if u.size == 0:
            raise NetworkError("réseau sans aucun arc : impossible de calculer des temps de trajet")
        _check_weights(t, "travel_time_s")
        if length_m is None:
            lengths = np.hypot(x[v] - x[u], y[v] - y[u])
        else:
            lengths = np.asarray(length_m, dtype=np.float64).ravel()
            if lengths.size != u.size:
                raise NetworkError(f"length_m a {lengths.size} valeurs pour {u.size} arcs")
            _check_weights(lengths, "length_m")
        graph, length = _build_csr(u, v, t, lengths, x.size)
        description = (
            f"Temps de trajet {_MODE_LABEL[mode]} sur un réseau fourni sous forme d'arcs "
            "(temps de parcours donnés), plus court chemin."
        )
        return cls(x, y, graph, length, mode=mode, crs=crs, description=description, source="arcs")

    # ----------------------------------------------------------------- views
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (after merging parallel edges)."""
        return int(self.graph.nnz)

    def nodes(self) -> pd.DataFrame:
        """Nodes as a DataFrame ``x``, ``y`` (+ ``osmid``), index 0..n-1."""
        frame = pd.DataFrame({"x": self.x, "y": self.y})
        if self.osmid is not None:
            frame["osmid"] = self.osmid
        return frame

    def edges(self) -> pd.DataFrame:
        """Directed edges ``u``, ``v``, ``length_m``, ``travel_time_s``, sorted by u then v."""
        g = self.graph
        u = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(g.indptr))
        v = g.indices.astype(np.int64)
        order = np.lexsort((v, u))
        return pd.DataFrame(
            {
                "u": u[order],
                "v": v[order],
                "length_m": self.length.data[order],
                "travel_time_s": g.data[order],
            }
        )

    def __repr__(self) -> str:
        km = float(self.length.data.sum()) / 1000.0
        return (
            f"<RoadNetwork {self.mode} : {self.n_nodes} nœuds, {self.n_edges} arcs orientés, "
            f"{km:.1f} km de voies, {self.crs}>"
        )

    # ----------------------------------------------------------------- queries (delegated)
    def nearest(self, services, origins=None) -> pd.DataFrame:
        """Time to the nearest service; see :func:`accessibilite.routing.nearest`."""
        from . import routing

        return routing.nearest(self, services, origins)

    def time_matrix(self, origins, destinations) -> np.ndarray:
        """Origins × destinations times (s); see :func:`accessibilite.routing.time_matrix`."""
        from . import routing

        return routing.time_matrix(self, origins, destinations)

    def snap(self, points) -> pd.DataFrame:
        """Snap points to nodes; see :func:`accessibilite.routing.snap`."""
        from . import routing

        return routing.snap(self, points)

    def isochrones(self, services, bands_min=(10, 20, 30), per_service: bool = False):
        """Nested band polygons; see :func:`accessibilite.isochrones.isochrones`."""
        from . import isochrones

        return isochrones.isochrones(self, services, bands_min, per_service)


# --------------------------------------------------------------------------- helpers
def _as_index(values, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values).ravel()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_float = arr.astype(np.float64)
        if not (np.isfinite(as_float).all() and (as_float == np.round(as_float)).all()):
            raise NetworkError(f"indices de nœuds non entiers dans {name}")
        arr = as_float
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} indice(s) de nœud hors de 0..{n - 1} dans {name} "
            f"(premier : {int(arr[bad][0])})"
        )
    return arr


def _check_weights(values: np.ndarray, name: str) -> None:
    if np.isnan(values).any():
        raise NetworkError(f"{int(np.isnan(values).sum())} valeur(s) NaN dans {name}")
    if np.isinf(values).any():
        raise NetworkError(f"{int(np.isinf(values).sum())} valeur(s) infinie(s) dans {name}")
    if (values < 0).any():
        raise NetworkError(f"{int((values < 0).sum())} valeur(s) négative(s) dans {name}")


def _build_csr(u, v, t, lengths, n):
    """CSR matrices (time, length), fastest of parallel edges kept, times ≥ MIN_TIME_S."""
    t = np.maximum(t, MIN_TIME_S)
    order = np.lexsort((lengths, t, v, u))
    u, v, t, lengths = u[order], v[order], t[order], lengths[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, t, lengths = u[first], v[first], t[first], lengths[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    indices = v.astype(np.int32 if n < 2**31 else np.int64)
    graph = sparse.csr_matrix((t, indices, indptr), shape=(n, n))
    length = sparse.csr_matrix(
        (lengths.astype(np.float64), indices.copy(), indptr.copy()), shape=(n, n)
    )
    return graph, length
