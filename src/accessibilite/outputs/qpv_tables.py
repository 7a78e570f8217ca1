"""QPV outputs: the comparison table (CSV with BOM, Excel) and the report section (HTML).

The table is the ``table`` of :class:`~accessibilite.analysis.qpv.QpvAccess`
with shares written as percentages (one decimal) and French headers; the report
section has one block per quarter (figures, table, map) and can stand alone
(:func:`write_qpv_report`) or be included in the main report (:func:`qpv_section`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import replacing, write_text
from .style import fmt_int, fmt_num, fmt_pct
from .tables import write_table_csv
from .xlsx import write_xlsx

__all__ = [
    "qpv_export_table",
    "write_qpv_tables",
    "qpv_section",
    "write_qpv_report",
    "add_qpv_section",
    "add_qpv_layer",
]

_MODES = {"marche": "à pied", "velo": "à vélo", "voiture": "en voiture"}
_FIRST = ("code_qp", "nom_qp", "code_insee", "commune", "mode", "categorie")


def _tag(s: float) -> str:
    return f"{s:g}".replace(".", "_")


def qpv_export_table(result) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table as written: shares as percentages, and the French header of each column."""
    t = result.table.copy()
    headers = {
        "code_qp": "Code QPV",
        "nom_qp": "Quartier prioritaire",
        "code_insee": "Code INSEE",
        "commune": "Commune",
        "mode": "Mode",
        "categorie": "Catégorie de service",
        "population_commune": "Population de la commune",
        "population_qpv": "Population du QPV",
        "population_reste": "Population du reste de la commune",
        "population_estimee": "Population estimée (surface)",
        "temps_moyen_qpv_min": "Temps moyen QPV (min)",
        "temps_moyen_reste_min": "Temps moyen reste de la commune (min)",
        "points_hors_reseau": "Points hors réseau (sans grille, exclus)",
    }
    for s in result.seuils:
        k, n = _tag(s), fmt_num(s)
        for zone, label in (("qpv", "QPV"), ("reste", "reste de la commune")):
            col = f"part_{zone}_au_dela_{k}_min"
            t[f"pct_{zone}_au_dela_{k}_min"] = 100.0 * t.pop(col)
            headers[f"pct_{zone}_au_dela_{k}_min"] = f"Au-delà de {n} min, {label} (%)"
        t[f"ecart_{k}_min_pts"] = t.pop(f"ecart_{k}_min_pts")
        headers[f"ecart_{k}_min_pts"] = f"Écart QPV − reste à {n} min (points)"
        t[f"habitants_qpv_au_dela_{k}_min"] = t.pop(f"habitants_qpv_au_dela_{k}_min")
        headers[f"habitants_qpv_au_dela_{k}_min"] = f"Habitants du QPV au-delà de {n} min"
    t["mode"] = t["mode"].map(lambda m: _MODES.get(m, m))
    return t, headers


def write_qpv_tables(result, folder) -> list[Path]:
    """``qpv.csv`` (UTF-8 with BOM) and ``qpv.xlsx`` in ``folder``, both atomic and stable."""
    folder = Path(folder)
    table, headers = qpv_export_table(result)
    csv = write_table_csv(table, folder / "qpv.csv", first=_FIRST)
    xlsx = write_xlsx(folder / "qpv.xlsx", {"QPV": (table, _FIRST, "")}, headers=headers)
    return [csv, xlsx]


# ----------------------------------------------------------------------------- HTML
def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _pct(v) -> str:
    return fmt_pct(v) if isinstance(v, float) and np.isfinite(v) else "—"


def _minutes(v) -> str:
    if not isinstance(v, float) or np.isnan(v):
        return "—"
    return "inaccessible" if not np.isfinite(v) else f"{v:.1f}".replace(".", ",") + " min"


def _block(result, code: str, png: bytes | None) -> str:
    rows = result.table[result.table["code_qp"] == code]
    first = rows.iloc[0]
    seuils = result.seuils
    head = "".join(
        f"<th>Au-delà de {fmt_num(s)} min<br>QPV / reste</th><th>Écart (points)</th>"
        for s in seuils
    )
    body = []
    for r in rows.itertuples():
        cells = [_e(_MODES.get(r.mode, r.mode)), _e(r.categorie)]
        cells += [_minutes(r.temps_moyen_qpv_min), _minutes(r.temps_moyen_reste_min)]
        for s in seuils:
            k = _tag(s)
            pq, pr = (
                getattr(r, f"part_qpv_au_dela_{k}_min"),
                getattr(r, f"part_reste_au_dela_{k}_min"),
            )
            gap = getattr(r, f"ecart_{k}_min_pts")
            cells += [f"{_pct(pq)} / {_pct(pr)}",
                      "—" if not np.isfinite(gap) else f"{gap:+.1f}".replace(".", ",")]  # fmt: skip
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    pops = rows.drop_duplicates("code_insee")
    communes = ", ".join(
        f"{_e(p.commune)} ({fmt_int(p.population_commune)} habitants, dont "
        f"{fmt_int(p.population_qpv)} dans le QPV)"
        for p in pops.itertuples()
    )
    img = ""
    if png:
        data = base64.b64encode(png).decode("ascii")
        img = f'<img src="data:image/png;base64,{data}" alt="Carte du QPV {_e(first.nom_qp)}">'
    return (
        f'<section class="qpv" id="qpv-{_e(code)}"><h3>{_e(first.nom_qp)} ({_e(code)})</h3>'
        f"<p>{communes}.</p>"
        "<table><thead><tr><th>Mode</th><th>Service</th><th>Temps moyen QPV</th>"
        f"<th>Temps moyen reste</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{img}</section>"
    )


def qpv_section(result, maps: Mapping[str, bytes] | None = None) -> str:
    """HTML section (``<section id="qpv">``) comparing each QPV with the rest of its commune.

    ``maps``: PNG bytes of each quarter's map, by ``code_qp`` (embedded inline).
    """
    maps = maps or {}
    methods = "".join(f"<li>{_e(_MODES.get(m, m))} : {_e(d)}</li>" for m, d in result.modes.items())
    pop = (
        "Population des QPV estimée au prorata de la surface (sans grille de population) ; "
        "points d'origine répartis sur une grille régulière dans chaque contour, poids égaux ; "
        "le reste de la commune, étendu et peu peuplé par endroits, est alors représenté "
        "à poids égaux et sa part au-delà des seuils surestime l'éloignement : fournissez "
        "la grille INSEE Filosofi (--carreaux) pour des parts pondérées par la population."
        if result.estimation_population
        else "Origines : carreaux INSEE Filosofi de 200 m, temps pondérés par la population ; "
        "population du reste = population municipale − population des carreaux des QPV."
    )
    blocks = "".join(
        _block(result, code, maps.get(code)) for code in sorted(result.table["code_qp"].unique())
    )
    return (
        '<section id="qpv"><h2>Quartiers prioritaires de la politique de la ville (QPV)</h2>'
        "<p>Part des habitants de chaque QPV au-delà de 10, 20 et 30 minutes du service le plus "
        "proche, comparée au reste de sa commune (écart en points de pourcentage : QPV − "
        f"reste). {_e(pop)}</p><ul>{methods}</ul>{blocks}"
        '<p class="sources">Contours QPV : ANCT (Licence Ouverte) ; réseau routier © '
        "contributeurs OpenStreetMap, licence ODbL ; communes : IGN/INSEE.</p></section>"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "td,th{border:1px solid #bbb;padding:.25em .5em;text-align:right}"
    "th{background:#dde7f0}td:first-child,td:nth-child(2){text-align:left}"
    "img{max-width:100%;border:1px solid #ccc}.sources{font-size:.8em;color:#555}"
)


def write_qpv_report(path, result, maps: Mapping[str, bytes] | None = None, titre=None) -> Path:
    """A self-contained HTML page holding :func:`qpv_section` (atomic write)."""
    titre = titre or "Accès aux services depuis les quartiers prioritaires"
    page = (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{_e(titre)}'
        f"</title><style>{_CSS}</style></head><body><h1>{_e(titre)}</h1>"
        f"{qpv_section(result, maps)}</body></html>\n"
    )
    return write_text(path, page)


def add_qpv_section(report_path, result, maps: Mapping[str, bytes] | None = None) -> Path:
    """Insert :func:`qpv_section` into a report of :func:`write_report`, before "Méthode".

    The report is rewritten atomically; without a "Méthode" heading the section
    goes before the footer.
    """
    path = Path(report_path)
    text = path.read_text(encoding="utf-8")
    section = qpv_section(result, maps)
    for anchor in ("<h2>Méthode</h2>", "<footer>"):
        if anchor in text:
            text = text.replace(anchor, section + "\n" + anchor, 1)
            break
    else:
        text += section
    return write_text(path, text)


def add_qpv_layer(gpkg_path, result) -> Path:
    """Add (or replace) the ``qpv`` layer of a GeoPackage: QPV pieces × mode × category.

    One polygon row per QPV piece, mode and category with the table's columns
    (shares 0-1); the file is copied, extended and renamed (atomic), with the
    fixed GeoPackage date of :func:`write_geopackage` (byte-identical reruns).
    """
    import shutil

    import geopandas as gpd
    import pyogrio

    path = Path(gpkg_path)
    geoms = result.pieces.set_index(["code_qp", "code_insee"]).geometry
    table = result.table.copy()
    keys = list(zip(table["code_qp"], table["code_insee"], strict=True))
    layer = gpd.GeoDataFrame(
        table.replace([np.inf, -np.inf], np.nan),
        geometry=[geoms[k] for k in keys],
        crs=result.pieces.crs,
    )
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        with replacing(path) as tmp:
            if path.exists():
                shutil.copyfile(path, tmp)
            pyogrio.write_dataframe(
                layer, tmp, layer="qpv", driver="GPKG", append=False,
                promote_to_multi=True, layer_options={"SPATIAL_INDEX": "YES", "OVERWRITE": "YES"},
            )  # fmt: skip
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    return path
