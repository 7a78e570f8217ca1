"""``accessibilite analyse --departement all`` (or a list, or ``--region``): France at once.

Every commune of the départements against the national list (sites across each
border count), one worker process per département; writes the national commune
table, the per-département summary and a map of France. Only parses, reports
progress and calls the package's functions.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

import accessibilite as acc

from .common import Progress, _existing_file, _fmt_int, _fmt_num, _fmt_pct
from .prepare import _check_args

__all__ = ["cmd_national", "is_national"]

_TIME_COLUMNS = ("temps_min", "distance_km", "temps_moyen_pondere_min", "temps_max_min")


def is_national(args: argparse.Namespace) -> bool:
    """Whether ``analyse`` was asked for several départements, ``all`` or a region."""
    dep = getattr(args, "departement", None) or ""
    return bool(getattr(args, "region", None)) or dep.lower() in ("all", "tous") or "," in dep


def _pbf_network(path: str, mode: str, buffer_km: float, code: str, communes):
    """One département's road network cut from a regional or national extract (worker)."""
    return acc.RoadNetwork.from_osm(path, mode=mode, territory=communes, buffer_km=buffer_km)


def _check_national(args: argparse.Namespace) -> None:
    _check_args(args)
    if args.origine == "carreaux":
        raise acc.InputError("--origine carreaux n'est pas disponible sur plusieurs départements")
    if args.communes or args.fichier_communes:
        raise acc.InputError(
            "--communes et --fichier-communes ne s'emploient qu'avec un seul département"
        )
    if args.mode != "vol-oiseau" and not args.reseau:
        raise acc.InputError(
            "plusieurs départements : donnez un extrait OpenStreetMap régional ou national "
            "avec --reseau FICHIER.osm.pbf, ou l'estimation à vol d'oiseau avec --mode vol-oiseau"
        )
    if args.reseau and not str(args.reseau).lower().endswith((".pbf", ".osm", ".xml")):
        raise acc.InputError("--reseau : plusieurs départements demandent un fichier OSM ou PBF")


def _load_national_services(args: argparse.Namespace):
    kind = args.services.lower().replace("_", "-")
    path = _existing_file(args.services_fichier) if args.services_fichier else None
    if kind == "france-services":
        return acc.load_france_services(path, date=args.date)
    if kind == "finess" and path is not None:
        return acc.load_finess(path)
    raise acc.InputError(
        f"--services {args.services} : sur plusieurs départements, seules les listes "
        "nationales france-services et finess (--services-fichier) sont prises en charge"
    )


def _write_csv(frame, path: Path) -> None:
    """Atomic CSV (temporary file in the same folder, then rename); ``.`` decimals."""
    table = frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
    for col in _TIME_COLUMNS:
        if col in table.columns:
            table[col] = table[col].astype(float).round(2).where(table[col] < float("inf"))
    if "part_population_au_dela" in table.columns:
        table["part_population_au_dela"] = table["part_population_au_dela"].round(4)
    for col in table.columns:
        if table[col].dtype == bool:
            table[col] = table[col].astype(int)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        table.to_csv(fh, index=False, lineterminator="\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def cmd_national(args: argparse.Namespace) -> int:
    """Run the national branch of ``accessibilite analyse``."""
    from ..analysis.national import national_access, resolve_departements
    from ..outputs import maps
    from ..outputs.france_map import plot_france_map

    progress = Progress(5, quiet=args.silencieux)
    _check_national(args)
    codes = resolve_departements(args.departement, getattr(args, "region", None))
    progress.step(f"Chargement de la liste nationale des services ({len(codes)} départements)")
    services = _load_national_services(args)
    provider, network_for = None, None
    if args.mode == "vol-oiseau":
        provider = acc.StraightLineEstimate()
        methode = provider.description
    else:
        path = str(_existing_file(args.reseau))
        network_for = functools.partial(_pbf_network, path, args.mode, args.buffer_km)
        methode = f"réseau routier OpenStreetMap ({Path(path).name}), {args.mode}"
    workers = getattr(args, "processus", None)
    progress.step(f"Temps d'accès des communes ({workers or os.cpu_count()} processus)")
    result = national_access(
        codes, services, provider, network_for=network_for, seuil_min=args.seuil,
        origine=args.origine, buffer_km=args.buffer_km, workers=workers,
    )  # fmt: skip
    out = Path(args.sortie)
    progress.step("Écriture des tableaux CSV")
    _write_csv(result.communes, out / "communes_france.csv")
    _write_csv(result.departements, out / "departements.csv")
    gone_path = out / "communes_sans_origine.csv"
    if len(result.sans_origine):
        _write_csv(result.sans_origine, gone_path)
    else:
        gone_path.unlink(missing_ok=True)
    progress.step("Carte de France")
    fig = plot_france_map(result.communes, args.seuil, methode)
    maps.save_map(fig, out / "carte_france.png", dpi=150)
    progress.step("Résumé")
    com = result.communes
    pop = com["population"].astype(float)
    beyond = com["au_dela_seuil"].astype(bool)
    print(f"Méthode : {methode}")
    print(f"Départements : {len(codes)} ; communes : {_fmt_int(len(com))} ; "
          f"sites de la liste : {_fmt_int(len(services))}")  # fmt: skip
    print(
        f"Communes au-delà de {_fmt_num(args.seuil)} min : {_fmt_int(int(beyond.sum()))} "
        f"({_fmt_int(pop[beyond].sum())} habitants, {_fmt_pct(pop[beyond].sum() / pop.sum())} "
        "de la population)"
    )
    if len(result.sans_origine):
        print(f"Communes sans mairie ni contour (exclues, voir communes_sans_origine.csv) : "
              f"{len(result.sans_origine)}")  # fmt: skip
    print(f"Résultats écrits dans {out}", file=sys.stdout)
    return 0
