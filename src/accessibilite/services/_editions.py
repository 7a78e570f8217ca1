"""Private: which France Services list to read, and the date of its edition.

``load_france_services`` uses the current official list when it downloads,
else the embedded snapshot (:mod:`accessibilite.datasets`), and stamps the
list's date in ``attrs["date_liste"]``.
"""

from __future__ import annotations

import datetime
import re
import warnings
from pathlib import Path

from .. import datasets, sources
from ..errors import DownloadError, OfflineError


def _official_or_embedded(source):
    """``(source, list date)``: the official list when it downloads, else the embedded one.

    A given ``source`` is returned as is (its date comes from its name). With no
    source, the current official list is fetched (or taken from the cache): its
    date is the day the file was downloaded. When it cannot be downloaded, the
    embedded snapshot of ``datasets.DEFAULT_FRANCE_SERVICES`` is used, and one
    warning says so.
    """
    if source is not None:
        return source, None
    try:
        path = sources.fetch("france_services")
    except DownloadError as exc:
        edition = datasets.DEFAULT_FRANCE_SERVICES
        why = (
            "pas de connexion internet"
            if isinstance(exc, OfflineError)
            else "échec du téléchargement"
        )
        warnings.warn(
            f"liste officielle France Services non téléchargée, {why} : liste embarquée "
            f"du {_french_day(edition)} utilisée",
            UserWarning,
            stacklevel=3,
        )
        return datasets.france_services_file(edition), edition
    modified = datetime.date.fromtimestamp(path.stat().st_mtime)
    return path, modified.isoformat()


def _date_in_name(path) -> str | None:
    """ISO date written in a list's file name (``liste-fs-20240801.csv``), else None."""
    for y, m, d in re.findall(r"(?<!\d)(20\d\d)-?(\d\d)-?(\d\d)(?!\d)", Path(path).name):
        try:
            return datetime.date(int(y), int(m), int(d)).isoformat()
        except ValueError:
            continue
    return None


def _french_day(iso: str) -> str:
    """``"2024-08-01"`` → ``"1er août 2024"``."""
    day = datetime.date.fromisoformat(iso)
    month = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    return f"{'1er' if day.day == 1 else day.day} {month.split()[day.month - 1]} {day.year}"
