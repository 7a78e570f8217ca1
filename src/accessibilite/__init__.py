"""accessibilite — travel-time access to public services for French territories.

The public API is re-exported here. Sub-modules are imported lazily on first
attribute access so that ``import accessibilite`` (and the command line's
``--help``) stays fast: geopandas, osmnx and matplotlib load only when used.

Layout (one subpackage a stage of the data flow; each imports only from those
to its left, see ``docs/architecture.md``)::

    settings, errors, sources, rejects, datasets (foundation, importable everywhere)
    territories → services → network → analysis → outputs → cli
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
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
    "OfflineError": "errors",
    # settings / sources
    "settings": "settings",
    "sources": "sources",
    # embedded sample data (France Services lists, 04 road network)
    "datasets": "datasets",
    # territories
    "communes": "territories",
    "cantons": "territories",
    "commune_cantons": "territories",
    "epcis": "territories",
    "departement_contour": "territories",
    "read_communes": "territories",
    "departements": "territories",
    # population grid
    "load_carreaux": "territories",
    # priority neighbourhoods (QPV)
    "load_qpv": "territories",
    "qpv_access": "analysis",
    "QpvAccess": "analysis",
    # services
    "load_france_services": "services",
    "load_points": "services",
    "parse_date": "services",
    "UnreadableFieldWarning": "services",
    "load_finess": "services",
    "load_bpe": "services",
    "RejectedRowsWarning": "rejects",
    # travel-time providers
    "TravelTimeProvider": "network",
    "RoadNetwork": "network",
    "load_profile": "network",
    "parse_maxspeed": "network",
    "speed_kmh": "network",
    "StraightLineEstimate": "network",
    # indicators
    "access_times": "analysis",
    "flag_deficits": "analysis",
    "coverage_over_time": "analysis",
    "cumulated_deficits": "analysis",
    # scenarios
    "closure_impact": "analysis",
    "recommend_sites": "analysis",
    "potential_access": "analysis",
    # outputs
    "plot_access_map": "outputs",
    "plot_scenario_map": "outputs",
    "interactive_map": "outputs",
    "save_map": "outputs",
    "write_csv": "outputs",
    "write_geopackage": "outputs",
    "write_report": "outputs",
}

__all__ = sorted(_API) + ["__version__"]

#: Module paths of the flat layout before 0.2, kept as aliases of their new home
#: (``import accessibilite.maps`` or ``accessibilite.routing.nearest`` still work).
_LEGACY: dict[str, str] = {
    "admin_files": "territories.admin_files",
    "datafrance": "territories.datafrance",
    "carreaux": "territories.carreaux",
    "health": "services.health",
    "speeds": "network.speeds",
    "routing": "network.routing",
    "isochrones": "network.isochrones",
    "estimate": "network.estimate",
    "provider": "network.provider",
    "access": "analysis.access",
    "indicators": "analysis.indicators",
    "coverage": "analysis.coverage",
    "scenarios": "analysis.scenarios",
    "potential": "analysis.potential",
    "maps": "outputs.maps",
    "webmap": "outputs.webmap",
    "report": "outputs.report",
}


class _LegacyFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``accessibilite.<old module>`` to the module that now holds it."""

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, leaf = fullname.rpartition(".")
        if prefix != __name__ or leaf not in _LEGACY:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(f"{__name__}.{_LEGACY[spec.name.rpartition('.')[2]]}")
        self._spec = module.__spec__  # the import machinery overwrites it with the alias'
        return module

    def exec_module(self, module) -> None:  # already executed: only restore its own spec
        module.__spec__ = self._spec


sys.meta_path.append(_LegacyFinder())


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        if name in _LEGACY:
            return importlib.import_module(f"{__name__}.{name}")
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
    from .errors import OfflineError as OfflineError
