"""Tests of the interactive (folium) map (webmap.py), on the cases of test_maps."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from test_maps import build_landes_case, hand_case

import accessibilite as acc
from accessibilite.outputs.style import class_labels
from accessibilite.outputs.webmap import interactive_map


@pytest.fixture(scope="module")
def landes_case(landes_communes, fs_2024):
    return build_landes_case(landes_communes, fs_2024)


def test_interactive_map_hand_case(tmp_path):
    deficits, services = hand_case()
    m = interactive_map(deficits, services)
    html = m.get_root().render()
    for nom in deficits.communes["nom"]:
        assert json.dumps(nom)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e") in html
    assert (  # popup aliases, JSON-escaped by folium
        'let aliases = ["Commune", "Code INSEE", "Population", "Temps d\\u0027acc\\u00e8s", '
        '"Au-del\\u00e0 de 30 min"];'
    ) in html
    assert '"temps_min": "inaccessible"' in html and '"temps_min": "46 min"' in html
    assert '"population": "3\\u202f000"' in html  # commune n°29, 30 × 100 inhabitants
    for layer in ("Communes au-delà de 30 min", "Cantons sans site", "Sites"):
        assert json.dumps(layer) in html  # layer-control entries
    assert "Canton Est" in html and "Canton Ouest" not in html
    assert "FS Bus" in html and "Site itinérant" in html
    # fixed sites as circles, the itinerant one as a triangle icon (core Leaflet, no plugin)
    assert html.count("L.circleMarker") == 2 and html.count("polygon points=") == 1
    # same input → identical HTML (sequential element ids)
    assert interactive_map(deficits, services).get_root().render() == html


def test_interactive_map_sources_follow_the_data():
    # straight-line estimate of MSP (FINESS): no ANCT, OSM cited for the background only
    deficits, services = hand_case()
    html = interactive_map(deficits, services.assign(categorie="msp")).get_root().render()
    assert (
        "<b>Sources :</b> FINESS (DREES), IGN/INSEE ; fond de carte © contributeurs "
        "OpenStreetMap (données OpenStreetMap sous licence ODbL)" in html
    )
    assert "ANCT" not in html
    deficits.communes.attrs["mode"] = "voiture"  # routed France Services
    html = interactive_map(deficits, services).get_root().render()
    assert "<b>Sources :</b> © contributeurs OpenStreetMap, ANCT, IGN/INSEE (données" in html


def test_public_api():
    assert acc.interactive_map is interactive_map


def test_interactive_map_landes(landes_case):
    deficits, services, iso = landes_case
    html = interactive_map(deficits, services, iso).get_root().render()
    assert html.count('"code_insee": "40') == 327  # one popup feature per commune
    assert json.dumps("Isochrones (contours)") in html
    assert json.dumps("Cantons sans site") in html
    seignanx = deficits.cantons.loc[deficits.cantons["sans_service"], "nom"]
    assert all(json.dumps(n)[1:-1] in html for n in seignanx)


SCRIPT_OR_STYLESHEET = re.compile(
    r"<script[^>]*\bsrc\s*=|<link[^>]*\bhref\s*=\s*[\"']?https?:", re.IGNORECASE
)


def test_saved_map_is_self_contained(tmp_path):
    deficits, services = hand_case()
    path = tmp_path / "carte.html"
    interactive_map(deficits, services).save(str(path))
    html = path.read_text(encoding="utf-8")
    assert not SCRIPT_OR_STYLESHEET.search(html)  # no script nor stylesheet to fetch
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?://[^\"' ]+\.(js|css)", html)
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html
    assert "Leaflet 1.9.4" in html and ".leaflet-container" in html  # inlined script and CSS
    assert "url(images/" not in html  # control images inlined as data URIs
    # the only remote addresses left in attributes: the tiles' attribution links
    remote = set(re.findall(r"(?:src|href)\s*=\s*\\?[\"']?(https?://[a-z0-9.-]+)", html))
    assert remote <= {"https://www.openstreetmap.org", "https://leafletjs.com"}, remote


def test_map_panel_states_title_list_date_method_and_attribution():
    deficits, services = hand_case()
    services.attrs["date_liste"] = "2024-08-01"
    html = interactive_map(deficits, services, titre="Ma carte <x>").get_root().render()
    assert "<h1 style=\"display:inline\">Ma carte &lt;x&gt;</h1>" in html
    assert "<b>Services :</b> liste du 1er août 2024 ; 3 sites" in html
    assert "<b>Méthode :</b> Estimation à vol d'oiseau" in html
    assert "<b>Attention :</b> Temps estimés à vol d'oiseau" in html  # the caveat
    assert "<b>Territoire :</b> 30 communes des Landes" in html
    assert "populations municipales 2017 de l'INSEE" in html
    assert "licence ODbL" in html


def legend_labels(html: str) -> list[str]:
    block = html[html.index('id="acc-legende"') :]
    block = block[: block.index("</div></div>") + 6]
    return re.findall(r"</span>([^<]+)</div>", block)


def test_legend_lists_only_what_is_drawn():
    deficits, services = hand_case()
    iso = gpd.GeoDataFrame({"bande_min": [10, 30]}, geometry=[
        services.geometry[0].buffer(10e3), services.geometry[0].buffer(30e3)], crs=2154)  # fmt: skip
    html = interactive_map(deficits, services, iso).get_root().render()
    labels = legend_labels(html)
    assert labels == [*class_labels(), "Communes au-delà de 30 min (11)", "Isochrone 10 min",
                      "Isochrone 30 min (seuil)", "Canton sans site (1)", "Site fixe (2)",
                      "Site itinérant, point de base (1)"]  # fmt: skip
    # isochrones are outlines only: band fills never change the commune colours
    assert '"fillOpacity": 0, "weight": 1.6' in html and '"fillOpacity": 0.05' not in html
    # a faster case: two classes drawn, no site beyond the threshold, no itinerant site
    quick = deficits.communes.assign(temps_min=[5.0] * 29 + [15.0], au_dela_seuil=False)
    deficits.communes = quick
    fixed = services[~services["itinerant"]]
    labels = legend_labels(interactive_map(deficits, fixed).get_root().render())
    assert labels == ["0 à 10 min", "10 à 20 min", "Canton sans site (1)", "Site fixe (2)"]
