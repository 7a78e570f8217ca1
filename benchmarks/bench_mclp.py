"""Benchmark: greedy vs exact maximal covering (MCLP) on Landes-size inputs.

327 candidate town halls × 327 communes of the Landes (département 40), times
from the straight-line estimate (``StraightLineEstimate``, vol d'oiseau), no
existing site (the hardest case: every commune is still to cover). For several
thresholds and numbers of sites ``k``, prints the population covered by the
greedy heuristic and by the exact MCLP (PuLP + CBC), their gap and the wall
time of each.

Run::

    /work/venv/bin/python benchmarks/bench_mclp.py [--seuils 10 15 20 30] [--k 1 3 5 10]

Use ``--synthetique`` to run on 327 random points instead (no territory data needed).
"""

from __future__ import annotations

import argparse
import time
import warnings

import geopandas as gpd
import numpy as np
from shapely.geometry import box

import accessibilite as acc
from accessibilite import scenarios


def _synthetic(n: int = 327, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` communes scattered over a Landes-size square (~100 km × 100 km)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100_000, (n, 2)) + (350_000, 6_250_000)
    pop = np.round(rng.lognormal(6.5, 1.2, n)).astype(int)
    halls = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:2154")
    return gpd.GeoDataFrame(
        {
            "code_insee": [f"99{i:03d}" for i in range(n)],
            "nom": [f"Commune {i}" for i in range(n)],
            "population": pop,
            "mairie": halls,
        },
        geometry=[box(x - 500, y - 500, x + 500, y + 500) for x, y in xy],
        crs="EPSG:2154",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seuils", type=float, nargs="+", default=[10, 15, 20, 30])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 5, 10])
    parser.add_argument("--synthetique", action="store_true")
    args = parser.parse_args()

    acc.settings.progress = False
    communes = _synthetic() if args.synthetique else acc.communes("40")
    network = acc.StraightLineEstimate()
    source = "synthétique" if args.synthetique else "Landes (40)"
    print(f"{source} : {len(communes)} communes × {len(communes)} candidats (mairies)")
    print(network.description)
    print(f"population totale : {int(communes['population'].sum()):,}".replace(",", " "))
    header = (
        f"{'seuil':>6} {'k':>3} | {'glouton':>9} {'t (s)':>7} | "
        f"{'exact':>9} {'t (s)':>7} | {'écart':>6} {'écart %':>7}"
    )
    print(header)
    print("-" * len(header))
    for seuil in args.seuils:
        for k in args.k:
            row = {}
            for methode in ("glouton", "exact"):
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    out = scenarios.recommend_sites(
                        communes, None, network, k=k, seuil_min=seuil, methode=methode
                    )
                row[methode] = (
                    out.attrs[f"population_couverte_{methode}"],
                    time.perf_counter() - t0,
                )
            (g, tg), (e, te) = row["glouton"], row["exact"]
            assert e >= g, "the exact optimum cannot be below the greedy solution"
            gap = e - g
            print(
                f"{seuil:>6g} {k:>3} | {g:>9} {tg:>7.2f} | {e:>9} {te:>7.2f} | "
                f"{gap:>6} {100 * gap / e if e else 0:>6.2f}%"
            )


if __name__ == "__main__":
    main()
