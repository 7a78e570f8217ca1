"""A4 choropleth of one commune indicator: potential access (APL) or cumulated deficits.

:func:`plot_indicator_map` draws any numeric commune column with classes
given or computed (quantiles with mapclassify, zero kept apart), a French
legend, scale bar, north arrow and the sources line; :func:`deficit_count_map`
is its setting for the number of services beyond their threshold.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from .draw import _layer, _north_arrow, _scale_bar
from .style import fmt_int, fmt_num

__all__ = ["plot_indicator_map", "quantile_classes", "quantile_colours", "deficit_count_map"]

A4_PORTRAIT = (8.27, 11.69)


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return fmt_int(value)
    return f"{value:.1f}".replace(".", ",")


#: Colour of the "zero" class of :func:`quantile_classes` (no supply in reach).
COULEUR_ZERO = "#d9d9d9"


def quantile_colours(n_classes: int) -> list[str]:
    """Grey for the zero class, then a sequential YlGnBu ramp."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["YlGnBu"]
    k = n_classes - 1
    return [COULEUR_ZERO] + [to_hex(cmap(0.15 + 0.8 * i / max(k - 1, 1))) for i in range(k)]


def quantile_classes(values, k: int = 5) -> tuple[np.ndarray, list[str]]:
    """Class of each value: 0 for zero, then ``k`` quantile classes of the positive values.

    Returns the class indices and their French labels ("0 (aucune offre à
    portée)", "0,3 à 45,2", ...). Quantiles by mapclassify.
    """
    import mapclassify

    v = np.asarray(values, dtype=float)
    cls = np.zeros(len(v), dtype=int)
    pos = v > 0
    labels = ["0 (aucune offre à portée)"]
    if pos.any():
        kk = min(k, len(np.unique(v[pos])))
        q = mapclassify.Quantiles(v[pos], k=kk)
        cls[pos] = q.yb + 1
        lows = [float(v[pos].min()), *q.bins[:-1]]
        labels += [f"{_fmt(a)} à {_fmt(b)}" for a, b in zip(lows, q.bins, strict=True)]
    return cls, labels


def plot_indicator_map(
    communes,
    classes: Sequence[int],
    labels: Sequence[str],
    *,
    colours: Sequence[str] | None = None,
    titre: str,
    legende: str,
    chiffres: str | None = None,
    sources: str | None = None,
):
    """Choropleth of commune classes on an A4 portrait page.

    Parameters
    ----------
    communes : GeoDataFrame
        Commune polygons (projected CRS, metres).
    classes : sequence of int
        Class index of each commune (0 .. len(labels) - 1).
    labels : sequence of str
        French label of each class, in the legend order.
    colours : sequence of str, optional
        One colour a class; default a sequential YlOrRd-like ramp.
    titre, legende : str
        Page title and legend title.
    chiffres, sources : str, optional
        A bold key-figure line under the map, and the sources / method line.

    Returns
    -------
    matplotlib.figure.Figure
        Artists with gids ``communes``, ``echelle``, ``nord``, ``chiffres``, ``sources``.
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    n = len(labels)
    if colours is None:
        cmap = colormaps["YlGnBu"]
        colours = [to_hex(cmap(0.08 + 0.85 * k / max(n - 1, 1))) for k in range(n)]
    cls = np.asarray(classes, dtype=int)
    fig = plt.figure(figsize=A4_PORTRAIT)
    ax = fig.add_axes((0.03, 0.27, 0.94, 0.64))
    ax.set_aspect("equal")
    ax.set_axis_off()
    _layer(ax, [], communes.geometry, "communes", None,
           facecolors=[colours[i] for i in cls], edgecolors="#555555", linewidths=0.25)  # fmt: skip
    xmin, ymin, xmax, ymax = communes.total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)
    _scale_bar(ax)
    _north_arrow(ax)
    counts = np.bincount(cls, minlength=n)
    handles = [Patch(fc=colours[k], ec="#555555", lw=0.4,
                     label=f"{labels[k]} ({fmt_int(counts[k])} commune{'s' if counts[k] >= 2 else ''})")
               for k in range(n)]  # fmt: skip
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.06), ncol=1,
               fontsize=9.5, frameon=False, title="\n".join(textwrap.wrap(legende, 70)),
               title_fontsize=10.5)  # fmt: skip
    fig.suptitle("\n".join(textwrap.wrap(titre, 60)), fontsize=15, y=0.975, va="top")
    if chiffres:
        chiffres = "\n".join(textwrap.wrap(chiffres, 75))
        fig.text(0.5, 0.255, chiffres, ha="center", va="top", fontsize=11, fontweight="bold",
                 gid="chiffres")  # fmt: skip
    if sources:
        fig.text(0.03, 0.015, "\n".join(textwrap.wrap(sources, 110)), fontsize=7.5,
                 va="bottom", gid="sources")  # fmt: skip
    return fig


def deficit_count_map(communes, n_categories: int, seuils: str, **kwargs):
    """:func:`plot_indicator_map` of ``nb_deficits``: 0, 1, ... ``n_categories`` services."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["OrRd"]
    labels = ["aucun service au-delà du seuil"] + [
        f"{k} service{'s' if k >= 2 else ''} au-delà" for k in range(1, n_categories + 1)
    ]
    colours = ["#f7f7f7"] + [
        to_hex(cmap(0.3 + 0.65 * (k - 1) / max(n_categories - 1, 1)))
        for k in range(1, n_categories + 1)
    ]
    kwargs.setdefault("legende", f"Services au-delà de leur seuil ({seuils})")
    return plot_indicator_map(
        communes, communes["nb_deficits"].to_numpy(), labels, colours=colours, **kwargs
    )


def fmt_threshold(seuil: float) -> str:
    """30.0 → "30 min"."""
    return f"{fmt_num(seuil)} min"
