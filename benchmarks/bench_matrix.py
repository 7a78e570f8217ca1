"""Matrix benchmark: ``time_matrix`` engines against OSRM ``table`` and the bare scipy kernel.

Run by hand (a few minutes; one heavy job at a time on a shared machine)::

    python benchmarks/bench_matrix.py --network 05.npz --osrm 05.osrm [--synthetic-side 400]

Tasks, printed side by side with ratios in one run:

* on the real Hautes-Alpes (05) road network: 162 town halls × 21 France
  Services, and 2,000 × 2,000 random points of the département;
* on the 160k-node synthetic road-like graph (``synthetic.py``): 2,000 × 2,000;
* ``recommend_sites`` (every town hall of 05 as candidate, 30 min) and
  ``potential_access`` (2SFCA, 20-min catchment) on the real 05 network.

Columns: the library call ``net.time_matrix(o, d)`` (``engine="auto"``, snapping
and access legs included; the contraction built beforehand, its time printed
apart), ``engine="dijkstra"`` (the plain engine), the bare
``scipy.sparse.csgraph.dijkstra`` kernel on the snapped nodes (no snapping, no
legs) and OSRM's ``table`` (``benchmarks/peers.py``, ``osrm-bindings`` in a
Python 3.12 venv given by ``PEERS_PYTHON``; query time only, measured inside the
OSRM process). OSRM uses its own car profile and snapping, so only times are
compared, not values. Nothing is asserted: the machine is shared, numbers are noisy.

The 05 network: ``--network`` (a ``RoadNetwork.save`` file), ``--lignes`` (the
Geofabrik layer, ``RoadNetwork.from_lines``) or ``--pbf`` (``RoadNetwork.from_osm``); the OSRM dataset: ``--osrm`` (prepared,
``.osrm`` base path) or built from ``--pbf`` with ``peers.build_osrm``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

import accessibilite as acc
from accessibilite.network import routing
from accessibilite.network.ch import build_ch, ch_matrix

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import road_like_network  # noqa: E402

SHARED = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", "/work/shared/data"))
FS_2024 = SHARED / "services" / "france_services" / "liste-fs-20240801.csv"


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _peers():
    try:
        import peers  # benchmarks/peers.py (OSRM / Valhalla wheels, Python 3.12)
    except ImportError:
        return None
    return peers if peers.osrm_available() else None


def random_points(outline, k: int, seed: int = 0) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = outline.bounds
    shapely.prepare(outline)
    pts: list[np.ndarray] = []
    while sum(len(p) for p in pts) < k:
        c = np.column_stack([rng.uniform(x0, x1, 4 * k), rng.uniform(y0, y1, 4 * k)])
        pts.append(c[shapely.contains_xy(outline, c[:, 0], c[:, 1])])
    xy = np.concatenate(pts)[:k]
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:2154")


def _row(name, times: dict[str, float | None]) -> str:
    ref = times.get("OSRM table")
    cells = []
    for key, val in times.items():
        if val is None:
            cells.append(f"{key} —")
            continue
        ratio = f" ({val / ref:.2f}× OSRM)" if ref and key != "OSRM table" else ""
        cells.append(f"{key} {val:.3f} s{ratio}")
    return f"{name:<24} " + " | ".join(cells)


def bench_task(name, net, ch, o, d, peers, osrm, repeat, dijkstra_sample=None):
    """Print one line: auto / ch query / plain dijkstra engine / bare scipy / OSRM."""
    times: dict[str, float | None] = {}
    t_auto, m_auto = best_of(lambda: net.time_matrix(o, d), repeat)
    times["accessibilite (auto)"] = t_auto
    on = net.snap(o)["node"].to_numpy()
    dn = net.snap(d)["node"].to_numpy()
    times["CH requête"], _ = best_of(lambda: ch_matrix(ch, np.unique(on), np.unique(dn)), repeat)
    ud, uo = np.unique(dn), np.unique(on)  # the plain engine searches from the smaller side
    side, gg = (ud, routing._graph_t(net)) if len(ud) <= len(uo) else (uo, routing._graph(net))
    sample = side if dijkstra_sample is None else side[:dijkstra_sample]
    scale = len(side) / len(sample)
    t_bare, _ = best_of(lambda: dijkstra(gg, indices=sample), 1 if scale > 1 else repeat)
    times["scipy nu" + (" (estimé)" if scale > 1 else "")] = t_bare * scale
    if dijkstra_sample is None:
        t_dij, m_dij = best_of(lambda: net.time_matrix(o, d, engine="dijkstra"), 1)
        fin = np.isfinite(m_dij)
        err = float(np.abs(m_auto[fin] - m_dij[fin]).max()) if fin.any() else 0.0
        same = np.array_equal(np.isinf(m_auto), np.isinf(m_dij))
        times["moteur dijkstra"] = t_dij
    else:
        err, same = None, None
        times["moteur dijkstra"] = None
    if peers is not None and osrm is not None:
        lonlat = [gpd.GeoSeries(p, crs="EPSG:2154").to_crs(4326) for p in (o, d)]
        xy = [np.column_stack([p.x, p.y]) for p in lonlat]
        res = peers.osrm_table_details(osrm, xy[0], xy[1], distances=False)
        times["OSRM table"] = float(res["query_seconds"])
    else:
        times["OSRM table"] = None
    print(_row(name, times))
    if err is not None:
        print(f"{'':<24} écart max auto vs dijkstra : {err:.2e} s, mêmes inaccessibles : {same}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--network", type=Path, help="RoadNetwork .npz of département 05")
    p.add_argument("--pbf", type=Path, help="05 OSM PBF (network and OSRM built from it)")
    p.add_argument("--lignes", type=Path, help="05 Geofabrik roads layer (RoadNetwork.from_lines)")
    p.add_argument("--osrm", help="prepared OSRM dataset (.osrm base path)")
    p.add_argument("--synthetic-side", type=int, default=400, help="grid side (400: 160k nodes)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    acc.settings.progress = False
    peers = _peers()

    if args.network:
        net = acc.RoadNetwork.load(args.network)
    elif args.lignes:
        net = acc.RoadNetwork.from_lines(args.lignes, mode="voiture")
    elif args.pbf:
        net = acc.RoadNetwork.from_osm(args.pbf, mode="voiture")
    else:
        p.error("--network, --lignes or --pbf is needed")
    osrm = args.osrm
    if osrm is None and peers is not None and args.pbf:
        osrm = peers.build_osrm(args.pbf, Path(tempfile.mkdtemp()) / "osrm")
    print(f"réseau 05 : {net.n_nodes} nœuds, {net.n_edges} arcs ; OSRM : {osrm or 'absent'}")

    t_build, ch = best_of(lambda: build_ch(routing._graph(net)), 1)
    net._routing_ch = (net.graph, ch)  # the library's cache: auto reuses it
    print(f"contraction 05 : {t_build:.2f} s, {ch.n_shortcuts} raccourcis")
    communes = acc.communes("05")
    fs = acc.load_france_services(FS_2024, departement="05", buffer_km=20)
    fs05 = fs[fs["code_insee"].astype(str).str.startswith("05")]
    halls = gpd.GeoSeries(communes["mairie"].to_numpy(), crs=communes.crs)
    rand = random_points(acc.departement_contour("05"), 2000)
    rand_d = random_points(acc.departement_contour("05"), 2000, seed=1)
    print(f"{len(halls)} mairies, {len(fs05)} France Services du 05, 2 000 points aléatoires")
    bench_task(f"05 : {len(halls)} × {len(fs05)}", net, ch, halls, fs05.geometry, peers, osrm,
               args.repeat)  # fmt: skip
    bench_task("05 : 2 000 × 2 000", net, ch, rand, rand_d, peers, osrm, args.repeat)

    syn = road_like_network(side=args.synthetic_side)
    snet = acc.RoadNetwork.from_edges(syn.u, syn.v, syn.travel_time_s, syn.x, syn.y, syn.length_m)
    t_sbuild, sch = best_of(lambda: build_ch(routing._graph(snet)), 1)
    snet._routing_ch = (snet.graph, sch)
    print(f"synthétique : {snet.n_nodes} nœuds, contraction {t_sbuild:.2f} s")
    rng = np.random.default_rng(0)
    idx = rng.choice(snet.n_nodes, 4000, replace=False)
    pts = gpd.GeoSeries(gpd.points_from_xy(snet.x[idx], snet.y[idx]), crs="EPSG:2154")
    bench_task("synthétique 2 000 × 2 000", snet, sch, pts[:2000], pts[2000:], None, None,
               args.repeat, dijkstra_sample=200)  # fmt: skip

    # planning questions on the real 05 network (contraction not used: bounded Dijkstra)
    net2 = acc.RoadNetwork(net.x, net.y, net.graph.copy(), net.length.copy(), crs=net.crs,
                           mode=net.mode, access_speed_kmh=net.access_speed_kmh,
                           max_snap_m=net.max_snap_m)  # fmt: skip (no cache: a fresh network)
    fresh = True
    t_rec, rec = best_of(lambda: acc.recommend_sites(communes, fs, net2, k=3, seuil_min=30), 1)
    warm, _ = best_of(lambda: acc.recommend_sites(communes, fs, net2, k=3, seuil_min=30), 2)
    print(f"recommend_sites (05, {len(communes)} mairies candidates, 30 min) : "
          f"{t_rec:.2f} s (premier appel{', réseau neuf' if fresh else ''}), {warm:.2f} s ensuite ;"
          f" 1er site : {rec['nom'].iloc[0]}")  # fmt: skip
    supply = fs.assign(capacite=1)
    t_pot, _ = best_of(lambda: acc.potential_access(communes, supply, net2), 2)
    print(f"potential_access (05, 2SFCA 20 min, {len(fs)} sites) : {t_pot:.2f} s")
    t_clo, _ = best_of(lambda: acc.closure_impact(communes, fs, net2, seuil_min=30), 2)
    print(f"closure_impact (05, {len(fs)} sites, deux passes) : {t_clo:.2f} s")
    print("cibles : ≤ 1,5× OSRM sur 2 000 × 2 000, jamais plus lent que le moteur dijkstra ; "
          "recommend_sites et potential_access < 1 s sur le 05")  # fmt: skip


if __name__ == "__main__":
    main()
