"""Static (matplotlib) maps of access times, and the class and format helpers.

The maps read the :class:`~accessibilite.indicators.Deficits` result of
:func:`~accessibilite.indicators.flag_deficits` (or, more loosely, any object
with ``communes``, ``cantons`` and ``seuil_min`` attributes, or a bare commune
GeoDataFrame from :func:`~accessibilite.indicators.access_times`).

The interactive (folium) map is in :mod:`accessibilite.webmap`, which reuses
the classes, colours and formats defined here. All user-facing text (titles,
legends) is in French.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from .errors import InputError, MissingColumnError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_access_map", "save_map", "classify_times", "class_labels"]

#: Upper bounds (minutes) of the access-time classes; the last class is open.
CLASSES_MIN: tuple[float, ...] = (10, 20, 30, 45)
#: Sequential palette (ColorBrewer YlGnBu, 5 classes) then the "inaccessible" grey.
PALETTE: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
COULEUR_INACCESSIBLE = "#bdbdbd"
COULEUR_SEUIL = "#e31a1c"
SOURCES = "Sources : © contributeurs OpenStreetMap, ANCT, IGN/INSEE"
A4_PORTRAIT = (8.27, 11.69)
_MODES = {
    "voiture": "en voiture",
    "marche": "à pied",
    "velo": "à vélo",
    "vol-oiseau": "en voiture (estimation à vol d'oiseau)",
}


# ----------------------------------------------------------------------------- helpers
def class_bounds(seuil_min: float | None = None) -> tuple[float, ...]:
    """Upper bounds of the classes: :data:`CLASSES_MIN`, plus the threshold if it is not one."""
    bounds = set(CLASSES_MIN)
    if seuil_min is not None and 0 < seuil_min < CLASSES_MIN[-1] * 4:
        bounds.add(float(seuil_min))
    return tuple(sorted(bounds))


def class_colours(bounds: tuple[float, ...] = CLASSES_MIN) -> list[str]:
    """Sequential palette of ``len(bounds) + 1`` classes, then the "inaccessible" grey."""
    if len(bounds) + 1 == len(PALETTE):
        return [*PALETTE, COULEUR_INACCESSIBLE]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["YlGnBu"]
    n = len(bounds) + 1
    return [to_hex(cmap(0.05 + 0.9 * k / (n - 1))) for k in range(n)] + [COULEUR_INACCESSIBLE]


def class_labels(bounds: tuple[float, ...] = CLASSES_MIN) -> list[str]:
    """French labels of the access-time classes, then ``"inaccessible"``."""
    lows = (0, *bounds)
    labels = [f"{a:g} à {b:g} min" for a, b in zip(lows[:-1], lows[1:], strict=True)]
    return [*labels, f"plus de {bounds[-1]:g} min", "inaccessible"]


def classify_times(minutes, bounds: tuple[float, ...] = CLASSES_MIN) -> np.ndarray:
    """Class index of each time: 0..len(bounds) for the bands, len(bounds) + 1 if unreachable.

    A time equal to a bound falls in the lower class (10 min → "0 à 10 min").
    ``inf`` and NaN are "inaccessible".
    """
    t = np.asarray(pd.to_numeric(pd.Series(minutes), errors="coerce"), dtype=float)
    idx = np.searchsorted(np.asarray(bounds, dtype=float), t, side="left")
    idx[~np.isfinite(t)] = len(bounds) + 1
    return idx


def _parts(deficits, seuil_min: float | None = None) -> dict[str, Any]:
    """Normalise a ``Deficits`` (or a bare commune table) into its pieces."""
    import geopandas as gpd

    if isinstance(deficits, gpd.GeoDataFrame):
        communes, cantons, epci, dep = deficits, None, None, None
        seuil = seuil_min
    else:
        communes = getattr(deficits, "communes", None)
        if not isinstance(communes, gpd.GeoDataFrame):
            raise InputError(
                "deficits doit être le résultat de flag_deficits (attribut 'communes' "
                "GeoDataFrame) ou une GeoDataFrame de communes"
            )
        cantons = getattr(deficits, "cantons", None)
        epci = getattr(deficits, "epci", None)
        dep = getattr(deficits, "departement", None)
        seuil = seuil_min if seuil_min is not None else getattr(deficits, "seuil_min", None)
    for col in ("code_insee", "nom", "population", "temps_min"):
        if col not in communes.columns:
            raise MissingColumnError(None, col, communes.columns)
    if communes.crs is None:
        raise InputError("les communes n'ont pas de système de coordonnées (crs)")
    if seuil is None:
        seuil = 30.0
    communes = communes.copy()
    communes["temps_min"] = pd.to_numeric(communes["temps_min"], errors="coerce").astype(float)
    if "au_dela_seuil" not in communes.columns or seuil_min is not None:
        t = communes["temps_min"].to_numpy()
        communes["au_dela_seuil"] = ~(t <= float(seuil))
    return {
        "communes": communes,
        "cantons": cantons,
        "epci": epci,
        "departement": dep,
        "seuil": float(seuil),
    }


def _method_text(communes) -> str:
    """The provider's French description, as stored in ``communes.attrs`` by indicators."""
    attrs = communes.attrs or {}
    for key in ("description", "methode", "method"):
        val = attrs.get(key)
        if isinstance(val, dict):
            val = val.get("description")
        if isinstance(val, str) and val:
            return val
    return ""


def _mode(communes) -> str | None:
    attrs = communes.attrs or {}
    mode = attrs.get("mode")
    if mode is None and isinstance(attrs.get("methode"), dict):
        mode = attrs["methode"].get("mode")
    if mode is None and "vol d'oiseau" in _method_text(communes):
        mode = "vol-oiseau"
    return mode


def _departement_name(parts) -> str | None:
    dep = parts["departement"]
    if isinstance(dep, pd.DataFrame) and len(dep):
        for col in ("nom", "nom_departement"):
            if col in dep.columns and isinstance(dep[col].iloc[0], str):
                return dep[col].iloc[0]
    return None


def _service_phrase(services) -> str:
    cats = []
    if services is not None and "categorie" in services.columns:
        cats = sorted(services["categorie"].dropna().astype(str).unique())
    if len(cats) == 1 and cats[0].replace("_", " ").replace("-", " ").lower() == "france services":
        return "au France Services le plus proche"
    if len(cats) == 1:
        return f"au service le plus proche ({cats[0].replace('_', ' ')})"
    return "au service le plus proche"


def default_title(deficits, services=None) -> str:
    """French map title, e.g. "Temps d'accès en voiture au France Services le plus proche — Landes"."""
    parts = _parts(deficits)
    mode = _MODES.get(_mode(parts["communes"]) or "", "")
    titre = " ".join(w for w in ("Temps d'accès", mode, _service_phrase(services)) if w)
    dep = _departement_name(parts)
    return f"{titre} — {dep}" if dep else titre


def fmt_int(value) -> str:
    """French thousands: 12345 → "12 345" (narrow no-break space)."""
    return f"{int(round(float(value))):,}".replace(",", "\u202f")


def _plural(n, word: str) -> str:
    return f"{fmt_int(n)} {word}{'s' if n >= 2 else ''}"


def fmt_pct(share: float, digits: int = 1) -> str:
    """A share in [0, 1] as a French percentage: 0.1234 → "12,3 %"."""
    return f"{100 * float(share):.{digits}f}".replace(".", ",") + "\u00a0%"


def population_beyond(communes: pd.DataFrame) -> tuple[float, float]:
    """Population beyond the threshold and its share of the total population.

    Uses ``population_au_dela_seuil`` when the indicators give it (partial for
    the ``carreaux`` origin), else the population of the flagged communes.
    """
    pop = communes["population"].astype(float)
    if "population_au_dela_seuil" in communes.columns:
        out = float(communes["population_au_dela_seuil"].astype(float).sum())
    else:
        out = float(pop[communes["au_dela_seuil"].astype(bool)].sum())
    return out, (out / pop.sum() if pop.sum() else 0.0)


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
