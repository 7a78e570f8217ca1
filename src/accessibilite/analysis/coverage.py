"""Deficits through time and across service categories.

:func:`coverage_over_time` repeats :func:`~accessibilite.indicators.flag_deficits`
at several dates from the sites' label dates; :func:`cumulated_deficits`
counts, per commune, the service categories beyond their threshold
("communes cumulant les déficits").
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import settings
from ..errors import InputError, MissingColumnError
from ..services.dates import as_day
from ..territories.datafrance import departement_of
from .access import _COMMUNE_COLUMNS, _validate_communes, access_times
from .indicators import _resolve_territories, flag_deficits

__all__ = ["coverage_over_time", "cumulated_deficits"]

_COVERAGE_COLUMNS = [
    "date",
    "niveau",
    "code",
    "nom",
    "population",
    "nb_sites",
    "sans_service",
    "population_au_dela_seuil",
    "part_au_dela_seuil",
]


# ---------------------------------------------------------------- through time


def coverage_over_time(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    network,
    dates: Iterable,
    seuil_min: float = 30,
    *,
    origine: str = "mairie",
    carreaux: gpd.GeoDataFrame | None = None,
    inclure_itinerants: bool = True,
    cantons: gpd.GeoDataFrame | None = None,
    commune_cantons: pd.DataFrame | None = None,
    epcis: gpd.GeoDataFrame | None = None,
    date_inconnue: str = "inclure",
) -> pd.DataFrame:
    """Deficit flags at several dates, from the sites' opening (label) dates.

    Parameters
    ----------
    communes, services, network, seuil_min, origine, carreaux
        As in :func:`access_times` and :func:`flag_deficits`. ``services`` needs
        a ``date_ouverture`` column; a site is open at ``date`` when
        ``date_ouverture <= date`` (no site is assumed to have closed).
    dates : str, datetime or iterable of them
        E.g. ``["2020-01-01", "01/01/2022", 2024]``: read as the dates of the
        service files (:func:`accessibilite.services.parse_date`; a year is its
        1 January, an impossible date raises :class:`InputError`).
    cantons, commune_cantons, epcis, inclure_itinerants
        As in :func:`flag_deficits`.
    date_inconnue : {"inclure", "exclure"}, default "inclure"
        What to do with sites without a date (``NaT``): count them open at
        every date, or never. A warning gives their number.

    Returns
    -------
    DataFrame
        Tidy table, one row per (date, level, territory): ``date``, ``niveau``
        (``"canton"``, ``"epci"``, ``"departement"``), ``code``, ``nom``,
        ``population``, ``nb_sites``, ``sans_service``,
        ``population_au_dela_seuil``, ``part_au_dela_seuil``.
    """
    if date_inconnue not in ("inclure", "exclure"):
        raise InputError(f"date_inconnue : 'inclure' ou 'exclure' attendu, pas {date_inconnue!r}")
    if "date_ouverture" not in services.columns:
        raise MissingColumnError(None, "date_ouverture", services.columns)
    if isinstance(dates, str | int | float | datetime.date | np.datetime64):
        dates = [dates]  # one date, not the characters of a string
    dates = sorted({as_day(d, "dates") for d in dates})  # each date once, read as files are
    if not dates:
        raise InputError("aucune date donnée")
    opened = pd.to_datetime(services["date_ouverture"])
    unknown = opened.isna().to_numpy()
    if unknown.any():
        fate = "comptés ouverts à toutes les dates" if date_inconnue == "inclure" else "ignorés"
        warnings.warn(
            f"{int(unknown.sum())} site(s) sans date d'ouverture : {fate}",
            UserWarning,
            stacklevel=2,
        )
    _validate_communes(communes)
    base = communes.copy()
    if "code_departement" not in base.columns:
        base["code_departement"] = departement_of(base["code_insee"]).to_numpy()
    cantons, commune_cantons, epcis = _resolve_territories(base, cantons, commune_cantons, epcis)
    frames = []
    for date in tqdm(dates, desc="Dates", disable=not settings.progress):
        is_open = (opened <= date).to_numpy() | (unknown & (date_inconnue == "inclure"))
        open_services = services[is_open]
        times = access_times(communes, open_services, network, origine, carreaux)
        deficits = flag_deficits(
            times,
            open_services,
            seuil_min,
            cantons=cantons,
            commune_cantons=commune_cantons,
            epcis=epcis,
            inclure_itinerants=inclure_itinerants,
        )
        for niveau, table in (
            ("canton", deficits.cantons),
            ("epci", deficits.epci),
            ("departement", deficits.departement),
        ):
            frame = pd.DataFrame(table.drop(columns="geometry"))
            frame.insert(0, "niveau", niveau)
            frame.insert(0, "date", date)
            frames.append(frame[_COVERAGE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- several categories


def cumulated_deficits(
    communes: gpd.GeoDataFrame,
    services_by_category: Mapping[str, gpd.GeoDataFrame],
    network,
    seuil_min: float | Mapping[str, float] = 30,
    *,
    origine: str = "mairie",
    carreaux: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Communes cumulating deficits over several service categories.

    Parameters
    ----------
    communes : GeoDataFrame
        As in :func:`access_times`.
    services_by_category : mapping of str to GeoDataFrame
        E.g. ``{"france_services": fs, "medecins": gp}``; the names become
        column suffixes (kept in the mapping's order).
    network : TravelTimeProvider
        Used for every category.
    seuil_min : float or mapping of str to float, default 30
        One threshold for all categories or one per category.
    origine, carreaux
        As in :func:`access_times`.

    Returns
    -------
    GeoDataFrame
        One row per commune: ``code_insee``, ``nom``, ``population``, then per
        category ``temps_min_<cat>`` and ``au_dela_seuil_<cat>``, then
        ``nb_deficits`` (number of categories beyond their threshold) and
        ``categories_en_deficit`` (their names, comma-separated), ``geometry``.
    """
    if not services_by_category:
        raise InputError("aucune catégorie de services donnée")
    cats = list(services_by_category)
    for cat in cats:
        if not isinstance(cat, str) or not cat:
            raise InputError(f"nom de catégorie invalide : {cat!r}")
    if isinstance(seuil_min, Mapping):
        missing = [c for c in cats if c not in seuil_min]
        if missing:
            raise InputError(f"seuil manquant pour : {', '.join(missing)}")
        seuils = {c: float(seuil_min[c]) for c in cats}
    else:
        seuils = dict.fromkeys(cats, float(seuil_min))
    for cat, value in seuils.items():
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"seuil invalide pour {cat} : {value!r} minutes")
    _validate_communes(communes)
    out = pd.DataFrame(communes[list(_COMMUNE_COLUMNS)].copy())
    flags = []
    for cat in tqdm(cats, desc="Catégories", disable=not settings.progress):
        times = access_times(communes, services_by_category[cat], network, origine, carreaux)
        temps = times["temps_min"].to_numpy(dtype=float)
        beyond = ~(temps <= seuils[cat])
        out[f"temps_min_{cat}"] = temps
        out[f"au_dela_seuil_{cat}"] = beyond
        flags.append(beyond)
    matrix = np.column_stack(flags)
    out["nb_deficits"] = matrix.sum(axis=1).astype("int64")
    out["categories_en_deficit"] = [
        ", ".join(c for c, f in zip(cats, row, strict=True) if f) for row in matrix
    ]
    return gpd.GeoDataFrame(out, geometry=communes.geometry.to_numpy(), crs=communes.crs)
