"""Tables of the results: GeoPackage layers and CSV files, deterministic (byte-identical reruns)."""

from __future__ import annotations

__all__ = ["write_geopackage", "write_csv"]

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.indicators import (
    TERRITORY_COLUMNS,  # columns written first in cantons.csv / epci.csv
    )
from ..errors import InputError
from .style import (
    _parts,
)

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
    "distance_km",
)
#: Decimals written in the CSV files, per column (other float columns: 4).
DECIMALS = {
    "temps_min": 2,
    "distance_km": 3,
    "temps_max_min": 2,
    "snap_m": 1,
    # inhabitants (a fraction of a commune with origine="carreaux"): one decimal
    "population_au_dela_seuil": 1,
}
# ----------------------------------------------------------------------------- frames
def _plain(frame: pd.DataFrame, geometry: bool) -> pd.DataFrame:
    """Copy of ``frame`` ready to write: no extra geometry, no inf, bool as 0/1.

    Extra point-geometry columns (``mairie``) become ``<col>_x`` / ``<col>_y``
    columns; other extra geometries become WKT text.
    """
    import geopandas as gpd
    import shapely

    active = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if col == active:
            if geometry:
                out[col] = s
            continue
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            arr = s.array.to_numpy() if hasattr(s.array, "to_numpy") else np.asarray(s)
            if (shapely.get_type_id(arr) == 0).all():
                out[f"{col}_x"] = np.round(shapely.get_x(arr), 2)
                out[f"{col}_y"] = np.round(shapely.get_y(arr), 2)
            else:
                out[col] = shapely.to_wkt(arr, rounding_precision=2)
            continue
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("Int64")
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.astype(float).replace([np.inf, -np.inf], np.nan)
        elif s.dtype == object:
            values = s.dropna()
            if len(values) and values.map(lambda v: isinstance(v, bool | np.bool_)).all():
                out[col] = s.map(lambda v: None if v is None or v is pd.NA else int(v)).astype(
                    "Int64"
                )
            elif values.map(lambda v: isinstance(v, str)).all():
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


def _layers(deficits, services, isochrones) -> dict[str, gpd.GeoDataFrame]:
    parts = _parts(deficits)
    layers = {"communes": _sorted(parts["communes"], "code_insee")}
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

    Returns
    -------
    Path
        The file, with layers ``communes``, ``cantons``, ``epci`` (those present
        in ``deficits``), ``services`` and ``isochrones`` (when given). A layer
        holds one geometry: the town-hall points become ``mairie_x`` /
        ``mairie_y`` columns (Lambert-93 metres); unreachable times (``inf``)
        are NULL; booleans are 0/1 integers.
    """
    import pyogrio

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path}: le fichier de sortie doit avoir l'extension .gpkg")
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)
    # a fixed gpkg_contents.last_change keeps reruns byte-identical
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        for name, frame in _layers(deficits, services, isochrones).items():
            frame = _plain(frame, geometry=True)
            pyogrio.write_dataframe(
                frame,
                path,
                layer=name,
                driver="GPKG",
                append=path.exists(),
                promote_to_multi=name != "services",
                layer_options={"SPATIAL_INDEX": "YES"},
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    return path


def _csv_text(frame: pd.DataFrame, first: Sequence[str], key: str) -> str:
    frame = _sorted(_plain(frame, geometry=False), key)
    cols = [c for c in first if c in frame.columns]
    cols += [c for c in frame.columns if c not in cols]
    out = pd.DataFrame(index=frame.index)
    for col in cols:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            digits = DECIMALS.get(col, 2 if col.endswith(("_x", "_y")) else 4)
            out[col] = [f"{v:.{digits}f}" if np.isfinite(v) else "" for v in s.to_numpy()]
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        else:
            out[col] = s
    return out.to_csv(index=False, lineterminator="\n")


def write_csv(deficits, folder) -> dict[str, Path]:
    """Write ``communes.csv``, ``cantons.csv`` and ``epci.csv`` into ``folder``.

    Parameters
    ----------
    deficits : Deficits
        Result of :func:`~accessibilite.indicators.flag_deficits`.
    folder : str or Path
        Output folder (created if needed).

    Returns
    -------
    dict of str to Path
        The written files by table name. UTF-8, comma-separated, ``.`` as the
        decimal mark, rows sorted by code; minutes with 2 decimals, shares
        (0 to 1) with 4; booleans as 0/1; an unreachable time is an empty cell.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = _parts(deficits)
    tables = {"communes": (parts["communes"], COMMUNE_COLUMNS, "code_insee")}
    for name in ("cantons", "epci"):
        if parts[name] is not None:
            tables[name] = (parts[name], TERRITORY_COLUMNS, "code")
    written = {}
    for name, (frame, first, key) in tables.items():
        path = folder / f"{name}.csv"
        path.write_text(_csv_text(frame, first, key), encoding="utf-8", newline="")
        written[name] = path
    return written

