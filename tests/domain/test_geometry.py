"""Site geometry: every common field error is caught and explained."""

import math

from hypothesis import given
from hypothesis import strategies as st

from batea.domain.geometry import check_geometry, repair_geometry, ring_area_m2

SQUARE = [[-76.70, 5.15], [-76.69, 5.15], [-76.69, 5.16], [-76.70, 5.16], [-76.70, 5.15]]


def messages(report) -> str:
    return " | ".join(str(p) for p in report.errors)


def test_a_point_inside_its_country_is_accepted_with_its_centroid():
    report = check_geometry({"type": "Point", "coordinates": [-76.65, 5.17]}, country="CO")
    assert report.ok
    assert report.centroid == (-76.65, 5.17)
    assert report.geometry == {"type": "Point", "coordinates": [-76.65, 5.17]}


def test_swapped_longitude_and_latitude_are_detected_against_the_country():
    report = check_geometry({"type": "Point", "coordinates": [5.17, -76.65]}, country="CO")
    assert not report.ok
    assert "swapped" in messages(report)
    assert report.geometry is None


def test_a_latitude_beyond_90_is_explained_as_a_probable_swap():
    report = check_geometry({"type": "Point", "coordinates": [45.0, -120.0]})
    assert "look swapped" in messages(report)
    assert report.errors[0].path == "geometry.coordinates"


def test_a_location_outside_the_declared_country_is_refused():
    report = check_geometry({"type": "Point", "coordinates": [32.5, 0.3]}, country="CO")
    assert "outside Colombia" in messages(report)


def test_countries_without_a_known_box_are_not_checked_for_location():
    assert check_geometry({"type": "Point", "coordinates": [8.5, 47.4]}, country="CH").ok


def test_an_unclosed_ring_names_the_ring_and_the_first_position():
    report = check_geometry({"type": "Polygon", "coordinates": [SQUARE[:-1]]})
    assert "not closed" in messages(report)
    assert report.errors[0].path == "geometry.coordinates[0]"


def test_a_ring_with_too_few_positions_is_refused():
    ring = [[-76.7, 5.15], [-76.69, 5.15], [-76.7, 5.15]]
    assert "at least 4 positions" in messages(
        check_geometry({"type": "Polygon", "coordinates": [ring]})
    )


def test_a_self_intersecting_bow_tie_is_refused():
    bow_tie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    assert "crosses itself" in messages(
        check_geometry({"type": "Polygon", "coordinates": [bow_tie]})
    )


def test_a_polygon_gets_its_area_in_hectares():
    report = check_geometry({"type": "Polygon", "coordinates": [SQUARE]}, country="CO")
    assert report.ok
    # 0.01° × 0.01° near 5°N is about 1.1 km × 1.1 km, i.e. about 122 ha.
    assert 115 < report.area_ha < 130


def test_a_point_for_a_large_area_gets_a_warning_not_an_error():
    report = check_geometry(
        {"type": "Point", "coordinates": [-76.65, 5.17]}, country="CO", declared_area_ha=12
    )
    assert report.ok
    assert "polygon" in report.warnings[0].message


def test_unsupported_types_and_bad_json_are_explained():
    assert "not supported" in messages(
        check_geometry({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
    )
    assert "Not valid JSON" in messages(check_geometry("{not json"))
    assert "finite numbers" in messages(check_geometry({"type": "Point", "coordinates": ["a", 1]}))


def test_a_feature_is_unwrapped_and_json_text_is_accepted():
    text = '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-76.6, 5.1]}}'
    assert check_geometry(text, country="CO").ok


def test_repair_closes_rings_and_swaps_coordinates_with_a_note_for_each():
    swapped_open = [[y, x] for x, y in SQUARE[:-1]]
    repaired, notes = repair_geometry(
        {"type": "Polygon", "coordinates": [swapped_open]}, country="CO"
    )
    assert check_geometry(repaired, country="CO").ok
    assert len(notes) == 2


@given(
    lon=st.floats(min_value=-179, max_value=179),
    lat=st.floats(min_value=-85, max_value=85),
    size=st.floats(min_value=0.0001, max_value=0.5),
)
def test_any_axis_aligned_square_is_valid_with_positive_area_and_centroid_inside(lon, lat, size):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    report = check_geometry({"type": "Polygon", "coordinates": [ring]})
    assert report.ok
    assert report.area_ha > 0
    cx, cy = report.centroid
    assert lon <= cx <= lon + size and lat <= cy <= lat + size


@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=3, max_size=12))
def test_ring_area_does_not_depend_on_orientation(points):
    ring = [*points, points[0]]
    assert math.isclose(
        ring_area_m2(ring), ring_area_m2(ring[::-1]), rel_tol=1e-9, abs_tol=1.0
    )  # 1 m²: float cancellation at Earth scale


@given(st.floats(-90, 90), st.floats(-90, 90))
def test_valid_points_never_raise_and_are_always_accepted_without_a_country(lon, lat):
    assert check_geometry({"type": "Point", "coordinates": [lon, lat]}).ok


def test_a_multipolygon_with_a_part_in_another_country_is_refused():
    colombia = [[-76.70, 5.15], [-76.69, 5.15], [-76.69, 5.16], [-76.70, 5.16], [-76.70, 5.15]]
    peru = [[-69.53, -14.68], [-69.52, -14.68], [-69.52, -14.67], [-69.53, -14.68]]
    report = check_geometry(
        {"type": "MultiPolygon", "coordinates": [[colombia], [peru]]}, country="CO"
    )
    assert "outside Colombia" in messages(report)


def test_absurd_sizes_and_numbers_are_refused_not_crashed_on():
    huge = [[-170, -80], [170, -80], [170, 80], [-170, 80], [-170, -80]]
    assert "more than any site can" in messages(
        check_geometry({"type": "Polygon", "coordinates": [huge]})
    )
    assert "finite numbers" in messages(
        check_geometry({"type": "Point", "coordinates": [10**400, 5]})
    )


def test_a_polygon_without_area_is_refused():
    line = [[0, 0], [1, 1], [2, 2], [0, 0]]
    assert "no area" in messages(check_geometry({"type": "Polygon", "coordinates": [line]}))
