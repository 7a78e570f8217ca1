"""The ``potentiel`` sub-command: potential accessibility (2SFCA / APL) of each commune."""

from __future__ import annotations

__all__ = ["cmd_potentiel"]

import argparse
import math
import sys
from pathlib import Path

import accessibilite as acc

from .analyse import _close
from .common import Progress, _existing_file, _fmt_int, _fmt_num, _load_communes, _no_empty_folder
from .prepare import _load_provider, _with_origin, _within_network

_METHODS = {
    "apl": "APL (DREES) : offre à 10 min comptée entière, 10-15 min aux 2/3, 15-20 min au tiers",
    "2sfca": "2SFCA : offre comptée entière jusqu'à {seuil} min",
}


def _check(args: argparse.Namespace) -> None:
    """Numbers and exclusive options, checked before any long step."""
    if not (math.isfinite(args.seuil) and args.seuil > 0):
        raise acc.InputError(f"--seuil : {_fmt_num(args.seuil)} minute(s), attendu un nombre > 0")
    if args.buffer_km < 0:
        raise acc.InputError("--buffer-km : attendu un nombre >= 0")
    if args.mode == "vol-oiseau" and args.reseau:
        raise acc.InputError("--reseau et --mode vol-oiseau s'excluent : choisissez l'un des deux")
    out = Path(args.sortie)
    if out.exists() and not out.is_dir():
        raise acc.InputError(f"--sortie {out} : c'est un fichier, un dossier est attendu")


def _is_bpe(path: Path) -> bool:
    """True for a BPE count table (a ``CODGEO`` column)."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().lower()
    return "codgeo" in header or "depcom" in header


def _bpe_communes(args: argparse.Namespace, communes):
    """Town halls a BPE table is placed at: the whole département, not only ``--communes``.

    A practitioner of a commune outside the study area still serves it.
    """
    if getattr(args, "communes", None) is None:
        return communes
    import pandas as pd

    whole = _load_communes(argparse.Namespace(**{**vars(args), "communes": None}))
    whole = whole[~whole["code_insee"].isin(communes["code_insee"])]
    return pd.concat([communes, whole.to_crs(communes.crs)], ignore_index=True)


def _supply(args: argparse.Namespace, communes):
    """Supply points with a ``capacite``: BPE counts at the town halls, else a point file."""
    path = _existing_file(args.services_fichier)
    if _is_bpe(path):
        return acc.load_bpe(path, _bpe_communes(args, communes), code=args.code_bpe)
    sites = acc.load_points(path, categorie="offre", departement=args.departement,
                            buffer_km=args.buffer_km)  # fmt: skip
    if "capacite" not in sites.columns or sites["capacite"].isna().all():
        print(f"attention : {path.name} : pas de colonne de capacité, chaque site compte pour 1",
              file=sys.stderr)  # fmt: skip
        sites = sites.assign(capacite=1.0)
    return sites


def cmd_potentiel(args: argparse.Namespace) -> int:
    """Run ``accessibilite potentiel``."""
    with _no_empty_folder(Path(args.sortie)):
        return _potentiel(args)


def _potentiel(args: argparse.Namespace) -> int:
    from ..outputs import maps
    from ..outputs.indicator_map import plot_indicator_map, quantile_classes, quantile_colours
    from ..outputs.style import fmt_pct
    from ..outputs.tables import write_table_csv
    from ..outputs.xlsx import write_xlsx

    _check(args)
    progress = Progress(5, quiet=args.silencieux)
    progress.step("Chargement des communes")
    args.origine = getattr(args, "origine", "mairie")
    communes, _ = _with_origin(args, _load_communes(args))
    area = communes  # demand and supply of the study, plus --voisins
    voisins = _codes(args.voisins)
    if voisins:
        import pandas as pd

        extra = acc.communes(voisins)
        extra = extra[~extra["code_insee"].isin(communes["code_insee"])]
        area = pd.concat([communes, extra.to_crs(communes.crs)], ignore_index=True)
        area = _with_origin(args, area)[0]
    progress.step("Chargement de l'offre")
    supply = _supply(args, area)
    if len(supply) == 0:
        raise acc.InputError(f"{args.services_fichier} : aucune offre retenue dans le "
                             f"département {args.departement}")  # fmt: skip
    label = "Estimation à vol d'oiseau" if args.mode == "vol-oiseau" else "Réseau routier"
    progress.step(f"{label} ({args.mode})")
    provider = _load_provider(args, communes)
    communes, excluded = _within_network(args, communes, provider)  # named in a warning
    if excluded is not None:
        area = area[~area["code_insee"].isin(excluded["code_insee"])].reset_index(drop=True)
    progress.step(f"Accessibilité potentielle ({args.methode.upper()})")
    bands = (args.seuil,) if args.methode == "2sfca" else None
    result = acc.potential_access(
        area, supply, provider, method=args.methode, bands_min=bands, origine=args.origine
    )
    result = result[result["code_insee"].isin(communes["code_insee"])].reset_index(drop=True)
    offre = supply.groupby("code_insee")["capacite"].sum()
    result["offre_commune"] = result["code_insee"].map(offre).fillna(0.0)

    out = Path(args.sortie)
    progress.step("Tableaux et carte")
    cols = ["code_insee", "nom", "population", "offre_commune", "acces", "code_epci", "nom_epci",
            "mairie"]  # fmt: skip
    table = result[[c for c in cols if c in result.columns]]
    write_table_csv(table, out / "potentiel.csv", key="code_insee")
    write_xlsx(out / "potentiel.xlsx", {"Potentiel": (table, (), "code_insee")})
    pop = result["population"].to_numpy(dtype=float)
    access = result["acces"].to_numpy(dtype=float)
    mean = float((pop * access).sum() / pop.sum()) if pop.sum() else 0.0
    zero = access <= 0
    cls, labels = quantile_classes(access)
    edge = ("offre et population des départements " + ", ".join(voisins) + " comptées"
            if voisins else "offre des départements voisins non comptée (option --voisins)")  # fmt: skip
    method = _METHODS[args.methode].format(seuil=_fmt_num(args.seuil))
    sources = ("Sources : INSEE BPE, IGN/INSEE" if _is_bpe(Path(args.services_fichier))
               else "Sources : IGN/INSEE")  # fmt: skip
    fig = plot_indicator_map(
        result, cls, labels, colours=quantile_colours(len(labels)),
        titre=f"Accessibilité potentielle localisée ({args.methode.upper()}) — "
        f"{_departement_name(args.departement)}",
        legende="Offre accessible pour 100 000 habitants",
        chiffres=f"Moyenne pondérée : {_fmt_num(round(mean, 1))} pour 100 000 habitants ; "
        f"{_fmt_int(int(zero.sum()))} commune(s) sans offre à portée "
        f"({fmt_pct(pop[zero].sum() / pop.sum() if pop.sum() else 0)} de la population)",
        sources=f"{sources}. Méthode : {method} ; {edge} ; temps : {provider.description}",
    )  # fmt: skip
    maps.save_map(fig, out / "potentiel.png")
    _close(fig)
    print(f"Méthode : {method}")
    print(f"Temps : {provider.description}")
    print(f"Bords : {edge}")
    print(f"Offre : {_fmt_int(supply['capacite'].sum())} dans {len(supply)} commune(s) ou site(s)")
    print(f"Accessibilité moyenne pondérée : {_fmt_num(round(mean, 1))} pour 100 000 habitants")
    print(f"Communes sans offre à portée : {int(zero.sum())} sur {len(result)}")
    print(f"Résultats écrits dans {out}")
    return 0


def _codes(text: str | None) -> list[str]:
    """``"64,32"`` → ``["64", "32"]`` (département codes of --voisins)."""
    if not text:
        return []
    return [c.strip().upper().zfill(2) for c in text.replace(";", ",").split(",") if c.strip()]


def _departement_name(code: str) -> str:
    table = acc.departements()
    names = dict(zip(table["code"], table["nom"], strict=True))
    return names.get(str(code).zfill(2), str(code))
