"""Progress bars of the long steps: tqdm.auto, widgets in Jupyter."""

from __future__ import annotations

import warnings


def test_progress_bars_in_a_jupyter_kernel_are_widgets(monkeypatch):
    """In a Jupyter kernel tqdm.auto (used by every long step) finds ipywidgets:
    widget bars, and no "IProgress not found" warning."""
    import importlib
    import sys
    import types

    import tqdm.autonotebook
    import tqdm.notebook  # noqa: F401 - imports IPython.display before IPython is faked
    from tqdm.std import TqdmExperimentalWarning, TqdmWarning

    class ZMQInteractiveShell:  # what get_ipython() returns in a Jupyter kernel
        config = {"IPKernelApp": {}}

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    monkeypatch.delenv("QT_API", raising=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", TqdmWarning)  # "IProgress not found" would raise
            warnings.simplefilter("ignore", TqdmExperimentalWarning)  # tqdm.auto silences it
            module = importlib.reload(tqdm.autonotebook)
        assert module.tqdm.__module__ == "tqdm.notebook"
    finally:
        monkeypatch.undo()
        importlib.reload(tqdm.autonotebook)


def test_network_construction_shows_its_steps(monkeypatch, capsys):
    """from_osm and from_lines name their steps on a bar (stderr) when progress is on."""
    from pathlib import Path

    from accessibilite import RoadNetwork, settings

    mini = Path(__file__).parent / "data" / "network" / "mini.osm"
    monkeypatch.setattr(settings, "progress", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        RoadNetwork.from_osm(mini)
    err = capsys.readouterr().err
    for step in ("Lecture des voies de mini.osm", "Vitesses et sens", "Construction du réseau"):
        assert step in err
    monkeypatch.setattr(settings, "progress", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        RoadNetwork.from_osm(mini)
    assert capsys.readouterr().err == ""
