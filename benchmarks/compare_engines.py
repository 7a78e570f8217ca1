"""accessibilite versus OSRM on the same OSM data: Hautes-Alpes (05) commune → France Services.

Run in a Python ≥ 3.12 virtual environment with ``osrm-bindings`` and this
project installed (not part of CI; about a minute, most of it the OSRM build,
cached in ``--work``)::

    python3.12 -m venv venv312 && venv312/bin/pip install osrm-bindings -e ".[dev]"
    venv312/bin/python benchmarks/compare_engines.py [--work DIR] [--departement 05]

Data: the département's Geofabrik free roads (July 2021,
``../shared/data/roads/osm-geofabrik-2021``) converted to one ``.osm.pbf`` by
``geofabrik_pbf.py``, read both by OSRM (car.lua of the wheel, CH) and by
``RoadNetwork.from_osm``; origins: the town halls of the 162 communes
(``communes``), destinations: the 21 France Services of the 2024 list.

Printed:

* the commune × site time matrices of both engines: median, p10 and p90 of the
  per-pair time ratio accessibilite ÷ OSRM; Spearman correlation of the
  nearest-site times; communes beyond 30 min for each engine;
* per road class, along OSRM's route from each commune to its nearest site:
  both engines' times on the same OSM segments (the library's network built
  without contraction, so that its edges are OSM segments), driven speeds and
  the median, p10, p90 of the per-route time ratio (routes with ≥ 500 m of the
  class). Three versions of the speed model are shown: ``v1`` (the profile
  before the curvature work: realism 0.75 tertiary, 0.65 unclassified, no
  curvature factor),
  ``sans courbure`` (today's profile without the factor) and ``actuel``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402
from accessibilite import RoadNetwork, communes, load_france_services, load_profile  # noqa: E402
from accessibilite.network import readers  # noqa: E402
from geofabrik_pbf import geofabrik_to_pbf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", ROOT.parent / "shared" / "data"))
ROADS = {
    "04": SHARED / "roads/osm-geofabrik-2021/osm-roads-04-shp.zip",
    "05": SHARED / "roads/osm-geofabrik-2021/osm-roads-05.gpkg",
    "78": SHARED / "roads/osm-geofabrik-2021/osm-roads-78.gpkg",
}
FS_2024 = SHARED / "services/france_services/liste-fs-20240801.csv"
CLASSES = ("primary", "secondary", "tertiary", "unclassified", "residential", "service")
MIN_CLASS_M = 500.0


def profiles() -> dict[str, dict]:
    """The three versions of the speed model compared."""
    now = load_profile()
    flat = copy.deepcopy(now)
    del flat["voiture"]["curvature"]
    v1 = copy.deepcopy(flat)
    v1["voiture"]["realism"].update(tertiary=0.75, unclassified=0.65)
    return {"v1": v1, "sans courbure": flat, "actuel": now}


def _lonlat(gdf) -> np.ndarray:
    g = gdf.to_crs(4326)
    return np.column_stack([g.x, g.y])


def segment_classes(pbf: Path) -> dict[tuple[int, int], str]:
    """(node, node) of every way segment of the PBF → its highway class."""
    import osmium

    out: dict[tuple[int, int], str] = {}
    for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY):
        hw = w.tags.get("highway")
        ids = [n.ref for n in w.nodes]
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            out[(a, b)] = out[(b, a)] = hw
    return out


def osrm_routes(base: Path, origins: np.ndarray, targets: np.ndarray) -> list[dict]:
    """OSRM route (nodes, per-segment durations) from each origin to its target."""
    import osrm

    engine = peers._osrm_engine(str(Path(base).resolve()), peers._osrm_algorithm(Path(base)))
    routes = []
    for (x0, y0), (x1, y1) in zip(origins, targets, strict=True):
        params = osrm.RouteParameters(
            coordinates=[(float(x0), float(y0)), (float(x1), float(y1))],
            annotations=["nodes", "duration", "distance"],
            overview="false",
            generate_hints=False,
        )
        leg = engine.Route(params)["routes"][0]["legs"][0]["annotation"]
        routes.append(
            {
                "nodes": np.array(list(leg["nodes"]), dtype=np.int64),
                "duration": np.array(list(leg["duration"]), dtype=np.float64),
                "distance": np.array(list(leg["distance"]), dtype=np.float64),
            }
        )
    return routes


def edge_times(net: RoadNetwork) -> dict[tuple[int, int], float]:
    """(OSM node, OSM node) → the network's edge time (s) of an uncontracted network."""
    e = net.edges()
    ids = net.osmid
    return dict(
        zip(zip(ids[e.u].tolist(), ids[e.v].tolist(), strict=True), e.travel_time_s, strict=True)
    )


def per_class(routes, classes, times: dict[str, dict]) -> pd.DataFrame:
    """Per route and class: OSRM time, km, and each model's time on the same segments."""
    rows = []
    for r, route in enumerate(routes):
        nodes = route["nodes"]
        pairs = list(zip(nodes[:-1].tolist(), nodes[1:].tolist(), strict=True))
        cls = np.array([classes.get(p, "?") for p in pairs])
        for name, t in times.items():
            ours = np.array([t.get(p, np.nan) for p in pairs])
            for c in np.unique(cls):
                m = cls == c
                rows.append(
                    {
                        "route": r,
                        "classe": c,
                        "modèle": name,
                        "m": route["distance"][m].sum(),
                        "osrm_s": route["duration"][m].sum(),
                        "ours_s": np.nansum(ours[m]),
                        "missing": int(np.isnan(ours[m]).sum()),
                    }
                )
    return pd.DataFrame(rows)


def class_summary(df: pd.DataFrame) -> pd.DataFrame:
    out = []
    df = df.assign(classe=df["classe"].where(df["classe"].isin(CLASSES), "autres"))
    for (name, c), g in df.groupby(["modèle", "classe"]):
        g = g.groupby("route")[["m", "osrm_s", "ours_s"]].sum()
        big = g[g["m"] >= MIN_CLASS_M]
        ratio = (big["ours_s"] / big["osrm_s"]).to_numpy()
        km = g["m"].sum() / 1000
        out.append(
            {
                "modèle": name,
                "classe": c,
                "routes": len(big),
                "km": km,
                "osrm_kmh": km / (g["osrm_s"].sum() / 3600),
                "nous_kmh": km / (g["ours_s"].sum() / 3600),
                "ratio_méd": np.median(ratio) if len(ratio) else np.nan,
                "p10": np.percentile(ratio, 10) if len(ratio) else np.nan,
                "p90": np.percentile(ratio, 90) if len(ratio) else np.nan,
            }
        )
    order = {c: i for i, c in enumerate((*CLASSES, "autres"))}
    res = pd.DataFrame(out)
    return res.sort_values(
        ["modèle", "classe"], key=lambda s: s.map(order) if s.name == "classe" else s
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default="05", choices=sorted(ROADS))
    parser.add_argument("--work", type=Path, default=ROOT.parent / "scratch" / "compare_engines")
    parser.add_argument("--seuil", type=float, default=30.0, help="threshold (min)")
    args = parser.parse_args(argv)
    if not peers.osrm_available():
        print("OSRM absent: run in a Python ≥ 3.12 venv with osrm-bindings (see the docstring)")
        return 1
    dep, work = args.departement, args.work
    work.mkdir(parents=True, exist_ok=True)
    pbf = work / f"{dep}.osm.pbf"
    t0 = time.perf_counter()
    if not pbf.exists():
        geofabrik_to_pbf(str(ROADS[dep]), str(pbf))
    base = work / f"osrm{dep}" / f"{dep}.osrm"
    if not Path(f"{base}.hsgr").exists():
        base = peers.build_osrm(pbf, work / f"osrm{dep}")
    print(f"PBF + OSRM build: {time.perf_counter() - t0:.1f} s ({peers.peer_versions()})")

    com = communes(dep)
    fs = load_france_services(FS_2024, departement=dep)
    origins, sites = _lonlat(com["mairie"]), _lonlat(fs.geometry)
    osrm_m = peers.osrm_table(base, origins, sites)

    t0 = time.perf_counter()
    net = RoadNetwork.from_osm(pbf, "voiture")
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_m = net.time_matrix(com["mairie"], fs)
    t_query = time.perf_counter() - t0
    print(
        f"accessibilite: from_osm {t_build:.1f} s ({net.n_nodes:,} nodes, {net.n_edges:,} edges), "
        f"time_matrix {len(com)}×{len(fs)} {t_query:.3f} s"
    )
    ok = np.isfinite(osrm_m) & np.isfinite(ours_m)
    ratio = ours_m[ok] / osrm_m[ok]
    print(
        f"\n{len(com)} communes × {len(fs)} France Services, {ok.sum()} pairs routed by both: "
        f"ratio accessibilite/OSRM median {np.median(ratio):.3f}, "
        f"p10 {np.percentile(ratio, 10):.3f}, p90 {np.percentile(ratio, 90):.3f}"
    )
    near_o, near_a = np.nanmin(osrm_m, axis=1), np.nanmin(ours_m, axis=1)
    rho = stats.spearmanr(near_o, near_a, nan_policy="omit").statistic
    seuil = args.seuil * 60
    print(
        f"nearest-site times: Spearman {rho:.3f}; median OSRM {np.nanmedian(near_o) / 60:.1f} min, "
        f"accessibilite {np.nanmedian(near_a) / 60:.1f} min; beyond {args.seuil:g} min: "
        f"OSRM {int((near_o > seuil).sum())}, accessibilite {int((near_a > seuil).sum())}"
    )
    for name, col in (("OSRM", near_o), ("accessibilite", near_a)):
        far = com.loc[col > seuil, "nom"].tolist()
        print(f"  > {args.seuil:g} min ({name}): {', '.join(far) or '-'}")

    # per road class, along OSRM's nearest-site routes
    t0 = time.perf_counter()
    target = sites[np.nanargmin(np.where(np.isfinite(osrm_m), osrm_m, np.inf), axis=1)]
    routes = osrm_routes(base, origins, target)
    classes = segment_classes(pbf)
    times = {}
    for name, prof in profiles().items():
        flat = RoadNetwork(**readers.osm_file_kwargs(pbf, "voiture", prof, contract=False))
        times[name] = edge_times(flat)
    table = class_summary(per_class(routes, classes, times))
    print(
        f"\nper road class along {len(routes)} OSRM nearest-site routes ({time.perf_counter() - t0:.1f} s)"
    )
    pd.set_option("display.width", 160)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
