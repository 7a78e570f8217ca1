"""Calibration study of the curvature (sinuosity) factor against IGN BD TOPO.

Run by hand (about 10 s)::

    python benchmarks/calibrate_curvature.py [--bins]

Data (read-only, ``../shared/data/roads``): the IGN BD TOPO 3.0
``troncon_de_route`` sections of 9 communes of the Alpes-de-Haute-Provence (04)
and Hautes-Alpes (05) (June 2021) and the OpenStreetMap roads of 04 and 05 in
Geofabrik's free layout (July 2021). The two other BD TOPO communes (06142,
13057) lie outside the OSM files and are not used here.

Method, independent of the library's network readers (geopandas / shapely only):

1. OSM drivable ways (``fclass`` in the speed profile's ``[voiture.default_kmh]``)
   around each commune are split at junctions: a vertex shared by two drivable
   ways (or repeated in one) ends an edge, as do way ends. Each edge's
   sinuosity is its Lambert-93 length divided by the distance of its end points.
2. Each OSM edge is sampled every 10 m; each sample takes the BD TOPO section
   nearest to it within 15 m, among the sections a light vehicle may drive
   (``acces_vehicule_leger`` not "Physiquement impossible", speed > 0).
   Edges with at least 80 % of their samples matched are kept; their BD TOPO
   time is the sum over the samples of ``10 m / vitesse_moyenne_vl``.
3. Model time of the edge: ``length / speed_kmh(fclass, maxspeed)``, before and
   after ``curvature_factor``.

Printed: per OSM class, the number of edges and km matched, the driven speeds
(total km ÷ total h) of the model before / after the factor and of BD TOPO, and
the median and p10/p90 of the per-edge time ratio model ÷ BD TOPO (weighted by
length); with ``--bins``, the BD TOPO speed ÷ model speed per sinuosity bin,
the curve the factor is fitted to.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibilite.network.curvature import curvature_factor
from accessibilite.network.speeds import load_profile, speed_kmh

ROOT = Path(__file__).resolve().parents[1]
ROADS = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "roads"
BDTOPO = ROADS / "bdtopo-2021"
OSM_FILES = {
    "04": "zip://" + str(ROADS / "osm-geofabrik-2021" / "osm-roads-04-shp.zip"),
    "05": str(ROADS / "osm-geofabrik-2021" / "osm-roads-05.gpkg"),
}
COMMUNES = ("04180", "04201", "05025", "05066", "05082", "05089", "05094", "05141", "05150")
STEP_M = 10.0
MATCH_M = 15.0
MIN_MATCHED = 0.8
#: BD TOPO natures whose ``vitesse_moyenne_vl`` is a placeholder (1 km/h), not a speed
NOT_ROADS = ("Chemin",)
#: the classes reported (others are grouped as "autres")
CLASSES = ("primary", "secondary", "tertiary", "unclassified", "residential", "service")
SINUOSITY_BINS = (1.0, 1.02, 1.05, 1.1, 1.2, 1.35, 1.6, 2.0, np.inf)


def bdtopo_sections(code: str) -> gpd.GeoDataFrame:
    """Drivable BD TOPO sections of one commune, Lambert-93, 2D."""
    df = gpd.read_file(BDTOPO / f"troncon_de_route_{code}.geojson")
    ok = df["acces_vehicule_leger"] != "Physiquement impossible"
    df = df.loc[ok, ["cleabs", "nature", "importance", "urbain", "vitesse_moyenne_vl", "geometry"]]
    df = df.set_geometry(shapely.force_2d(df.geometry.values)).to_crs(2154)
    return df.reset_index(drop=True)


def osm_ways(code: str, sections: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drivable OSM ways in a 1 km box around the commune's sections, Lambert-93."""
    drivable = set(load_profile()["voiture"]["default_kmh"])
    box = sections.to_crs(4326).total_bounds + np.array([-0.015, -0.015, 0.015, 0.015])
    ways = gpd.read_file(OSM_FILES[code[:2]], bbox=tuple(box))
    ways = ways[ways["fclass"].isin(drivable)].to_crs(2154)
    return ways[["osm_id", "fclass", "maxspeed", "geometry"]].reset_index(drop=True)


def split_at_junctions(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cut ways at every vertex shared by two ways (or repeated in one).

    Returns one row per edge between junctions: ``fclass``, ``maxspeed``,
    ``length_m``, ``chord_m``, ``sinuosity`` and its geometry.
    """
    coords, way = shapely.get_coordinates(ways.geometry.values, return_index=True)
    _, inverse, counts = np.unique(
        np.round(coords, 3), axis=0, return_inverse=True, return_counts=True
    )
    counts = counts[inverse.ravel()]
    first = np.r_[True, way[1:] != way[:-1]]
    last = np.r_[way[1:] != way[:-1], True]
    cut = (counts > 1) | first | last
    pos = np.flatnonzero(cut)
    same = way[pos[:-1]] == way[pos[1:]]
    a, b = pos[:-1][same], pos[1:][same]
    n = b - a + 1
    flat = np.repeat(a, n) + np.concatenate([np.arange(k) for k in n])
    geoms = shapely.linestrings(coords[flat], indices=np.repeat(np.arange(len(a)), n))
    src = way[a]
    length = shapely.length(geoms)
    chord = np.hypot(*(coords[b] - coords[a]).T)
    with np.errstate(divide="ignore", invalid="ignore"):
        sinuosity = np.where(chord > 0, length / chord, np.inf)
    out = gpd.GeoDataFrame(
        {
            "osm_id": ways["osm_id"].to_numpy()[src],
            "fclass": ways["fclass"].to_numpy()[src],
            "maxspeed": ways["maxspeed"].to_numpy()[src],
            "length_m": length,
            "chord_m": chord,
            "sinuosity": sinuosity,
        },
        geometry=geoms,
        crs=ways.crs,
    )
    return out[out["length_m"] > 0].reset_index(drop=True)


def match_bdtopo(edges: gpd.GeoDataFrame, sections: gpd.GeoDataFrame) -> pd.DataFrame:
    """BD TOPO time of each OSM edge from its 10 m samples (NaN when not matched)."""
    n = np.maximum(np.round(edges["length_m"].to_numpy() / STEP_M).astype(int), 1)
    edge = np.repeat(np.arange(len(edges)), n)
    offset = np.concatenate([(np.arange(k) + 0.5) / k for k in n])
    pts = shapely.line_interpolate_point(edges.geometry.values[edge], offset, normalized=True)
    seg = edges["length_m"].to_numpy()[edge] / n[edge]
    samples = gpd.GeoDataFrame({"edge": edge, "seg": seg}, geometry=pts, crs=edges.crs)
    hit = gpd.sjoin_nearest(samples, sections, how="left", max_distance=MATCH_M)
    hit = hit[~hit.index.duplicated()]
    v = hit["vitesse_moyenne_vl"].to_numpy(float)
    chemin = hit["nature"].isin(NOT_ROADS).to_numpy()
    matched = np.isfinite(v) & (v > 1) & ~chemin
    chemin_share = np.bincount(edge[chemin], seg[chemin], len(edges)) / edges["length_m"].to_numpy()
    share = np.bincount(edge[matched], seg[matched], len(edges)) / edges["length_m"].to_numpy()
    bd_time = np.bincount(edge[matched], seg[matched] / (v[matched] / 3.6), len(edges))
    imp = hit["importance"].where(matched).to_numpy()
    importance = (
        pd.Series(imp).groupby(edge).agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
    )
    return pd.DataFrame(
        {
            "share": share,
            "chemin_share": chemin_share,
            "bd_time_s": bd_time / np.maximum(share, 1e-9),
            "importance": importance.to_numpy(),
        }
    )


def model_speeds(edges: pd.DataFrame, profile: dict | None = None) -> np.ndarray:
    """Model driven speed (km/h) of each edge before the curvature factor."""
    return np.array(
        [
            speed_kmh(c, None if str(m) in ("0", "nan", "None") else m, "voiture", profile)
            for c, m in zip(edges["fclass"], edges["maxspeed"], strict=True)
        ]
    )


def study(codes=COMMUNES, profile: dict | None = None) -> pd.DataFrame:
    """Matched OSM edges of the communes with model and BD TOPO times."""
    frames = []
    for code in codes:
        sections = bdtopo_sections(code)
        edges = split_at_junctions(osm_ways(code, sections))
        m = match_bdtopo(edges, sections)
        edges = pd.concat([edges.drop(columns="geometry"), m], axis=1)
        frames.append(edges[edges["share"] >= MIN_MATCHED].assign(commune=code))
    df = pd.concat(frames, ignore_index=True)
    # an OSM way crossing two communes' boxes is counted once
    df = df.drop_duplicates(["osm_id", "length_m", "chord_m"]).reset_index(drop=True)
    v = model_speeds(df, profile)
    f = curvature_factor(df["fclass"].to_numpy(), df["sinuosity"].to_numpy(), "voiture", profile)
    df["model_kmh"] = v
    df["factor"] = f
    df["model_time_s"] = df["length_m"] / (v / 3.6)
    df["curved_time_s"] = df["model_time_s"] / f
    df["bd_kmh"] = df["length_m"] / df["bd_time_s"] * 3.6
    return df


def _wquantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def class_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per class: km, driven speeds and the per-edge time ratio model ÷ BD TOPO."""
    rows = []
    group = df["fclass"].where(df["fclass"].isin(CLASSES), "autres")
    for name, g in [*df.groupby(group, sort=False), ("toutes", df)]:
        w = g["length_m"].to_numpy()
        before = (g["model_time_s"] / g["bd_time_s"]).to_numpy()
        after = (g["curved_time_s"] / g["bd_time_s"]).to_numpy()
        hours = {k: g[k].sum() / 3600 for k in ("model_time_s", "curved_time_s", "bd_time_s")}
        km = w.sum() / 1000
        rows.append(
            {
                "classe": name,
                "tronçons": len(g),
                "km": km,
                "sinuosité_méd": _wquantile(g["sinuosity"].to_numpy(), w, 0.5),
                "modèle_avant_kmh": km / hours["model_time_s"],
                "modèle_après_kmh": km / hours["curved_time_s"],
                "bdtopo_kmh": km / hours["bd_time_s"],
                "ratio_avant_méd": _wquantile(before, w, 0.5),
                "ratio_après_méd": _wquantile(after, w, 0.5),
                "ratio_après_p10": _wquantile(after, w, 0.1),
                "ratio_après_p90": _wquantile(after, w, 0.9),
            }
        )
    order = {c: i for i, c in enumerate((*CLASSES, "autres", "toutes"))}
    return (
        pd.DataFrame(rows).sort_values("classe", key=lambda s: s.map(order)).reset_index(drop=True)
    )


def sinuosity_table(df: pd.DataFrame, classes=("tertiary", "unclassified")) -> pd.DataFrame:
    """BD TOPO speed ÷ model speed (before the factor) per sinuosity bin."""
    d = df[df["fclass"].isin(classes)]
    s = np.where(np.isfinite(d["sinuosity"]), d["sinuosity"], 1.0)
    b = pd.cut(s, SINUOSITY_BINS, right=False)
    g = d.assign(bin=b).groupby(["fclass", "bin"], observed=True)
    return pd.DataFrame(
        {
            "tronçons": g.size(),
            "km": g["length_m"].sum() / 1000,
            "bdtopo/modèle": g["model_time_s"].sum() / g["bd_time_s"].sum(),
            "facteur_moyen": g.apply(
                lambda x: np.average(x["factor"], weights=x["length_m"]), include_groups=False
            ),
        }
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", action="store_true", help="table per sinuosity bin")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    df = study()
    pd.set_option("display.width", 160)
    print(
        f"{len(df)} OSM edges matched to BD TOPO ({df['length_m'].sum() / 1000:.1f} km), "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(class_table(df).to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    if args.bins:
        print(sinuosity_table(df).to_string(float_format=lambda x: f"{x:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
