"""Interactive (folium / Leaflet) map of access times.

Same input as :func:`accessibilite.maps.plot_access_map` (a
:class:`~accessibilite.indicators.Deficits`, or a bare commune GeoDataFrame)
and the same classes, colours and French labels, taken from
:mod:`accessibilite.maps`. Element ids are made sequential so that the same
input gives the same HTML. The page is self-contained (Leaflet inlined, see
:mod:`accessibilite.outputs.webmap_assets`): it opens with no network, only the
OpenStreetMap background tiles then missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .context import (
    ESTIMATE_CAVEAT,
    POPULATION_TEXT,
    is_estimate,
    list_text,
    network_text,
    territory_text,
)
from .draw import distinct_bands, smooth_envelope
from .style import (
    COULEUR_SEUIL,
    _method_text,
    _parts,
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    default_title,
    fmt_int,
    fmt_num,
    sources_text,
)
from .webmap_assets import info_html, legend_html, make_self_contained

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
    titre: str | None = None,
) -> folium.Map:
    """Interactive Leaflet map: communes by access time, services, isochrones, cantons.

    Parameters
    ----------
    deficits, services, isochrones
        As for :func:`plot_access_map`.
    simplify_m : float
        Tolerance (metres) used to lighten the commune outlines; 0 keeps them.
    titre : str, optional
        Title of the map panel; by default built like the static map's.

    Returns
    -------
    folium.Map
        Layers (toggled in the layer control): "Communes", "Communes au-delà du
        seuil", "Isochrones" (outlines only, so the commune colours stay those of
        the legend), "Cantons sans site", "Sites". Commune popups give the
        commune, its population and the time in minutes. A panel (top left)
        gives the title, territory, service list date, method, road network,
        population vintage and sources (ODbL attribution); the legend (bottom
        right, clear of the scale bar) lists only what is drawn. Leaflet is
        inlined: the saved HTML has no script nor stylesheet from the network.
    """
    import folium
    import geopandas as gpd

    parts = _parts(deficits)
    communes, cantons, seuil = parts["communes"], parts["cantons"], parts["seuil"]
    full = communes
    if simplify_m:
        communes = communes.set_geometry(communes.geometry.simplify(simplify_m))
    geo = communes[["code_insee", "nom", "population", "temps_min", "au_dela_seuil", "geometry"]]
    geo = geo.to_crs(4326)
    bounds = class_bounds(seuil)
    cls = classify_times(geo["temps_min"], bounds)
    pal = class_colours(bounds)
    labels = class_labels(bounds)
    t = geo["temps_min"].to_numpy()
    geo = geo.assign(
        population=[fmt_int(p) for p in geo["population"]],
        temps_min=[f"{v:.0f} min" if np.isfinite(v) else "inaccessible" for v in t],
        au_dela_seuil=np.where(geo["au_dela_seuil"].astype(bool), "oui", "non"),
        couleur=[pal[i] for i in cls],
    )
    legend = [(f"background:{pal[k]}", labels[k]) for k in range(len(pal)) if (cls == k).any()]
    xmin, ymin, xmax, ymax = geo.total_bounds
    m = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="Fond OpenStreetMap (en ligne)").add_to(m)
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
        style_function=lambda f: _style(f["properties"]["couleur"], "#555555", 0.7,
                                        fillOpacity=0.8)(f),  # fmt: skip
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["nom", "temps_min"], aliases=["Commune", "Temps"]),
    ).add_to(m)
    beyond = geo[geo["au_dela_seuil"] == "oui"]
    if len(beyond):
        name = f"Communes au-delà de {fmt_num(seuil)} min"
        folium.GeoJson(
            beyond[["nom", "geometry"]],
            name=name,
            style_function=_style("none", COULEUR_SEUIL, 2.5, fillOpacity=0),
        ).add_to(m)
        legend.append((f"border:2px solid {COULEUR_SEUIL}", f"{name} ({len(beyond)})"))
    if isochrones is not None and len(isochrones):
        iso = isochrones.to_crs(full.crs).dissolve(by="bande_min", as_index=False)
        iso = iso.sort_values("bande_min")
        # smooth envelopes as on the static map (road corridors are unreadable), their
        # contour lines inside the studied communes only (not the territory's edge)
        radius = max(300.0, 0.015 * float(np.ptp(full.total_bounds[::2])))
        area = smooth_envelope(iso.geometry.to_numpy(), radius)
        keep = distinct_bands(iso["bande_min"], area, seuil)
        iso, area = iso[keep], area[keep]
        iso = iso.set_geometry(
            gpd.GeoSeries(area, crs=full.crs).boundary.intersection(full.geometry.union_all())
        )
        group = folium.FeatureGroup(name="Isochrones (contours)")
        for k, (band, geom) in enumerate(zip(iso["bande_min"], iso.to_crs(4326).geometry,
                                             strict=True)):  # fmt: skip
            main = float(band) == float(seuil)  # the threshold band stands out
            dash, colour = (None, "#4a1486") if main else (_DASHES[1 + k % 3], "#807dba")
            folium.GeoJson(
                geom.__geo_interface__,
                style_function=_style("none", colour, 1.6 if main else 1.0, fillOpacity=0,
                                      dashArray=dash),  # fmt: skip
                tooltip=f"Isochrone {fmt_num(band)} min",
            ).add_to(group)
            legend.append((f"border:0;border-top:2px {'dashed' if dash else 'solid'} {colour};"
                           "height:0",
                           f"Isochrone {fmt_num(band)} min" + (" (seuil)" if band == seuil else "")))  # fmt: skip
        group.add_to(m)
    if cantons is not None and "sans_service" in cantons.columns:
        sans = cantons[cantons["sans_service"].fillna(False).astype(bool)]
        if len(sans):
            folium.GeoJson(
                sans[["code", "nom", "geometry"]].to_crs(4326),
                name="Cantons sans site",
                style_function=_style("none", "#252525", 2.5, fillOpacity=0, dashArray="6 4"),
                tooltip=folium.GeoJsonTooltip(fields=["nom"], aliases=["Canton sans site"]),
            ).add_to(m)
            legend.append(("border:2px dashed #252525", f"Canton sans site ({len(sans)})"))
    if services is not None and len(services):
        legend += _sites_layer(m, services)
    m.get_root().html.add_child(folium.Element(legend_html("Temps d'accès par commune", legend)))
    titre = titre if titre is not None else default_title(deficits, services)
    m.get_root().html.add_child(folium.Element(_info(full, services, titre)))
    folium.LayerControl(collapsed=False).add_to(m)
    make_self_contained(m)
    _deterministic_ids(m.get_root())
    return m


_DASHES = (None, "10 6", "2 5", "12 4 2 4")
_TRIANGLE = (
    '<svg width="18" height="16" viewBox="0 0 18 16" style="display:block">'
    '<polygon points="9,1 17,15 1,15" fill="#ff7f00" stroke="black" stroke-width="1"/></svg>'
)


def _sites_layer(m, services) -> list[tuple[str, str]]:
    """Fixed sites as white circles, itinerant base points as orange triangles."""
    import folium

    group = folium.FeatureGroup(name="Sites")
    pts = services.to_crs(4326)
    itin_all = pts.get("itinerant")
    counts = [0, 0]
    for _, row in pts.sort_values("service_id").iterrows():
        itin = bool(row.get("itinerant", False)) if itin_all is not None else False
        counts[itin] += 1
        kind = "Site itinérant (point de base)" if itin else "Site fixe"
        popup = folium.Popup(f"<b>{_escape(row.get('nom', row['service_id']))}</b><br>{kind}")
        loc = [row.geometry.y, row.geometry.x]
        if itin:
            icon = folium.DivIcon(html=_TRIANGLE, icon_size=(18, 16), icon_anchor=(9, 10))
            marker = folium.Marker(loc, icon=icon)
        else:
            marker = folium.CircleMarker(loc, radius=6, weight=1.5, color="black",
                                         fill_color="white", fill_opacity=1)  # fmt: skip
        marker.add_child(popup).add_to(group)
    group.add_to(m)
    out = []
    if counts[0]:
        out.append(("background:white;border:1.5px solid black;border-radius:50%;width:11px;"
                    "height:11px", f"Site fixe ({counts[0]})"))  # fmt: skip
    if counts[1]:
        out.append(("border:0;width:0;height:0;border-left:7px solid transparent;border-right:"
                    "7px solid transparent;border-bottom:12px solid #ff7f00",
                    f"Site itinérant, point de base ({counts[1]})"))  # fmt: skip
    return out


def _info(communes, services, titre: str) -> str:
    """The title / method panel: territory, list date, method, network, populations, sources."""
    lines = [("Territoire", territory_text(communes))]
    listed = list_text(services)
    if listed:
        lines.append(("Services", listed))
    method = _method_text(communes)
    if method:
        lines.append(("Méthode", method))
    lines.append(("Réseau routier", network_text(communes)))
    lines.append(("Populations", POPULATION_TEXT))
    credits = sources_text(communes, services)
    if "OpenStreetMap" not in credits:  # the background tiles are OpenStreetMap's
        credits += " ; fond de carte © contributeurs OpenStreetMap"
    lines.append(("Sources", credits.removeprefix("Sources : ")
                  + " (données OpenStreetMap sous licence ODbL)"))  # fmt: skip
    return info_html(titre, lines, ESTIMATE_CAVEAT if is_estimate(communes) else None)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))
