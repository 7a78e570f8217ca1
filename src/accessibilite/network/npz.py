"""A :class:`~accessibilite.network.RoadNetwork` on disk: the ``.npz`` file and the download cache.

One ``.npz`` file (a zip of ``.npy`` arrays, no pickle): ``x``, ``y``,
``indptr``, ``indices``, ``time``, ``length``, ``osmid`` (when known) and
``meta`` (UTF-8 JSON). Zip entries carry a fixed date, so saving the same
network twice gives byte-identical files (``docs/speed-model.md``, section 5).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import settings
from ..errors import DataFileError

FORMAT = "accessibilite.RoadNetwork"
FORMAT_VERSION = 1
#: Network attributes stored in ``meta`` (and keyword arguments of ``RoadNetwork``).
META = (
    "mode",
    "crs",
    "description",
    "access_speed_kmh",
    "max_snap_m",
    "dropped_nodes",
    "source",
    "date",
)


def cache_path(polygon, mode: str, prof: dict) -> Path:
    """Cache file of a downloaded network, keyed by (buffered polygon, mode, profile)."""
    digest = hashlib.sha256(polygon.wkb)
    digest.update(json.dumps([mode, prof, FORMAT_VERSION], sort_keys=True).encode())
    return Path(settings.cache_folder) / "reseaux" / f"reseau_{mode}_{digest.hexdigest()[:20]}.npz"


def write(net: Any, path: Path) -> Path:
    """Write ``net`` (a ``RoadNetwork``) to ``path``, atomically, byte-reproducibly."""
    meta = {"format": FORMAT, "version": FORMAT_VERSION} | {k: getattr(net, k) for k in META}
    arrays = {
        "x": net.x,
        "y": net.y,
        "indptr": net.graph.indptr.astype(np.int64),
        "indices": net.graph.indices.astype(np.int64),
        "time": net.graph.data.astype(np.float64),
        "length": net.length.data.astype(np.float64),
        "meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), np.uint8),
    }
    if net.osmid is not None:
        arrays["osmid"] = net.osmid
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, buffer.getvalue())
    tmp.replace(path)
    return path


def read(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and ``meta`` of a network file written by :func:`write`.

    Raises
    ------
    DataFileError
        Missing, unreadable, or not a network file.
    """
    if not path.is_file():
        raise DataFileError(path, "fichier de réseau introuvable")
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
            arrays = {k: archive[k] for k in archive.files if k != "meta"}
        if meta.get("format") != FORMAT:
            raise ValueError("ce n'est pas un réseau accessibilite")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataFileError(path, f"fichier de réseau illisible ou incomplet ({exc})") from exc
    return arrays, meta
