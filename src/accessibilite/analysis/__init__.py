"""Analysis: access times, deficit flags, coverage through time, scenarios, potential access.

Works on any travel-time provider of :mod:`accessibilite.network` and the frames
of :mod:`accessibilite.territories` / :mod:`accessibilite.services`; returns
plain (Geo)DataFrames for the outputs. May import every layer before it.
"""

from .access import access_times
from .coverage import coverage_over_time, cumulated_deficits
from .indicators import flag_deficits
from .potential import potential_access
from .qpv import QpvAccess, qpv_access
from .scenarios import closure_impact, recommend_sites

__all__ = [
    "QpvAccess",
    "access_times",
    "closure_impact",
    "coverage_over_time",
    "cumulated_deficits",
    "flag_deficits",
    "potential_access",
    "qpv_access",
    "recommend_sites",
]
