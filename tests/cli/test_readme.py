"""README command 1, copied literally from README.md, runs offline on the embedded real data."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import socket
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from accessibilite import settings
from accessibilite.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _command_1() -> list[str]:
    """``accessibilite ...`` arguments of the first command of the first bash block."""
    line = next(
        ln for ln in _blocks("bash")[0].splitlines() if ln.strip() and not ln.startswith("#")
    )
    install, command = (part.strip() for part in line.split("&&"))
    assert install == "pip install -e ."  # done by the test environment
    argv = shlex.split(command)
    assert argv[0] == "accessibilite"
    return argv[1:]


def _no_network(*args, **kwargs):
    raise RuntimeError("network access attempted during tests")


@pytest.fixture(scope="module")
def run_1(tmp_path_factory):
    """Command 1 in a fresh folder, sockets blocked (conftest), nothing in the cache."""
    where = tmp_path_factory.mktemp("readme")
    mp = pytest.MonkeyPatch()
    mp.chdir(where)
    mp.setattr(settings, "cache_folder", where / "cache")
    mp.setattr(settings, "data_folder", None)
    mp.setattr(settings, "progress", False)
    # module-scoped: set up before conftest's per-test guard, so block the sockets here too
    mp.setattr(socket.socket, "connect", _no_network)
    mp.setattr(socket, "create_connection", _no_network)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(_command_1())
    finally:
        mp.undo()
    return code, out.getvalue(), err.getvalue(), where


def test_command_1_is_the_04_analysis():
    argv = _command_1()
    assert argv[:2] == ["analyse", "--departement"] and argv[2] == "04"
    assert "--reseau" not in argv and "--mode" not in argv  # real roads, embedded network


def test_command_1_writes_every_output(run_1):
    code, _, err, where = run_1
    assert code == 0, err
    out = where / _command_1()[_command_1().index("--sortie") + 1]
    for name in (
        "communes.csv", "cantons.csv", "epci.csv", "resultats.gpkg",
        "carte.png", "carte.html", "rapport.html",
    ):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    communes = pd.read_csv(out / "communes.csv", dtype={"code_insee": str})
    assert len(communes) == 198 and communes["code_insee"].str.startswith("04").all()
    assert len(pd.read_csv(out / "cantons.csv")) == 15
    with sqlite3.connect(out / "resultats.gpkg") as db:
        layers = {r[0] for r in db.execute("select table_name from gpkg_contents")}
    assert {"communes", "services"} <= layers
    report = (out / "rapport.html").read_text(encoding="utf-8")
    assert "réseau routier OpenStreetMap de juillet 2021" in report  # the method
    assert "OpenStreetMap (Geofabrik), juillet 2021, © contributeurs OpenStreetMap" in report
    assert "liste ANCT du 01/08/2024" in report  # the France Services list date
    assert "vol d" not in report  # not the straight-line estimate
    assert "liste embarquée du 1er août 2024 utilisée" in err  # offline: said in one line


def test_printed_figures_are_the_readme_figures(run_1):
    _, printed, _, where = run_1
    expected = [ln for ln in _blocks("text")[0].splitlines() if ln.strip()]
    lines = printed.splitlines()
    assert all(ln in lines for ln in expected), (expected, lines)
    assert [lines.index(ln) for ln in expected] == sorted(lines.index(ln) for ln in expected)
    # the figures against an independent sum over communes.csv
    out = where / _command_1()[_command_1().index("--sortie") + 1]
    communes = pd.read_csv(out / "communes.csv")
    beyond = communes[communes["temps_min"] > 30]
    text = README.read_text(encoding="utf-8")
    names = re.search(r"The \w+ communes are (.*?)\.\n", text, re.S).group(1)
    names = re.split(r",\s*|\s+and\s+", names.replace("\n", " "))
    assert sorted(names) == sorted(beyond["nom"])
    pop = f"{int(beyond['population'].sum()):,}".replace(",", " ")
    assert f"Communes au-delà de 30 min : {len(beyond)} ({pop} habitants" in printed
    cantons = pd.read_csv(out / "cantons.csv")
    assert f"Cantons sans site : {int(cantons['sans_service'].sum())} sur {len(cantons)}" in printed
