"""Territory filter of the loaders (issue 10, items 2 and 3): by commune code first, the
margin with a tolerance; rows of elsewhere are left out, not rejected."""

from __future__ import annotations

import warnings

import pandas as pd
import pyproj
import pytest
import shapely

import accessibilite as acc
from accessibilite.services import UnreadableFieldWarning, load_france_services, load_points
from accessibilite.services._territory import OUTLINE_TOLERANCE_M
from accessibilite.territories import departement_contour


@pytest.fixture(scope="module")
def raw_2024(fs_2024):
    return pd.read_csv(fs_2024, dtype=str)


@pytest.mark.parametrize(
    "dep, expected", [("2A", 15), ("93", 32), ("49", 28), ("27", 31), ("40", 20)]
)
def test_every_site_of_the_departement_kept_at_zero_margin(fs_2024, raw_2024, dep, expected):
    own = raw_2024[raw_2024["insee_com"].str.startswith(dep)]
    assert len(own) == expected  # independent count on the source file
    with warnings.catch_warnings():
        warnings.simplefilter("error", acc.RejectedRowsWarning)  # nothing rejected
        warnings.simplefilter("error", UnreadableFieldWarning)
        sites = load_france_services(fs_2024, departement=dep, buffer_km=0)
    assert sorted(sites["service_id"]) == sorted(own["id_fs"])
    assert sites.attrs["out_of_territory"] == len(raw_2024) - expected
    assert len(sites.attrs["rejected"]) == 0
    assert len(sites) + sites.attrs["out_of_territory"] == sites.attrs["rows_read"]


@pytest.mark.parametrize("dep, neighbour, code", [("93", "3125", "95585"), ("27", "774", "28348")])
def test_a_neighbour_near_the_outline_stays_in_its_departement(fs_2024, dep, neighbour, code):
    """Sarcelles (95) and Saint-Lubin-des-Joncherets (28) lie 91 m and 83 m from the 93 and
    27 outlines: within the outline tolerance, yet not in the 93 or 27 at zero margin;
    a margin takes them in."""
    strict = load_france_services(fs_2024, departement=dep, buffer_km=0)
    assert neighbour not in set(strict["service_id"])
    wide = load_france_services(fs_2024, departement=dep, buffer_km=1)
    row = wide[wide["service_id"] == neighbour]
    assert row["code_insee"].tolist() == [code]
    assert len(wide) == len(strict) + (wide["code_insee"].str[:2] != dep).sum()


def test_propriano_sartene_outside_the_simplified_outline_is_kept(fs_2024):
    sites = load_france_services(fs_2024, departement="2A")
    site = sites[sites["nom"] == "France services multisites Propriano - Sartene"]
    assert site["code_insee"].tolist() == ["2A249"]
    distance = shapely.distance(departement_contour("2A"), site.geometry.iloc[0])
    assert 10 < distance < 20  # 16 m outside the embedded outline, in the département
    # the canton of the site is its commune's canton: Sartenais-Valinco has a site
    deficits = acc.flag_deficits(
        acc.access_times(acc.communes("2A"), sites, acc.StraightLineEstimate()), sites
    )
    canton = deficits.cantons[deficits.cantons["nom"] == "Sartenais-Valinco"]
    assert canton["nb_sites"].item() >= 1 and not canton["sans_service"].item()
    assert not deficits.cantons["sans_service"].any()


def test_a_point_without_commune_code_just_outside_the_outline_is_kept(tmp_path):
    """The generalised outline passes 16 m inside Propriano's site: a point file without
    commune codes keeps it (tolerance), and leaves out a point 5 km out to sea."""
    contour = departement_contour("2A")
    to_wgs = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    inside = shapely.get_coordinates(contour.representative_point())[0]
    boundary = contour.boundary
    on_edge = shapely.get_coordinates(shapely.line_interpolate_point(boundary, 0.37, True))[0]
    # a point 30 m and one 5 km outside, along the outward direction from the inside point
    direction = (on_edge - inside) / ((on_edge - inside) ** 2).sum() ** 0.5
    near, far = on_edge + 30 * direction, on_edge + 5000 * direction
    rows = ["nom,lon,lat"]
    for name, (x, y) in (("dedans", inside), ("30 m", near), ("5 km", far)):
        lon, lat = to_wgs.transform(x, y)
        rows.append(f"{name},{lon:.7f},{lat:.7f}")
    path = tmp_path / "points.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    points = load_points(path, "test", departement="2A")
    distance = shapely.distance(contour, shapely.points([near, far]))
    assert distance[0] < OUTLINE_TOLERANCE_M < distance[1]
    expected = ["dedans", "30 m"]  # 30 m out: within the tolerance; 5 km: left out
    assert points["nom"].tolist() == expected
    assert points.attrs["out_of_territory"] == 1 and len(points.attrs["rejected"]) == 0


def test_a_row_of_elsewhere_is_left_out_even_when_unusable(tmp_path):
    """A Breton row without coordinates is not the Landes' business: left out, not rejected;
    a Landes row without coordinates is rejected; a row with neither is rejected."""
    path = tmp_path / "sites.csv"
    path.write_text(
        "id,nom,code_insee,lat,lon\n"
        "a,Dax,40088,43.7102,-1.0536\n"
        "b,Brest sans coordonnées,29019,,\n"
        "c,Tartas sans coordonnées,40313,,\n"
        "d,Inconnu sans rien,,,\n"
        "e,Bayonne (64) à 3 km de la limite,64102,43.4933,-1.4750\n",
        encoding="utf-8",
    )
    with pytest.warns(acc.RejectedRowsWarning, match="2 ligne"):
        sites = load_points(path, "test", departement="40")
    assert sites["service_id"].tolist() == ["a"]
    assert sorted(sites.attrs["rejected"]["id"]) == ["c", "d"]
    assert sites.attrs["out_of_territory"] == 2  # Brest, Bayonne
    with pytest.warns(acc.RejectedRowsWarning, match="2 ligne"):
        wide = load_points(path, "test", departement="40", buffer_km=10)
    assert wide["service_id"].tolist() == ["a", "e"]  # Bayonne within the 10 km margin
