"""Static maps of the scenarios: closure impact of each site, best places for new sites."""

from __future__ import annotations

__all__ = ["plot_scenario_map"]

import textwrap
from typing import TYPE_CHECKING

from ..errors import MissingColumnError
from .maps import _access_page
from .style import (
    COULEUR_SEUIL,
    _parts,
    _plural,
    fmt_num,
    fmt_pct,
    territory_name,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
        The studied territory ("Landes", "2 communes des Yvelines") is appended
        after " — " unless the title already has one.
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
    if titre is not None and " — " not in titre:
        titre = f"{titre} — {territory_name(parts)}"  # a scenario map names its territory
    if titre is None:
        seuil, dep = parts["seuil"], territory_name(parts)
        titre = (
            f"Fermeture d'un site : habitants qui passeraient au-delà de {fmt_num(seuil)} min"
            if kind == "fermeture"
            else f"Ouverture de {len(scenario)} site(s) : habitants ramenés sous {fmt_num(seuil)} min"
        ) + f" — {dep}"

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

