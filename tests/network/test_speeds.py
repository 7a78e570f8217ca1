"""Tests of accessibilite.speeds: the profile, ``maxspeed`` parsing, speed per edge.

The access and contraflow rules are tested on graphs in tests/test_osm.py.
"""

from __future__ import annotations

import pytest

from accessibilite.network.speeds import parse_maxspeed, speed_kmh


# --------------------------------------------------------------------------- speed model
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        (50, 50.0),
        ("50 mph", 50 * 1.609344),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("FR:motorway", 130.0),
        ("FR:zone30", 30.0),
        ("FR:walk", 6.0),
        ("fr:urban", 50.0),  # tag values seen in lower case
        ("FR:Zone30", 30.0),
        ("['50', '30']", 40.0),  # osmnx list string: mean
        (["70", "90"], 80.0),
        ("30;50", 40.0),
        ("['30', 'signals']", 30.0),
        ("none", None),
        ("signals", None),
        ("fast", None),
        ("0", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_parse_maxspeed_min_rule():
    from accessibilite.network.speeds import load_profile

    prof = dict(load_profile())
    prof["maxspeed"] = {**prof["maxspeed"], "list_rule": "min"}
    assert parse_maxspeed("['50', '30']", prof) == 30.0


@pytest.mark.parametrize(
    ("highway", "maxspeed", "mode", "expected"),
    [
        ("motorway", None, "voiture", 130 * 0.90),
        ("trunk", None, "voiture", 110 * 0.85),
        ("primary", "45", "voiture", 45 * 0.80),
        ("primary", None, "voiture", 80 * 0.80),
        ("secondary", "FR:urban", "voiture", 50 * 0.80),
        ("tertiary", None, "voiture", 80 * 0.67),
        ("residential", None, "voiture", 50 * 0.60),
        ("residential", "FR:zone30", "voiture", 30 * 0.60),
        ("living_street", None, "voiture", 20 * 0.75),
        ("unclassified", "50 mph", "voiture", 50 * 1.609344 * 0.45),
        ("['tertiary', 'tertiary_link']", None, "voiture", min(80 * 0.67, 50 * 0.60)),
        (["unclassified", "residential"], "30", "voiture", 30 * 0.45),
        ("track", None, "voiture", None),
        ("footway", None, "voiture", None),
        ("['residential', 'steps']", None, "voiture", None),
        ("footway", None, "marche", 4.5),
        ("motorway", None, "marche", None),
        ("primary", "80", "velo", 15.0),
        ("footway", None, "velo", None),
        ("cycleway", None, "velo", 15.0),
        (None, None, "voiture", None),
    ],
)
def test_speed_kmh(highway, maxspeed, mode, expected):
    got = speed_kmh(highway, maxspeed, mode)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_public_api():
    import accessibilite
    from accessibilite.network import speeds

    for name in ("load_profile", "parse_maxspeed", "speed_kmh"):
        assert getattr(accessibilite, name) is getattr(speeds, name)
    assert accessibilite.parse_maxspeed("FR:rural") == 80.0
