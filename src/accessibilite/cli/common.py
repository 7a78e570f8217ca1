"""Shared helpers of the sub-commands: progress display, French number formats, loading the
communes and service files named on the command line, writing tables."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import accessibilite as acc

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

