"""Origin points of :func:`~accessibilite.analysis.qpv.qpv_access`: cells or a regular grid.

With a Filosofi grid, the inhabited 200 m cells (weights = their population),
each in the QPV piece holding its centre, else in the rest of its commune.
Without it, a regular square grid clipped to each polygon, equal weights, and
the QPV population estimated in proportion of its area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..territories.carreaux import cells_in_communes

__all__ = ["grid_points", "origins_from_cells", "origins_from_grid"]


def grid_points(polygon, pas_m: float) -> np.ndarray:
    """Points of a regular square grid of step ``pas_m`` inside ``polygon``.

    The grid is anchored on multiples of ``pas_m`` (offset by half a step), so
    that two runs give the same points; a polygon holding no grid point gets
    its ``representative_point``. Returns an array of shapely Points.
    """
    if polygon is None or polygon.is_empty:
        return np.empty(0, dtype=object)
    xmin, ymin, xmax, ymax = polygon.bounds
    xs = np.arange(np.floor(xmin / pas_m) * pas_m + pas_m / 2, xmax, pas_m)
    ys = np.arange(np.floor(ymin / pas_m) * pas_m + pas_m / 2, ymax, pas_m)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(polygon)
    pts = pts[shapely.contains(polygon, pts)]
    if len(pts) == 0:
        pts = np.array([polygon.representative_point()], dtype=object)
    return pts


def origins_from_cells(pieces, communes, carreaux):
    """Cell centres as origins (weights = population) and the population of each piece."""
    cells = cells_in_communes(carreaux, communes)
    joined = gpd.sjoin(
        cells, pieces[["code_qp", "code_insee", "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    # a cell centre in a QPV piece of another commune stays with its own commune's rest
    same = joined["code_insee_left"] == joined["code_insee_right"]
    code_qp = joined["code_qp"].where(same, None)
    origins = gpd.GeoDataFrame(
        {
            "zone": np.where(code_qp.notna(), "qpv", "reste"),
            "code_qp": code_qp.astype(object).to_numpy(),
            "code_insee": cells["code_insee"].to_numpy(dtype=object),
            "poids": cells["population"].to_numpy(dtype=float),
            "idcar": cells["idcar"].to_numpy(dtype=object),
        },
        geometry=cells.geometry.to_numpy(),
        crs=communes.crs,
    )
    pop = origins[origins["zone"] == "qpv"].groupby(["code_qp", "code_insee"])["poids"].sum()
    return origins, pop


def origins_from_grid(pieces, communes, pas_qpv_m, pas_reste_m):
    """Grid points as origins (equal weights in a zone) and the area-share population."""
    rows = []
    for p in pieces.itertuples():
        for pt in grid_points(p.geometry, pas_qpv_m):
            rows.append(("qpv", p.code_qp, p.code_insee, pt))
    for c in communes.itertuples():
        qp = pieces.loc[pieces["code_insee"] == c.code_insee, "geometry"]
        rest = c.geometry.difference(shapely.union_all(qp.to_numpy())) if len(qp) else c.geometry
        for pt in grid_points(rest, pas_reste_m):
            rows.append(("reste", None, c.code_insee, pt))
    origins = gpd.GeoDataFrame(
        {
            "zone": [r[0] for r in rows],
            "code_qp": pd.Series([r[1] for r in rows], dtype=object),
            "code_insee": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=communes.crs,
    )
    area = communes.set_index("code_insee").geometry.area
    pop_com = communes.set_index("code_insee")["population"].astype(float)
    share = pieces.geometry.area.to_numpy() / area.reindex(pieces["code_insee"]).to_numpy()
    pop = pd.Series(
        share * pop_com.reindex(pieces["code_insee"]).to_numpy(),
        index=pd.MultiIndex.from_frame(pieces[["code_qp", "code_insee"]]),
    )
    # each point stands for an equal part of its zone's population
    key = origins["code_qp"].fillna("") + "|" + origins["code_insee"]
    zone_pop = {f"{q}|{c}": v for (q, c), v in pop.items()}
    for code in communes["code_insee"]:
        zone_pop[f"|{code}"] = pop_com[code] - pop.xs(code, level="code_insee").sum()
    counts = key.map(key.value_counts())
    origins["poids"] = key.map(zone_pop).to_numpy(dtype=float) / counts.to_numpy(dtype=float)
    return origins, pop
