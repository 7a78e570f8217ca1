"""Service files named on the command line: which loader, which columns, which rows kept.

One entry point, :func:`_load_service_file`, for ``services``, ``analyse`` and
``scenario``: an ANCT France Services list, a FINESS extract (``--categorie
msp``) or any point file, with the column options (``--colonne-x``,
``--colonnes``, ``--crs``, ``--couche``), ``--date`` and ``--sans-itinerants``.
It also prints what was read: which column fed each standard field, and the
row counts that add up to the rows read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import accessibilite as acc

from ..errors import in_french

#: ``--colonnes`` keys → ``load_points`` arguments.
_COLUMN_KEYS = {
    "id": "id_col", "identifiant": "id_col", "nom": "nom_col", "insee": "insee_col",
    "code_insee": "insee_col", "commune": "insee_col", "date": "date_col",
    "capacite": "capacite_col", "itinerant": "itinerant_col", "x": "x", "y": "y",
}  # fmt: skip
_FIELD_LABELS = {
    "service_id": "identifiant",
    "nom": "nom",
    "code_insee": "commune (code INSEE)",
    "date_ouverture": "date d'ouverture",
    "itinerant": "itinérant",
    "capacite": "capacité",
    "coordonnees": "coordonnées",
    "crs": "système de coordonnées",
}


def _is_france_services_file(path: Path) -> bool:
    """True when the header of a CSV looks like an ANCT France Services list."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().lower()
    return any(key in header for key in ("id_fs", "lib_fs", "lib_france_services", "msap"))


def _is_finess_file(path: Path) -> bool:
    """True for an etalab FINESS extract (first line ``finess;etalab;…``)."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return fh.readline(64).lower().startswith("finess;etalab")


def _column_options(args: argparse.Namespace) -> dict:
    """``load_points`` arguments of ``--colonne-x/-y``, ``--colonnes``, ``--crs``, ``--couche``."""
    options = {}
    for item in filter(None, (getattr(args, "colonnes", None) or "").split(",")):
        key, sep, column = item.partition("=")
        name = _COLUMN_KEYS.get(key.strip().lower())
        if not sep or name is None or not column.strip():
            raise acc.InputError(
                f"--colonnes : {item.strip()!r} non compris ; attendu CHAMP=COLONNE séparés par "
                f"des virgules, CHAMP parmi {', '.join(sorted(set(_COLUMN_KEYS)))} "
                '(ex. --colonnes "nom=Nom du site,date=Date d\'ouverture")'
            )
        options[name] = column.strip()
    for option, name in (("colonne_x", "x"), ("colonne_y", "y")):
        if getattr(args, option, None):
            options[name] = getattr(args, option)
    if ("x" in options) != ("y" in options):
        raise acc.InputError("--colonne-x et --colonne-y vont ensemble : donnez les deux")
    if getattr(args, "crs", None):
        crs = str(args.crs).strip()
        options["crs"] = f"EPSG:{crs}" if crs.isdigit() else crs
    if getattr(args, "couche_sites", None):
        options["layer"] = args.couche_sites
    return options


def _load_service_file(path: Path, args: argparse.Namespace, buffer_km: float | None = None):
    """France Services list, FINESS extract or any point file, as the options ask."""
    categorie = getattr(args, "categorie", None)
    date = getattr(args, "date", None)
    if buffer_km is None:
        buffer_km = getattr(args, "buffer_km", 0.0) or 0.0
    where = {"departement": args.departement, "buffer_km": buffer_km}
    options = _column_options(args)
    fs = categorie in (None, "france_services", "france-services")
    if _is_finess_file(path) and not options:
        from ..services.health import FINESS_CATEGORIES

        wanted = (categorie,) if categorie and not fs else tuple(FINESS_CATEGORIES)
        services = acc.load_finess(path, categories=wanted, **where)
        if date is not None:
            from ..services.dates import filter_by_date

            services = filter_by_date(services, date, "load_finess")
    elif fs and not options and _is_france_services_file(path):
        services = acc.load_france_services(path, date=date, **where)
    else:
        categorie = (categorie or "services").replace("-", "_")
        services = acc.load_points(path, categorie=categorie, date=date, **where, **options)
    if getattr(args, "sans_itinerants", False):
        services = _without_itinerants(services)
    return services


def _without_itinerants(services):
    """``--sans-itinerants``: itinerant sites (buses) left out, counted in attrs."""
    itinerant = services["itinerant"].astype(bool).to_numpy()
    attrs = dict(services.attrs)
    services = services[~itinerant].reset_index(drop=True)
    services.attrs = attrs | {"itinerants_ecartes": int(itinerant.sum())}
    return services


def _warn_late_date(services, date) -> None:
    """``--date`` after the list's edition (or its last opening date): the list may miss sites."""
    from ..services.dates import as_day

    when = as_day(date)
    edition = services.attrs.get("date_liste")
    latest = services.attrs.get("derniere_date")
    if edition:
        if when > as_day(edition):
            print(
                f"attention : --date {when:%d/%m/%Y} est postérieure à l'édition de la liste "
                f"({as_day(edition):%d/%m/%Y}) : les sites ouverts depuis n'y figurent pas",
                file=sys.stderr,
            )
    elif latest and when > as_day(latest):
        print(
            f"attention : --date {when:%d/%m/%Y} est postérieure à la dernière ouverture du "
            f"fichier ({as_day(latest):%d/%m/%Y}) : les sites ouverts depuis n'y figurent "
            "peut-être pas",
            file=sys.stderr,
        )


def _note_partial_date(date) -> str | None:
    """``--date 2022`` is read as 01/01/2022: the line saying so, or None for a full date."""
    from ..services import parse_date

    day, precision = parse_date(date, precision=True)
    if precision in ("mois", "annee"):
        what = "un mois" if precision == "mois" else "une année"
        return f"--date {date} : {what}, lu comme le {day:%d/%m/%Y} (premier jour)"
    return None


# ------------------------------------------------------------------ reporting
def _columns_lines(services) -> list[str]:
    """``  nom : « Nom du site »`` for each standard field read from a column."""
    columns = services.attrs.get("columns") or {}
    lines = []
    for field, label in _FIELD_LABELS.items():
        if field in columns:
            lines.append(f"  {label} : « {columns[field]} »")
        elif field in ("service_id", "nom", "code_insee", "date_ouverture"):
            lines.append(f"  {label} : aucune colonne")
    return lines


def _counts(services) -> dict[str, int]:
    """Rows read and where they went; the parts add up to the rows read."""
    rejected = services.attrs.get("rejected")
    counts = {
        "retenus": len(services),
        "rejetes": 0 if rejected is None else len(rejected),
        "hors_territoire": int(services.attrs.get("out_of_territory", 0) or 0),
        "date": int(services.attrs.get("filtered_by_date", 0) or 0),
        "itinerants": int(services.attrs.get("itinerants_ecartes", 0) or 0),
    }
    counts["lus"] = int(services.attrs.get("rows_read", sum(counts.values())))
    return counts


def _print_rejected(services) -> None:
    rejected = services.attrs.get("rejected")
    n_rej = 0 if rejected is None else len(rejected)
    print(f"Lignes rejetées (inutilisables) : {n_rej}")
    if n_rej:
        counts = rejected["reason"].value_counts().sort_index()
        for reason, n in counts.items():
            print(f"  - {reason} : {n}")


def _write_rejects(services, path: Path, *, always: bool = False) -> int:
    """The rejected rows (every source column and ``motif``) as CSV; written atomically.

    Returns the number of rows written. Without rejected rows nothing is written
    and an old file of that name is removed, unless ``always`` (``services
    --rejets``: the file asked for is written, with its header only).
    """
    rejected = services.attrs.get("rejected")
    if rejected is None or not len(rejected):
        if not always:
            path.unlink(missing_ok=True)
            return 0
        if rejected is None:
            rejected = services.iloc[:0].assign(reason=[])
    table = rejected.rename(columns={"reason": "motif"}).drop(columns="geometry", errors="ignore")
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise acc.DataFileError(
            path, f"écriture impossible : un élément du chemin n'est pas un dossier ({folder})"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # the user's file is named, not a temporary one
        raise acc.DataFileError(path, f"écriture impossible ({in_french(exc.strerror)})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            table.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except OSError as exc:  # full disk...: nothing half-written is left
        Path(tmp).unlink(missing_ok=True)
        raise acc.DataFileError(path, f"écriture impossible ({in_french(exc.strerror)})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(table)


def _add_service_file_options(p: argparse.ArgumentParser, layer_flag: str = "--couche-sites") -> None:
    """Options telling how to read a service file (columns, CRS, layer, itinerant sites).

    ``layer_flag``: ``--couche`` for ``services`` (its only file); ``--couche-sites`` where
    ``--couche`` names the layer of the road network file (``analyse``, ``scenario``).
    """
    g = p.add_argument_group("lecture du fichier des sites")
    g.add_argument("--colonne-x", metavar="COLONNE", help="colonne des longitudes ou des X")
    g.add_argument("--colonne-y", metavar="COLONNE", help="colonne des latitudes ou des Y")
    g.add_argument(
        "--colonnes",
        metavar="CHAMP=COLONNE,...",
        help="colonnes à lire pour les champs id, nom, insee, date, capacite, itinerant, x, y "
        '(ex. "nom=Nom du site,date=Date d\'ouverture") ; par défaut les noms usuels sont '
        "reconnus et la commande services affiche ceux retenus",
    )
    g.add_argument(
        "--crs",
        metavar="SYSTEME",
        help="système des coordonnées (ex. 2154, EPSG:3857) ; par défaut celui du fichier, "
        "ou deviné (WGS84, Lambert-93, Lambert II étendu)",
    )
    g.add_argument(
        layer_flag,
        dest="couche_sites",
        metavar="NOM",
        help="couche du GeoPackage des sites, feuille du classeur",
    )
    g.add_argument(
        "--sans-itinerants",
        action="store_true",
        help="écarter les sites itinérants (bus France Services...)",
    )
