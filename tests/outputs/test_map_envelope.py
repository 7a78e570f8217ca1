"""Static map: threshold band as one smooth filled area, markers inside the frame."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import shapely
from shapely.geometry import LineString, Point
from test_maps import by_gid, hand_case

from accessibilite.outputs.draw import distinct_bands, smooth_envelope
from accessibilite.outputs.maps import plot_access_map


def test_envelope_fills_between_corridors_and_stays_near_roads():
    # a ladder of 200 m wide road corridors 800 m apart: the envelope fills the gaps
    roads = shapely.union_all([LineString([(0, y), (5000, y)]).buffer(100) for y in
                               range(0, 4001, 800)] + [LineString([(0, 0), (0, 4000)]).buffer(100)])  # fmt: skip
    (env,) = smooth_envelope([roads], radius_m=1000)
    assert env.contains(Point(2500, 400)) and not roads.contains(Point(2500, 400))
    assert env.covers(roads.buffer(-1))
    # the edge lies at most radius/2 (+ simplification) beyond the corridors
    assert env.difference(roads.buffer(500 + 1000 / 5 + 1)).area == 0
    assert env.geom_type == "Polygon" and len(env.interiors) == 0


def test_threshold_band_filled_once_and_sites_not_clipped():
    deficits, services = hand_case()
    far = services.iloc[[0]].assign(service_id="FS9", itinerant=False)
    far = far.set_geometry([Point(380_000 - 15_000, 6_280_000 - 9_000)], crs=2154)
    services = gpd.GeoDataFrame(
        [*services.to_dict("records"), *far.to_dict("records")], crs=2154
    )  # a site 15 km west of the communes, in the margin
    iso = gpd.GeoDataFrame({"bande_min": [10, 30]}, geometry=[
        services.geometry[0].buffer(9e3), services.geometry[0].buffer(25e3)], crs=2154)  # fmt: skip
    fig = plot_access_map(deficits, services, iso)
    (fill,) = by_gid(fig, "isochrone_30")
    assert len(fill.get_paths()) == 1 and 0 < fill.get_alpha() < 0.5
    assert by_gid(fig, "isochrone_10") == []  # the threshold band alone
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Zone à 30 min ou moins d'un site" in labels
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    pts = np.vstack([c.get_offsets() for c in ax.collections if c.get_gid() and
                     c.get_gid().startswith("services")])  # fmt: skip
    assert len(pts) == 4
    assert ((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)).all()
    # commune outlines in mid grey: visible on the palest and the darkest class
    (communes,) = by_gid(fig, "communes")
    assert {tuple(np.round(c, 3)) for c in communes.get_edgecolors()} == {(0.435, 0.435, 0.435, 1.0)}
    plt.close(fig)


def test_bands_sharing_one_outline_are_drawn_once():
    disc, big = Point(0, 0).buffer(1000), Point(0, 0).buffer(3000)
    areas = np.array([disc, big, big, big], dtype=object)  # a network smaller than the bands
    assert distinct_bands([5, 10, 20, 30], areas, seuil=30).tolist() == [True, True, False, True]
    assert distinct_bands([5, 10, 20, 30], areas, seuil=5).tolist() == [True, True, False, False]
