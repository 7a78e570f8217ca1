"""Tests of the interactive (folium) map (webmap.py), on the cases of test_maps."""

from __future__ import annotations

import json

import pytest
from test_maps import build_landes_case, hand_case

import accessibilite as acc
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
    for alias in ("Commune", "Population", "Temps d'accès", "Au-delà de 30 min"):
        assert alias in html
    assert '"temps_min": "inaccessible"' in html and '"temps_min": "46 min"' in html
    assert '"population": "3\\u202f000"' in html  # commune n°29, 30 × 100 inhabitants
    for layer in ("Communes au-delà de 30 min", "Cantons sans site", "Sites"):
        assert json.dumps(layer) in html  # layer-control entries
    assert "Canton Est" in html and "Canton Ouest" not in html
    assert "FS Bus" in html and "Site itinérant" in html
    assert html.count("L.circleMarker") == 2 and html.count("L.RegularPolygonMarker") == 1
    # same input → identical HTML (sequential element ids)
    assert interactive_map(deficits, services).get_root().render() == html


def test_interactive_map_sources_follow_the_data():
    # straight-line estimate of MSP (FINESS): no ANCT, OSM cited for the background only
    deficits, services = hand_case()
    html = interactive_map(deficits, services.assign(categorie="msp")).get_root().render()
    assert (
        "Sources : FINESS (DREES), IGN/INSEE ; fond de carte © contributeurs OpenStreetMap" in html
    )
    assert "ANCT" not in html
    deficits.communes.attrs["mode"] = "voiture"  # routed France Services
    html = interactive_map(deficits, services).get_root().render()
    assert "Sources : © contributeurs OpenStreetMap, ANCT, IGN/INSEE</div>" in html


def test_public_api():
    assert acc.interactive_map is interactive_map


def test_interactive_map_landes(landes_case):
    deficits, services, iso = landes_case
    html = interactive_map(deficits, services, iso).get_root().render()
    assert html.count('"code_insee": "40') == 327  # one popup feature per commune
    assert json.dumps("Isochrones") in html and json.dumps("Cantons sans site") in html
    seignanx = deficits.cantons.loc[deficits.cantons["sans_service"], "nom"]
    assert all(json.dumps(n)[1:-1] in html for n in seignanx)
