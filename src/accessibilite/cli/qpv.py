"""The ``qpv`` sub-command: access from the priority neighbourhoods, beside their commune.

``accessibilite qpv --departement 40 --qpv QP.geojson --services-fichier caf.csv
--modes marche,velo,voiture --sortie sortie-qpv`` writes ``qpv.csv`` (BOM),
``qpv.xlsx``, one ``carte_qpv_<code>.png`` per quarter and ``qpv.html``.
Like the rest of the command line it only parses, reports progress and calls
the package's functions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import accessibilite as acc

from .common import Progress, _existing_file, _fmt_pct, _load_communes, _load_service_file

__all__ = ["cmd_qpv", "add_qpv_parser", "qpv_providers", "qpv_maps", "analyse_qpv"]

_MODES = ("marche", "velo", "voiture")
_GRAPHML = (".graphml", ".gml")
_OSM = (".osm", ".pbf", ".xml", ".osm.bz2")
_LINES = (".gpkg", ".shp", ".zip", ".geojson", ".json")


def add_qpv_parser(sub, add_territory, add_quiet) -> None:
    """Register ``qpv`` on the sub-command parser (called by :mod:`.parser`)."""
    p = sub.add_parser(
        "qpv",
        help="quartiers prioritaires (QPV) : accès à pied, à vélo, en voiture, comparé au "
        "reste de la commune",
        description="Part des habitants de chaque QPV au-delà de 10, 20 et 30 minutes des "
        "services, à pied, à vélo et en voiture, à côté du reste de sa commune ; écrit "
        "qpv.csv, qpv.xlsx, une carte par QPV (carte_qpv_CODE.png) et qpv.html.",
    )
    add_territory(p)
    p.add_argument("--qpv", required=True, metavar="FICHIER",
                   help="contours des QPV de l'ANCT (2024 ou 2015 ; GeoJSON, SHP, GPKG)")  # fmt: skip
    p.add_argument(
        "--services-fichier",
        nargs="+",
        metavar="FICHIER",
        help="fichier(s) des sites : liste France Services reconnue, ou fichier de points "
        "(catégorie = --services, sinon le nom du fichier) ; sans lui, la liste France "
        "Services officielle (ou embarquée sans internet)",
    )
    p.add_argument("--services", metavar="CATEGORIE",
                   help="catégorie des fichiers de points (défaut : le nom de chaque fichier)")  # fmt: skip
    p.add_argument("--modes", default="marche,velo,voiture",
                   help="modes séparés par des virgules (défaut : marche,velo,voiture)")  # fmt: skip
    p.add_argument(
        "--reseau",
        metavar="FICHIER",
        help="réseau routier local (GraphML, OSM/PBF, Geofabrik, BD TOPO), reconstruit pour "
        "chaque mode ; sans lui, les réseaux embarqués du département (04 : marche, voiture)",
    )
    p.add_argument("--vol-oiseau", action="store_true",
                   help="estimer à vol d'oiseau les modes sans réseau routier (clairement "
                   "indiqué dans les résultats)")  # fmt: skip
    p.add_argument("--carreaux", metavar="FICHIER",
                   help="carreaux INSEE Filosofi 200 m : origines pondérées par la population")  # fmt: skip
    p.add_argument("--seuils", default="10,20,30", help="seuils en minutes (défaut : 10,20,30)")
    p.add_argument("--buffer-km", type=float, default=5.0,
                   help="marge autour du département pour les sites (défaut : 5 km)")  # fmt: skip
    p.add_argument("--sortie", "-o", required=True, metavar="DOSSIER", help="dossier de sortie")
    add_quiet(p)
    p.set_defaults(func=cmd_qpv)


def _parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in _MODES]
    if bad or not modes:
        raise acc.InputError(
            f"--modes : {', '.join(bad) or 'vide'} (attendu : marche, velo, voiture)"
        )
    return list(dict.fromkeys(modes))


def _parse_seuils(text: str) -> list[float]:
    try:
        values = [float(s.replace(",", ".")) for s in text.split(";" if ";" in text else ",")]
    except ValueError:
        raise acc.InputError(f"--seuils : {text!r}, attendu des minutes (ex. 10,20,30)") from None
    if not values or any(not v > 0 for v in values):
        raise acc.InputError(f"--seuils : {text!r}, attendu des minutes > 0")
    return values


def qpv_providers(reseau, departement: str, modes, vol_oiseau: bool, territory=None) -> dict:
    """One travel-time provider per mode: ``reseau`` rebuilt per mode, embedded, or estimate."""
    out = {}
    for mode in modes:
        if reseau:
            path = _existing_file(reseau)
            name = path.name.lower()
            if name.endswith(_GRAPHML):
                out[mode] = acc.RoadNetwork.from_graphml(path, mode=mode)
            elif name.endswith(_OSM):
                out[mode] = acc.RoadNetwork.from_osm(path, mode=mode, territory=territory,
                                                     buffer_km=5)  # fmt: skip
            elif name.endswith(_LINES):
                out[mode] = acc.RoadNetwork.from_lines(path, mode=mode, territory=territory,
                                                       buffer_km=5)  # fmt: skip
            else:
                raise acc.DataFileError(path, "format de réseau non reconnu")
        elif acc.datasets.has_network(departement, mode):
            out[mode] = acc.RoadNetwork.sample(departement, mode)
        elif vol_oiseau:
            from ..analysis.qpv import straight_line

            out[mode] = straight_line(mode)
        else:
            raise acc.InputError(
                f"mode {mode} : aucun réseau routier (ni --reseau, ni réseau embarqué pour le "
                f"{departement}) ; donnez --reseau FICHIER, ou --vol-oiseau pour une estimation "
                "à vol d'oiseau clairement indiquée"
            )
    return out


def _load_services(args, communes):
    if not args.services_fichier:
        return acc.load_france_services(departement=args.departement, buffer_km=args.buffer_km)
    frames = []
    for f in args.services_fichier:
        path = _existing_file(f)
        cat = (args.services or path.stem).lower().replace("-", "_").replace(" ", "_")
        ns = argparse.Namespace(departement=args.departement, categorie=args.services and cat)
        s = _load_service_file(path, ns, buffer_km=args.buffer_km)
        if args.services is None and s["categorie"].eq("services").all():
            s["categorie"] = cat
        s["service_id"] = path.stem + ":" + s["service_id"].astype(str)
        frames.append(s)
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def qpv_maps(result, services, communes, providers) -> dict[str, bytes]:
    """PNG bytes of one map per quarter (walking isochrones when walking is computed)."""
    import matplotlib.pyplot as plt

    from ..outputs.draw import figure_png
    from ..outputs.qpv_map import BANDS_MIN, plot_qpv_map

    mode = "marche" if "marche" in providers else next(iter(providers))
    net = providers[mode]
    cats = sorted(result.table["categorie"].unique())
    cat = "france_services" if "france_services" in cats else cats[0]
    sites = services[services["categorie"].astype(str) == cat]
    iso = net.isochrones(sites, bands_min=BANDS_MIN)
    road = net if isinstance(net, acc.RoadNetwork) else None
    out = {}
    for code in sorted(result.pieces["code_qp"].unique()):
        fig = plot_qpv_map(result, code, services, communes, network=road, isochrones=iso,
                           categorie=cat, mode=mode)  # fmt: skip
        out[code] = figure_png(fig, dpi=150)
        plt.close(fig)
    return out


def cmd_qpv(args: argparse.Namespace) -> int:
    """Run ``accessibilite qpv``."""
    from ..analysis.qpv import qpv_access
    from ..outputs.atomic import write_bytes
    from ..outputs.qpv_tables import write_qpv_report, write_qpv_tables

    modes, seuils = _parse_modes(args.modes), _parse_seuils(args.seuils)
    out = Path(args.sortie)
    if out.exists() and not out.is_dir():
        raise acc.InputError(f"--sortie {out} : c'est un fichier, un dossier est attendu")
    progress = Progress(6, quiet=args.silencieux)
    progress.step("Chargement des communes et des QPV")
    communes = _load_communes(args)
    qpv = acc.load_qpv(_existing_file(args.qpv), args.departement)
    if len(qpv) == 0:
        raise acc.InputError(
            f"{args.qpv} : aucun QPV retenu dans le département {args.departement}"
        )
    progress.step("Chargement des services")
    services = _load_services(args, communes)
    carreaux = None
    if args.carreaux:
        carreaux = acc.load_carreaux(_existing_file(args.carreaux), communes=communes)
    progress.step(f"Réseaux routiers ({', '.join(modes)})")
    providers = qpv_providers(args.reseau, args.departement, modes, args.vol_oiseau, communes)
    progress.step("Temps d'accès depuis les QPV et le reste des communes")
    result = qpv_access(qpv, communes, services, providers, carreaux=carreaux, seuils_min=seuils)
    progress.step("Tableaux (CSV, Excel)")
    write_qpv_tables(result, out)
    progress.step("Cartes et rapport")
    maps = qpv_maps(result, services, communes, providers)
    for code, png in maps.items():
        write_bytes(out / f"carte_qpv_{code}.png", png)
    write_qpv_report(out / "qpv.html", result, maps)
    _summary(result, out)
    return 0


def _summary(result, out: Path) -> None:
    for mode, text in result.modes.items():
        print(f"Méthode ({mode}) : {text}")
    t = result.table
    key = "part_qpv_au_dela_20_min" if "part_qpv_au_dela_20_min" in t.columns else None
    for r in t.itertuples():
        line = f"{r.nom_qp} ({r.code_qp}, {r.commune}) — {r.mode}, {r.categorie}"
        if key and getattr(r, key) == getattr(r, key):  # not NaN
            line += (f" : au-delà de 20 min {_fmt_pct(getattr(r, key))} (QPV) contre "
                     f"{_fmt_pct(r.part_reste_au_dela_20_min)} (reste de la commune)")  # fmt: skip
        print(line)
    print(f"Résultats écrits dans {out}", file=sys.stdout)


def analyse_qpv(args: argparse.Namespace, ctx: argparse.Namespace, out: Path) -> None:
    """``analyse --qpv FICHIER``: the QPV of the analysis in its mode, added to its outputs.

    Adds the ``qpv`` layer to ``resultats.gpkg`` and the QPV section to
    ``rapport.html``, and writes ``qpv.csv``, ``qpv.xlsx`` and the maps.
    """
    from ..analysis.qpv import qpv_access
    from ..outputs.atomic import write_bytes
    from ..outputs.qpv_tables import add_qpv_layer, add_qpv_section, write_qpv_tables

    qpv = acc.load_qpv(_existing_file(args.qpv), args.departement)
    if len(qpv) == 0:
        raise acc.InputError(
            f"{args.qpv} : aucun QPV retenu dans le département {args.departement}"
        )
    mode = args.mode if args.mode in _MODES else "voiture"  # vol-oiseau: a car estimate
    providers = {mode: ctx.provider}
    result = qpv_access(qpv, ctx.communes, ctx.services, providers, carreaux=ctx.carreaux)
    write_qpv_tables(result, out)
    maps = qpv_maps(result, ctx.services, ctx.communes, providers)
    for code, png in maps.items():
        write_bytes(out / f"carte_qpv_{code}.png", png)
    add_qpv_layer(out / "resultats.gpkg", result)
    add_qpv_section(out / "rapport.html", result, maps)
    _summary(result, out)
