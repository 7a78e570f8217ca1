"""Inputs shared by ``analyse`` and ``scenario``: checks, communes, services, travel-time
provider, origins, communes off the network."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import accessibilite as acc

from .common import (
    Progress,
    _existing_file,
    _fmt_date,
    _fmt_num,
    _is_france_services_file,
    _load_communes,
    _load_service_file,
)
from .reseau import load_network, summary_lines
from .service_files import (
    _column_options,
    _columns_lines,
    _is_finess_file,
    _note_partial_date,
    _warn_late_date,
    _without_itinerants,
)


def _without_itinerants_if_asked(args: argparse.Namespace, services):
    return _without_itinerants(services) if getattr(args, "sans_itinerants", False) else services



def _names(communes) -> str:
    """``"Versailles (78646), ..."``: the communes named in messages and the report."""
    return ", ".join(f"{r.nom} ({r.code_insee})" for r in communes.itertuples())


# --------------------------------------------------------------------------- inputs
def _check_args(args: argparse.Namespace) -> None:
    if args.date is not None:
        from ..services.dates import as_day

        as_day(args.date, "--date")  # the parser checked it; a Namespace built by hand too
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
    if path is None and _column_options(args):
        raise acc.InputError(
            "--colonnes, --colonne-x/-y, --crs et --couche-sites décrivent le fichier donné par "
            "--services-fichier FICHIER : donnez-le"
        )
    if kind == "france-services" and path is not None:
        ns = argparse.Namespace(**{**vars(args), "categorie": "france_services"})
        if _column_options(args) or _is_finess_file(path):
            return _load_service_file(path, ns, buffer_km=args.buffer_km)
        if not _is_france_services_file(path):
            try:  # an ANCT list in another format (.xlsx), else the user's own point file
                return _without_itinerants_if_asked(
                    args, acc.load_france_services(path, date=args.date, **where)
                )
            except acc.MissingColumnError as exc:
                if exc.column not in ("id_fs", "lib_france_services"):
                    raise
            try:
                return _load_service_file(path, ns, buffer_km=args.buffer_km)
            except acc.MissingColumnError as exc:
                detail = str(exc).removeprefix(f"{exc.path}: ")
                raise acc.DataFileError(
                    path,
                    "pas une liste France Services de l'ANCT (pas de colonne 'id_fs') ni un "
                    f"fichier de points lisible : {detail}",
                ) from exc
        return _load_service_file(path, ns, buffer_km=args.buffer_km)
    if kind == "france-services":
        try:
            return _without_itinerants_if_asked(
                args, acc.load_france_services(path, date=args.date, **where)
            )
        except acc.DownloadError as exc:
            raise acc.DownloadError(
                f"liste officielle France Services indisponible ({exc}). Donnez la liste "
                "avec --services-fichier FICHIER."
            ) from exc
    if path is None:
        raise acc.InputError(f"--services {args.services} : --services-fichier FICHIER requis")
    categorie = None if kind == "finess" else kind.replace("-", "_")
    ns = argparse.Namespace(**{**vars(args), "categorie": categorie})
    return _load_service_file(path, ns, buffer_km=args.buffer_km)


def _load_provider(args: argparse.Namespace, communes):
    """Travel-time provider: local network file, embedded network, download, or the estimate.

    Without ``--reseau``, a département with an embedded network
    (``acc.datasets.networks()``: 04 by car) uses it, offline, unless
    ``--telecharger-reseau`` asks for the current OpenStreetMap data; the
    others are downloaded. The straight-line estimate is used only when asked
    (``--mode vol-oiseau``), never as a silent fallback.
    """
    if args.mode == "vol-oiseau":
        return acc.StraightLineEstimate()
    if args.reseau:
        return load_network(
            args.reseau,
            args.mode,
            territory=communes,
            buffer_km=args.buffer_km,
            couche=getattr(args, "couche", None),
            schema=getattr(args, "schema", "auto"),
            summary=not getattr(args, "silencieux", False),
        )
    if _use_embedded_network(args):
        args.reseau_embarque = True  # named in the report's method lines
        return acc.RoadNetwork.sample(args.departement, args.mode)
    try:
        return acc.RoadNetwork.download(communes, buffer_km=args.buffer_km, mode=args.mode)
    except acc.DownloadError as exc:
        raise _no_network(exc) from exc


def _use_embedded_network(args: argparse.Namespace) -> bool:
    """No ``--reseau``: the embedded network of the département, unless a download is asked."""
    if getattr(args, "telecharger_reseau", False):
        return False
    return acc.datasets.has_network(args.departement, args.mode)


def _no_network(exc: Exception) -> acc.DownloadError:
    """The one-sentence CLI error when the road network cannot be downloaded."""
    why = "pas de connexion internet" if isinstance(exc, acc.OfflineError) else "échec"
    return acc.DownloadError(
        f"réseau routier indisponible, {why} pour le téléchargement OpenStreetMap : "
        "donnez un réseau local avec --reseau FICHIER, ou demandez l'estimation à vol "
        "d'oiseau avec --mode vol-oiseau."
    )


def _check_download_possible(args: argparse.Namespace) -> None:
    """When the road network must be downloaded, fail before any long step if offline."""
    if args.mode == "vol-oiseau" or args.reseau or _use_embedded_network(args):
        return
    try:
        acc.sources.check_connection(acc.sources.OVERPASS_URL)
    except acc.OfflineError as exc:
        raise _no_network(exc) from None


def _prepare(args: argparse.Namespace, progress: Progress):
    """Communes, services, carreaux and provider shared by analyse and scenario."""
    _check_args(args)
    _check_download_possible(args)
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
    if args.date is not None:
        _warn_late_date(services, args.date)
    if not args.silencieux:
        print(
            f"  {len(services)} site(s) retenu(s) : {int(inside.sum())} dans le département, "
            f"{int((~inside).sum())} dans la marge de {_fmt_num(args.buffer_km)} km",
            file=sys.stderr,
        )
        if args.date is not None:
            undated = int(services.attrs.get("undated", 0) or 0)
            later = int(services.attrs.get("filtered_by_date", 0) or 0) - undated
            print(
                f"  écartés par --date : {later} site(s) labellisé(s) après le "
                f"{_fmt_date(args.date)}"
                + (f", {undated} sans date d'ouverture lisible" if undated else ""),
                file=sys.stderr,
            )
        columns = "; ".join(line.strip() for line in _columns_lines(services))
        if columns:
            print(f"  colonnes lues : {columns}", file=sys.stderr)
        if args.date is not None and (note := _note_partial_date(args.date)):
            print(f"  {note}", file=sys.stderr)
    carreaux = None
    if args.origine == "carreaux":
        carreaux = acc.load_carreaux(_existing_file(args.carreaux), communes=communes)
    label = "Estimation à vol d'oiseau" if args.mode == "vol-oiseau" else "Réseau routier"
    progress.step(f"{label} ({args.mode})")
    t0 = time.perf_counter()
    provider = _load_provider(args, communes)
    if not args.silencieux and hasattr(provider, "n_nodes"):
        for line in summary_lines(provider, time.perf_counter() - t0)[:2]:
            print(f"  {line}", file=sys.stderr)
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
