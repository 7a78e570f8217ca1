"""Priority neighbourhoods of the city policy ("quartiers prioritaires", QPV) loader.

The ANCT publishes the outlines of the QPV on data.gouv.fr in two generations:

2024 generation (décret n° 2023-1314 of 28 December 2023, in force 1 January 2024)
    ``quartier_prioritaire_metropole_anct_20240426`` (GeoJSON, shapefile,
    GeoPackage; Lambert-93 or WGS84). Fields ``code_qp`` (``QNXXXYYZ``: ``QN``,
    the département on three characters, a number), ``lib_qp``, ``insee_reg``,
    ``lib_reg``, ``insee_dep``, ``lib_dep``, ``insee_com`` (the commune(s),
    comma-separated when the quarter straddles several), ``lib_com``,
    ``siren_epci``; some re-publications spell them ``Code_QP``, ``Lib_QP``...
2015 generation (décret n° 2014-1750 of 30 December 2014; overseas 2014-1751)
    ``QP_METROPOLE_LB93`` (Lambert-93) and ``QP_DOM`` files, fields
    ``CODE_QP`` (``QPXXXYYY``), ``NOM_QP``, ``COMMUNE_QP`` (commune *names*);
    later re-publications in lower case (``code_qp``, ``nom_qp``,
    ``commune_qp``).

Column names are matched case-insensitively; the generation is read from the
code prefix (``QN`` → 2024, ``QP`` → 2015). Overseas outlines are reprojected
to the département's own CRS, like the communes.
"""

from __future__ import annotations

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
from ..errors import DataFileError, MissingColumnError
from ..rejects import RejectedRows, RejectedRowsWarning
from .datafrance import _crs_for, _validate_departements

__all__ = ["load_qpv", "COLUMNS"]

#: Output columns, in order.
COLUMNS = (
    "code_qp",
    "nom_qp",
    "generation",
    "code_departement",
    "communes_qp",
    "code_insee",
    "geometry",
)
#: Accepted names (lower case) of each standard field, in order of preference.
_ALIASES = {
    "code_qp": ("code_qp",),
    "nom_qp": ("lib_qp", "nom_qp"),
    "insee_dep": ("insee_dep",),
    "insee_com": ("insee_com",),
    "commune_qp": ("commune_qp", "lib_com"),
}
_CODE_RE = re.compile(r"^Q([PN])(\d{2}[0-9AB]|\d{3})(\d{2,3}[0-9A-Z]?)$")
#: Bounding boxes (WGS84) of metropolitan France, Corsica included, and of the overseas
#: départements: an outline outside all of them has swapped or mis-projected coordinates.
_FRANCE_WGS84 = np.array(
    [
        (-5.6, 41.2, 9.9, 51.2),  # metropole
        (-61.9, 15.8, -60.9, 16.6),  # Guadeloupe
        (-61.3, 14.3, -60.7, 14.95),  # Martinique
        (-54.7, 2.0, -51.5, 5.9),  # Guyane
        (55.1, -21.5, 55.9, -20.8),  # La Réunion
        (44.9, -13.1, 45.4, -12.5),  # Mayotte
    ]
)


def _read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise DataFileError(path, "fichier introuvable")
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio raises several DataSourceError subclasses
        raise DataFileError(path, f"fichier géographique illisible ({exc})") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise DataFileError(path, "aucune géométrie : contours des quartiers attendus")
    if frame.crs is None:
        raise DataFileError(path, "système de coordonnées absent (fichier .prj manquant ?)")
    return frame


def _field(frame: pd.DataFrame, name: str) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns if c != frame.geometry.name}
    return next((lower[a] for a in _ALIASES[name] if a in lower), None)


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()


def _dep_from_code(code: str) -> str:
    """``QN04001M`` / ``QP040001`` → ``"40"``; ``QP971001`` → ``"971"``; ``QN02A01`` → ``"2A"``."""
    m = _CODE_RE.match(code)
    if not m:
        return ""
    dep = m.group(2)
    return dep[1:] if dep[0] == "0" else dep


def _polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repaired MultiPolygons and the reason of each unusable geometry (or None)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    reason = np.full(len(geoms), None, dtype=object)
    missing = np.array([g is None for g in geoms]) | shapely.is_empty(geoms)
    reason[missing] = "géométrie absente ou vide"
    kind = shapely.get_type_id(geoms)
    wrong = ~missing & ~np.isin(kind, (3, 6))
    reason[wrong] = "géométrie autre qu'un polygone"
    ok = ~missing & ~wrong
    bad = ok & ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad])
        fixed = np.array(
            [
                shapely.union_all(
                    shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), (3, 6))]
                )
                for g in fixed
            ],
            dtype=object,
        )
        geoms[bad] = fixed
        gone = np.zeros(len(geoms), dtype=bool)
        gone[bad] = shapely.is_empty(fixed) | (shapely.area(fixed) <= 0)
        reason[gone] = "polygone invalide, irréparable"
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(int(single.sum())))
    return geoms, reason


def load_qpv(
    path: str | PathLike,
    departement: str | int | None = None,
    *,
    layer: str | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Load the official QPV outlines (ANCT, 2024 or 2015 generation).

    Parameters
    ----------
    path : str or PathLike
        GeoJSON, shapefile (or zipped shapefile) or GeoPackage, in the
        published schema of either generation (see the module docstring).
    departement : str or int, optional
        Keep only the quarters of this département (``insee_dep``, else the
        département encoded in ``code_qp``); the others are counted in
        ``.attrs["hors_departement"]``, not rejected.
    layer : str, optional
        Layer of a multi-layer file.
    crs : str, optional
        Output CRS; default the département's own (Lambert-93 in metropolitan
        France, the local UTM / RGAF09 overseas), else ``settings.crs``.

    Returns
    -------
    GeoDataFrame
        One row per quarter, sorted by ``code_qp``: ``code_qp``, ``nom_qp``,
        ``generation`` (``"2024"`` or ``"2015"``), ``code_departement``,
        ``communes_qp`` (the file's commune field as published: INSEE codes
        for 2024, names for 2015), ``code_insee`` (first INSEE code when the
        file gives codes, else None: see :func:`~accessibilite.analysis.qpv_access`
        which cuts the outlines by commune), geometry (MultiPolygon).
        ``.attrs``: ``rejected`` (:class:`~accessibilite.rejects.RejectedRows`,
        French ``reason``), ``hors_departement`` (int), ``source``, ``generation``.
        Rows read = accepted + rejected + hors_departement.

    Raises
    ------
    DataFileError
        Missing or unreadable file, no geometry, no CRS.
    MissingColumnError
        ``code_qp`` or the name field (``lib_qp`` / ``nom_qp``) absent.
    """
    path = Path(path)
    dep = _validate_departements(departement)[0] if departement is not None else None
    out_crs = crs or (_crs_for([dep]) if dep else settings.crs)
    frame = _read(path, layer).reset_index(drop=True)
    available = [str(c) for c in frame.columns if c != frame.geometry.name]
    cols = {name: _field(frame, name) for name in _ALIASES}
    if cols["code_qp"] is None:
        raise MissingColumnError(path, "code_qp", available)
    if cols["nom_qp"] is None:
        raise MissingColumnError(path, "lib_qp (2024) ou nom_qp (2015)", available)

    code = _text(frame, cols["code_qp"]).str.upper()
    name = _text(frame, cols["nom_qp"])
    dep_field = _text(frame, cols["insee_dep"]).str.upper()
    dep_field = dep_field.where(
        ~(dep_field.str.len().eq(1) & dep_field.str.isdigit()), "0" + dep_field
    )
    code_dep = dep_field.where(dep_field != "", code.map(_dep_from_code))
    insee = _text(frame, cols["insee_com"])
    communes_qp = insee.where(insee != "", _text(frame, cols["commune_qp"]))
    first_insee = insee.map(
        lambda s: next(
            (
                c.strip()
                for c in re.split(r"[,;/ ]+", s)
                if re.fullmatch(r"\d[\dAB]\d{3}", c.strip())
            ),
            None,
        )
    )

    geoms, reason = _polygons(frame.geometry.to_numpy())
    reason = pd.Series(reason, index=frame.index, dtype=object)
    reason[reason.isna() & (code == "")] = "code du quartier (code_qp) absent"
    reason[reason.isna() & ~code.str.match(_CODE_RE)] = (
        "code du quartier (code_qp) illisible : attendu QNXXXYYZ (2024) ou QPXXXYYY (2015)"
    )
    reason[reason.isna() & (name == "")] = "nom du quartier absent"
    ok = reason.isna().to_numpy()
    wgs = gpd.GeoSeries(geoms, crs=frame.crs)
    if ok.any():
        bounds = shapely.bounds(wgs[ok].to_crs("EPSG:4326").to_numpy())
        box = _FRANCE_WGS84[None, :, :]
        b = bounds[:, None, :]
        inside = (
            (b[..., 0] >= box[..., 0])
            & (b[..., 1] >= box[..., 1])
            & (b[..., 2] <= box[..., 2])
            & (b[..., 3] <= box[..., 3])
        ).any(axis=1)
        outside = ~inside | ~np.isfinite(bounds).all(axis=1)
        idx = np.flatnonzero(ok)[outside]
        reason.iloc[idx] = "contour hors de France (coordonnées ou projection erronées ?)"
    dup = code.duplicated(keep="first") & reason.isna() & (code != "")
    reason[dup] = "code du quartier en double"

    keep = reason.isna()
    hors = 0
    if dep is not None:
        other = keep & (code_dep != dep)
        hors = int(other.sum())
        keep &= ~other
    keep_np = keep.to_numpy()
    generation = code.str[1].map({"N": "2024", "P": "2015"})
    out = gpd.GeoDataFrame(
        {
            "code_qp": code[keep_np].to_numpy(dtype=object),
            "nom_qp": name[keep_np].to_numpy(dtype=object),
            "generation": generation[keep_np].to_numpy(dtype=object),
            "code_departement": code_dep[keep_np].to_numpy(dtype=object),
            "communes_qp": communes_qp[keep_np].to_numpy(dtype=object),
            "code_insee": first_insee[keep_np].astype(object).to_numpy(),
        },
        geometry=wgs[keep_np].to_numpy(),
        crs=frame.crs,
    ).to_crs(out_crs)
    out = out.sort_values("code_qp", kind="stable").reset_index(drop=True)

    bad = reason.notna().to_numpy()
    rejected = pd.DataFrame(frame.drop(columns=frame.geometry.name)).loc[bad].copy()
    rejected["reason"] = reason[bad].to_numpy()
    if len(rejected):
        counts = rejected["reason"].value_counts().sort_index()
        detail = ", ".join(f"{n} : {r}" for r, n in counts.items())
        warnings.warn(
            f"{path} : {len(rejected)} quartier(s) rejeté(s) ({detail})",
            RejectedRowsWarning,
            stacklevel=2,
        )
    gens = sorted(set(out["generation"]))
    out.attrs["rejected"] = RejectedRows(rejected.reset_index(drop=True))
    out.attrs["hors_departement"] = hors
    out.attrs["source"] = str(path)
    out.attrs["generation"] = gens[0] if len(gens) == 1 else ("+".join(gens) or None)
    return out[list(COLUMNS)]
