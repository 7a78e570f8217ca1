"""The ``services`` sub-command: load a service point file and summarise its rows."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from .common import _existing_file, _load_service_file, _print_rejected, _write_table


def _cmd_services(args: argparse.Namespace) -> int:
    path = _existing_file(args.fichier)
    with warnings.catch_warnings():
        # the summary below details the rejected rows: no duplicate warning line
        warnings.filterwarnings("ignore", message=r".*rejetée\(s\)")
        services = _load_service_file(path, args)
    rejected = services.attrs.get("rejected")
    n_rej = 0 if rejected is None else len(rejected)
    n_date = int(services.attrs.get("filtered_by_date", 0) or 0)
    n_read = services.attrs.get("rows_read", len(services) + n_rej + n_date)
    print(f"Fichier : {path}")
    print(f"Lignes lues : {n_read}")
    print(f"Sites retenus (département {args.departement}) : {len(services)}")
    if len(services) and "itinerant" in services.columns:
        print(f"  dont itinérants : {int(services['itinerant'].sum())}")
    if n_date:
        print(f"Sites labellisés après le {args.date} (non comptés) : {n_date}")
    _print_rejected(services)
    if args.sortie:
        _write_table(services, Path(args.sortie), layer="services")
        print(f"Écrit : {args.sortie}")
    return 0
