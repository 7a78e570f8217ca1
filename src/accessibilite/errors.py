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
