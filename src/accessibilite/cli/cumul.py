"""The ``cumul`` sub-command: communes cumulating deficits over several service files."""

from __future__ import annotations

__all__ = ["cmd_cumul"]

import argparse
import re
import sys
import unicodedata
from pathlib import Path

import accessibilite as acc

from .analyse import _close
from .common import (
    Progress,
    _existing_file,
    _fmt_int,
    _fmt_num,
    _is_france_services_file,
    _load_communes,
    _no_empty_folder,
)
from .potentiel import _bpe_communes, _check, _departement_name, _is_bpe
from .prepare import _load_provider, _with_origin, _within_network

_SEUIL = re.compile(r"^(?P<file>.+):(?P<seuil>\d+(?:[.,]\d+)?)$")


def _slug(name: str) -> str:
    """``"France Services"`` → ``"france_services"`` (column suffixes of the tables)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "service"


def _parse_service(text: str, default: float) -> tuple[str, Path, float]:
    """``"NOM=FICHIER"`` or ``"NOM=FICHIER:SEUIL"`` → (name, path, threshold in minutes)."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise acc.InputError(f"--service {text!r} : attendu NOM=FICHIER (ou NOM=FICHIER:SEUIL)")
    seuil = default
    m = _SEUIL.match(rest.strip())
    if m and not Path(rest.strip()).exists():  # "C:/..." or a file named "x:30" stay paths
        rest, seuil = m["file"], float(m["seuil"].replace(",", "."))
    if not seuil > 0:
        raise acc.InputError(f"--service {name.strip()} : seuil {_fmt_num(seuil)} min, attendu > 0")
    return name.strip(), _existing_file(rest.strip()), seuil


def _is_finess(path: Path) -> bool:
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with open(path, encoding="latin-1", errors="replace") as fh:
        return fh.readline().lower().startswith("finess;")


def _bpe_code(path: Path) -> str:
    """The equipment code of a BPE table from its ``NB_<code>`` column (D201 by default)."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    found = re.search(r"NB_([A-Z]\d{3})", header, flags=re.IGNORECASE)
    return found[1].upper() if found else "D201"


def _load(name: str, path: Path, args: argparse.Namespace, communes):
    """Sites of one service file: France Services list, FINESS, BPE counts or any point file."""
    where = {"departement": args.departement, "buffer_km": args.buffer_km}
    if _is_france_services_file(path):
        return acc.load_france_services(path, **where)
    if _is_finess(path):
        return acc.load_finess(path, **where)
    if _is_bpe(path):
        return acc.load_bpe(path, _bpe_communes(args, communes), code=_bpe_code(path))
    return acc.load_points(path, categorie=_slug(name), **where)


def provider_uses_osm(provider) -> bool:
    """Routed times rest on OpenStreetMap; the straight-line estimate does not."""
    return not isinstance(provider, acc.StraightLineEstimate)


def cmd_cumul(args: argparse.Namespace) -> int:
    """Run ``accessibilite cumul``."""
    with _no_empty_folder(Path(args.sortie)):
        return _cumul(args)


def _cumul(args: argparse.Namespace) -> int:
    from ..outputs import maps
    from ..outputs.indicator_map import deficit_count_map
    from ..outputs.style import CATEGORY_SOURCES, SOURCE_CREDITS, fmt_pct
    from ..outputs.tables import write_table_csv
    from ..outputs.xlsx import write_xlsx

    _check(args)
    specs = [_parse_service(text, args.seuil) for text in args.service]
    slugs = [_slug(n) for n, _, _ in specs]
    if len(set(slugs)) < len(slugs):
        raise acc.InputError("--service : deux services portent le même nom")
    progress = Progress(3 + len(specs), quiet=args.silencieux)
    progress.step("Chargement des communes")
    communes, _ = _with_origin(args, _load_communes(args))
    sites, seuils, names = {}, {}, {}
    for (name, path, seuil), slug in zip(specs, slugs, strict=True):
        progress.step(f"Chargement : {name} ({path.name})")
        frame = _load(name, path, args, communes)
        if len(frame) == 0:
            raise acc.InputError(
                f"{path} : aucun site de « {name} » retenu dans le département {args.departement}"
            )
        sites[slug], seuils[slug], names[slug] = frame, seuil, name
        if not args.silencieux:
            print(f"  {name} : {len(frame)} site(s), seuil {_fmt_num(seuil)} min", file=sys.stderr)
    label = "Estimation à vol d'oiseau" if args.mode == "vol-oiseau" else "Réseau routier"
    progress.step(f"{label} ({args.mode}) et temps d'accès par service")
    provider = _load_provider(args, communes)
    communes, _ = _within_network(args, communes, provider)  # named in a warning
    result = acc.cumulated_deficits(communes, sites, provider, seuil_min=seuils,
                                    origine=args.origine)  # fmt: skip
    result["categories_en_deficit"] = result["categories_en_deficit"].map(
        lambda text: ", ".join(names[s] for s in text.split(", ")) if text else ""
    )
    for col in ("code_epci", "nom_epci", "mairie"):
        if col in communes.columns:
            result[col] = communes[col].values  # a GeoSeries' values keep the geometry type

    out = Path(args.sortie)
    progress.step("Tableaux et carte")
    write_table_csv(result, out / "cumul.csv", key="code_insee")
    headers = {f"temps_min_{s}": f"Temps d'accès {names[s]} (min)" for s in slugs}
    headers |= {f"au_dela_seuil_{s}": f"{names[s]} au-delà de {_fmt_num(seuils[s])} min"
                for s in slugs}  # fmt: skip
    write_xlsx(out / "cumul.xlsx", {"Cumul des déficits": (result, (), "code_insee")}, headers)
    n = len(slugs)
    pop = result["population"].to_numpy(dtype=float)
    every = result["nb_deficits"].to_numpy() == n
    several = result["nb_deficits"].to_numpy() >= 2
    text = ", ".join(f"{names[s]} {_fmt_num(seuils[s])} min" for s in slugs)
    chiffres = (
        f"{_fmt_int(int(several.sum()))} commune(s) cumulent au moins deux déficits "
        f"({_fmt_int(pop[several].sum())} hab., {fmt_pct(pop[several].sum() / pop.sum())})"
    )
    if every.any() and n > 2:
        chiffres += f", dont {_fmt_int(int(every.sum()))} pour les {n} services"
    credits = ["IGN/INSEE"]
    for frame in sites.values():
        for cat in frame["categorie"].dropna().unique():
            key = CATEGORY_SOURCES.get(cat)
            if key and SOURCE_CREDITS[key] not in credits:
                credits.append(SOURCE_CREDITS[key])
    if provider_uses_osm(provider):
        credits.insert(0, SOURCE_CREDITS["osm"])
    fig = deficit_count_map(
        result, n, text,
        titre=f"Communes cumulant les déficits d'accès — {_departement_name(args.departement)}",
        chiffres=chiffres,
        sources=f"Sources : {', '.join(credits)}. Temps : {provider.description}",
    )  # fmt: skip
    maps.save_map(fig, out / "cumul.png")
    _close(fig)
    print(f"Temps : {provider.description}")
    counts = result["nb_deficits"].value_counts().reindex(range(n + 1), fill_value=0)
    for k, c in counts.items():
        people = pop[result["nb_deficits"].to_numpy() == k].sum()
        print(f"  {k} service(s) au-delà du seuil : {c} commune(s), {_fmt_int(people)} "
              f"habitant{'s' if people >= 2 else ''}")  # fmt: skip
    if every.any():
        print(f"Communes au-delà du seuil pour les {n} services : "
              + ", ".join(sorted(result.loc[every, "nom"])))  # fmt: skip
    print(f"Résultats écrits dans {out}")
    return 0
