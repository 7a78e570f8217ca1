"""Package-wide settings, in the spirit of ``osmnx.settings``.

Change them by assignment, e.g. ``accessibilite.settings.cache_folder = "/data/cache"``.
Environment variables give the defaults so that the command line and CI can set
them without code.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Folder of the on-disk download cache (official lists, OSM extracts, built networks).
cache_folder: Path = Path(
    os.environ.get("ACCESSIBILITE_CACHE", Path.home() / ".cache" / "accessibilite")
)

#: A local data folder searched before any download: put official files there
#: (same file names as the cache) to work fully offline.
data_folder: Path | None = (
    Path(os.environ["ACCESSIBILITE_DATA"]) if os.environ.get("ACCESSIBILITE_DATA") else None
)

#: Show tqdm progress bars on long steps.
progress: bool = os.environ.get("ACCESSIBILITE_PROGRESS", "1") != "0"

#: Timeout (seconds) of HTTP downloads.
timeout: float = 180.0

#: Timeout (seconds) of the connection probe made before every download: an
#: offline machine (no DNS answer, no route) is detected within this delay.
probe_timeout: float = 2.0

#: Internal projected CRS for metropolitan France (Lambert-93).
crs: str = "EPSG:2154"
