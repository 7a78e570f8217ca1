"""Road networks: OpenStreetMap → voiture / marche / velo graph → compact CSR form.

A :class:`RoadNetwork` holds node coordinates (EPSG:2154, or the overseas
département's own CRS) and a
``scipy.sparse`` CSR matrix of edge travel times in seconds; routing and
isochrone queries are delegated to :mod:`accessibilite.routing` and
:mod:`accessibilite.isochrones`. Speeds come from the editable profile
``data/vitesses_fr.toml`` (see ``docs/speed-model.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse

from .. import datasets
from ..errors import DataFileError, NetworkError
from . import csr as _csr
from . import npz as _netfile
from . import osm as _osm
from . import readers as _readers
from .csr import MIN_TIME_S
from .speeds import _validate_mode, load_profile
from .views import NetworkViews

__all__ = ["RoadNetwork"]


# --------------------------------------------------------------------------- the network
class RoadNetwork(NetworkViews):
    """A directed road network in compact form, satisfying ``TravelTimeProvider``.

    Build it with :meth:`from_graphml`, :meth:`from_osm`, :meth:`download`,
    :meth:`from_networkx`, :meth:`from_edges` or :meth:`load`.

    Attributes
    ----------
    x, y : ndarray of float64
        Node coordinates in ``crs`` (node *i* is row *i* of :meth:`nodes`).
    graph : scipy.sparse.csr_matrix
        n × n travel times (s), directed u → v, strictly positive (≥ ``MIN_TIME_S``);
        parallel edges are reduced to the fastest one.
    length : scipy.sparse.csr_matrix
        Same sparsity pattern as ``graph``: edge lengths (m).
    mode, crs, description : str
    access_speed_kmh, max_snap_m : float
        Speed of the leg between a point and its snapped node; snapping distance
        beyond which points are flagged (from the profile).
    osmid : ndarray of int64 or None
        OSM node ids when built from OSM.
    dropped_nodes : int
        Nodes removed because outside the largest strongly connected component.
    source : str
    date : str or None
        Date of the network data, if known.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        graph: sparse.csr_matrix,
        length: sparse.csr_matrix,
        *,
        mode: str = "voiture",
        crs: str = "EPSG:2154",
        description: str | None = None,
        access_speed_kmh: float | None = None,
        max_snap_m: float | None = None,
        osmid: np.ndarray | None = None,
        dropped_nodes: int = 0,
        source: str = "",
        date: str | None = None,
    ) -> None:
        conf = load_profile()[_validate_mode(mode)]
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.graph = graph
        self.length = length
        self.mode = mode
        self.crs = crs
        self.source = source
        self.date = date
        self.description = description or _readers.description(mode, source, date)
        self.access_speed_kmh = float(access_speed_kmh or conf["access_speed_kmh"])
        self.max_snap_m = float(max_snap_m or conf["max_snap_m"])
        self.osmid = None if osmid is None else np.asarray(osmid, dtype=np.int64)
        self.dropped_nodes = int(dropped_nodes)
        self._validate()

    def _validate(self) -> None:
        """Check the compact form is consistent (shapes, sparsity, positive times)."""
        n = self.x.size
        if self.y.size != n or (self.osmid is not None and self.osmid.size != n):
            raise NetworkError(f"tailles incohérentes : x {n}, y {self.y.size} nœuds")
        for name, m in (("graph", self.graph), ("length", self.length)):
            if not sparse.issparse(m) or m.format != "csr" or m.shape != (n, n):
                raise NetworkError(f"{name} doit être une matrice CSR {n}×{n}")
        if not np.array_equal(self.graph.indptr, self.length.indptr) or not np.array_equal(
            self.graph.indices, self.length.indices
        ):
            raise NetworkError("graph et length n'ont pas la même structure creuse")
        _csr.check_weights(self.graph.data, "graph")
        _csr.check_weights(self.length.data, "length")
        if (self.graph.data < MIN_TIME_S).any():
            raise NetworkError(f"temps d'arc inférieurs à {MIN_TIME_S} s dans graph")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_edges(
        cls,
        u,
        v,
        travel_time_s,
        x,
        y,
        length_m=None,
        *,
        crs: str = "EPSG:2154",
        mode: str = "voiture",
    ) -> RoadNetwork:
        """Build a network from edge arrays, keeping every node as given, in order.

        Parameters
        ----------
        u, v : array-like of int
            Directed edge ``u[i] → v[i]`` between node indices ``0..n-1``.
        travel_time_s : array-like of float
            Edge times (s), finite and ≥ 0; times below ``MIN_TIME_S`` are raised to it.
        x, y : array-like of float
            Coordinates of nodes ``0..n-1`` in ``crs``.
        length_m : array-like of float, optional
            Edge lengths (m); default: straight line between the two nodes.
        crs : str
        mode : {"voiture", "marche", "velo"}
            Sets the access speed and snapping distance (no component is pruned).

        Returns
        -------
        RoadNetwork

        Raises
        ------
        NetworkError
            Empty edge set, indices out of range, NaN / infinite / negative weights.
        """
        _validate_mode(mode)
        return cls(**_readers.edges_kwargs(u, v, travel_time_s, x, y, length_m, crs, mode))

    @classmethod
    def from_networkx(
        cls,
        G,
        mode: str = "voiture",
        *,
        profile: str | Path | dict | None = None,
        source: str | None = None,
        date: str | None = None,
    ) -> RoadNetwork:
        """Build a network from an osmnx ``MultiDiGraph``.

        Edges usable in ``mode`` are kept (highway classes and access tags of the
        profile), timed as length ÷ speed (:func:`speed_kmh`), node coordinates are
        projected to EPSG:2154 (to the département's own CRS for a graph in an
        overseas département: EPSG:5490, 2972, 2975 or 4471, like the communes),
        and only the largest strongly connected component is kept (a French
        warning reports the nodes dropped).

        Parameters
        ----------
        G : networkx.MultiDiGraph
            osmnx graph: node attributes ``x``, ``y`` in the graph's ``crs``
            (default EPSG:4326), edge attributes ``highway``, ``length`` (m),
            ``maxspeed``, ``oneway``, ``access``... One-way streets are single
            directed edges, two-way streets have both directions (osmnx convention).
        mode : {"voiture", "marche", "velo"}
            ``marche`` makes every edge usable both ways; ``velo`` adds the reverse of
            one-way edges with a contraflow exemption (see ``docs/speed-model.md``).
        profile : path, dict or None
            Speed profile (default: packaged ``vitesses_fr.toml``).
        source, date : str, optional
            Provenance shown in the description (default: graph name, ``created_date``).

        Returns
        -------
        RoadNetwork

        Raises
        ------
        NetworkError
            No edge usable in ``mode``, missing node coordinates, bad lengths.
        """
        _validate_mode(mode)
        return cls(**_readers.networkx_kwargs(G, mode, load_profile(profile), source, date))

    @classmethod
    def from_graphml(
        cls, path: str | Path, mode: str = "voiture", *, profile: str | Path | dict | None = None
    ) -> RoadNetwork:
        """Build a network from an osmnx GraphML file (see :meth:`from_networkx`).

        Raises
        ------
        DataFileError
            The file is missing or is not a readable osmnx GraphML file.
        """
        _validate_mode(mode)
        path = Path(path)
        G = _osm.read_graphml(path)
        return cls.from_networkx(G, mode, profile=profile, source=path.name)

    @classmethod
    def from_osm(
        cls,
        path: str | Path,
        mode: str = "voiture",
        *,
        territory=None,
        buffer_km: float = 10,
        profile: str | Path | dict | None = None,
    ) -> RoadNetwork:
        """Build a network from an OpenStreetMap extract: ``.osm.pbf``, OSM XML or ``.osm.bz2``.

        The file is read once by libosmium through pyosmium (ways tagged
        ``highway`` with their node locations, no OSM object created in Python;
        with a territory, only the ways touching its buffered bounding box; a
        temporary text copy of the highways, about 6 × their PBF size, is written
        in the system's temporary folder), split at junctions, timed by the speed model and
        contracted along degree-2 chains by :mod:`accessibilite.network.build`
        (no osmnx graph); the network is then cut to the buffered territory
        (nodes inside it). Without the optional ``osmium`` package (``pip
        install accessibilite[pbf]``), OSM XML files are parsed by the standard library.

        Parameters
        ----------
        path : str or Path
        mode : {"voiture", "marche", "velo"}
        territory : GeoDataFrame, GeoSeries or shapely geometry, optional
            Keep only the roads within this area (its own CRS; EPSG:2154 for a
            bare shapely geometry) enlarged by
            ``buffer_km``: use it to cut a département out of a regional extract.
        buffer_km : float
            Margin around ``territory`` (services just across the border count).
        profile : path, dict or None

        Raises
        ------
        DataFileError
            Missing or unreadable file, or ``osmium`` absent for a PBF file.
        NetworkError
            No way usable in ``mode`` (in the territory).
        """
        _validate_mode(mode)
        path = Path(path)
        prof = load_profile(profile)
        return cls(**_readers.osm_file_kwargs(path, mode, prof, territory, buffer_km))

    @classmethod
    def from_lines(
        cls,
        source,
        mode: str = "voiture",
        schema: str = "auto",
        territory=None,
        buffer_km: float = 10,
        layer: str | None = None,
        columns: dict | None = None,
        profile: str | Path | dict | None = None,
    ) -> RoadNetwork:
        """Build a network from a GIS road layer: Geofabrik, IGN BD TOPO 3 / 2, ROUTE 500.

        Parameters
        ----------
        source : str, Path or GeoDataFrame
            GeoPackage, shapefile, zipped shapefile (Geofabrik's
            ``*-free.shp.zip``), GeoJSON, or a GeoDataFrame of lines.
        mode : {"voiture", "marche", "velo"}
        schema : {"auto", "geofabrik", "bdtopo3", "bdtopo2", "route500"}
            ``auto`` recognises the schema from the columns (see
            ``docs/networks.md``).
        territory : GeoDataFrame, GeoSeries or shapely geometry, optional
            Keep only the roads within this area enlarged by ``buffer_km``.
        buffer_km : float
        layer : str, optional
            Layer of a multi-layer file (default: ``gis_osm_roads_free_1``,
            ``troncon_de_route``... when present, else the only layer).
        columns : dict, optional
            ``{schema column: column of the file}`` when names differ.
        profile : path, dict or None

        Raises
        ------
        DataFileError
            Missing, unreadable or empty file, unknown schema, not lines, outside France.
        NetworkError
            No road usable in ``mode`` (in the territory).
        """
        from .lines import lines_kwargs

        kwargs = lines_kwargs(source, mode, schema, territory, buffer_km, layer, columns, profile)
        kwargs.pop("stats")
        return cls(**kwargs)

    @classmethod
    def download(
        cls,
        territory=None,
        buffer_km: float = 10,
        mode: str = "voiture",
        cache: bool = True,
        *,
        departement: str | None = None,
        profile: str | Path | dict | None = None,
    ) -> RoadNetwork:
        """Download the OSM network of a département (extract) or around a territory (Overpass).

        With ``departement="40"``, the département's ``.osm.pbf`` extract is
        fetched from download.openstreetmap.fr (cached on disk with a progress
        bar, written atomically; :mod:`accessibilite.network.download`) and read
        as :meth:`from_osm`, cut to the département's communes enlarged by
        ``buffer_km``. Without it, the ways around ``territory`` are downloaded
        from the Overpass API through osmnx (for small areas).

        Parameters
        ----------
        territory : GeoDataFrame, GeoSeries or shapely geometry, optional
            Area to cover (default with ``departement``: its communes). A bare
            shapely geometry is taken in EPSG:2154; the buffer is drawn in
            EPSG:2154 or in the overseas département's CRS.
        buffer_km : float
            The area is enlarged by this distance so that services just across
            the border, and roads leaving and re-entering it, count.
        mode : {"voiture", "marche", "velo"}
        cache : bool
            Reuse / write the built network in ``settings.cache_folder / "reseaux"``,
            keyed by a hash of (buffered polygon, mode, profile).
        departement : str, optional
            INSEE code of the département whose extract to use.
        profile : path, dict or None

        Raises
        ------
        InputError
            Unknown département, bad territory.
        DownloadError
            Offline, server error or no data (one French sentence saying what to pass instead).
        """
        _validate_mode(mode)
        return _readers.download(cls, territory, buffer_km, mode, cache, departement, profile)

    # ----------------------------------------------------------------- save / load
    def save(self, path: str | Path) -> Path:
        """Write the network to a single ``.npz`` file (no pickle, byte-reproducible).

        The format is described in ``docs/speed-model.md`` (section 5).

        Returns
        -------
        Path
        """
        return _netfile.write(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Read a network written by :meth:`save`.

        Raises
        ------
        DataFileError
            Missing, unreadable or not a saved network.
        """
        path = Path(path)
        arrays, meta = _netfile.read(path)
        try:
            n = arrays["x"].size
            graph, length = _csr.csr_pair(
                arrays["indptr"], arrays["indices"], arrays["time"], arrays["length"], n
            )
            fields = {key: meta[key] for key in _netfile.META}
            return cls(arrays["x"], arrays["y"], graph, length, osmid=arrays.get("osmid"), **fields)
        except (ValueError, KeyError, NetworkError) as exc:
            raise DataFileError(path, f"fichier de réseau illisible ou incomplet ({exc})") from exc

    @classmethod
    def sample(cls, departement: str = "04", mode: str = "voiture") -> RoadNetwork:
        """A network embedded in the package (:mod:`accessibilite.datasets`), loaded offline.

        ``"04"``: Alpes-de-Haute-Provence, OpenStreetMap of July 2021 (ODbL); its
        ``source`` / ``date`` give the attribution. ``InputError`` if none is embedded.
        """
        return cls.load(datasets.network_file(departement, mode))
