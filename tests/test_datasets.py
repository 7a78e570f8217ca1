"""Embedded sample data: files, provenance and checksums, France Services fallback and dates."""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import warnings

import pytest

import accessibilite as acc
from accessibilite import datasets, settings

PROVENANCE = datasets.folder() / "PROVENANCE.md"


def test_every_embedded_file_is_catalogued_with_its_checksum():
    text = PROVENANCE.read_text(encoding="utf-8")
    shipped = sorted(p.name for p in datasets.folder().iterdir() if p.suffix in (".xz", ".npz"))
    assert shipped == sorted(datasets.CATALOGUE)
    docs = (datasets.folder().parents[2] / "docs" / "data-sources.md").read_text(encoding="utf-8")
    for name, entry in datasets.CATALOGUE.items():
        digest = hashlib.sha256((datasets.folder() / name).read_bytes()).hexdigest()
        assert digest == datasets.sha256(name)
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}`"))
        assert digest in row and entry["date"] in row, name
        assert ("ODbL" if entry["kind"] == "reseau" else "Licence Ouverte") in row
        assert name in docs and digest in docs, f"docs/data-sources.md lacks {name}"


@pytest.mark.parametrize(("edition", "raw"), [("2024-08-01", "fs_2024"), ("2020", "fs_2020")])
def test_embedded_lists_are_the_official_files(edition, raw, request):
    original = request.getfixturevalue(raw).read_bytes()
    packed = datasets.france_services_file(edition).read_bytes()
    assert lzma.decompress(packed) == original  # byte for byte


def test_unknown_edition_and_network():
    with pytest.raises(acc.InputError, match="éditions disponibles : 2020-01-02, 2024-08-01"):
        datasets.france_services_file("2023")
    with pytest.raises(
        acc.InputError, match="aucun réseau routier embarqué pour le département 05"
    ):
        datasets.network_file("05")
    assert datasets.has_network("04") and datasets.has_network(4, "voiture")
    assert datasets.has_network("04", "marche") and not datasets.has_network("04", "velo")
    assert not datasets.has_network("40")


def test_embedded_list_loads_like_the_raw_file(fs_2024):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        embedded = acc.load_france_services(datasets.france_services_file(), departement="04")
        raw = acc.load_france_services(fs_2024, departement="04")
    assert len(embedded) == len(raw) == 16  # PROVENANCE of the shared data: 04 has 16 sites
    assert list(embedded["service_id"]) == list(raw["service_id"])
    assert embedded.geometry.equals(raw.geometry)
    assert embedded.attrs["date_liste"] == raw.attrs["date_liste"] == "2024-08-01"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "data_folder", None)
    return tmp_path / "cache"


def test_no_source_offline_falls_back_on_the_embedded_list(empty_cache):
    # sockets are blocked by conftest: the official list cannot be downloaded
    with pytest.warns(UserWarning) as record:
        sites = acc.load_france_services(departement="40", buffer_km=20)
    messages = [str(w.message) for w in record if w.category is UserWarning]
    assert (
        "liste officielle France Services non téléchargée, pas de connexion internet : "
        "liste embarquée du 1er août 2024 utilisée"
    ) in messages
    assert sites.attrs["date_liste"] == "2024-08-01"
    assert sites.attrs["source"] == str(datasets.france_services_file())
    assert int(sites["code_insee"].str.startswith("40").sum()) == 20  # the 20 Landes sites


def test_no_source_online_uses_the_downloaded_list(empty_cache, fs_2024):
    # a previous download in the cache: the official list, dated by its download day
    empty_cache.mkdir()
    cached = empty_cache / "liste-structures-france-services.csv"
    cached.write_bytes(fs_2024.read_bytes())
    os.utime(cached, (1_717_000_000, 1_717_000_000))  # 2024-05-29 (UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no fallback warning
        warnings.simplefilter("ignore", acc.RejectedRowsWarning)
        sites = acc.load_france_services(departement="04")
    assert sites.attrs["source"] == str(cached)
    assert sites.attrs["date_liste"] in ("2024-05-29", "2024-05-30")  # local time zone


def test_list_date_from_the_file_name(tmp_path, fs_2024, fs_2020):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert acc.load_france_services(fs_2024).attrs["date_liste"] == "2024-08-01"
        assert acc.load_france_services(fs_2020).attrs["date_liste"] == "2020-01-02"
        undated = tmp_path / "ma-liste.csv"
        undated.write_bytes(fs_2024.read_bytes())
        assert acc.load_france_services(undated).attrs["date_liste"] is None
        dashed = tmp_path / "export-2023-02-30-liste-2023-03-15.csv"  # first is no real day
        dashed.write_bytes(fs_2024.read_bytes())
        assert acc.load_france_services(dashed).attrs["date_liste"] == "2023-03-15"
        filtered = acc.load_france_services(fs_2024, date="2021-01-01")
    assert filtered.attrs["date_liste"] == "2024-08-01"  # a date filter keeps the edition


def test_compressed_csv_errors_name_the_file(tmp_path):
    bad = tmp_path / "liste.csv.xz"
    bad.write_bytes(b"not xz at all")
    with pytest.raises(acc.DataFileError, match=re.escape(str(bad)) + ".*compressé illisible"):
        acc.load_france_services(bad)


# --------------------------------------------------------------------------- road networks
@pytest.fixture(scope="module")
def net04():
    return acc.RoadNetwork.sample("04")


def test_sample_network_carries_its_provenance(net04):
    assert (net04.mode, net04.crs) == ("voiture", "EPSG:2154")
    assert (net04.source, net04.date) == ("OpenStreetMap (Geofabrik)", "2021-07")
    assert net04.description.startswith(
        "Temps de trajet en voiture sur le réseau routier OpenStreetMap de juillet 2021 des "
        "Alpes-de-Haute-Provence"
    )
    assert "ODbL" in net04.description
    walk = acc.RoadNetwork.sample("04", "marche")
    assert (walk.mode, walk.source, walk.date) == ("marche", "OpenStreetMap (Geofabrik)", "2021-07")
    assert walk.n_nodes > net04.n_nodes  # paths, tracks and footways
    with pytest.raises(acc.InputError, match="aucun réseau routier embarqué"):
        acc.RoadNetwork.sample("40")


def test_sample_network_covers_the_04_and_its_05_margin(net04):
    communes = acc.communes("04")
    snapped = net04.snap(communes["mairie"])
    assert not snapped["au_dela_snap"].any()  # every town hall of the 198 communes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = acc.load_france_services(
            datasets.france_services_file(), departement="04", buffer_km=20
        )
    on = ~net04.snap(sites.geometry)["au_dela_snap"].to_numpy()
    dep = sites["code_insee"].str[:2].to_numpy()
    # the 04 and 05 sites are on the network; the 06, 26, 83, 84 ones are not (no road file)
    assert set(dep[on]) == {"04", "05"} and set(dep[~on]) == {"06", "26", "83", "84"}
    assert on[dep == "04"].all() and on[dep == "05"].all()


def test_sample_network_times_match_a_networkx_oracle(net04):
    """Commune → nearest site times against networkx Dijkstra with a k-d tree of our own."""
    import networkx as nx
    import numpy as np
    from scipy.spatial import cKDTree

    communes = acc.communes("04")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sites = acc.load_france_services(
            datasets.france_services_file(), departement="04", buffer_km=20
        )
        times = acc.access_times(communes, sites, net04)
    tree = cKDTree(np.column_stack([net04.x, net04.y]))
    speed = net04.access_speed_kmh / 3.6

    def snap(points):
        dist, node = tree.query(np.column_stack([points.x, points.y]))
        return node, dist

    s_node, s_dist = snap(sites.geometry)
    usable = s_dist <= net04.max_snap_m
    edges = net04.edges()
    g = nx.DiGraph()  # reversed: Dijkstra from the sites gives home → site times
    g.add_weighted_edges_from(zip(edges["v"], edges["u"], edges["travel_time_s"], strict=True))
    for j in np.flatnonzero(usable):
        g.add_edge(("site", j), int(s_node[j]), weight=float(s_dist[j] / speed))
        g.add_edge("source", ("site", j), weight=0.0)
    reach = nx.single_source_dijkstra_path_length(g, "source")
    c_node, c_dist = snap(communes["mairie"])
    oracle_min = np.array([reach[int(n)] for n in c_node]) / 60 + c_dist / speed / 60
    got = times.set_index("code_insee").loc[communes["code_insee"], "temps_min"].to_numpy()
    np.testing.assert_allclose(got, oracle_min, rtol=0, atol=1e-6)
    assert int((oracle_min > 30).sum()) == 14  # as in the README (sites of 06/26/83/84 off)
