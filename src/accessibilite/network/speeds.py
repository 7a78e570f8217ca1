"""French speed model: the editable profile, OSM ``maxspeed`` parsing, speed per edge.

The profile ``data/vitesses_fr.toml`` (installed as ``accessibilite.profiles``)
holds every number: implicit ``maxspeed`` values, default legal speed and
realism factor per highway class, constant walking and cycling speeds, and the
access and contraflow rules deciding which OSM ways a mode may use. The model
is documented in ``docs/speed-model.md``.
"""

from __future__ import annotations

import importlib.resources
import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import DataFileError, InputError

__all__ = ["MODES", "load_profile", "parse_maxspeed", "speed_kmh"]

MODES = ("voiture", "marche", "velo")
_MODE_LABEL = {"voiture": "en voiture", "marche": "à pied", "velo": "à vélo"}


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
        return _validate_profile(profile, None)
    path = Path(profile)
    try:
        prof = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataFileError(path, f"profil de vitesses illisible ({exc})") from exc
    return _validate_profile(prof, path)


@lru_cache(maxsize=1)
def _packaged_profile() -> dict:
    text = importlib.resources.files("accessibilite.profiles").joinpath("vitesses_fr.toml")
    return _validate_profile(tomllib.loads(text.read_text(encoding="utf-8")), "vitesses_fr.toml")


_PROFILE_KEYS = {
    "maxspeed": ("list_rule", "mph_kmh", "implicit"),
    "voiture": ("access_speed_kmh", "max_snap_m", "exclude_tags", "exclude_service")
    + ("default_kmh", "realism"),
    "marche": ("speed_kmh", "access_speed_kmh", "max_snap_m", "exclude_tags", "classes"),
    "velo": ("speed_kmh", "access_speed_kmh", "max_snap_m", "exclude_tags", "classes")
    + ("contraflow_max_kmh",),
}


def _validate_profile(prof: dict, path) -> dict:
    """Check that a speed profile has every key the model reads."""
    for section, keys in _PROFILE_KEYS.items():
        for key in keys:
            if key not in prof.get(section, {}):
                raise DataFileError(
                    path, f"profil de vitesses incomplet : clé {section}.{key} absente"
                )
    if prof["maxspeed"]["list_rule"] not in ("mean", "min"):
        raise DataFileError(
            path, "profil de vitesses : maxspeed.list_rule doit valoir 'mean' ou 'min'"
        )
    if set(prof["voiture"]["default_kmh"]) != set(prof["voiture"]["realism"]):
        raise DataFileError(
            path,
            "profil de vitesses : voiture.default_kmh et voiture.realism n'ont pas les mêmes classes",
        )
    return prof


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
        if implicit is None and not _NUMBER.match(item):  # "fr:urban", "FR:Zone30"
            key = item.strip().lower()
            implicit = next((v for k, v in prof["implicit"].items() if k.lower() == key), None)
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
    """Access restrictions of an osmnx edge (access=private...; foot=yes overrides access=no)."""
    allowed = any(
        v in good
        for tag, good in conf.get("allow_tags", {}).items()
        for v in _as_list(data.get(tag))
    )
    for tag, bad in conf["exclude_tags"].items():
        if (tag != "access" or not allowed) and any(v in bad for v in _as_list(data.get(tag))):
            return False
    if mode == "voiture" and "service" in _as_list(data.get("highway")):
        return not any(v in conf["exclude_service"] for v in _as_list(data.get("service")))
    return True


def _truthy(value: Any) -> bool:
    return any(str(v).lower() in ("true", "yes", "1", "-1") for v in _as_list(value))


def _contraflow(data: dict, conf: dict, prof: dict) -> bool:
    """Whether a cyclist may ride an edge against its direction."""
    if not _truthy(data.get("oneway")):
        return True
    if "roundabout" in _as_list(data.get("junction")):
        return False
    if "no" in _as_list(data.get("oneway:bicycle")):
        return True
    if any(v.startswith("opposite") for v in _as_list(data.get("cycleway"))):
        return True
    legal = parse_maxspeed(data.get("maxspeed"), prof)
    if legal is None:  # implicit limit of the class, e.g. living_street (zone de rencontre) 20
        defaults = prof["voiture"]["default_kmh"]
        known = [defaults[c] for c in _as_list(data.get("highway")) if c in defaults]
        legal = min(known) if known else None
    return legal is not None and legal <= conf["contraflow_max_kmh"]
