"""The package layout follows the data flow: imports go one way, no cycles, short modules.

Layers, in data-flow order: the foundation modules (settings, errors, sources,
rejects, datasets) may be imported from anywhere; then territories → services → network →
analysis → outputs → cli. A module may import its own layer or an earlier one,
never a later one, and no two modules may import each other, even through a
chain or a function-level (lazy) import.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import accessibilite

PACKAGE = Path(accessibilite.__file__).resolve().parent
FOUNDATION = {"settings", "errors", "sources", "rejects", "datasets", "__init__"}
LAYERS = ["territories", "services", "network", "analysis", "outputs", "cli"]
#: Longest module allowed (lines); the standard is "no module over ~400 lines".
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"] if rel.name == "__init__" else list(rel.parts)
        out[".".join(["accessibilite", *parts])] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every accessibilite module imported by ``name`` (module level and lazy)."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("accessibilite")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("accessibilite"):
                continue
            found.add(mod)
            for alias in node.names:  # "from . import routing" imports a module
                if f"{mod}.{alias.name}" in MODULES:
                    found.add(f"{mod}.{alias.name}")
    found.discard(name)
    return {m for m in found if m in MODULES}


MODULES = _modules()
GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in FOUNDATION:
        return None
    return LAYERS.index(parts[1])


def test_every_module_belongs_to_a_layer():
    for name in MODULES:
        parts = name.split(".")
        assert len(parts) == 1 or parts[1] in FOUNDATION | set(LAYERS), name


def test_imports_flow_one_way():
    against = []
    for name, deps in GRAPH.items():
        here = _layer(name)
        if name == "accessibilite" or (here is None and name != "accessibilite"):
            # the foundation imports nothing of the layers (the package root re-exports lazily)
            if name != "accessibilite":
                against += [(name, d) for d in deps if _layer(d) is not None]
            continue
        against += [(name, d) for d in deps if _layer(d) is not None and _layer(d) > here]
    assert against == []


def test_no_import_cycle():
    # the package root and the subpackage __init__ re-exports are not part of the flow
    inits = {n for n, p in MODULES.items() if p.name == "__init__.py"}
    graph = {n: {d for d in deps if d not in inits} for n, deps in GRAPH.items() if n not in inits}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep] if dep in stack else [node, dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_checker_sees_a_backward_import(tmp_path):
    # the flow test must be able to fail: a made-up network module importing outputs
    bad = tmp_path / "bad.py"
    bad.write_text("from ..outputs import maps\n", encoding="utf-8")
    MODULES["accessibilite.network.bad"] = bad
    try:
        deps = _imports("accessibilite.network.bad", bad)
    finally:
        del MODULES["accessibilite.network.bad"]
    assert deps == {"accessibilite.outputs", "accessibilite.outputs.maps"}
    assert _layer("accessibilite.outputs.maps") > _layer("accessibilite.network.bad")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_short(name):
    path = MODULES[name]
    rel = path.relative_to(PACKAGE).as_posix()
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{rel}: {n} lines"


@pytest.mark.parametrize("old", sorted(accessibilite._LEGACY))
def test_old_module_paths_still_import(old):
    alias = importlib.import_module(f"accessibilite.{old}")
    target = importlib.import_module(f"accessibilite.{accessibilite._LEGACY[old]}")
    assert alias is target
    assert target.__spec__.name == f"accessibilite.{accessibilite._LEGACY[old]}"
    assert getattr(accessibilite, old) is target


def test_documented_paths():
    from accessibilite.maps import plot_access_map
    from accessibilite.report import write_csv, write_report
    from accessibilite.routing import nearest, snap, time_matrix

    from accessibilite.network import RoadNetwork
    from accessibilite.outputs import plot_scenario_map

    assert RoadNetwork is accessibilite.RoadNetwork
    assert plot_access_map is accessibilite.plot_access_map
    assert plot_scenario_map is accessibilite.plot_scenario_map
    assert write_csv is accessibilite.write_csv and write_report is accessibilite.write_report
    assert {nearest.__module__, snap.__module__, time_matrix.__module__} == {
        "accessibilite.network.routing",
        "accessibilite.network.snapping",
    }
