"""Embedded sample data: versioned snapshots shipped inside the package.

The first run works on a machine without internet: the ANCT France Services
lists of 1 August 2024 and January 2020 (Licence Ouverte 2.0) and the road
networks of the Alpes-de-Haute-Provence (04, OpenStreetMap of July 2021, ODbL;
by car and on foot) are installed with ``accessibilite``. This module only gives their paths and
their provenance; the loaders read them:

* ``load_france_services()`` falls back on :func:`france_services_file` when
  the current official list cannot be downloaded;
* ``RoadNetwork.sample("04")`` loads :func:`network_file`.

Every file is listed in :data:`CATALOGUE` and in ``PROVENANCE.md`` beside it
(source, date, licence, sha256), and in ``docs/data-sources.md``. The files
are produced from the shared raw data by ``scripts/make_samples.py``.
Foundation module: imports nothing of the layers, so that every layer may use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import DataFileError, InputError

__all__ = [
    "CATALOGUE",
    "DEFAULT_FRANCE_SERVICES",
    "folder",
    "france_services_file",
    "has_network",
    "network_file",
    "networks",
    "sha256",
]

_FS_PRODUCER = "ANCT (Agence nationale de la cohésion des territoires) et Banque des Territoires"
_LO2 = "Licence Ouverte / Open Licence 2.0 (Etalab)"
_ODBL = "ODbL 1.0, © contributeurs OpenStreetMap"
_OSM_04 = (
    "OpenStreetMap, couche Geofabrik gis_osm_roads_free_1 des Alpes-de-Haute-Provence "
    "(juillet 2021), via mrajerisonCerema/osmdata-roads-as-rds (commit 6d9394e9)"
)

#: Embedded files: name → ``kind``, ``date`` (ISO, of the data), ``source``,
#: ``producer``, ``licence``, ``attribution``, plus ``departement`` / ``mode``
#: for road networks. Checksums are in ``PROVENANCE.md`` (checked by the tests).
CATALOGUE: dict[str, dict[str, str]] = {
    "france-services-20240801.csv.xz": {
        "kind": "france_services",
        "date": "2024-08-01",
        "source": "anct-carto/france_services, data/liste-fs-20240801.csv "
        "(commit e1016fd7, 2024-08-01), identique à la ressource data.gouv.fr "
        "« Liste des structures France services » de cette date",
        "producer": _FS_PRODUCER,
        "licence": _LO2,
        "attribution": "ANCT – liste des structures France services, 01/08/2024",
    },
    "france-services-20200102.csv.xz": {
        "kind": "france_services",
        "date": "2020-01-02",
        "source": "anct-carto/France-services, data/france-services.csv "
        "(commit b88c14a9, 2020-01-02), première vague de labellisation",
        "producer": _FS_PRODUCER,
        "licence": _LO2,
        "attribution": "ANCT / Banque des Territoires – France services, janvier 2020",
    },
    "reseau-04-voiture.npz": {
        "kind": "reseau",
        "departement": "04",
        "mode": "voiture",
        "date": "2021-07",
        "source": _OSM_04 + ", plus les voies des Hautes-Alpes (05) à moins de 20 km du 04",
        "producer": "contributeurs OpenStreetMap",
        "licence": _ODBL,
        "attribution": "© contributeurs OpenStreetMap (ODbL), juillet 2021",
    },
    "reseau-04-marche.npz": {
        "kind": "reseau",
        "departement": "04",
        "mode": "marche",
        "date": "2021-07",
        "source": _OSM_04,
        "producer": "contributeurs OpenStreetMap",
        "licence": _ODBL,
        "attribution": "© contributeurs OpenStreetMap (ODbL), juillet 2021",
    },
}

#: Edition used when the current official France Services list cannot be downloaded.
DEFAULT_FRANCE_SERVICES = "2024-08-01"


def folder() -> Path:
    """The folder holding the embedded files (inside the installed package)."""
    return Path(__file__).resolve().parent


def _path(name: str) -> Path:
    path = folder() / name
    if not path.is_file():  # a broken installation, not a user error
        raise DataFileError(path, "donnée embarquée absente : réinstallez accessibilite")
    return path


def france_services_file(edition: str = DEFAULT_FRANCE_SERVICES) -> Path:
    """Path of an embedded ANCT France Services list (``.csv.xz``, read by the loader).

    Parameters
    ----------
    edition : str, default "2024-08-01"
        ``"2024-08-01"`` (2,845 sites) or ``"2020-01-02"`` (January 2020, first
        wave, 456 sites); a year (``"2020"``) or year-month also selects it.

    Raises
    ------
    InputError
        No embedded list of that edition.
    """
    wanted = str(edition).strip()
    found = [
        name
        for name, entry in CATALOGUE.items()
        if entry["kind"] == "france_services" and entry["date"].startswith(wanted) and wanted
    ]
    if len(found) != 1:
        editions = sorted(e["date"] for e in CATALOGUE.values() if e["kind"] == "france_services")
        raise InputError(
            f"liste France Services embarquée inconnue : {edition!r} "
            f"(éditions disponibles : {', '.join(editions)})"
        )
    return _path(found[0])


def networks() -> list[tuple[str, str]]:
    """``(département, mode)`` of every embedded road network."""
    return [(e["departement"], e["mode"]) for e in CATALOGUE.values() if e["kind"] == "reseau"]


def _code(departement) -> str:
    code = str(departement).strip().upper()
    return code.zfill(2) if code.isdigit() else code


def has_network(departement, mode: str = "voiture") -> bool:
    """True when a road network of this département and mode is embedded."""
    return (_code(departement), mode) in networks()


def network_file(departement, mode: str = "voiture") -> Path:
    """Path of an embedded road network (``RoadNetwork`` ``.npz``).

    Raises
    ------
    InputError
        No embedded network for this département and mode.
    """
    code = _code(departement)
    for name, entry in CATALOGUE.items():
        if entry["kind"] == "reseau" and (entry["departement"], entry["mode"]) == (code, mode):
            return _path(name)
    have = ", ".join(f"{d} ({m})" for d, m in networks())
    raise InputError(
        f"aucun réseau routier embarqué pour le département {code} en mode {mode} "
        f"(réseaux embarqués : {have})"
    )


def sha256(name: str) -> str:
    """Hex sha256 of an embedded file (to check it against ``PROVENANCE.md``)."""
    return hashlib.sha256(_path(name).read_bytes()).hexdigest()
