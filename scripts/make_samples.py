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
* ``roads/osm-geofabrik-2021/osm-roads-04-shp.zip`` and, by car, the roads of
  ``osm-roads-05.gpkg`` within 20 km of the 04 (OpenStreetMap of July 2021,
  Geofabrik free layout, ODbL): read with ``RoadNetwork.from_lines``, which splits
  the ways at their shared vertices, times them with the French speed model and
  keeps the largest strongly connected component, by car (``voiture``) and on foot
  (``marche``); saved with ``RoadNetwork.save`` (compact CSR ``.npz``) then with
  deflated zip entries (byte-reproducible), with ``date`` and ``description`` set
  for the ODbL attribution of every output (``source`` is from ``from_lines``).

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
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "accessibilite" / "datasets"
SHARED = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", ROOT.parent / "shared" / "data"))

#: embedded name → raw file under the shared folder
LISTS = {
    "france-services-20240801.csv.xz": "services/france_services/liste-fs-20240801.csv",
    "france-services-20200102.csv.xz": "services/france_services/france-services-20200102.csv",
}
#: (département, mode) → raw road layers under the shared folder, and the margin kept
#: around the département (km). By car, the Hautes-Alpes (05) roads within 20 km are
#: added, so that the France Services sites of the 05 within the CLI's default 20 km
#: margin are reachable; no road file of 06, 26, 83 or 84 is available here.
NETWORKS = {
    ("04", "voiture"): (
        [
            "roads/osm-geofabrik-2021/osm-roads-04-shp.zip",
            "roads/osm-geofabrik-2021/osm-roads-05.gpkg",
        ],
        20,
    ),
    ("04", "marche"): (["roads/osm-geofabrik-2021/osm-roads-04-shp.zip"], 0),
}
#: data date written into each network (``from_lines`` cannot read it from the layer);
#: with ``source`` ("OpenStreetMap (Geofabrik)") it is shown on every output made with it
NETWORK_DATE = "2021-07"
#: how the network is named in its description (the method line of every output)
NETWORK_NAMES = {
    ("04", "voiture"): "réseau routier OpenStreetMap de juillet 2021 des Alpes-de-Haute-Provence "
    "et des Hautes-Alpes à moins de 20 km (extrait Geofabrik embarqué, ODbL)",
    ("04", "marche"): "réseau routier et piéton OpenStreetMap de juillet 2021 des "
    "Alpes-de-Haute-Provence (extrait Geofabrik embarqué, ODbL)",
}
LAYER = "gis_osm_roads_free_1"


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
    import warnings

    import geopandas as gpd
    import pandas as pd

    from accessibilite import RoadNetwork, communes
    from accessibilite.network.readers import description

    for (dep, mode), (raws, margin_km) in NETWORKS.items():
        start = time.perf_counter()
        layers = [gpd.read_file(shared / raw, layer=LAYER, engine="pyogrio") for raw in raws]
        # a way crossing the border is in both files, with the same osm_id and geometry
        ways = pd.concat([g.to_crs(layers[0].crs) for g in layers], ignore_index=True)
        ways = gpd.GeoDataFrame(ways.drop_duplicates("osm_id"), crs=layers[0].crs)
        with warnings.catch_warnings():  # nodes outside the largest component: printed below
            warnings.simplefilter("ignore", UserWarning)
            net = RoadNetwork.from_lines(
                ways.reset_index(drop=True),
                mode=mode,
                schema="geofabrik",
                territory=communes(dep) if margin_km else None,
                buffer_km=margin_km,
            )
        net.date = NETWORK_DATE
        generic = description(net.mode, "OpenStreetMap", None)
        assert " sur le réseau OpenStreetMap, " in generic, generic
        net.description = generic.replace("réseau OpenStreetMap", NETWORK_NAMES[dep, mode], 1)
        path = _deflate(net.save(OUT / f"reseau-{dep}-{mode}.npz"))
        print(
            f"{dep} {mode}: {len(ways):,d} voies lues, {net!r}, {net.dropped_nodes} nœuds hors "
            f"composante, en {time.perf_counter() - start:.1f} s"
        )
        _report(path)


def _deflate(path: Path) -> Path:
    """Rewrite a saved network with deflated zip entries: half the size, still a valid ``.npz``.

    ``RoadNetwork.save`` stores the arrays uncompressed; ``numpy.load`` (hence
    ``RoadNetwork.load``) reads deflated entries too. Entries keep their order and
    fixed date, so the file stays byte-reproducible.
    """
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as out:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, src.read(info.filename), compresslevel=6)
    tmp.replace(path)
    return path


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
