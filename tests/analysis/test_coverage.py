"""Tests of coverage through time and cumulated deficits: hand-made cases, then the Landes."""

from __future__ import annotations

import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from indicator_cases import (
    CRS,
    EST,
    LANDES_CANTONS,
    Y,
    _communes,
    _expected_without_site,
    _services,
    _territories,
    load_landes,
)
from scipy.spatial.distance import cdist
from shapely.geometry import Point

from accessibilite import InputError
from accessibilite.analysis.coverage import coverage_over_time, cumulated_deficits
from accessibilite.network.estimate import StraightLineEstimate

# ---------------------------------------------------------------- hand-made cases


def test_coverage_over_time_hand_computed():
    with pytest.warns(UserWarning, match="1 site"):
        cov = coverage_over_time(
            _communes(),
            _services(),
            EST,
            ["2024-01-01", "2021-01-01", "2019-01-01", "2021-01-01"],  # a date given twice
            seuil_min=9,
            **_territories(),
        )
    assert list(cov.columns) == [
        "date", "niveau", "code", "nom", "population", "nb_sites", "sans_service",
        "population_au_dela_seuil", "part_au_dela_seuil",
    ]  # fmt: skip
    assert len(cov) == 3 * (3 + 2 + 1)
    dep = cov[cov["niveau"] == "departement"].set_index("date")
    assert list(dep.index) == list(pd.to_datetime(["2019-01-01", "2021-01-01", "2024-01-01"]))
    # 2019: only S3 (no date, counted open): C2 at 20 min, C3 at 28, C4 at 41 km
    # 2021: S1 and S3: C3 (10 min) and C4 (23 min) beyond 9 min; 2024: C3 only
    assert list(dep["nb_sites"]) == [0, 1, 2]
    assert list(dep["population_au_dela_seuil"]) == [900, 700, 300]
    k = cov[cov["niveau"] == "canton"].pivot(index="date", columns="code", values="sans_service")
    assert k.to_numpy().tolist() == [
        [True, True, True],
        [False, False, True],
        [False, False, False],
    ]
    with pytest.warns(UserWarning, match="ignorés"):
        cov = coverage_over_time(
            _communes(), _services(), EST, ["2019-01-01"], 9, date_inconnue="exclure",
            **_territories(),
        )  # fmt: skip
    assert cov.loc[cov["niveau"] == "departement", "population_au_dela_seuil"].item() == 1000


def test_coverage_over_time_reads_dates_as_the_files_are():
    """``2021`` is 1 January 2021 (was 1970-01-01 + 2021 ns), a lone string is one date
    (was split into characters), an impossible date is an error, not another day."""
    kwargs = {"seuil_min": 9, **_territories()}
    with pytest.warns(UserWarning, match="1 site"):
        ref = coverage_over_time(_communes(), _services(), EST, ["2021-01-01"], **kwargs)
    for dates in ("2021-01-01", "01/01/2021", 2021, ["2021"], [datetime.date(2021, 1, 1)]):
        with pytest.warns(UserWarning, match="1 site"):
            cov = coverage_over_time(_communes(), _services(), EST, dates, **kwargs)
        pd.testing.assert_frame_equal(cov, ref)
    assert (ref["date"] == pd.Timestamp("2021-01-01")).all()
    for bad in ("2021-13-45", ["31/02/2021"], ["bientôt"]):
        with pytest.raises(InputError, match="date illisible"):
            coverage_over_time(_communes(), _services(), EST, bad, **kwargs)


def test_cumulated_deficits_hand_computed():
    services = _services()
    other = gpd.GeoDataFrame({"service_id": ["M"]}, geometry=[Point(40_000, Y)], crs=CRS)
    out = cumulated_deficits(
        _communes(), {"fs": services, "maternite": other}, EST, seuil_min={"fs": 9, "maternite": 20}
    )
    np.testing.assert_allclose(out["temps_min_fs"], [6, 2, 10, 1])
    np.testing.assert_allclose(out["temps_min_maternite"], [39, 25, 17, 4])
    assert list(out["au_dela_seuil_fs"]) == [False, False, True, False]
    assert list(out["au_dela_seuil_maternite"]) == [True, True, False, False]
    assert list(out["nb_deficits"]) == [1, 1, 1, 0]
    assert list(out["categories_en_deficit"]) == ["maternite", "maternite", "fs", ""]
    out = cumulated_deficits(_communes(), {"fs": services, "maternite": other}, EST, 5)
    assert list(out["nb_deficits"]) == [2, 1, 2, 0]


# ---------------------------------------------------------------- the Landes, real data


@pytest.fixture(scope="module")
def landes(fs_2024, landes_communes):
    return load_landes(fs_2024, landes_communes)


def test_landes_coverage_2020_2024(landes):
    communes, services, _, raw = landes
    dates = ["2020-01-01", "2022-01-01", "2024-08-01"]
    cov = coverage_over_time(communes, services, StraightLineEstimate(), dates, 30)
    assert len(cov) == 3 * (15 + 18 + 1)
    for date in pd.to_datetime(dates):
        rows = cov[(cov["date"] == date) & (cov["niveau"] == "canton")]
        expected = _expected_without_site(raw[raw["date"] <= date])
        assert set(rows.loc[rows["sans_service"], "nom"]) == expected, date
        dep = cov[(cov["date"] == date) & (cov["niveau"] == "departement")]
        assert dep["nb_sites"].item() == (raw["date"] <= date).sum()
    first = cov[(cov["date"] == "2020-01-01") & (cov["niveau"] == "canton")]
    assert set(first.loc[first["sans_service"], "nom"]) == LANDES_CANTONS - {
        "Adour Armagnac", "Chalosse Tursan", "Orthe et Arrigans", "Pays morcenais tarusate",
    }  # fmt: skip
    share = cov[cov["niveau"] == "departement"]["part_au_dela_seuil"].to_numpy()
    assert share[0] > share[1] > share[2]  # the network densified


def test_landes_cumulated_deficits(landes, bpe_d107):
    communes, services, _, _ = landes
    bpe = pd.read_csv(bpe_d107, dtype={"CODGEO": str})
    codes = sorted(set(bpe["CODGEO"]) & set(communes["code_insee"]))
    assert codes == ["40088", "40192"]  # Dax, Mont-de-Marsan
    hosts = communes.set_index("code_insee").loc[codes]
    maternites = gpd.GeoDataFrame(
        {"service_id": codes}, geometry=hosts["mairie"].to_numpy(), crs=communes.crs
    )
    out = cumulated_deficits(
        communes,
        {"france_services": services, "maternite": maternites},
        StraightLineEstimate(),
        seuil_min={"france_services": 30, "maternite": 45},
    )
    mairies = shapely.get_coordinates(communes["mairie"].to_numpy())
    fs = cdist(mairies, shapely.get_coordinates(services.geometry.to_numpy())).min(axis=1)
    mat = cdist(mairies, shapely.get_coordinates(maternites.geometry.to_numpy())).min(axis=1)
    expected = (fs * 1.3 / 1000 > 30).astype(int) + (mat * 1.3 / 1000 > 45).astype(int)
    np.testing.assert_array_equal(out["nb_deficits"], expected)
    assert (out["nb_deficits"] == 2).sum() >= 1
    assert set(out["nb_deficits"]) <= {0, 1, 2}
