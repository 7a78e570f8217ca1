"""Self-contained web map: inline Leaflet, the title / method panel and the legend.

Private helper of :mod:`accessibilite.outputs.webmap`. Leaflet 1.9.4 is vendored in
``outputs/vendor/leaflet`` (npm package ``leaflet``, BSD-2-Clause, see its
README) and inlined into the page, with its control images as data URIs, so that
``carte.html`` works with no network: no ``<script src>`` nor ``<link href>`` to
a CDN. Only the OpenStreetMap background tiles stay online; without network the
map shows a plain light background under the (opaque) communes.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.resources

#: Background of the map where no tile is shown (offline): a light neutral grey.
FOND_HORS_LIGNE = "#eef0f2"


@functools.cache
def _asset(name: str) -> str:
    root = importlib.resources.files("accessibilite.outputs").joinpath("vendor/leaflet")
    return root.joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _image_uri(name: str) -> str:
    root = importlib.resources.files("accessibilite.outputs").joinpath("vendor/leaflet/images")
    data = base64.b64encode(root.joinpath(name).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def leaflet_css() -> str:
    """Leaflet's stylesheet with its images (layer control, default marker) inlined."""
    css = _asset("leaflet.css")
    for name in ("layers-2x.png", "layers.png", "marker-icon.png"):
        css = css.replace(f"url(images/{name})", f"url({_image_uri(name)})")
    return css


def make_self_contained(m) -> None:
    """Drop every CDN link folium would write and inline Leaflet instead."""
    import folium
    from folium.elements import JSCSSMixin

    def strip(element) -> None:
        if isinstance(element, JSCSSMixin):
            element.default_js, element.default_css = [], []
        for child in getattr(element, "_children", {}).values():
            strip(child)

    strip(m)
    header = m.get_root().header
    page_css = (
        f".leaflet-container {{ background: {FOND_HORS_LIGNE}; }}\n"
        "html, body { width: 100%; height: 100%; margin: 0; padding: 0; }\n"
        ".acc-panel { background: rgba(255,255,255,.94); padding: 8px 10px; border: 1px solid "
        "#999; border-radius: 4px; font: 12px/1.35 'Segoe UI', Helvetica, Arial, sans-serif; "
        "color: #222; box-shadow: 0 1px 4px rgba(0,0,0,.25); }\n"
        ".acc-panel h1 { font-size: 15px; margin: 0 0 4px; }\n"
        ".acc-panel p { margin: 2px 0; }\n"
        ".acc-key { display: inline-block; width: 14px; height: 12px; margin-right: 5px; "
        "vertical-align: -1px; border: 1px solid #777; }\n"
    )
    header.add_child(folium.Element(f"<style>{leaflet_css()}\n{page_css}</style>"), name="css")
    header.add_child(folium.Element(f"<script>{_asset('leaflet.js')}</script>"), name="leaflet")
    header.add_child(folium.Element(f"<script>{_JQUERY_SHIM}</script>"), name="jquery_shim")


#: folium writes popups as ``$(`<div>...</div>`)[0]`` (jQuery); this two-line stand-in
#: parses the HTML the same way, so that jQuery (a CDN script) is not needed.
_JQUERY_SHIM = (
    "window.$ = window.$ || function (s) { var t = document.createElement('template'); "
    "t.innerHTML = String(s).trim(); return [t.content.firstChild]; };"
)


def _e(text) -> str:
    return html.escape(str(text), quote=False)  # text content only, never attributes


def info_html(titre: str, lines: list[tuple[str, str]], caveat: str | None) -> str:
    """Top-left panel (right of the zoom buttons): title, then "label : value" lines."""
    rows = "".join(f"<p><b>{_e(k)} :</b> {_e(v)}</p>" for k, v in lines)
    warn = f'<p style="color:#a50f15"><b>Attention :</b> {_e(caveat)}</p>' if caveat else ""
    return (
        '<div class="acc-panel" id="acc-info" style="position:fixed;top:10px;left:54px;'
        'z-index:1000;max-width:430px">'
        f'<details open><summary><h1 style="display:inline">{_e(titre)}</h1></summary>'
        f"{rows}{warn}</details></div>"
    )


def legend_html(title: str, entries: list[tuple[str, str]]) -> str:
    """Bottom-right legend, above the attribution line (the scale bar is bottom-left).

    ``entries``: (inline CSS of the key swatch, label), only for what is drawn.
    """
    rows = "".join(
        f'<div><span class="acc-key" style="{style}"></span>{_e(label)}</div>'
        for style, label in entries
    )
    return (
        '<div class="acc-panel" id="acc-legende" style="position:fixed;bottom:26px;right:10px;'
        f'z-index:1000"><b>{_e(title)}</b>{rows}</div>'
    )
