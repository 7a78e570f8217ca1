"""Road-network ingestion: ``from_osm`` / ``from_lines`` against a bare pyosmium pass and osmnx.

Run: ``python benchmarks/bench_ingest.py [--osmnx] [--tiles 20] [--work DIR]``

1. The real 05 Hautes-Alpes network (Geofabrik free layout, shared data) is
   written as an ``.osm.pbf`` by ``benchmarks/geofabrik_pbf.py`` (one node per
   distinct coordinate and level, one way per Geofabrik row), and a synthetic
   file ``--tiles`` times larger (copies of 05 side by side).
2. Each measurement runs in its own Python process, which reports its wall
   time and peak resident memory (``resource.getrusage``):

   * bare pass: pyosmium ``FileProcessor`` with node locations and a
     ``highway`` key filter, counting the ways (the floor for any reader);
   * ``RoadNetwork.from_osm`` (voiture), the streaming builder;
   * the osmnx path (``--osmnx``, minutes): the highways copied to OSM XML,
     ``osmnx.graph_from_xml`` then ``RoadNetwork.from_networkx``, i.e. what
     ``from_osm`` did before;
   * ``RoadNetwork.from_lines`` on the 78 Yvelines GeoPackage.

Targets (issue 8): from_osm ≤ 10× the bare pass and ≤ 1 GB on 05; time and
memory linear in size; from_lines on 78 ≤ 10 s and ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data" / "roads" / "osm-geofabrik-2021"

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if kind == "bare":
    import osmium
    n = 0
    fp = osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
    for obj in fp.with_locations().with_filter(osmium.filter.KeyFilter("highway")):
        if obj.is_way():
            n += 1
    info = f"{n} voies highway"
elif kind == "from_osm":
    from accessibilite.network import RoadNetwork
    t_import = time.perf_counter() - t0
    net = RoadNetwork.from_osm(path)
    info = f"{net.n_nodes} nœuds, {net.n_edges} arcs (dont import {t_import:.2f} s)"
elif kind == "osmnx":
    from pathlib import Path
    from accessibilite.network import load_profile
    from accessibilite.network.osm import read_osm
    from accessibilite.network.readers import networkx_kwargs
    from accessibilite.network.road import RoadNetwork
    G = read_osm(Path(path))
    net = RoadNetwork(**networkx_kwargs(G, "voiture", load_profile(), "osmnx", None))
    info = f"{net.n_nodes} nœuds, {net.n_edges} arcs"
elif kind == "from_lines":
    from accessibilite.network import RoadNetwork
    net = RoadNetwork.from_lines(path)
    info = f"{net.n_nodes} nœuds, {net.n_edges} arcs"
seconds = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "info": info}))
"""


def measure(kind: str, path: Path) -> dict:
    """Run one measurement in a fresh interpreter; its time, peak memory and summary."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, ACCESSIBILITE_PROGRESS="0"),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osmnx", action="store_true", help="also time the osmnx path (minutes)")
    parser.add_argument("--tiles", type=int, default=20, help="size of the synthetic file")
    parser.add_argument("--work", type=Path, default=None, help="folder for the PBF files")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.gettempdir()) / "accessibilite-bench-ingest"
    work.mkdir(parents=True, exist_ok=True)
    pbf = work / "05.osm.pbf"
    big = work / f"05x{args.tiles}.osm.pbf"
    # files written in a child process: Linux keeps a process's peak resident
    # memory across exec, so the measured children must start from a small parent
    for path, tiles in [(pbf, 1)] + ([(big, args.tiles)] if args.tiles > 1 else []):
        if not path.is_file():
            source = str(SHARED / "osm-roads-05.gpkg")
            converter = [sys.executable, str(HERE / "geofabrik_pbf.py"), source, str(path)]
            subprocess.run([*converter, "--tiles", str(tiles)], check=True)
    rows = []

    def run(label, kind, path, bare=None):
        r = measure(kind, path)
        ratio = f"{r['seconds'] / bare['seconds']:6.1f}×" if bare else "   1,0×"
        rows.append((label, r, ratio))
        print(
            f"{label:<34} {r['seconds']:8.2f} s {r['peak_mb']:8.0f} Mo  {ratio}  {r['info']}",
            flush=True,
        )
        return r

    size = pbf.stat().st_size / 1e6
    print(f"05 Hautes-Alpes : {pbf.name} ({size:.1f} Mo)")
    bare = run("passe pyosmium nue (05)", "bare", pbf)
    run("RoadNetwork.from_osm (05)", "from_osm", pbf, bare)
    if args.osmnx:
        run("chemin osmnx (05)", "osmnx", pbf, bare)
    if args.tiles > 1:
        print(f"synthétique {args.tiles}× : {big.name} ({big.stat().st_size / 1e6:.1f} Mo)")
        bare_big = run(f"passe pyosmium nue (05 ×{args.tiles})", "bare", big)
        r = run(f"RoadNetwork.from_osm (05 ×{args.tiles})", "from_osm", big, bare_big)
        small = next(x for label, x, _ in rows if label == "RoadNetwork.from_osm (05)")
        print(
            f"  croissance : temps ×{r['seconds'] / small['seconds']:.1f}, "
            f"mémoire ×{r['peak_mb'] / small['peak_mb']:.1f} pour des données ×{args.tiles}"
        )
    run("RoadNetwork.from_lines (78 GeoPackage)", "from_lines", SHARED / "osm-roads-78.gpkg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
