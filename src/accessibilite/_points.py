"""Private core of the service loaders: reading, coordinates, standard frame, rejected rows.

Shared by :mod:`accessibilite.services` (France Services, any point file) and
:mod:`accessibilite.health` (FINESS, BPE counts). It reads tables as text,
recognises coordinate systems, checks the rows and builds the standard services
frame (see ``docs/services.md``): rows that cannot be used go to
``.attrs["rejected"]`` with a French ``reason``, and one
:class:`RejectedRowsWarning` summarises them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import DataFileError, InputError


class RejectedRowsWarning(UserWarning):
    """Some rows of a service file were rejected (details in ``.attrs["rejected"]``)."""


class RejectedRows(pd.DataFrame):
    """The rows a loader did not use, with a ``reason`` column (``.attrs["rejected"]``).

    A plain DataFrame, except that two ``RejectedRows`` compare as whole tables
    (``a == b`` is ``a.equals(b)``, a bool). pandas compares the ``.attrs`` of
    the frames it combines (``pd.concat``, ``merge``, ``astype``...); with an
    ordinary DataFrame stored there, that comparison is element-wise and
    raises, so a services frame could not be concatenated with another one.
    """

    @property
    def _constructor(self):
        return RejectedRows

    def __eq__(self, other):
        if isinstance(other, RejectedRows):
            return bool(self.equals(other))
        return super().__eq__(other)

    def __ne__(self, other):
        if isinstance(other, RejectedRows):
            return not self.equals(other)
        return super().__ne__(other)

    __hash__ = None


# Rejection reasons (French, user-facing), in the order they are checked.
MULTI_POINTS = "plusieurs points pour un site"
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


_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}
_STANDARD = ["service_id", "nom", "categorie", "code_insee", "date_ouverture", "itinerant"]


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


def _source_path(path, official: str | None = None) -> Path:
    """``path`` as an existing file; ``None`` downloads the ``official`` source into the cache."""
    if path is None and official is not None:
        from . import sources

        path = sources.fetch(official)
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    return path


def _read_any(path, layer=None, sep=None, encoding=None) -> tuple[pd.DataFrame, Path]:
    """Read a CSV, or any vector file pyogrio reads (a GeoDataFrame then)."""
    path = _source_path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(path, layer), path
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        return _read_csv(path, sep, encoding), path
    layer = _point_layer(path, layer)
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding), path
    except Exception as exc:  # pyogrio raises several unrelated classes
        raise DataFileError(path, f"fichier géographique illisible : {exc}") from exc


def _point_layer(path: Path, layer):
    """``layer``, else the only layer with geometries; several → error naming them.

    GDAL would silently read the first layer of a multi-layer GeoPackage;
    attribute-only tables (QGIS ``layer_styles``) do not count.
    """
    if layer is not None:
        return layer
    try:
        import pyogrio

        layers = pyogrio.list_layers(path)
    except Exception:  # unreadable: gpd.read_file reports it
        return None
    spatial = [str(name) for name, kind in layers if kind is not None]
    if len(layers) <= 1 or len(spatial) == 1:
        return spatial[0] if len(layers) > 1 else None
    raise DataFileError(
        path,
        f"{len(layers)} couches ({', '.join(str(name) for name in layers[:, 0])}) : "
        "indiquez la couche à lire avec layer=",
    )


def _normal_name(name) -> str:
    """Column name without case, accents, spaces or hyphens: ``"Coordonnées GPS"`` → ``"coordonnees_gps"``."""
    text = unicodedata.normalize("NFKD", str(name).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", text)


def _find(columns, names) -> str | None:
    """First column matching one of ``names`` (case, accents, spaces and hyphens ignored)."""
    normal = {}
    for c in columns:
        normal.setdefault(_normal_name(c), c)
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


def _xy_columns(table: pd.DataFrame, x: str, y: str):
    """x, y float arrays of two coordinate columns, and the rows where either cell is written."""
    written = table[[x, y]].notna().any(axis=1).to_numpy()
    return _to_float(table[x]), _to_float(table[y]), written


def _codes(values) -> pd.Series:
    """Commune codes as 5-character strings (restores a lost leading zero)."""
    text = _text(values).astype("string")
    return _text(text.where(~text.str.fullmatch(r"\d{4}").fillna(False), "0" + text))


#: Municipal arrondissements of Paris, Marseille and Lyon (INSEE and the ANCT
#: lists code them apart; the commune frames have one commune): first, last, commune.
_ARRONDISSEMENTS = (("75101", "75120", "75056"), ("13201", "13216", "13055"),
                    ("69381", "69389", "69123"))  # fmt: skip


def _commune_of_arrondissement(codes) -> pd.Series:
    """Commune code of each code: ``13201`` → ``13055``; other codes unchanged."""
    out = pd.Series(codes, dtype=object).reset_index(drop=True)
    text = out.astype("string")
    for first, last, commune in _ARRONDISSEMENTS:
        inside = ((text >= first) & (text <= last) & (text.str.len() == 5)).fillna(False)
        out[inside.to_numpy(dtype=bool)] = commune
    return out


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
            "code_insee": _commune_of_arrondissement(
                _text(insee if insee is not None else [None] * n)
            ),
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


def _known_crs(names) -> np.ndarray:
    """Each CRS name in its ``EPSG:XXXX`` form; None when missing or unknown to pyproj."""
    return np.array([_crs_name(c) if isinstance(c, str) else None for c in names], dtype=object)


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


def _overseas_crs(departement, codes: pd.Series) -> str | None:
    """The overseas département's CRS a file's points may be in, if it is for one.

    From ``departement=``, else from the commune codes (most of them in one
    overseas département); None for metropolitan France or a mix.
    """
    from .datafrance import _OVERSEAS_CRS, _validate_departements, departement_of

    if departement is not None:
        deps = set(_validate_departements(departement))
    else:
        counts = departement_of(pd.Series(codes, dtype=object)).value_counts()
        deps = {counts.index[0]} if len(counts) and counts.iloc[0] > counts.sum() / 2 else set()
    crss = {_OVERSEAS_CRS.get(dep) for dep in deps}
    return crss.pop() if len(crss) == 1 else None


def _guess_crs(x: np.ndarray, y: np.ndarray, path, overseas: str | None = None) -> str:
    """WGS84, Lambert-93 or Lambert II étendu, whichever fits most coordinates.

    ``overseas``: the CRS of the overseas département the file is for (see
    :func:`_overseas_crs`), chosen first when it puts most points in France;
    the Antilles' UTM 20N values would otherwise pass for Lambert II étendu.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return "EPSG:4326"
    if overseas is not None:
        with np.errstate(all="ignore"):
            lon, lat = _transformer(overseas, "EPSG:4326").transform(x, y)
        if np.mean(_in_france(np.asarray(lon), np.asarray(lat))) >= 0.5:
            return overseas
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
        return _known_crs(codes)
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
    columns = [*_STANDARD, "geometry", *(["capacite"] if "capacite" in std else [])]
    accepted = std[keep].reset_index(drop=True)
    accepted["geometry"] = gpd.points_from_xy(gx[keep], gy[keep])
    if departement is not None:
        accepted["code_insee"] = _fill_insee(
            accepted["code_insee"], gx[keep], gy[keep], departement
        )
    frame = gpd.GeoDataFrame(
        pd.concat([accepted[columns], extra[keep].reset_index(drop=True)], axis=1),
        geometry="geometry",
        crs=target,
    )
    rejected = table[~keep].assign(reason=reason[~keep].to_numpy())
    frame.attrs.update(rejected=RejectedRows(rejected), source=str(source), rows_read=n)
    _warn(rejected, n, label, source)
    return frame


def _fill_insee(codes: pd.Series, x: np.ndarray, y: np.ndarray, departement) -> pd.Series:
    """Missing commune codes found from the département's commune polygons.

    Points in the margin around the département (``buffer_km``) keep no code.
    """
    codes = codes.astype(object).where(codes.notna() & (codes.astype(str) != ""), None)
    missing = np.flatnonzero(codes.isna().to_numpy())
    if not len(missing):
        return codes
    from .territories import communes

    com = communes(departement)
    point, polygon = shapely.STRtree(com.geometry.values).query(
        shapely.points(x[missing], y[missing]), predicate="within"
    )
    first = ~pd.Series(point).duplicated().to_numpy()  # a point on a shared border: first commune
    codes.iloc[missing[point[first]]] = com["code_insee"].to_numpy()[polygon[first]]
    return codes


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
