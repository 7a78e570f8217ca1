"""Atomic file writing with French errors naming the file.

Every writer of the package goes through :func:`replacing`: the content is
written to a hidden temporary file next to the target, then renamed onto it
(``os.replace``, atomic on one file system). A failure (read-only folder, full
disk, GDAL error) leaves no half-written file and no temporary file behind,
and becomes one :class:`~accessibilite.errors.DataFileError` naming the target
with a French reason.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import AccessibiliteError, DataFileError

__all__ = ["replacing", "write_bytes", "write_text", "os_reason", "make_folder"]

#: French reasons of the usual file-system errors (errno → text).
_ERRNO_FR = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "permission refusée",
    errno.ENOENT: "dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EEXIST: "un fichier porte déjà ce nom",
}
#: The same reasons as GDAL / OS texts in English (pyogrio errors carry only text).
_TEXT_FR = (
    ("no space left", "disque plein"),
    ("disk quota", "quota disque dépassé"),
    ("read-only file system", "système de fichiers en lecture seule"),
    ("permission denied", "permission refusée"),
    ("not a directory", "un élément du chemin n'est pas un dossier"),
    ("is a directory", "c'est un dossier"),
    ("no such file or directory", "dossier introuvable"),
    ("attempt to write a readonly database", "système de fichiers en lecture seule"),
    ("unable to open database file", "impossible de créer le fichier"),
)


def os_reason(exc: BaseException) -> str:
    """French reason of an OS or GDAL write error (the English text when unknown)."""
    code = getattr(exc, "errno", None)
    if code in _ERRNO_FR:
        return _ERRNO_FR[code]
    text = str(exc).lower()
    for english, french in _TEXT_FR:
        if english in text:
            return french
    return str(getattr(exc, "strerror", None) or exc)


#: Free space under which a GDAL write error is taken for a full disk (GDAL loses errno).
_NEARLY_FULL = 256 * 1024


def _diagnose(folder: Path) -> str | None:
    """Why writing in ``folder`` fails, when the error text does not say (GDAL errors)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "système de fichiers en lecture seule"
        if not os.access(folder, os.W_OK):
            return "permission refusée"
        if shutil.disk_usage(folder).free < _NEARLY_FULL:
            return "disque plein"
    except (OSError, AttributeError):  # no statvfs (Windows), folder gone
        return None
    return None


def _write_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

        errors += [DataSourceError, DataLayerError, FieldError, GeometryError]
    except ImportError:  # pragma: no cover - pyogrio is a dependency
        pass
    return tuple(errors)


def make_folder(folder: str | os.PathLike, target: str | os.PathLike | None = None) -> list[Path]:
    """Create ``folder`` and its missing parents; return the folders created (deepest last).

    Raises
    ------
    DataFileError
        Naming ``target`` (the file to be written in it) or else the folder,
        with a French reason (a file in the way, read-only file system...).
    """
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    named = folder if target is None else Path(target)
    where = "" if target is None else f" {folder}"
    if folder.exists() and not folder.is_dir():
        raise DataFileError(named, f"impossible de créer le dossier{where} : c'est un fichier")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = os_reason(exc)
        raise DataFileError(named, f"impossible de créer le dossier{where} ({reason})") from None
    return missing


def _temporaries(tmp: Path) -> list[Path]:
    """The temporary file and its siblings (shapefile sidecars, SQLite journals)."""
    pattern = glob.escape(str(tmp.with_suffix(""))) + ".*"
    return [Path(p) for p in glob.glob(pattern)]


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` when the block succeeds.

    The temporary file is hidden (``.name.<pid>.tmp.ext``) in the target's
    folder and keeps its extension, so drivers chosen by extension (GDAL,
    matplotlib) still work; sidecar files sharing its stem (``.dbf``, ``.shx``
    of a shapefile) are renamed with it. On any error the temporary files are
    removed and the target is left as it was.

    Raises
    ------
    DataFileError
        Naming ``path`` when the folder cannot be created or the file cannot be
        written (read-only file system, full disk, GDAL write error).
    """
    path = Path(path)
    make_folder(path.parent, path)
    suffix = "".join(path.suffixes[-1:])
    tmp = path.with_name(f".{path.name.removesuffix(suffix)}.{os.getpid()}.tmp{suffix}")
    for old in _temporaries(tmp):  # left by a killed run of this process id
        old.unlink(missing_ok=True)
    try:
        yield tmp
        if not tmp.exists():
            raise DataFileError(path, "le fichier n'a pas été écrit")
        stem = path.name.removesuffix(suffix)
        for part in _temporaries(tmp):
            if part.name.startswith(tmp.name):  # the temporary file or its SQLite journals
                if part != tmp:
                    part.unlink()
            else:  # shapefile sidecars first, the main file last
                os.replace(part, path.with_name(stem + part.name.removeprefix(tmp.stem)))
        for journal in ("-wal", "-shm", "-journal"):  # a stale SQLite journal of the old file
            Path(f"{path}{journal}").unlink(missing_ok=True)
        os.replace(tmp, path)
    except BaseException as exc:
        known = isinstance(exc, _write_errors()) and not isinstance(exc, AccessibiliteError)
        reason = None
        if known:  # before the temporary file is removed: a full disk is still full
            coded = getattr(exc, "errno", None) in _ERRNO_FR
            reason = os_reason(exc) if coded else (_diagnose(path.parent) or os_reason(exc))
        for part in _temporaries(tmp):
            with contextlib.suppress(OSError):
                part.unlink()
        if not known:
            raise
        raise DataFileError(path, f"écriture impossible ({reason})") from None


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`replacing`)."""
    path = Path(path)
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: str | os.PathLike, text: str, *, bom: bool = False) -> Path:
    """Write ``text`` as UTF-8 (with a byte-order mark if ``bom``), ``\\n`` kept as is."""
    return write_bytes(path, ("\ufeff" if bom else "").encode() + text.encode("utf-8"))
