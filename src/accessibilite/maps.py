"""Static (matplotlib) maps of access times, ready to print at A4.

The maps read the :class:`~accessibilite.indicators.Deficits` result of
:func:`~accessibilite.indicators.flag_deficits` (or, more loosely, any object
with ``communes``, ``cantons`` and ``seuil_min`` attributes, or a bare commune
GeoDataFrame from :func:`~accessibilite.indicators.access_times`).

The access-time classes, colours, French formats and titles shared with the
interactive map (:mod:`accessibilite.webmap`) and the report are in
:mod:`accessibilite._mapstyle` (re-exported here). All user-facing text (titles,
legends) is in French.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ._mapstyle import (
    COULEUR_SEUIL,
    SOURCES,
    _method_text,
    _parts,
    _plural,
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    default_title,
    fmt_pct,
    population_beyond,
)
from ._mapstyle import fmt_int as fmt_int  # re-exported for report
from .errors import InputError, MissingColumnError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_access_map", "save_map", "classify_times", "class_labels"]

A4_PORTRAIT = (8.27, 11.69)


# ----------------------------------------------------------------------------- drawing
def _ring_path(geom):
    """One compound matplotlib Path for the polygons of a geometry, holes included."""
    from matplotlib.path import Path as MplPath

    polys = [geom]
    while any(hasattr(g, "geoms") for g in polys):  # flatten multi-parts and collections
        polys = [p for g in polys for p in getattr(g, "geoms", [g])]
    verts, codes = [], []
    for poly in shapely.orient_polygons(polys):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _polygons(ax, geoms, gid: str, **kwargs):
    """Add one PatchCollection holding exactly one path per geometry."""
    from matplotlib.collections import PathCollection

    paths = [_ring_path(g) for g in geoms]
    coll = PathCollection(paths, **kwargs)
    coll.set_gid(gid)
    ax.add_collection(coll)
    return coll


def _layer(ax, handles: list, geoms, gid: str, label: str | None, **style):
    """Polygons of ``geoms`` plus, if ``label``, the matching legend patch."""
    from matplotlib.patches import Patch

    if len(geoms):
        _polygons(ax, geoms, gid, **style)
    if label:
        face = style.get("facecolors", "none")
        handles.append(
            Patch(fc=face if isinstance(face, str) else "none", ec=style.get("edgecolors"),
                  lw=style.get("linewidths", 1.0), hatch=style.get("hatch"), label=label)
        )  # fmt: skip


def _lines(ax, geom, gid: str, **kwargs):
    """Add a LineCollection of every line part of ``geom``."""
    from matplotlib.collections import LineCollection

    parts = shapely.get_parts(shapely.line_merge(geom)) if not geom.is_empty else []
    segs = [np.asarray(p.coords)[:, :2] for p in parts if p.geom_type == "LineString"]
    coll = LineCollection(segs, **kwargs)
    coll.set_gid(gid)
    ax.add_collection(coll)
    return coll


def _nice_length(span_m: float) -> float:
    raw = span_m / 4
    exp = 10 ** np.floor(np.log10(raw))
    return float(max(m for m in (1, 2, 5, 10) if m * exp <= raw) * exp)


def _scale_bar(ax) -> None:
    """Black-and-white scale bar in kilometres, lower right of a metric axis."""
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    h = (y1 - y0) * 0.008
    left, base = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.03
    for i in range(4):
        fc = "black" if i % 2 == 0 else "white"
        ax.add_patch(Rectangle((left + i * length / 4, base), length / 4, h, fc=fc, ec="black",
                               lw=0.6, gid="echelle", zorder=10))  # fmt: skip
    unit, suffix = (1000.0, " km") if length >= 1000 else (1.0, " m")
    for frac in (0, 0.5, 1):
        label = f"{frac * length / unit:g}" + (suffix if frac == 1 else "")
        ax.text(left + frac * length, base + 1.8 * h, label, ha="center", va="bottom",
                fontsize=8, gid="echelle", zorder=10)  # fmt: skip


def _north_arrow(ax) -> None:
    arrow = {"arrowstyle": "-|>", "color": "black", "lw": 1.5}
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.90), xycoords="axes fraction", ha="center",
                va="center", fontsize=11, fontweight="bold", arrowprops=arrow, gid="nord")  # fmt: skip


_ISO_STYLES = ("-", "--", ":", "-.")
#: marker, size, face colour, legend label, gid of the service point layers
_SERVICE_STYLES = {
    "fixe": ("o", 42, "white", "Site fixe", "services_fixes"),
    "itinerant": ("^", 60, "#ff7f00", "Site itinérant (point de base)", "services_itinerants"),
    "hors": ("o", 18, "#969696", "Site hors territoire", "services_hors_territoire"),
}


# ----------------------------------------------------------------------------- static map
def plot_access_map(
    deficits,
    services: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    *,
    titre: str | None = None,
    ax: Axes | None = None,
    seuil_min: float | None = None,
) -> Figure:
    """Choropleth of the access time by commune, ready to print at A4.

    Parameters
    ----------
    deficits : Deficits or GeoDataFrame
        Result of :func:`~accessibilite.indicators.flag_deficits` (communes,
        cantons with ``sans_service``, ``seuil_min``), or a commune table with
        ``temps_min``.
    services : GeoDataFrame, optional
        Service points (``itinerant`` sites get a distinct marker).
    isochrones : GeoDataFrame, optional
        Band polygons with a ``bande_min`` column, drawn as contour lines.
    titre : str, optional
        Map title; by default built from the travel mode, the service category
        and the département name.
    ax : matplotlib Axes, optional
        Draw into this axis; by default a new A4 portrait figure is made.
    seuil_min : float, optional
        Threshold in minutes; defaults to ``deficits.seuil_min`` (else 30).

    Returns
    -------
    matplotlib.figure.Figure
        Classes 0-10-20-30-45+ min, communes beyond the threshold outlined in
        red, cantons without a service site hatched, scale bar, north arrow,
        French legend and the sources line with the method sentence.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    parts = _parts(deficits, seuil_min)
    communes, cantons, seuil = parts["communes"], parts["cantons"], parts["seuil"]
    crs = communes.crs
    if ax is None:
        fig = plt.figure(figsize=A4_PORTRAIT)
        ax = fig.add_axes((0.03, 0.25, 0.94, 0.66))
        own = True
    else:
        fig, own = ax.figure, False
    ax.set_aspect("equal")
    ax.set_axis_off()

    bounds = class_bounds(seuil)
    cls = classify_times(communes["temps_min"], bounds)
    pal = class_colours(bounds)
    handles: list = []
    _layer(ax, handles, communes.geometry, "communes", None,
           facecolors=[pal[i] for i in cls], edgecolors="white", linewidths=0.25, zorder=1)  # fmt: skip
    shown = [k for k in range(len(pal)) if k < len(pal) - 1 or (cls == k).any()]
    labels = class_labels(bounds)
    handles += [Patch(fc=pal[k], ec="#777777", lw=0.4, label=labels[k]) for k in shown]
    territory = communes.geometry.union_all()
    beyond = communes[communes["au_dela_seuil"].astype(bool)]
    _layer(ax, handles, beyond.geometry, "au_dela_seuil",
           f"Commune au-delà de {seuil:g} min ({len(beyond)})",
           facecolors="none", edgecolors=COULEUR_SEUIL, linewidths=1.6, zorder=4)  # fmt: skip

    if isochrones is not None and len(isochrones):
        iso = isochrones.to_crs(crs)
        if "bande_min" not in iso.columns:
            raise MissingColumnError(None, "bande_min", iso.columns)
        iso = iso.dissolve(by="bande_min", as_index=False).sort_values("bande_min")
        # nested bands: draw only the new part of each contour (tolerance ~ grid cells)
        drawn, tol = shapely.Polygon(), max(5.0, 0.002 * float(np.ptp(communes.total_bounds[::2])))
        for k, (band, geom) in enumerate(zip(iso["bande_min"], iso.geometry, strict=True)):
            line = shapely.intersection(shapely.boundary(geom), territory)
            line, drawn = shapely.difference(line, drawn), shapely.union(drawn, line.buffer(tol))
            if line.is_empty:
                continue
            style = {"colors": "#4a1486", "linewidths": 1.0, "linestyles": _ISO_STYLES[k % 4]}
            _lines(ax, line, f"isochrone_{band:g}", zorder=3, **style)
            handles.append(Line2D([], [], color="#4a1486", ls=style["linestyles"], lw=1.0,
                                  label=f"Isochrone {band:g} min"))  # fmt: skip

    if cantons is not None and len(cantons):
        # only the part of each canton inside the mapped communes
        cantons = cantons.to_crs(crs)
        clipped = cantons.geometry.intersection(territory)
        keep = (clipped.area > 0.01 * cantons.geometry.area).to_numpy()
        cantons = cantons.set_geometry(clipped)[keep]
        style = {"facecolors": "none", "edgecolors": "#252525", "linewidths": 0.9, "zorder": 2}
        _layer(ax, handles, cantons.geometry, "cantons", "Canton", **style)
        if "sans_service" in cantons.columns:
            sans = cantons[cantons["sans_service"].fillna(False).astype(bool)]
            _layer(ax, handles, sans.geometry, "cantons_sans_service",
                   f"Canton sans site ({len(sans)})", hatch="///", **style)  # fmt: skip

    if services is not None and len(services):
        pts = services.to_crs(crs)
        itin = pts.get("itinerant", pd.Series(False, index=pts.index)).fillna(False).astype(bool)
        inside = pts.within(territory.buffer(1.0))
        for mask, (marker, size, face, label, gid) in (
            (~itin & inside, _SERVICE_STYLES["fixe"]),
            (itin & inside, _SERVICE_STYLES["itinerant"]),
            (~inside, _SERVICE_STYLES["hors"]),
        ):
            sub = pts[mask.to_numpy()]
            if not len(sub):
                continue
            ax.scatter(sub.geometry.x, sub.geometry.y, s=size, marker=marker, facecolor=face,
                       edgecolor="black", linewidths=1.0, zorder=6, gid=gid)  # fmt: skip
            handles.append(
                Line2D([], [], ls="", marker=marker, markersize=np.sqrt(size) + 0.5,
                       markerfacecolor=face, markeredgecolor="black", label=f"{label} ({len(sub)})")
            )  # fmt: skip

    xmin, ymin, xmax, ymax = communes.total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)
    _scale_bar(ax)
    _north_arrow(ax)

    titre = titre if titre is not None else default_title(deficits, services)
    method = _method_text(communes)
    caption = SOURCES + (f". Méthode : {method}" if method else "")
    caption = "\n".join(textwrap.wrap(caption, 110 if own else 80))
    if own:
        fig.suptitle("\n".join(textwrap.wrap(titre, 60)), fontsize=15, y=0.975, va="top")
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.215), ncol=2,
                   fontsize=9.5, frameon=False, title="Temps d'accès par commune",
                   title_fontsize=10.5)  # fmt: skip
        pop_out, share = population_beyond(communes)
        text = (f"{_plural(len(beyond), 'commune')} et {_plural(pop_out, 'habitant')} "
                f"({fmt_pct(share)}) au-delà de {seuil:g} min")  # fmt: skip
        fig.text(
            0.5, 0.237, text, ha="center", va="top", fontsize=11, fontweight="bold", gid="chiffres"
        )
        fig.text(0.03, 0.015, caption, fontsize=7.5, va="bottom", ha="left", gid="sources")
    else:
        ax.set_title(titre, fontsize=11)
        ax.legend(handles=handles, loc="lower left", fontsize=7, title_fontsize=8)
        ax.annotate(caption, xy=(0, 0), xycoords="axes fraction", xytext=(0, -4), va="top",
                    textcoords="offset points", fontsize=6, gid="sources")  # fmt: skip
    return fig


def save_map(fig: Figure, path, dpi: int = 200) -> Path:
    """Save a figure with no timestamp nor version metadata (byte-identical reruns).

    Parameters
    ----------
    fig : matplotlib Figure
    path : str or Path
        ``.png`` (default format), ``.pdf`` or ``.svg``.
    dpi : int
        Resolution of raster output; 200 dpi on A4 gives a print-quality PNG.

    Returns
    -------
    Path
        The written file.
    """
    import matplotlib

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".") or "png"
    metadata = {
        "png": {"Software": None},
        "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
        "svg": {"Creator": None, "Date": None},
    }.get(fmt)
    if metadata is None:
        raise InputError(f"{path}: format de carte non pris en charge (png, pdf ou svg)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.hashsalt": "accessibilite"}):
        fig.savefig(path, dpi=dpi, format=fmt, metadata=metadata, facecolor="white")
    return path
