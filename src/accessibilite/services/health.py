"""Health registers: FINESS establishments and BPE commune-level counts.

Both loaders return the standard services frame of :mod:`accessibilite.services`
(see ``docs/services.md``), with rejected rows in ``.attrs["rejected"]`` and the
valid rows that were not asked for counted in ``.attrs["out_of_scope"]``.
"""

from __future__ import annotations

import csv
import io
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, InputError, MissingColumnError
from ..territories.datafrance import departement_of
from ._core import (
    BAD_COUNT,
    UNKNOWN_COMMUNE,
    _assemble,
    _commune_of_arrondissement,
    _known_crs,
    _parse_dates,
    _standard,
    _text,
)
from ._read import _decode
from .loaders import _codes, _find, _read_any, _source_path, _to_float, _xy_columns

__all__ = ["load_finess", "load_bpe"]

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


# ------------------------------------------------------------------ FINESS


def _finess_crs(values: pd.Series) -> np.ndarray:
    """CRS stated by each ``sourcecoordet`` (None when missing or unknown to pyproj)."""
    text = values.astype("string").str.upper()
    crs = "EPSG:" + text.str.extract(r"EPSG\s*:\s*(\d{4,5})")[0]
    for name, code in _FINESS_CRS.items():
        crs = crs.mask(crs.isna() & text.str.contains(name, regex=False).fillna(False), code)
    utm = text.str.extract(r"UTM\s*ZONE\s*(\d{1,2})\s*([NS])")
    crs = crs.fillna("EPSG:32" + utm[1].map({"N": "6", "S": "7"}) + utm[0].str.zfill(2))
    return _known_crs(_text(crs))


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
        As in :func:`accessibilite.services.load_france_services`.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard services frame: ``service_id`` = ``nofinesset``, ``nom`` =
        ``rslongue`` (else ``rs``), ``date_ouverture`` = ``dateouv``. Rows read
        are the ``structureet`` records of the asked categories; the others are
        counted in ``attrs["out_of_scope"]``. Coordinates are reprojected from
        the system each row states (Lambert-93, overseas UTM...).
    """
    path = _source_path(path, "finess")
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
    xs, ys, written = _xy_columns(table, "coordxet", "coordyet")
    frame = _assemble(
        table,
        *std,
        xs,
        ys,
        _finess_crs(table["sourcecoordet"]),
        coord_text=written,
        departement=departement,
        buffer_km=buffer_km,
        source=path,
        label="load_finess",
        date_col="dateouv",
        columns={"service_id": "nofinesset", "nom": "rslongue (ou rs)",
                 "code_insee": "departement + commune", "date_ouverture": "dateouv",
                 "coordonnees": "coordxet / coordyet", "crs": "sourcecoordet (par ligne)"},
    )  # fmt: skip
    frame.attrs["out_of_scope"] = int((~in_scope).sum())
    return frame


# ---------------------------------------------------------------------- BPE


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
    code = str(code).strip().upper()  # "d201" is D201 (ids, default categorie)
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
        departement_of(codes).isin(set(departement_of(lookup.index.to_series()))) | codes.isna()
    ).to_numpy()
    table, codes = table[in_scope].reset_index(drop=True), codes[in_scope].reset_index(drop=True)
    # Paris, Marseille, Lyon: an arrondissement's count goes to its commune's town hall
    commune = _commune_of_arrondissement(codes)
    commune = commune.where(~codes.isin(lookup.index), codes)  # a frame of arrondissements
    mairie = gpd.GeoSeries(lookup["mairie"], crs=communes.crs).reindex(commune).values
    count = _to_float(table[count_col])
    known = commune.isin(lookup.index).to_numpy()
    std = _standard(
        len(table),
        ids=(f"{code}-" + codes.fillna("?")).where(codes.notna(), None),
        noms=lookup["nom"].reindex(commune).to_numpy() if "nom" in lookup else None,
        categorie=categorie or _BPE_CATEGORIES.get(code, code.lower()),
        insee=commune,
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
