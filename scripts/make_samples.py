"""Build the embedded sample data of ``accessibilite.datasets`` from the shared raw files.

Run once, from the repository root, when a snapshot is added or rebuilt::

    python scripts/make_samples.py                 # everything
    python scripts/make_samples.py --only listes   # the France Services lists only
    python scripts/make_samples.py --only reseaux  # the road networks only

Inputs (read-only, see ``../shared/data/**/PROVENANCE.md``; another folder with
``--shared DOSSIER`` or the ``ACCESSIBILITE_SHARED_DATA`` variable):

* ``services/france_services/liste-fs-20240801.csv`` and
  ``france-services-20200102.csv`` (ANCT, Licence Ouverte 2.0): copied byte for
  byte, xz-compressed (preset 9 extreme, deterministic);
* ``roads/osm-geofabrik-2021/osm-roads-04-shp.zip`` (OpenStreetMap of July 2021,
  Geofabrik free layout, ODbL): read with ``RoadNetwork.from_lines``, which splits
  the ways at their shared vertices, times them with the French speed model and
  keeps the largest strongly connected component; saved with ``RoadNetwork.save``
  (compact CSR ``.npz``, byte-reproducible), with ``source`` / ``date`` /
  ``description`` set for the ODbL attribution of every output.

Outputs go to ``src/accessibilite/datasets/``; the script prints each file's
size and sha256, to copy into ``PROVENANCE.md`` there and ``docs/data-sources.md``
(``tests/test_datasets.py`` checks that the checksums listed match the files).
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "accessibilite" / "datasets"
SHARED = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", ROOT.parent / "shared" / "data"))

#: embedded name → raw file under the shared folder
LISTS = {
    "france-services-20240801.csv.xz": "services/france_services/liste-fs-20240801.csv",
    "france-services-20200102.csv.xz": "services/france_services/france-services-20200102.csv",
}
#: (département, mode) → raw road file under the shared folder
NETWORKS = {("04", "voiture"): "roads/osm-geofabrik-2021/osm-roads-04-shp.zip"}
#: provenance written into each network (shown on every map and report made with it)
NETWORK_SOURCE = "OpenStreetMap, extrait Geofabrik"
NETWORK_DATE = "2021-07"


def _report(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{path.name:36s} {path.stat().st_size:>10,d} o  sha256 {digest}")


def make_lists(shared: Path) -> None:
    for name, raw in LISTS.items():
        data = (shared / raw).read_bytes()
        packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
        assert lzma.decompress(packed) == data
        tmp = OUT / (name + ".tmp")
        tmp.write_bytes(packed)
        tmp.replace(OUT / name)
        _report(OUT / name)


def make_networks(shared: Path) -> None:
    from accessibilite import RoadNetwork

    for (dep, mode), raw in NETWORKS.items():
        start = time.perf_counter()
        net = RoadNetwork.from_lines(shared / raw, mode=mode)
        net.source, net.date = NETWORK_SOURCE, NETWORK_DATE
        net.description = _description(net)
        path = net.save(OUT / f"reseau-{dep}-{mode}.npz")
        print(f"{dep} {mode}: {net!r} en {time.perf_counter() - start:.1f} s")
        _report(path)


def _description(net) -> str:
    """The network's description with the embedded provenance (replaces the file name)."""
    from accessibilite.network.road import _description as describe

    return describe(net.mode, net.source, net.date)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["listes", "reseaux"])
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    if args.only in (None, "listes"):
        make_lists(args.shared)
    if args.only in (None, "reseaux"):
        make_networks(args.shared)


if __name__ == "__main__":
    main()
