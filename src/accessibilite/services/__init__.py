"""Service points: France Services lists, FINESS health sites, BPE counts, any point file.

Every loader returns the standard services frame (``service_id``, ``nom``,
``categorie``, ``code_insee``, ``date_ouverture``, ``itinerant``, geometry in the
territory's CRS) and keeps the rows it could not use in ``.attrs["rejected"]``
with a French reason. May import :mod:`accessibilite.territories` and the
foundation modules (settings, errors, sources, rejects).
"""

from ..rejects import RejectedRows, RejectedRowsWarning
from .dates import UnreadableFieldWarning, parse_date
from .health import load_bpe, load_finess
from .loaders import load_france_services, load_points

__all__ = [
    "RejectedRows",
    "RejectedRowsWarning",
    "UnreadableFieldWarning",
    "load_bpe",
    "load_finess",
    "load_france_services",
    "load_points",
    "parse_date",
]
