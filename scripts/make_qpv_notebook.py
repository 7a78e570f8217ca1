"""Write notebooks/qpv.ipynb (stored without outputs; executed by tests/test_notebook_qpv.py)."""

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parents[1]
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
cells = [
    md(
        "# Quartiers prioritaires (QPV) : l'accès aux services sans voiture\n\n"
        "Part des habitants de chaque quartier prioritaire de la politique de la ville au-delà "
        "de 10, 20 et 30 minutes des services, **à pied** et **à vélo**, comparée au reste de "
        "la commune.\n\n"
        "> **Contours de test.** Aucun fichier officiel de l'ANCT n'est disponible hors ligne : "
        "les contours utilisés ici (`tests/data/qpv/`) sont **dessinés à la main** dans le "
        "schéma officiel, près des quartiers réels (Peyrouat, La Moustey à Mont-de-Marsan), "
        "et les contours de Digne-les-Bains sont de purs **contours de test**. Les chiffres "
        "illustrent la méthode, pas la situation de ces quartiers."
    ),
    code(
        "import warnings\n"
        "from pathlib import Path\n\n"
        "import accessibilite as acc\n"
        "from accessibilite.analysis.qpv import straight_line\n"
        "from accessibilite.outputs.qpv_map import plot_qpv_map\n\n"
        "DATA = Path('..') / 'tests' / 'data' / 'qpv'\n"
        "warnings.simplefilter('ignore', acc.RejectedRowsWarning)"
    ),
    md("## 1. Les contours (schéma ANCT 2024) et les lignes rejetées"),
    code(
        "qpv = acc.load_qpv(DATA / 'qpv_2024_metropole.geojson', departement='40')\n"
        "print(f\"{len(qpv)} QPV retenus, {len(qpv.attrs['rejected'])} lignes rejetées, \"\n"
        "      f\"{qpv.attrs['hors_departement']} hors du département\")\n"
        "qpv.drop(columns='geometry')"
    ),
    code("qpv.attrs['rejected'][['code_qp', 'lib_qp', 'reason']]"),
    md(
        "## 2. Mont-de-Marsan à pied et à vélo (estimation à vol d'oiseau, grille de test)\n\n"
        "Origines : les carreaux de 200 m de la grille Filosofi (ici une grille de test au "
        "schéma INSEE), temps pondérés par la population. Sans réseau routier, les temps sont "
        "estimés à vol d'oiseau (distance × 1,3 ÷ 4,5 km/h à pied, ÷ 15 km/h à vélo), ce que "
        "chaque sortie indique."
    ),
    code(
        "communes = acc.communes('40')\n"
        "carreaux = acc.load_carreaux(DATA / 'carreaux_qpv_40192.csv',\n"
        "                             communes[communes['code_insee'] == '40192'])\n"
        "caf = acc.load_points(DATA / 'caf_40.csv', categorie='caf', departement='40')\n"
        "fs = acc.load_france_services(acc.datasets.france_services_file(), departement='40')\n"
    ),
    code(
        "import pandas as pd\n\n"
        "services = pd.concat([caf, fs], ignore_index=True)\n"
        "services['service_id'] = services['categorie'] + ':' + services['service_id'].astype(str)\n"
        "modes = {'marche': straight_line('marche'), 'velo': straight_line('velo')}\n"
        "mdm = acc.qpv_access(qpv, communes, services, modes, carreaux=carreaux)\n"
        "cols = ['nom_qp', 'mode', 'categorie', 'population_qpv', 'population_reste',\n"
        "        'part_qpv_au_dela_20_min', 'part_reste_au_dela_20_min', 'ecart_20_min_pts']\n"
        "mdm.table[cols].round(3)"
    ),
    md("Les QPV et le reste de la commune font bien la population municipale :"),
    code(
        "one = mdm.table.drop_duplicates('code_qp')\n"
        "total = one['population_qpv'].sum() + one['population_reste'].iloc[0]\n"
        'print(f"QPV + reste = {total:,.0f} habitants ; population municipale = "\n'
        "      f\"{one['population_commune'].iloc[0]:,}\".replace(',', ' '))"
    ),
    code(
        "fig = plot_qpv_map(mdm, 'QN04001M', services, communes,\n"
        "                   isochrones=modes['marche'].isochrones(caf, bands_min=(10, 20, 30)),\n"
        "                   categorie='caf')"
    ),
    md(
        "## 3. Sur un vrai réseau : contour de test à Digne-les-Bains (réseau piéton embarqué)\n\n"
        "Le réseau piéton OpenStreetMap des Alpes-de-Haute-Provence (juillet 2021, ODbL) est "
        "embarqué dans le paquet : temps à pied sur les rues et chemins réels. Le contour "
        "`QN00499T` est un **contour de test**, pas un QPV."
    ),
    code(
        "test = acc.load_qpv(DATA / 'qpv_test_04_78.geojson', departement='04')\n"
        "walk = acc.RoadNetwork.sample('04', 'marche')\n"
        "communes04 = acc.communes('04')\n"
        "fs04 = acc.load_france_services(acc.datasets.france_services_file(), departement='04')\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')  # sites off the embedded network are named\n"
        "    digne = acc.qpv_access(test, communes04, fs04, {'marche': walk})\n"
        "    iso = walk.isochrones(fs04, bands_min=(10, 20, 30))\n"
        "print(walk.description)\n"
        "digne.table[['nom_qp', 'temps_moyen_qpv_min', 'part_qpv_au_dela_10_min',\n"
        "             'part_reste_au_dela_10_min', 'points_hors_reseau']].round(3)"
    ),
    code("fig = plot_qpv_map(digne, 'QN00499T', fs04, communes04, network=walk, isochrones=iso)"),
]
nb = nbformat.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
nbformat.write(nb, HERE / "notebooks" / "qpv.ipynb")
