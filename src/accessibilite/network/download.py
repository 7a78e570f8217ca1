"""Département road extracts: the openstreetmap.fr ``.osm.pbf`` of each département.

``https://download.openstreetmap.fr/extracts/europe/france/<region>/<departement>-latest.osm.pbf``
where ``<region>`` is the folder of the former (pre-2016) region and the names
are lower case with underscores (``aquitaine/landes``,
``provence_alpes_cote_d_azur/hautes_alpes``); the five overseas départements
sit directly under ``france/``. Files are fetched through
:func:`accessibilite.sources.fetch` (on-disk cache, progress bar, atomic write).
"""

from __future__ import annotations

from pathlib import Path

from .. import sources
from ..errors import InputError

EXTRACTS_URL = "https://download.openstreetmap.fr/extracts/europe/france/"

_REGIONS = {
    "alsace": {"67": "bas_rhin", "68": "haut_rhin"},
    "aquitaine": {
        "24": "dordogne",
        "33": "gironde",
        "40": "landes",
        "47": "lot_et_garonne",
        "64": "pyrenees_atlantiques",
    },
    "auvergne": {"03": "allier", "15": "cantal", "43": "haute_loire", "63": "puy_de_dome"},
    "basse_normandie": {"14": "calvados", "50": "manche", "61": "orne"},
    "bourgogne": {"21": "cote_d_or", "58": "nievre", "71": "saone_et_loire", "89": "yonne"},
    "bretagne": {
        "22": "cotes_d_armor",
        "29": "finistere",
        "35": "ille_et_vilaine",
        "56": "morbihan",
    },
    "centre": {
        "18": "cher",
        "28": "eure_et_loir",
        "36": "indre",
        "37": "indre_et_loire",
        "41": "loir_et_cher",
        "45": "loiret",
    },
    "champagne_ardenne": {"08": "ardennes", "10": "aube", "51": "marne", "52": "haute_marne"},
    "corse": {"2A": "corse_du_sud", "2B": "haute_corse"},
    "franche_comte": {
        "25": "doubs",
        "39": "jura",
        "70": "haute_saone",
        "90": "territoire_de_belfort",
    },
    "haute_normandie": {"27": "eure", "76": "seine_maritime"},
    "ile_de_france": {
        "75": "paris",
        "77": "seine_et_marne",
        "78": "yvelines",
        "91": "essonne",
        "92": "hauts_de_seine",
        "93": "seine_saint_denis",
        "94": "val_de_marne",
        "95": "val_d_oise",
    },
    "languedoc_roussillon": {
        "11": "aude",
        "30": "gard",
        "34": "herault",
        "48": "lozere",
        "66": "pyrenees_orientales",
    },
    "limousin": {"19": "correze", "23": "creuse", "87": "haute_vienne"},
    "lorraine": {"54": "meurthe_et_moselle", "55": "meuse", "57": "moselle", "88": "vosges"},
    "midi_pyrenees": {
        "09": "ariege",
        "12": "aveyron",
        "31": "haute_garonne",
        "32": "gers",
        "46": "lot",
        "65": "hautes_pyrenees",
        "81": "tarn",
        "82": "tarn_et_garonne",
    },
    "nord_pas_de_calais": {"59": "nord", "62": "pas_de_calais"},
    "pays_de_la_loire": {
        "44": "loire_atlantique",
        "49": "maine_et_loire",
        "53": "mayenne",
        "72": "sarthe",
        "85": "vendee",
    },
    "picardie": {"02": "aisne", "60": "oise", "80": "somme"},
    "poitou_charentes": {
        "16": "charente",
        "17": "charente_maritime",
        "79": "deux_sevres",
        "86": "vienne",
    },
    "provence_alpes_cote_d_azur": {
        "04": "alpes_de_haute_provence",
        "05": "hautes_alpes",
        "06": "alpes_maritimes",
        "13": "bouches_du_rhone",
        "83": "var",
        "84": "vaucluse",
    },
    "rhone_alpes": {
        "01": "ain",
        "07": "ardeche",
        "26": "drome",
        "38": "isere",
        "42": "loire",
        "69": "rhone",
        "73": "savoie",
        "74": "haute_savoie",
    },
}
_OVERSEAS = {
    "971": "guadeloupe",
    "972": "martinique",
    "973": "guyane",
    "974": "reunion",
    "976": "mayotte",
}

#: Département code → extract path under :data:`EXTRACTS_URL` (without ``-latest.osm.pbf``).
EXTRACTS = {
    code: f"{region}/{name}" for region, deps in _REGIONS.items() for code, name in deps.items()
}
EXTRACTS |= _OVERSEAS


def _code(departement) -> str:
    """One département code, checked as everywhere else (``datafrance``)."""
    from ..territories.datafrance import _validate_departements

    codes = _validate_departements(departement)
    if len(codes) != 1:
        raise InputError(f"un seul département à la fois : {departement!r}")
    return codes[0]


def extract_url(departement) -> str:
    """URL of the openstreetmap.fr ``.osm.pbf`` extract of a département."""
    return f"{EXTRACTS_URL}{EXTRACTS[_code(departement)]}-latest.osm.pbf"


def fetch_extract(departement, refresh: bool = False) -> Path:
    """Local copy of a département's extract (cached; downloaded when missing).

    Raises
    ------
    InputError
        Unknown département code.
    DownloadError
        Offline or server error (French message telling what to pass instead).
    """
    code = _code(departement)
    name = EXTRACTS[code].rsplit("/", 1)[-1]
    return sources.fetch(extract_url(code), f"osm-{code}-{name}-latest.osm.pbf", refresh=refresh)
