"""Recognising the columns of a point file: which source column feeds which standard field.

Names are compared without case, accents, punctuation or small words
(``"Date d'ouverture"`` is ``date_ouverture``, ``"Nom du site"`` is
``nom_site``, see :func:`._read._normal_name`). A commune name or a postcode
is never taken for a site name or a commune code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._read import _find, _normal_name, _text

#: Coordinate column pairs "x:y", searched in this order.
XY_NAMES = [
    pair.split(":")
    for pair in (
        "longitude:latitude lon:lat lng:lat long:lat xlong:ylat x_wgs84:y_wgs84 "
        "lon_wgs84:lat_wgs84 longitude_wgs84:latitude_wgs84 wgs84_x:wgs84_y "
        "longitude_gps:latitude_gps gps_longitude:gps_latitude longitude_x:latitude_y "
        "lambert_x:lambert_y x_l93:y_l93 xl93:yl93 x_lambert93:y_lambert93 "
        "x_lambert_93:y_lambert_93 coordx:coordy coord_x:coord_y coordonnee_x:coordonnee_y "
        "coordxet:coordyet x:y"
    ).split()
]
#: Single columns holding "lat, lon" (opendatasoft) or {"lon": .., "lat": ..}.
LATLON_NAMES = [
    "geo_point_2d", "geo_point", "geopoint", "point_geo", "coordonnees", "coordonnees_gps",
    "coordonnees_geographiques", "geolocalisation", "latlon", "lat_lon", "latitude_longitude",
    "gps", "position", "localisation_gps",
]  # fmt: skip
ID_NAMES = [
    "id", "identifiant", "uid", "id_fs", "nofinesset", "id_site", "identifiant_site",
    "code_site", "numero_site", "num_site", "finess", "n_finess", "no_finess",
    "numero_finess", "finess_et", "code_structure", "identifiant_structure",
]  # fmt: skip
NOM_NAMES = [
    "nom", "name", "libelle", "lib_fs", "raison_sociale", "rs", "denomination", "nom_site",
    "nom_structure", "nom_etablissement", "nom_france_services", "lib_france_services",
    "libelle_site", "libelle_structure", "libelle_etablissement", "intitule", "enseigne",
    "nom_usuel", "appellation", "designation", "nom_lieu", "nom_point_accueil",
]  # fmt: skip
#: Opening / label date columns.
DATE_NAMES = [
    "date_ouverture", "date_labellisation", "labellisation_fs", "date_label", "labellisation",
    "date_labelisation", "labelisation", "ouverture", "date_ouverture_site",
    "date_mise_service", "date_creation", "date_inauguration", "date_agrement",
    "annee_ouverture", "annee_labellisation",
]  # fmt: skip
INSEE_NAMES = [
    "code_insee", "codeinsee", "insee", "insee_com", "codgeo", "depcom", "com_code",
    "code_commune_insee", "code_insee_commune", "insee_commune", "code_commune", "citycode",
    "result_citycode", "cog", "code_cog", "code_geo", "codecommune", "code_officiel_commune",
]  # fmt: skip
ITINERANT_NAMES = ["itinerant", "itinerance", "itinerante", "site_itinerant", "format_fs"]
ADDRESS_NAMES = [
    "adresse", "address", "adresse_postale", "adresse_complete", "adresse_site", "voie",
    "adresse_1", "adresse1", "rue",
]  # fmt: skip
#: Cell values meaning "itinerant" in an itinerant / format column.
_ITINERANT_VALUES = {
    "oui", "o", "vrai", "true", "1", "yes", "x", "itinerant", "itinerante", "bus",
    "bus_equivalent", "itinerance",
}  # fmt: skip


def find_column(table: pd.DataFrame, names, *, filled: bool = False) -> str | None:
    """First column of ``table`` named like one of ``names`` (with a value when ``filled``)."""
    for name in names:
        column = _find(table.columns, [name])
        if column is not None and (not filled or table[column].notna().any()):
            return column
    return None


def itinerant_flags(values) -> np.ndarray:
    """True where a cell says the site is itinerant (``Oui``, ``Bus_équivalent``...)."""
    text = _text(values)
    return np.array([v is not None and _normal_name(v) in _ITINERANT_VALUES for v in text])
