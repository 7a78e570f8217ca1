"""Road-layer schemas read by ``RoadNetwork.from_lines``: recognition and per-way rules.

* ``geofabrik``: Geofabrik free ``gis_osm_roads_free_1`` (``fclass`` = OSM
  highway class, ``oneway`` F/T/B, ``maxspeed`` 0 = unknown, ``layer``,
  ``bridge``, ``tunnel``): OSM tags rebuilt, timed by the OSM rules of
  :mod:`.rules`; ways split at shared vertices.
* ``bdtopo3``: IGN BD TOPO 3.x ``troncon_de_route`` (``nature``,
  ``importance``, ``sens_de_circulation``, ``vitesse_moyenne_vl``,
  ``acces_vehicule_leger``, ``acces_pieton``, ``prive``, ``etat_de_l_objet``).
* ``bdtopo2``: IGN BD TOPO 2.x ``ROUTE`` (``NATURE``, ``IMPORTANCE``, ``SENS``
  Double / Direct / Inverse, ``ETAT``): no speed, class defaults.
* ``route500``: IGN ROUTE 500 ``TRONCON_ROUTE`` (``VOCATION``, ``NB_CHAUSSE``,
  ``SENS`` Double sens / Sens unique, ``ACCES``): class defaults.

IGN sections are already split at junctions: they meet only at their ends.
Column names are matched case-insensitively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .build import WayRules
from .rules import osm_rules
from .speeds import _contraflow, speed_kmh

#: Columns that identify each schema (lower case), in detection order.
SIGNATURES = {
    "bdtopo3": ("nature", "sens_de_circulation", "vitesse_moyenne_vl"),
    "geofabrik": ("fclass", "oneway", "maxspeed"),
    "route500": ("vocation", "nb_chausse", "sens"),
    "bdtopo2": ("nature", "importance", "sens"),
}
#: How ways meet: at any shared vertex (OSM ways) or only at section ends (IGN).
JOIN = {"geofabrik": "vertices", "bdtopo3": "ends", "bdtopo2": "ends", "route500": "ends"}
SOURCES = {
    "geofabrik": "OpenStreetMap (Geofabrik)",
    "bdtopo3": "IGN BD TOPO",
    "bdtopo2": "IGN BD TOPO 2",
    "route500": "IGN ROUTE 500",
}
#: Default share of BD TOPO ``vitesse_moyenne_vl`` driven (profile ``[bdtopo] realism_vl``).
BDTOPO_REALISM = 1.0

_NOT_ROADS = {"bac auto", "bac piéton", "bac ou liaison maritime", "liaison maritime"}
_FIXED_CLASS = {
    "type autoroutier": "motorway",
    "autoroute": "motorway",
    "quasi-autoroute": "trunk",
    "route à 2 chaussées": "trunk",
    "bretelle": "trunk_link",
    "chemin": "track",
    "sentier": "path",
    "escalier": "steps",
    "piste cyclable": "cycleway",
}
_BY_IMPORTANCE = {"1": "primary", "2": "primary", "3": "secondary", "4": "tertiary"}


def detect(columns) -> str | None:
    """Schema whose signature columns are all present (case-insensitive), or None."""
    lower = {str(c).lower() for c in columns}
    for name, cols in SIGNATURES.items():
        if set(cols) <= lower:
            return name
    return None


def _col(frame: pd.DataFrame, name: str, default=None) -> pd.Series:
    for c in frame.columns:
        if str(c).lower() == name:
            return frame[c]
    return pd.Series(default, index=frame.index, dtype=object)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def geofabrik_tags(frame: pd.DataFrame) -> pd.DataFrame:
    """OSM tags of Geofabrik free-layout rows (highway, oneway, maxspeed)."""
    fclass = _text(_col(frame, "fclass"))
    highway = fclass.where(~fclass.str.startswith("track_grade"), "track")
    highway = highway.where(~highway.isin(["", "unknown"]), "road")
    oneway = _text(_col(frame, "oneway")).str.upper()
    speed = pd.to_numeric(_col(frame, "maxspeed"), errors="coerce")
    maxspeed = speed.where(speed > 0).map(lambda v: None if pd.isna(v) else f"{v:g}")
    return pd.DataFrame(
        {
            "highway": highway.to_numpy(object),
            "oneway": oneway.where(oneway.isin(["F", "T"]), None).to_numpy(object),
            "maxspeed": maxspeed.to_numpy(object),
        }
    )


def levels(frame: pd.DataFrame) -> np.ndarray:
    """Level code of each Geofabrik row: distinct (layer, bridge, tunnel)."""
    layer = pd.to_numeric(_col(frame, "layer"), errors="coerce").fillna(0)
    bridge = _text(_col(frame, "bridge")).str.upper().isin(["T", "TRUE", "1", "YES"])
    tunnel = _text(_col(frame, "tunnel")).str.upper().isin(["T", "TRUE", "1", "YES"])
    key = pd.MultiIndex.from_arrays([layer.to_numpy(), bridge.to_numpy(), tunnel.to_numpy()])
    codes, _ = key.factorize()
    return codes.astype(np.int64)


def _ign_class(nature: pd.Series, importance: pd.Series, urbain: pd.Series) -> pd.Series:
    nat = _text(nature).str.lower()
    imp = _text(importance)
    urban = _text(urbain).str.lower().isin(["true", "oui", "1"])
    base = imp.map(_BY_IMPORTANCE).fillna("unclassified")
    base = base.where(~((imp == "6") | (imp == "nc") | (imp == "NC")), "service")
    base = base.where(~((base == "unclassified") & urban), "residential")
    fixed = nat.map(_FIXED_CLASS)
    cls = fixed.where(fixed.notna(), base)
    return cls.where(~nat.isin(_NOT_ROADS), "ferry")


def _direction(sens: pd.Series, schema: str) -> np.ndarray:
    s = _text(sens).str.lower()
    if schema == "route500":
        return np.where(s == "sens unique", 1, 0).astype(np.int8)
    along = s.isin(["sens direct", "direct"])
    against = s.isin(["sens inverse", "inverse"])
    return np.where(along, 1, np.where(against, -1, 0)).astype(np.int8)


def ign_rules(frame: pd.DataFrame, schema: str, mode: str, prof: dict) -> WayRules:
    """Per-way rules of an IGN layer (BD TOPO 3, BD TOPO 2 or ROUTE 500) in ``mode``."""
    conf = prof[mode]
    n = len(frame)
    if schema == "route500":
        voc = _text(_col(frame, "vocation")).str.lower()
        two = _text(_col(frame, "nb_chausse")).str.startswith("2")
        cls = voc.map(
            {
                "type autoroutier": "motorway",
                "liaison principale": "primary",
                "liaison régionale": "secondary",
                "liaison locale": "tertiary",
                "bretelle": "trunk_link",
            }
        ).fillna("unclassified")
        cls = cls.where(~((cls == "primary") & two), "trunk")
    else:
        cls = _ign_class(_col(frame, "nature"), _col(frame, "importance"), _col(frame, "urbain"))
    direction = _direction(
        _col(frame, "sens_de_circulation" if schema == "bdtopo3" else "sens"), schema
    )
    # access and state
    state = _text(_col(frame, "etat_de_l_objet" if schema == "bdtopo3" else "etat")).str.lower()
    ok = state.isin(["", "en service", "revêtu", "revêtue", "non revêtu", "non revêtue"])
    private = _text(_col(frame, "prive")).str.lower().isin(["true", "oui", "1"])
    ok &= ~private
    if mode == "voiture":
        vl = _text(
            _col(frame, "acces_vehicule_leger" if schema == "bdtopo3" else "acces")
        ).str.lower()
        ok &= ~vl.isin(["physiquement impossible", "restreint aux ayants droit"])
    else:
        foot = _text(_col(frame, "acces_pieton")).str.lower()
        ok &= ~foot.isin(["physiquement impossible", "restreint aux ayants droit"])
    classes = conf["default_kmh"] if mode == "voiture" else conf["classes"]
    ok &= cls.isin(list(classes))
    ok = ok.to_numpy()
    cls_arr = cls.to_numpy(object)
    if mode == "voiture":
        table = {c: speed_kmh(c, None, mode, prof) or np.nan for c in set(cls_arr)}
        default = np.array([table[c] for c in cls_arr], float)
        curvature = np.ones(n, dtype=bool)
        speed = default
        if schema == "bdtopo3":
            realism = float(prof.get("bdtopo", {}).get("realism_vl", BDTOPO_REALISM))
            vl = pd.to_numeric(_col(frame, "vitesse_moyenne_vl"), errors="coerce").to_numpy(float)
            given = np.isfinite(vl) & (vl > 0)
            speed = np.where(given, vl * realism, default)
            curvature = ~given  # IGN's average speed already includes the bends
    else:
        speed = np.full(n, float(conf["speed_kmh"]))
        curvature = np.ones(n, dtype=bool)
    speed = np.where(ok, speed, np.nan)
    usable = ok & np.isfinite(speed)
    oneway = direction != 0
    back = usable & ~oneway
    if mode == "marche":
        back = usable
    elif mode == "velo":
        cyc = _text(_col(frame, "bande_cyclable")).str.lower().to_numpy()
        table = {c: _contraflow({"highway": c, "oneway": True}, conf, prof) for c in set(cls_arr)}
        contra = np.array([table[c] for c in cls_arr], bool) | (cyc == "double sens")
        back = usable & (~oneway | contra)
    reverse = direction == -1
    fwd = np.where(reverse, back, usable)
    bwd = np.where(reverse, usable, back)
    return WayRules(cls_arr, speed, fwd, bwd, direction, curvature)


def rules_for(schema: str, frame: pd.DataFrame, mode: str, prof: dict) -> WayRules:
    """Per-way rules of ``schema`` rows in ``mode``."""
    if schema == "geofabrik":
        return osm_rules(geofabrik_tags(frame), mode, prof)
    return ign_rules(frame, schema, mode, prof)
