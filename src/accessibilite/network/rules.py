"""OSM tags of ways → per-way speed and direction arrays of a mode (:class:`.build.WayRules`).

The rules are those of :mod:`.speeds` (``speed_kmh``, ``_usable``,
``_contraflow``) and osmnx's one-way conventions, evaluated once per distinct
combination of the tags they read, never once per way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .build import WayRules
from .speeds import _contraflow, _usable, speed_kmh

#: OSM way tags read by the speed model and the direction rules.
TAGS = (
    "highway",
    "maxspeed",
    "oneway",
    "junction",
    "access",
    "motor_vehicle",
    "motorcar",
    "foot",
    "bicycle",
    "area",
    "service",
    "oneway:bicycle",
    "cycleway",
)
#: osmnx ``_is_path_one_way`` / ``_is_path_reversed`` values.
ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}
REVERSED_VALUES = {"-1", "reverse", "T"}


def _one_combination(data: dict, mode: str, prof: dict) -> tuple:
    """(speed km/h or NaN, usable along, usable against, direction) of one tag set."""
    conf = prof[mode]
    oneway = data.get("oneway") in ONEWAY_VALUES or data.get("junction") == "roundabout"
    reverse = oneway and data.get("oneway") in REVERSED_VALUES
    attrs = dict(data, oneway=oneway)  # osmnx stores the boolean
    kmh = speed_kmh(data.get("highway"), data.get("maxspeed"), mode, prof)
    usable = kmh is not None and _usable(attrs, mode, conf)
    back = usable and (
        not oneway or mode == "marche" or (mode == "velo" and _contraflow(attrs, conf, prof))
    )
    fwd, bwd = (back, usable) if reverse else (usable, back)
    direction = 0 if not oneway else (-1 if reverse else 1)
    return (float(kmh) if usable else np.nan), fwd, bwd, direction


def osm_rules(tags: pd.DataFrame, mode: str, prof: dict) -> WayRules:
    """Per-way rules of ``mode`` from a frame of OSM tags (one row per way, str or None).

    Columns missing from ``tags`` count as absent tags.
    """
    cols = [c for c in TAGS if c in tags.columns]
    frame = tags[cols].astype(object).where(tags[cols].notna(), None)
    codes, uniques = pd.MultiIndex.from_frame(frame.fillna("\x00")).factorize()
    table = []
    for combo in uniques:
        data = {k: v for k, v in zip(cols, combo, strict=True) if v != "\x00"}
        table.append(_one_combination(data, mode, prof))
    speed, fwd, bwd, direction = (np.asarray(col) for col in zip(*table, strict=True))
    highway = (
        frame["highway"].to_numpy(dtype=object) if "highway" in cols else np.full(len(tags), None)
    )
    return WayRules(
        highway=highway,
        speed_kmh=speed.astype(np.float64)[codes],
        fwd=fwd.astype(bool)[codes],
        bwd=bwd.astype(bool)[codes],
        direction=direction.astype(np.int8)[codes],
        curvature=np.ones(len(tags), dtype=bool),
    )
