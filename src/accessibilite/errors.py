"""Exception classes of the package.

Every error raised on purpose by ``accessibilite`` derives from
:class:`AccessibiliteError`, so callers can catch the package's errors in one
``except`` clause while still telling the precise cause apart.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "AccessibiliteError",
    "DataFileError",
    "MissingColumnError",
    "InputError",
    "NetworkError",
    "DownloadError",
    "OfflineError",
]


class AccessibiliteError(Exception):
    """Base class of every error raised on purpose by the package."""


class DataFileError(AccessibiliteError):
    """A data file is missing, unreadable or malformed.

    Parameters
    ----------
    path : str or PathLike
        The file at fault; always named in the message.
    message : str
        What is wrong with it.
    """

    def __init__(self, path: str | PathLike | None, message: str) -> None:
        self.path = None if path is None else str(path)
        prefix = f"{self.path}: " if self.path else ""
        super().__init__(prefix + message)


class MissingColumnError(DataFileError, KeyError):
    """A required column is absent from a data file or a table.

    Parameters
    ----------
    path : str or PathLike or None
        The file the table came from (``None`` for an in-memory table).
    column : str
        The missing column; always named in the message.
    available : iterable of str, optional
        The columns that were found, listed in the message to help the user.
    """

    def __init__(self, path, column: str, available=None) -> None:
        self.column = column
        msg = f"colonne requise absente : {column!r}"
        if available is not None:
            msg += f" (colonnes présentes : {', '.join(map(str, available))})"
        DataFileError.__init__(self, path, msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class InputError(AccessibiliteError, ValueError):
    """An argument or an in-memory input is invalid (empty set, bad value...)."""


class NetworkError(AccessibiliteError):
    """A road network cannot be built or used (no drivable edge, NaN weights...)."""


class DownloadError(AccessibiliteError):
    """Official data could not be downloaded and no local copy was given."""


class OfflineError(DownloadError):
    """The host of a download cannot be reached at all (no DNS answer, no route, no link).

    Raised at once by :func:`accessibilite.sources.check_connection`, before any
    download starts, so that an offline machine fails in a few seconds.
    """


#: English system and GDAL texts that reach French messages, and their French wording.
_ENGLISH_TEXTS = (
    (r"Not a directory", "un élément du chemin n'est pas un dossier"),
    (r"Read-only file system", "système de fichiers en lecture seule"),
    (r"Permission denied", "permission refusée"),
    (r"No such file or directory", "fichier ou dossier introuvable"),
    (r"No space left on device", "disque plein"),
    (r"database or disk is full", "disque plein"),
    (r"disk I/O error", "erreur d'écriture sur le disque"),
    (r"Is a directory", "c'est un dossier"),
    (r"File exists", "un fichier porte déjà ce nom"),
    (r"unable to open database file", "base de données impossible à ouvrir"),
    (r"not recognized as (?:being in )?a supported file format\.?", "format de fichier non reconnu"),
    (
        r"Column names longer than 10 characters will be truncated when saved to ESRI "
        r"Shapefile\.?",
        "les noms de colonnes de plus de 10 caractères sont tronqués dans un Shapefile "
        "(préférez .gpkg)",
    ),
    (
        r"Normalized/laundered field name: '([^']*)' to '([^']*)'",
        r"nom de colonne raccourci : « \1 » devient « \2 »",
    ),
    (r"Field (\S+) created as String field, though DateTime requested\.?",
     r"champ « \1 » écrit en texte (pas de date-heure dans ce format)"),
    (r"Value '([^']*)' of field (\S+) has been truncated to (\d+) characters\.?",
     r"valeur « \1 » du champ \2 tronquée à \3 caractères"),
)  # fmt: skip


def in_french(text: str) -> str:
    """``text`` with the usual English system and GDAL phrases put in French.

    ``"[Errno 30] Read-only file system"`` → ``"[Errno 30] système de fichiers en
    lecture seule"``; unknown phrases are left as they are.
    """
    import re

    text = str(text)
    for english, french in _ENGLISH_TEXTS:
        text = re.sub(english, french, text, flags=re.IGNORECASE)
    return re.sub(r"\[Errno \d+\]\s*", "", text)
