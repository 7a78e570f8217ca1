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

import argparse
import errno
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import accessibilite as acc

__all__ = ["main", "build_parser"]

_MODES = ("voiture", "marche", "velo", "vol-oiseau")
_ORIGINES = ("mairie", "centroide", "carreaux")
_VECTOR_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": None}


# --------------------------------------------------------------------------- helpers
class Progress:
    """Step lines on stderr (``[2/7] Calcul des temps d'accès…``).

    Parameters
    ----------
    total : int
        Number of steps announced.
    quiet : bool
        Print nothing when true.
    """

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.done = 0

    def step(self, label: str) -> None:
        """Announce the next step."""
        self.done += 1
        if not self.quiet:
            print(f"[{self.done}/{self.total}] {label}…", file=sys.stderr, flush=True)


def _existing_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, or raise ``DataFileError`` naming it if absent."""
    p = Path(path)
    if p.is_dir():
        raise acc.DataFileError(p, "c'est un dossier, un fichier est attendu")
    if not p.is_file():
        raise acc.DataFileError(p, "fichier introuvable")
    return p


def _fmt_int(value: float) -> str:
    """French thousands separator (narrow no-break space is avoided: plain space)."""
    return f"{int(round(value)):,}".replace(",", " ")


def _fmt_num(value: float) -> str:
    """A threshold or a distance in French: 7.5 → "7,5", 30.0 → "30"."""
    return f"{float(value):g}".replace(".", ",")


def _fmt_pct(share: float) -> str:
    """A share in [0, 1] as a French percentage with one decimal: 0.053 → "5,3 %"."""
    return f"{100 * share:.1f}".replace(".", ",") + " %"


def _parse_codes(text: str | None) -> list[str] | None:
    """Split ``"78551,78481"`` into a list of INSEE codes (``None`` if absent)."""
    if text is None:
        return None
    codes = [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]
    if not codes:
        raise acc.InputError("--communes : aucune commune donnée")
    return codes


def _load_communes(args: argparse.Namespace):
    """Communes of ``--departement``, or of ``--fichier-communes``, restricted by ``--communes``."""
    source = getattr(args, "fichier_communes", None)
    if source is not None:
        source = _existing_file(source)
    communes = acc.communes(args.departement, source=source)
    codes = _parse_codes(getattr(args, "communes", None))
    if codes is not None:
        unknown = sorted(set(codes) - set(communes["code_insee"]))
        if unknown:
            raise acc.InputError(
                f"--communes : code(s) INSEE absent(s) du département {args.departement} : "
                + ", ".join(unknown)
            )
        communes = communes[communes["code_insee"].isin(codes)]
    return communes.sort_values("code_insee").reset_index(drop=True)


def _write_table(frame, path: Path, layer: str) -> None:
    """Write a (Geo)DataFrame to CSV (no geometry) or a vector file chosen by extension."""
    suffix = path.suffix.lower()
    if suffix != ".csv" and suffix not in _VECTOR_DRIVERS:
        raise acc.InputError(
            f"{path} : extension non reconnue (attendu .gpkg, .geojson, .shp ou .csv)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Only one geometry column per layer: the town-hall point goes as x/y columns.
    out = frame.copy()
    if "mairie" in out.columns:
        mairie = out["mairie"]
        out = out.drop(columns="mairie")
        out["mairie_x"] = mairie.x.round(2)
        out["mairie_y"] = mairie.y.round(2)
    if suffix == ".csv":  # no geometry: points (service sites) as x/y columns
        geom = out.geometry
        if len(geom) and (geom.geom_type == "Point").all():
            out["x"], out["y"] = geom.x.round(2), geom.y.round(2)
        table = out.drop(columns=geom.name)
        table.to_csv(path, index=False, float_format="%.12g", lineterminator="\n")
        return
    if path.exists():
        path.unlink()
    kwargs = {"layer": layer} if suffix == ".gpkg" else {}
    driver = _VECTOR_DRIVERS[suffix]
    if driver == "GeoJSON":  # RFC 7946: GeoJSON coordinates are WGS84 longitude/latitude
        out = out.to_crs(4326)
    if driver:
        kwargs["driver"] = driver
    out.to_file(path, **kwargs)


# --------------------------------------------------------------------------- communes
def _cmd_communes(args: argparse.Namespace) -> int:
    communes = _load_communes(args)
    sortie = Path(args.sortie)
    _write_table(communes, sortie, layer="communes")
    print(f"Département {args.departement} : {len(communes)} communes")
    print(f"Population municipale : {_fmt_int(communes['population'].sum())} habitants")
    if "code_epci" in communes.columns:
        print(f"EPCI représentés : {communes['code_epci'].dropna().nunique()}")
    print(f"Écrit : {sortie}")
    return 0


# --------------------------------------------------------------------------- services
def _is_france_services_file(path: Path) -> bool:
    """True when the header of a CSV looks like an ANCT France Services list."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().lower()
    return any(key in header for key in ("id_fs", "lib_fs", "lib_france_services", "msap"))


def _load_service_file(path: Path, args: argparse.Namespace, buffer_km: float = 0.0):
    """France Services list when recognised (or asked), else a generic point file."""
    categorie = getattr(args, "categorie", None)
    date = getattr(args, "date", None)
    where = {"departement": args.departement, "buffer_km": buffer_km}
    if categorie in (None, "france_services", "france-services") and _is_france_services_file(path):
        return acc.load_france_services(path, date=date, **where)
    services = acc.load_points(path, categorie=(categorie or "services").replace("-", "_"), **where)
    if date is not None:
        import pandas as pd

        opened = services["date_ouverture"]
        if opened.isna().any():  # the date cannot filter them: say so, never silently
            print(
                f"attention : --date {date} : {int(opened.isna().sum())} site(s) sans date "
                f"d'ouverture dans {path.name}, conservé(s)",
                file=sys.stderr,
            )
        keep = opened.isna() | (opened <= pd.Timestamp(date))
        attrs = {**services.attrs, "filtered_by_date": int((~keep).sum())}
        services = services[keep]
        services.attrs = attrs
    return services


def _print_rejected(services) -> None:
    rejected = services.attrs.get("rejected")
    n_rej = 0 if rejected is None else len(rejected)
    print(f"Lignes rejetées : {n_rej}")
    if n_rej:
        counts = rejected["reason"].value_counts().sort_index()
        for reason, n in counts.items():
            print(f"  - {reason} : {n}")


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


# --------------------------------------------------------------------------- parser
_ARGPARSE_FR = (
    ("the following arguments are required", "arguments obligatoires manquants"),
    ("unrecognized arguments", "arguments non reconnus"),
    ("invalid choice", "choix invalide"),
    ("choose from", "choisir parmi"),
    ("invalid float value", "nombre invalide"),
    ("invalid int value", "entier invalide"),
    ("expected one argument", "une valeur attendue"),
)


class _Formatter(argparse.HelpFormatter):
    """Help formatter with a French usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "usage : " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser with French section titles, help option and error prefix."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("add_help", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str):
        for english, french in _ARGPARSE_FR:
            message = message.replace(english, french)
        self.print_usage(sys.stderr)
        self.exit(2, f"erreur : {message}\n")


def _add_quiet(p: argparse.ArgumentParser) -> None:
    """``-q`` also accepted after the sub-command (SUPPRESS keeps the global value)."""
    p.add_argument(
        "--silencieux",
        "-q",
        action="store_true",
        default=argparse.SUPPRESS,
        help="ne pas afficher la progression",
    )


def _add_territory(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--departement", "-d", required=True, help="code du département (ex. 40, 2A, 974)"
    )
    p.add_argument(
        "--communes",
        metavar="CODES",
        help="restreindre l'analyse à ces communes (codes INSEE séparés par des virgules)",
    )
    p.add_argument(
        "--fichier-communes",
        metavar="FICHIER",
        help="fichier de communes fourni (Admin Express, GeoJSON geo.api.gouv.fr) "
        "au lieu des données embarquées",
    )


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    _add_territory(p)
    p.add_argument(
        "--services",
        default="france-services",
        metavar="CATEGORIE",
        help="catégorie de services : france-services (défaut), finess, "
        "ou tout autre nom pour un fichier de points (--services-fichier requis)",
    )
    p.add_argument(
        "--services-fichier",
        metavar="FICHIER",
        help="fichier des sites (CSV, GeoJSON, GPKG, SHP) ; sans lui, la liste officielle "
        "France Services est téléchargée",
    )
    p.add_argument("--seuil", type=float, default=30.0, help="seuil en minutes (défaut : 30)")
    p.add_argument(
        "--date",
        metavar="AAAA-MM-JJ",
        help="ne garder que les sites labellisés à cette date",
    )
    p.add_argument(
        "--mode",
        choices=_MODES,
        default="voiture",
        help="mode de déplacement ; vol-oiseau = estimation sans réseau routier "
        "(distance à vol d'oiseau × facteur de détour ÷ vitesse)",
    )
    p.add_argument(
        "--reseau",
        metavar="FICHIER",
        help="réseau routier local : GraphML (OSMnx), OSM XML ou .osm.pbf ; "
        "sans lui, le réseau est téléchargé depuis OpenStreetMap (internet requis)",
    )
    p.add_argument(
        "--buffer-km",
        type=float,
        default=20.0,
        help="marge autour du département : les sites voisins situés dans cette marge "
        "comptent, et le réseau téléchargé la couvre (défaut : 20 km)",
    )
    p.add_argument(
        "--origine",
        choices=_ORIGINES,
        default="mairie",
        help="point de départ : mairie (convention INSEE METRIC, défaut), centroide, "
        "ou carreaux (grille de population 200 m, --carreaux requis)",
    )
    p.add_argument("--carreaux", metavar="FICHIER", help="carreaux INSEE Filosofi 200 m")
    p.add_argument("--sortie", "-o", required=True, metavar="DOSSIER", help="dossier de sortie")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``accessibilite`` command."""
    parser = _Parser(
        prog="accessibilite",
        description="Accessibilité des services au public (SDAASP) : temps d'accès des "
        "communes aux services, déficits par canton et EPCI, cartes et rapport.",
        epilog="Aide d'une sous-commande : accessibilite <sous-commande> --help",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"accessibilite {acc.__version__}",
        help="afficher la version et quitter",
    )
    parser.add_argument(
        "--silencieux", "-q", action="store_true", help="ne pas afficher la progression"
    )
    sub = parser.add_subparsers(dest="commande", metavar="sous-commande", required=True)

    p = sub.add_parser(
        "communes",
        help="exporter les communes d'un département",
        description="Écrit les communes (code INSEE, nom, population, EPCI, géométrie) "
        "dans un fichier .gpkg, .geojson, .shp ou .csv selon l'extension.",
    )
    _add_territory(p)
    p.add_argument("--sortie", "-o", required=True, metavar="FICHIER", help="fichier écrit")
    _add_quiet(p)
    p.set_defaults(func=_cmd_communes)

    p = sub.add_parser(
        "services",
        help="charger un fichier de services et résumer les lignes rejetées",
        description="Charge une liste France Services (détectée automatiquement) ou tout "
        "fichier de points, et affiche les lignes retenues et rejetées par motif.",
    )
    p.add_argument("fichier", help="fichier des sites (CSV, GeoJSON, GPKG, SHP)")
    p.add_argument("--departement", "-d", required=True, help="code du département")
    p.add_argument(
        "--categorie",
        help="catégorie des points (défaut : france_services si la liste ANCT est reconnue)",
    )
    p.add_argument("--date", metavar="AAAA-MM-JJ", help="sites labellisés à cette date")
    p.add_argument("--sortie", "-o", metavar="FICHIER", help="écrire les sites retenus")
    _add_quiet(p)
    p.set_defaults(func=_cmd_services)

    from accessibilite import _cli_analyse

    p = sub.add_parser(
        "analyse",
        help="analyse complète : temps d'accès, déficits, cartes, rapport",
        description="Temps d'accès de chaque commune au service le plus proche, communes "
        "au-delà du seuil, cantons et EPCI sans service ; écrit communes.csv, cantons.csv, "
        "epci.csv, resultats.gpkg, carte.png, carte.html et rapport.html dans le dossier "
        "de sortie.",
    )
    _add_analysis_options(p)
    _add_quiet(p)
    p.set_defaults(func=_cli_analyse.cmd_analyse)

    p = sub.add_parser(
        "scenario",
        help="scénarios : fermeture d'un site, ouverture de nouveaux sites",
        description="fermeture : impact de la fermeture de chaque site ; ouverture : "
        "meilleurs emplacements pour k nouveaux sites.",
    )
    p.add_argument(
        "type_scenario", choices=("fermeture", "ouverture"), metavar="fermeture|ouverture"
    )
    _add_analysis_options(p)
    p.add_argument("--k", type=int, default=3, help="nombre de sites à ouvrir (défaut : 3)")
    p.add_argument(
        "--candidats",
        metavar="FICHIER",
        help="fichier des emplacements candidats (défaut : les mairies des communes)",
    )
    _add_quiet(p)
    p.set_defaults(func=_cli_analyse.cmd_scenario)
    return parser


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
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except acc.AccessibiliteError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written: one line, no traceback
        where = f"{exc.filename} : " if exc.filename else ""
        reason = _OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
        print(f"erreur : {where}accès impossible ({reason})", file=sys.stderr)
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
    line the detail of the rejected rows is given by ``accessibilite services``.
    """
    text = str(message).replace(
        "(détail dans .attrs['rejected'])", "(détail : commande « accessibilite services »)"
    )
    print(f"attention : {text}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
