"""One reading of dates for the whole package.

The same parser serves the date columns of service files, the ``date=``
arguments of the loaders, the ``--date`` option of the command line and
:func:`accessibilite.coverage_over_time`. It reads the forms French files
actually hold:

* ``15/03/2021``, ``15.03.2021``, ``15-03-2021``: day first, never month first;
* ``2021-03-15`` (ISO, also followed by a time) and ``2021/03/15``;
* ``1er mars 2021``, ``15 fevrier 2021``: French month names, accents optional;
* ``03/2021``, ``2021-03``, ``mars 2021``: the **first day** of the month;
* ``2021``: the **first day** of the year (1 January);
* ``44270``: an Excel serial day number (5 digits), and Excel date cells;
* a date inside a label text: ``Espace labellisé 15/03/2021``.

A month or a year alone is read as its first day: a site "labellisé en 2021"
counts as open on 1 January 2021. An impossible date (``2020-13-45``,
``31/02/2021``) is never turned into another date: it is missing (NaT) and
counted as unreadable. Two-digit years (``01/09/20``) are unreadable too: the
century cannot be known.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = [
    "DATE_FORMS",
    "UnreadableFieldWarning",
    "as_day",
    "filter_by_date",
    "parse_date",
    "parse_dates",
]


class UnreadableFieldWarning(UserWarning):
    """An optional field (opening date) could not be read in some kept rows; they are kept
    with a missing value (``.attrs["unreadable"]`` gives the count and examples)."""


#: Accepted forms, as told to the user in error messages.
DATE_FORMS = "JJ/MM/AAAA, AAAA-MM-JJ, JJ.MM.AAAA, MM/AAAA, AAAA ou « 1er janvier 2021 »"

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11,
    "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_SEP = r"[/.\-]"
#: (pattern, fields order, precision), tried in order; the first that matches decides.
_PATTERNS = [
    (re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?!\d)"), "ymd", "jour"),
    (re.compile(rf"(?<!\d)(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})(?!\d)"), "dmy", "jour"),
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s*(?:er)?\s+({_MONTH})\.?\s+(\d{{4}})(?!\d)"), "dMy", "jour"),
    (re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}})(?![\d/.\-])"), "ym", "mois"),
    (re.compile(rf"(?<![\d/.\-])(\d{{1,2}}){_SEP}(\d{{4}})(?!\d)"), "my", "mois"),
    (re.compile(rf"(?<![a-z])({_MONTH})\.?\s+(\d{{4}})(?!\d)"), "My", "mois"),
]
_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?")
_YEAR = re.compile(r"(?<![\d/.\-])((?:19|20)\d{2}|2100)(?![\d/.\-])")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (its 1900 leap-year bug included)
_MIN_YEAR, _MAX_YEAR = 1800, 2200


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _day(year: int, month: int, day: int):
    """The day, or NaT when it does not exist (no rollover, no out-of-range year)."""
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return pd.NaT
    try:
        return pd.Timestamp(_dt.date(year, month, day))
    except ValueError:
        return pd.NaT


def _serial(number: float):
    """An Excel serial day number (5 digits: years 1927 to 2173) as a day."""
    if not 10_000 <= number < 100_000:
        return pd.NaT
    return _EXCEL_EPOCH + pd.Timedelta(days=int(number))


def _from_number(number: float) -> tuple[pd.Timestamp, str | None]:
    if not np.isfinite(number):
        return pd.NaT, None
    if float(number).is_integer() and 1900 <= number <= 2100:
        return pd.Timestamp(int(number), 1, 1), "annee"
    return _serial(float(number)), "jour"


def _from_text(text: str) -> tuple[pd.Timestamp, str | None]:
    norm = _normal(text)
    if _SERIAL.fullmatch(norm):
        return _serial(float(norm.replace(",", "."))), "jour"
    for pattern, order, precision in _PATTERNS:
        found = pattern.search(norm)
        if found is None:
            continue
        parts = dict(zip(order, found.groups(), strict=True))
        month = parts["M"] if "M" in parts else parts["m"]
        month = _MONTHS[month] if "M" in parts else int(month)
        return _day(int(parts["y"]), month, int(parts.get("d", 1))), precision
    found = _YEAR.search(norm)
    if found is not None:
        return pd.Timestamp(int(found.group(1)), 1, 1), "annee"
    return pd.NaT, None


def _parse_one(value) -> tuple[pd.Timestamp, str | None]:
    """(day, precision) of one value; precision is "jour", "mois", "annee" or None."""
    if value is None or value is pd.NaT:
        return pd.NaT, None
    if isinstance(value, bool | np.bool_):
        return pd.NaT, None
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64):
        try:
            day = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return pd.NaT, None
        if pd.isna(day):
            return pd.NaT, None
        if day.tzinfo is not None:
            day = day.tz_localize(None)
        return day.normalize(), "jour"
    if isinstance(value, int | float | np.integer | np.floating):
        return _from_number(float(value))
    if isinstance(value, str):
        return _from_text(value)
    return pd.NaT, None


def parse_date(value, *, precision: bool = False):
    """Read one date written in any of the forms of :mod:`accessibilite.services.dates`.

    Parameters
    ----------
    value : str, number, date, datetime or Timestamp
        E.g. ``"15/03/2021"``, ``"03/2021"``, ``2021``, ``44270`` (Excel serial),
        ``"1er mars 2021"``, ``"Espace labellisé 15/03/2021"``.
    precision : bool, default False
        Also return how precise the written value was.

    Returns
    -------
    pandas.Timestamp or tuple
        The day at midnight, ``NaT`` when missing or unreadable (an impossible
        date is unreadable, never shifted). With ``precision=True``:
        ``(day, "jour" | "mois" | "annee" | None)``.
    """
    day, how = _parse_one(value)
    if not pd.isna(day):
        day = day.as_unit("ns")
    return (day, how) if precision else day


def _is_written(value) -> bool:
    if value is None or value is pd.NaT:
        return False
    if isinstance(value, float | np.floating) and np.isnan(value):
        return False
    if isinstance(value, str) and not value.strip():
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def parse_dates(values) -> tuple[pd.Series, np.ndarray]:
    """Read a column of dates: ``(dates, unreadable)``.

    Parameters
    ----------
    values : array-like
        Cells of a date column (text, numbers, Excel date cells...).

    Returns
    -------
    dates : pandas.Series
        ``datetime64[ns]``, RangeIndex, ``NaT`` where missing or unreadable.
    unreadable : numpy.ndarray of bool
        Cells that hold something but no readable date.
    """
    series = pd.Series(values, dtype=object).reset_index(drop=True)
    cache: dict = {}
    out = []
    for value in series:
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in cache:
            out.append(cache[key])
            continue
        day = parse_date(value) if _is_written(value) else pd.NaT
        if key is not None:
            cache[key] = day
        out.append(day)
    dates = pd.Series(pd.to_datetime(pd.Series(out, dtype=object)), dtype="datetime64[ns]")
    written = np.fromiter((_is_written(v) for v in series), dtype=bool, count=len(series))
    return dates, written & dates.isna().to_numpy()


def as_day(value, name: str = "date") -> pd.Timestamp:
    """A date argument (``date=``, ``--date``, the dates of a series) as a day.

    Parameters
    ----------
    value : str, number, date or Timestamp
        Any form read by :func:`parse_date`.
    name : str, default "date"
        The argument, named in the error message.

    Raises
    ------
    InputError
        Missing or unreadable date (an impossible day is never shifted).
    """
    day = parse_date(value)
    if pd.isna(day):
        raise InputError(f"{name} : date illisible {value!r} (formes acceptées : {DATE_FORMS})")
    return day


def filter_by_date(frame, date, label: str):
    """Keep the sites opened on or before ``date``; count the others in attrs.

    A site without a readable date cannot be said open at ``date``: it is set
    aside too, counted in ``attrs["undated"]`` and named in a warning.
    """
    when = as_day(date, "date=")
    attrs = dict(frame.attrs)
    opened = frame["date_ouverture"]
    keep = (opened <= when).to_numpy()
    undated = int(opened.isna().sum())
    if undated:
        warnings.warn(
            f"{label} : date={when.date()} : {undated} site(s) sans date d'ouverture lisible "
            "écarté(s) (leur ouverture à cette date ne peut pas être établie)",
            UnreadableFieldWarning,
            stacklevel=3,
        )
    frame = frame[keep].reset_index(drop=True)
    frame.attrs = attrs | {
        "filtered_by_date": int((~keep).sum()),
        "undated": undated,
        "date": str(when.date()),
    }
    return frame
