"""The ``scenario fermeture|ouverture`` sub-command: closure impact, best new sites."""

from __future__ import annotations

__all__ = ["cmd_scenario"]

import argparse
import sys
from pathlib import Path

import accessibilite as acc

from .analyse import _close, _compute, _method, _write_excluded
from .common import (
    Progress,
    _existing_file,
    _fmt_int,
    _fmt_num,
    _fmt_pct,
    _load_service_file,
)
from .prepare import _prepare


# --------------------------------------------------------------------------- scenario
def cmd_scenario(args: argparse.Namespace) -> int:
    """Run ``accessibilite scenario fermeture|ouverture``."""
    from ..outputs import maps, report

    progress = Progress(8, quiet=args.silencieux)
    ctx = _prepare(args, progress)
    communes, services, provider = ctx.communes, ctx.services, ctx.provider
    deficits = _compute(args, progress, ctx)
    origine = args.origine
    if origine == "carreaux":  # the scenario functions take one point per commune
        origine = "mairie"
        print(
            "attention : --origine carreaux : le diagnostic est calculé par carreau, mais le "
            "scénario depuis les mairies des communes",
            file=sys.stderr,
        )
    if args.type_scenario == "fermeture":
        progress.step("Impact de la fermeture de chaque site")
        result = acc.closure_impact(
            communes, services, provider, seuil_min=args.seuil, origine=origine
        )
        titre = f"Fermeture d'un site : population basculant au-delà de {_fmt_num(args.seuil)} min"
    else:
        candidats = None
        if args.candidats:
            ns = argparse.Namespace(  # the reading options are those of --services-fichier
                **{**vars(args), "categorie": "candidat", "date": None, "colonnes": None,
                   "colonne_x": None, "colonne_y": None, "crs": None, "couche": None,
                   "sans_itinerants": False}
            )  # fmt: skip
            candidats = _load_service_file(_existing_file(args.candidats), ns)
            if len(candidats) == 0:
                raise acc.InputError(
                    f"--candidats {args.candidats} : aucun emplacement candidat retenu dans le "
                    f"département {args.departement}"
                )
        progress.step(f"Recherche de {args.k} nouveau(x) site(s)")
        result = acc.recommend_sites(
            communes,
            services,
            provider,
            k=args.k,
            seuil_min=args.seuil,
            candidats=candidats,
            methode="les_deux",
            origine=origine,
        )
        titre = (
            f"Ouverture de {args.k} site(s) : population ramenée sous {_fmt_num(args.seuil)} min"
        )
    out = Path(args.sortie)
    out.mkdir(parents=True, exist_ok=True)
    name = args.type_scenario
    progress.step("Tableau, carte et rapport du scénario")
    table = result.drop(columns=result.geometry.name)
    table.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.4f")
    fig = acc.plot_scenario_map(deficits, result, services, titre=titre)
    maps.save_map(fig, out / f"{name}.png")
    _write_excluded(ctx, out)
    report.write_report(
        out / f"rapport_{name}.html",
        deficits,
        services,
        carte_png=fig,
        methode=_method(args, ctx),
        scenarios={titre: table},
    )
    _close(fig)
    _print_scenario(result, name, out, args.seuil)
    return 0


def _print_scenario(result, name: str, out: Path, seuil: float) -> None:
    if name == "fermeture":
        print(f"Impact de la fermeture de chacun des {len(result)} sites (les 5 premiers) :")
        for r in result.head(5).itertuples():
            print(
                f"  {r.service_id} {r.nom} : {_fmt_int(r.population_basculant)} habitants "
                f"et {r.nb_communes_basculant} commune(s) au-delà du seuil"
            )
    elif len(result) == 0:
        print(
            f"Aucun site proposé : aucun emplacement candidat n'amène de nouveaux habitants "
            f"à moins de {_fmt_num(seuil)} min"
        )
    else:
        for methode, group in result.groupby("methode", sort=False):
            print(f"Sites proposés ({methode}) :")
            for r in group.itertuples():
                print(
                    f"  {r.rang}. {r.nom} ({r.code_insee}) : +{_fmt_int(r.gain_population)} "
                    f"habitants, couverture cumulée {_fmt_pct(r.part_couverte_cumulee)}"
                )
    print(f"Résultats écrits dans {out}")
