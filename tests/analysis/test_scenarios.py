"""Tests of ``accessibilite.scenarios``: closure impact, site recommendation, 2SFCA/APL.

Hand-made instances use :class:`TableProvider`, a tiny travel-time provider that
reads times from a given table (minutes between labelled points), so that every
expected value can be worked out by hand. The last tests run on the real
Landes (327 communes) with the straight-line estimate.
"""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import accessibilite
from accessibilite import InputError, MissingColumnError
from accessibilite.analysis import potential, scenarios
from accessibilite.analysis.potential import potential_access
from accessibilite.analysis.scenarios import closure_impact, recommend_sites

CRS = "EPSG:2154"


class TableProvider:
    """Travel times read from a table ``{(origin label, destination label): minutes}``.

    Points are recognised by their coordinates (``coords``: label -> (x, y)).
    A pair absent from the table is unreachable (``inf``), except a point to
    itself (0 min).
    """

    mode = "test"
    crs = CRS
    description = "table de temps de test"

    def __init__(
        self, coords: dict[str, tuple[float, float]], minutes: dict[tuple[str, str], float]
    ):
        self.label = {xy: name for name, xy in coords.items()}
        self.minutes = minutes
        self.calls = 0

    def _labels(self, points) -> list[str]:
        geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        return [self.label[(p.x, p.y)] for p in geoms]

    def time_matrix(self, origins, destinations) -> np.ndarray:
        self.calls += 1
        rows, cols = self._labels(origins), self._labels(destinations)
        out = np.full((len(rows), len(cols)), np.inf)
        for i, o in enumerate(rows):
            for j, d in enumerate(cols):
                out[i, j] = 0.0 if o == d else self.minutes.get((o, d), np.inf)
        return out * 60.0

    def nearest(self, services, origins=None) -> pd.DataFrame:
        secs = self.time_matrix(origins, services.geometry)
        j = secs.argmin(axis=1)
        t = secs[np.arange(len(secs)), j]
        ids = np.where(np.isfinite(t), services["service_id"].to_numpy()[j], None)
        return pd.DataFrame(
            {"time_s": t, "service_id": ids, "distance_m": np.nan}, index=origins.index
        )


def make_communes(spec: dict[str, int], coords) -> gpd.GeoDataFrame:
    """Communes ``{nom: population}``, town hall at ``coords[nom]``, code_insee 40001..."""
    names = list(spec)
    halls = [Point(coords[n]) for n in names]
    return gpd.GeoDataFrame(
        {
            "code_insee": [f"40{i + 1:03d}" for i in range(len(names))],
            "nom": names,
            "population": [spec[n] for n in names],
            "mairie": gpd.GeoSeries(halls, crs=CRS),
        },
        geometry=[box(p.x - 100, p.y - 100, p.x + 100, p.y + 100) for p in halls],
        crs=CRS,
    )


def make_sites(names: list[str], coords, **extra) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"service_id": names, "nom": [f"Site {n}" for n in names], **extra},
        geometry=[Point(coords[n]) for n in names],
        crs=CRS,
    )


def grid(labels: list[str]) -> dict[str, tuple[float, float]]:
    """Distinct coordinates for each label (only identity matters to the table)."""
    return {name: (1000.0 * i, 0.0) for i, name in enumerate(labels)}


# --------------------------------------------------------------------------- closure impact
@pytest.fixture
def closure_case():
    coords = grid(["A", "B", "C", "S1", "S2"])
    minutes = {
        ("A", "S1"): 10, ("A", "S2"): 45,
        ("B", "S1"): 20, ("B", "S2"): 25,
        ("C", "S1"): 50, ("C", "S2"): 5,
    }  # fmt: skip
    communes = make_communes({"A": 100, "B": 50, "C": 200}, coords)
    sites = make_sites(["S1", "S2"], coords)
    return communes, sites, TableProvider(coords, minutes)


def test_closure_impact_hand_computed(closure_case):
    communes, sites, net = closure_case
    out = closure_impact(communes, sites, net, seuil_min=30)
    assert net.calls == 1  # one communes x sites matrix
    # Closing S2: C (200 inh.) goes from 5 to 50 min -> beyond 30 min.
    # Closing S1: A (100) goes from 10 to 45 min; B from 20 to 25 min stays within.
    assert out["service_id"].tolist() == ["S2", "S1"]
    assert out["nom"].tolist() == ["Site S2", "Site S1"]
    assert out["population_basculant"].tolist() == [200, 100]
    assert out["nb_communes_basculant"].tolist() == [1, 1]
    assert out["communes_basculant"].tolist() == ["C", "A"]
    # Mean time increase = sum(pop x added minutes) / total population (350):
    # S2: 200 x 45 / 350 ; S1: (100 x 35 + 50 x 5) / 350.
    assert out["hausse_temps_moyen_min"].tolist() == pytest.approx(
        [200 * 45 / 350, (100 * 35 + 50 * 5) / 350], rel=1e-12
    )
    assert out.attrs["temps_moyen_min"] == pytest.approx((100 * 10 + 50 * 20 + 200 * 5) / 350)
    assert out.attrs["population_totale"] == 350
    assert out.crs == CRS and out.geometry.iloc[0].equals(sites.geometry.iloc[1])


def test_closure_of_only_site_in_reach():
    coords = grid(["A", "B", "S1"])
    communes = make_communes({"A": 300, "B": 40}, coords)
    net = TableProvider(coords, {("A", "S1"): 12, ("B", "S1"): 35})
    out = closure_impact(communes, make_sites(["S1"], coords), net, seuil_min=30)
    assert len(out) == 1
    # A loses its only site (12 min -> none); B was already beyond 30 min.
    assert out.loc[0, "population_basculant"] == 300
    assert out.loc[0, "communes_basculant"] == "A"
    assert math.isinf(out.loc[0, "hausse_temps_moyen_min"])  # nobody reaches a site any more


def test_closure_ties_and_determinism():
    """Two sites at the same place: closing either one loses nobody; order by id."""
    coords = grid(["A", "S1"])
    coords["S0"] = (5.0, 5.0)
    communes = make_communes({"A": 10}, coords)
    net = TableProvider(coords, {("A", "S1"): 8, ("A", "S0"): 8})
    sites = make_sites(["S1", "S0"], coords)
    out = closure_impact(communes, sites, net)
    assert out["service_id"].tolist() == ["S0", "S1"]
    assert out["population_basculant"].tolist() == [0, 0]
    assert out["hausse_temps_moyen_min"].tolist() == [0.0, 0.0]
    assert out["communes_basculant"].tolist() == ["", ""]
    pd.testing.assert_frame_equal(out, closure_impact(communes, sites, net))


def test_closure_matches_brute_force(closure_case):
    communes, sites, net = closure_case
    out = closure_impact(communes, sites, net, seuil_min=30).set_index("service_id")
    pts = communes.set_geometry("mairie")
    before = net.nearest(sites, pts)["time_s"] / 60
    for sid in sites["service_id"]:
        after = net.nearest(sites[sites["service_id"] != sid], pts)["time_s"] / 60
        flips = (before <= 30) & (after > 30)
        assert out.loc[sid, "population_basculant"] == communes.loc[flips, "population"].sum()
        assert out.loc[sid, "communes_basculant"] == "; ".join(sorted(communes.loc[flips, "nom"]))


# --------------------------------------------------------------------------- recommend sites
def test_candidate_covering_two_towns_beats_one():
    coords = grid(["T1", "T2", "T3", "X", "Y"])
    communes = make_communes({"T1": 100, "T2": 100, "T3": 150}, coords)
    minutes = {("T1", "X"): 20, ("T2", "X"): 25, ("T3", "Y"): 10, ("T3", "X"): 60}
    net = TableProvider(coords, minutes)
    cands = gpd.GeoDataFrame(
        {"candidat_id": ["Y", "X"], "nom": ["Ybourg", "Xville"]},
        geometry=[Point(coords["Y"]), Point(coords["X"])],
        crs=CRS,
    )
    for methode in ("glouton", "exact"):
        out = recommend_sites(communes, None, net, k=1, candidats=cands, methode=methode)
        assert out["candidat_id"].tolist() == ["X"]
        assert out["nom"].tolist() == ["Xville"]
        assert out["gain_population"].tolist() == [200]
        assert out["population_couverte_cumulee"].tolist() == [200]
        assert out["part_couverte_cumulee"].tolist() == pytest.approx([200 / 350])
    # k=2: X then Y, cumulative coverage reaches everyone.
    out = recommend_sites(communes, None, net, k=2, candidats=cands)
    assert out["candidat_id"].tolist() == ["X", "Y"]
    assert out["rang"].tolist() == [1, 2]
    assert out["gain_population"].tolist() == [200, 150]
    assert out["population_couverte_cumulee"].tolist() == [200, 350]
    assert out["part_couverte_cumulee"].iloc[-1] == 1.0


def test_already_covered_communes_bring_no_gain():
    coords = grid(["T1", "T2", "T3", "S", "X", "Y"])
    communes = make_communes({"T1": 100, "T2": 100, "T3": 150}, coords)
    minutes = {("T1", "S"): 5, ("T1", "X"): 20, ("T2", "X"): 25, ("T3", "Y"): 10}
    net = TableProvider(coords, minutes)
    cands = make_sites(["X", "Y"], coords)
    out = recommend_sites(communes, make_sites(["S"], coords), net, k=1, candidats=cands)
    # X would cover 200 inhabitants but T1 is already within 30 min of S: X adds 100, Y 150.
    assert out["candidat_id"].tolist() == ["Y"]
    assert out["gain_population"].tolist() == [150]
    assert out["population_couverte_cumulee"].tolist() == [250]
    assert out.attrs["population_couverte_initiale"] == 100
    # k=3 but only two candidates add anyone: two rows and a warning.
    with pytest.warns(UserWarning, match="seulement 2 site"):
        out = recommend_sites(communes, make_sites(["S"], coords), net, k=3, candidats=cands)
    assert out["candidat_id"].tolist() == ["Y", "X"]
    assert out["gain_population"].tolist() == [150, 100]


def test_default_candidates_are_town_halls():
    coords = grid(["A", "B", "C", "D"])
    communes = make_communes({"A": 10, "B": 500, "C": 20, "D": 30}, coords)
    # B's town hall reaches A and C; D only reaches itself; A's reaches B.
    minutes = {("A", "B"): 15, ("C", "B"): 20, ("B", "A"): 15}
    out = recommend_sites(communes, None, TableProvider(coords, minutes), k=2, methode="exact")
    assert out["candidat_id"].tolist() == ["40002", "40004"]
    assert out["code_insee"].tolist() == ["40002", "40004"]
    assert out["nom"].tolist() == ["B", "D"]
    assert out["gain_population"].tolist() == [530, 30]


@pytest.fixture
def greedy_trap():
    """Greedy takes Z (covers q, r, u: 7 inh.) then 3 more; optimum X + Y = 12.

    X covers p, q (3 + 3), Y covers r, s (3 + 3), Z covers q, r, u (3 + 3 + 1).
    """
    coords = grid(["p", "q", "r", "s", "u", "X", "Y", "Z"])
    communes = make_communes({"p": 3, "q": 3, "r": 3, "s": 3, "u": 1}, coords)
    cover = {"X": "pq", "Y": "rs", "Z": "qru"}
    minutes = {(c, site): 10 for site, cs in cover.items() for c in cs}
    cands = make_sites(["X", "Y", "Z"], coords)
    return communes, cands, TableProvider(coords, minutes)


def test_greedy_suboptimal_exact_optimal(greedy_trap):
    communes, cands, net = greedy_trap
    out = recommend_sites(communes, None, net, k=2, candidats=cands, methode="les_deux")
    greedy = out[out["methode"] == "glouton"]
    exact = out[out["methode"] == "exact"]
    assert greedy["candidat_id"].tolist() == ["Z", "X"]  # ties X/Y -> first candidate
    assert greedy["gain_population"].tolist() == [7, 3]
    assert exact["candidat_id"].tolist() == ["X", "Y"]
    assert exact["gain_population"].tolist() == [6, 6]
    assert exact["population_couverte_cumulee"].iloc[-1] == 12
    assert out.attrs["population_couverte_glouton"] == 10
    assert out.attrs["population_couverte_exact"] == 12
    assert out.attrs["ecart_population"] == 2


def _brute_force_best(cover: np.ndarray, weight: np.ndarray, k: int) -> float:
    return max(
        weight[cover[:, list(combo)].any(axis=1)].sum()
        for combo in itertools.combinations(range(cover.shape[1]), k)
    )


@pytest.mark.filterwarnings("ignore:.*apportent de nouveaux habitants:UserWarning")
@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force_and_bounds_greedy(seed):
    rng = np.random.default_rng(seed)
    n_communes, n_cands, k = 12, 8, 3
    labels = [f"c{i}" for i in range(n_communes)] + [f"k{j}" for j in range(n_cands)]
    coords = grid(labels)
    pops = rng.integers(1, 1000, n_communes)
    communes = make_communes({f"c{i}": int(p) for i, p in enumerate(pops)}, coords)
    times = rng.uniform(0, 100, (n_communes, n_cands))  # ~30 % of pairs within 30 min
    minutes = {(f"c{i}", f"k{j}"): times[i, j] for i in range(n_communes) for j in range(n_cands)}
    cands = make_sites([f"k{j}" for j in range(n_cands)], coords)
    out = recommend_sites(
        communes, None, TableProvider(coords, minutes), k=k, candidats=cands, methode="les_deux"
    )
    best = _brute_force_best(times <= 30, pops.astype(float), k)
    assert out.attrs["population_couverte_exact"] == best
    assert out.attrs["population_couverte_glouton"] <= best
    for _, rows in out.groupby("methode"):
        assert rows["gain_population"].is_monotonic_decreasing or len(rows) == 1
        assert (
            rows["population_couverte_cumulee"].tolist()
            == rows["gain_population"].cumsum().tolist()
        )


# --------------------------------------------------------------------------- 2SFCA / APL
@pytest.fixture
def three_communes():
    """Demand A 1000, B 2000, C 1000 inhabitants; supply S1 (at A) 2 GPs, S2 (at C) 1 GP.

    Times (min): A-S1 5, A-S2 25, B-S1 12, B-S2 18, C-S1 40, C-S2 3. B has no GP.
    """
    coords = grid(["A", "B", "C", "S1", "S2"])
    minutes = {
        ("A", "S1"): 5, ("A", "S2"): 25,
        ("B", "S1"): 12, ("B", "S2"): 18,
        ("C", "S1"): 40, ("C", "S2"): 3,
    }  # fmt: skip
    demand = make_communes({"A": 1000, "B": 2000, "C": 1000}, coords)
    supply = make_sites(["S1", "S2"], coords, capacite=[2.0, 1.0])
    return demand, supply, TableProvider(coords, minutes)


def test_2sfca_three_communes_exact(three_communes):
    demand, supply, net = three_communes
    out = potential_access(demand, supply, net, method="2sfca", bands_min=20)
    # Step 1 (catchment 20 min, weight 1):
    #   R_S1 = 2 / (P_A + P_B) = 2 / 3000           (C is 40 min away)
    #   R_S2 = 1 / (P_B + P_C) = 1 / 3000           (A is 25 min away)
    # Step 2, x 100 000:
    #   A: R_S1          = 2/3000          -> 66.666...
    #   B: R_S1 + R_S2   = 3/3000 = 1/1000 -> 100
    #   C: R_S2          = 1/3000          -> 33.333...
    r1, r2 = Fraction(2, 3000), Fraction(1, 3000)
    expected = [r1 * 100_000, (r1 + r2) * 100_000, r2 * 100_000]
    assert out["acces"].tolist() == pytest.approx([float(e) for e in expected], rel=1e-12, abs=0)
    assert out["acces"].iloc[1] == pytest.approx(100.0, rel=1e-12)
    assert out["nom"].tolist() == ["A", "B", "C"]  # the demand frame, same rows and order
    assert len(out) == len(demand) and "acces" not in demand


def test_apl_bands_three_communes_exact(three_communes):
    demand, supply, net = three_communes
    out = potential_access(demand, supply, net, method="apl")
    # Default bands (0,10] -> 1, (10,15] -> 2/3, (15,20] -> 1/3, beyond -> 0.
    # Weights: A-S1 5 min -> 1, A-S2 25 -> 0, B-S1 12 -> 2/3, B-S2 18 -> 1/3, C-S1 -> 0, C-S2 3 -> 1.
    #   R_S1 = 2 / (1*1000 + 2/3*2000) = 2 / (7000/3) = 6/7000
    #   R_S2 = 1 / (1/3*2000 + 1*1000) = 1 / (5000/3) = 3/5000
    #   A: 1 * 6/7000                         = 6/7000   -> 85.714...
    #   B: 2/3 * 6/7000 + 1/3 * 3/5000        = 4/7000 + 1/5000 = 27/35000 -> 77.142...
    #   C: 1 * 3/5000                         = 3/5000   -> 60
    w = Fraction(2, 3), Fraction(1, 3)
    r1 = 2 / (1000 + w[0] * 2000)
    r2 = 1 / (w[1] * 2000 + 1000)
    assert r1 == Fraction(6, 7000) and r2 == Fraction(3, 5000)
    expected = [r1, w[0] * r1 + w[1] * r2, r2]
    assert expected[1] == Fraction(27, 35000)
    assert out["acces"].tolist() == pytest.approx(
        [float(e * 100_000) for e in expected], rel=1e-12, abs=0
    )
    assert out.attrs["bands_min"] == [10.0, 15.0, 20.0]


def test_apl_band_bounds_and_custom_weights(three_communes):
    demand, supply, net = three_communes
    # One band to 12 min with weight 0.5: B-S1 exactly 12 min is inside (upper bound included).
    out = potential_access(demand, supply, net, method="apl", bands_min=[12], weights=[0.5])
    r1 = 2 / (0.5 * 1000 + 0.5 * 2000)
    r2 = 1 / (0.5 * 1000)
    assert out["acces"].tolist() == pytest.approx(
        [0.5 * r1 * 1e5, 0.5 * r1 * 1e5, 0.5 * r2 * 1e5], rel=1e-12
    )
    # Nobody within 2 min of a site: 0 everywhere, no division by zero.
    out = potential_access(demand, supply, net, method="2sfca", bands_min=2)
    assert out["acces"].tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- validation
def test_bad_inputs(closure_case, three_communes):
    communes, sites, net = closure_case
    with pytest.raises(InputError, match="aucun site"):
        closure_impact(communes, sites.iloc[:0], net)
    with pytest.raises(InputError, match="k doit"):
        recommend_sites(communes, sites, net, k=0)
    with pytest.raises(InputError, match="methode"):
        recommend_sites(communes, sites, net, methode="tabou")
    with pytest.raises(InputError, match="seuil_min"):
        closure_impact(communes, sites, net, seuil_min=-5)
    with pytest.raises(MissingColumnError, match="population"):
        closure_impact(communes.drop(columns="population"), sites, net)
    with pytest.raises(MissingColumnError, match="mairie"):
        recommend_sites(communes.drop(columns="mairie"), sites, net)
    bad = communes.copy()
    bad.loc[1, "population"] = np.nan
    with pytest.raises(InputError, match="'population'"):
        closure_impact(bad, sites, net)
    with pytest.raises(InputError, match="en double"):
        closure_impact(communes, pd.concat([sites, sites]), net)
    demand, supply, net3 = three_communes
    with pytest.raises(MissingColumnError, match="capacite"):
        potential_access(demand, supply.drop(columns="capacite"), net3)
    with pytest.raises(InputError, match="une seule"):
        potential_access(demand, supply, net3, method="2sfca", bands_min=[10, 20])
    with pytest.raises(InputError, match="weights"):
        potential_access(demand, supply, net3, method="apl", bands_min=[10, 20])
    with pytest.raises(InputError, match="croissantes"):
        potential_access(demand, supply, net3, method="apl", bands_min=[20, 10], weights=[1, 1])
    with pytest.raises(InputError, match="aucun site"):
        potential_access(demand, supply.iloc[:0], net3)


def test_more_bad_inputs(greedy_trap, closure_case):
    communes, cands, net = greedy_trap
    with pytest.raises(InputError, match="candidats"):
        recommend_sites(communes, None, net, candidats=cands.iloc[:0])
    with pytest.raises(InputError, match="en double"):
        recommend_sites(communes, None, net, candidats=pd.concat([cands, cands]))
    with pytest.raises(InputError, match="origine"):
        recommend_sites(communes, None, net, candidats=cands, origine="gare")
    with pytest.raises(InputError, match="seuil_min"):
        recommend_sites(communes, None, net, candidats=cands, seuil_min="trente")
    with pytest.raises(InputError, match="k doit"):
        recommend_sites(communes, None, net, candidats=cands, k=1.5)
    communes, sites, net = closure_case
    with pytest.raises(InputError, match="aucun site"):
        recommend_sites(communes, sites.iloc[:0], net)  # empty, not None: a filtering mistake?
    with pytest.raises(MissingColumnError, match="service_id"):
        closure_impact(communes, sites.drop(columns="service_id"), net)


def test_centroid_origin(closure_case):
    """Centroids of the test squares are the town halls: same result either way."""
    communes, sites, net = closure_case
    pd.testing.assert_frame_equal(
        closure_impact(communes, sites, net, origine="centroide"),
        closure_impact(communes, sites, net, origine="mairie"),
        check_like=False,
    )


def test_public_api():
    assert accessibilite.closure_impact is scenarios.closure_impact
    assert accessibilite.recommend_sites is scenarios.recommend_sites
    assert accessibilite.potential_access is potential.potential_access


def test_supply_is_conserved(three_communes):
    """Σ_i A_i P_i / 100 000 = Σ_j S_j: every GP is shared out among the residents in reach."""
    demand, supply, net = three_communes
    for method in ("2sfca", "apl"):
        out = potential_access(demand, supply, net, method=method)
        assert (out["acces"] * out["population"]).sum() / 1e5 == pytest.approx(3.0, rel=1e-12)


# --------------------------------------------------------------------------- real data: Landes
@pytest.fixture(scope="module")
def landes(landes_communes, fs_2024, bpe_d201):
    with warnings.catch_warnings():  # rows of other départements are reported as rejected
        warnings.simplefilter("ignore", UserWarning)
        fs = accessibilite.load_france_services(fs_2024, departement="40")
    gps = accessibilite.load_bpe(bpe_d201, landes_communes, code="D201")
    return landes_communes, fs, gps, accessibilite.StraightLineEstimate()


def _covered_population(communes, sites, net, seuil) -> int:
    times = net.nearest(sites, communes.set_geometry("mairie"))["time_s"].to_numpy() / 60
    return int(communes.loc[times <= seuil, "population"].sum())


@pytest.mark.parametrize("seuil", [20, 30])
def test_landes_closure_impact_brute_force(landes, seuil):
    communes, fs, _, net = landes
    out = closure_impact(communes, fs, net, seuil_min=seuil)
    assert len(out) == len(fs) == 20
    assert sorted(out["service_id"]) == sorted(fs["service_id"])
    total = communes["population"].sum()
    # A commune has one nearest site, so the residents lost by each closure are disjoint.
    assert out["population_basculant"].sum() <= total
    keys = list(
        zip(
            -out["population_basculant"],
            -out["hausse_temps_moyen_min"],
            out["service_id"],
            strict=True,
        )
    )
    assert keys == sorted(keys)
    pts = communes.set_geometry("mairie")
    pop = communes["population"].to_numpy()
    before = net.nearest(fs, pts)["time_s"].to_numpy() / 60
    for row in out.itertuples():
        after = net.nearest(fs[fs["service_id"] != row.service_id], pts)["time_s"].to_numpy() / 60
        flips = (before <= seuil) & (after > seuil)
        assert row.population_basculant == pop[flips].sum()
        assert row.nb_communes_basculant == flips.sum()
        assert row.communes_basculant == "; ".join(sorted(communes.loc[flips, "nom"]))
        assert row.hausse_temps_moyen_min == pytest.approx(
            (pop * (after - before)).sum() / pop.sum(), rel=1e-9, abs=1e-12
        )
    if seuil == 30:  # the isolated north-western coast depends on one site
        assert "Parentis-en-Born" in out.loc[0, "nom"]
        assert "Biscarrosse" in out.loc[0, "communes_basculant"].split("; ")


def _best_pair(cover: np.ndarray, weight: np.ndarray) -> float:
    """Brute force over all pairs: w·(a ∪ b) = w·a + w·b − w·(a ∩ b)."""
    single = weight @ cover
    overlap = cover.T.astype(float) @ (cover * weight[:, None])
    pair = single[:, None] + single[None, :] - overlap
    return float(pair[np.triu_indices(len(single), 1)].max())


@pytest.mark.parametrize("with_existing", [False, True])
def test_landes_recommend_sites(landes, with_existing):
    communes, fs, _, net = landes
    existing = fs if with_existing else None
    seuil = 15
    out = recommend_sites(communes, existing, net, k=2, seuil_min=seuil, methode="les_deux")
    halls = communes.set_geometry("mairie")
    base = _covered_population(communes, fs, net, seuil) if with_existing else 0
    assert out.attrs["population_couverte_initiale"] == base
    # Exact optimum = brute force over the 53 301 pairs of town halls.
    times = net.time_matrix(halls, halls) / 60
    covered0 = np.zeros(len(communes), bool)
    if with_existing:
        covered0 = (net.time_matrix(halls, fs) / 60 <= seuil).any(axis=1)
    weight = np.where(covered0, 0.0, communes["population"].to_numpy(float))
    assert out.attrs["population_couverte_exact"] == base + _best_pair(times <= seuil, weight)
    assert out.attrs["population_couverte_glouton"] <= out.attrs["population_couverte_exact"]
    for methode, rows in out.groupby("methode"):
        assert len(rows) == 2 and rows["rang"].tolist() == [1, 2]
        # Independent check: add the picks as sites and time the communes again.
        picks = communes.set_index("code_insee").loc[rows["candidat_id"]].set_geometry("mairie")
        new = gpd.GeoDataFrame(
            {"service_id": rows["candidat_id"].tolist()},
            geometry=picks["mairie"].to_numpy(),
            crs=CRS,
        )
        sites = pd.concat([fs[["service_id", "geometry"]], new]) if with_existing else new
        covered = _covered_population(communes, sites, net, seuil)
        assert rows["population_couverte_cumulee"].iloc[-1] == covered, methode
        assert rows["part_couverte_cumulee"].iloc[-1] == pytest.approx(
            covered / communes["population"].sum()
        )


@pytest.mark.parametrize("method", ["2sfca", "apl"])
def test_landes_gp_potential_access(landes, method):
    communes, _, gps, net = landes
    assert len(gps) == 96 and gps["capacite"].sum() == 428
    out = potential_access(communes, gps, net, method=method)
    assert len(out) == 327 and out["code_insee"].tolist() == communes["code_insee"].tolist()
    assert np.isfinite(out["acces"]).all() and (out["acces"] >= 0).all()
    # Every GP is in reach of its own commune's residents: all 428 are shared out.
    assert (out["acces"] * out["population"]).sum() / 1e5 == pytest.approx(428, rel=1e-9)
    # Communes without a GP get a value > 0 exactly when a GP is within 20 min (outer band).
    nearest = net.nearest(gps, communes.set_geometry("mairie"))["time_s"].to_numpy() / 60
    without = ~communes["code_insee"].isin(gps["code_insee"]).to_numpy()
    assert without.sum() == 231
    assert ((out["acces"].to_numpy() > 0) == (nearest <= 20))[without].all()
    assert (out["acces"].to_numpy()[without & (nearest <= 20)] > 0).sum() > 200


def test_road_network_closure_and_2sfca(sgl_graphml):
    """On a routed OSM network (Saint-Germain-en-Laye): closure impact = brute force,
    and 2SFCA conserves supply."""
    with warnings.catch_warnings():  # nodes outside the main component are reported
        warnings.simplefilter("ignore", UserWarning)
        net = accessibilite.RoadNetwork.from_graphml(sgl_graphml, mode="voiture")
    rng = np.random.default_rng(1)
    idx = rng.choice(len(net.x), 45, replace=False)
    coords = {f"C{i}": (net.x[j], net.y[j]) for i, j in enumerate(idx[:40])}
    coords |= {f"S{i}": (net.x[j], net.y[j]) for i, j in enumerate(idx[40:])}
    pops = rng.integers(100, 5000, 40)
    communes = make_communes({f"C{i}": int(p) for i, p in enumerate(pops)}, coords)
    sites = make_sites([f"S{i}" for i in range(5)], coords, capacite=[1.0, 2.0, 3.0, 1.0, 1.0])
    seuil = 4
    out = closure_impact(communes, sites, net, seuil_min=seuil).set_index("service_id")
    pts = communes.set_geometry("mairie")
    before = net.nearest(sites, pts)["time_s"].to_numpy() / 60
    assert (before <= seuil).any() and (before > seuil).any()  # the threshold matters here
    for sid in sites["service_id"]:
        after = net.nearest(sites[sites["service_id"] != sid], pts)["time_s"].to_numpy() / 60
        flips = (before <= seuil) & (after > seuil)
        assert out.loc[sid, "population_basculant"] == pops[flips].sum()
        assert out.loc[sid, "hausse_temps_moyen_min"] == pytest.approx(
            (pops * (after - before)).sum() / pops.sum(), rel=1e-6, abs=1e-9
        )
    acces = potential_access(communes, sites, net, method="2sfca", bands_min=30)["acces"]
    assert (acces * pops).sum() / 1e5 == pytest.approx(8.0, rel=1e-9)  # all 8 units shared out
