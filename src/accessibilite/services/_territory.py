"""Private: which rows of a service file belong to the territory, and their commune codes.

A site whose commune code is in the département belongs to it, whatever its
point says; other sites belong to it when their point lies within the margin,
with a tolerance for the generalised outlines. Used by :mod:`._core`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapely

__all__ = ["OUTLINE_TOLERANCE_M"]


#: Margin, in metres, around the simplified département outline within which a
#: point counts as inside: the embedded outlines are generalised (a site of
#: Propriano, 2A, lies 16 m outside the Corse-du-Sud outline).
OUTLINE_TOLERANCE_M = 100.0


def _outside(codes, gx, gy, placed, departement, buffer_km) -> np.ndarray:
    """Rows that do not belong to the territory (see :func:`_assemble`).

    A row with a commune code of the département(s) belongs to it. Another row
    belongs to it when its point (``placed``: usable) lies within ``buffer_km``
    of the outline, with :data:`OUTLINE_TOLERANCE_M` of tolerance; without a
    margin (``buffer_km=0``) only a row without commune code is placed by its
    point (a site of Sarcelles, 95, 91 m from the simplified outline of the 93,
    stays in the 95). A row with
    neither a usable point nor a commune code cannot be placed: it is not
    "outside", it is rejected for its coordinates.
    """
    from ..territories import departement_contour
    from ..territories.datafrance import _validate_departements, departement_of

    deps = set(_validate_departements(departement))
    codes = pd.Series(codes, dtype=object).reset_index(drop=True)
    own = departement_of(codes).isin(deps).to_numpy()
    near = np.zeros(len(codes), bool)
    # a point of the other side of the world has no coordinates in an overseas UTM zone
    placed = placed & np.isfinite(gx) & np.isfinite(gy)
    if placed.any():
        with warnings.catch_warnings():  # gaps of the commune tables: told by communes()
            warnings.simplefilter("ignore", UserWarning)
            contour = departement_contour(departement, buffer_km)
        shapely.prepare(contour)
        near[placed] = shapely.dwithin(
            contour, shapely.points(gx[placed], gy[placed]), OUTLINE_TOLERANCE_M
        )
    known = codes.notna().to_numpy()
    if not buffer_km > 0:  # no margin: a commune code of elsewhere is elsewhere
        near &= ~known
    return ~own & ~near & (placed | known)


def _fill_insee(codes: pd.Series, x: np.ndarray, y: np.ndarray, departement) -> pd.Series:
    """Missing commune codes found from the département's commune polygons.

    Points in the margin around the département (``buffer_km``) keep no code.
    """
    codes = codes.astype(object).where(codes.notna() & (codes.astype(str) != ""), None)
    missing = np.flatnonzero(codes.isna().to_numpy())
    if not len(missing):
        return codes
    from ..territories import communes

    with warnings.catch_warnings():  # gaps of the commune tables: told by communes() itself
        warnings.simplefilter("ignore", UserWarning)
        com = communes(departement)
    point, polygon = shapely.STRtree(com.geometry.values).query(
        shapely.points(x[missing], y[missing]), predicate="within"
    )
    first = ~pd.Series(point).duplicated().to_numpy()  # a point on a shared border: first commune
    codes.iloc[missing[point[first]]] = com["code_insee"].to_numpy()[polygon[first]]
    return codes
