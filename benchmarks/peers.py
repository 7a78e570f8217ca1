"""Peer routing engines for the benchmarks: OSRM (osrm-bindings) and Valhalla (pyvalhalla).

Both engines come as PyPI wheels that carry their own executables and profiles
(no system install, no download at run time), but both ship only ``abi3`` wheels
for CPython >= 3.12 (on 3.11 pip falls back to sdists that compile the C++
engines), so they do not install on the project's 3.11. Hence a 3.12 virtual environment::

    /root/.pyenv/versions/3.12.1/bin/python -m venv /work/scratch/peers/venv312
    /work/scratch/peers/venv312/bin/pip install osrm-bindings==26.10.0 pyvalhalla==3.9.1 \\
        numpy osmium pyogrio geopandas shapely
    # to run the library itself in the same process (compare_engines.py...):
    /work/scratch/peers/venv312/bin/pip install -e /work/main

Two ways to use this module:

* in the 3.12 venv, everything runs in-process (the timings to publish)::

      /work/scratch/peers/venv312/bin/python benchmarks/bench_matrix.py ...

* from Python 3.11 without the engines, set ``PEERS_PYTHON`` to the 3.12 venv's
  interpreter; the engines' executables then come from that venv and each table
  runs in a subprocess of it (``python benchmarks/peers.py _table ...``; the
  query time measured inside the subprocess is in ``details["query_seconds"]``)::

      PEERS_PYTHON=/work/scratch/peers/venv312/bin/python python benchmarks/compare_engines.py

Typical use (``benchmarks/`` on ``sys.path``)::

    from geofabrik_pbf import geofabrik_to_pbf
    import peers

    geofabrik_to_pbf("osm-roads-05.gpkg", "work/05.osm.pbf")
    if peers.osrm_available():
        base = peers.build_osrm("work/05.osm.pbf", "work/osrm")   # CH, car.lua of the wheel
        seconds = peers.osrm_table(base, communes_lonlat, services_lonlat)  # (n, m), NaN = no route
    if peers.valhalla_available():
        config = peers.build_valhalla("work/05.osm.pbf", "work/valhalla")
        seconds = peers.valhalla_table(config, communes_lonlat, services_lonlat)

Coordinates are (longitude, latitude) pairs in WGS84; results are seconds as
float64 with NaN where the engine found no route. Each ``build_*`` writes what it
ran, with stage wall times and peak memory (``/usr/bin/time`` when present), to a
``*.build.json`` beside its output, and fills the ``timings`` dict when given one.

Engines' own choices to keep in mind when comparing: each snaps a point to its
nearest routable edge (OSRM ignores components of fewer than 1,000 nodes,
``--small-component-size``; Valhalla asks for at least 50 reachable nodes,
``minimum_reachability``) and starts from the snapped point, the approach leg is
not counted in the duration (``osrm_table_details`` gives the snap distances);
OSRM's car.lua does not drive on ``highway=track`` nor ``highway=road``,
Valhalla's ``auto`` does drive on tracks (slowly); speeds come from each engine's
profile, not from the project's speed model. OSRM CH and MLD give the same
durations; CH answers tables faster, MLD prepares faster.

Measured on 05 Hautes-Alpes (2 cores, quiet machine): PBF written in 3.9 s; osrm-extract
7.8 s, osrm-contract 4.7 s (or partition + customize 0.7 s); 162×21 table 0.02 s
(CH), 2000×2000 0.7 s (CH) / 3.3 s (MLD); valhalla_build_tiles 4.1 s; Valhalla
matrix 162×21 1.4 s, 2000×2000 207 s (``timedistancematrix``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = [
    "build_osrm",
    "build_valhalla",
    "osrm_available",
    "osrm_profile",
    "osrm_table",
    "osrm_table_details",
    "peer_versions",
    "valhalla_available",
    "valhalla_table",
    "valhalla_table_details",
]

PEERS_PYTHON_ENV = "PEERS_PYTHON"
_DISTRIBUTIONS = {"osrm": "osrm-bindings", "valhalla": "pyvalhalla"}


# --- where the engines are ----------------------------------------------------------


def _in_process(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _bridge_python() -> str | None:
    python = os.environ.get(PEERS_PYTHON_ENV)
    return python if python and Path(python).exists() else None


@functools.cache
def _bridge_package_dir(module: str, python: str) -> str | None:
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.find_spec(sys.argv[1])\n"
        "print(spec.submodule_search_locations[0] if spec else '')\n"
    )
    try:
        out = subprocess.run(
            [python, "-c", code, module], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _package_dir(module: str) -> Path | None:
    """The installed package folder of ``module`` (in-process, else in ``PEERS_PYTHON``)."""
    if _in_process(module):
        spec = importlib.util.find_spec(module)
        return Path(spec.submodule_search_locations[0])
    python = _bridge_python()
    if python is not None:
        found = _bridge_package_dir(module, python)
        if found:
            return Path(found)
    return None


@functools.cache
def _importable(module: str) -> bool:
    """The extension really loads (not just found): ``import osrm`` / ``import valhalla``."""
    if not _in_process(module):
        return False
    try:
        importlib.import_module(module)
    except Exception:  # a wheel for another Python, a missing shared library...
        return False
    return True


def _mode(module: str) -> str | None:
    """``"inprocess"``, ``"bridge"`` (through ``PEERS_PYTHON``) or None."""
    if _importable(module):
        return "inprocess"
    python = _bridge_python()
    if python is not None and _bridge_package_dir(module, python):
        return "bridge"
    return None


def osrm_available() -> bool:
    """True when OSRM can be used: ``import osrm`` works here, or in ``$PEERS_PYTHON``."""
    return _mode("osrm") is not None


def valhalla_available() -> bool:
    """True when Valhalla can be used: ``import valhalla`` works here, or in ``$PEERS_PYTHON``."""
    return _mode("valhalla") is not None


def peer_versions() -> dict[str, str | None]:
    """Installed versions of osrm-bindings and pyvalhalla (None when absent)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    python = _bridge_python()
    for module, dist in _DISTRIBUTIONS.items():
        version = None
        if _in_process(module):
            try:
                version = metadata.version(dist)
            except metadata.PackageNotFoundError:
                version = None
        elif python is not None:
            code = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
            try:
                version = subprocess.run(
                    [python, "-c", code, dist], capture_output=True, text=True, timeout=60
                ).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                version = None
        out[dist] = version or None
    return out


def _executable(module: str, name: str) -> Path:
    package = _package_dir(module)
    if package is not None and (package / "bin" / name).is_file():
        return package / "bin" / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(
        f"{name} not found: install {_DISTRIBUTIONS[module]} (Python >= 3.12 for osrm-bindings) "
        f"or set {PEERS_PYTHON_ENV} to a Python that has it"
    )


def osrm_profile(name: str = "car") -> Path:
    """The Lua profile shipped in the osrm-bindings wheel: ``osrm/share/profiles/NAME.lua``."""
    package = _package_dir("osrm")
    if package is None:
        raise FileNotFoundError(f"osrm-bindings is not installed (nor in ${PEERS_PYTHON_ENV})")
    path = package / "share" / "profiles" / f"{name}.lua"
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


# --- running the build tools --------------------------------------------------------


def _run_stage(name: str, cmd: list[str], cwd: Path, log: Path, record: dict) -> None:
    """Run one build command, appending its output to ``log``; wall time and peak RSS."""
    time_bin = Path("/usr/bin/time")
    rss_file = None
    full = [str(c) for c in cmd]
    if time_bin.exists():
        fd, rss_file = tempfile.mkstemp(prefix="peers_rss_", suffix=".txt")
        os.close(fd)
        full = [str(time_bin), "-f", "%M %U %S", "-o", rss_file, *full]
    start = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(str(c) for c in cmd)}\n")
        out.flush()
        proc = subprocess.run(full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    max_rss_kb = cpu_seconds = None
    if rss_file is not None:
        try:
            # /usr/bin/time writes "Command exited with non-zero status N" first on failure
            lines = [line for line in Path(rss_file).read_text().splitlines() if line.strip()]
            fields = lines[-1].split()
            max_rss_kb, cpu_seconds = int(fields[0]), float(fields[1]) + float(fields[2])
        except (OSError, ValueError, IndexError):
            pass
        finally:
            Path(rss_file).unlink(missing_ok=True)
    record["stages"].append(
        {
            "stage": name,
            "cmd": [str(c) for c in cmd],
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,  # user + system, less sensitive to a busy machine
            "max_rss_kb": max_rss_kb,
        }
    )
    if proc.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-30:])
        raise RuntimeError(f"{name} failed ({proc.returncode}), see {log}:\n{tail}")


def _finish_record(record: dict, path: Path, timings: dict | None) -> None:
    record["total_seconds"] = sum(s["seconds"] for s in record["stages"])
    path.write_text(json.dumps(record, indent=1))
    if timings is not None:
        timings.update({s["stage"]: s["seconds"] for s in record["stages"]})
        timings["total"] = record["total_seconds"]
        timings["cpu_seconds"] = {s["stage"]: s["cpu_seconds"] for s in record["stages"]}
        timings["max_rss_kb"] = {s["stage"]: s["max_rss_kb"] for s in record["stages"]}


# --- OSRM ---------------------------------------------------------------------------


def build_osrm(
    pbf,
    workdir,
    profile_lua=None,
    *,
    algorithm: str = "CH",
    threads: int = 2,
    timings: dict | None = None,
) -> Path:
    """Extract ``pbf`` with an OSRM profile and prepare it for ``algorithm``.

    Runs the wheel's ``osrm-extract -p PROFILE`` then ``osrm-contract`` (CH) or
    ``osrm-partition`` + ``osrm-customize`` (MLD) in ``workdir`` (a copy of, or
    link to, the PBF is made there, so the OSRM files sit together). Returns the
    dataset path ``workdir/STEM.osrm`` to give to :func:`osrm_table`.
    ``profile_lua`` defaults to the wheel's ``car.lua``.
    """
    algorithm = algorithm.upper()
    if algorithm not in ("CH", "MLD"):
        raise ValueError("algorithm must be 'CH' or 'MLD'")
    pbf = Path(pbf).resolve()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    profile = Path(profile_lua).resolve() if profile_lua else osrm_profile("car")
    stem = pbf.name.removesuffix(".pbf").removesuffix(".osm")
    local_pbf = workdir / f"{stem}.osm.pbf"
    if local_pbf != pbf:
        local_pbf.unlink(missing_ok=True)
        try:
            local_pbf.symlink_to(pbf)
        except OSError:
            shutil.copyfile(pbf, local_pbf)
    base = workdir / f"{stem}.osrm"
    log = workdir / f"{stem}.osrm.build.log"
    log.write_text("")
    record = {
        "engine": "osrm",
        "versions": peer_versions(),
        "pbf": str(pbf),
        "profile": str(profile),
        "algorithm": algorithm,
        "threads": threads,
        "stages": [],
    }
    t = str(int(threads))
    _run_stage(
        "extract",
        [_executable("osrm", "osrm-extract"), "-p", profile, "-t", t, local_pbf],
        workdir,
        log,
        record,
    )
    if algorithm == "CH":
        _run_stage(
            "contract", [_executable("osrm", "osrm-contract"), "-t", t, base], workdir, log, record
        )
    else:
        _run_stage(
            "partition",
            [_executable("osrm", "osrm-partition"), "-t", t, base],
            workdir,
            log,
            record,
        )
        _run_stage(
            "customize",
            [_executable("osrm", "osrm-customize"), "-t", t, base],
            workdir,
            log,
            record,
        )
    _finish_record(record, workdir / f"{stem}.osrm.build.json", timings)
    return base


def _osrm_algorithm(base: Path) -> str:
    if Path(f"{base}.hsgr").exists():
        return "CH"
    if Path(f"{base}.mldgr").exists():
        return "MLD"
    raise FileNotFoundError(f"{base}: no .hsgr (CH) nor .mldgr (MLD): run build_osrm first")


@functools.lru_cache(maxsize=4)
def _osrm_engine(base: str, algorithm: str):
    import osrm

    return osrm.OSRM(
        algorithm=algorithm,
        storage_config=base,
        use_shared_memory=False,
        max_locations_distance_table=100_000_000,  # 2**31 - 1 is refused (TooBig)
        default_radius="unlimited",
    )


def _lonlat(points, what: str) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{what}: expected (n, 2) longitude, latitude pairs, got {arr.shape}")
    if len(arr) == 0:
        raise ValueError(f"{what}: no point")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what}: non-finite coordinates")
    if (np.abs(arr[:, 0]) > 180).any() or (np.abs(arr[:, 1]) > 90).any():
        raise ValueError(f"{what}: not longitude, latitude in degrees (WGS84)")
    return arr


def _to_matrix(rows) -> np.ndarray:
    # None (no route) becomes NaN with dtype=float
    return np.array([list(row) for row in rows], dtype=np.float64)


def _osrm_details_inprocess(base, sources, destinations, distances: bool) -> dict:
    import osrm

    base = str(Path(base).resolve())
    engine = _osrm_engine(base, _osrm_algorithm(Path(base)))
    same = sources.shape == destinations.shape and np.array_equal(sources, destinations)
    coords = sources if same else np.vstack([sources, destinations])
    n = len(sources)
    params = osrm.TableParameters(
        coordinates=[(float(x), float(y)) for x, y in coords],
        sources=list(range(n)),
        destinations=list(range(n)) if same else list(range(n, n + len(destinations))),
        annotations=["duration", "distance"] if distances else ["duration"],
        generate_hints=False,
    )
    cpu = time.process_time()
    start = time.perf_counter()
    result = engine.Table(params)
    query = time.perf_counter() - start
    cpu = time.process_time() - cpu
    out = {
        "durations": _to_matrix(result["durations"]),
        "query_seconds": query,
        "query_cpu_seconds": cpu,
    }
    out["convert_seconds"] = time.perf_counter() - start - query
    if distances:
        out["distances"] = _to_matrix(result["distances"])
    for key, name in (("sources", "source"), ("destinations", "destination")):
        waypoints = list(result[key])
        out[f"{name}_snap_m"] = np.array([float(w["distance"]) for w in waypoints])
        out[f"{name}_snapped_lonlat"] = np.array(
            [[float(v) for v in w["location"]] for w in waypoints], dtype=np.float64
        )
    return out


def osrm_table_details(osrm_path, sources_lonlat, destinations_lonlat, *, distances=True) -> dict:
    """OSRM ``table`` with everything: a dict of

    ``durations`` (s) and ``distances`` (m), (n, m) arrays with NaN where no
    route; ``source_snap_m`` / ``destination_snap_m``, how far each point was
    from the road it was snapped to, and ``*_snapped_lonlat``; ``query_seconds``,
    the time of the ``Table`` call alone (``convert_seconds``: to numpy).
    """
    sources = _lonlat(sources_lonlat, "sources")
    destinations = _lonlat(destinations_lonlat, "destinations")
    mode = _mode("osrm")
    if mode == "inprocess":
        return _osrm_details_inprocess(osrm_path, sources, destinations, distances)
    if mode == "bridge":
        return _bridge_table("osrm", osrm_path, sources, destinations, distances)
    raise RuntimeError(
        f"OSRM is not available: install osrm-bindings (Python >= 3.12) or set {PEERS_PYTHON_ENV}"
    )


def osrm_table(osrm_path, sources_lonlat, destinations_lonlat) -> np.ndarray:
    """Car travel times (seconds, NaN = no route) from each source to each destination.

    ``osrm_path`` is what :func:`build_osrm` returned (``.../STEM.osrm``); the
    algorithm (CH or MLD) is read from the files there. The engine is loaded once
    per dataset and kept (``functools.lru_cache``).
    """
    return osrm_table_details(osrm_path, sources_lonlat, destinations_lonlat, distances=False)[
        "durations"
    ]


# --- Valhalla -----------------------------------------------------------------------

# What build_valhalla changes in pyvalhalla's default configuration.
_VALHALLA_LIMITS = {
    # the matrix limits of the defaults (2,500 pairs, 400 km) are for a public server
    "max_matrix_location_pairs": 100_000_000,
    # timedistancematrix stops its Dijkstra at cost max_matrix_distance / 15.6 m/s, and
    # the cost carries penalties (tracks, service roads, snapping): 400 km leaves
    # mountain pairs unanswered, 5,000 km none on 05
    "max_matrix_distance": 5_000_000.0,
}


def _valhalla_default_config(tile_dir: Path) -> dict:
    if _importable("valhalla"):
        from valhalla import get_config

        return get_config(tile_extract="", tile_dir=tile_dir)
    python = _bridge_python()
    code = (
        "import json, sys\n"
        "from valhalla import get_config\n"
        "print(json.dumps(get_config(tile_extract='', tile_dir=sys.argv[1])))\n"
    )
    out = subprocess.run(
        [python, "-c", code, str(tile_dir)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def build_valhalla(
    pbf,
    workdir,
    *,
    threads: int = 2,
    config_overrides: dict | None = None,
    timings: dict | None = None,
) -> Path:
    """Build Valhalla routing tiles from ``pbf`` in ``workdir/tiles``; returns the config path.

    The config is pyvalhalla's default (``valhalla.get_config``) with no admin,
    time-zone, elevation or traffic data (none here: country-specific access
    rules and time zones are not applied), matrix limits lifted
    (``_VALHALLA_LIMITS``), the routing tiles in ``tile_dir`` (no tar extract),
    and ``config_overrides`` merged in last (nested dicts merged key by key).
    Runs the wheel's ``valhalla_build_tiles -c CONFIG PBF`` directly (the
    ``valhalla_build_tiles`` console script of the wheel only works with the
    venv's ``bin`` on ``PATH``).
    """
    pbf = Path(pbf).resolve()
    workdir = Path(workdir).resolve()
    tile_dir = workdir / "tiles"
    if tile_dir.exists():
        shutil.rmtree(tile_dir)
    tile_dir.mkdir(parents=True)
    config = _valhalla_default_config(tile_dir)
    mjolnir = config["mjolnir"]
    mjolnir.update(
        tile_dir=str(tile_dir),
        tile_extract="",
        traffic_extract="",
        admin="",
        timezone="",
        landmarks="",
        concurrency=int(threads),
    )
    mjolnir.setdefault("data_processing", {})["use_admin_db"] = False
    config.setdefault("additional_data", {})["elevation"] = ""
    config.setdefault("logging", {})["type"] = ""
    for costing in ("auto", "bicycle", "pedestrian"):
        config["service_limits"].setdefault(costing, {}).update(_VALHALLA_LIMITS)
    if config_overrides:
        _merge(config, config_overrides)
    config_path = workdir / "valhalla.json"
    config_path.write_text(json.dumps(config, indent=1))
    record = {
        "engine": "valhalla",
        "versions": peer_versions(),
        "pbf": str(pbf),
        "config": str(config_path),
        "threads": threads,
        "stages": [],
    }
    log = workdir / "valhalla.build.log"
    log.write_text("")
    _run_stage(
        "build_tiles",
        [
            _executable("valhalla", "valhalla_build_tiles"),
            "-c",
            config_path,
            "-j",
            str(int(threads)),
            pbf,
        ],
        workdir,
        log,
        record,
    )
    _finish_record(record, workdir / "valhalla.build.json", timings)
    return config_path


def _merge(into: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


@functools.lru_cache(maxsize=4)
def _valhalla_actor(config_path: str, algorithm: str):
    import valhalla

    config = json.loads(Path(config_path).read_text())
    config.setdefault("thor", {})["source_to_target_algorithm"] = algorithm
    return valhalla.Actor(config)


def _valhalla_details_inprocess(config_path, sources, destinations, distances, costing, algorithm):
    actor = _valhalla_actor(str(Path(config_path).resolve()), algorithm)
    request = {
        "sources": [{"lon": float(x), "lat": float(y)} for x, y in sources],
        "targets": [{"lon": float(x), "lat": float(y)} for x, y in destinations],
        "costing": costing,
        "verbose": False,
    }
    cpu = time.process_time()
    start = time.perf_counter()
    answer = actor.matrix(json.dumps(request))
    query = time.perf_counter() - start
    cpu = time.process_time() - cpu
    result = json.loads(answer)
    table = result["sources_to_targets"]
    out = {
        "durations": np.array(table["durations"], dtype=np.float64),
        "query_seconds": query,
        "query_cpu_seconds": cpu,
        "algorithm": result.get("algorithm"),
    }
    if distances:
        factor = 1000.0 if result.get("units", "kilometers") == "kilometers" else 1609.344
        out["distances"] = np.array(table["distances"], dtype=np.float64) * factor
    out["convert_seconds"] = time.perf_counter() - start - query
    return out


def valhalla_table_details(
    config_path,
    sources_lonlat,
    destinations_lonlat,
    *,
    distances: bool = True,
    costing: str = "auto",
    algorithm: str = "timedistancematrix",
) -> dict:
    """Valhalla ``matrix``: ``durations`` (s), ``distances`` (m), NaN where no route,
    ``query_seconds`` (the ``Actor.matrix`` call alone) and ``algorithm`` used.

    ``algorithm`` is ``thor.source_to_target_algorithm``: ``timedistancematrix``
    (one Dijkstra per source or target, exact, the faster one here on big
    matrices) or ``costmatrix`` (bidirectional, with hierarchy limits: on 05 it
    took 111 s for 20 × 2,000 against 1.9 s) or ``select_optimal`` (Valhalla's
    choice: costmatrix for ``auto``).
    """
    sources = _lonlat(sources_lonlat, "sources")
    destinations = _lonlat(destinations_lonlat, "destinations")
    mode = _mode("valhalla")
    if mode == "inprocess":
        return _valhalla_details_inprocess(
            config_path, sources, destinations, distances, costing, algorithm
        )
    if mode == "bridge":
        return _bridge_table(
            "valhalla",
            config_path,
            sources,
            destinations,
            distances,
            costing=costing,
            algorithm=algorithm,
        )
    raise RuntimeError(f"Valhalla is not available: install pyvalhalla or set {PEERS_PYTHON_ENV}")


def valhalla_table(
    config_path,
    sources_lonlat,
    destinations_lonlat,
    *,
    costing: str = "auto",
    algorithm: str = "timedistancematrix",
) -> np.ndarray:
    """Travel times (seconds, NaN = no route) with Valhalla; ``config_path`` from
    :func:`build_valhalla`. The Actor is created once per config and kept."""
    return valhalla_table_details(
        config_path,
        sources_lonlat,
        destinations_lonlat,
        distances=False,
        costing=costing,
        algorithm=algorithm,
    )["durations"]


# --- the subprocess bridge (Python without the engines → $PEERS_PYTHON) -------------


def _bridge_table(engine, path, sources, destinations, distances, **options) -> dict:
    python = _bridge_python()
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp:
        request = Path(tmp) / "request.npz"
        answer = Path(tmp) / "answer.npz"
        np.savez(request, sources=sources, destinations=destinations)
        spec = {"engine": engine, "path": str(Path(path).resolve()), "distances": distances}
        spec.update(options)
        subprocess.run(
            [python, str(Path(__file__).resolve()), "_table", json.dumps(spec), request, answer],
            check=True,
        )
        with np.load(answer, allow_pickle=False) as data:
            out = {key: data[key] for key in data.files}
    for key in ("query_seconds", "query_cpu_seconds", "convert_seconds"):
        if key in out:
            out[key] = float(out[key])
    if "algorithm" in out:
        out["algorithm"] = str(out["algorithm"])
    return out


def _bridge_main(argv: list[str]) -> int:
    spec, request, answer = json.loads(argv[0]), argv[1], argv[2]
    with np.load(request) as data:
        sources, destinations = data["sources"], data["destinations"]
    if spec["engine"] == "osrm":
        if not _importable("osrm"):
            raise SystemExit("osrm is not importable in this Python")
        out = _osrm_details_inprocess(spec["path"], sources, destinations, spec["distances"])
    else:
        if not _importable("valhalla"):
            raise SystemExit("valhalla is not importable in this Python")
        out = _valhalla_details_inprocess(
            spec["path"],
            sources,
            destinations,
            spec["distances"],
            spec.get("costing", "auto"),
            spec.get("algorithm", "timedistancematrix"),
        )
    np.savez(answer, **{k: np.asarray(v) for k, v in out.items() if v is not None})
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "_table":
        sys.exit(_bridge_main(sys.argv[2:]))
    print(
        json.dumps({"osrm": osrm_available(), "valhalla": valhalla_available(), **peer_versions()})
    )
