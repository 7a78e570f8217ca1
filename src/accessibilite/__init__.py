"""accessibilite — travel-time access to public services for French territories.

The public API is re-exported here. Sub-modules are imported lazily on first
attribute access so that ``import accessibilite`` (and the command line's
``--help``) stays fast: geopandas, osmnx and matplotlib load only when used.

Data flow (each module imports only from those to its left; see
``docs/architecture.md``)::

    sources, datafrance → territories, admin_files, carreaux, services, health ─┐
    speeds → network → routing, isochrones;  estimate ───────────────────────────┴→
        access → indicators → coverage → scenarios, potential → maps, webmap, report → cli
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_API: dict[str, str] = {
    # errors
    "AccessibiliteError": "errors",
    "DataFileError": "errors",
    "MissingColumnError": "errors",
    "InputError": "errors",
    "NetworkError": "errors",
    "DownloadError": "errors",
    # settings / sources
    "settings": "settings",
    # territories
    "communes": "territories",
    "cantons": "territories",
    "commune_cantons": "territories",
    "epcis": "territories",
    "departement_contour": "territories",
    "read_communes": "admin_files",
    "departements": "datafrance",
    # population grid
    "load_carreaux": "carreaux",
    # services
    "load_france_services": "services",
    "load_points": "services",
    "load_finess": "health",
    "load_bpe": "health",
    "RejectedRowsWarning": "_points",
    # travel-time providers
    "TravelTimeProvider": "provider",
    "RoadNetwork": "network",
    "load_profile": "speeds",
    "parse_maxspeed": "speeds",
    "speed_kmh": "speeds",
    "StraightLineEstimate": "estimate",
    # indicators
    "access_times": "access",
    "flag_deficits": "indicators",
    "coverage_over_time": "coverage",
    "cumulated_deficits": "coverage",
    # scenarios
    "closure_impact": "scenarios",
    "recommend_sites": "scenarios",
    "potential_access": "potential",
    # outputs
    "plot_access_map": "maps",
    "plot_scenario_map": "maps",
    "interactive_map": "webmap",
    "save_map": "maps",
    "write_csv": "report",
    "write_geopackage": "report",
    "write_report": "report",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'accessibilite' has no attribute {name!r}")
    mod = importlib.import_module(f"{__name__}.{module}")
    value = mod if name == module else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:  # pragma: no cover - for static analysers and IDEs
    from . import settings as settings
    from .errors import AccessibiliteError as AccessibiliteError
    from .errors import DataFileError as DataFileError
    from .errors import DownloadError as DownloadError
    from .errors import InputError as InputError
    from .errors import MissingColumnError as MissingColumnError
    from .errors import NetworkError as NetworkError
