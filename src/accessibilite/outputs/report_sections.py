"""Pieces of the HTML report: context block, key figures, tables, images.

Private helper of :mod:`accessibilite.outputs.report`. Values are HTML-escaped
and formatted the French way (« 12 345 », « 7,5 min », « 1er janvier 2020 »).
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.indicators import _part_beyond
from ..errors import InputError
from .context import (
    ESTIMATE_CAVEAT,
    POPULATION_TEXT,
    edition_date,
    is_estimate,
    list_text,
    network_text,
    territory_text,
)
from .draw import figure_png
from .style import _method_text, _plural, fmt_int, fmt_num, fmt_pct, population_beyond
from .xlsx import HEADERS


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _num(value, digits: int = 1) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    if isinstance(value, int | np.integer):
        return fmt_int(value)
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "inaccessible"
        text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
        return text
    return str(value)


def _table(
    frame: pd.DataFrame, headers: Mapping[str, str] | None = None, digits=None, vide="Aucune ligne."
) -> str:
    """HTML table of ``frame`` (values escaped, French number formatting)."""
    frame = frame.drop(columns=[c for c in frame.columns if str(frame[c].dtype) == "geometry"])
    headers = headers or {c: c for c in frame.columns}
    digits = digits or {}
    cols = [c for c in headers if c in frame.columns]
    if not len(frame):
        return f'<p class="vide">{_e(vide)}</p>'
    head = "".join(f"<th>{_e(headers[c])}</th>" for c in cols)
    rows = []
    for rec in frame[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, rec, strict=True):
            cls = ' class="n"' if isinstance(v, int | float | np.number) else ""
            if c in digits and isinstance(v, float) and np.isfinite(v) and digits[c] == "%":
                text = fmt_pct(v)
            else:
                text = _num(v, digits.get(c, 1) if digits.get(c) != "%" else 1)
            cells.append(f"<td{cls}>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _png_bytes(image) -> bytes:
    if isinstance(image, bytes | bytearray):
        return bytes(image)
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        if not path.exists():
            raise InputError(f"{path}: image de carte introuvable")
        return path.read_bytes()
    if hasattr(image, "savefig"):
        return figure_png(image, dpi=150)
    raise InputError("carte_png doit être un chemin, des octets PNG ou une figure matplotlib")


#: Paris, Martinique and Guyane have no electoral canton (empty canton table).
_NO_CANTON = "sans objet : pas de canton électoral dans ce territoire (voir les EPCI)"


def _key_figures(communes: pd.DataFrame, seuil: float, cantons) -> str:
    pop = communes["population"].astype(float)
    t = communes["temps_min"].astype(float)
    total = pop.sum()
    share = (lambda x: x / total) if total else (lambda x: 0.0)
    rows = [("Communes", fmt_int(len(communes))), ("Population", fmt_int(total))]
    for b in sorted({10.0, 20.0, 30.0, seuil}):
        # share of each commune within b: its 200 m cells with origine="carreaux", else 0 or 1
        p = float((pop * (1.0 - _part_beyond(communes, b))).sum())
        rows.append(
            (f"Population à {fmt_num(b)} min ou moins", f"{fmt_int(p)} ({fmt_pct(share(p))})")
        )
    beyond = communes["au_dela_seuil"].astype(bool)
    p, part = population_beyond(communes)
    rows.append(
        (
            f"Population au-delà de {fmt_num(seuil)} min",
            f"{fmt_int(p)} ({fmt_pct(part)}), {_plural(int(beyond.sum()), 'commune')}",
        )
    )
    if "service_hors_departement" in communes.columns:
        n = int(communes["service_hors_departement"].fillna(False).astype(bool).sum())
        rows.append(("Communes dont le site le plus proche est hors du département", fmt_int(n)))
    finite = np.isfinite(t)
    if finite.any() and pop[finite].sum():
        mean = float((t[finite] * pop[finite]).sum() / pop[finite].sum())
        rows.append(("Temps moyen pondéré par la population", f"{_num(mean)} min"))
    if (~finite).any():
        rows.append(("Population sans accès (inaccessible)", fmt_int(pop[~finite].sum())))
    if cantons is not None and len(cantons) == 0:
        rows.append(("Cantons sans site", _NO_CANTON))
    elif cantons is not None and "sans_service" in cantons.columns:
        n = int(cantons["sans_service"].fillna(False).astype(bool).sum())
        rows.append(("Cantons sans site", f"{n} sur {len(cantons)}"))
    items = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="chiffres">{items}</table>'


#: Columns of the canton / EPCI tables of the report, with their French headers (xlsx's).
_TERRITORY_HEADERS = {
    c: HEADERS[c]
    for c in ("code", "nom", "population", "population_au_dela_seuil", "part_au_dela_seuil",
              "nb_sites", "commune_la_plus_eloignee", "temps_max_min")
}  # fmt: skip


#: French wording of the origins stored by access_times.
_ORIGINES = {
    "mairie": "mairie de chaque commune (convention du distancier INSEE Metric)",
    "centroide": "point intérieur de chaque commune",
    "carreaux": "carreaux habités de 200 m (INSEE Filosofi), moyenne pondérée par la population",
}
#: French headers of the scenario tables (closure_impact, recommend_sites); others as is.
_SCENARIO_HEADERS = {"service_id": "Site"} | {
    c: HEADERS[c]
    for c in ("nom", "population_basculant", "nb_communes_basculant", "communes_basculant",
              "hausse_temps_moyen_min", "rang", "candidat_id", "code_insee", "gain_population",
              "population_couverte_cumulee", "part_couverte_cumulee", "methode")
}  # fmt: skip
_SCENARIO_DIGITS = {"part_couverte_cumulee": "%", "hausse_temps_moyen_min": 1}


def _rows_table(lines, cls: str = "chiffres") -> str:
    items = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in lines)
    return f'<table class="{cls}">{items}</table>'


def context_block(communes, services, seuil: float, date=None) -> str:
    """The first screen of an official document: territory, dates, sources, edition."""
    lines = [("Territoire étudié", f"{territory_text(communes)} "
              f"({_plural(len(communes), 'commune')}, {_plural(communes['population'].sum(), 'habitant')})")]  # fmt: skip
    listed = list_text(services)
    if listed:
        lines.append(("Liste des sites", listed))
    lines.append(("Populations", POPULATION_TEXT))
    lines.append(("Réseau routier", network_text(communes)))
    method = _method_text(communes)
    if method:
        lines.append(("Calcul des temps", method))
    lines.append(("Seuil d'alerte", f"{fmt_num(seuil)} minutes"))
    lines.append(("Édition du rapport", edition_date(date)))
    return _rows_table(lines, "contexte")


def caveat(communes) -> str:
    """The straight-line estimate warning, placed next to the key figures."""
    if not is_estimate(communes):
        return ""
    return f'<p class="avertissement"><b>Attention :</b> {_e(ESTIMATE_CAVEAT)}</p>'


def figures(images) -> str:
    """The map image(s), each kept whole on one printed page."""
    out = []
    for k, image in enumerate(images, 1):
        data = base64.b64encode(_png_bytes(image)).decode("ascii")
        out.append(
            f'<figure><img src="data:image/png;base64,{data}" '
            f'alt="Carte {k} des temps d\'accès par commune"></figure>'
        )
    return "".join(out)


def commune_names(communes) -> str:
    """ "Saint-Germain-en-Laye (78551), Le Pecq (78481)" — never the raw option value."""
    pairs = sorted(zip(communes["nom"], communes["code_insee"], strict=True), key=lambda p: p[1])
    text = ", ".join(f"{n} ({c})" for n, c in pairs[:30])
    return text + (f" et {len(pairs) - 30} autres" if len(pairs) > 30 else "")
