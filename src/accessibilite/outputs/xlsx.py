"""Excel workbook of the results (``resultats.xlsx``), for the people who open tables in Excel.

One sheet per table, French column headers, numbers stored as numbers with a
French-friendly display format, the header row frozen with a filter, column
widths set from the content. Byte-identical reruns: the workbook's
created/modified dates and the zip entry dates are fixed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_bytes
from .tables import DECIMALS, _digits, _plain, _sorted

__all__ = ["write_xlsx", "HEADERS"]

#: French column headers (other columns keep their name).
HEADERS = {
    "code_insee": "Code INSEE",
    "nom": "Nom",
    "population": "Population",
    "temps_min": "Temps d'accès (min)",
    "au_dela_seuil": "Au-delà du seuil",
    "service_id": "Site le plus proche (identifiant)",
    "site_nom": "Site le plus proche",
    "site_code_insee": "Code INSEE du site",
    "site_commune": "Commune du site",
    "distance_km": "Distance (km)",
    "code_canton": "Code canton",
    "nom_canton": "Canton",
    "code_epci": "Code EPCI",
    "nom_epci": "EPCI",
    "code_departement": "Département",
    "mairie_x": "Mairie X (m, Lambert-93)",
    "mairie_y": "Mairie Y (m, Lambert-93)",
    "snap_m": "Distance au réseau (m)",
    "service_hors_departement": "Site hors du département",
    "part_population_au_dela_seuil": "Part de la population au-delà du seuil",
    "population_au_dela_seuil": "Population au-delà du seuil",
    "temps_moyen_pondere_min": "Temps moyen pondéré (min)",
    "code": "Code",
    "part_au_dela_seuil": "Part au-delà du seuil",
    "nb_sites": "Sites",
    "sans_service": "Sans site",
    "commune_la_plus_eloignee": "Commune la plus éloignée",
    "temps_max_min": "Temps max (min)",
    # scenarios
    "population_basculant": "Habitants basculant au-delà du seuil",
    "nb_communes_basculant": "Communes basculant",
    "communes_basculant": "Communes concernées",
    "hausse_temps_moyen_min": "Hausse du temps moyen (min)",
    "rang": "Rang",
    "candidat_id": "Candidat",
    "gain_population": "Habitants gagnés",
    "population_couverte_cumulee": "Population couverte (cumul)",
    "part_couverte_cumulee": "Part couverte (cumul)",
    "methode": "Méthode",
    "choix": "Choix",
    "offre_commune": "Offre de la commune",
    "distance_reseau_m": "Distance au réseau (m)",
    "x": "X (m, Lambert-93)",
    "y": "Y (m, Lambert-93)",
    # evolution, potential, cumulated deficits
    "date": "Date",
    "niveau": "Niveau",
    "acces": "Accessibilité (pour 100 000 hab.)",
    "nb_deficits": "Nombre de déficits",
    "categories_en_deficit": "Services en déficit",
}
#: Display formats by column (Excel shows them with the reader's separators).
_FORMATS = {
    "temps_min": "0.0",
    "temps_max_min": "0.0",
    "temps_moyen_pondere_min": "0.0",
    "hausse_temps_moyen_min": "0.0",
    "distance_km": "0.0",
    "snap_m": "0",
    "part_au_dela_seuil": "0.0%",
    "part_population_au_dela_seuil": "0.0%",
    "part_couverte_cumulee": "0.0%",
    "acces": "0.0",
}
_INT_FORMAT = "#,##0"
_FLOAT_FORMAT = "0.00"
#: Fixed dates of the package: reruns give the same bytes.
_FIXED_DATE = datetime(2000, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _cell(value):
    """A Python value openpyxl stores natively: numbers, text, dates; None for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date()
    return value


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "text"


def _sheet(wb, name: str, frame: pd.DataFrame, first: Sequence[str], key: str, names) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    frame = _sorted(_plain(frame, geometry=False, booleans="bool"), key)
    cols = [c for c in first if c in frame.columns]
    cols += [c for c in frame.columns if c not in cols]
    ws = wb.create_sheet(_SHEET_NAME.sub(" ", name)[:31])
    headers = [names.get(c, HEADERS.get(c, c)) for c in cols]
    ws.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    kinds = {c: _column_kind(frame[c]) for c in cols}
    for col in cols:  # the decimals of the CSV files: both tables show the same numbers
        if kinds[col] == "float":
            digits = DECIMALS.get(col, _digits(col))
            frame[col] = frame[col].astype(float).round(digits)
    for row in frame[cols].itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for j, col in enumerate(cols, 1):
        fmt = _FORMATS.get(col, "0.0" if col.startswith("temps_") else None)
        if fmt is None:
            fmt = {"int": _INT_FORMAT, "float": _FLOAT_FORMAT, "date": "dd/mm/yyyy"}.get(kinds[col])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        if kinds[col] in ("int", "float", "date", "bool") or not len(frame):
            longest = 10
        else:
            longest = (
                max(len(str(v)) for v in frame[col] if not pd.isna(v))
                if frame[col].notna().any()
                else 0
            )
        width = max(min(longest + 2, 60), min(len(headers[j - 1]) + 2, 28), 8)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def _deterministic(data: bytes) -> bytes:
    """The same workbook with fixed document dates and zip entry dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    stamp = _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp + rb"\g<3>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, content)
    return buf.getvalue()


def write_xlsx(
    path,
    sheets: Mapping[str, pd.DataFrame | tuple[pd.DataFrame, Sequence[str], str]],
    headers: Mapping[str, str] | None = None,
) -> Path:
    """Write an Excel workbook with one sheet per table.

    Parameters
    ----------
    path : str or Path
        Output ``.xlsx`` file (replaced atomically).
    sheets : mapping of str to DataFrame or (DataFrame, first columns, sort key)
        Sheet name (at most 31 characters, Excel's limit) → table. Geometry
        columns are dropped (town-hall points become ``mairie_x`` /
        ``mairie_y``); rows are sorted by the key column when given.
    headers : mapping of str to str, optional
        Headers of columns :data:`HEADERS` does not name (or renamed).

    Returns
    -------
    Path
        The file. Headers are French (:data:`HEADERS`) in a frozen, filtered
        first row; numbers are stored as numbers (minutes with one decimal,
        shares as percentages, inhabitants with thousands separators), yes/no
        as "oui"/"non", unreachable times as empty cells. Reruns are
        byte-identical.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        frame, first, key = table if isinstance(table, tuple) else (table, (), "")
        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
        _sheet(wb, name, frame, first, key, dict(headers or {}))
    if not wb.sheetnames:
        wb.create_sheet("vide")
    wb.properties.creator = "accessibilite"
    wb.properties.created = wb.properties.modified = _FIXED_DATE
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(path, _deterministic(buf.getvalue()))
