"""Tests of the FINESS and BPE loaders on a hand-written FINESS extract and the real BPE files."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyproj
import pytest
from test_services import DATA, _check_frame, _quiet

from accessibilite import DataFileError, MissingColumnError
from accessibilite.services.health import _finess_crs, load_bpe, load_finess
from accessibilite.services.loaders import RejectedRowsWarning

FINESS = DATA / "etalab-cs1100507-stock-20240301-0337.csv"


# ------------------------------------------------------------------ FINESS


def test_finess_official_layout():
    with pytest.warns(RejectedRowsWarning, match="3 ligne"):
        fin = load_finess(FINESS)
    _check_frame(fin, 8)  # 9 structureet records, 1 EHPAD out of the categories
    assert fin.attrs["out_of_scope"] == 1
    assert fin["service_id"].tolist() == [
        "400012345", "400012346", "970112345", "330012345", "970412345"]  # fmt: skip
    assert fin["categorie"].tolist() == ["msp", "centre_sante", "msp", "msp", "centre_sante"]
    assert fin["code_insee"].tolist() == ["40192", "40088", "97101", "33063", "97411"]
    assert fin["nom"].iloc[1] == "CENTRE DE SANTE MUNICIPAL DE DAX"
    assert fin["date_ouverture"].iloc[0] == pd.Timestamp("2015-09-01")
    # legacy "LAMBERT_93" and new "EPSG:2154 ..." rows are kept exactly
    assert fin.geometry.iloc[0].coords[0] == (418853.7, 6316364.0)
    assert fin.geometry.iloc[1].coords[0] == (373366.5, 6298515.8)
    # overseas rows: read in their own UTM system, back to the original lon/lat
    back = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    lon, lat = back.transform(fin.geometry.x.iloc[[2, 4]], fin.geometry.y.iloc[[2, 4]])
    np.testing.assert_allclose(lon, [-61.5046, 55.4481], atol=1e-6)
    np.testing.assert_allclose(lat, [16.2710, -20.8789], atol=1e-6)
    reasons = fin.attrs["rejected"].set_index("nofinesset")["reason"].to_dict()
    assert reasons == {
        "400012348": "coordonnées manquantes",  # no geolocalisation record
        "400012345": "identifiant en double",
        "400012349": "système de coordonnées inconnu",
    }


def test_finess_categories_and_departement():
    fin = _quiet(load_finess, FINESS, categories=["msp"], departement="40")
    assert fin["service_id"].tolist() == ["400012345"]
    assert fin.attrs["out_of_scope"] == 3
    ehpad = load_finess(FINESS, categories=["500"])
    assert ehpad["service_id"].tolist() == ["400012347"] and ehpad["categorie"].tolist() == ["500"]


def test_finess_not_an_etalab_file(tmp_path):
    with pytest.raises(DataFileError, match="finess;etalab"):
        load_finess(DATA / "rejets.csv")
    with pytest.raises(DataFileError, match="introuvable"):
        load_finess(tmp_path / "etalab-cs1100507-stock.csv")


# ------------------------------------------------------------------ BPE


def test_bpe_landes_general_practitioners(bpe_d201, landes_communes):
    raw = pd.read_csv(bpe_d201, dtype={"CODGEO": str})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RejectedRowsWarning)
        gp = load_bpe(bpe_d201, landes_communes)
    _check_frame(gp, 96)
    assert len(gp) == 96 and gp["capacite"].sum() == 428 and gp.columns[7] == "capacite"
    assert gp.attrs["out_of_scope"] == len(raw) - 96
    assert (gp["categorie"] == "medecin_generaliste").all()
    assert gp["service_id"].iloc[0] == "D201-40001" and gp["nom"].iloc[0] == "Aire-sur-l'Adour"
    mairies = landes_communes.set_index("code_insee")["mairie"]
    assert all(g.equals(mairies[c]) for g, c in zip(gp.geometry, gp["code_insee"], strict=True))
    dax = gp.set_index("code_insee").loc["40088", "capacite"]
    assert dax == raw.set_index("CODGEO").loc["40088", "NB_D201"]


def test_bpe_maternities_and_rejections(bpe_d107, landes_communes, tmp_path):
    mat = load_bpe(bpe_d107, landes_communes, code="D107")
    assert (
        sorted(mat["nom"]) == ["Dax", "Mont-de-Marsan"] and (mat["categorie"] == "maternite").all()
    )
    small = tmp_path / "bpe.csv"
    small.write_text('"CODGEO","NB_D201"\n"40088",12\n"40999",3\n"40192",0\n"33063",500\n')
    with pytest.warns(RejectedRowsWarning, match="2 ligne"):
        gp = load_bpe(small, landes_communes)
    assert gp["service_id"].tolist() == ["D201-40088"] and gp.attrs["out_of_scope"] == 1
    assert gp.attrs["rejected"].set_index("CODGEO")["reason"].to_dict() == {
        "40999": "commune inconnue", "40192": "effectif nul ou illisible"}  # fmt: skip
    with pytest.raises(MissingColumnError, match="NB_D301"):
        load_bpe(small, landes_communes, code="D301")
    lower = _quiet(load_bpe, small, landes_communes, code="d201")  # the code in lower case
    assert lower["service_id"].tolist() == ["D201-40088"]
    assert lower["categorie"].tolist() == ["medecin_generaliste"]


def test_finess_default_source_uses_the_cache(monkeypatch):
    from accessibilite import sources

    monkeypatch.setattr(sources, "fetch", lambda name, filename=None, *, refresh=False: FINESS)
    fin = _quiet(load_finess)
    assert fin.attrs["source"] == str(FINESS) and len(fin) == 5


def test_finess_coordinate_systems_named_in_sourcecoordet():
    values = pd.Series(
        [
            "1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)",
            "2,ATLASANTE,100,BDADRESSE,EPSG:4471 RGM04/UTM zone 38S (Mayotte)",
            "2,ATLASANTE,90,BAN,WGS84/UTM zone 21N (St-Pierre-et-Miquelon)",
            "4,ATLASANTE,.,MAPS 06-11-2024,WGS84/UTM zone 1S (Wallis-et-Futuna)",
            "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N22",
            "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93",
            "3,ATLASANTE,.,INCONNU,SYSTEME_LOCAL",
            "1,ATLASANTE,100,BAN,EPSG:99999 (code absent de pyproj)",
            None,
        ]
    )
    assert _finess_crs(values).tolist() == [
        "EPSG:2154",
        "EPSG:4471",
        "EPSG:32621",
        "EPSG:32701",
        "EPSG:2972",
        "EPSG:2154",
        None,
        None,
        None,
    ]


def test_bpe_arrondissements_of_marseille_counted_at_the_town_hall(tmp_path):
    # INSEE counts Paris, Marseille and Lyon by municipal arrondissement (13201..13216);
    # the commune frame has one commune, 13055.
    from accessibilite import communes

    bdr = communes("13")
    small = tmp_path / "bpe_13.csv"
    small.write_text(
        "CODGEO;NB_D201\n13201;10\n13216;5\n13001;3\n13217;1\n75101;2\n", encoding="utf-8"
    )
    with pytest.warns(RejectedRowsWarning, match="commune inconnue : 1"):
        gp = load_bpe(small, bdr)
    _check_frame(gp, 4)
    assert gp["service_id"].tolist() == ["D201-13201", "D201-13216", "D201-13001"]
    assert gp["code_insee"].tolist() == ["13055", "13055", "13001"]
    assert gp["nom"].tolist() == ["Marseille", "Marseille", "Aix-en-Provence"]
    assert gp["capacite"].sum() == 18  # 15 GPs of Marseille kept, not rejected
    town_hall = bdr.set_index("code_insee").loc["13055", "mairie"]
    assert gp.geometry.iloc[0].equals(town_hall) and gp.geometry.iloc[1].equals(town_hall)
    assert gp.attrs["rejected"]["CODGEO"].tolist() == ["13217"]  # no 17th arrondissement
    assert gp.attrs["out_of_scope"] == 1  # Paris
