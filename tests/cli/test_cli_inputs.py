"""The command line reads inputs as a French user writes them (issue 10, items 3, 4, 7-11)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import accessibilite as acc
from accessibilite.cli import build_parser, main
from accessibilite.errors import in_french

DATA = Path(__file__).parents[1] / "data" / "services"
FINESS = DATA / "etalab-cs1100507-stock-20240301-0337.csv"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _balance(out: str) -> tuple[list[int], int]:
    """The parts and the total of the ``Bilan : ...`` line."""
    line = next(x for x in out.splitlines() if x.startswith("Bilan : "))
    numbers = [int(w) for w in line.replace("=", "+").split() if w.isdigit()]
    return numbers[:-1], numbers[-1]


# ------------------------------------------------------------------ options as written
def test_french_numbers_dates_and_codes_are_accepted():
    parser = build_parser()
    args = parser.parse_args(
        ["analyse", "-d", "01", "--seuil", "7,5", "--buffer-km", "2,5", "--date", "01/01/2022",
         "-o", "x"]
    )  # fmt: skip
    assert args.seuil == 7.5 and args.buffer_km == 2.5 and args.date == "01/01/2022"
    from accessibilite.cli.common import _parse_codes

    assert _parse_codes("1001, 01053;2a004,40192") == ["01001", "01053", "2A004", "40192"]


def test_communes_code_without_its_leading_zero(capsys, tmp_path):
    code, out, err = run(capsys, "communes", "-d", "01", "--communes", "1001,1053", "-o",
                         tmp_path / "c.csv")  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "c.csv", dtype={"code_insee": str})
    assert table["code_insee"].tolist() == ["01001", "01053"]


@pytest.mark.parametrize(
    "option, value, message",
    [("--seuil", "sept", "erreur : option --seuil: nombre invalide : 'sept' (ex. 30 ou 7,5)"),
     ("--date", "2020-13-45", "erreur : option --date: date illisible '2020-13-45'")],
)  # fmt: skip
def test_bad_numbers_and_dates_are_french_usage_errors(capsys, option, value, message):
    code, out, err = run(capsys, "analyse", "-d", "40", option, value, "-o", "x")
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith(message)


def test_services_date_forms_and_a_date_after_the_list(capsys, fs_2024):
    raw = pd.read_csv(fs_2024, dtype=str)
    landes = raw[raw["insee_com"].str.startswith("40")]
    labelled = pd.to_datetime(landes["labellisation_fs"].str[-10:], format="%d/%m/%Y")
    expected = int((labelled <= "2022-01-01").sum())
    for form in ("01/01/2022", "2022-01-01", "2022", "01/2022"):
        code, out, err = run(capsys, "services", fs_2024, "-d", "40", "--date", form)
        assert code == 0, err
        assert f"Sites retenus (département 40) : {expected}\n" in out, form
        assert f"Sites labellisés après le 01/01/2022 (non comptés) : {20 - expected}" in out
        assert ("lu comme le 01/01/2022 (premier jour)" in err) == (len(form) < 10)
    code, out, err = run(capsys, "services", fs_2024, "-d", "40", "--date", "2030-01-01")
    assert code == 0 and "Sites retenus (département 40) : 20" in out
    # the list's edition when the loader knows it (attrs["date_liste"]), else its latest label
    latest = pd.to_datetime(raw["labellisation_fs"].str[-10:], format="%d/%m/%Y").max()
    assert len(err.splitlines()) == 1
    assert err.startswith("attention : --date 01/01/2030 est postérieure à ")
    assert "(01/08/2024)" in err or f"({latest:%d/%m/%Y})" in err


def test_services_counts_add_up_and_itinerants_and_margin(capsys, fs_2024):
    code, out, _ = run(capsys, "services", fs_2024, "-d", "40", "--sans-itinerants")
    assert code == 0
    assert "Sites retenus (département 40) : 17" in out  # 20 minus the 3 buses
    assert "Sites itinérants écartés (--sans-itinerants) : 3" in out
    parts, total = _balance(out)
    assert parts == [17, 0, 2825, 0, 3] and total == sum(parts) == 2845
    code, out, _ = run(capsys, "services", fs_2024, "-d", "40", "--buffer-km", "7,5")
    wide = acc.load_france_services(fs_2024, departement="40", buffer_km=7.5)
    assert len(wide) > 20
    assert f"Sites retenus (département 40 et sa marge de 7,5 km) : {len(wide)}" in out
    parts, total = _balance(out)
    assert parts == [len(wide), 0, 2845 - len(wide), 0] and total == 2845


# ------------------------------------------------------------------ columns
def test_columns_recognised_and_printed_and_options(capsys, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "Nom du site;Adresse;Code commune INSEE;Date d'ouverture;PosX;PosY\n"
        "Maison France services de Dax;1 rue X;40088;01/09/2020;-1,0536;43,7102\n"
        "Maison France services de Tartas;2 rue Y;40313;2021;-0,8086;43,8326\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "services", path, "-d", "40")
    assert code == 2  # "PosX" is no usual name: the message names the options
    assert "--colonne-x et --colonne-y" in err and "x=" not in err
    code, out, err = run(capsys, "services", path, "-d", "40", "--colonne-x", "PosX",
                         "--colonne-y", "posy")  # fmt: skip
    assert code == 0, err
    assert "  nom : « Nom du site »\n" in out
    assert "  commune (code INSEE) : « Code commune INSEE »\n" in out
    assert "  date d'ouverture : « Date d'ouverture »\n" in out
    assert "  identifiant : aucune colonne\n" in out
    assert "  coordonnées : « PosX / PosY »\n" in out  # "posy" matched loosely
    assert "Sites retenus (département 40) : 2" in out
    # --colonnes picks another column for a field
    code, out, err = run(capsys, "services", path, "-d", "40", "--colonnes",
                         "x=PosX,y=PosY,nom=Adresse,id=Code commune INSEE")  # fmt: skip
    assert code == 0, err
    assert "  nom : « Adresse »\n" in out and "  identifiant : « Code commune INSEE »\n" in out
    code, _, err = run(capsys, "services", path, "-d", "40", "--colonnes", "adresse=Adresse")
    assert code == 2 and "--colonnes : 'adresse=Adresse' non compris" in err


def test_address_without_coordinates_says_to_geocode(capsys, tmp_path):
    path = tmp_path / "caf.csv"
    path.write_text("Libellé,Adresse,Commune\nCAF des Landes,1 rue X,Mont-de-Marsan\n", "utf-8")
    code, _, err = run(capsys, "services", path, "-d", "40")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "colonne d'adresse « Adresse » mais pas de coordonnées : géocodez-le" in err
    assert "--colonne-x et --colonne-y" in err


def test_crs_and_layer_options(capsys, tmp_path):
    sites = gpd.GeoDataFrame(
        {"nom": ["Dax", "Mont-de-Marsan"]},
        geometry=gpd.points_from_xy([-1.0536, -0.4997], [43.7102, 43.8902]),
        crs=4326,
    ).to_crs(3857)
    path = tmp_path / "sites.csv"
    pd.DataFrame({"nom": sites["nom"], "X": sites.geometry.x, "Y": sites.geometry.y}).to_csv(
        path, index=False
    )
    code, _, err = run(capsys, "services", path, "-d", "40")
    assert code == 2
    assert "indiquez-le avec --crs, par exemple --crs 3857" in err and "crs=" not in err
    code, out, err = run(capsys, "services", path, "-d", "40", "--crs", "3857")
    assert code == 0, err
    assert "Sites retenus (département 40) : 2" in out
    assert "  système de coordonnées : « EPSG:3857 (donné) »" in out
    gpkg = tmp_path / "deux.gpkg"
    sites.to_file(gpkg, layer="fs")
    sites.iloc[:1].to_file(gpkg, layer="autres")
    code, _, err = run(capsys, "services", gpkg, "-d", "40")
    assert code == 2 and "--couche NOM" in err and "layer=" not in err
    code, out, err = run(capsys, "services", gpkg, "-d", "40", "--couche", "fs")
    assert code == 0, err
    assert "Sites retenus (département 40) : 2" in out


# ------------------------------------------------------------------ rejected rows
def test_services_rejets_csv_has_every_source_column(capsys, tmp_path):
    path = tmp_path / "msp.csv"
    path.write_text(
        "id;nom;latitude;longitude;date_ouverture;telephone\n"
        "a;MSP de Dax;43,7102;-1,0536;01/09/2020;05 58 00 00 00\n"
        "b;MSP sans point;;;2021;05 58 00 00 01\n"
        "c;MSP de Tartas;43,8326;-0,8086;bientôt;05 58 00 00 02\n"
        "a;Doublon;43,8902;-0,4997;2020;05 58 00 00 03\n"
        "d;MSP de Bordeaux;44,8378;-0,5792;2020;05 56 00 00 00\n",
        encoding="utf-8",
    )
    rejets = tmp_path / "rejets.csv"
    code, out, err = run(capsys, "services", path, "-d", "40", "--categorie", "msp",
                         "--rejets", rejets)  # fmt: skip
    assert code == 0 and err == ""
    table = pd.read_csv(rejets, dtype=str)
    assert table.columns.tolist() == [
        "id", "nom", "latitude", "longitude", "date_ouverture", "telephone", "motif"]  # fmt: skip
    assert table[["id", "motif"]].values.tolist() == [
        ["b", "coordonnées manquantes"], ["a", "identifiant en double"]]  # fmt: skip
    assert "Lignes rejetées écrites : " in out and "(2)" in out
    # the unreadable date keeps its site, and is said once, with its example
    assert "Dates illisibles (colonne « date_ouverture ») : 1, laissés vides, sites " in out
    assert "« bientôt »" in out
    parts, total = _balance(out)
    assert parts == [2, 2, 1, 0] and total == 5  # Dax, Tartas | b, a bis | Bordeaux


def test_services_finess_extract_with_a_category(capsys):
    code, out, err = run(capsys, "services", FINESS, "-d", "40", "--categorie", "msp")
    assert code == 0, err
    msp = acc.load_finess(FINESS, categories=["msp"], departement="40")
    assert msp["service_id"].tolist() == ["400012345"]
    assert "Sites retenus (département 40) : 1" in out
    assert f"Lignes d'autres catégories (non lues) : {msp.attrs['out_of_scope']}" in out
    parts, total = _balance(out)
    assert total == msp.attrs["rows_read"] == sum(parts)


# ------------------------------------------------------------------ French everywhere
def test_english_system_and_gdal_texts_in_french():
    assert in_french("[Errno 30] Read-only file system: '/ro/s.gpkg'") == (
        "système de fichiers en lecture seule: '/ro/s.gpkg'"
    )
    assert in_french("Failed to open /a/b.gpkg (Not a directory)") == (
        "Failed to open /a/b.gpkg (un élément du chemin n'est pas un dossier)"
    )
    assert (
        in_french(
            "Column names longer than 10 characters will be truncated when saved to ESRI Shapefile."
        )
        == "les noms de colonnes de plus de 10 caractères sont tronqués dans un Shapefile (préférez .gpkg)"
    )
    assert in_french("Normalized/laundered field name: 'date_ouverture' to 'date_ouver'") == (
        "nom de colonne raccourci : « date_ouverture » devient « date_ouver »"
    )


def test_shapefile_warnings_reach_the_user_in_french(capsys, tmp_path, fs_2024):
    code, _, err = run(capsys, "services", fs_2024, "-d", "40", "-o", tmp_path / "fs.shp")
    assert code == 0
    assert "tronqués dans un Shapefile" in err
    assert "Column names" not in err and "Normalized" not in err


def test_output_under_a_file_names_it_in_french(capsys, tmp_path, fs_2024):
    afile = tmp_path / "fichier.txt"
    afile.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "services", fs_2024, "-d", "40", "--rejets", afile / "r.csv")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "un élément du chemin n'est pas un dossier" in err and "Not a directory" not in err


# ------------------------------------------------------------------ Mayotte
def test_mayotte_zero_populations_said_once(capsys, tmp_path, fs_2024):
    out_dir = tmp_path / "976"
    code, out, err = run(
        capsys, "analyse", "-d", "976", "--mode", "vol-oiseau", "--services-fichier", fs_2024,
        "--seuil", "7,5", "--date", "01/01/2022", "-o", out_dir,
    )  # fmt: skip
    assert code == 0, err
    assert (out + err).count("population inconnue") == 1
    assert "Attention : population inconnue pour toutes les communes du département 976" in out
    report = (out_dir / "rapport.html").read_text(encoding="utf-8")
    assert report.count("population inconnue pour toutes les communes") == 1
    assert "7,5 min" in out
    raw = pd.read_csv(fs_2024, dtype=str)
    mayotte = raw[raw["insee_com"].str.startswith("976")]
    opened = pd.to_datetime(mayotte["labellisation_fs"].str[-10:], format="%d/%m/%Y")
    assert f"sites de service pris en compte : {(opened <= '2022-01-01').sum()}" in out
    assert not (out_dir / "rejets.csv").exists()  # nothing rejected in the 976 rows


def test_sites_far_away_in_an_overseas_crs_are_simply_elsewhere(fs_2024):
    # metropolitan points have no coordinates in Mayotte's UTM zone: left out, no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sites = acc.load_france_services(fs_2024, departement="976")
    assert sites.attrs["out_of_territory"] == 2845 - len(sites)
    assert shapely.is_valid(sites.geometry.values).all() and len(sites) > 0


def test_date_after_the_edition_of_the_list(capsys):
    from accessibilite.cli.service_files import _warn_late_date

    frame = pd.DataFrame({"date_ouverture": pd.to_datetime(["2024-05-23"])})
    frame.attrs = {"date_liste": "2024-08-01", "derniere_date": "2024-05-23"}
    _warn_late_date(frame, "2024-07-01")  # before the edition: nothing to say
    _warn_late_date(frame, "01/01/2030")
    assert capsys.readouterr().err == (
        "attention : --date 01/01/2030 est postérieure à l'édition de la liste (01/08/2024) : "
        "les sites ouverts depuis n'y figurent pas\n"
    )


def test_rejets_on_a_read_only_file_system_names_the_file(capsys, tmp_path, monkeypatch):
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / ".r.csv.x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    target = tmp_path / "r.csv"
    code, _, err = run(capsys, "services", DATA / "rejets.csv", "-d", "40", "--rejets", target)
    assert code == 2
    assert err == f"erreur : {target}: écriture impossible (système de fichiers en lecture seule)\n"
    assert not list(tmp_path.iterdir())
