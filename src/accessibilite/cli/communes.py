"""The ``communes`` sub-command: write the communes of a département to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import _fmt_int, _load_communes, _write_table


# --------------------------------------------------------------------------- communes
def _cmd_communes(args: argparse.Namespace) -> int:
    communes = _load_communes(args)
    sortie = Path(args.sortie)
    _write_table(communes, sortie, layer="communes")
    print(f"Département {args.departement} : {len(communes)} communes")
    print(f"Population municipale : {_fmt_int(communes['population'].sum())} habitants")
    if communes.attrs.get("avertissement_population"):
        print(f"Attention : {communes.attrs['avertissement_population']}")
    if "code_epci" in communes.columns:
        print(f"EPCI représentés : {communes['code_epci'].dropna().nunique()}")
    print(f"Écrit : {sortie}")
    return 0
