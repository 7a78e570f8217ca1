"""Service locations: France Services lists, generic point files, FINESS, BPE counts.

Every loader returns the standard services frame (see ``docs/architecture.md``
and ``docs/services.md``): a GeoDataFrame with ``service_id``, ``nom``,
``categorie``, ``code_insee``, ``date_ouverture``, ``itinerant``, ``geometry``
(Point, EPSG:2154, or the département's CRS overseas), ``capacite`` where
relevant, then the source columns. Rows that cannot be used are never dropped
silently: they go to ``.attrs["rejected"]`` with a French ``reason`` and one
:class:`RejectedRowsWarning` summarises them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import warnings
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import DataFileError, InputError, MissingColumnError

__all__ = ["RejectedRowsWarning", "load_france_services", "load_points", "load_finess", "load_bpe"]


class RejectedRowsWarning(UserWarning):
    """Some rows of a service file were rejected (details in ``.attrs["rejected"]``)."""


# Rejection reasons (French, user-facing), in the order they are checked.
NO_COORDS = "coordonnées manquantes"
BAD_COORDS = "coordonnées illisibles"
UNKNOWN_CRS = "système de coordonnées inconnu"
SWAPPED = "latitude et longitude inversées"
OUT_OF_FRANCE = "coordonnées hors de France"
BAD_DATE = "date illisible"
NO_ID = "identifiant manquant"
DUPLICATE_ID = "identifiant en double"
OUT_OF_TERRITORY = "hors du territoire"
UNKNOWN_COMMUNE = "commune inconnue"
BAD_COUNT = "effectif nul ou illisible"

#: lon/lat boxes (lon min, lon max, lat min, lat max) of France, overseas included.
_FRANCE_BOXES = np.array(
    [
        (-5.3, 9.8, 41.2, 51.2),  # métropole et Corse
        (-61.95, -60.95, 15.8, 16.55),  # Guadeloupe
        (-61.3, -60.75, 14.35, 14.9),  # Martinique
        (-54.7, -51.5, 2.0, 6.0),  # Guyane
        (55.15, 55.9, -21.45, -20.8),  # La Réunion
        (44.9, 45.35, -13.05, -12.55),  # Mayotte
        (-56.55, -56.05, 46.7, 47.2),  # Saint-Pierre-et-Miquelon
        (-63.2, -62.75, 17.85, 18.15),  # Saint-Martin, Saint-Barthélemy
        (163.5, 168.2, -22.8, -19.5),  # Nouvelle-Calédonie
        (-154.9, -134.4, -28.0, -7.8),  # Polynésie française
        (-178.3, -176.0, -14.45, -13.1),  # Wallis-et-Futuna
    ]
)

#: Coordinate column pairs "x:y", searched case-insensitively in this order.
_XY_NAMES = [
    pair.split(":")
    for pair in (
        "longitude:latitude lon:lat lng:lat long:lat xlong:ylat x_wgs84:y_wgs84 "
        "lambert_x:lambert_y x_l93:y_l93 xl93:yl93 x_lambert93:y_lambert93 coordx:coordy "
        "coord_x:coord_y coordxet:coordyet x:y"
    ).split()
]
#: Single columns holding "lat, lon" (opendatasoft) or {"lon": .., "lat": ..}.
_LATLON_NAMES = ["geo_point_2d", "geo_point", "geopoint", "point_geo", "coordonnees", "latlon"]
_ID_NAMES = ["id", "identifiant", "uid", "id_fs", "nofinesset"]
_NOM_NAMES = ["nom", "name", "libelle", "lib_fs", "raison_sociale", "rs", "denomination"]
_INSEE_NAMES = (
    "code_insee codeinsee insee insee_com codgeo depcom com_code code_commune_insee "
    "code_commune citycode result_citycode"
).split()
_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}
_STANDARD = ["service_id", "nom", "categorie", "code_insee", "date_ouverture", "itinerant"]

#: FINESS category codes (``categetab``) of the named categories.
FINESS_CATEGORIES = {"msp": "603", "centre_sante": "124"}
#: FINESS overseas département codes → first two digits of the INSEE commune code.
_FINESS_DEP = {"9A": "97", "9B": "97", "9C": "97", "9D": "97", "9E": "97", "9F": "97", "9J": "98"}
#: Legacy FINESS system names (in ``sourcecoordet``) → CRS.
_FINESS_CRS = {
    "LAMBERT_93": "EPSG:2154",
    "LAMBERT93": "EPSG:2154",
    "LAMBERT_II_ETENDU": "EPSG:27572",
    "UTM_N20": "EPSG:5490",
    "UTM_N21": "EPSG:32621",
    "UTM_N22": "EPSG:2972",
    "UTM_S38": "EPSG:4471",
    "UTM_S40": "EPSG:2975",
}
_STRUCTURE_COLUMNS = (
    "section nofinesset nofinessej rs rslongue complrs compldistrib numvoie typvoie voie "
    "compvoie lieuditbp commune departement libdepartement ligneacheminement telephone "
    "telecopie categetab libcategetab categagretab libcategagretab siret codeape codemft "
    "libmft codesph libsph dateouv dateautor datemaj numuai"
).split()
_GEO_COLUMNS = ["section", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj"]
_BPE_CATEGORIES = {"D201": "medecin_generaliste", "D107": "maternite"}


# ------------------------------------------------------------------ reading


def _decode(path: Path, encoding: str | None) -> str:
    """File text: UTF-8 (with or without BOM) first, then cp1252 and latin-1."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"fichier illisible ({exc.strerror or exc})") from exc
    for enc in [encoding] if encoding else ["utf-8-sig", "cp1252", "latin-1"]:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DataFileError(path, f"encodage illisible ({encoding})")


def _sniff_sep(text: str) -> str:
    """Separator of a CSV text among ``;``, ``,`` and tab."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        return max(";,\t", key=sample.split("\n")[0].count)


def _read_csv(path: Path, sep: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """All columns as strings; only empty cells are missing (never "NA")."""
    text = _decode(path, encoding)
    if not text.strip():
        raise DataFileError(path, "fichier vide")
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep or _sniff_sep(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(path, f"CSV illisible : {exc}") from exc


def _read_excel(path: Path, sheet=None) -> pd.DataFrame:
    """A spreadsheet (first sheet by default) with every cell as text (needs openpyxl)."""
    try:
        table = pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
    except ImportError as exc:
        raise DataFileError(path, f"lecture Excel impossible, installez openpyxl ({exc})") from exc
    except Exception as exc:  # zipfile, openpyxl and xlrd raise unrelated classes
        raise DataFileError(path, f"classeur illisible : {exc}") from exc
    return table.replace(r"^\s*$", np.nan, regex=True)


def _read_any(path, layer=None, sep=None, encoding=None) -> tuple[pd.DataFrame, Path]:
    """Read a CSV, or any vector file pyogrio reads (a GeoDataFrame then)."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(path, layer), path
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        return _read_csv(path, sep, encoding), path
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding), path
    except Exception as exc:  # pyogrio raises several unrelated classes
        raise DataFileError(path, f"fichier géographique illisible : {exc}") from exc


def _find(columns, names) -> str | None:
    """First column matching one of ``names`` (case, spaces and hyphens ignored)."""
    normal = {re.sub(r"[\s\-]+", "_", str(c).strip().lower()): c for c in columns}
    return next((normal[n] for n in names if n in normal), None)


def _text(values) -> pd.Series:
    """Stripped strings (object dtype, None when empty); whole floats without ``.0``."""
    values = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.astype(object).where(text.notna() & (text != ""), None)


def _to_float(values: pd.Series) -> np.ndarray:
    """Numbers, also with French decimal commas or spaces as thousands separators."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    text = values.astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _codes(values) -> pd.Series:
    """Commune codes as 5-character strings (restores a lost leading zero)."""
    text = _text(values).astype("string")
    return _text(text.where(~text.str.fullmatch(r"\d{4}").fillna(False), "0" + text))


def _parse_dates(values, n: int) -> tuple[pd.Series, np.ndarray]:
    """``JJ/MM/AAAA`` (also inside a text) or ISO dates → (dates, unreadable mask)."""
    if values is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"), np.zeros(n, bool)
    text = pd.Series(values).reset_index(drop=True).astype("string").str.strip()
    french = text.str.extract(r"(\d{1,2}/\d{1,2}/\d{4})")[0]
    iso = text.str.extract(r"(\d{4}-\d{2}-\d{2})")[0]
    dates = pd.to_datetime(french, format="%d/%m/%Y", errors="coerce").fillna(
        pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    )
    written = (text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    return dates.astype("datetime64[ns]"), written & dates.isna().to_numpy()


def _standard(n, ids, noms, categorie, insee, dates=None, itinerant=None, capacite=None):
    """The standard columns (without geometry) of ``n`` rows, and the bad-date mask."""
    dates, bad_dates = dates if dates is not None else _parse_dates(None, n)
    frame = pd.DataFrame(
        {
            "service_id": _text(ids),
            "nom": _text(noms if noms is not None else [None] * n),
            "categorie": pd.Series(np.broadcast_to(np.asarray(categorie, object), n)),
            "code_insee": _text(insee if insee is not None else [None] * n),
            "date_ouverture": dates,
            "itinerant": np.zeros(n, bool) if itinerant is None else np.asarray(itinerant, bool),
        }
    )
    if capacite is not None:
        frame["capacite"] = np.asarray(capacite, dtype=float)
    return frame, bad_dates


# ------------------------------------------------------------ coordinates


@functools.lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


@functools.lru_cache(maxsize=64)
def _crs_name(crs) -> str | None:
    """``EPSG:XXXX`` form of a CRS (None when pyproj does not know it)."""
    try:
        return pyproj.CRS(crs).to_string()
    except pyproj.exceptions.CRSError:
        return None


def _in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Vectorised test of lon/lat against the boxes of France."""
    box = _FRANCE_BOXES
    lon, lat = lon[:, None], lat[:, None]
    inside = (lon >= box[:, 0]) & (lon <= box[:, 1]) & (lat >= box[:, 2]) & (lat <= box[:, 3])
    return inside.any(axis=1)


def _lonlat(x: np.ndarray, y: np.ndarray, crs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in per-row CRS (None = unknown) → WGS84 lon/lat (NaN when unknown)."""
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for code in pd.unique(crs[pd.notna(crs)]):
        rows = crs == code
        with np.errstate(all="ignore"):
            lon[rows], lat[rows] = _transformer(code, "EPSG:4326").transform(x[rows], y[rows])
    return lon, lat


def _guess_crs(x: np.ndarray, y: np.ndarray, path) -> str:
    """WGS84, Lambert-93 or Lambert II étendu, whichever fits most coordinates."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return "EPSG:4326"
    metric = (x > -1e5) & (x < 1.4e6)
    votes = {
        "EPSG:4326": np.mean((np.abs(x) <= 180) & (np.abs(y) <= 180)),
        "EPSG:2154": np.mean(metric & (y > 5.9e6) & (y < 7.3e6)),
        "EPSG:27572": np.mean(metric & (y > 1.5e6) & (y < 2.8e6)),
    }
    best = max(votes, key=votes.get)
    if votes[best] < 0.5:
        raise InputError(
            f"{path}: système de coordonnées non reconnu (ni WGS84 ni Lambert) ; "
            "indiquez-le avec crs=, par exemple crs='EPSG:3857'"
        )
    return best


def _per_row_crs(table: pd.DataFrame, crs, path) -> np.ndarray:
    """One CRS name per row: from ``crs`` or from the column it names."""
    if isinstance(crs, str) and crs in table.columns:  # e.g. an "EPSG" column
        codes = _text(table[crs]).str.replace(r"^(\d{4,5})$", r"EPSG:\1", regex=True)
        return np.array([_crs_name(c) if isinstance(c, str) else None for c in codes], object)
    if _crs_name(crs) is None:
        raise InputError(f"{path}: système de coordonnées inconnu : {crs!r}")
    return np.full(len(table), _crs_name(crs), dtype=object)


# ---------------------------------------------------------------- assembly


def _flag(reason: pd.Series, mask, text: str) -> None:
    """Give ``text`` as reason to the rows of ``mask`` that have none yet."""
    reason[np.asarray(mask, dtype=bool) & reason.isna().to_numpy()] = text


def _place(x, y, crs, reason, coord_text, target):
    """Check coordinates and project them to ``target``; flag unusable rows."""
    missing = np.isnan(x) | np.isnan(y)
    _flag(reason, missing & ~coord_text, NO_COORDS)
    _flag(reason, missing, BAD_COORDS)
    _flag(reason, pd.isna(crs), UNKNOWN_CRS)
    lon, lat = _lonlat(x, y, crs)
    in_france = _in_france(lon, lat)
    _flag(reason, ~in_france & _in_france(*_lonlat(y, x, crs)), SWAPPED)
    _flag(reason, ~in_france, OUT_OF_FRANCE)
    gx, gy = _transformer("EPSG:4326", target).transform(lon, lat)
    same = (crs == target) & in_france  # no round trip through WGS84 when not needed
    return np.where(same, x, gx), np.where(same, y, gy)


def _assemble(
    table,
    std,
    bad_dates,
    x,
    y,
    crs,
    *,
    coord_text=None,
    reasons=None,
    departement=None,
    buffer_km=0.0,
    target=None,
    drop=(),
    source=None,
    label="load_points",
) -> gpd.GeoDataFrame:
    """Validate the rows, build the standard frame, keep the rejected rows, warn.

    ``x``, ``y`` are float arrays in ``crs`` (one CRS per row, None when
    unknown); ``coord_text`` marks rows whose coordinate cells hold text (NaN
    there means unreadable, not missing); ``reasons`` holds reasons found
    earlier by the caller.
    """
    n = len(table)
    table = table.reset_index(drop=True)
    reason = pd.Series([None] * n if reasons is None else reasons, dtype=object)
    coord_text = np.zeros(n, bool) if coord_text is None else np.asarray(coord_text, bool)
    if target is None:
        target = settings.crs
        if departement is not None:
            from .territories import communes

            target = communes(departement).crs.to_string()
    gx, gy = _place(np.asarray(x, float), np.asarray(y, float), crs, reason, coord_text, target)
    _flag(reason, bad_dates, BAD_DATE)
    ids = std["service_id"]
    _flag(reason, ids.isna(), NO_ID)
    _flag(reason, ids.where(reason.isna()).duplicated() & ids.notna(), DUPLICATE_ID)
    if departement is not None:
        from .territories import departement_contour

        contour = departement_contour(departement, buffer_km)
        shapely.prepare(contour)
        _flag(
            reason,
            ~shapely.contains_xy(contour, np.nan_to_num(gx), np.nan_to_num(gy)),
            OUT_OF_TERRITORY,
        )

    keep = reason.isna().to_numpy()
    extra = table.drop(columns=[c for c in table.columns if c == "geometry" or c in drop])
    extra = extra.rename(columns={c: f"{c}_source" for c in extra.columns if c in std.columns})
    frame = gpd.GeoDataFrame(
        std[keep].reset_index(drop=True),
        geometry=gpd.points_from_xy(gx[keep], gy[keep]),
        crs=target,
    )
    if "capacite" in frame.columns:  # geometry before capacite, as in the contract
        frame = frame[[*_STANDARD, "geometry", "capacite"]]
    frame = pd.concat([frame, extra[keep].reset_index(drop=True)], axis=1)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=target)
    rejected = table[~keep].assign(reason=reason[~keep].to_numpy())
    frame.attrs.update(rejected=rejected, source=str(source), rows_read=n)
    _warn(rejected, n, label, source)
    return frame


def _warn(rejected: pd.DataFrame, n: int, label: str, source) -> None:
    """One French line summarising the rejected rows by reason."""
    if not len(rejected):
        return
    counts = rejected["reason"].value_counts().sort_index()
    detail = ", ".join(f"{reason} : {count}" for reason, count in counts.items())
    warnings.warn(
        f"{label} ({Path(str(source)).name}) : {len(rejected)} ligne(s) rejetée(s) sur {n} "
        f"— {detail} (détail dans .attrs['rejected'])",
        RejectedRowsWarning,
        stacklevel=4,
    )


def _generated_ids(prefix: str, n: int) -> list[str]:
    """``prefix-001``... numbered in file order."""
    width = len(str(n))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)]


# ---------------------------------------------------------- France Services


def load_france_services(
    source: str | PathLike | None = None,
    date=None,
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
) -> gpd.GeoDataFrame:
    """Load an ANCT list of France Services sites (2024 or January-2020 schema).

    Parameters
    ----------
    source : str or PathLike, optional
        The CSV file. ``None`` downloads the current official list into the
        cache (``sources.fetch("france_services")``).
    date : str or datetime-like, optional
        Keep only the sites labelled on or before this day (``labellisation_fs``).
        Sites labelled later are not "rejected": they are counted in
        ``attrs["filtered_by_date"]``.
    departement : str, int or list, optional
        Keep the sites inside the département outline buffered by ``buffer_km``;
        the others are rejected (``"hors du territoire"``).
    buffer_km : float, default 0
        Outward buffer of the outline, to keep services just across the border.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame, ``categorie == "france_services"``.
        ``len(frame) + attrs["filtered_by_date"] + len(attrs["rejected"])``
        equals ``attrs["rows_read"]``.

    Notes
    -----
    The schema is detected from the columns. The 2024 list (``id_fs``, ``lib_fs``,
    ``latitude``, ``longitude``...) gives ``date_ouverture`` from
    ``labellisation_fs`` and ``itinerant`` from ``format_fs`` (``Bus_équivalent``,
    ``Itinérante``). The January-2020 list has no identifier (ids ``2020-001``...
    in file order), no date (``date_ouverture`` is NaT, so ``date=`` raises
    :class:`InputError`), and ``itinerant`` from ``itinerance == "Oui"``;
    its commune code is the geocoder's ``result_citycode``.
    """
    if source is None:
        from . import sources

        source = sources.fetch("france_services")
    table, path = _read_any(source)
    n, cols = len(table), set(table.columns)
    if {"id_fs", "lib_fs", "latitude", "longitude"} <= cols:
        schema, xcol, ycol = "2024", "longitude", "latitude"
        fmt = _text(table.get("format_fs", [None] * n))
        std = _standard(
            n,
            ids=table["id_fs"],
            noms=table["lib_fs"],
            categorie="france_services",
            insee=_codes(table["insee_com"]) if "insee_com" in cols else None,
            dates=_parse_dates(table.get("labellisation_fs"), n),
            itinerant=fmt.isin(["Bus_équivalent", "Itinérante"]),
        )
    elif {"lib_france_services", "lat", "long"} <= cols:
        schema, xcol, ycol = "2020", "long", "lat"
        if date is not None:
            raise InputError(
                f"{path}: la liste de janvier 2020 ne donne pas de date de labellisation ; "
                "date= n'est utilisable qu'avec la liste 2024 (labellisation_fs)"
            )
        insee = table.get("result_citycode", pd.Series([None] * n))
        std = _standard(
            n,
            ids=_generated_ids("2020", n),
            noms=table["lib_france_services"],
            categorie="france_services",
            insee=_codes(insee.fillna(table.get("insee_com", insee))),
            itinerant=_text(table.get("itinerance", [None] * n)).str.lower() == "oui",
        )
    else:
        need = ["id_fs", "lib_fs", "latitude", "longitude"]
        if "lib_france_services" in cols:
            need = ["lib_france_services", "lat", "long"]
        raise MissingColumnError(path, next(c for c in need if c not in cols), table.columns)
    frame = _assemble(
        table,
        *std,
        _to_float(table[xcol]),
        _to_float(table[ycol]),
        np.full(n, "EPSG:4326", dtype=object),
        coord_text=table[[xcol, ycol]].notna().any(axis=1).to_numpy(),
        departement=departement,
        buffer_km=buffer_km,
        source=path,
        label="load_france_services",
    )
    frame.attrs.update(schema=schema, filtered_by_date=0)
    return frame if date is None else _filter_by_date(frame, date)


def _filter_by_date(frame: gpd.GeoDataFrame, date) -> gpd.GeoDataFrame:
    """Keep the sites opened on or before ``date``; count the others in attrs."""
    try:
        when = pd.Timestamp(date)
    except (ValueError, TypeError) as exc:
        raise InputError(f"date illisible : {date!r} (attendu AAAA-MM-JJ)") from exc
    if when is pd.NaT:
        raise InputError(f"date illisible : {date!r} (attendu AAAA-MM-JJ)")
    attrs = dict(frame.attrs)
    keep = (frame["date_ouverture"] <= when).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    frame.attrs = attrs | {"filtered_by_date": int((~keep).sum()), "date": str(when.date())}
    return frame


# ------------------------------------------------------------ any point file


def load_points(
    path: str | PathLike,
    categorie: str,
    *,
    x: str | None = None,
    y: str | None = None,
    crs=None,
    id_col: str | None = None,
    nom_col: str | None = None,
    insee_col: str | None = None,
    date_col: str | None = None,
    capacite_col: str | None = None,
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
    layer: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Load service points from any CSV, GeoJSON, GeoPackage or Shapefile.

    Parameters
    ----------
    path : str or PathLike
        The file. CSV separators ``;``, ``,`` and tab are sniffed; UTF-8 is
        tried first, then cp1252. Excel workbooks (``.xlsx``, needs openpyxl)
        are read as text. Other formats are read with pyogrio.
    categorie : str
        Value of the ``categorie`` column (e.g. ``"caf"``, ``"msp"``).
    x, y : str, optional
        Coordinate columns. By default the point geometry of a vector file,
        else the first pair of common names found case-insensitively
        (``longitude``/``latitude``, ``lon``/``lat``, ``long``, ``lng``,
        ``xlong``/``ylat``, ``LAMBERT_X``/``LAMBERT_Y``, ``X_L93``/``Y_L93``,
        ``coordx``/``coordy``, ``x``/``y``...) or a ``geo_point_2d`` column
        (``"lat, lon"``).
    crs : str, optional
        CRS of the coordinates, or the name of a column giving it per row
        (``"EPSG:2154"`` or ``2154``). By default the file's own CRS, else an
        ``EPSG`` column, else guessed from the values (WGS84, Lambert-93 or
        Lambert II étendu); other systems need ``crs=``.
    id_col, nom_col, insee_col, date_col, capacite_col : str, optional
        Source columns of ``service_id``, ``nom``, ``code_insee``,
        ``date_ouverture`` and ``capacite``. ``id``, ``nom``, ``code_insee``
        and a few usual variants are found automatically; without an id
        column, ids are ``<categorie>-<row number>``.
    departement, buffer_km
        As in :func:`load_france_services`.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage), or sheet of a workbook.
    sep, encoding : str, optional
        Force the CSV separator or the text encoding.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame (``capacite`` only with ``capacite_col``).

    Raises
    ------
    DataFileError
        Missing or unreadable file.
    MissingColumnError
        A named column is absent, or no coordinate column was found.
    """
    table, path = _read_any(path, layer, sep, encoding)
    for col in (x, y, id_col, nom_col, insee_col, date_col, capacite_col):
        if col is not None and col not in table.columns:
            raise MissingColumnError(path, col, table.columns)
    if (x is None) != (y is None):
        raise InputError("donnez les deux colonnes de coordonnées x= et y=, ou aucune")
    geoms = file_crs = coord_text = None
    if isinstance(table, gpd.GeoDataFrame):
        file_crs = table.crs.to_string() if table.crs is not None else None
        geoms = table.geometry.values
        table = pd.DataFrame(table).rename(columns={table.geometry.name: "geometry"})
    if x is None and geoms is not None and not shapely.is_missing(geoms).all():
        points = shapely.point_on_surface(geoms)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        crs = crs or file_crs
    else:
        xs, ys, coord_text = _coordinate_columns(table, x, y, path)
        crs = crs or _find(table.columns, ["epsg"])
    n = len(table)
    insee_col = insee_col or next(
        (
            c
            for c in (_find(table.columns, [name]) for name in _INSEE_NAMES)
            if c is not None and table[c].notna().any()
        ),
        None,
    )
    id_col = id_col or _find(table.columns, _ID_NAMES)
    nom_col = nom_col or _find(table.columns, _NOM_NAMES)
    std = _standard(
        n,
        ids=table[id_col] if id_col else _generated_ids(categorie, n),
        noms=table[nom_col] if nom_col else None,
        categorie=categorie,
        insee=_codes(table[insee_col]) if insee_col else None,
        dates=_parse_dates(table[date_col], n) if date_col else None,
        capacite=_to_float(table[capacite_col]) if capacite_col else None,
    )
    return _assemble(
        table,
        *std,
        xs,
        ys,
        _per_row_crs(table, crs or _guess_crs(xs, ys, path), path),
        coord_text=coord_text,
        departement=departement,
        buffer_km=buffer_km,
        drop={id_col, nom_col, insee_col, date_col, capacite_col} & set(_STANDARD),
        source=path,
    )


def _coordinate_columns(table: pd.DataFrame, x, y, path):
    """x, y float arrays from the given, usual-name or ``geo_point_2d`` columns."""
    if x is None:
        found = ((_find(table.columns, [a]), _find(table.columns, [b])) for a, b in _XY_NAMES)
        x, y = next(((a, b) for a, b in found if a and b), (None, None))
    if x is not None:
        text = table[[x, y]].notna().any(axis=1).to_numpy()
        return _to_float(table[x]), _to_float(table[y]), text
    column = _find(table.columns, _LATLON_NAMES)
    if column is None:
        raise MissingColumnError(
            path,
            "longitude/latitude (ou lon/lat, x/y, LAMBERT_X/LAMBERT_Y, geo_point_2d)",
            table.columns,
        )
    text = table[column].astype("string")
    num = r"(-?\d+(?:\.\d+)?)"
    pair = text.str.extract(rf"^\s*\[?\s*{num}\s*[,;]\s*{num}")  # "lat, lon"
    lat = pair[0].fillna(text.str.extract(rf'"lat"\s*:\s*{num}')[0])
    lon = pair[1].fillna(text.str.extract(rf'"lon"\s*:\s*{num}')[0])
    return _to_float(lon), _to_float(lat), text.notna().to_numpy()


# ------------------------------------------------------------------ FINESS


def _finess_crs(values: pd.Series) -> np.ndarray:
    """CRS stated by each ``sourcecoordet`` (None when unknown)."""
    text = values.astype("string").str.upper()
    crs = "EPSG:" + text.str.extract(r"EPSG\s*:\s*(\d{4,5})")[0]
    for name, code in _FINESS_CRS.items():
        crs = crs.mask(crs.isna() & text.str.contains(name, regex=False).fillna(False), code)
    utm = text.str.extract(r"UTM\s*ZONE\s*(\d{1,2})\s*([NS])")
    crs = crs.fillna("EPSG:32" + utm[1].map({"N": "6", "S": "7"}) + utm[0].str.zfill(2))
    return _text(crs).to_numpy(dtype=object)


def _read_finess(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``structureet`` and ``geolocalisation`` records of an etalab extract."""
    text = _decode(path, None)
    if not text.lower().startswith("finess;etalab"):
        raise DataFileError(
            path,
            "première ligne « finess;etalab;… » absente : "
            "ce n'est pas un extrait FINESS etalab-cs1100507-stock",
        )
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=";",
            header=None,
            skiprows=1,
            names=range(40),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_NONE,
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(path, f"extrait FINESS illisible : {exc}") from exc
    section = raw[0].str.strip()
    struct = raw[section == "structureet"].iloc[:, : len(_STRUCTURE_COLUMNS)]
    geo = raw[section == "geolocalisation"].iloc[:, : len(_GEO_COLUMNS)]
    if struct.empty:
        raise DataFileError(path, "aucun enregistrement « structureet »")
    struct.columns, geo.columns = _STRUCTURE_COLUMNS, _GEO_COLUMNS
    return struct.drop(columns="section"), geo.drop(columns="section")


def load_finess(
    path: str | PathLike | None = None,
    categories=("msp", "centre_sante"),
    departement: str | int | list | None = None,
    buffer_km: float = 0.0,
) -> gpd.GeoDataFrame:
    """Load health establishments from the official FINESS extract (etalab "stock" file).

    Parameters
    ----------
    path : str or PathLike
        ``etalab-cs1100507-stock-AAAAMMJJ-HHMM.csv``: semicolon-separated, no
        header row, a first line ``finess;etalab;...``, then ``structureet``
        records (32 fields) and ``geolocalisation`` records (``nofinesset``,
        ``coordxet``, ``coordyet``, ``sourcecoordet``, ``datemaj``). ``None``
        downloads the current extract into the cache (``sources.fetch("finess")``).
    categories : iterable of str, default ("msp", "centre_sante")
        ``"msp"`` (categetab 603, Maison de santé L.6223-3), ``"centre_sante"``
        (124) or raw ``categetab`` codes.
    departement, buffer_km
        As in :func:`load_france_services`.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame: ``service_id`` = ``nofinesset``, ``nom`` =
        ``rslongue`` (else ``rs``), ``date_ouverture`` = ``dateouv``. Rows read
        are the ``structureet`` records of the asked categories; the others are
        counted in ``attrs["out_of_scope"]``. Coordinates are reprojected from
        the system each row states (Lambert-93, overseas UTM...).
    """
    if path is None:
        from . import sources

        path = sources.fetch("finess")
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    struct, geo = _read_finess(path)
    codes = {FINESS_CATEGORIES.get(str(c), str(c)): str(c) for c in categories}
    in_scope = struct["categetab"].str.strip().isin(list(codes)).to_numpy()
    geo = geo.drop_duplicates("nofinesset").rename(columns={"datemaj": "datemaj_geo"})
    table = struct[in_scope].merge(geo, on="nofinesset", how="left")
    dep = table["departement"].astype("string").str.strip()
    commune = dep.map(_FINESS_DEP).fillna(dep) + table["commune"].astype("string").str.strip()
    std = _standard(
        len(table),
        ids=table["nofinesset"],
        noms=table["rslongue"].fillna(table["rs"]),
        categorie=table["categetab"].str.strip().map(codes).to_numpy(dtype=object),
        insee=_codes(commune),
        dates=_parse_dates(table["dateouv"], len(table)),
    )
    frame = _assemble(
        table,
        *std,
        _to_float(table["coordxet"]),
        _to_float(table["coordyet"]),
        _finess_crs(table["sourcecoordet"]),
        coord_text=table[["coordxet", "coordyet"]].notna().any(axis=1).to_numpy(),
        departement=departement,
        buffer_km=buffer_km,
        source=path,
        label="load_finess",
    )
    frame.attrs["out_of_scope"] = int((~in_scope).sum())
    return frame


# ---------------------------------------------------------------------- BPE


def _departement_of(codes: pd.Series) -> pd.Series:
    """Département of commune codes: 3 characters overseas (97x), else 2."""
    codes = codes.astype("string")
    return codes.str.slice(0, 2).where(~codes.str.startswith("97").fillna(False), codes.str[:3])


def load_bpe(
    path: str | PathLike,
    communes: gpd.GeoDataFrame,
    code: str = "D201",
    categorie: str | None = None,
) -> gpd.GeoDataFrame:
    """Commune-level BPE counts as one point per commune, at its town hall.

    Parameters
    ----------
    path : str or PathLike
        CSV with a commune code column (``CODGEO``) and ``NB_<code>``.
    communes : geopandas.GeoDataFrame
        The territory, as returned by :func:`accessibilite.communes`
        (``code_insee``, ``nom``, ``mairie``).
    code : str, default "D201"
        BPE equipment code (D201 general practitioners, D107 maternity units).
    categorie : str, optional
        Value of ``categorie``; default ``"medecin_generaliste"`` for D201,
        ``"maternite"`` for D107, else the code in lower case.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame in the CRS of ``communes``, ``capacite`` =
        the count, ``service_id`` = ``<code>-<code commune>``. Rows of other
        départements are out of scope: not rejected, counted in
        ``attrs["out_of_scope"]``; rows read are the rows of the départements of
        ``communes``. A commune code of those départements absent from
        ``communes`` is rejected (``"commune inconnue"``), as is a zero or
        unreadable count.
    """
    table, path = _read_any(path)
    codgeo = _find(table.columns, ["codgeo", "depcom", "code_insee", "codecom"])
    count_col = _find(table.columns, [f"nb_{code.lower()}", code.lower()])
    for name, col in (("CODGEO", codgeo), (f"NB_{code}", count_col)):
        if col is None:
            raise MissingColumnError(path, name, table.columns)
    for col in ("code_insee", "mairie"):
        if col not in communes.columns:
            raise MissingColumnError(None, col, communes.columns)
    if communes.crs is None:
        raise InputError("le tableau des communes n'a pas de système de coordonnées (crs)")
    lookup = communes.set_index(communes["code_insee"].astype(str))
    codes = _codes(table[codgeo])
    in_scope = (
        _departement_of(codes).isin(set(_departement_of(lookup.index.to_series()))) | codes.isna()
    ).to_numpy()
    table, codes = table[in_scope].reset_index(drop=True), codes[in_scope].reset_index(drop=True)
    mairie = gpd.GeoSeries(lookup["mairie"], crs=communes.crs).reindex(codes).values
    count = _to_float(table[count_col])
    known = codes.isin(lookup.index).to_numpy()
    std = _standard(
        len(table),
        ids=(f"{code}-" + codes.fillna("?")).where(codes.notna(), None),
        noms=lookup["nom"].reindex(codes).to_numpy() if "nom" in lookup else None,
        categorie=categorie or _BPE_CATEGORIES.get(code, code.lower()),
        insee=codes,
        capacite=count,
    )
    target = communes.crs.to_string()
    frame = _assemble(
        table,
        *std,
        shapely.get_x(mairie),
        shapely.get_y(mairie),
        np.full(len(table), target, dtype=object),
        reasons=np.where(~known, UNKNOWN_COMMUNE, np.where(count > 0, None, BAD_COUNT)),
        target=target,
        source=path,
        label="load_bpe",
    )
    frame.attrs["out_of_scope"] = int((~in_scope).sum())
    return frame
