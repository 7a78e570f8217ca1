"""The public API: every re-exported name resolves, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import accessibilite


@pytest.mark.parametrize("name", sorted(accessibilite._API))
def test_every_public_name_resolves_to_its_module(name):
    obj = getattr(accessibilite, name)
    module = accessibilite._API[name]
    if name == module:
        assert obj.__name__ == f"accessibilite.{module}"
    else:
        assert obj is getattr(sys.modules[f"accessibilite.{module}"], name)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        accessibilite.no_such_thing  # noqa: B018


def test_dir_lists_the_public_api():
    assert set(accessibilite._API) <= set(dir(accessibilite))


def test_import_and_cli_help_do_not_load_the_heavy_stack():
    code = (
        "import sys, contextlib, io\n"
        "import accessibilite\n"
        "from accessibilite import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        cli.main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('geopandas', 'osmnx', 'matplotlib', 'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
