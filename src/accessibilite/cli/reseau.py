"""Road network files on the command line: ``--reseau FICHIER`` and the ``reseau`` sub-command.

:func:`load_network` picks the constructor of :class:`accessibilite.RoadNetwork`
from the file name: saved network (``.npz``), OSM extract (``.osm.pbf``,
``.osm``, ``.osm.bz2``), OSMnx GraphML, GIS line layer (Geofabrik ``.shp.zip``
/ ``.shp`` / ``.gpkg``, IGN BD TOPO GeoPackage / GeoJSON, ROUTE 500).
``accessibilite reseau FICHIER --departement 04 --sortie reseau-04.npz`` builds
a network once, saves it and prints its summary; ``analyse --reseau
reseau-04.npz`` then reloads it in a fraction of a second.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import accessibilite as acc

from .common import _existing_file, _fmt_int, _fmt_num, _fmt_pct, _load_communes

_GRAPHML = (".graphml", ".gml")
_OSM = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".xml")
_LINES = (".shp.zip", ".zip", ".shp", ".gpkg", ".geojson", ".json", ".fgb")
_NPZ = (".npz",)
_NET_MODES = ("voiture", "marche", "velo")
SCHEMAS = ("auto", "geofabrik", "bdtopo3", "bdtopo2", "route500")
FORMATS = (
    ".osm.pbf, .osm, .osm.bz2 (OpenStreetMap), .graphml (OSMnx), .shp.zip, .shp, .gpkg "
    "(Geofabrik, BD TOPO, ROUTE 500), .geojson (BD TOPO), .npz (réseau enregistré)"
)


def network_kind(path: Path) -> str:
    """``"npz"``, ``"graphml"``, ``"osm"`` or ``"lignes"`` from the file name.

    Raises
    ------
    DataFileError
        The extension is none of the network formats (listed in the message).
    """
    name = path.name.lower()
    for kind, suffixes in (("npz", _NPZ), ("graphml", _GRAPHML), ("osm", _OSM), ("lignes", _LINES)):
        if name.endswith(suffixes):
            return kind
    raise acc.DataFileError(path, f"format de réseau non reconnu (formats acceptés : {FORMATS})")


def load_network(
    path: str | Path,
    mode: str = "voiture",
    *,
    territory=None,
    buffer_km: float = 20.0,
    couche: str | None = None,
    schema: str = "auto",
    summary: bool = False,
):
    """Build (or reload) the road network of a file, cut to ``territory`` + ``buffer_km``.

    Parameters
    ----------
    path : str or Path
    mode : {"voiture", "marche", "velo"}
    territory : GeoDataFrame, optional
        Communes of the study area; a regional file is cut to them plus the margin.
        Ignored for a saved ``.npz`` network (already cut when it was built).
    buffer_km : float
    couche : str, optional
        Layer of a multi-layer file (GeoPackage with several layers).
    schema : {"auto", "geofabrik", "bdtopo3", "bdtopo2", "route500"}
        Attribute schema of a GIS line layer (``auto``: recognised from its columns).
    summary : bool
        The caller prints :func:`summary_lines`, which says how many nodes left
        the main component: the builder's warning saying the same is not shown.

    Raises
    ------
    DataFileError
        Missing, unreadable or unrecognised file (named in the message).
    InputError
        A saved network of another mode, or ``--couche`` / ``--schema`` given for a
        format that has none.
    """
    path = _existing_file(path)
    kind = network_kind(path)
    if kind != "lignes" and (couche is not None or schema != "auto"):
        option = "--couche" if couche is not None else "--schema"
        raise acc.InputError(
            f"{option} ne s'applique qu'aux couches de lignes SIG (Geofabrik, BD TOPO, "
            f"ROUTE 500), pas au fichier {path.name}"
        )
    from ..network import DroppedNodesWarning  # here: the CLI's help loads no heavy stack

    try:
        with warnings.catch_warnings():
            if summary:
                warnings.simplefilter("ignore", DroppedNodesWarning)
            return _read_network(path, kind, mode, territory, buffer_km, couche, schema)
    except acc.AccessibiliteError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader's unexpected failure: one line, the file
        raise acc.DataFileError(
            path, f"réseau illisible ({type(exc).__name__} : {exc})".rstrip(" :()")
        ) from exc


def _read_network(path, kind, mode, territory, buffer_km, couche, schema):
    """The constructor of ``kind`` on ``path`` (see :func:`load_network`)."""
    if kind == "npz":
        net = acc.RoadNetwork.load(path)
        if net.mode != mode:
            raise acc.InputError(
                f"{path} : réseau enregistré en mode {net.mode}, mode demandé {mode} "
                f"(reconstruire le réseau avec « accessibilite reseau --mode {mode} »)"
            )
        return net
    if kind == "graphml":
        return acc.RoadNetwork.from_graphml(path, mode=mode)
    if kind == "osm":
        return acc.RoadNetwork.from_osm(path, mode, territory=territory, buffer_km=buffer_km)
    return acc.RoadNetwork.from_lines(
        path, mode=mode, schema=schema, territory=territory, buffer_km=buffer_km, layer=couche
    )


def road_km(net) -> float:
    """Length of road in km: a two-way street counts once, a one-way street once."""
    length = net.length.tocsr()
    both = (length != 0).multiply((length != 0).T)
    return float(length.sum() - length.multiply(both).sum() / 2) / 1000


def summary_lines(net, seconds: float, path: Path | None = None) -> list[str]:
    """French summary of a network (printed by ``reseau`` and in ``analyse``)."""
    kept = net.n_nodes / (net.n_nodes + net.dropped_nodes) if net.n_nodes else 0.0
    km = road_km(net)
    km_text = _fmt_int(km) if km >= 100 else _fmt_num(round(km, 1))
    lines = [
        f"Réseau {net.mode} : {_fmt_int(net.n_nodes)} nœuds, {_fmt_int(net.n_edges)} arcs, "
        f"{km_text} km de voies",
        f"Plus grande composante fortement connexe : {_fmt_pct(kept)} des nœuds conservés "
        f"({_fmt_int(net.dropped_nodes)} retirés)",
        f"Source : {net.source or '?'}" + (f" ({net.date})" if net.date else ""),
        f"Temps de construction : {_fmt_num(round(seconds, 1))} s",
    ]
    if path is not None:
        lines.append(f"Écrit : {path}")
    return lines


def cmd_reseau(args: argparse.Namespace) -> int:
    """``accessibilite reseau FICHIER --sortie reseau.npz [--departement 04]``."""
    sortie = Path(args.sortie)
    if not sortie.name.lower().endswith(".npz"):
        raise acc.InputError(f"--sortie {sortie} : extension .npz attendue")
    if sortie.is_dir():
        raise acc.InputError(f"--sortie {sortie} : c'est un dossier, un fichier .npz est attendu")
    if Path(args.fichier).name.lower().endswith(".npz"):
        raise acc.InputError(f"{args.fichier} : c'est déjà un réseau enregistré (.npz)")
    territory = _load_communes(args) if args.departement else None
    t0 = time.perf_counter()
    net = load_network(
        args.fichier,
        args.mode,
        territory=territory,
        buffer_km=args.buffer_km,
        couche=args.couche,
        schema=args.schema,
        summary=True,
    )
    seconds = time.perf_counter() - t0
    sortie.parent.mkdir(parents=True, exist_ok=True)
    net.save(sortie)
    for line in summary_lines(net, seconds, sortie):
        print(line)
    return 0


def add_network_file_options(p: argparse.ArgumentParser) -> None:
    """``--couche`` and ``--schema`` (GIS line layers)."""
    p.add_argument(
        "--couche",
        metavar="NOM",
        help="couche à lire dans un fichier qui en contient plusieurs (GeoPackage)",
    )
    p.add_argument(
        "--schema",
        choices=SCHEMAS,
        default="auto",
        help="schéma des attributs d'une couche de lignes : auto (reconnu d'après les "
        "colonnes, défaut), geofabrik, bdtopo3, bdtopo2, route500",
    )


def add_reseau_parser(sub, add_quiet) -> None:
    """The ``reseau`` sub-command (``add_quiet``: the parser's ``-q`` option adder)."""
    p = sub.add_parser(
        "reseau",
        help="construire un réseau routier une fois et l'enregistrer (.npz)",
        description="Construit le réseau routier d'un fichier (OSM .osm.pbf, GraphML, "
        "couche Geofabrik ou BD TOPO), le découpe au département et à sa marge, "
        "l'enregistre en .npz et affiche son résumé. « analyse --reseau FICHIER.npz » le "
        "relit ensuite en une fraction de seconde.",
    )
    p.add_argument("fichier", help=f"fichier du réseau : {FORMATS}")
    p.add_argument("--departement", "-d", help="découper au département (et à sa marge)")
    p.add_argument(
        "--buffer-km",
        type=float,
        default=20.0,
        help="marge autour du département (défaut : 20 km)",
    )
    p.add_argument(
        "--mode",
        choices=_NET_MODES,
        default="voiture",
        help="mode de déplacement (défaut : voiture)",
    )
    add_network_file_options(p)
    p.add_argument("--sortie", "-o", required=True, metavar="FICHIER", help="fichier .npz écrit")
    add_quiet(p)
    p.set_defaults(func=cmd_reseau)


__all__ = ["load_network", "network_kind", "road_km", "summary_lines", "cmd_reseau"]
