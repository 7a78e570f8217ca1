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

from ..errors import InputError, MissingColumnError
from . import atomic
from .context import caption_text
from .draw import (
    _layer,
    _lines,
    _north_arrow,
    _polygons,
    _scale_bar,
    distinct_bands,
    smooth_envelope,
)
from .style import (
    COULEUR_SEUIL,
    _method_text,
    _parts,
    _plural,
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    default_title,
    fmt_num,
    fmt_pct,
    population_beyond,
    sources_text,
)
from .style import fmt_int as fmt_int  # re-exported for report

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_access_map", "save_map", "classify_times", "class_labels"]

A4_PORTRAIT = (8.27, 11.69)


# ----------------------------------------------------------------------------- layers
_ISO_STYLES = (":", "--", "-.", (0, (5, 1, 1, 1)))
COULEUR_ISOCHRONE = "#4a1486"
COULEUR_CONTOUR = "#6f6f6f"
#: marker, size, face colour, legend label, gid of the service point layers
_SERVICE_STYLES = {
    "fixe": ("o", 42, "white", "Site fixe", "services_fixes"),
    "itinerant": ("^", 60, "#ff7f00", "Site itinérant (point de base)", "services_itinerants"),
    "hors": ("o", 18, "#969696", "Site hors territoire", "services_hors_territoire"),
}


def _commune_layer(ax, handles: list, communes, seuil: float):
    """Communes coloured by time class, those beyond the threshold outlined; returns those."""
    from matplotlib.patches import Patch

    bounds = class_bounds(seuil)
    cls = classify_times(communes["temps_min"], bounds)
    pal = class_colours(bounds)
    # mid-grey outlines: visible on the palest class (#ffffcc) and on the darkest
    _layer(ax, handles, communes.geometry, "communes", None,
           facecolors=[pal[i] for i in cls], edgecolors=COULEUR_CONTOUR, linewidths=0.3,
           zorder=1)  # fmt: skip
    shown = [k for k in range(len(pal)) if (cls == k).any()]  # only the classes drawn
    labels = class_labels(bounds)
    handles += [Patch(fc=pal[k], ec=COULEUR_CONTOUR, lw=0.4, label=labels[k]) for k in shown]
    beyond = communes[communes["au_dela_seuil"].astype(bool)]
    label = f"Commune au-delà de {fmt_num(seuil)} min ({len(beyond)})" if len(beyond) else None
    _layer(ax, handles, beyond.geometry, "au_dela_seuil", label,
           facecolors="none", edgecolors=COULEUR_SEUIL, linewidths=1.6, zorder=4)  # fmt: skip
    return beyond


def _isochrone_layer(ax, handles: list, isochrones, communes, territory, seuil: float) -> None:
    """The threshold band as one filled translucent area (else the other bands as outlines).

    Each band is drawn as its smooth envelope (:func:`~.draw.smooth_envelope`,
    radius 1,5 % of the map's width, at least 300 m) clipped to the
    territory, so that road isochrones read as areas, not as road corridors.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isochrones is None or not len(isochrones):
        return
    iso = isochrones.to_crs(communes.crs)
    if "bande_min" not in iso.columns:
        raise MissingColumnError(None, "bande_min", iso.columns)
    iso = iso.dissolve(by="bande_min", as_index=False).sort_values("bande_min")
    radius = max(300.0, 0.015 * float(np.ptp(communes.total_bounds[::2])))
    areas = shapely.intersection(smooth_envelope(iso.geometry.to_numpy(), radius), territory)
    if (iso["bande_min"].astype(float) == float(seuil)).any():  # the threshold band alone
        keep = (iso["bande_min"].astype(float) == float(seuil)).to_numpy()
    else:
        keep = distinct_bands(iso["bande_min"], areas, seuil)
    iso, areas = iso[keep], areas[keep]
    for k, (band, area) in enumerate(zip(iso["bande_min"], areas, strict=True)):
        if area.is_empty:
            continue
        if float(band) == float(seuil):
            if area.area >= 0.995 * territory.area:  # the whole map: a tint would only blur it
                handles.append(Patch(fc="none", ec="none", label=(
                    f"Tout le territoire à {fmt_num(band)} min ou moins d'un site")))  # fmt: skip
                continue
            _polygons(ax, [area], f"isochrone_{band:g}", facecolors=COULEUR_ISOCHRONE,
                      edgecolors=COULEUR_ISOCHRONE, linewidths=0, alpha=0.13, zorder=3)  # fmt: skip
            _polygons(ax, [area], f"isochrone_{band:g}_contour", facecolors="none",
                      edgecolors=COULEUR_ISOCHRONE, linewidths=1.2, zorder=3)  # fmt: skip
            handles.append(Patch(fc=(0.29, 0.08, 0.53, 0.13), ec=COULEUR_ISOCHRONE, lw=1.2,
                                 label=f"Zone à {fmt_num(band)} min ou moins d'un site"))  # fmt: skip
            continue
        line = shapely.intersection(shapely.boundary(area), territory)
        style = {"colors": COULEUR_ISOCHRONE, "linewidths": 0.9, "linestyles": _ISO_STYLES[k % 4]}
        _lines(ax, line, f"isochrone_{band:g}", zorder=3, **style)
        handles.append(Line2D([], [], color=COULEUR_ISOCHRONE, ls=style["linestyles"], lw=0.9,
                              label=f"Isochrone {fmt_num(band)} min"))  # fmt: skip


def _canton_layer(ax, handles: list, cantons, territory, crs) -> None:
    """Canton outlines clipped to the mapped communes, those without a site hatched."""
    if cantons is None or not len(cantons):
        return
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
               f"Canton sans site ({len(sans)})" if len(sans) else None, hatch="///",
               **style)  # fmt: skip


def _service_layer(ax, handles: list, services, territory, crs) -> None:
    """Fixed, itinerant and out-of-territory sites, each with its marker."""
    from matplotlib.lines import Line2D

    if services is None or not len(services):
        return
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
    return _access_page(deficits, services, isochrones, titre=titre, ax=ax, seuil_min=seuil_min)


def _access_page(deficits, services, isochrones, *, titre, ax, seuil_min, overlay=None):
    """Draw the access map.

    ``overlay(ax, parts)`` draws a layer on top and returns its legend
    (``(title, handles)`` or None) and extra key-figure lines.
    """
    import matplotlib.pyplot as plt

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

    handles: list = []
    beyond = _commune_layer(ax, handles, communes, seuil)
    territory = communes.geometry.union_all()

    _isochrone_layer(ax, handles, isochrones, communes, territory, seuil)
    _canton_layer(ax, handles, cantons, territory, crs)
    _service_layer(ax, handles, services, territory, crs)
    extra, lines = overlay(ax, parts) if overlay is not None else (None, [])
    xmin, ymin, xmax, ymax = _extent(communes, services)
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)
    _scale_bar(ax)
    _north_arrow(ax)

    titre = titre if titre is not None else default_title(deficits, services)
    method = _method_text(communes)
    caption = caption_text(communes, services, sources_text(communes, services), method)
    caption = "\n".join(textwrap.wrap(caption, 110 if own else 80))
    if own:
        fig.suptitle("\n".join(textwrap.wrap(titre, 60)), fontsize=15, y=0.975, va="top")
        cap = fig.text(0.03, 0.015, caption, fontsize=7.5, va="bottom", ha="left", gid="sources")
        pop_out, share = population_beyond(communes)
        text = (f"{_plural(len(beyond), 'commune')} et {_plural(pop_out, 'habitant')} "
                f"({fmt_pct(share)}) au-delà de {fmt_num(seuil)} min")  # fmt: skip
        if lines:  # a scenario: the first line is today's situation
            text = f"Aujourd'hui : {text}"
        _stack_page(fig, ax, [text, *lines], handles, extra, cap)
    else:
        ax.set_title("\n".join(textwrap.wrap(titre, 55)), fontsize=11)  # fits a subplot
        ax.legend(handles=handles + (extra[1] if extra else []), loc="lower left", fontsize=7)
        ax.annotate(caption, xy=(0, 0), xycoords="axes fraction", xytext=(0, -4), va="top",
                    textcoords="offset points", fontsize=6, gid="sources")  # fmt: skip
    return fig


def _extent(communes, services) -> tuple[float, float, float, float]:
    """Bounds of the communes and of every site drawn, so no marker is cut by the frame."""
    bounds = [communes.total_bounds]
    if services is not None and len(services):
        bounds.append(services.to_crs(communes.crs).total_bounds)
    b = np.asarray(bounds, dtype=float)
    b = b[np.isfinite(b).all(axis=1)]
    return b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()


def _stack_page(fig, ax, chiffres: list[str], handles: list, extra, caption) -> None:
    """Lay out the A4 page bottom-up: legends, key figures, then the map fills the rest.

    Each block is measured once drawn, so a longer legend shrinks the map
    instead of running into the sources line.
    """
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    y = 0.015 + caption.get_window_extent(renderer).height / height + 0.01  # above the caption
    legends = [("Temps d'accès par commune", handles, 2)]
    if extra:
        legends.insert(0, (*extra, 1))
    for title, items, ncol in legends:
        leg = fig.legend(handles=items, loc="lower center", bbox_to_anchor=(0.5, y), ncol=ncol,
                         fontsize=9.5, frameon=False, title=title, title_fontsize=10.5)  # fmt: skip
        y += leg.get_window_extent(renderer).height / height + 0.008
    text = fig.text(0.5, y, "\n".join(chiffres), ha="center", va="bottom", fontsize=11,
                    fontweight="bold", linespacing=1.3, gid="chiffres")  # fmt: skip
    y += text.get_window_extent(renderer).height / height + 0.012
    ax.set_position((0.03, y, 0.94, 0.915 - y))



def save_map(fig: Figure, path, dpi: int = 200) -> Path:
    """Save a figure with no timestamp nor version metadata (byte-identical reruns).

    Written atomically (:func:`.atomic.replacing`): a failure leaves the former
    file as it was and raises a French :class:`~accessibilite.DataFileError`.

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
    with atomic.replacing(path) as tmp, matplotlib.rc_context({"svg.hashsalt": "accessibilite"}):
        fig.savefig(tmp, dpi=dpi, format=fmt, metadata=metadata, facecolor="white")
    return path

