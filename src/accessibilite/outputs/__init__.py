"""Outputs: static maps (matplotlib), web map (folium), GeoPackage / CSV tables, HTML report.

Everything a user reads is in French. May import every layer before it
(analysis results are its input); nothing imports it but the command line.
"""

from .maps import plot_access_map, save_map
from .report import write_report
from .scenario_map import plot_scenario_map
from .tables import write_csv, write_geopackage
from .webmap import interactive_map

__all__ = [
    "interactive_map",
    "plot_access_map",
    "plot_scenario_map",
    "save_map",
    "write_csv",
    "write_geopackage",
    "write_report",
]
