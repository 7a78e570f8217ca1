"""The ``analyse`` and ``scenario`` sub-commands of the command line.

Private helper of :mod:`accessibilite.cli` (kept apart to keep each module
short). Like the rest of the command line it only parses, reports progress
and calls the public API.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import accessibilite as acc
from accessibilite.cli import (
    Progress,
    _existing_file,
    _fmt_int,
    _load_communes,
    _load_service_file,
    _write_table,
)

__all__ = ["cmd_analyse", "cmd_scenario"]

_GRAPHML = (".graphml", ".gml", ".xml.graphml")
_OSM = (".osm", ".pbf", ".xml", ".bz2")


# --------------------------------------------------------------------------- inputs
def _load_services(args: argparse.Namespace, communes):
    """Service sites for the analysis, from ``--services`` / ``--services-fichier``."""
    kind = args.services.lower().replace("_", "-")
    path = _existing_file(args.services_fichier) if args.services_fichier else None
    if kind == "france-services":
        if path is None:
            services = acc.load_france_services(None, date=args.date)
        else:
            services = acc.load_france_services(path, date=args.date)
    elif kind == "finess":
        if path is None:
            raise acc.InputError(
                "--services finess : --services-fichier (extraction FINESS) requis"
            )
        services = acc.load_finess(path)
    else:
        if path is None:
            raise acc.InputError(f"--services {args.services} : --services-fichier requis")
        args.categorie = kind.replace("-", "_")
        services = _load_service_file(path, args)
    return services


def _check_dates(args: argparse.Namespace) -> None:
    if args.date is None:
        return
    import datetime as dt

    try:
        dt.date.fromisoformat(args.date)
    except ValueError:
        raise acc.InputError(f"--date : date invalide {args.date!r} (attendu AAAA-MM-JJ)") from None


def _load_provider(args: argparse.Namespace, communes):
    """Travel-time provider: local network file, download, or the straight-line estimate.

    The straight-line estimate is used only when asked (``--mode vol-oiseau``),
    never as a silent fallback when the road network cannot be obtained.
    """
    if args.mode == "vol-oiseau":
        if args.reseau:
            raise acc.InputError("--reseau n'a pas de sens avec --mode vol-oiseau")
        return acc.StraightLineEstimate()
    if args.reseau:
        path = _existing_file(args.reseau)
        name = path.name.lower()
        if name.endswith(_GRAPHML):
            return acc.RoadNetwork.from_graphml(path, mode=args.mode)
        if name.endswith(_OSM):
            return acc.RoadNetwork.from_osm(path, mode=args.mode)
        raise acc.DataFileError(
            path, "format de réseau non reconnu (attendu .graphml, .osm ou .osm.pbf)"
        )
    try:
        return acc.RoadNetwork.download(communes, buffer_km=args.buffer_km, mode=args.mode)
    except acc.DownloadError as exc:
        raise acc.DownloadError(
            f"réseau routier indisponible ({exc}). Sans connexion internet, fournissez un "
            "réseau local avec --reseau FICHIER (GraphML, OSM, PBF), ou demandez "
            "explicitement l'estimation à vol d'oiseau avec --mode vol-oiseau."
        ) from exc


def _prepare(args: argparse.Namespace, progress: Progress):
    """Communes, services, carreaux and provider shared by analyse and scenario."""
    _check_dates(args)
    if args.origine == "carreaux" and not args.carreaux:
        raise acc.InputError("--origine carreaux : --carreaux FICHIER requis")
    progress.step("Chargement des communes")
    communes = _load_communes(args)
    progress.step("Chargement des services")
    services = _load_services(args, communes)
    rejected = services.attrs.get("rejected")
    if rejected is not None and len(rejected):
        print(f"  {len(rejected)} ligne(s) de services rejetée(s)", file=sys.stderr)
    carreaux = None
    if args.origine == "carreaux":
        carreaux = acc.load_carreaux(_existing_file(args.carreaux))
    label = "Estimation à vol d'oiseau" if args.mode == "vol-oiseau" else "Réseau routier"
    progress.step(f"{label} ({args.mode})")
    provider = _load_provider(args, communes)
    return communes, services, carreaux, provider


def _report_snapping(times) -> None:
    """Warn about communes whose origin lies far from the network (outside its area)."""
    if "hors_reseau" in times.columns:
        far = times[times["hors_reseau"].astype(bool)]
    elif "snap_m" in times.columns and hasattr(times, "attrs"):
        limit = times.attrs.get("max_snap_m")
        far = times.iloc[0:0] if limit is None else times[times["snap_m"] > limit]
    else:
        return
    if len(far):
        names = ", ".join(f"{r.nom} ({r.code_insee})" for r in far.itertuples())
        print(
            f"attention : {len(far)} commune(s) hors de l'emprise du réseau : {names}",
            file=sys.stderr,
        )


# --------------------------------------------------------------------------- analyse
def _write_csv(frame, path: Path) -> None:
    _write_table(frame, path, layer=path.stem)


def cmd_analyse(args: argparse.Namespace) -> int:
    """Run ``accessibilite analyse``."""
    progress = Progress(8, quiet=args.silencieux)
    communes, services, carreaux, provider = _prepare(args, progress)
    out = Path(args.sortie)
    out.mkdir(parents=True, exist_ok=True)

    progress.step("Calcul des temps d'accès")
    times = acc.access_times(communes, services, provider, origine=args.origine, carreaux=carreaux)
    _report_snapping(times)
    progress.step(f"Déficits au seuil de {args.seuil:g} min")
    deficits = acc.flag_deficits(times, services, seuil_min=args.seuil)

    progress.step("Écriture des tableaux et du GeoPackage")
    _write_csv(deficits.communes, out / "communes.csv")
    _write_csv(deficits.cantons, out / "cantons.csv")
    _write_csv(deficits.epci, out / "epci.csv")
    acc.write_geopackage(deficits, services, out / "resultats.gpkg", network=provider)

    progress.step("Cartes")
    acc.plot_access_map(deficits, services, network=provider, path=out / "carte.png")
    acc.interactive_map(deficits, services, path=out / "carte.html")

    progress.step("Rapport HTML")
    acc.write_report(deficits, services, out / "rapport.html", network=provider)

    _print_summary(deficits, services, provider, out)
    return 0


def _print_summary(deficits, services, provider, out: Path) -> None:
    com = deficits.communes
    seuil = deficits.seuil_min
    beyond = com[com["au_dela_seuil"].astype(bool)]
    pop = com["population"].sum()
    pop_beyond = beyond["population"].sum()
    share = 100 * pop_beyond / pop if pop else 0.0
    print(f"Méthode : {provider.description}")
    print(f"Communes : {len(com)} ; sites de service : {len(services)}")
    print(
        f"Communes au-delà de {seuil:g} min : {len(beyond)} "
        f"({_fmt_int(pop_beyond)} habitants, {share:.1f} % de la population)"
    )
    sans = deficits.cantons[deficits.cantons["sans_service"].astype(bool)]
    print(f"Cantons sans service : {len(sans)} sur {len(deficits.cantons)}")
    print(f"Résultats écrits dans {out}")


# --------------------------------------------------------------------------- scenario
def cmd_scenario(args: argparse.Namespace) -> int:
    """Run ``accessibilite scenario fermeture|ouverture``."""
    progress = Progress(6, quiet=args.silencieux)
    communes, services, _carreaux, provider = _prepare(args, progress)
    out = Path(args.sortie)
    out.mkdir(parents=True, exist_ok=True)
    if args.type_scenario == "fermeture":
        progress.step("Impact de la fermeture de chaque site")
        result = acc.closure_impact(communes, services, provider, seuil_min=args.seuil)
        csv = out / "fermeture.csv"
    else:
        candidats = None
        if args.candidats:
            args_c = argparse.Namespace(**vars(args))
            args_c.categorie = "candidat"
            candidats = _load_service_file(_existing_file(args.candidats), args_c)
        progress.step(f"Recherche de {args.k} nouveaux sites")
        result = acc.recommend_sites(
            communes, services, provider, k=args.k, seuil_min=args.seuil, candidats=candidats
        )
        csv = out / "ouverture.csv"
    _write_csv(result, csv)
    progress.step("Carte du scénario")
    acc.plot_scenario_map(result, communes, services, path=csv.with_suffix(".png"))
    print(f"Résultats écrits dans {csv} et {csv.with_suffix('.png')}")
    return 0
