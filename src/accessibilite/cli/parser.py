"""Argument parser of the command line (French help texts and usage errors)."""

from __future__ import annotations

import argparse
import sys

import accessibilite as acc

from .common import _MODES, _ORIGINES, _date, _number
from .communes import _cmd_communes
from .reseau import FORMATS as RESEAU_FORMATS
from .reseau import add_network_file_options, add_reseau_parser
from .service_files import _add_service_file_options
from .services import _cmd_services

# --------------------------------------------------------------------------- parser
_ARGPARSE_FR = (
    ("the following arguments are required", "arguments obligatoires manquants"),
    ("unrecognized arguments", "arguments non reconnus"),
    ("invalid choice", "choix invalide"),
    ("choose from", "choisir parmi"),
    ("invalid float value", "nombre invalide"),
    ("invalid int value", "entier invalide"),
    ("expected one argument", "une valeur attendue"),
    ("argument --", "option --"),
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


def _add_territory(p: argparse.ArgumentParser, national: bool = False) -> None:
    if national:  # analyse: one département, a list, "all", or --region
        p.add_argument(
            "--departement",
            "-d",
            help="code du département (ex. 40, 2A, 974), liste (04,05,06) ou « all » "
            "(toute la France)",
        )
        p.add_argument("--region", metavar="CODE", help="tous les départements d'une région")
        p.add_argument(
            "--processus",
            type=int,
            metavar="N",
            help="plusieurs départements : nombre de processus parallèles (défaut : cœurs)",
        )
    else:
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


def _add_analysis_options(p: argparse.ArgumentParser, national: bool = False) -> None:
    _add_territory(p, national=national)
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
        "France Services est téléchargée, ou sans internet la liste embarquée du 1er août 2024",
    )
    p.add_argument(
        "--seuil", type=_number, default=30.0, help="seuil en minutes (ex. 30 ou 7,5 ; défaut : 30)"
    )
    p.add_argument(
        "--date",
        type=_date,
        metavar="JJ/MM/AAAA",
        help="ne garder que les sites labellisés à cette date (JJ/MM/AAAA, AAAA-MM-JJ, "
        "MM/AAAA ou AAAA : un mois ou une année comptent pour leur premier jour)",
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
        help="réseau routier local : OSM (.osm.pbf, .osm, .osm.bz2), GraphML (OSMnx), "
        "couche de lignes Geofabrik (.shp.zip, .shp, .gpkg) ou BD TOPO (.gpkg, .geojson), "
        "réseau enregistré par « accessibilite reseau » (.npz) ; sans lui, le réseau embarqué "
        "du département s'il existe (04), sinon le réseau téléchargé depuis OpenStreetMap "
        "(internet requis)",
    )
    p.add_argument(
        "--telecharger-reseau",
        action="store_true",
        help="télécharger le réseau OpenStreetMap actuel même quand un réseau embarqué "
        "existe pour ce département (internet requis)",
    )
    add_network_file_options(p)
    p.add_argument(
        "--buffer-km",
        type=_number,
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
    _add_service_file_options(p)


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
        help="charger un fichier de services et rendre compte de chaque ligne",
        description="Charge une liste France Services ou un extrait FINESS (détectés "
        "automatiquement) ou tout fichier de points ; affiche les colonnes lues et les lignes "
        "retenues, rejetées (par motif), hors du territoire et écartées par la date.",
    )
    p.add_argument("fichier", help="fichier des sites (CSV, GeoJSON, GPKG, SHP)")
    p.add_argument("--departement", "-d", required=True, help="code du département")
    p.add_argument(
        "--categorie",
        help="catégorie des points (défaut : france_services si la liste ANCT est reconnue)",
    )
    p.add_argument("--date", type=_date, metavar="JJ/MM/AAAA", help="sites labellisés à cette date")
    p.add_argument(
        "--buffer-km",
        type=_number,
        default=0.0,
        help="garder aussi les sites à moins de tant de km du département (défaut : 0)",
    )
    p.add_argument("--sortie", "-o", metavar="FICHIER", help="écrire les sites retenus")
    p.add_argument(
        "--rejets",
        metavar="FICHIER",
        help="écrire les lignes rejetées (toutes leurs colonnes et le motif) dans ce CSV",
    )
    _add_service_file_options(p, layer_flag="--couche")
    _add_quiet(p)
    p.set_defaults(func=_cmd_services)

    add_reseau_parser(sub, _add_quiet)

    from . import analyse as _cli_analyse
    from . import scenario as _cli_scenario

    p = sub.add_parser(
        "analyse",
        help="analyse complète : temps d'accès, déficits, cartes, rapport",
        description="Temps d'accès de chaque commune au service le plus proche, communes "
        "au-delà du seuil, cantons et EPCI sans service ; écrit communes.csv, cantons.csv, "
        "epci.csv, resultats.xlsx, resultats.gpkg, carte.png, carte.html et rapport.html dans le "
        "dossier de sortie. Plusieurs départements (liste, « all », --region) : communes_france.csv, "
        "departements.csv et carte_france.png.",
    )
    _add_analysis_options(p, national=True)
    p.add_argument(
        "--qpv",
        metavar="FICHIER",
        help="contours des quartiers prioritaires (ANCT) : couche qpv dans resultats.gpkg, "
        "section QPV du rapport, qpv.csv, qpv.xlsx et une carte par QPV",
    )
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
    p.set_defaults(func=_cli_scenario.cmd_scenario)

    from .qpv import add_qpv_parser

    add_qpv_parser(sub, _add_territory, _add_quiet)
    _add_evolution_potential_cumul(sub)
    return parser


def _add_evolution_potential_cumul(sub) -> None:
    """Sub-commands ``evolution``, ``potentiel`` and ``cumul``."""
    from . import cumul as _cli_cumul
    from . import evolution as _cli_evolution
    from . import potentiel as _cli_potentiel

    p = sub.add_parser(
        "evolution",
        help="évolution de la couverture à plusieurs dates (dates de labellisation)",
        description="Couverture des cantons et EPCI à plusieurs dates, d'après la date "
        "d'ouverture (labellisation) des sites : evolution.csv, evolution.xlsx, "
        "evolution.png (courbe), evolution_carte.png (une carte par date), "
        "rapport_evolution.html.",
    )
    _add_analysis_options(p)
    p.add_argument(
        "--dates",
        required=True,
        metavar="DATES",
        help="dates séparées par des virgules (AAAA-MM-JJ ou JJ/MM/AAAA), "
        "ex. 2020-01-01,2022-01-01,2024-08-01",
    )
    p.add_argument(
        "--sans-date",
        choices=("inclure", "exclure"),
        default="inclure",
        help="sites sans date d'ouverture : comptés ouverts à toutes les dates (défaut) ou ignorés",
    )
    _add_quiet(p)
    p.set_defaults(func=_cli_evolution.cmd_evolution)

    p = sub.add_parser(
        "potentiel",
        help="accessibilité potentielle (2SFCA / APL) à une offre de soins",
        description="Accessibilité potentielle localisée de chaque commune à une offre "
        "(ex. médecins généralistes de la BPE) : potentiel.csv, potentiel.xlsx, "
        "potentiel.png.",
    )
    _add_territory(p)
    p.add_argument(
        "--services-fichier",
        required=True,
        metavar="FICHIER",
        help="offre par commune (BPE : CODGEO, NB_D201...) ou fichier de points avec une "
        "colonne de capacité",
    )
    p.add_argument(
        "--code-bpe", default="D201", help="code d'équipement BPE (défaut : D201, médecins)"
    )
    p.add_argument(
        "--methode",
        choices=("apl", "2sfca"),
        default="apl",
        help="apl : décroissance 0-10 min 1, 10-15 min 2/3, 15-20 min 1/3 (DREES, défaut) ; "
        "2sfca : zone unique de --seuil minutes",
    )
    p.add_argument(
        "--seuil", type=float, default=20.0, help="zone de chalandise 2sfca en minutes (défaut 20)"
    )
    p.add_argument(
        "--voisins",
        metavar="CODES",
        help="départements voisins dont l'offre et la population comptent (effet de bord), "
        "ex. 64,32,33,47",
    )
    _add_provider_options(p)
    _add_quiet(p)
    p.set_defaults(func=_cli_potentiel.cmd_potentiel)

    p = sub.add_parser(
        "cumul",
        help="communes cumulant les déficits sur plusieurs services",
        description="Temps d'accès de chaque commune à plusieurs services (France Services, "
        "MSP, médecins...) et nombre de services au-delà de leur seuil : cumul.csv, "
        "cumul.xlsx, cumul.png.",
    )
    _add_territory(p)
    p.add_argument(
        "--service",
        action="append",
        required=True,
        metavar="NOM=FICHIER",
        help="un service et son fichier (répéter l'option), ex. --service "
        "\"France Services=liste-fs.csv\" --service médecins=bpe_d201.csv ; "
        "NOM=FICHIER:SEUIL pour un seuil propre",
    )
    p.add_argument("--seuil", type=float, default=30.0, help="seuil en minutes (défaut : 30)")
    _add_provider_options(p)
    _add_quiet(p)
    p.set_defaults(func=_cli_cumul.cmd_cumul)


def _add_provider_options(p: argparse.ArgumentParser) -> None:
    """Travel-time options of ``potentiel`` and ``cumul`` (as for ``analyse``)."""
    p.add_argument("--mode", choices=_MODES, default="voiture", help="mode de déplacement")
    p.add_argument("--reseau", metavar="FICHIER", help=f"réseau routier local : {RESEAU_FORMATS}")
    add_network_file_options(p)
    p.add_argument(
        "--buffer-km",
        type=float,
        default=20.0,
        help="marge autour du département (sites voisins, réseau) (défaut : 20 km)",
    )
    p.add_argument(
        "--origine", choices=("mairie", "centroide"), default="mairie", help="point de départ"
    )
    p.add_argument("--sortie", "-o", required=True, metavar="DOSSIER", help="dossier de sortie")

