"""Interactive (folium / Leaflet) map of access times.

Same input as :func:`accessibilite.maps.plot_access_map` (a
:class:`~accessibilite.indicators.Deficits`, or a bare commune GeoDataFrame)
and the same classes, colours and French labels, taken from
:mod:`accessibilite.maps`. Element ids are made sequential so that the same
input gives the same HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .style import (
    COULEUR_SEUIL,
    _parts,
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    fmt_int,
    fmt_num,
    sources_text,
)

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

__all__ = ["interactive_map"]


# ----------------------------------------------------------------------------- helpers
def _style(fill: str, colour: str = "#ffffff", weight: float = 0.5, **extra):
    def style(_feature):
        return {"fillColor": fill, "color": colour, "weight": weight, "fillOpacity": 0.8, **extra}

    return style


def _deterministic_ids(element, counter=None) -> None:
    """Replace folium's random element ids by sequential ones (stable HTML output)."""
    from branca.element import Element

    counter = counter if counter is not None else [0]
    if hasattr(element, "_id"):
        element._id = f"{counter[0]:06d}"
        counter[0] += 1
    for attr in ("header", "html", "script"):
        sub = getattr(element, attr, None)
        if isinstance(sub, Element) and sub is not element:
            _deterministic_ids(sub, counter)
    children = getattr(element, "_children", None)
    if children:
        renamed = {}
        for key, child in list(children.items()):
            auto = key == child.get_name()
            _deterministic_ids(child, counter)
            renamed[child.get_name() if auto else key] = child
        children.clear()
        children.update(renamed)


def interactive_map(
    deficits,
    services: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    *,
    simplify_m: float = 20.0,
) -> folium.Map:
    """Interactive Leaflet map: communes by access time, services, isochrones, cantons.

    Parameters
    ----------
    deficits, services, isochrones
        As for :func:`plot_access_map`.
    simplify_m : float
        Tolerance (metres) used to lighten the commune outlines; 0 keeps them.

    Returns
    -------
    folium.Map
        Layers (toggled in the layer control): "Communes", "Communes au-delà du
        seuil", "Isochrones", "Cantons sans site", "Sites". Commune popups give
        the commune, its population and the time in minutes.
    """
    import folium

    parts = _parts(deficits)
    communes, cantons, seuil = parts["communes"], parts["cantons"], parts["seuil"]
    if simplify_m:
        communes = communes.set_geometry(communes.geometry.simplify(simplify_m))
    geo = communes[["code_insee", "nom", "population", "temps_min", "au_dela_seuil", "geometry"]]
    geo = geo.to_crs(4326)
    bounds = class_bounds(seuil)
    cls = classify_times(geo["temps_min"], bounds)
    pal = class_colours(bounds)
    t = geo["temps_min"].to_numpy()
    geo = geo.assign(
        population=[fmt_int(p) for p in geo["population"]],
        temps_min=[f"{v:.0f} min" if np.isfinite(v) else "inaccessible" for v in t],
        au_dela_seuil=np.where(geo["au_dela_seuil"].astype(bool), "oui", "non"),
        couleur=[pal[i] for i in cls],
    )
    xmin, ymin, xmax, ymax = geo.total_bounds
    m = folium.Map(tiles="OpenStreetMap", control_scale=True)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    fields = ["nom", "code_insee", "population", "temps_min", "au_dela_seuil"]
    aliases = [
        "Commune",
        "Code INSEE",
        "Population",
        "Temps d'accès",
        f"Au-delà de {fmt_num(seuil)} min",
    ]
    folium.GeoJson(
        geo,
        name="Communes (temps d'accès)",
        style_function=lambda f: _style(f["properties"]["couleur"], fillOpacity=0.75)(f),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["nom", "temps_min"], aliases=["Commune", "Temps"]),
    ).add_to(m)
    beyond = geo[geo["au_dela_seuil"] == "oui"]
    if len(beyond):
        folium.GeoJson(
            beyond[["nom", "geometry"]],
            name=f"Communes au-delà de {fmt_num(seuil)} min",
            style_function=_style("none", COULEUR_SEUIL, 2.5, fillOpacity=0),
        ).add_to(m)
    if isochrones is not None and len(isochrones):
        iso = isochrones.dissolve(by="bande_min", as_index=False).sort_values("bande_min")
        group = folium.FeatureGroup(name="Isochrones")
        for band, geom in zip(iso["bande_min"], iso.to_crs(4326).geometry, strict=True):
            folium.GeoJson(
                geom.__geo_interface__,
                style_function=_style("#4a1486", "#4a1486", 1.5, fillOpacity=0.05),
                tooltip=f"Isochrone {fmt_num(band)} min",
            ).add_to(group)
        group.add_to(m)
    if cantons is not None and "sans_service" in cantons.columns:
        sans = cantons[cantons["sans_service"].fillna(False).astype(bool)]
        if len(sans):
            folium.GeoJson(
                sans[["code", "nom", "geometry"]].to_crs(4326),
                name="Cantons sans site",
                style_function=_style("#252525", "#252525", 2, fillOpacity=0.15, dashArray="6 4"),
                tooltip=folium.GeoJsonTooltip(fields=["nom"], aliases=["Canton sans site"]),
            ).add_to(m)
    if services is not None and len(services):
        group = folium.FeatureGroup(name="Sites")
        pts = services.to_crs(4326)
        for _, row in pts.sort_values("service_id").iterrows():
            itin = bool(row.get("itinerant", False))
            kind = "Site itinérant (point de base)" if itin else "Site fixe"
            popup = folium.Popup(f"<b>{_escape(row.get('nom', row['service_id']))}</b><br>{kind}")
            loc, look = [row.geometry.y, row.geometry.x], {"color": "black", "fill_opacity": 1}
            if itin:
                marker = folium.RegularPolygonMarker(loc, number_of_sides=3, radius=9, weight=1,
                                                     fill_color="#ff7f00", rotation=30, **look)  # fmt: skip
            else:
                marker = folium.CircleMarker(loc, radius=6, weight=1.5, fill_color="white", **look)
            marker.add_child(popup).add_to(group)
        group.add_to(m)
    credits = sources_text(parts["communes"], services)
    if "OpenStreetMap" not in credits:  # the background tiles are OpenStreetMap's
        credits += " ; fond de carte © contributeurs OpenStreetMap"
    m.get_root().html.add_child(folium.Element(_legend_html(seuil, credits)))
    folium.LayerControl(collapsed=False).add_to(m)
    _deterministic_ids(m.get_root())
    return m


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))


def _legend_html(seuil: float, credits: str) -> str:
    bounds = class_bounds(seuil)
    rows = "".join(
        f'<div><span style="background:{c};width:14px;height:14px;display:inline-block;'
        f'border:1px solid #777;margin-right:4px"></span>{_escape(lab)}</div>'
        for c, lab in zip(class_colours(bounds), class_labels(bounds), strict=True)
    )
    return (
        '<div style="position:fixed;bottom:24px;left:12px;z-index:9999;background:white;'
        'padding:8px;border:1px solid #999;font:12px sans-serif">'
        f"<b>Temps d'accès par commune</b>{rows}"
        f'<div><span style="border:2px solid {COULEUR_SEUIL};width:12px;height:12px;'
        f'display:inline-block;margin-right:4px"></span>Au-delà de {fmt_num(seuil)} min</div>'
        f"<div>{_escape(credits)}</div></div>"
    )
