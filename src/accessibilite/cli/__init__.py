"""Command line: ``accessibilite <sous-commande> ...``.

Argument parsing and progress display only: every computation goes through
the public API (``import accessibilite as acc``). Messages and help texts are
in French, for the département staff who run it. One module per sub-command
(``communes``, ``services``, ``analyse``, ``scenario``), the parser in
:mod:`.parser`, the entry point :func:`main` in :mod:`.app`.
"""

from .app import main
from .parser import build_parser

__all__ = ["main", "build_parser"]
