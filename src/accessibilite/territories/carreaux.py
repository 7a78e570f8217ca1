"""INSEE Filosofi 200 m gridded population ("données carroyées") loader.

The official files (INSEE, *Revenus, pauvreté et niveau de vie en 2019 —
Données carroyées*, https://www.insee.fr/fr/statistiques/7655475) come as a
GeoPackage ``carreaux_200m_met.gpkg`` (squares in EPSG:3035, LAEA Europe) and
as a CSV ``carreaux_200m_met.csv`` without geometry. One row per inhabited
200 m cell; the columns used here are

``idcar_200m``
    INSPIRE cell code ``CRS3035RES200mN<y>E<x>``: CRS, cell size and the
    coordinates of the cell's lower-left corner.
``lcog_geo``
    Code(s) of the commune(s) the cell overlaps, concatenated without separator
    (``"40192"``, or ``"4019240279"`` for a cell across two communes).
``ind``
    Number of individuals (population of the cell; may be fractional for
    cells whose values were imputed, ``i_est_200 = 1``).

The other official columns (``idcar_1km``, ``idcar_nat``, ``i_est_1km``,
``men``, ``men_pauv``, ``ind_snv``, ``log_*``, ``ind_0_3``...) are accepted and
ignored. Column names are matched case-insensitively, so the 2017 release
(``Idcar_200m``, ``I_est_200``, ``Ind``...) loads too.

:func:`cells_in_communes` and :func:`aggregate_by_commune` turn the cells into
travel origins and their times into population-weighted commune means; they
serve :func:`~accessibilite.indicators.access_times` with ``origine="carreaux"``.
"""

from __future__ import annotations

import csv
import re
import warnings
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import settings
from ..errors import DataFileError, InputError, MissingColumnError
from ..rejects import RejectedRows

__all__ = ["load_carreaux", "cells_in_communes", "aggregate_by_commune"]

_ID_RE = re.compile(r"^CRS(\d+)RES(\d+)mN(\d+)E(\d+)$")
_REQUIRED = ("idcar_200m", "ind")
_KEPT = ("idcar_200m", "lcog_geo", "ind", "i_est_200")


def _read(path: Path, communes) -> tuple[pd.DataFrame, gpd.GeoSeries | None]:
    """Read the file: attribute table and geometry (GeoPackage: within the communes' bbox)."""
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    if path.suffix.lower() in (".csv", ".txt"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            head = fh.readline()
        sep = ";" if head.count(";") > head.count(",") else ","
        try:
            table = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                usecols=lambda c: str(c).strip().lower() in _KEPT,
            )
        except (ValueError, csv.Error, UnicodeDecodeError) as exc:
            raise DataFileError(path, f"CSV illisible ({exc})") from exc
        return table, None
    try:
        bbox = None
        info = pyogrio.read_info(path)
        fields = [f for f in info.get("fields", []) if str(f).lower() in _KEPT]
        if communes is not None:
            file_crs = info.get("crs")
            if file_crs:
                xmin, ymin, xmax, ymax = communes.to_crs(file_crs).total_bounds
                bbox = (xmin - 300.0, ymin - 300.0, xmax + 300.0, ymax + 300.0)
        frame = pyogrio.read_dataframe(path, bbox=bbox, columns=fields or None)
    except Exception as exc:  # pyogrio raises several DataSourceError subclasses
        raise DataFileError(path, f"fichier géographique illisible ({exc})") from exc
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name) if geoms is not None else frame)
    return table, geoms


def _columns(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Map official column names (any case) to lower-case names, check required ones."""
    lower = {c: str(c).lower() for c in table.columns}
    table = table.rename(columns=lower)
    for col in _REQUIRED:
        if col not in table.columns:
            raise MissingColumnError(path, col, list(lower))
    return table


def _squares(ids: pd.Series, target_crs: str, communes=None) -> tuple[np.ndarray, ...]:
    """Cell squares from INSPIRE codes, reprojected.

    Returns the geometries, the mask of readable codes and the mask of cells
    lying outside the bounding box of ``communes`` (not built).
    """
    parts = ids.fillna("").str.strip().str.extract(_ID_RE)
    ok = parts.notna().all(axis=1).to_numpy()
    far = np.zeros(len(ids), dtype=bool)
    geoms = np.full(len(ids), None, dtype=object)
    for code in sorted(parts.loc[ok, 0].unique()):
        sel = ok & (parts[0] == code).fillna(False).to_numpy(dtype=bool)
        if communes is not None:  # skip cells far from the study area before building them
            xmin, ymin, xmax, ymax = communes.to_crs(f"EPSG:{code}").total_bounds
            xs = parts[3].astype(float).to_numpy()
            ys = parts[2].astype(float).to_numpy()
            out = sel & (
                (xs > xmax + 300) | (xs < xmin - 500) | (ys > ymax + 300) | (ys < ymin - 500)
            )
            far |= out
            sel &= ~out
        res, y, x = (parts.loc[sel, i].astype(float).to_numpy() for i in (1, 2, 3))
        boxes = shapely.box(x, y, x + res, y + res)
        geoms[sel] = gpd.GeoSeries(boxes, crs=f"EPSG:{code}").to_crs(target_crs).to_numpy()
    return geoms, ok, far


def _split_codes(lcog: pd.Series) -> pd.Series:
    """``"4019240279"`` → ``["40192", "40279"]``; empty or malformed → ``[]``."""

    def split(value: str) -> list[str]:
        value = (value or "").strip()
        if not value or len(value) % 5:
            return []
        return [value[i : i + 5] for i in range(0, len(value), 5)]

    return lcog.fillna("").astype(str).map(split)


def _assign_communes(cells: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> pd.Series:
    """Commune of each cell: its single ``lcog_geo`` code, else the polygon holding its centre."""
    known = set(communes["code_insee"])
    codes = cells["_codes"]
    single = codes.map(lambda c: c[0] if len(c) == 1 and c[0] in known else None)
    out = pd.Series(single.to_numpy(dtype=object), index=cells.index, dtype=object)
    todo = out.isna()
    if todo.any():
        centres = gpd.GeoDataFrame(geometry=cells.loc[todo].geometry.centroid, crs=cells.crs)
        polys = communes[["code_insee", communes.geometry.name]].to_crs(cells.crs)
        hit = gpd.sjoin(centres, polys, how="left", predicate="within")
        hit = hit[~hit.index.duplicated(keep="first")]
        out.loc[todo] = hit["code_insee"].reindex(centres.index).to_numpy(dtype=object)
        # centre outside every polygon (coast, border): first listed code inside the territory
        still = out.isna() & todo
        out.loc[still] = codes[still].map(lambda c: next((x for x in c if x in known), None))
    return out


def load_carreaux(
    path: str | PathLike,
    communes: gpd.GeoDataFrame | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Load an INSEE Filosofi 200 m population grid (GeoPackage or CSV).

    Parameters
    ----------
    path : str or PathLike
        ``carreaux_200m_met.gpkg`` (official squares, EPSG:3035) or
        ``carreaux_200m_met.csv`` (squares rebuilt from ``idcar_200m``).
    communes : GeoDataFrame, optional
        Communes (``code_insee``, polygons) of the study area. When given,
        only the cells of these communes are kept, a cell across several
        communes is given to the commune holding its centre, and the file is
        read only within the communes' bounding box (GeoPackage).
    crs : str, optional
        Output CRS; default the CRS of ``communes``, else ``settings.crs``
        (EPSG:2154).

    Returns
    -------
    GeoDataFrame
        One row per accepted cell, sorted by ``idcar``: ``idcar``,
        ``code_insee`` (missing for a cell across several communes when
        ``communes`` is not given), ``population`` (float, ``ind``),
        ``lcog_geo``, ``i_est_200`` (if present), ``geometry`` (square).
        ``.attrs["rejected"]``: rows not used with a ``reason`` column;
        ``.attrs["hors_territoire"]``: number of valid cells outside
        ``communes``; ``.attrs["source"]``: the path. Rows read =
        accepted + rejected + hors_territoire.

    Raises
    ------
    DataFileError
        Missing or unreadable file.
    MissingColumnError
        ``idcar_200m`` or ``ind`` absent (or ``lcog_geo`` without ``communes``).
    """
    path = Path(path)
    out_crs = crs or (communes.crs.to_string() if communes is not None else settings.crs)
    table, geoms = _read(path, communes)
    table = _columns(table, path)
    if "lcog_geo" not in table.columns:
        if communes is None:
            raise MissingColumnError(path, "lcog_geo", list(table.columns))
        table["lcog_geo"] = ""
    table = table.reset_index(drop=True)
    ids = table["idcar_200m"].astype("string")

    squares, ok_id, far = _squares(ids, out_crs, communes if geoms is None else None)
    if geoms is not None:  # prefer the file's own squares when present
        file_geoms = geoms.reset_index(drop=True)
        has = ~(file_geoms.isna() | file_geoms.is_empty).to_numpy()
        if has.any():
            if file_geoms.crs is None:
                raise DataFileError(path, "système de coordonnées absent")
            squares[has] = file_geoms[has].to_crs(out_crs).to_numpy()
            ok_id = ok_id | has

    pop = pd.to_numeric(table["ind"].astype("string").str.replace(",", "."), errors="coerce")
    reason = pd.Series(None, index=table.index, dtype=object)
    reason[far] = "_loin"  # outside the communes' bounding box: counted, not rejected
    reason[~ok_id] = "identifiant de carreau illisible"
    reason[reason.isna() & (pop.isna() | (pop < 0)).to_numpy()] = (
        "population (ind) absente ou négative"
    )
    dup = ids.str.strip().duplicated(keep="first").fillna(False).to_numpy()
    reason[reason.isna() & dup] = "identifiant de carreau en double"

    keep = reason.isna().to_numpy()
    reason[far] = None
    cells = gpd.GeoDataFrame(
        {
            "idcar": ids[keep].str.strip().to_numpy(dtype=object),
            "population": pop[keep].to_numpy(dtype=float),
            "lcog_geo": table.loc[keep, "lcog_geo"].fillna("").astype(str).str.strip().to_numpy(),
        },
        geometry=squares[keep],
        crs=out_crs,
    )
    if "i_est_200" in table.columns:
        cells.insert(
            3, "i_est_200", pd.to_numeric(table.loc[keep, "i_est_200"], errors="coerce").to_numpy()
        )
    cells["_codes"] = _split_codes(cells["lcog_geo"]).to_numpy()
    if communes is None:
        code = cells["_codes"].map(lambda c: c[0] if len(c) == 1 else None)
        hors = 0
    else:
        code = _assign_communes(cells, communes)
        hors = int(code.isna().sum()) + int(far.sum())
    cells.insert(1, "code_insee", code.to_numpy(dtype=object))
    if communes is not None:
        cells = cells[cells["code_insee"].notna()]
    cells = cells.drop(columns="_codes")
    cells = cells.sort_values("idcar", kind="stable").reset_index(drop=True)

    bad = ~keep & ~far
    rejected = table.loc[bad].copy()
    rejected["reason"] = reason[bad].to_numpy()
    if len(rejected):
        counts = rejected["reason"].value_counts().sort_index()
        detail = ", ".join(f"{n} : {r}" for r, n in counts.items())
        warnings.warn(
            f"{path} : {len(rejected)} carreau(x) rejeté(s) ({detail})", UserWarning, stacklevel=2
        )
    cells.attrs["rejected"] = RejectedRows(rejected.reset_index(drop=True))
    cells.attrs["hors_territoire"] = hors
    cells.attrs["source"] = str(path)
    return cells


# ---------------------------------------------------------------- cells as origins


def cells_in_communes(carreaux, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cell centres of the communes, each with its commune, to be used as origins.

    Parameters
    ----------
    carreaux : GeoDataFrame
        Output of :func:`load_carreaux` (``code_insee``, ``population``, squares).
    communes : GeoDataFrame
        ``code_insee`` and polygons; a cell without a known commune code is
        given to the polygon holding its centre; other cells are dropped.

    Returns
    -------
    GeoDataFrame
        ``idcar``, ``code_insee``, ``population``, geometry = cell centre
        (CRS of ``communes``), RangeIndex.
    """
    if carreaux is None:
        raise InputError("origine='carreaux' : donnez la grille (carreaux=load_carreaux(...))")
    if not isinstance(carreaux, gpd.GeoDataFrame):
        raise InputError("carreaux : GeoDataFrame attendu (voir load_carreaux)")
    for col in ("code_insee", "population"):
        if col not in carreaux.columns:
            raise MissingColumnError(None, col, carreaux.columns)
    cells = carreaux.to_crs(communes.crs) if carreaux.crs != communes.crs else carreaux
    idcol = "idcar" if "idcar" in cells.columns else None
    cells = gpd.GeoDataFrame(
        {
            "idcar": cells[idcol].to_numpy() if idcol else np.arange(len(cells)).astype(str),
            "code_insee": cells["code_insee"].astype(object).to_numpy(),
            "population": pd.to_numeric(cells["population"]).to_numpy(dtype=float),
        },
        geometry=cells.geometry.centroid.to_numpy(),
        crs=communes.crs,
    )
    known = set(communes["code_insee"])
    todo = ~cells["code_insee"].isin(known).to_numpy()
    if todo.any():
        hit = gpd.sjoin(
            cells.loc[todo, ["geometry"]],
            communes[["code_insee", communes.geometry.name]],
            how="left",
            predicate="within",
        )
        hit = hit[~hit.index.duplicated(keep="first")]
        cells.loc[todo, "code_insee"] = hit["code_insee"].astype(object).to_numpy()
    return cells[cells["code_insee"].isin(known)].reset_index(drop=True)


def _weighted_mean(values: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> pd.Series:
    """Weighted mean per group; inf if an inhabited cell is unreachable; plain mean if no weight."""
    frame = pd.DataFrame({"g": groups, "v": values, "w": weights})
    frame["vw"] = np.where(frame["w"] > 0, frame["v"] * frame["w"], 0.0)
    frame["inf"] = ~np.isfinite(frame["v"]) & (frame["w"] > 0)
    agg = frame.groupby("g").agg(
        vw=("vw", "sum"), w=("w", "sum"), v=("v", "mean"), inf=("inf", "any")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(agg["w"] > 0, agg["vw"] / agg["w"], agg["v"])
    out = np.where(agg["inf"], np.inf, out)
    return pd.Series(out, index=agg.index)


def aggregate_by_commune(res: pd.DataFrame, code: np.ndarray, pop: np.ndarray) -> pd.DataFrame:
    """Per commune, population-weighted means of per-cell travel results.

    Parameters
    ----------
    res : DataFrame
        Per cell ``time_s``, ``service_id``, ``distance_m``, ``snap_m`` (as from
        a provider's ``nearest``).
    code, pop : ndarray
        Commune code and population of each cell.

    Returns
    -------
    DataFrame
        Indexed by commune code: weighted means of ``time_s`` (``inf`` if an
        inhabited cell is unreachable), ``distance_m``, ``snap_m``, and
        ``service_id``, the site reached by the largest share of the population.
    """
    agg = pd.DataFrame(
        {
            "time_s": _weighted_mean(res["time_s"].to_numpy(), pop, code),
            "distance_m": _weighted_mean(res["distance_m"].to_numpy(), pop, code),
            "snap_m": _weighted_mean(res["snap_m"].to_numpy(), pop, code),
        }
    )
    # the service reached by the largest share of the commune's cell population
    share = pd.DataFrame({"g": code, "s": res["service_id"].to_numpy(), "w": pop})
    share = share.dropna(subset=["s"]).groupby(["g", "s"], as_index=False)["w"].sum()
    share = share.sort_values(["g", "w", "s"], ascending=[True, False, True])
    main = share.drop_duplicates("g").set_index("g")["s"]
    agg["service_id"] = main.reindex(agg.index).astype(object).to_numpy()
    agg.loc[~np.isfinite(agg["time_s"]), "service_id"] = None
    return agg
