"""National-scale benchmark: nearest pass and closure impact of every site on a 5M-node graph.

Run by hand (a few minutes, several GB; one heavy job at a time)::

    python benchmarks/bench_national.py [--side 2236] [--services 2845] [--repeat 3]

A synthetic road-like graph (``synthetic.py``, grown to ``side²`` nodes: 2,236²
≈ 5M nodes, about 18M directed edges) with 2,845 services (the size of the
national France Services list). Printed side by side, best of N:

* the bare ``scipy.sparse.csgraph.dijkstra(graph.T, indices=services,
  min_only=True)`` call (pre-transposed CSR, no access legs);
* ``net.nearest(services)``: the library's nearest pass (target ≤ 2× bare scipy);
* ``net.nearest_two(services)``: nearest and second-nearest service of every
  node, i.e. the closure impact of every site at once (target ≤ 3× one nearest
  pass), checked against a brute-force closure of a few sites;
* peak resident memory after each step.

Nothing is asserted beyond the spot check: the machine is shared, numbers are noisy.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import road_like_network, synthetic_services  # noqa: E402


def best_of(fn, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", type=int, default=2236)
    p.add_argument("--services", type=int, default=2845)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    from scipy.sparse.csgraph import dijkstra

    from accessibilite import RoadNetwork, settings
    from accessibilite.network import routing

    settings.progress = False
    t0 = time.perf_counter()
    syn = road_like_network(side=args.side)
    net = RoadNetwork.from_edges(syn.u, syn.v, syn.travel_time_s, syn.x, syn.y, syn.length_m)
    services = synthetic_services(syn, k=args.services)
    del syn
    print(f"réseau : {net.n_nodes:,} nœuds, {net.n_edges:,} arcs ; {len(services)} services ; "
          f"construit en {time.perf_counter() - t0:.1f} s ; pic mémoire {peak_gb():.2f} Go")  # fmt: skip

    first, _ = best_of(lambda: net.nearest(services), 1)  # caches k-d tree and transposed CSR
    gt = routing._graph_t(net)
    nodes = net.snap(services)["node"].to_numpy()
    t_bare, _ = best_of(lambda: dijkstra(gt, indices=np.unique(nodes), min_only=True), args.repeat)
    print(f"scipy nu (min_only)          {t_bare:7.2f} s   1,00×")
    t_near, near = best_of(lambda: net.nearest(services), args.repeat)
    print(f"net.nearest                  {t_near:7.2f} s   {t_near / t_bare:4.2f}× scipy "
          f"(cible ≤ 2) ; premier appel {first:.2f} s ; pic {peak_gb():.2f} Go")  # fmt: skip
    t_two, two = best_of(lambda: net.nearest_two(services), args.repeat)
    print(f"net.nearest_two (fermetures) {t_two:7.2f} s   {t_two / t_near:4.2f}× nearest "
          f"(cible ≤ 3) ; pic {peak_gb():.2f} Go")  # fmt: skip

    # spot check: closing site s, the new time of its nodes is their second-nearest time
    rng = np.random.default_rng(0)
    worst = 0.0
    for sid in rng.choice(services["service_id"].to_numpy(), 3, replace=False):
        mine = near["service_id"].to_numpy() == sid
        rest = net.nearest(services[services["service_id"] != sid])
        diff = np.abs(rest["time_s"].to_numpy()[mine] - two["time2_s"].to_numpy()[mine])
        worst = max(worst, float(np.nanmax(diff)) if mine.any() else 0.0)
    print(f"contrôle : 3 fermetures recalculées, écart max {worst:.2e} s")


if __name__ == "__main__":
    main()
