"""Shared fixtures: paths to the real data in ``../shared/data``.

In CI (``CI=true``) the shared data must be there: a missing folder fails the
run instead of skipping the tests that need it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ACCESSIBILITE_SHARED_DATA", ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

FS_2024 = SHARED_DATA / "services" / "france_services" / "liste-fs-20240801.csv"
FS_2020 = SHARED_DATA / "services" / "france_services" / "france-services-20200102.csv"
BPE_D201 = SHARED_DATA / "services" / "bpe_sante" / "bpe_d201_medecins_generalistes_par_commune.csv"
BPE_D107 = SHARED_DATA / "services" / "bpe_sante" / "bpe_d107_maternites_par_commune.csv"
SGL_GRAPHML = SHARED_DATA / "roads" / "yvelines_saint-germain-en-laye_osmnx_all.graphml"


def shared_file(path: Path) -> Path:
    """Return ``path`` if it exists; skip locally, fail in CI, when it does not."""
    if not path.exists():
        if IN_CI:
            pytest.fail(f"shared data file missing in CI: {path}")
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def fs_2024() -> Path:
    return shared_file(FS_2024)


@pytest.fixture(scope="session")
def fs_2020() -> Path:
    return shared_file(FS_2020)


@pytest.fixture(scope="session")
def bpe_d201() -> Path:
    return shared_file(BPE_D201)


@pytest.fixture(scope="session")
def bpe_d107() -> Path:
    return shared_file(BPE_D107)


@pytest.fixture(scope="session")
def sgl_graphml() -> Path:
    return shared_file(SGL_GRAPHML)


@pytest.fixture(scope="session")
def landes_communes():
    """The 327 Landes communes from the embedded data (loaded once per session)."""
    from accessibilite import communes

    return communes("40")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests never touch the network: any socket connection attempt fails loudly."""
    import socket

    def guard(*args, **kwargs):
        raise RuntimeError("network access attempted during tests")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)


# --------------------------------------------------------------------------- real road networks
GEOFABRIK = SHARED_DATA / "roads" / "osm-geofabrik-2021"
GEOFABRIK_FILES = {
    "04": GEOFABRIK / "osm-roads-04-shp.zip",
    "05": GEOFABRIK / "osm-roads-05.gpkg",
    "78": GEOFABRIK / "osm-roads-78.gpkg",
}
BDTOPO = SHARED_DATA / "roads" / "bdtopo-2021"


@pytest.fixture(scope="session")
def geofabrik_net():
    """``get(dep, mode, contract=True)`` → ``(RoadNetwork, build stats)``, each built once."""
    import warnings

    from accessibilite.network import RoadNetwork
    from accessibilite.network.lines import lines_kwargs

    cache: dict = {}

    def get(dep: str, mode: str = "voiture", contract: bool = True):
        key = (dep, mode, contract)
        if key not in cache:
            path = shared_file(GEOFABRIK_FILES[dep])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # component cut: in the stats
                kwargs = lines_kwargs(path, mode, contract=contract)
            stats = kwargs.pop("stats")
            cache[key] = (RoadNetwork(**kwargs), stats)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def bdtopo_dir() -> Path:
    return shared_file(BDTOPO)
