"""Command line: ``accessibilite <sous-commande> ...``.

Argument parsing and progress display only: every computation goes through
the public API (``import accessibilite as acc``). Messages and help texts are
in French, for the département staff who run it. Errors raised on purpose by
the package are printed as one clean line (``erreur : ...``) with exit code 2.

Sub-commands
------------
``communes``
    Write the communes of a département to a GeoPackage / GeoJSON / CSV file.
``services``
    Load a service point file and summarise accepted and rejected rows.
``analyse``
    The main job: access times per commune, deficit flags per canton / EPCI,
    tables, GeoPackage, maps and HTML report in one output folder.
``scenario fermeture|ouverture``
    Closure impact of each site, or the best places for new sites.
"""

from __future__ import annotations

import errno
import sys
import warnings
from collections.abc import Sequence

import accessibilite as acc

from .common import _cli_text
from .parser import build_parser

__all__ = ["main", "build_parser"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a usage error or an error of the package.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    progress = acc.settings.progress
    if args.silencieux:
        acc.settings.progress = False
    _SHOWN.clear()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except acc.AccessibiliteError as exc:
        print(f"erreur : {_cli_text(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written: one line, no traceback
        where = f"{exc.filename} : " if exc.filename else ""
        reason = _OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
        print(f"erreur : {where}accès impossible ({_cli_text(reason)})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrompu", file=sys.stderr)
        return 130
    finally:
        acc.settings.progress = progress


#: French reasons of the usual file-system errors (errno → text).
_OS_ERRORS = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "permission refusée",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EEXIST: "un fichier porte déjà ce nom",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of the package as one French line, without the source location.

    The loaders point Python users to ``.attrs['rejected']``; on the command
    line the rejected rows are in ``rejets.csv`` (``analyse``) or written by
    ``accessibilite services --rejets``. Python arguments become options.
    """
    text = _cli_text(message)
    if text in _SHOWN:  # the same gap of the data, met again by a later step: told once
        return
    _SHOWN.add(text)
    print(f"attention : {text}", file=sys.stderr)


#: Warnings already printed during this run of ``main``.
_SHOWN: set[str] = set()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
