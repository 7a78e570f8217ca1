"""France at once: a 3-département run in worker processes against per-département runs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import accessibilite as acc
from accessibilite.analysis.national import (
    national_access,
    region_departements,
    resolve_departements,
)
from accessibilite.cli import main
from accessibilite.errors import InputError

DEPS = ["04", "05", "06"]


@pytest.fixture(scope="module")
def national_fs(fs_2024):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return acc.load_france_services(fs_2024)


@pytest.fixture(scope="module")
def run3(national_fs):
    return national_access(DEPS, national_fs, acc.StraightLineEstimate(), workers=2)


@pytest.fixture(scope="module")
def per_departement(fs_2024):
    """What three single-département analyses give (loader's own 20 km margin)."""
    est = acc.StraightLineEstimate()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in DEPS:
            sites = acc.load_france_services(fs_2024, departement=d, buffer_km=20)
            out[d] = (acc.access_times(acc.communes(d), sites, est), sites)
    return out


def test_three_departements_equal_per_departement_runs(run3, per_departement):
    com = run3.communes
    assert len(com) == sum(len(t) for t, _ in per_departement.values()) == 198 + 162 + 163
    assert com["code_insee"].is_monotonic_increasing and com.crs == "EPSG:4326"
    for d, (one, _) in per_departement.items():
        sub = com[com["code_departement"] == d].reset_index(drop=True)
        assert sub["code_insee"].tolist() == one["code_insee"].tolist()
        np.testing.assert_array_equal(sub["temps_min"], one["temps_min"])
        assert sub["service_id"].tolist() == one["service_id"].tolist()
        assert sub["service_hors_departement"].tolist() == one["service_hors_departement"].tolist()
    # cross-border sites did count: some commune's nearest site is in another département
    assert com["service_hors_departement"].any()


def test_summary_equals_independent_sums(run3, per_departement, national_fs):
    summary = run3.departements.set_index("code_departement")
    assert summary.index.tolist() == DEPS
    assert summary.loc["05", "nom"] == "Hautes-Alpes"
    for seuil in (run3.seuil_min,):
        for d, (one, sites) in per_departement.items():
            row = summary.loc[d]
            t, pop = one["temps_min"].to_numpy(), one["population"].to_numpy(float)
            beyond = ~(t <= seuil)
            assert row["nb_communes"] == len(one)
            assert row["population"] == int(pop.sum())
            assert row["nb_sites_pris_en_compte"] == len(sites)
            in_dep = national_fs["code_insee"].astype(str).str.startswith(d)
            assert row["nb_sites"] == int(in_dep.sum())
            assert row["population_au_dela"] == int(round(pop[beyond].sum()))
            assert row["temps_moyen_pondere_min"] == pytest.approx((t * pop).sum() / pop.sum())
            assert row["temps_max_min"] == pytest.approx(t.max())
    # a threshold that cuts: 15 min, serial run, same communes beyond as a direct count
    low = national_access(DEPS[:2], national_fs, acc.StraightLineEstimate(), seuil_min=15,
                          workers=1)  # fmt: skip
    for d in DEPS[:2]:
        one = per_departement[d][0]
        expected = one.loc[one["temps_min"] > 15, "population"].sum()
        got = low.departements.set_index("code_departement").loc[d, "population_au_dela"]
        assert got == expected > 0


def test_resolve_departements():
    every = resolve_departements("all")
    assert len(every) == 101 and "2A" in every and "976" in every
    assert resolve_departements("5,04, 05") == ["04", "05"]
    paca = region_departements("93")
    assert paca == ["04", "05", "06", "13", "83", "84"]
    assert region_departements("Provence-Alpes-Côte d'Azur") == paca
    assert resolve_departements(None, region="93") == paca
    with pytest.raises(InputError, match="département inconnu"):
        resolve_departements("04,99")
    with pytest.raises(InputError, match="région inconnue"):
        region_departements("Atlantide")
    with pytest.raises(InputError, match="provider"):
        national_access("04", pd.DataFrame(), None)


def test_cli_national_run(tmp_path, capsys, fs_2024, run3):
    argv = ["analyse", "-d", "04,05,06", "--mode", "vol-oiseau", "--services-fichier",
            fs_2024, "-o", tmp_path / "a", "--processus", "2", "-q"]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    out = capsys.readouterr().out
    assert "Départements : 3 ; communes : 523" in out
    table = pd.read_csv(tmp_path / "a" / "communes_france.csv", dtype={"code_insee": str})
    assert len(table) == 523
    np.testing.assert_allclose(table["temps_min"], run3.communes["temps_min"].round(2))
    deps = pd.read_csv(tmp_path / "a" / "departements.csv", dtype={"code_departement": str})
    assert deps["code_departement"].tolist() == DEPS
    assert (tmp_path / "a" / "carte_france.png").stat().st_size > 10_000
    argv[argv.index(tmp_path / "a")] = tmp_path / "b"
    assert main([str(a) for a in argv]) == 0
    for name in ("communes_france.csv", "departements.csv", "carte_france.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_cli_national_needs_a_network_or_the_estimate(tmp_path, capsys, fs_2024):
    code = main(["analyse", "-d", "all", "--services-fichier", str(fs_2024), "-o",
                 str(tmp_path)])  # fmt: skip
    assert code != 0
    assert "--mode vol-oiseau" in capsys.readouterr().err
