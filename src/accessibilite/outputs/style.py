"""Access-time classes, colours and French text shared by the maps and the report.

Private helper of :mod:`accessibilite.maps` (static map, which re-exports these
names), :mod:`accessibilite.webmap` (interactive map) and
:mod:`accessibilite.report`. No matplotlib nor folium at import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnError

#: Upper bounds (minutes) of the access-time classes; the last class is open.
CLASSES_MIN: tuple[float, ...] = (10, 20, 30, 45)
#: Sequential palette (ColorBrewer YlGnBu, 5 classes) then the "inaccessible" grey.
PALETTE: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
COULEUR_INACCESSIBLE = "#bdbdbd"
COULEUR_SEUIL = "#e31a1c"
#: Short credit of each data source a result may rest on, in the order cited.
SOURCE_CREDITS = {
    "osm": "© contributeurs OpenStreetMap",
    "france_services": "ANCT",
    "finess": "FINESS (DREES)",
    "bpe": "INSEE BPE",
    "territoires": "IGN/INSEE",
    "carreaux": "INSEE Filosofi",
}
#: Service categories (``categorie`` column) and the source that provides them.
CATEGORY_SOURCES = {
    "france_services": "france_services",
    "msp": "finess",
    "centre_sante": "finess",
    "medecin_generaliste": "bpe",
    "maternite": "bpe",
}
_MODES = {
    "voiture": "en voiture",
    "marche": "à pied",
    "velo": "à vélo",
    "vol-oiseau": "en voiture (estimation à vol d'oiseau)",
}


# ----------------------------------------------------------------------------- classes
def class_bounds(seuil_min: float | None = None) -> tuple[float, ...]:
    """Upper bounds of the classes: :data:`CLASSES_MIN`, plus the threshold if it is not one."""
    bounds = set(CLASSES_MIN)
    if seuil_min is not None and 0 < seuil_min < CLASSES_MIN[-1] * 4:
        bounds.add(float(seuil_min))
    return tuple(sorted(bounds))


def class_colours(bounds: tuple[float, ...] = CLASSES_MIN) -> list[str]:
    """Sequential palette of ``len(bounds) + 1`` classes, then the "inaccessible" grey."""
    if len(bounds) + 1 == len(PALETTE):
        return [*PALETTE, COULEUR_INACCESSIBLE]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["YlGnBu"]
    n = len(bounds) + 1
    return [to_hex(cmap(0.05 + 0.9 * k / (n - 1))) for k in range(n)] + [COULEUR_INACCESSIBLE]


def class_labels(bounds: tuple[float, ...] = CLASSES_MIN) -> list[str]:
    """French labels of the access-time classes, then ``"inaccessible"``."""
    lows = (0, *bounds)
    labels = [f"{fmt_num(a)} à {fmt_num(b)} min" for a, b in zip(lows[:-1], lows[1:], strict=True)]
    return [*labels, f"plus de {fmt_num(bounds[-1])} min", "inaccessible"]


def classify_times(minutes, bounds: tuple[float, ...] = CLASSES_MIN) -> np.ndarray:
    """Class index of each time: 0..len(bounds) for the bands, len(bounds) + 1 if unreachable.

    A time equal to a bound falls in the lower class (10 min → "0 à 10 min").
    ``inf`` and NaN are "inaccessible".
    """
    t = np.asarray(pd.to_numeric(pd.Series(minutes), errors="coerce"), dtype=float)
    idx = np.searchsorted(np.asarray(bounds, dtype=float), t, side="left")
    idx[~np.isfinite(t)] = len(bounds) + 1
    return idx


def _parts(deficits, seuil_min: float | None = None) -> dict[str, Any]:
    """Normalise a ``Deficits`` (or a bare commune table) into its pieces."""
    import geopandas as gpd

    if isinstance(deficits, gpd.GeoDataFrame):
        communes, cantons, epci, dep = deficits, None, None, None
        seuil = seuil_min
    else:
        communes = getattr(deficits, "communes", None)
        if not isinstance(communes, gpd.GeoDataFrame):
            raise InputError(
                "deficits doit être le résultat de flag_deficits (attribut 'communes' "
                "GeoDataFrame) ou une GeoDataFrame de communes"
            )
        cantons = getattr(deficits, "cantons", None)
        epci = getattr(deficits, "epci", None)
        dep = getattr(deficits, "departement", None)
        seuil = seuil_min if seuil_min is not None else getattr(deficits, "seuil_min", None)
    for col in ("code_insee", "nom", "population", "temps_min"):
        if col not in communes.columns:
            raise MissingColumnError(None, col, communes.columns)
    if communes.crs is None:
        raise InputError("les communes n'ont pas de système de coordonnées (crs)")
    if seuil is None:
        seuil = 30.0
    communes = communes.copy()
    communes["temps_min"] = pd.to_numeric(communes["temps_min"], errors="coerce").astype(float)
    if "au_dela_seuil" not in communes.columns or seuil_min is not None:
        t = communes["temps_min"].to_numpy()
        communes["au_dela_seuil"] = ~(t <= float(seuil))
    return {
        "communes": communes,
        "cantons": cantons,
        "epci": epci,
        "departement": dep,
        "seuil": float(seuil),
    }


def _method_text(communes) -> str:
    """The provider's French description, as stored in ``communes.attrs`` by indicators."""
    attrs = communes.attrs or {}
    for key in ("description", "methode", "method"):
        val = attrs.get(key)
        if isinstance(val, dict):
            val = val.get("description")
        if isinstance(val, str) and val:
            return val
    return ""


def _mode(communes) -> str | None:
    attrs = communes.attrs or {}
    mode = attrs.get("mode")
    if mode is None and isinstance(attrs.get("methode"), dict):
        mode = attrs["methode"].get("mode")
    if mode is None and "vol d'oiseau" in _method_text(communes):
        mode = "vol-oiseau"
    return mode


def _departement_name(parts) -> str | None:
    dep = parts["departement"]
    if isinstance(dep, pd.DataFrame) and len(dep):
        for col in ("nom", "nom_departement"):
            if col in dep.columns and isinstance(dep[col].iloc[0], str):
                return dep[col].iloc[0]
    return None


def _service_phrase(services) -> str:
    cats = []
    if services is not None and "categorie" in services.columns:
        cats = sorted(services["categorie"].dropna().astype(str).unique())
    if len(cats) == 1 and cats[0].replace("_", " ").replace("-", " ").lower() == "france services":
        return "au France Services le plus proche"
    if len(cats) == 1:
        return f"au service le plus proche ({cats[0].replace('_', ' ')})"
    return "au service le plus proche"


def default_title(deficits, services=None) -> str:
    """French map title, e.g. "Temps d'accès en voiture au France Services le plus proche — Landes"."""
    parts = _parts(deficits)
    mode = _MODES.get(_mode(parts["communes"]) or "", "")
    titre = " ".join(w for w in ("Temps d'accès", mode, _service_phrase(services)) if w)
    return f"{titre} — {territory_name(parts)}"


def territory_name(parts) -> str:
    """The studied territory in words ("Landes", "2 communes des Yvelines")."""
    from .context import territory_text

    return territory_text(parts["communes"])


def used_sources(communes, services=None) -> list[str]:
    """Keys of :data:`SOURCE_CREDITS` a result rests on, in a fixed order.

    The road network (OpenStreetMap) only for routed times (not the
    straight-line estimate), the producer of the service sites only for the
    categories it publishes, the Filosofi grid only with ``origine="carreaux"``.
    """
    attrs = communes.attrs or {}
    keys = {"territoires"}
    if not attrs.get("estimation") and _mode(communes) != "vol-oiseau":
        keys.add("osm")  # routed times (or unknown provider): the road network was used
    if attrs.get("origine") == "carreaux":
        keys.add("carreaux")
    if services is not None and "categorie" in services.columns:
        cats = services["categorie"].dropna().unique()
        keys |= {CATEGORY_SOURCES[c] for c in cats if c in CATEGORY_SOURCES}
    return [k for k in SOURCE_CREDITS if k in keys]


def sources_text(communes, services=None) -> str:
    """The sources line of a map, e.g. "Sources : ANCT, IGN/INSEE" for a straight-line estimate."""
    return "Sources : " + ", ".join(SOURCE_CREDITS[k] for k in used_sources(communes, services))


# ----------------------------------------------------------------------------- formats
def fmt_num(value) -> str:
    """A threshold or a distance in French: 7.5 → "7,5", 30.0 → "30"."""
    return f"{float(value):g}".replace(".", ",")


def fmt_int(value) -> str:
    """French thousands: 12345 → "12 345" (narrow no-break space)."""
    return f"{int(round(float(value))):,}".replace(",", "\u202f")


def _plural(n, word: str) -> str:
    return f"{fmt_int(n)} {word}{'s' if n >= 2 else ''}"


def fmt_pct(share: float, digits: int = 1) -> str:
    """A share in [0, 1] as a French percentage: 0.1234 → "12,3 %"."""
    return f"{100 * float(share):.{digits}f}".replace(".", ",") + "\u00a0%"


def population_beyond(communes: pd.DataFrame) -> tuple[float, float]:
    """Population beyond the threshold and its share of the total population.

    Uses ``population_au_dela_seuil`` when the indicators give it (partial for
    the ``carreaux`` origin), else the population of the flagged communes.
    """
    pop = communes["population"].astype(float)
    if "population_au_dela_seuil" in communes.columns:
        out = float(communes["population_au_dela_seuil"].astype(float).sum())
    else:
        out = float(pop[communes["au_dela_seuil"].astype(bool)].sum())
    return out, (out / pop.sum() if pop.sum() else 0.0)
