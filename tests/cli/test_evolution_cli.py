"""``evolution``, ``potentiel`` and ``cumul`` on the real Landes files, checked independently."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

import accessibilite as acc
from accessibilite.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::accessibilite.RejectedRowsWarning")

FINESS = "tests/data/services/etalab-cs1100507-stock-20240301-0337.csv"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _minutes(origins, points) -> np.ndarray:
    """Straight-line estimate, computed here: distance × detour ÷ speed."""
    est = acc.StraightLineEstimate()
    a = np.column_stack([origins.x, origins.y])
    b = np.column_stack([points.x, points.y])
    return cdist(a, b) * est.detour / (est.vitesse_kmh / 3.6) / 60


def test_evolution_writes_table_chart_and_maps(capsys, tmp_path, fs_2024, monkeypatch):
    import accessibilite.outputs.maps as maps

    figures, save_map = {}, maps.save_map  # by file name

    def keep(fig, path, **kwargs):
        figures[path.name.split(".")[0]] = fig
        return save_map(fig, path, **kwargs)

    monkeypatch.setattr(maps, "save_map", keep)
    dates = ["2020-01-01", "2022-01-01", "2024-08-01"]
    code, out, err = run(
        capsys, "-q", "evolution", "-d", "40", "--dates", ",".join(dates), "--mode",
        "vol-oiseau", "--services-fichier", fs_2024, "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    for name in ("evolution.csv", "evolution.xlsx", "evolution.png", "evolution_carte.png",
                 "rapport_evolution.html"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0, name
    raw = (tmp_path / "evolution.csv").read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    table = pd.read_csv(tmp_path / "evolution.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert sorted(table["date"].unique()) == dates
    assert table.groupby("date")["niveau"].value_counts().unstack().to_dict("list") == {
        "canton": [15] * 3, "departement": [1] * 3, "epci": [18] * 3,
    }  # fmt: skip
    # independent: sites labelled by each date (the list's own dates), nearest from town halls
    communes = acc.communes("40")
    sites = acc.load_france_services(fs_2024, departement="40", buffer_km=20)
    minutes = _minutes(communes["mairie"], sites.geometry)
    opened = pd.to_datetime(sites["date_ouverture"]).to_numpy()
    pop = communes["population"].to_numpy()
    dep = table[table["niveau"] == "departement"].set_index("date")
    expected = []
    for date in dates:
        now = opened <= np.datetime64(date)
        best = minutes[:, now].min(axis=1)
        expected.append(int(pop[best > 30].sum()))
    assert dep.loc[dates, "population_au_dela_seuil"].tolist() == expected
    assert expected[0] > expected[1] > expected[2]  # the network grew
    assert f"{expected[0]:,}".replace(",", " ") in out
    # chart: one point per date; map: one panel per date
    (line,) = [a for a in figures["evolution"].findobj() if a.get_gid() == "population_au_dela"]
    assert line.get_ydata().tolist() == expected
    panels = [ax for ax in figures["evolution_carte"].axes if ax.get_title()]
    assert [ax.get_title().split(" — ")[0] for ax in panels] == [
        "1er janvier 2020", "1er janvier 2022", "1er août 2024",
    ]  # fmt: skip
    wb = openpyxl.load_workbook(tmp_path / "evolution.xlsx")
    assert wb.sheetnames == ["Département", "Cantons", "EPCI", "Données"]
    assert wb["Cantons"].max_row == 16
    html = (tmp_path / "rapport_evolution.html").read_text(encoding="utf-8")
    assert "Évolution de la couverture" in html and "1er août 2024" in html
    assert "http://" not in html and "https://" not in html


def test_evolution_bad_dates_are_refused(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "-q", "evolution", "-d", "40", "--dates", "2020-01-01,2020-13-45",
        "--mode", "vol-oiseau", "--services-fichier", fs_2024, "--sortie", tmp_path / "e",
    )  # fmt: skip
    assert code == 2
    assert err == (
        "erreur : --dates : date invalide '2020-13-45' (attendu AAAA-MM-JJ ou JJ/MM/AAAA, "
        "séparées par des virgules)\n"
    )
    assert not (tmp_path / "e").exists()


def test_potentiel_apl_matches_a_hand_computation(capsys, tmp_path, bpe_d201):
    code, out, err = run(
        capsys, "-q", "potentiel", "-d", "40", "--services-fichier", bpe_d201,
        "--methode", "apl", "--mode", "vol-oiseau", "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "potentiel.csv", dtype={"code_insee": str}, encoding="utf-8-sig")
    communes = acc.communes("40")
    assert table["code_insee"].tolist() == communes["code_insee"].tolist()
    bpe = pd.read_csv(bpe_d201, dtype={"CODGEO": str})
    bpe = bpe[bpe["CODGEO"].str.startswith("40")]
    assert bpe["NB_D201"].sum() == 428 and len(bpe) == 96  # PROVENANCE.md
    halls = communes.set_index("code_insee")["mairie"]
    t = _minutes(communes["mairie"], halls.loc[bpe["CODGEO"]])
    w = np.select([t <= 10, t <= 15, t <= 20], [1.0, 2 / 3, 1 / 3], 0.0)
    pop = communes["population"].to_numpy(dtype=float)
    ratio = bpe["NB_D201"].to_numpy(float) / (pop @ w)
    expected = 100_000 * (w @ ratio)
    assert table["acces"].to_numpy() == pytest.approx(expected, abs=0.006)
    # all supply is in reach of someone: the weighted mean is total supply per inhabitant
    assert (pop * expected).sum() / pop.sum() == pytest.approx(100_000 * 428 / pop.sum())
    assert "Accessibilité moyenne pondérée : 105 pour 100 000 habitants" in out
    assert (tmp_path / "potentiel.png").read_bytes()[:4] == b"\x89PNG"
    ws = openpyxl.load_workbook(tmp_path / "potentiel.xlsx")["Potentiel"]
    assert ws["E1"].value == "Accessibilité (pour 100 000 hab.)"


def test_cumul_counts_the_services_beyond_their_threshold(capsys, tmp_path, fs_2024, bpe_d201):
    code, out, err = run(
        capsys, "-q", "cumul", "-d", "40", "--mode", "vol-oiseau",
        "--service", f"France Services={fs_2024}",
        "--service", f"Médecins généralistes={bpe_d201}:15",
        "--service", f"MSP={FINESS}", "--sortie", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "cumul.csv", dtype={"code_insee": str}, encoding="utf-8-sig")
    communes = acc.communes("40")
    assert table["code_insee"].tolist() == communes["code_insee"].tolist()
    fs = acc.load_france_services(fs_2024, departement="40", buffer_km=20)
    fs_far = _minutes(communes["mairie"], fs.geometry).min(axis=1) > 30
    bpe = pd.read_csv(bpe_d201, dtype={"CODGEO": str})
    halls = communes.set_index("code_insee")["mairie"]
    gp = halls.loc[bpe.loc[bpe["CODGEO"].str.startswith("40"), "CODGEO"]]
    gp_far = _minutes(communes["mairie"], gp).min(axis=1) > 15
    msp = acc.load_finess(FINESS, departement="40", buffer_km=20)
    msp_far = _minutes(communes["mairie"], msp.geometry).min(axis=1) > 30
    assert table["au_dela_seuil_france_services"].astype(bool).tolist() == fs_far.tolist()
    assert table["au_dela_seuil_medecins_generalistes"].astype(bool).tolist() == gp_far.tolist()
    expected = fs_far.astype(int) + gp_far + msp_far
    assert table["nb_deficits"].tolist() == expected.tolist()
    assert 0 < (expected >= 2).sum() < len(expected)
    row = table.loc[expected.argmax()]
    assert "Médecins généralistes" in row["categories_en_deficit"] or not gp_far[expected.argmax()]
    ws = openpyxl.load_workbook(tmp_path / "cumul.xlsx").active
    headers = [c.value for c in ws[1]]
    assert "Temps d'accès France Services (min)" in headers
    assert "Médecins généralistes au-delà de 15 min" in headers
    assert (tmp_path / "cumul.png").read_bytes()[:4] == b"\x89PNG"
    n_two = int((expected >= 2).sum())
    assert f"  2 service(s) au-delà du seuil : {int((expected == 2).sum())} commune(s)" in out
    assert n_two == (table["nb_deficits"] >= 2).sum()


def test_cumul_service_option_needs_a_name(capsys, tmp_path, fs_2024):
    code, _, err = run(
        capsys, "-q", "cumul", "-d", "40", "--service", fs_2024, "-o", tmp_path / "c"
    )
    assert code == 2
    assert err.startswith(f"erreur : --service '{fs_2024}' : attendu NOM=FICHIER")
    assert not (tmp_path / "c").exists()


def test_help_lists_the_new_subcommands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("evolution", "potentiel", "cumul"):
        assert f"    {name} " in out
