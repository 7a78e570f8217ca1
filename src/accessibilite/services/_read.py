"""Private reading helpers of the service loaders: files as text tables, columns, dates.

CSV (encoding and separator sniffed), Excel and vector point layers are read
into plain tables; column names are matched loosely (case, accents,
punctuation); commune codes, numbers and dates are parsed the French way.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataFileError

_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".gml", ".kml"}
def _decode(path: Path, encoding: str | None) -> str:
    """File text: UTF-8 (with or without BOM) first, then cp1252 and latin-1."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"fichier illisible ({exc.strerror or exc})") from exc
    raw = _decompress(path, raw)
    for enc in [encoding] if encoding else ["utf-8-sig", "cp1252", "latin-1"]:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DataFileError(path, f"encodage illisible ({encoding})")


def _decompress(path: Path, raw: bytes) -> bytes:
    """Bytes of a ``.xz`` / ``.gz`` / ``.bz2`` compressed CSV (the embedded lists), else as is."""
    import bz2
    import gzip
    import lzma

    codec = {".xz": lzma, ".lzma": lzma, ".gz": gzip, ".bz2": bz2}.get(path.suffix.lower())
    if codec is None:
        return raw
    try:
        return codec.decompress(raw)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DataFileError(path, f"fichier compressé illisible ({exc})") from exc


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
        from .. import sources

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


