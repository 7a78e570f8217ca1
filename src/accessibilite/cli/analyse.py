"""The ``analyse`` sub-command: the main job, from inputs to every output of one folder.

Like the rest of the command line it only parses, reports progress and calls
the package's functions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import accessibilite as acc

from .common import (
    Progress,
    _fmt_int,
    _fmt_num,
    _fmt_pct,
    _no_empty_folder,
)
from .prepare import _names, _prepare
from .service_files import _write_rejects

__all__ = ["cmd_analyse"]

#: French wording of --mode in the report.
_MODE_LABELS = {
    "voiture": "voiture",
    "marche": "à pied",
    "velo": "à vélo",
    "vol-oiseau": "voiture, estimation à vol d'oiseau (sans réseau routier)",
}
#: French month names, for the date of an embedded network ("2021-07" → "juillet 2021").
_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
#: Isochrone bands drawn on the maps (the threshold is added).
_BANDS_MIN = (10, 20, 30)


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
    elif getattr(args, "reseau_embarque", False):
        lines["Réseau routier"] = _embedded_network_line(ctx.provider)
    elif args.mode != "vol-oiseau":
        lines["Réseau routier"] = (
            f"OpenStreetMap téléchargé (territoire + {_fmt_num(args.buffer_km)} km)"
        )
    lines["Services"] = f"{args.services} : {len(ctx.services)} site(s)"
    if ctx.services.attrs.get("date_liste"):
        lines["Liste France Services"] = _list_line(ctx.services)
    if args.date:
        lines["Date des sites"] = f"sites labellisés au {args.date}"
    if args.communes:
        lines["Communes étudiées"] = args.communes
    if ctx.communes.attrs.get("avertissement_population"):
        lines["Populations"] = ctx.communes.attrs["avertissement_population"]
    if ctx.excluded is not None:
        lines["Communes hors de l'emprise du réseau (exclues)"] = _names(ctx.excluded)
    if ctx.sans_origine is not None:
        lines["Communes sans mairie ni contour (exclues)"] = _names(ctx.sans_origine)
    return lines


def _embedded_network_line(provider) -> str:
    """``"réseau embarqué dans accessibilite : OpenStreetMap (Geofabrik), juillet 2021, ..."``."""
    date = f", {provider.date}" if provider.date else ""
    if provider.date and len(provider.date) == 7:  # "2021-07"
        month = int(provider.date[5:])
        date = f", {_MONTHS[month - 1]} {provider.date[:4]}"
    return (
        f"réseau embarqué dans accessibilite : {provider.source}{date}, "
        "© contributeurs OpenStreetMap, licence ODbL"
    )


def _list_line(services) -> str:
    """Edition of the France Services list, and whether it is the embedded snapshot."""
    from ..outputs.context import fmt_date

    text = f"liste ANCT du {fmt_date(services.attrs['date_liste'])}"
    source = Path(str(services.attrs.get("source", "")))
    if source.parent == acc.datasets.folder():
        text += ", copie embarquée dans accessibilite"
    return text


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
    """``communes_hors_reseau.csv``, ``communes_sans_origine.csv``: the communes set aside;
    ``rejets.csv``: the rows of the service file that could not be used (with ``motif``).

    None is lost silently; a file is removed when a rerun has no such commune or row.
    """
    from ..outputs.tables import write_table_csv

    _write_rejects(ctx.services, out / "rejets.csv")
    for name, table in (("hors_reseau", ctx.excluded), ("sans_origine", ctx.sans_origine)):
        path = out / f"communes_{name}.csv"
        if table is None:
            path.unlink(missing_ok=True)
            continue
        write_table_csv(table, path)


# --------------------------------------------------------------------------- analyse
def cmd_analyse(args: argparse.Namespace) -> int:
    """Run ``accessibilite analyse``."""
    from .national import cmd_national, is_national

    if is_national(args):
        return cmd_national(args)
    if not args.departement:
        raise acc.InputError("--departement CODE (ou --region CODE) est requis")
    with _no_empty_folder(Path(args.sortie)):
        return _analyse(args)


def _analyse(args: argparse.Namespace) -> int:
    from ..outputs import atomic, maps, report

    start = time.perf_counter()
    progress = Progress(9, quiet=args.silencieux)
    ctx = _prepare(args, progress)
    services, provider = ctx.services, ctx.provider
    deficits = _compute(args, progress, ctx)
    services.attrs["sites_hors_reseau"] = _sites_off_network(ctx)  # said in the report
    out = Path(args.sortie)

    progress.step("Isochrones")
    bands = sorted({*_BANDS_MIN, float(args.seuil)})
    isochrones = provider.isochrones(services, bands_min=bands)

    progress.step("Écriture des tableaux CSV, Excel et du GeoPackage")
    write_tables(deficits, ctx, out)
    report.write_geopackage(
        out / "resultats.gpkg", deficits, services, isochrones, communes=ctx.communes
    )

    progress.step("Cartes")
    fig = acc.plot_access_map(deficits, services, isochrones)
    maps.save_map(fig, out / "carte.png")
    with atomic.replacing(out / "carte.html") as tmp:
        acc.interactive_map(deficits, services, isochrones).save(str(tmp))

    progress.step("Rapport HTML")
    with atomic.replacing(out / "rapport.html") as tmp:
        report.write_report(
            tmp, deficits, services, carte_png=fig, methode=_method(args, ctx)
        )
    _close(fig)
    if getattr(args, "qpv", None):  # analyse --qpv FICHIER: QPV layer, table, maps, section
        from .qpv import analyse_qpv

        analyse_qpv(args, ctx, out)
    _print_summary(deficits, ctx, out)
    print(f"Durée totale : {_fmt_num(round(time.perf_counter() - start, 1))} s")
    return 0


def write_tables(deficits, ctx: argparse.Namespace, out: Path, scenarios=None) -> None:
    """``communes.csv``, ``cantons.csv``, ``epci.csv``, the set-aside communes and
    ``resultats.xlsx`` (one sheet per table, plus the scenario tables given)."""
    from ..outputs.tables import result_tables, write_table_csv
    from ..outputs.xlsx import write_xlsx

    tables = result_tables(
        deficits, ctx.services, communes=ctx.communes,
        commune_cantons=getattr(ctx, "commune_cantons", None),
    )  # fmt: skip
    for name, (frame, first, key) in tables.items():
        write_table_csv(frame, out / f"{name}.csv", first, key)
    _write_excluded(ctx, out)
    sheets = {_SHEETS.get(name, name): table for name, table in tables.items()}
    for name, table in (("Communes hors réseau", ctx.excluded),
                        ("Communes sans origine", ctx.sans_origine)):  # fmt: skip
        if table is not None:
            sheets[name] = table
    sheets.update(scenarios or {})
    write_xlsx(out / "resultats.xlsx", sheets)


#: Sheet names of resultats.xlsx.
_SHEETS = {"communes": "Communes", "cantons": "Cantons", "epci": "EPCI"}


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _sites_off_network(ctx: argparse.Namespace) -> int:
    """Sites farther than the snapping distance from the road network (never reached)."""
    snap = getattr(ctx.provider, "snap", None)
    if snap is None or not len(ctx.services):
        return 0
    return int(snap(ctx.services)["au_dela_snap"].sum())


def _print_summary(deficits, ctx: argparse.Namespace, out: Path) -> None:
    from ..outputs.maps import population_beyond

    com = deficits.communes
    seuil = deficits.seuil_min
    beyond = com[com["au_dela_seuil"].astype(bool)]
    pop_beyond, share = population_beyond(com)
    print(f"Méthode : {ctx.provider.description}")
    if ctx.services.attrs.get("date_liste"):
        print(f"Liste France Services : {_list_line(ctx.services)}")
    off = int(ctx.services.attrs.get("sites_hors_reseau") or 0)  # set by _analyse
    sites = f"sites de service pris en compte : {len(ctx.services) - off}"
    if off:
        sites += f" ({off} autre(s) hors de portée du réseau routier, ignoré(s))"
    print(f"Communes : {len(com)} ; {sites}")
    if ctx.excluded is not None:
        print(f"Communes hors de l'emprise du réseau (exclues) : {len(ctx.excluded)}")
    if ctx.sans_origine is not None:
        print(f"Communes sans mairie ni contour (exclues) : {len(ctx.sans_origine)}")
    if ctx.communes.attrs.get("avertissement_population"):
        print(f"Attention : {ctx.communes.attrs['avertissement_population']}")
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
