"""Benchmark: QPV access on the embedded 04 walking network, beside bare scipy and networkx.

The Digne-les-Bains test outline (``tests/data/qpv/qpv_test_04_78.geojson``,
a test polygon, not a real QPV) and the France Services of the 04 (embedded
list of 2024-08-01); walking network of July 2021 embedded in the package
(OpenStreetMap, ODbL). Prints, in one run:

* ``qpv_access`` (grid origins in the quarter and the rest of the commune,
  one mode, one category) end to end;
* the bare kernel: one ``scipy.sparse.csgraph.dijkstra`` multi-source pass
  (``min_only``) on the transposed CSR, same sources;
* networkx: ``multi_source_dijkstra_path_length`` on a DiGraph built from
  ``net.edges()`` (graph building timed apart);

with the largest difference between the engine's and networkx's times.

Run::

    python benchmarks/bench_qpv.py
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

import accessibilite as acc

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "qpv"


def main() -> None:
    warnings.simplefilter("ignore")
    net = acc.RoadNetwork.sample("04", "marche")
    qpv = acc.load_qpv(DATA / "qpv_test_04_78.geojson", "04")
    communes = acc.communes("04")
    fs = acc.load_france_services(acc.datasets.france_services_file(), departement="04")
    print(net)

    t0 = time.perf_counter()
    res = acc.qpv_access(qpv, communes, fs, {"marche": net})
    t_engine = time.perf_counter() - t0
    origins = res.origines
    engine = origins["temps_marche_france_services_min"].to_numpy()

    snapped = net.snap(fs)
    keep = ~snapped["au_dela_snap"].to_numpy()
    nodes = snapped["node"].to_numpy()[keep]
    legs = snapped["snap_m"].to_numpy()[keep] / (net.access_speed_kmh / 3.6)
    gt = net.graph.T.tocsr()
    t0 = time.perf_counter()
    dist = dijkstra(gt, directed=True, indices=np.unique(nodes), min_only=True)
    t_scipy = time.perf_counter() - t0

    t0 = time.perf_counter()
    e = net.edges()
    rev = nx.DiGraph()
    rev.add_weighted_edges_from(zip(e["v"], e["u"], e["travel_time_s"], strict=True))
    for node, leg in zip(nodes, legs, strict=True):
        w = min(leg, rev["S"][int(node)]["weight"]) if rev.has_edge("S", int(node)) else leg
        rev.add_edge("S", int(node), weight=w)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    lengths = nx.single_source_dijkstra_path_length(rev, "S")
    t_nx = time.perf_counter() - t0

    o = net.snap(origins.geometry)
    nx_min = (
        np.array([lengths.get(int(n), np.inf) for n in o["node"]])
        + o["snap_m"].to_numpy() / (net.access_speed_kmh / 3.6)
    ) / 60.0
    nx_min[o["au_dela_snap"].to_numpy()] = np.inf
    finite = np.isfinite(engine) & np.isfinite(nx_min)
    same_inf = np.array_equal(np.isfinite(engine), np.isfinite(nx_min))
    print(f"origines : {len(origins)} ({(origins['zone'] == 'qpv').sum()} dans le QPV), "
          f"sites : {len(fs)} ({int(keep.sum())} sur le réseau)")  # fmt: skip
    print(f"qpv_access (bout en bout)            : {t_engine:8.3f} s")
    print(f"noyau scipy dijkstra (min_only)      : {t_scipy:8.3f} s  "
          f"(sans les jambes d'accès ; {np.isfinite(dist).sum()} nœuds atteints)")  # fmt: skip
    print(f"networkx Dijkstra                    : {t_nx:8.3f} s  "
          f"(+ {t_build:.3f} s de construction du graphe)")  # fmt: skip
    print(f"rapport networkx / qpv_access        : {t_nx / t_engine:8.1f}×  "
          f"(avec construction : {(t_nx + t_build) / t_engine:.1f}×)")  # fmt: skip
    print(f"écart max moteur − networkx          : {np.abs(engine - nx_min)[finite].max():.2e} min"
          f" ; mêmes origines inaccessibles : {same_inf}")  # fmt: skip


if __name__ == "__main__":
    main()
