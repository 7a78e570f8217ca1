"""Private core of the service loaders: reading, coordinates, standard frame, rejected rows.

Shared by :mod:`.loaders` (France Services, any point file) and
:mod:`.health` (FINESS, BPE counts); the reading itself is in :mod:`._read`. It
recognises coordinate systems, checks the rows and builds the standard services
frame (see ``docs/services.md``): rows that cannot be used go to
``.attrs["rejected"]`` with a French ``reason``, and one
:class:`RejectedRowsWarning` summarises them.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import settings
from ..errors import InputError
from ..rejects import RejectedRows, RejectedRowsWarning
from ._read import _commune_of_arrondissement, _parse_dates, _text
from ._territory import _fill_insee, _outside
from .dates import UnreadableFieldWarning

# Rejection reasons (French, user-facing), in the order they are checked.
MULTI_POINTS = "plusieurs points pour un site"
NO_COORDS = "coordonnées manquantes"
BAD_COORDS = "coordonnées illisibles"
UNKNOWN_CRS = "système de coordonnées inconnu"
SWAPPED = "latitude et longitude inversées"
OUT_OF_FRANCE = "coordonnées hors de France"
NO_ID = "identifiant manquant"
DUPLICATE_ID = "identifiant en double"
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


_STANDARD = ["service_id", "nom", "categorie", "code_insee", "date_ouverture", "itinerant"]


# ------------------------------------------------------------------ reading


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
    from ..territories.datafrance import _OVERSEAS_CRS, _validate_departements, departement_of

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
    date_col=None,
    columns=None,
) -> gpd.GeoDataFrame:
    """Validate the rows, build the standard frame, keep the rejected rows, warn.

    ``x``, ``y`` are float arrays in ``crs`` (one CRS per row, None when
    unknown); ``coord_text`` marks rows whose coordinate cells hold text (NaN
    there means unreadable, not missing); ``reasons`` holds reasons found
    earlier by the caller. ``date_col`` names the source column of
    ``date_ouverture`` (its unreadable cells are reported, never rejected);
    ``columns`` maps each standard field to the source column it was read from.

    With ``departement``, a row belongs to the territory when its commune code
    is in the département(s), whatever its point says, or when its point lies
    within ``buffer_km`` of the outline (give or take :data:`OUTLINE_TOLERANCE_M`;
    see :func:`_outside`);
    the other rows are left out by territory (``attrs["out_of_territory"]``),
    not rejected.
    """
    n = len(table)
    table = table.reset_index(drop=True)
    reason = pd.Series([None] * n if reasons is None else reasons, dtype=object)
    coord_text = np.zeros(n, bool) if coord_text is None else np.asarray(coord_text, bool)
    if target is None:
        target = settings.crs
        if departement is not None:
            from ..territories.datafrance import _crs_for, _validate_departements

            target = _crs_for(_validate_departements(departement))
    gx, gy = _place(np.asarray(x, float), np.asarray(y, float), crs, reason, coord_text, target)
    std, bad_codes = _valid_codes(std, table, (columns or {}).get("code_insee"))
    outside = np.zeros(n, bool)
    if departement is not None:
        outside = _outside(
            std["code_insee"], gx, gy, reason.isna().to_numpy(), departement, buffer_km
        )
        reason[outside] = None  # a row of elsewhere is left out, whatever its defects
    ids = std["service_id"]
    _flag(reason, ids.isna() & ~outside, NO_ID)
    valid = reason.isna().to_numpy() & ~outside
    _flag(reason, ids.where(valid).duplicated() & ids.notna() & valid, DUPLICATE_ID)

    keep = reason.isna().to_numpy() & ~outside
    extra = table.drop(columns=[c for c in table.columns if c == "geometry" or c in drop])
    extra = extra.rename(columns={c: f"{c}_source" for c in extra.columns if c in std.columns})
    columns_out = [*_STANDARD, "geometry", *(["capacite"] if "capacite" in std else [])]
    accepted = std[keep].reset_index(drop=True)
    accepted["geometry"] = gpd.points_from_xy(gx[keep], gy[keep])
    if departement is not None:
        accepted["code_insee"] = _fill_insee(
            accepted["code_insee"], gx[keep], gy[keep], departement
        )
    frame = gpd.GeoDataFrame(
        pd.concat([accepted[columns_out], extra[keep].reset_index(drop=True)], axis=1),
        geometry="geometry",
        crs=target,
    )
    rejected = table[~keep & ~outside].assign(reason=reason[~keep & ~outside].to_numpy())
    unreadable = _unreadable(table, date_col, np.asarray(bad_dates, bool) & keep, "date_ouverture")
    if bad_codes is not None:
        unreadable |= _unreadable(table, columns["code_insee"], bad_codes & keep, "code_insee")
    frame.attrs.update(
        rejected=RejectedRows(rejected),
        source=str(source),
        rows_read=n,
        out_of_territory=int(outside.sum()),
        filtered_by_date=0,
        unreadable=unreadable,
        columns=dict(columns or {}),
        derniere_date=_latest(std["date_ouverture"]),
    )
    _warn(rejected, n, label, source)
    _warn_unreadable(unreadable, label, source)
    return frame


def _latest(dates: pd.Series) -> str | None:
    """The latest opening date of the whole file (ISO), a lower bound of its edition."""
    latest = pd.Series(dates).max()
    return None if pd.isna(latest) else str(latest.date())


#: A commune code as INSEE writes it (Corsica 2A/2B, overseas 97x included).
_INSEE_CODE = r"\d{5}|2[AB]\d{3}"


def _valid_codes(std: pd.DataFrame, table: pd.DataFrame, column):
    """Commune codes that are no INSEE code (``"0"``, ``"Dax"``) made missing.

    Returns the frame and the mask of those cells (None when the codes do not come
    from one source column): they are reported as unreadable, never trusted to place
    a site; with a territory, the commune polygons give the code back.
    """
    codes = std["code_insee"].astype("string").str.upper()  # 2a004 is 2A004
    bad = (codes.notna() & ~codes.str.fullmatch(_INSEE_CODE).fillna(False)).to_numpy(bool)
    std = std.copy()
    std["code_insee"] = codes.astype(object).where(codes.notna() & ~bad, None).to_numpy()
    if not bad.any():
        return std, None
    return std, (bad if column in table.columns else None)


def _unreadable(table, column, mask, champ: str) -> dict:
    """``{column: {"champ": field, "count": n, "examples": [...]}}`` of the kept rows'
    cells of ``column`` that could not be read (the rows are kept, the value is missing)."""
    if column is None or not mask.any():
        return {}
    values = table[column][mask].astype(str)
    examples = list(pd.unique(values)[:3])
    return {column: {"champ": champ, "count": int(mask.sum()), "examples": examples}}


def _warn_unreadable(unreadable: dict, label: str, source) -> None:
    """One warning per column whose kept cells could not be read (the sites are kept)."""
    for column, info in unreadable.items():
        examples = ", ".join(f"« {e} »" for e in info["examples"])
        what = "code(s) commune" if info.get("champ") == "code_insee" else "date(s)"
        warnings.warn(
            f"{label} ({Path(str(source)).name}) : {info['count']} {what} illisible(s) dans "
            f"la colonne « {column} », laissée(s) vide(s) ; site(s) conservé(s) (ex. : "
            f"{examples})",
            UnreadableFieldWarning,
            stacklevel=4,
        )


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
