"""Coverage through time: wide tables, line chart, small-multiples map and a report section.

Reads the tidy table of :func:`~accessibilite.analysis.coverage_over_time`
(one row per date, level and territory). The report part is a self-contained
HTML fragment (:func:`evolution_section`) that the main report can embed, and
a small standalone page (:func:`write_evolution_report`).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_text
from .draw import _layer, _north_arrow, figure_png
from .style import (
    COULEUR_SEUIL,
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    fmt_int,
    fmt_num,
    fmt_pct,
)

__all__ = [
    "fmt_date",
    "coverage_wide",
    "plot_coverage_chart",
    "plot_coverage_maps",
    "evolution_section",
    "write_evolution_report",
]

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")  # fmt: skip
#: Levels of the coverage table, in the order shown, with their French names.
NIVEAUX = {"departement": "Département", "canton": "Cantons", "epci": "EPCI"}


def fmt_date(value) -> str:
    """A date in French: 2020-01-01 → "1er janvier 2020", 2024-08-15 → "15 août 2024"."""
    ts = pd.Timestamp(value)
    day = "1er" if ts.day == 1 else str(ts.day)
    return f"{day} {_MONTHS[ts.month - 1]} {ts.year}"


def coverage_wide(table: pd.DataFrame, niveau: str) -> pd.DataFrame:
    """One row per territory of ``niveau``, the figures of each date side by side.

    Columns ``code``, ``nom``, ``population``, then per date ``AAAA-MM-JJ``:
    ``sites_<date>``, ``population_au_dela_seuil_<date>``,
    ``part_au_dela_seuil_<date>``, ``sans_service_<date>``.
    """
    sub = table[table["niveau"] == niveau]
    out = sub.drop_duplicates("code")[["code", "nom", "population"]].set_index("code")
    for date, group in sub.groupby("date", sort=True):
        g = group.set_index("code")
        key = pd.Timestamp(date).strftime("%Y-%m-%d")
        out[f"sites_{key}"] = g["nb_sites"].astype("int64")
        out[f"population_au_dela_seuil_{key}"] = g["population_au_dela_seuil"]
        out[f"part_au_dela_seuil_{key}"] = g["part_au_dela_seuil"].astype(float)
        out[f"sans_service_{key}"] = g["sans_service"].astype(bool)
    return out.reset_index().sort_values("code", kind="stable").reset_index(drop=True)


def _departement(table: pd.DataFrame) -> pd.DataFrame:
    dep = table[table["niveau"] == "departement"]
    return dep.groupby("date", sort=True)[
        ["population", "population_au_dela_seuil", "nb_sites"]
    ].sum()


def plot_coverage_chart(table: pd.DataFrame, seuil_min: float, *, titre: str | None = None):
    """Line chart of the population beyond the threshold at each date.

    One line for the whole territory (left axis, inhabitants), each point
    labelled "12 345 hab. (3,0 %)", with the number of sites open at that
    date under the axis labels.

    Returns
    -------
    matplotlib.figure.Figure
        A4 landscape-width figure (gid ``population_au_dela`` on the line).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    dep = _departement(table)
    dates = pd.to_datetime(dep.index)
    pop = dep["population_au_dela_seuil"].to_numpy(dtype=float)
    share = np.divide(pop, dep["population"].to_numpy(float), out=np.zeros_like(pop),
                      where=dep["population"].to_numpy(float) > 0)  # fmt: skip
    fig, ax = plt.subplots(figsize=(11.69, 5.2))
    ax.plot(dates, pop, marker="o", color=COULEUR_SEUIL, lw=2, gid="population_au_dela")
    for d, p, s in zip(dates, pop, share, strict=True):
        ax.annotate(f"{fmt_int(p)} hab. ({fmt_pct(s)})", (d, p), xytext=(0, 9),
                    textcoords="offset points", ha="center", fontsize=10)  # fmt: skip
    ax.set_ylim(0, max(pop.max() * 1.18, 1.0))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_int(v)))
    ax.set_xticks(dates)
    ax.set_xticklabels(
        [
            f"{fmt_date(d)}\n{fmt_int(n)} site{'s' if n >= 2 else ''}"
            for d, n in zip(dates, dep["nb_sites"], strict=True)
        ]  # fmt: skip
    )
    if len(dates) > 1:
        span = (dates.max() - dates.min()) * 0.08
        ax.set_xlim(dates.min() - span, dates.max() + span)
    ax.set_ylabel(f"Habitants à plus de {fmt_num(seuil_min)} min")
    ax.grid(axis="y", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(titre or f"Population à plus de {fmt_num(seuil_min)} min du site le plus proche",
                 fontsize=14)  # fmt: skip
    fig.tight_layout()
    return fig


def plot_coverage_maps(
    panels: Sequence[tuple[object, object, object]],
    seuil_min: float,
    *,
    titre: str | None = None,
    sources: str | None = None,
):
    """Small multiples: one map of the access-time classes per date.

    Parameters
    ----------
    panels : sequence of (date, communes, services)
        ``communes``: GeoDataFrame with ``temps_min`` (from ``access_times``
        with the sites open at that date); ``services``: those sites (or None).
    seuil_min : float
        Communes beyond it are outlined in red.
    titre, sources : str, optional
        Page title and the sources / method line under the legend.

    Returns
    -------
    matplotlib.figure.Figure
        A4 landscape page, up to three panels a row, one shared legend.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(panels)
    ncols = 2 if n == 4 else min(3, max(n, 1))
    nrows = max(1, math.ceil(n / ncols))
    xmin, ymin, xmax, ymax = panels[0][1].total_bounds if n else (0, 0, 1, 1)
    aspect = (ymax - ymin) / max(xmax - xmin, 1.0)
    panel_w = 11.69 / ncols - 0.3
    panel_h = min(panel_w * aspect * 1.08, 9.0 / nrows)  # map height, titles apart
    head, foot, title_h = 0.8, 1.5, 0.75
    fig_h = head + nrows * (panel_h + title_h) + foot
    fig = plt.figure(figsize=(11.69, fig_h))
    bounds = class_bounds(seuil_min)
    pal, labels = class_colours(bounds), class_labels(bounds)
    used: set[int] = set()
    for k, (date, communes, services) in enumerate(panels):
        r, c = divmod(k, ncols)
        w = 1.0 / ncols
        y = fig_h - head - (r + 1) * (panel_h + title_h) + 0.1
        ax = fig.add_axes((c * w + 0.01, y / fig_h, w - 0.02, panel_h / fig_h))
        ax.set_aspect("equal")
        ax.set_axis_off()
        cls = classify_times(communes["temps_min"], bounds)
        used |= set(int(i) for i in np.unique(cls))
        _layer(ax, [], communes.geometry, f"communes_{k}", None,
               facecolors=[pal[i] for i in cls], edgecolors="white", linewidths=0.2)  # fmt: skip
        t = communes["temps_min"].to_numpy(dtype=float)
        beyond = ~(t <= seuil_min)
        _layer(ax, [], communes.geometry[beyond], f"au_dela_seuil_{k}", None,
               facecolors="none", edgecolors=COULEUR_SEUIL, linewidths=0.9, zorder=4)  # fmt: skip
        n_sites = 0
        if services is not None and len(services):
            pts = services.to_crs(communes.crs)
            inside = pts.within(communes.geometry.union_all().buffer(1.0)).to_numpy()
            n_sites = int(inside.sum())
            for mask, size, face, gid in ((inside, 16, "white", "services"),
                                          (~inside, 7, "#969696", "services_hors")):  # fmt: skip
                sub = pts[mask]
                ax.scatter(sub.geometry.x, sub.geometry.y, s=size, facecolor=face,
                           edgecolor="black", linewidths=0.6, zorder=6, gid=f"{gid}_{k}")  # fmt: skip
        xmin, ymin, xmax, ymax = communes.total_bounds
        pad = 0.03 * max(xmax - xmin, ymax - ymin)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)
        if k == 0:
            _small_scale(ax)
        pop = communes["population"].to_numpy(dtype=float)
        total = pop.sum()
        far = pop[beyond].sum()
        ax.set_title(
            f"{fmt_date(date)} — {fmt_int(n_sites)} site{'s' if n_sites >= 2 else ''}\n"
            f"{fmt_int(far)} hab. ({fmt_pct(far / total if total else 0)}) "
            f"au-delà de {fmt_num(seuil_min)} min",
            fontsize=10,
        )
    handles = [Patch(fc=pal[i], ec="#777777", lw=0.4, label=labels[i])
               for i in range(len(pal)) if i < len(pal) - 1 or i in used]  # fmt: skip
    handles += [
        Patch(fc="none", ec=COULEUR_SEUIL, lw=1.2, label=f"Commune au-delà de {fmt_num(seuil_min)} min"),
        Line2D([], [], ls="", marker="o", markersize=5, markerfacecolor="white",
               markeredgecolor="black", label="Site ouvert à cette date"),
        Line2D([], [], ls="", marker="o", markersize=3.5, markerfacecolor="#969696",
               markeredgecolor="black", label="Site hors territoire"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 0.3 / fig_h),
               title="Temps d'accès par commune", title_fontsize=10)  # fmt: skip
    if titre:
        fig.suptitle(titre, fontsize=14, y=1 - 0.25 / fig_h)
    if sources:
        fig.text(0.01, 0.08 / fig_h, sources, fontsize=7, gid="sources")
    return fig


def _small_scale(ax) -> None:
    """A one-piece scale bar with its length, lower right, and a north arrow (small panels)."""
    from .draw import _nice_length

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, base = x1 - (x1 - x0) * 0.04 - length, y0 + (y1 - y0) * 0.03
    ax.plot([left, left + length], [base, base], color="black", lw=2.5, gid="echelle",
            solid_capstyle="butt")  # fmt: skip
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(left + length / 2, base + (y1 - y0) * 0.012, label.replace(".", ","), ha="center",
            va="bottom", fontsize=8, gid="echelle")  # fmt: skip
    _north_arrow(ax)


def _png(fig) -> str:
    return base64.b64encode(figure_png(fig, dpi=130)).decode("ascii")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def evolution_section(table: pd.DataFrame, seuil_min: float, images: Sequence = ()) -> str:
    """HTML fragment "Évolution de la couverture": the figures by date, the images, cantons.

    ``images``: matplotlib figures or PNG bytes embedded as base64. Values
    are HTML-escaped; numbers in French formats.
    """
    dep = _departement(table)
    rows = []
    for date, r in dep.iterrows():
        share = r["population_au_dela_seuil"] / r["population"] if r["population"] else 0.0
        rows.append(
            f"<tr><td>{_e(fmt_date(date))}</td><td class='n'>{_e(fmt_int(r['nb_sites']))}</td>"
            f"<td class='n'>{_e(fmt_int(r['population_au_dela_seuil']))}</td>"
            f"<td class='n'>{_e(fmt_pct(share))}</td></tr>"
        )
    parts = [
        "<section class='evolution'>",
        "<h2>Évolution de la couverture</h2>",
        f"<p>Sites ouverts à chaque date d'après leur date de labellisation (aucune fermeture "
        f"n'est supposée) ; seuil : {_e(fmt_num(seuil_min))} min.</p>",
        "<table><thead><tr><th>Date</th><th>Sites</th><th>Habitants au-delà du seuil</th>"
        f"<th>Part</th></tr></thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    for k, image in enumerate(images, 1):
        data = base64.b64encode(image).decode() if isinstance(image, bytes) else _png(image)
        parts.append(f"<figure><img src='data:image/png;base64,{data}' "
                     f"alt='Évolution de la couverture, figure {k}'></figure>")  # fmt: skip
    for niveau in ("canton", "epci"):
        wide = coverage_wide(table, niveau)
        if not len(wide):
            continue
        dates = sorted(pd.to_datetime(table["date"].unique()))
        head = "".join(f"<th>{_e(fmt_date(d))}</th>" for d in dates)
        body = []
        for _, r in wide.iterrows():
            cells = "".join(
                f"<td class='n'>{_e(fmt_pct(r[f'part_au_dela_seuil_{d:%Y-%m-%d}']))}</td>"
                for d in dates
            )
            body.append(f"<tr><td>{_e(r['nom'])}</td>{cells}</tr>")
        parts += [
            f"<h3>{_e(NIVEAUX[niveau])} : part de la population au-delà du seuil</h3>",
            f"<table><thead><tr><th>Nom</th>{head}</tr></thead><tbody>{''.join(body)}"
            "</tbody></table>",
        ]
    parts.append("</section>")
    return "\n".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{titre}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
thead th {{ background: #dde7f0; }}
figure {{ margin: 1rem 0; break-inside: avoid; }} img {{ max-width: 100%; }}
h2, h3 {{ break-after: avoid; }}
thead {{ display: table-header-group; }}
</style></head><body>
<h1>{titre}</h1>
{contenu}
</body></html>
"""


def write_evolution_report(
    path,
    table: pd.DataFrame,
    seuil_min: float,
    *,
    images: Sequence = (),
    titre: str = "Évolution de l'accessibilité des services au public",
    methode: Mapping[str, object] | None = None,
) -> Path:
    """A small self-contained HTML page: :func:`evolution_section` and the method lines."""
    contenu = evolution_section(table, seuil_min, images)
    if methode:
        items = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in methode.items())
        contenu += f"\n<h2>Méthode</h2>\n<table>{items}</table>"
    return write_text(path, _PAGE.format(titre=_e(titre), contenu=contenu))
