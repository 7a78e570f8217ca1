"""The ``scenario fermeture|ouverture`` sub-command: closure impact, best new sites."""

from __future__ import annotations

__all__ = ["cmd_scenario"]

import argparse
import sys
from pathlib import Path

import numpy as np

import accessibilite as acc

from .analyse import _close, _compute, _method, write_tables
from .common import (
    Progress,
    _existing_file,
    _fmt_int,
    _fmt_num,
    _fmt_pct,
    _load_service_file,
    _no_empty_folder,
)
from .prepare import _prepare


# --------------------------------------------------------------------------- scenario
def cmd_scenario(args: argparse.Namespace) -> int:
    """Run ``accessibilite scenario fermeture|ouverture``."""
    with _no_empty_folder(Path(args.sortie)):
        return _scenario(args)


#: French names of the recommendation methods in tables and messages.
_METHODES = {"exact": "optimum exact (MCLP)", "glouton": "heuristique gloutonne"}


def _lead(result) -> tuple[str, str]:
    """(method shown first, method shown as comparison) of a ``les_deux`` result.

    The exact optimum leads when it brings more residents within the
    threshold than the greedy picks; with the same coverage the greedy order
    (same gain) is kept first.
    """
    if result.attrs.get("ecart_population", 0) > 0:
        return "exact", "glouton"
    return "glouton", "exact"


def _scenario(args: argparse.Namespace) -> int:
    from ..outputs import atomic, maps, report
    from ..outputs.enrich import site_columns

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
        lead = None
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
        lead, other = _lead(result)
        order = {lead: 0, other: 1}
        attrs = dict(result.attrs)
        keys = result["methode"].map(order).to_numpy()
        result = result.iloc[keys.argsort(kind="stable")].reset_index(drop=True)
        result.attrs = attrs
        titre = (
            f"Ouverture de {args.k} site(s) : population ramenée sous {_fmt_num(args.seuil)} min"
            + (" — optimum exact" if lead == "exact" else "")
        )
    out = Path(args.sortie)
    name = args.type_scenario
    progress.step("Tableau, carte et rapport du scénario")
    result = site_columns(result, services)
    table = result.drop(columns=result.geometry.name)
    shown = table  # the report's table: methods in words
    if lead is not None:
        table["choix"] = np.where(table["methode"] == lead, "proposé", "comparaison")
        shown = table.assign(methode=table["methode"].map(_METHODES)).drop(columns="choix")
        shown["methode"] = shown["methode"].where(table["choix"] == "proposé",
                                                  shown["methode"] + " (comparaison)")  # fmt: skip
    from ..outputs.tables import write_table_csv

    write_table_csv(table, out / f"{name}.csv")
    write_tables(deficits, ctx, out, scenarios={name.capitalize(): table})
    fig = acc.plot_scenario_map(deficits, result, services, titre=titre, methode=lead)
    maps.save_map(fig, out / f"{name}.png")
    with atomic.replacing(out / f"rapport_{name}.html") as tmp:
        report.write_report(
            tmp, deficits, services, carte_png=fig, methode=_method(args, ctx),
            scenarios={titre: shown},
        )  # fmt: skip
    _close(fig)
    _print_scenario(result, name, out, args.seuil, lead)
    return 0


def _print_scenario(result, name: str, out: Path, seuil: float, lead=None) -> None:
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
        gap = int(result.attrs.get("ecart_population", 0))
        picks = {m: set(g["candidat_id"]) for m, g in result.groupby("methode", sort=False)}
        for methode, group in result.groupby("methode", sort=False):
            if methode == lead:
                print(f"Sites proposés — {_METHODES.get(methode, methode)} :")
            elif gap > 0:
                print(
                    f"Pour comparaison, {_METHODES[methode]} : {_fmt_int(gap)} habitant(s) "
                    "de moins sous le seuil"
                )
            elif picks[methode] == picks.get(lead):
                print(f"L'{_METHODES[methode]} retient les mêmes sites.")
                continue
            else:
                print(f"Pour comparaison, {_METHODES[methode]} (même couverture) :")
            for r in group.itertuples():
                print(
                    f"  {r.rang}. {r.nom} ({r.code_insee}) : +{_fmt_int(r.gain_population)} "
                    f"habitants, couverture cumulée {_fmt_pct(r.part_couverte_cumulee)}"
                )
    print(f"Résultats écrits dans {out}")
