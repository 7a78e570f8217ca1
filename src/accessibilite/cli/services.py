"""The ``services`` sub-command: load a service point file and account for every row."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .common import _existing_file, _fmt_date, _fmt_num, _write_table
from .service_files import (
    _columns_lines,
    _counts,
    _load_service_file,
    _note_partial_date,
    _print_rejected,
    _warn_late_date,
    _write_rejects,
)


def _cmd_services(args: argparse.Namespace) -> int:
    from ..services import UnreadableFieldWarning  # the heavy stack, only when running

    path = _existing_file(args.fichier)
    if args.date is not None and (note := _note_partial_date(args.date)):
        print(note, file=sys.stderr)
    with warnings.catch_warnings():
        # the summary below details the rejected rows: no duplicate warning line
        warnings.filterwarnings("ignore", message=r".*rejetée\(s\)")
        warnings.filterwarnings("ignore", category=UnreadableFieldWarning)
        services = _load_service_file(path, args)
    if args.date is not None:
        _warn_late_date(services, args.date)
    n = _counts(services)
    margin = f" et sa marge de {_fmt_num(args.buffer_km)} km" if args.buffer_km else ""
    print(f"Fichier : {path}")
    print("Colonnes lues :")
    for line in _columns_lines(services):
        print(line)
    print(f"Lignes lues : {n['lus']}")
    print(f"Sites retenus (département {args.departement}{margin}) : {n['retenus']}")
    if len(services) and "itinerant" in services.columns:
        print(f"  dont itinérants : {int(services['itinerant'].sum())}")
    print(f"Lignes hors du territoire (autres départements, non comptées) : {n['hors_territoire']}")
    if services.attrs.get("out_of_scope"):
        print(f"Lignes d'autres catégories (non lues) : {services.attrs['out_of_scope']}")
    if args.date is not None:
        undated = int(services.attrs.get("undated", 0) or 0)
        later = n["date"] - undated
        print(f"Sites labellisés après le {_fmt_date(args.date)} (non comptés) : {later}")
        if undated:
            print(
                f"Sites sans date d'ouverture lisible, écartés par --date (leur ouverture au "
                f"{_fmt_date(args.date)} ne peut être établie) : {undated}"
            )
        if services.attrs.get("no_date_column"):
            print("  (aucune colonne de date : --date ne peut pas filtrer ce fichier)")
    if n["itinerants"]:
        print(f"Sites itinérants écartés (--sans-itinerants) : {n['itinerants']}")
    _print_rejected(services)
    _print_unreadable(services)
    parts = [n["retenus"], n["rejetes"], n["hors_territoire"], n["date"], n["itinerants"]]
    total = sum(parts)
    print(
        f"Bilan : {n['retenus']} retenus + {n['rejetes']} rejetées + {n['hors_territoire']} hors "
        f"territoire + {n['date']} écartées par la date"
        + (f" + {n['itinerants']} itinérants écartés" if n["itinerants"] else "")
        + f" = {total} lignes lues"
        + ("" if total == n["lus"] else f" (attention : {n['lus']} lues)")
    )
    if args.rejets:
        written = _write_rejects(services, Path(args.rejets), always=True)
        print(f"Lignes rejetées écrites : {args.rejets} ({written})")
    if args.sortie:
        _write_table(services, Path(args.sortie), layer="services")
        print(f"Écrit : {args.sortie}")
    return 0


def _print_unreadable(services) -> None:
    """Optional fields that could not be read: kept sites, missing values."""
    for column, info in (services.attrs.get("unreadable") or {}).items():
        examples = ", ".join(f"« {e} »" for e in info["examples"])
        what = "Codes commune" if info.get("champ") == "code_insee" else "Dates"
        print(
            f"{what} illisibles (colonne « {column} ») : {info['count']}, laissés vides, "
            f"sites conservés (ex. : {examples})"
        )
