"""Curvature (sinuosity) correction of driven speeds on winding roads.

Interface shared by every network reader (OSM files, GIS line layers): for each
edge between two junctions, ``sinuosity = length / straight-line distance`` of
its end points (≥ 1). :func:`curvature_factor` returns the multiplier applied
to the model's driven speed of that edge (1 on straight roads).

The curve lives in the speed profile, section ``[voiture.curvature]`` of
``data/vitesses_fr.toml``: break points ``sinuosity`` → ``factor``, linearly
interpolated, constant beyond the last point, applied to the listed highway
classes in ``voiture`` mode only. Its calibration against IGN BD TOPO
``vitesse_moyenne_vl`` and OSRM is in ``docs/speed-model.md``
(``benchmarks/calibrate_curvature.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataFileError
from .speeds import _as_list, _validate_mode, load_profile

__all__ = ["curvature_factor", "curvature_curve", "sinuosity"]


def sinuosity(length: np.ndarray, chord: np.ndarray) -> np.ndarray:
    """``length / chord`` of each edge or chain; ``inf`` where the ends meet (a loop)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(chord > 0, length / chord, np.inf)


def curvature_curve(profile: dict | None = None) -> tuple[np.ndarray, np.ndarray, frozenset]:
    """The validated curve of a profile: (sinuosity points, factors, classes).

    A profile without a ``[voiture.curvature]`` section has no correction
    (factor 1 everywhere): ``(array([1.]), array([1.]), frozenset())``.

    Raises
    ------
    DataFileError
        The curve is malformed: points not increasing from 1, factors outside
        (0, 1], increasing, or not 1 at sinuosity 1.
    """
    prof = load_profile(profile)
    conf = prof["voiture"].get("curvature")
    if conf is None:
        return np.ones(1), np.ones(1), frozenset()
    return _validate_curve(conf.get("sinuosity"), conf.get("factor"), conf.get("classes", []), prof)


def _validate_curve(points, factors, classes, prof) -> tuple[np.ndarray, np.ndarray, frozenset]:
    def bad(reason: str):
        return DataFileError(
            prof.get("name", "profil"), f"profil de vitesses : voiture.curvature {reason}"
        )

    try:
        s = np.asarray(points, dtype=np.float64)
        f = np.asarray(factors, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise bad("sinuosity et factor doivent être des listes de nombres") from exc
    if s.ndim != 1 or s.shape != f.shape or len(s) == 0:
        raise bad("sinuosity et factor doivent être deux listes de même longueur")
    if s[0] != 1.0 or f[0] != 1.0:
        raise bad("doit commencer au point sinuosity = 1, factor = 1 (route droite)")
    if np.any(np.diff(s) <= 0):
        raise bad("sinuosity doit être strictement croissante")
    if np.any(np.diff(f) > 0) or np.any(f <= 0) or np.any(f > 1):
        raise bad("factor doit décroître, entre 0 (exclu) et 1")
    unknown = set(classes) - set(prof["voiture"]["default_kmh"])
    if unknown:
        raise bad(f"classes inconnues : {sorted(unknown)}")
    return s, f, frozenset(classes)


def curvature_factor(
    highway: np.ndarray, sinuosity: np.ndarray, mode: str, profile: dict | None = None
) -> np.ndarray:
    """Speed multiplier of each edge for its winding.

    Parameters
    ----------
    highway : ndarray of str
        OSM highway class of each edge (``"tertiary"``, ``"unclassified"``...); a
        merged osmnx class list (``"['tertiary', 'residential']"``) is corrected
        when one of its classes is.
    sinuosity : ndarray of float
        Edge length divided by the straight-line distance of its end points (≥ 1;
        ``inf`` or NaN for loops are treated as 1).
    mode : {"voiture", "marche", "velo"}
        Only ``voiture`` is corrected: walking and cycling speeds are constant
        and below any bend's speed.
    profile : dict, optional
        Speed profile (default: the packaged ``vitesses_fr.toml``).

    Returns
    -------
    ndarray of float64
        Multipliers in (0, 1]: 1 on straight roads, non-increasing with the
        sinuosity, never below the curve's last factor.
    """
    s = np.asarray(sinuosity, dtype=np.float64)
    out = np.ones(s.shape, dtype=np.float64)
    if _validate_mode(mode) != "voiture" or s.size == 0:
        return out
    points, factors, classes = curvature_curve(profile)
    if not classes:
        return out
    codes, uniques = pd.factorize(np.asarray(highway, dtype=object).ravel(), use_na_sentinel=True)
    curved = np.array([any(c in classes for c in _as_list(u)) for u in uniques], dtype=bool)
    mask = np.zeros(codes.shape, dtype=bool)
    mask[codes >= 0] = curved[codes[codes >= 0]]
    mask = mask.reshape(s.shape) & np.isfinite(s)
    out[mask] = np.interp(np.maximum(s[mask], 1.0), points, factors)
    return out
