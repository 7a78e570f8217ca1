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
    _departement_name,
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
from ._mapstyle import fmt_int as fmt_int  # re-exported for report
from ._mpldraw import _layer, _lines, _north_arrow, _scale_bar
from .errors import InputError, MissingColumnError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_access_map", "plot_scenario_map", "save_map", "classify_times", "class_labels"]

A4_PORTRAIT = (8.27, 11.69)


# ----------------------------------------------------------------------------- layers
_ISO_STYLES = ("-", "--", ":", "-.")
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
    _layer(ax, handles, communes.geometry, "communes", None,
           facecolors=[pal[i] for i in cls], edgecolors="white", linewidths=0.25, zorder=1)  # fmt: skip
    shown = [k for k in range(len(pal)) if k < len(pal) - 1 or (cls == k).any()]
    labels = class_labels(bounds)
    handles += [Patch(fc=pal[k], ec="#777777", lw=0.4, label=labels[k]) for k in shown]
    beyond = communes[communes["au_dela_seuil"].astype(bool)]
    _layer(ax, handles, beyond.geometry, "au_dela_seuil",
           f"Commune au-delà de {fmt_num(seuil)} min ({len(beyond)})",
           facecolors="none", edgecolors=COULEUR_SEUIL, linewidths=1.6, zorder=4)  # fmt: skip
    return beyond


def _isochrone_layer(ax, handles: list, isochrones, communes, territory) -> None:
    """Isochrone contours inside the territory, each band's new part only."""
    from matplotlib.lines import Line2D

    if isochrones is None or not len(isochrones):
        return
    iso = isochrones.to_crs(communes.crs)
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
               f"Canton sans site ({len(sans)})", hatch="///", **style)  # fmt: skip


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

    _isochrone_layer(ax, handles, isochrones, communes, territory)
    _canton_layer(ax, handles, cantons, territory, crs)
    _service_layer(ax, handles, services, territory, crs)
    extra, lines = overlay(ax, parts) if overlay is not None else (None, [])
    xmin, ymin, xmax, ymax = communes.total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)
    _scale_bar(ax)
    _north_arrow(ax)

    titre = titre if titre is not None else default_title(deficits, services)
    method = _method_text(communes)
    caption = sources_text(communes, services) + (f". Méthode : {method}" if method else "")
    caption = "\n".join(textwrap.wrap(caption, 110 if own else 80))
    if own:
        fig.suptitle("\n".join(textwrap.wrap(titre, 60)), fontsize=15, y=0.975, va="top")
        fig.text(0.03, 0.015, caption, fontsize=7.5, va="bottom", ha="left", gid="sources")
        pop_out, share = population_beyond(communes)
        text = (f"{_plural(len(beyond), 'commune')} et {_plural(pop_out, 'habitant')} "
                f"({fmt_pct(share)}) au-delà de {fmt_num(seuil)} min")  # fmt: skip
        if lines:  # a scenario: the first line is today's situation
            text = f"Aujourd'hui : {text}"
        _stack_page(fig, ax, [text, *lines], handles, extra)
    else:
        ax.set_title("\n".join(textwrap.wrap(titre, 55)), fontsize=11)  # fits a subplot
        ax.legend(handles=handles + (extra[1] if extra else []), loc="lower left", fontsize=7)
        ax.annotate(caption, xy=(0, 0), xycoords="axes fraction", xytext=(0, -4), va="top",
                    textcoords="offset points", fontsize=6, gid="sources")  # fmt: skip
    return fig


def _stack_page(fig, ax, chiffres: list[str], handles: list, extra) -> None:
    """Lay out the A4 page bottom-up: legends, key figures, then the map fills the rest.

    Each block is measured once drawn, so a longer legend shrinks the map
    instead of running into the sources line.
    """
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    y = 0.05  # above the two-line sources caption
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


# ----------------------------------------------------------------------------- scenarios
def plot_scenario_map(
    deficits,
    scenario: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame | None = None,
    *,
    titre: str | None = None,
    methode: str | None = None,
    nb_max: int = 5,
    ax: Axes | None = None,
    seuil_min: float | None = None,
) -> Figure:
    """Access map of a scenario: closure impact or recommended new sites.

    The page of :func:`plot_access_map` (today's access times) with the
    scenario drawn on top, one title, and the scenario in the legend and the
    key figures.

    Parameters
    ----------
    deficits : Deficits or GeoDataFrame
        As for :func:`plot_access_map`: the situation today.
    scenario : GeoDataFrame
        Result of :func:`~accessibilite.scenarios.closure_impact` (column
        ``population_basculant``: every site with a positive value gets a red
        circle whose area is proportional to it, the ``nb_max`` first are
        numbered) or of :func:`~accessibilite.scenarios.recommend_sites`
        (columns ``rang``, ``gain_population``: one numbered red star per pick).
    services : GeoDataFrame, optional
        Existing sites; for a closure scenario, the scenario's sites by default.
    titre : str, optional
        The page title; by default it states the scenario and the threshold.
    methode : str, optional
        For ``recommend_sites`` results holding several methods (``"les_deux"``):
        the one drawn (default: the first, ``"glouton"``).
    nb_max : int
        Number of closures numbered and listed in the legend.
    ax, seuil_min
        As for :func:`plot_access_map`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "population_basculant" in scenario.columns:
        kind = "fermeture"
        if services is None:
            services = scenario
    elif {"rang", "gain_population"} <= set(scenario.columns):
        kind = "ouverture"
        if methode is None and "methode" in scenario.columns and len(scenario):
            methode = scenario["methode"].iloc[0]
        if methode is not None:
            scenario = scenario[scenario["methode"] == methode]
        scenario = scenario.sort_values("rang")
    else:
        raise MissingColumnError(None, "population_basculant", scenario.columns)
    parts = _parts(deficits, seuil_min)
    if titre is None:
        seuil, dep = parts["seuil"], _departement_name(parts)
        titre = (
            f"Fermeture d'un site : habitants qui passeraient au-delà de {fmt_num(seuil)} min"
            if kind == "fermeture"
            else f"Ouverture de {len(scenario)} site(s) : habitants ramenés sous {fmt_num(seuil)} min"
        ) + (f" — {dep}" if dep else "")

    def overlay(ax, parts):
        pts = scenario.to_crs(parts["communes"].crs)
        if kind == "fermeture":
            return _closures(ax, pts, parts["seuil"], nb_max, n_sites=len(scenario))
        return _openings(ax, pts, parts["seuil"], methode)

    return _access_page(deficits, services, None, titre=titre, ax=ax, seuil_min=seuil_min,
                        overlay=overlay)  # fmt: skip


def _numbers(ax, xs, ys, gid: str) -> None:
    """Rank numbers 1, 2… next to the scenario markers, on a white box."""
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
    for k, (x, y) in enumerate(zip(xs, ys, strict=True), start=1):
        ax.annotate(str(k), (x, y), xytext=(8, 6), textcoords="offset points", fontsize=11,
                    fontweight="bold", bbox=box, zorder=12, gid=gid)  # fmt: skip


def _ranked(items) -> list:
    """Legend lines whose marker is the rank number."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], ls="", marker=f"${k}$", markersize=8, color="black", label=text)
            for k, text in enumerate(items, start=1)]  # fmt: skip


def _closures(ax, pts, seuil: float, nb_max: int, n_sites: int):
    """Red circles sized by ``population_basculant``, the ``nb_max`` first numbered."""
    from matplotlib.lines import Line2D

    hit = pts[pts["population_basculant"].to_numpy() > 0]
    if not len(hit):
        return None, [
            f"Aucune fermeture isolée ne ferait passer d'habitant au-delà de {fmt_num(seuil)} min"
        ]
    pop = hit["population_basculant"].to_numpy(dtype=float)
    xs, ys = hit.geometry.x.to_numpy(), hit.geometry.y.to_numpy()
    ax.scatter(xs, ys, s=60 + 900 * pop / pop.max(), facecolor=COULEUR_SEUIL, alpha=0.5,
               edgecolor="#a50f15", linewidths=1.0, zorder=5, gid="fermetures")  # fmt: skip
    top = hit.head(nb_max)
    _numbers(ax, xs[: len(top)], ys[: len(top)], "rangs")
    handles = [Line2D([], [], ls="", marker="o", markersize=12, markerfacecolor=COULEUR_SEUIL,
                      alpha=0.5, markeredgecolor="#a50f15",
                      label=f"Site dont la fermeture pénaliserait des habitants ({len(hit)})")]  # fmt: skip
    handles += _ranked(f"{_short(r.nom)} : {_plural(r.population_basculant, 'habitant')}"
                       for r in top.itertuples())  # fmt: skip
    line = (f"Fermeture : {len(hit)} site(s) sur {n_sites} feraient passer des habitants "
            f"au-delà de {fmt_num(seuil)} min")  # fmt: skip
    title = f"Fermeture d'un site : habitants passant au-delà de {fmt_num(seuil)} min (surface du cercle)"
    return (title, handles), [line]


def _openings(ax, picks, seuil: float, methode: str | None):
    """Numbered red stars at the picks, with their gain in the legend."""
    from matplotlib.lines import Line2D

    if not len(picks):
        return None, [f"Aucun nouveau site ne ramènerait d'habitant sous {fmt_num(seuil)} min"]
    xs, ys = picks.geometry.x.to_numpy(), picks.geometry.y.to_numpy()
    ax.scatter(xs, ys, s=380, marker="*", facecolor=COULEUR_SEUIL, edgecolor="black",
               linewidths=1.0, zorder=7, gid="sites_proposes")  # fmt: skip
    _numbers(ax, xs, ys, "rangs")
    how = f", choix {methode}" if methode else ""
    handles = [Line2D([], [], ls="", marker="*", markersize=16, markerfacecolor=COULEUR_SEUIL,
                      markeredgecolor="black", label=f"Site proposé ({len(picks)}{how})")]  # fmt: skip
    handles += _ranked(f"{_short(r.nom)} : +{_plural(r.gain_population, 'habitant')}"
                       for r in picks.itertuples())  # fmt: skip
    gain = picks["gain_population"].sum()
    line = f"Ouverture : +{_plural(gain, 'habitant')} à moins de {fmt_num(seuil)} min"
    if "part_couverte_cumulee" in picks.columns:
        line += f" (couverture portée à {fmt_pct(picks['part_couverte_cumulee'].iloc[-1])})"
    title = f"Ouverture de sites : habitants ramenés sous {fmt_num(seuil)} min"
    return (title, handles), [line]


def _short(name, width: int = 60) -> str:
    return textwrap.shorten(str(name), width, placeholder="…")


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
