"""The ``evolution`` sub-command: canton / EPCI coverage through time, chart, maps, report."""

from __future__ import annotations

__all__ = ["cmd_evolution"]

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import accessibilite as acc

from .analyse import _close, _method, _territories, _write_excluded
from .common import Progress, _fmt_int, _fmt_num, _fmt_pct, _no_empty_folder
from .potentiel import _departement_name
from .prepare import _prepare

_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_dates(text: str) -> list[dt.date]:
    """``"2020-01-01,01/01/2022,2024"`` → dates (AAAA = 1er janvier), each once, sorted."""
    out = set()
    for item in (t.strip() for t in text.replace(";", ",").split(",")):
        if not item:
            continue
        try:
            if m := _FR_DATE.match(item):
                out.add(dt.date(int(m[3]), int(m[2]), int(m[1])))
            elif re.fullmatch(r"\d{4}", item):
                out.add(dt.date(int(item), 1, 1))
            else:
                out.add(dt.date.fromisoformat(item))
        except ValueError:
            raise acc.InputError(
                f"--dates : date invalide {item!r} (attendu AAAA-MM-JJ ou JJ/MM/AAAA, "
                "séparées par des virgules)"
            ) from None
    if not out:
        raise acc.InputError("--dates : aucune date donnée")
    return sorted(out)


def cmd_evolution(args: argparse.Namespace) -> int:
    """Run ``accessibilite evolution``."""
    with _no_empty_folder(Path(args.sortie)):
        return _evolution(args)


def _open_at(services, date, unknown: str):
    opened = services["date_ouverture"]
    import pandas as pd

    opened = pd.to_datetime(opened)
    keep = (opened <= pd.Timestamp(date)) | (opened.isna() & (unknown == "inclure"))
    return services[keep.to_numpy()]


def _evolution(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm.auto import tqdm

    from ..outputs import atomic, maps
    from ..outputs.evolution import (
        NIVEAUX,
        coverage_wide,
        fmt_date,
        plot_coverage_chart,
        plot_coverage_maps,
        write_evolution_report,
    )
    from ..outputs.style import sources_text
    from ..outputs.tables import write_table_csv
    from ..outputs.xlsx import write_xlsx

    if args.date is not None:
        raise acc.InputError("--date ne s'applique pas à « evolution » : donnez --dates")
    dates = _parse_dates(args.dates)
    progress = Progress(8, quiet=args.silencieux)
    ctx = _prepare(args, progress)
    services = ctx.services
    progress.step(f"Couverture à {len(dates)} date(s)")
    table = acc.coverage_over_time(
        ctx.communes, services, ctx.provider, [d.isoformat() for d in dates],
        seuil_min=args.seuil, origine=args.origine, carreaux=ctx.carreaux,
        date_inconnue=args.sans_date, **_territories_for_coverage(args, ctx),
    )  # fmt: skip
    progress.step("Temps d'accès des communes à chaque date (cartes)")
    panels = []
    for date in tqdm(dates, desc="Cartes", disable=not acc.settings.progress, leave=False):
        open_sites = _open_at(services, date, args.sans_date)
        if len(open_sites):
            times = acc.access_times(
                ctx.communes, open_sites, ctx.provider, origine=args.origine,
                carreaux=ctx.carreaux,
            )  # fmt: skip
        else:  # no site yet: every commune is out of reach
            times = ctx.communes.assign(temps_min=float("inf"))
        panels.append((date, times, open_sites))

    out = Path(args.sortie)
    progress.step("Tableaux CSV et Excel")
    table = table.assign(date=pd.to_datetime(table["date"]))
    order = {k: i for i, k in enumerate(NIVEAUX)}
    table = table.sort_values(
        ["date", "niveau", "code"], key=lambda s: s.map(order) if s.name == "niveau" else s,
        kind="stable",
    ).reset_index(drop=True)  # fmt: skip
    write_table_csv(table, out / "evolution.csv")
    sheets = {name: coverage_wide(table, niveau) for niveau, name in NIVEAUX.items()}
    sheets["Données"] = table
    write_xlsx(out / "evolution.xlsx", {k: v for k, v in sheets.items() if len(v)})
    _write_excluded(ctx, out)

    progress.step("Graphique et cartes")
    chart = plot_coverage_chart(table, args.seuil)
    maps.save_map(chart, out / "evolution.png", dpi=150)
    times0 = panels[-1][1]
    sources = sources_text(times0, services)
    method = getattr(ctx.provider, "description", "")
    carte = plot_coverage_maps(
        panels, args.seuil, sources=f"{sources}. Méthode : {method}" if method else sources,
        titre=f"Temps d'accès au site le plus proche, du {fmt_date(dates[0])} "
        f"au {fmt_date(dates[-1])} — {_departement_name(args.departement)}",
    )  # fmt: skip
    maps.save_map(carte, out / "evolution_carte.png", dpi=150)

    progress.step("Rapport HTML")
    methode = _method(args, ctx)
    methode["Dates"] = ", ".join(fmt_date(d) for d in dates)
    methode["Sites sans date"] = (
        "comptés ouverts à toutes les dates" if args.sans_date == "inclure" else "ignorés"
    )
    edition = services.attrs.get("date_liste")
    if edition:
        methode["Édition de la liste des sites"] = fmt_date(edition)
    titre = "Évolution de l'accessibilité des services au public — " + _departement_name(
        args.departement
    )
    with atomic.replacing(out / "rapport_evolution.html") as tmp:
        write_evolution_report(
            tmp, table, args.seuil, images=[chart, carte], methode=methode, titre=titre
        )
    _close(chart)
    _close(carte)
    _print_evolution(table, args.seuil, out)
    return 0


def _territories_for_coverage(args, ctx) -> dict:
    """The cantons / EPCI of the analysed communes, under coverage_over_time's names."""
    found = _territories(args, ctx)
    return {k: v for k, v in found.items() if k in ("cantons", "commune_cantons", "epcis")}


def _print_evolution(table, seuil: float, out: Path) -> None:
    from ..outputs.evolution import fmt_date

    dep = table[table["niveau"] == "departement"].groupby("date", sort=True).sum(numeric_only=True)
    cantons = table[table["niveau"] == "canton"]
    print(f"Population au-delà de {_fmt_num(seuil)} min :")
    for date, r in dep.iterrows():
        share = r["population_au_dela_seuil"] / r["population"] if r["population"] else 0.0
        line = (
            f"  {fmt_date(date)} : {_fmt_int(r['population_au_dela_seuil'])} "
            f"habitant{'s' if r['population_au_dela_seuil'] >= 2 else ''} "
            f"({_fmt_pct(share)}), {_fmt_int(r['nb_sites'])} site(s)"
        )
        if len(cantons):
            sans = cantons[(cantons["date"] == date) & cantons["sans_service"].astype(bool)]
            n = cantons["code"].nunique()
            line += f", {len(sans)} canton(s) sans site sur {n}"
        print(line)
    print(f"Résultats écrits dans {out}", file=sys.stdout)
