"""Service locations: France Services lists, generic point files, FINESS, BPE counts.

Every loader returns the standard services frame (see ``docs/architecture.md``):
a GeoDataFrame with ``service_id``, ``nom``, ``categorie``, ``code_insee``,
``date_ouverture``, ``itinerant``, ``geometry`` (Point, EPSG:2154 or the
département's CRS overseas), ``capacite`` where relevant, then the source
columns. Rows that cannot be used are never dropped silently: they go to
``.attrs["rejected"]`` with a French ``reason`` and a one-line
:class:`RejectedRowsWarning` summarises them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import DataFileError, InputError, MissingColumnError

__all__ = [
    "RejectedRowsWarning",
    "load_france_services",
    "load_points",
    "load_finess",
    "load_bpe",
]


class RejectedRowsWarning(UserWarning):
    """Some rows of a service file were rejected (details in ``.attrs["rejected"]``)."""


# Rejection reasons (French, user-facing).
NO_COORDS = "coordonnées manquantes"
BAD_COORDS = "coordonnées illisibles"
OUT_OF_FRANCE = "coordonnées hors de France"
SWAPPED = "latitude et longitude inversées"
OUT_OF_TERRITORY = "hors du territoire"
BAD_DATE = "date illisible"
NO_ID = "identifiant manquant"
DUPLICATE_ID = "identifiant en double"
UNKNOWN_CRS = "système de coordonnées inconnu"
UNKNOWN_COMMUNE = "commune inconnue"
BAD_COUNT = "effectif nul ou illisible"

#: lon/lat boxes of France: metropolitan + Corsica, DROM, COM (Pacific included).
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

#: CRS of the overseas départements (same as ``territories``); others: settings.crs.
_DEPARTEMENT_CRS = {
    "971": "EPSG:5490",
    "972": "EPSG:5490",
    "973": "EPSG:2972",
    "974": "EPSG:2975",
    "976": "EPSG:4471",
}

#: Coordinate column pairs (x, y) searched case-insensitively, in this order.
_XY_NAMES = [
    ("longitude", "latitude"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("long", "lat"),
    ("xlong", "ylat"),
    ("x_wgs84", "y_wgs84"),
    ("lambert_x", "lambert_y"),
    ("x_l93", "y_l93"),
    ("xl93", "yl93"),
    ("x_lambert93", "y_lambert93"),
    ("coordx", "coordy"),
    ("coord_x", "coord_y"),
    ("coordxet", "coordyet"),
    ("x", "y"),
]
#: Single columns holding "lat, lon" (opendatasoft) or {"lon": .., "lat": ..}.
_LATLON_NAMES = ["geo_point_2d", "geo_point", "geopoint", "point_geo", "coordonnees", "latlon"]
_ID_NAMES = ["id", "identifiant", "uid", "id_fs", "nofinesset"]
_NOM_NAMES = ["nom", "name", "libelle", "lib_fs", "raison_sociale", "rs", "denomination"]
_INSEE_NAMES = [
    "code_insee", "codeinsee", "insee", "insee_com", "codgeo", "depcom", "com_code",
    "code_commune_insee", "code_commune", "citycode", "result_citycode",
]  # fmt: skip
_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}

#: FINESS category codes (``categetab``) of the named categories.
FINESS_CATEGORIES = {"msp": "603", "centre_sante": "124"}
#: FINESS overseas département codes → INSEE prefix of the commune code.
_FINESS_DEP = {"9A": "97", "9B": "97", "9C": "97", "9D": "97", "9E": "97", "9F": "97"}
_FINESS_DEP.update({"9J": "98"})
#: Legacy FINESS system names (``sourcecoordet``) → EPSG code.
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
_STANDARD = ["service_id", "nom", "categorie", "code_insee", "date_ouverture", "itinerant"]


# ------------------------------------------------------------------ reading


def _decode(path: Path, encoding: str | None) -> str:
    """File text, UTF-8 (with or without BOM) first, then cp1252."""
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
        header = sample.splitlines()[0] if sample else ""
        return max(";,\t", key=header.count)


def _read_csv(path: Path, sep: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """All columns as strings, empty cells as NaN, never "NA" → NaN."""
    text = _decode(path, encoding)
    if not text.strip():
        raise DataFileError(path, "fichier vide")
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep or _sniff_sep(text), dtype=str,
            keep_default_na=False, na_values=[""], skipinitialspace=True,
        )  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(path, f"CSV illisible : {exc}") from exc


def _read_any(path, layer=None, sep=None, encoding=None) -> tuple[pd.DataFrame, Path]:
    """Read a CSV or any vector file readable by pyogrio (GeoDataFrame then)."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        return _read_csv(path, sep, encoding), path
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding)
    except Exception as exc:  # pyogrio raises several unrelated classes
        raise DataFileError(path, f"fichier géographique illisible : {exc}") from exc
    return frame, path


def _find(columns, names) -> str | None:
    """First column of ``columns`` matching one of ``names`` case-insensitively."""
    lower = {re.sub(r"[\s\-]+", "_", str(c).strip().lower()): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _require(frame: pd.DataFrame, column: str | None, path) -> str | None:
    if column is not None and column not in frame.columns:
        raise MissingColumnError(path, column, frame.columns)
    return column


def _to_float(values: pd.Series) -> np.ndarray:
    """Numbers with French decimal commas or spaces as thousands separators."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    text = values.astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _codes(values: pd.Series) -> pd.Series:
    """Commune codes as 5-character strings (restores a lost leading zero)."""
    if pd.api.types.is_numeric_dtype(values):
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    text = text.where(~text.str.fullmatch(r"\d{4}").fillna(False), "0" + text)
    return _text(text)


def _parse_dates(values: pd.Series | None, n: int) -> tuple[pd.Series, np.ndarray]:
    """Parse ``DD/MM/YYYY`` (also inside text) or ISO dates; return dates and bad mask."""
    if values is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"), np.zeros(n, bool)
    text = values.astype("string").str.strip()
    fr = pd.to_datetime(text.str.extract(r"(\d{1,2}/\d{1,2}/\d{4})")[0], format="%d/%m/%Y",
                        errors="coerce")  # fmt: skip
    iso = pd.to_datetime(text.str.extract(r"(\d{4}-\d{2}-\d{2})")[0], format="%Y-%m-%d",
                         errors="coerce")  # fmt: skip
    dates = fr.fillna(iso).astype("datetime64[ns]").reset_index(drop=True)
    bad = (text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    return dates, bad & dates.isna().to_numpy()


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
    lon, lat = lon[:, None], lat[:, None]
    b = _FRANCE_BOXES
    inside = (lon >= b[:, 0]) & (lon <= b[:, 1]) & (lat >= b[:, 2]) & (lat <= b[:, 3])
    return inside.any(axis=1)


def _lonlat(x: np.ndarray, y: np.ndarray, crs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row CRS (array of strings, None = unknown) → WGS84 lon/lat (NaN if unknown)."""
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for code in pd.unique(crs[pd.notna(crs)]):
        rows = crs == code
        with np.errstate(all="ignore"):
            lon[rows], lat[rows] = _transformer(code, "EPSG:4326").transform(x[rows], y[rows])
    return lon, lat


def _guess_crs(x: np.ndarray, y: np.ndarray, path) -> str:
    """WGS84, Lambert-93 or Lambert II étendu from the coordinate ranges."""
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
            f"{path}: système de coordonnées non reconnu (ni WGS84 ni Lambert-93) ; "
            "indiquez-le avec crs=, par exemple crs='EPSG:3857'"
        )
    return best


def _target_crs(departement) -> str:
    if departement is None:
        return settings.crs
    codes = [departement] if isinstance(departement, str | int) else list(departement)
    crss = {_DEPARTEMENT_CRS.get(str(c).upper(), settings.crs) for c in codes}
    return crss.pop() if len(crss) == 1 else settings.crs


# ---------------------------------------------------------------- assembly


def _assemble(table: pd.DataFrame, *, x, y, crs, ids, noms, categorie, insee, dates=None,
              itinerant=None, capacite=None, reasons=None, departement=None, buffer_km=0.0,
              coord_text=None, target=None, drop=(), source=None, label="load_points",
              ) -> gpd.GeoDataFrame:  # fmt: skip
    """Validate rows, build the standard frame, record rejected rows and warn.

    ``x``, ``y`` are float arrays in ``crs`` (one CRS string, or one per row,
    None for an unknown system); ``coord_text`` marks rows whose coordinate
    cells hold text (NaN there means unreadable, not missing); ``reasons`` may
    hold reasons found earlier.
    """
    n = len(table)
    table = table.reset_index(drop=True)
    reason = pd.Series(reasons if reasons is not None else [None] * n, dtype=object)

    def flag(mask, text):
        mask = np.asarray(mask, dtype=bool) & reason.isna().to_numpy()
        reason[mask] = text

    crs_rows = np.full(n, crs, dtype=object) if isinstance(crs, str) else np.asarray(crs)
    missing = np.isnan(x) | np.isnan(y)
    flag(missing & ~(np.zeros(n, bool) if coord_text is None else coord_text), NO_COORDS)
    flag(missing, BAD_COORDS)
    flag(pd.isna(crs_rows), UNKNOWN_CRS)
    lon, lat = _lonlat(x, y, crs_rows)
    in_fr = _in_france(lon, lat)
    slon, slat = _lonlat(y, x, crs_rows)
    flag(~in_fr & _in_france(slon, slat), SWAPPED)
    flag(~in_fr, OUT_OF_FRANCE)
    dates, bad_dates = dates if dates is not None else _parse_dates(None, n)
    flag(bad_dates, BAD_DATE)
    ids = pd.Series(ids, dtype=object).reset_index(drop=True)
    flag(ids.isna(), NO_ID)
    flag(ids.where(reason.isna()).duplicated() & ids.notna(), DUPLICATE_ID)
    target = target or _target_crs(departement)
    gx, gy = _transformer("EPSG:4326", target).transform(lon, lat)
    same = (crs_rows == target) & in_fr  # no round trip through WGS84 when not needed
    gx, gy = np.where(same, x, gx), np.where(same, y, gy)
    if departement is not None:
        from .territories import departement_contour

        contour = departement_contour(departement, buffer_km)
        shapely.prepare(contour)
        inside = np.zeros(n, bool)
        ok = np.isfinite(gx) & np.isfinite(gy)
        inside[ok] = shapely.contains_xy(contour, gx[ok], gy[ok])
        flag(~inside, OUT_OF_TERRITORY)

    keep = reason.isna().to_numpy()
    std = {
        "service_id": ids.astype("string").astype(object),
        "nom": pd.Series(noms, dtype=object).reset_index(drop=True),
        "categorie": pd.Series(categorie, index=range(n), dtype=object),
        "code_insee": pd.Series(insee, dtype=object).reset_index(drop=True),
        "date_ouverture": dates,
        "itinerant": pd.Series(
            itinerant if itinerant is not None else False, index=range(n), dtype=bool
        ),  # fmt: skip
    }
    out = pd.DataFrame(std)
    extra = table.drop(columns=[c for c in table.columns if c == "geometry" or c in drop])
    extra = extra.rename(columns={c: f"{c}_source" for c in extra.columns if c in _STANDARD
                                  or c == "capacite"})  # fmt: skip
    geometry = gpd.points_from_xy(gx[keep], gy[keep], crs=target)
    frame = out[keep].reset_index(drop=True)
    frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=target)
    if capacite is not None:
        frame["capacite"] = np.asarray(capacite, dtype=float)[keep]
    frame = pd.concat([frame, extra[keep].reset_index(drop=True)], axis=1)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=target)

    rejected = table[~keep].copy()
    rejected["reason"] = reason[~keep].to_numpy()
    frame.attrs["rejected"] = rejected
    frame.attrs["source"] = str(source) if source is not None else None
    frame.attrs["rows_read"] = n
    _warn(rejected, n, label, source)
    return frame


def _warn(rejected: pd.DataFrame, n: int, label: str, source) -> None:
    if not len(rejected):
        return
    counts = rejected["reason"].value_counts(sort=False).sort_index()
    detail = ", ".join(f"{reason} : {count}" for reason, count in counts.items())
    name = Path(str(source)).name if source is not None else "données"
    warnings.warn(
        f"{label} ({name}) : {len(rejected)} ligne(s) rejetée(s) sur {n} — {detail} "
        "(détail dans .attrs['rejected'])",
        RejectedRowsWarning,
        stacklevel=4,
    )


def _text(values: pd.Series) -> pd.Series:
    """Stripped strings (object dtype, None when empty); integers without ``.0``."""
    if pd.api.types.is_float_dtype(values) and np.all(values.dropna() % 1 == 0):
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.where(text != "").astype(object).where(text.notna() & (text != ""), None)


def _generated_ids(prefix: str, n: int) -> list[str]:
    width = len(str(n))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)]


# ---------------------------------------------------------------- public API


def load_france_services(source=None, date=None, departement=None, buffer_km: float = 0.0):
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
    n = len(table)
    cols = set(table.columns)
    if {"id_fs", "lib_fs", "latitude", "longitude"} <= cols:
        schema = "2024"
        ids = _text(table["id_fs"])
        noms = _text(table["lib_fs"])
        insee = _codes(table["insee_com"]) if "insee_com" in cols else None
        dates = _parse_dates(table.get("labellisation_fs"), n)
        fmt = table.get("format_fs", pd.Series(index=table.index, dtype=object)).astype("string")
        itinerant = fmt.str.strip().isin(["Bus_équivalent", "Itinérante"]).fillna(False)
        xcol, ycol = "longitude", "latitude"
    elif {"lib_france_services", "lat", "long"} <= cols:
        schema = "2020"
        ids = _generated_ids("2020", n)
        noms = _text(table["lib_france_services"])
        codes = [table[c] for c in ("result_citycode", "insee_com") if c in cols]
        insee = (
            _codes(codes[0].fillna(codes[1]) if len(codes) == 2 else codes[0]) if codes else None
        )
        dates = None
        itin = table.get("itinerance", pd.Series(index=table.index, dtype=object))
        itinerant = (itin.astype("string").str.strip().str.lower() == "oui").fillna(False)
        xcol, ycol = "long", "lat"
    else:
        wanted = ["lib_france_services", "lat", "long"] if "lib_france_services" in cols else [
            "id_fs", "lib_fs", "latitude", "longitude"]  # fmt: skip
        raise MissingColumnError(path, next(c for c in wanted if c not in cols), table.columns)
    if date is not None and schema == "2020":
        raise InputError(
            f"{path}: la liste de janvier 2020 ne donne pas de date de labellisation ; "
            "date= n'est utilisable qu'avec la liste 2024 (labellisation_fs)"
        )
    frame = _assemble(
        table, x=_to_float(table[xcol]), y=_to_float(table[ycol]), crs="EPSG:4326",
        ids=ids, noms=noms, categorie="france_services", insee=insee, dates=dates,
        itinerant=np.asarray(itinerant, dtype=bool), departement=departement,
        buffer_km=buffer_km, coord_text=table[[xcol, ycol]].notna().any(axis=1).to_numpy(),
        source=path, label="load_france_services",
    )  # fmt: skip
    frame.attrs["schema"] = schema
    frame.attrs["filtered_by_date"] = 0
    if date is not None:
        try:
            when = pd.Timestamp(date)
        except (ValueError, TypeError) as exc:
            raise InputError(f"date illisible : {date!r} (attendu AAAA-MM-JJ)") from exc
        attrs = dict(frame.attrs)
        keep = (frame["date_ouverture"] <= when).to_numpy()
        frame = frame[keep].reset_index(drop=True)
        frame.attrs = attrs | {"filtered_by_date": int((~keep).sum()), "date": str(when.date())}
    return frame


def load_points(path, categorie: str, *, x=None, y=None, crs=None, id_col=None, nom_col=None,
                insee_col=None, date_col=None, capacite_col=None, departement=None,
                buffer_km: float = 0.0, layer=None, sep=None, encoding=None):  # fmt: skip
    """Load service points from any CSV, GeoJSON, GeoPackage or Shapefile.

    Parameters
    ----------
    path : str or PathLike
        The file. CSV separators ``;``, ``,`` and tab are sniffed; UTF-8 is
        tried first, then cp1252. Other formats are read with pyogrio.
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
        (``"EPSG:2154"`` or ``2154``). By default the file's own CRS, else
        guessed from the values (WGS84, Lambert-93 or Lambert II étendu).
    id_col, nom_col, insee_col, date_col, capacite_col : str, optional
        Source columns of ``service_id``, ``nom``, ``code_insee``,
        ``date_ouverture`` and ``capacite``. ``id``, ``nom``, ``code_insee``
        and a few usual variants are found automatically; without an id
        column, ids are ``<categorie>-<row number>``.
    departement, buffer_km
        As in :func:`load_france_services`.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage).
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
        _require(table, col, path)
    if (x is None) != (y is None):
        raise InputError("donnez les deux colonnes de coordonnées x= et y=, ou aucune")
    coord_text = None
    if isinstance(table, gpd.GeoDataFrame):
        file_crs = table.crs.to_string() if table.crs is not None else None
        geoms = table.geometry.values
        table = pd.DataFrame(table).rename(columns={table.geometry.name: "geometry"})
    else:
        file_crs, geoms = None, None
    if x is None and geoms is not None and not shapely.is_missing(geoms).all():
        pts = shapely.point_on_surface(geoms)
        xs, ys = shapely.get_x(pts), shapely.get_y(pts)
        src = crs or file_crs or _guess_crs(xs, ys, path)
    else:
        if x is None:
            x, y = next(((a, b) for a, b in ((_find(table.columns, [p]), _find(table.columns, [q]))
                                             for p, q in _XY_NAMES) if a and b), (None, None))  # fmt: skip
        if x is not None:
            xs, ys = _to_float(table[x]), _to_float(table[y])
            coord_text = table[[x, y]].notna().any(axis=1).to_numpy()
        elif (col := _find(table.columns, _LATLON_NAMES)) is not None:
            xs, ys = _split_latlon(table[col])
            coord_text = table[col].notna().to_numpy()
        else:
            raise MissingColumnError(
                path, "longitude/latitude (ou lon/lat, x/y, LAMBERT_X/LAMBERT_Y, geo_point_2d)",
                table.columns,
            )  # fmt: skip
        src = crs or _find(table.columns, ["epsg"]) or _guess_crs(xs, ys, path)
    if src in table.columns:  # one system per row, e.g. BPE's "EPSG" column
        codes = _text(table[src]).str.replace(r"^(\d{4,5})$", r"EPSG:\1", regex=True)
        src = codes.map(lambda c: _crs_name(c) if isinstance(c, str) else None).to_numpy()
    elif _crs_name(src) is None:
        raise InputError(f"{path}: système de coordonnées inconnu : {src!r}")
    else:
        src = _crs_name(src)
    n = len(table)
    id_col = id_col or _find(table.columns, _ID_NAMES)
    nom_col = nom_col or _find(table.columns, _NOM_NAMES)
    insee_col = insee_col or next(
        (c for c in (_find(table.columns, [name]) for name in _INSEE_NAMES)
         if c is not None and table[c].notna().any()), None)  # fmt: skip
    return _assemble(
        table, x=np.asarray(xs, float), y=np.asarray(ys, float), crs=src,
        ids=_text(table[id_col]) if id_col else _generated_ids(categorie, n),
        noms=_text(table[nom_col]) if nom_col else [None] * n, categorie=categorie,
        insee=_codes(table[insee_col]) if insee_col else [None] * n,
        dates=_parse_dates(table[date_col], n) if date_col else None,
        capacite=_to_float(table[capacite_col]) if capacite_col else None,
        departement=departement, buffer_km=buffer_km, coord_text=coord_text, source=path,
        drop={c for c in (id_col, nom_col, insee_col, date_col, capacite_col) if c in _STANDARD},
    )  # fmt: skip


def _split_latlon(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``"lat, lon"`` (opendatasoft ``geo_point_2d``) or ``{"lon": .., "lat": ..}`` → x, y."""
    text = values.astype("string")
    num = r"(-?\d+(?:\.\d+)?)"
    pair = text.str.extract(rf"^\s*\[?\s*{num}\s*[,;]\s*{num}")
    lat = pair[0].fillna(text.str.extract(rf'"lat"\s*:\s*{num}')[0])
    lon = pair[1].fillna(text.str.extract(rf'"lon"\s*:\s*{num}')[0])
    return _to_float(lon), _to_float(lat)


def _finess_crs(values: pd.Series) -> np.ndarray:
    """EPSG code stated by each ``sourcecoordet`` (None when unknown)."""
    text = values.astype("string").str.upper()
    epsg = "EPSG:" + text.str.extract(r"EPSG\s*:\s*(\d{4,5})")[0]
    for name, code in _FINESS_CRS.items():
        epsg = epsg.fillna(text.where(text.str.contains(name, regex=False).fillna(False)).map(
            lambda v, code=code: code if isinstance(v, str) else None))  # fmt: skip
    utm = text.str.extract(r"UTM\s*ZONE\s*(\d{1,2})\s*([NS])")
    utm_code = "EPSG:32" + utm[1].map({"N": "6", "S": "7"}) + utm[0].str.zfill(2)
    return _text(epsg.fillna(utm_code)).to_numpy(dtype=object)


def load_finess(path=None, categories=("msp", "centre_sante"), departement=None, buffer_km=0.0):
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
    text = _decode(path, None)
    if not text.lower().startswith("finess;etalab"):
        raise DataFileError(path, "première ligne « finess;etalab;… » absente : ce n'est pas "
                            "un extrait FINESS etalab-cs1100507-stock")  # fmt: skip
    try:
        raw = pd.read_csv(io.StringIO(text), sep=";", header=None, skiprows=1, names=range(40),
                          dtype=str, keep_default_na=False, na_values=[""],
                          quoting=csv.QUOTE_NONE, index_col=False)  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(path, f"extrait FINESS illisible : {exc}") from exc
    section = raw[0].str.strip()
    struct = raw[section == "structureet"].iloc[:, : len(_STRUCTURE_COLUMNS)]
    struct.columns = _STRUCTURE_COLUMNS
    geo = raw[section == "geolocalisation"].iloc[:, : len(_GEO_COLUMNS)]
    geo.columns = _GEO_COLUMNS
    if struct.empty:
        raise DataFileError(path, "aucun enregistrement « structureet »")
    codes = {FINESS_CATEGORIES.get(c, str(c)): c for c in categories}
    in_scope = struct["categetab"].str.strip().isin(list(codes)).to_numpy()
    geo = geo.drop(columns="section").rename(columns={"datemaj": "datemaj_geo"})
    table = struct[in_scope].drop(columns="section").merge(
        geo.drop_duplicates("nofinesset"), on="nofinesset", how="left")  # fmt: skip
    dep = table["departement"].astype("string").str.strip()
    prefix = dep.map(_FINESS_DEP).fillna(dep)
    n = len(table)
    frame = _assemble(
        table, x=_to_float(table["coordxet"]), y=_to_float(table["coordyet"]),
        crs=_finess_crs(table["sourcecoordet"]), ids=_text(table["nofinesset"]),
        noms=_text(table["rslongue"].fillna(table["rs"])),
        categorie=table["categetab"].str.strip().map(codes).to_numpy(dtype=object),
        insee=_codes(prefix + table["commune"].astype("string").str.strip()),
        dates=_parse_dates(table["dateouv"], n), departement=departement, buffer_km=buffer_km,
        coord_text=table[["coordxet", "coordyet"]].notna().any(axis=1).to_numpy(),
        source=path, label="load_finess",
    )  # fmt: skip
    frame.attrs["out_of_scope"] = int((~in_scope).sum())
    return frame


def load_bpe(path, communes: gpd.GeoDataFrame, code: str = "D201", categorie=None):
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
    codes = _codes(table[codgeo])
    dep_of = codes.str.slice(0, 2).where(~codes.str.startswith("97").fillna(False),
                                         codes.str.slice(0, 3))  # fmt: skip
    known_codes = communes["code_insee"].astype(str)
    deps = set(known_codes.str.slice(0, 2).where(~known_codes.str.startswith("97"),
                                                 known_codes.str.slice(0, 3)))  # fmt: skip
    in_scope = dep_of.isin(deps).to_numpy()
    table, codes = table[in_scope].reset_index(drop=True), codes[in_scope].reset_index(drop=True)
    lookup = communes.set_index(known_codes)
    known = codes.isin(lookup.index).to_numpy()
    mairie = gpd.GeoSeries(lookup["mairie"], crs=communes.crs).reindex(codes).values
    count = _to_float(table[count_col])
    reasons = np.where(~known, UNKNOWN_COMMUNE, np.where(~(count > 0), BAD_COUNT, None))
    target = communes.crs.to_string()
    frame = _assemble(
        table, x=shapely.get_x(mairie), y=shapely.get_y(mairie), crs=target,
        ids=(f"{code}-" + codes).astype(object),
        noms=lookup["nom"].reindex(codes).to_numpy() if "nom" in lookup else [None] * len(codes),
        categorie=categorie or {"D201": "medecin_generaliste", "D107": "maternite"}.get(
            code, code.lower()), insee=codes, capacite=count, reasons=reasons,
        target=target, source=path, label="load_bpe",
    )  # fmt: skip
    frame.attrs["out_of_scope"] = int((~in_scope).sum())
    return frame
