"""Matplotlib drawing primitives of the static maps.

Private helper of :mod:`accessibilite.maps`: polygons as one compound path
each (holes kept), line collections, legend patches, a kilometre scale bar and
a north arrow. Every artist gets a ``gid`` so that tests can find it.
"""

from __future__ import annotations

import io

import numpy as np
import shapely


def _ring_path(geom):
    """One compound matplotlib Path for the polygons of a geometry, holes included."""
    from matplotlib.path import Path as MplPath

    polys = [] if geom is None else [geom]  # a commune without outline: an empty path
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

    return _add(ax, PathCollection([_ring_path(g) for g in geoms], **kwargs), gid)


def _add(ax, collection, gid: str):
    collection.set_gid(gid)
    ax.add_collection(collection)
    return collection


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
    return _add(ax, LineCollection(segs, **kwargs), gid)


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
        label = f"{frac * length / unit:g}".replace(".", ",") + (suffix if frac == 1 else "")
        ax.text(left + frac * length, base + 1.8 * h, label, ha="center", va="bottom",
                fontsize=8, gid="echelle", zorder=10)  # fmt: skip


def _north_arrow(ax) -> None:
    arrow = {"arrowstyle": "-|>", "color": "black", "lw": 1.5}
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.90), xycoords="axes fraction", ha="center",
                va="center", fontsize=11, fontweight="bold", arrowprops=arrow, gid="nord")  # fmt: skip


def smooth_envelope(geoms, radius_m: float) -> np.ndarray:
    """Smooth filled envelopes of road-corridor polygons (isochrone bands), vectorised.

    A road isochrone is the reached road network widened by ~100 m: at
    département scale a lace of thin corridors. Its envelope, for display at
    the map's scale, is ``buffer(radius_m)`` then ``buffer(-radius_m / 2)``
    (shapely 2, vectorised over the bands): gaps narrower than about
    ``radius_m`` between reached roads are filled, and the edge lies at most
    ``radius_m / 2`` beyond the reached roads, so that a lone valley road still
    reads as an area. Then ``simplify(radius_m / 5)`` lightens the drawing and
    parts smaller than a disc of radius ``radius_m / 2`` are dropped. The exact
    band polygons stay in ``resultats.gpkg``.

    The corridors are first simplified by ``radius_m / 10`` (a buffer of
    100,000-vertex corridors is slow: 04 by car, 7.8 s → 0.9 s). Buffering does
    not increase the Hausdorff distance, so the envelope moves by less than that
    tolerance (under 1 mm at the map's scale).
    """
    arr = shapely.simplify(np.asarray(geoms, dtype=object), radius_m / 10)
    grown = shapely.buffer(arr, radius_m, quad_segs=4)
    closed = shapely.simplify(shapely.buffer(grown, -radius_m / 2, quad_segs=4), radius_m / 5)
    out = []
    for geom in closed:
        parts = shapely.get_parts(geom)
        keep = parts[shapely.area(parts) >= np.pi * (radius_m / 2) ** 2] if len(parts) else parts
        out.append(shapely.union_all(keep) if len(keep) else shapely.Polygon())
    return np.asarray(out, dtype=object)


def distinct_bands(bands, areas, seuil: float) -> np.ndarray:
    """Mask of the bands worth drawing: the threshold band, and every other band
    whose envelope differs from the last one kept by at least 1 % of its area
    (on a network smaller than the bands, 10, 20 and 30 min share one outline)."""
    keep = np.zeros(len(areas), dtype=bool)
    previous = shapely.Polygon()
    for k, (band, area) in enumerate(zip(bands, areas, strict=True)):
        if area is None or area.is_empty:
            continue
        same = shapely.symmetric_difference(area, previous).area < 0.01 * area.area
        if float(band) == float(seuil) or not same:
            keep[k], previous = True, area
    return keep


def figure_png(fig, dpi: int = 150) -> bytes:
    """A figure as PNG bytes, without the software metadata (byte-identical reruns)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()
