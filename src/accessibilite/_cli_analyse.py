"""The ``analyse`` and ``scenario`` sub-commands of the command line.

Private helper of :mod:`accessibilite.cli` (kept apart to keep each module
short). Like the rest of the command line it only parses, reports progress
and calls the package's functions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from pathlib import Path

import accessibilite as acc
from accessibilite.cli import (
    Progress,
    _existing_file,
    _fmt_int,
    _fmt_num,
    _fmt_pct,
    _is_france_services_file,
    _load_communes,
    _load_service_file,
)

__all__ = ["cmd_analyse", "cmd_scenario"]

_GRAPHML = (".graphml", ".gml")
_OSM = (".osm", ".pbf", ".xml", ".osm.bz2")
#: French wording of --mode in the report.
_MODE_LABELS = {
    "voiture": "voiture",
    "marche": "à pied",
    "velo": "à vélo",
    "vol-oiseau": "voiture, estimation à vol d'oiseau (sans réseau routier)",
}
#: Isochrone bands drawn on the maps (the threshold is added).
_BANDS_MIN = (10, 20, 30)


# --------------------------------------------------------------------------- inputs
def _check_args(args: argparse.Namespace) -> None:
    if args.date is not None:
        try:
            dt.date.fromisoformat(args.date)
        except ValueError:
            raise acc.InputError(
                f"--date : date invalide {args.date!r} (attendu AAAA-MM-JJ)"
            ) from None
    if not (math.isfinite(args.seuil) and args.seuil > 0):
        raise acc.InputError(f"--seuil : {_fmt_num(args.seuil)} minute(s), attendu un nombre > 0")
    if getattr(args, "k", None) is not None and args.k < 1:
        raise acc.InputError(f"--k : {args.k} site(s), attendu un entier >= 1")
    if args.buffer_km < 0:
        raise acc.InputError("--buffer-km : attendu un nombre >= 0")
    if args.origine == "carreaux" and not args.carreaux:
        raise acc.InputError("--origine carreaux : --carreaux FICHIER requis")
    if args.mode == "vol-oiseau" and args.reseau:
        raise acc.InputError("--reseau et --mode vol-oiseau s'excluent : choisissez l'un des deux")
    if args.carreaux and args.origine != "carreaux":
        raise acc.InputError("--carreaux FICHIER n'est utilisé qu'avec --origine carreaux")
    out = Path(args.sortie)
    if out.exists() and not out.is_dir():  # checked before the long computation
        raise acc.InputError(f"--sortie {out} : c'est un fichier, un dossier est attendu")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise acc.InputError(
            f"--sortie {out} : impossible de créer le dossier ({exc.strerror})"
        ) from None


def _load_services(args: argparse.Namespace):
    """Service sites for the analysis, in the département plus ``--buffer-km``."""
    kind = args.services.lower().replace("_", "-")
    path = _existing_file(args.services_fichier) if args.services_fichier else None
    where = {"departement": args.departement, "buffer_km": args.buffer_km}
    if kind == "france-services":
        try:
            return acc.load_france_services(path, date=args.date, **where)
        except acc.MissingColumnError as exc:
            if path is None or exc.column != "id_fs" or _is_france_services_file(path):
                raise  # a France Services list with a real defect: the loader's message
            detail = str(exc).removeprefix(f"{exc.path}: ")
            raise acc.DataFileError(
                path,
                f"pas une liste France Services de l'ANCT ({detail}) ; pour un autre fichier "
                "de points, précisez sa catégorie avec --services CATEGORIE (ex. --services caf)",
            ) from exc
        except acc.DownloadError as exc:
            raise acc.DownloadError(
                f"liste officielle France Services indisponible ({exc}). Donnez la liste "
                "avec --services-fichier FICHIER."
            ) from exc
    if path is None:
        raise acc.InputError(f"--services {args.services} : --services-fichier FICHIER requis")
    if kind == "finess":
        return acc.load_finess(path, **where)
    ns = argparse.Namespace(**{**vars(args), "categorie": kind.replace("-", "_")})
    return _load_service_file(path, ns, buffer_km=args.buffer_km)


def _load_provider(args: argparse.Namespace, communes):
    """Travel-time provider: local network file, download, or the straight-line estimate.

    The straight-line estimate is used only when asked (``--mode vol-oiseau``),
    never as a silent fallback when the road network cannot be obtained.
    """
    if args.mode == "vol-oiseau":
        return acc.StraightLineEstimate()
    if args.reseau:
        path = _existing_file(args.reseau)
        name = path.name.lower()
        if name.endswith(_GRAPHML):
            return acc.RoadNetwork.from_graphml(path, mode=args.mode)
        if name.endswith(_OSM):  # a regional extract is cut to the communes + margin
            return acc.RoadNetwork.from_osm(
                path, mode=args.mode, territory=communes, buffer_km=args.buffer_km
            )
        raise acc.DataFileError(
            path, "format de réseau non reconnu (attendu .graphml, .osm ou .osm.pbf)"
        )
    try:
        return acc.RoadNetwork.download(communes, buffer_km=args.buffer_km, mode=args.mode)
    except acc.DownloadError as exc:
        raise acc.DownloadError(
            f"réseau routier indisponible ({exc}). Sans connexion internet, donnez un réseau "
            "local avec --reseau FICHIER (GraphML, OSM ou PBF), ou demandez explicitement "
            "l'estimation à vol d'oiseau avec --mode vol-oiseau."
        ) from exc


def _prepare(args: argparse.Namespace, progress: Progress):
    """Communes, services, carreaux and provider shared by analyse and scenario."""
    _check_args(args)
    progress.step("Chargement des communes")
    communes, sans_origine = _with_origin(args, _load_communes(args))
    progress.step("Chargement des services")
    services = _load_services(args)
    if len(services) == 0:
        source = f" (fichier {args.services_fichier})" if args.services_fichier else ""
        raise acc.InputError(
            f"aucun site de service retenu dans le département {args.departement}"
            + (f" à la date du {args.date}" if args.date else "")
            + source
        )
    inside = services["code_insee"].astype(str).str.startswith(str(args.departement).zfill(2))
    if not args.silencieux:
        print(
            f"  {len(services)} site(s) retenu(s) : {int(inside.sum())} dans le département, "
            f"{int((~inside).sum())} dans la marge de {_fmt_num(args.buffer_km)} km",
            file=sys.stderr,
        )
    carreaux = None
    if args.origine == "carreaux":
        carreaux = acc.load_carreaux(_existing_file(args.carreaux), communes=communes)
    label = "Estimation à vol d'oiseau" if args.mode == "vol-oiseau" else "Réseau routier"
    progress.step(f"{label} ({args.mode})")
    provider = _load_provider(args, communes)
    communes, excluded = _within_network(args, communes, provider)
    return argparse.Namespace(
        communes=communes, excluded=excluded, services=services, carreaux=carreaux,
        provider=provider, sans_origine=sans_origine,
    )  # fmt: skip


def _with_origin(args: argparse.Namespace, communes):
    """Set aside the communes with no point to start from, named in a warning.

    The embedded tables lack the outline and town hall of a few recent communes
    (e.g. Celles, Chalinargues, Chavagnac, Sainte-Anastasie in the Cantal):
    they cannot be timed, and stopping the whole département for them would
    be worse. They are listed in ``communes_sans_origine.csv`` and the report.
    """
    geom = communes.geometry
    missing = geom.isna() | geom.is_empty
    if args.origine != "centroide":  # town hall, else a point inside the outline
        mairie = communes["mairie"]
        missing = mairie.isna() | mairie.is_empty
    if not missing.any():
        return communes, None
    if missing.all():
        raise acc.InputError("aucune commune n'a de mairie ni de contour localisé")
    out = communes.loc[missing, ["code_insee", "nom", "population"]].reset_index(drop=True)
    print(
        f"attention : {len(out)} commune(s) sans mairie ni contour dans les données "
        f"communales, exclue(s) de l'analyse : {_names(out)}",
        file=sys.stderr,
    )
    return communes.loc[~missing].reset_index(drop=True), out


def _within_network(args: argparse.Namespace, communes, provider):
    """Split the communes into those the road network covers and those it does not.

    A local network often covers less than the study area. A commune whose
    origin point is farther from the network than its snapping limit would get
    an infinite time and pass for a deficit: it is set aside, named in a
    warning, and listed in ``communes_hors_reseau.csv``.
    """
    if getattr(provider, "snap", None) is None or args.origine == "carreaux":
        return communes, None
    if args.origine == "mairie":
        points = communes["mairie"]
    else:
        points = communes.geometry.representative_point()
    snapped = provider.snap(points)
    outside = snapped["au_dela_snap"].to_numpy(dtype=bool)
    if not outside.any():
        return communes, None
    excluded = communes.loc[outside, ["code_insee", "nom", "population"]].copy()
    excluded["distance_reseau_m"] = snapped.loc[outside, "snap_m"].round(1).to_numpy()
    if outside.all():
        raise acc.NetworkError(
            f"aucune commune n'est dans l'emprise du réseau routier (points de départ à plus "
            f"de {_fmt_num(provider.max_snap_m)} m d'une route) : vérifiez --reseau et --communes"
        )
    names = _names(excluded)
    print(
        f"attention : {len(excluded)} commune(s) hors de l'emprise du réseau (à plus de "
        f"{_fmt_num(provider.max_snap_m)} m d'une route), exclue(s) de l'analyse : {names}",
        file=sys.stderr,
    )
    return communes.loc[~outside].reset_index(drop=True), excluded.reset_index(drop=True)


def _names(communes) -> str:
    """``"Versailles (78646), ..."``: the communes named in messages and the report."""
    return ", ".join(f"{r.nom} ({r.code_insee})" for r in communes.itertuples())


def _territories(args: argparse.Namespace, ctx: argparse.Namespace) -> dict:
    """Cantons, commune→canton links and EPCI of the analysed communes only.

    Empty when the whole département is analysed (``flag_deficits`` loads its
    territories, and handles départements without electoral cantons).
    """
    if args.communes is None and ctx.excluded is None and ctx.sans_origine is None:
        return {}
    communes = ctx.communes
    epcis = acc.epcis(args.departement)
    epcis = epcis[epcis["code_epci"].isin(set(communes["code_epci"].dropna()))]
    out = {"epcis": epcis.reset_index(drop=True)}
    try:
        links = acc.commune_cantons(args.departement)
        cantons = acc.cantons(args.departement)
    except acc.InputError:  # Paris, Martinique, Guyane: no electoral canton
        return out
    links = links[links["code_insee"].isin(set(communes["code_insee"]))].reset_index(drop=True)
    cantons = cantons[cantons["code_canton"].isin(set(links["code_canton"]))]
    return {**out, "cantons": cantons.reset_index(drop=True), "commune_cantons": links}


def _report_margin(times, provider, buffer_km: float) -> None:
    """Warn when a site beyond the ``--buffer-km`` margin could be nearer (straight line).

    Sites are loaded within ``buffer_km`` of the département: a commune whose
    nearest loaded site is farther than that in a straight line might have a
    nearer one outside the margin.
    """
    detour = getattr(provider, "detour", None)
    if detour is None or "distance_km" not in times.columns:
        return
    far = times[times["distance_km"] / detour > buffer_km]
    if len(far):
        print(
            f"attention : {len(far)} commune(s) ont leur site le plus proche à plus de "
            f"{_fmt_num(buffer_km)} km à vol d'oiseau : un site hors de la marge pourrait être plus "
            "proche, augmentez --buffer-km",
            file=sys.stderr,
        )


def _method(args: argparse.Namespace, ctx: argparse.Namespace) -> dict[str, str]:
    """Method lines of the report (no path of the output folder: reruns stay identical)."""
    lines = {
        "Calcul des temps": ctx.provider.description,
        "Mode de déplacement": _MODE_LABELS.get(args.mode, args.mode),
    }
    if args.reseau:
        lines["Réseau routier"] = f"fichier {Path(args.reseau).name}"
    elif args.mode != "vol-oiseau":
        lines["Réseau routier"] = (
            f"OpenStreetMap téléchargé (territoire + {_fmt_num(args.buffer_km)} km)"
        )
    lines["Services"] = f"{args.services} : {len(ctx.services)} site(s)"
    if args.date:
        lines["Date des sites"] = f"sites labellisés au {args.date}"
    if args.communes:
        lines["Communes étudiées"] = args.communes
    if ctx.excluded is not None:
        lines["Communes hors de l'emprise du réseau (exclues)"] = _names(ctx.excluded)
    if ctx.sans_origine is not None:
        lines["Communes sans mairie ni contour (exclues)"] = _names(ctx.sans_origine)
    return lines


def _compute(args: argparse.Namespace, progress: Progress, ctx: argparse.Namespace):
    """Access times and deficit flags of the communes covered."""
    progress.step("Calcul des temps d'accès")
    times = acc.access_times(
        ctx.communes, ctx.services, ctx.provider, origine=args.origine, carreaux=ctx.carreaux
    )
    _report_margin(times, ctx.provider, args.buffer_km)
    progress.step(f"Déficits au seuil de {_fmt_num(args.seuil)} min")
    territories = _territories(args, ctx)
    return acc.flag_deficits(times, ctx.services, seuil_min=args.seuil, **territories)


def _write_excluded(ctx: argparse.Namespace, out: Path) -> None:
    """``communes_hors_reseau.csv``, ``communes_sans_origine.csv``: the communes set aside.

    None is lost silently; a file is removed when a rerun has no such commune.
    """
    for name, table in (("hors_reseau", ctx.excluded), ("sans_origine", ctx.sans_origine)):
        path = out / f"communes_{name}.csv"
        if table is None:
            path.unlink(missing_ok=True)
            continue
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- analyse
def cmd_analyse(args: argparse.Namespace) -> int:
    """Run ``accessibilite analyse``."""
    from accessibilite import maps, report

    progress = Progress(9, quiet=args.silencieux)
    ctx = _prepare(args, progress)
    services, provider = ctx.services, ctx.provider
    deficits = _compute(args, progress, ctx)
    out = Path(args.sortie)

    progress.step("Isochrones")
    bands = sorted({*_BANDS_MIN, float(args.seuil)})
    isochrones = provider.isochrones(services, bands_min=bands)

    progress.step("Écriture des tableaux CSV et du GeoPackage")
    report.write_csv(deficits, out)
    _write_excluded(ctx, out)
    report.write_geopackage(out / "resultats.gpkg", deficits, services, isochrones)

    progress.step("Cartes")
    fig = acc.plot_access_map(deficits, services, isochrones)
    maps.save_map(fig, out / "carte.png")
    acc.interactive_map(deficits, services, isochrones).save(str(out / "carte.html"))

    progress.step("Rapport HTML")
    report.write_report(
        out / "rapport.html", deficits, services, carte_png=fig, methode=_method(args, ctx)
    )
    _close(fig)
    _print_summary(deficits, ctx, out)
    return 0


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _print_summary(deficits, ctx: argparse.Namespace, out: Path) -> None:
    from accessibilite.maps import population_beyond

    com = deficits.communes
    seuil = deficits.seuil_min
    beyond = com[com["au_dela_seuil"].astype(bool)]
    pop_beyond, share = population_beyond(com)
    print(f"Méthode : {ctx.provider.description}")
    print(f"Communes : {len(com)} ; sites de service pris en compte : {len(ctx.services)}")
    if ctx.excluded is not None:
        print(f"Communes hors de l'emprise du réseau (exclues) : {len(ctx.excluded)}")
    if ctx.sans_origine is not None:
        print(f"Communes sans mairie ni contour (exclues) : {len(ctx.sans_origine)}")
    print(
        f"Communes au-delà de {_fmt_num(seuil)} min : {len(beyond)} "
        f"({_fmt_int(pop_beyond)} habitant{'s' if pop_beyond >= 2 else ''}, "
        f"{_fmt_pct(share)} de la population)"
    )
    if len(deficits.cantons) == 0:  # Paris, Martinique, Guyane
        print("Cantons : aucun canton électoral dans ce territoire (voir les EPCI)")
        print(f"Résultats écrits dans {out}")
        return
    sans = deficits.cantons[deficits.cantons["sans_service"].astype(bool)]
    print(f"Cantons sans site : {len(sans)} sur {len(deficits.cantons)}")
    if len(sans):
        print("  " + ", ".join(sorted(sans["nom"])))
    print(f"Résultats écrits dans {out}")


# --------------------------------------------------------------------------- scenario
def cmd_scenario(args: argparse.Namespace) -> int:
    """Run ``accessibilite scenario fermeture|ouverture``."""
    from accessibilite import maps, report

    progress = Progress(8, quiet=args.silencieux)
    ctx = _prepare(args, progress)
    communes, services, provider = ctx.communes, ctx.services, ctx.provider
    deficits = _compute(args, progress, ctx)
    origine = args.origine
    if origine == "carreaux":  # the scenario functions take one point per commune
        origine = "mairie"
        print(
            "attention : --origine carreaux : le diagnostic est calculé par carreau, mais le "
            "scénario depuis les mairies des communes",
            file=sys.stderr,
        )
    if args.type_scenario == "fermeture":
        progress.step("Impact de la fermeture de chaque site")
        result = acc.closure_impact(
            communes, services, provider, seuil_min=args.seuil, origine=origine
        )
        titre = f"Fermeture d'un site : population basculant au-delà de {_fmt_num(args.seuil)} min"
    else:
        candidats = None
        if args.candidats:
            ns = argparse.Namespace(**{**vars(args), "categorie": "candidat", "date": None})
            candidats = _load_service_file(_existing_file(args.candidats), ns)
            if len(candidats) == 0:
                raise acc.InputError(
                    f"--candidats {args.candidats} : aucun emplacement candidat retenu dans le "
                    f"département {args.departement}"
                )
        progress.step(f"Recherche de {args.k} nouveau(x) site(s)")
        result = acc.recommend_sites(
            communes,
            services,
            provider,
            k=args.k,
            seuil_min=args.seuil,
            candidats=candidats,
            methode="les_deux",
            origine=origine,
        )
        titre = (
            f"Ouverture de {args.k} site(s) : population ramenée sous {_fmt_num(args.seuil)} min"
        )
    out = Path(args.sortie)
    out.mkdir(parents=True, exist_ok=True)
    name = args.type_scenario
    progress.step("Tableau, carte et rapport du scénario")
    table = result.drop(columns=result.geometry.name)
    table.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.4f")
    fig = acc.plot_scenario_map(deficits, result, services, titre=titre)
    maps.save_map(fig, out / f"{name}.png")
    _write_excluded(ctx, out)
    report.write_report(
        out / f"rapport_{name}.html",
        deficits,
        services,
        carte_png=fig,
        methode=_method(args, ctx),
        scenarios={titre: table},
    )
    _close(fig)
    _print_scenario(result, name, out, args.seuil)
    return 0


def _print_scenario(result, name: str, out: Path, seuil: float) -> None:
    if name == "fermeture":
        print(f"Impact de la fermeture de chacun des {len(result)} sites (les 5 premiers) :")
        for r in result.head(5).itertuples():
            print(
                f"  {r.service_id} {r.nom} : {_fmt_int(r.population_basculant)} habitants "
                f"et {r.nb_communes_basculant} commune(s) au-delà du seuil"
            )
    elif len(result) == 0:
        print(
            f"Aucun site proposé : aucun emplacement candidat n'amène de nouveaux habitants "
            f"à moins de {_fmt_num(seuil)} min"
        )
    else:
        for methode, group in result.groupby("methode", sort=False):
            print(f"Sites proposés ({methode}) :")
            for r in group.itertuples():
                print(
                    f"  {r.rang}. {r.nom} ({r.code_insee}) : +{_fmt_int(r.gain_population)} "
                    f"habitants, couverture cumulée {_fmt_pct(r.part_couverte_cumulee)}"
                )
    print(f"Résultats écrits dans {out}")
