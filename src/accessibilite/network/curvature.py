"""Curvature (sinuosity) correction of driven speeds on winding roads.

Interface shared by every network reader (OSM files, GIS line layers): for each
edge between two junctions, ``sinuosity = length / straight-line distance`` of
its end points (≥ 1). :func:`curvature_factor` returns the multiplier applied
to the model's driven speed of that edge (1 on straight roads).

Not calibrated yet: the factor is 1 everywhere until the calibration against
IGN BD TOPO ``vitesse_moyenne_vl`` lands (see ``docs/speed-model.md``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["curvature_factor"]


def curvature_factor(
    highway: np.ndarray, sinuosity: np.ndarray, mode: str, profile: dict | None = None
) -> np.ndarray:
    """Speed multiplier of each edge for its winding.

    Parameters
    ----------
    highway : ndarray of str
        OSM highway class of each edge (``"tertiary"``, ``"unclassified"``...).
    sinuosity : ndarray of float
        Edge length divided by the straight-line distance of its end points (≥ 1;
        ``inf`` or NaN for loops are treated as 1).
    mode : {"voiture", "marche", "velo"}
    profile : dict, optional
        Speed profile (default: the packaged ``vitesses_fr.toml``).

    Returns
    -------
    ndarray of float64
        Multipliers in (0, 1].
    """
    return np.ones(np.asarray(sinuosity).shape, dtype=np.float64)
