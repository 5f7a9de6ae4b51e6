"""Site geometry: GeoJSON (RFC 7946, WGS84, [longitude, latitude]) checked and explained.

Catches the mistakes field data really has — swapped longitude/latitude, unclosed or too
short polygon rings, self-intersecting boundaries, locations outside the declared country,
a point standing in for a large area — and reports each with the path of the offending
coordinate.
"""

import json
import math
from dataclasses import dataclass, field
from typing import Any

from batea.domain.countries import country_name, point_in_country_box
from batea.domain.messages import Problem, gettext_noop

EARTH_RADIUS_M = 6_378_137.0
SQUARE_METRES_PER_HECTARE = 10_000.0
# EUDR practice: a point is acceptable for areas up to 4 ha; larger ones need a polygon.
POINT_MAX_AREA_HA = 4.0
MAX_VERTICES_FOR_INTERSECTION_CHECK = 2_000
# Larger than any mine or processing site; beyond it the geometry is certainly wrong.
MAX_SITE_AREA_HA = 1_000_000.0
MIN_POLYGON_AREA_DEG2 = 1e-12  # below about 0.01 m²: corners on a line
SUPPORTED_TYPES = ("Point", "Polygon", "MultiPolygon")

Position = tuple[float, float]


@dataclass
class GeometryReport:
    """Outcome of checking a geometry: errors block saving, warnings are advice."""

    geometry: dict[str, Any] | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    centroid: Position | None = None
    area_ha: float | None = None
    positions: list[Position] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _check_position(value: Any, path: str, errors: list[Problem]) -> Position | None:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        errors.append(Problem(path, gettext_noop("A position must be [longitude, latitude].")))
        return None
    if not all(_is_number(v) for v in value):
        errors.append(Problem(path, gettext_noop("Coordinates must be finite numbers.")))
        return None
    lon, lat = float(value[0]), float(value[1])
    if -180 <= lon <= 180 and -90 <= lat <= 90:
        return lon, lat
    if -180 <= lat <= 180 and -90 <= lon <= 90:
        errors.append(
            Problem(
                path,
                gettext_noop(
                    "Latitude %(lat)s is out of range (−90 to 90); longitude and latitude "
                    "look swapped. GeoJSON order is [longitude, latitude]."
                ),
                {"lat": lat},
            )
        )
    else:
        errors.append(
            Problem(
                path,
                gettext_noop(
                    "Position (%(lon)s, %(lat)s) is outside the valid range: longitude −180 "
                    "to 180, latitude −90 to 90."
                ),
                {"lon": lon, "lat": lat},
            )
        )
    return None


def _segments_intersect(a: Position, b: Position, c: Position, d: Position) -> bool:
    def orient(p: Position, q: Position, r: Position) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2 = orient(c, d, a), orient(c, d, b)
    d3, d4 = orient(a, b, c), orient(a, b, d)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4)


def ring_self_intersects(ring: list[Position]) -> bool:
    """True when two non-adjacent edges of a closed ring cross."""
    edges = list(zip(ring, ring[1:], strict=False))
    n = len(edges)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # first and last edges share the closing vertex
            if _segments_intersect(*edges[i], *edges[j]):
                return True
    return False


def _planar_area_deg2(ring: list[Position]) -> float:
    """Shoelace area in square degrees: zero exactly when the corners are collinear."""
    pairs = zip(ring, ring[1:], strict=False)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2


def ring_area_m2(ring: list[Position]) -> float:
    """Area of a closed lon/lat ring on a sphere (Chamberlain & Duquette, 2007)."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:], strict=False):
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return abs(total) * EARTH_RADIUS_M**2 / 2


def _check_ring(value: Any, path: str, errors: list[Problem]) -> list[Position] | None:
    if not isinstance(value, list):
        errors.append(Problem(path, gettext_noop("A ring must be a list of positions.")))
        return None
    positions = [_check_position(p, f"{path}[{i}]", errors) for i, p in enumerate(value)]
    if any(p is None for p in positions):
        return None
    ring: list[Position] = positions  # type: ignore[assignment]
    if len(ring) >= 2 and ring[0] != ring[-1]:
        errors.append(
            Problem(
                path,
                gettext_noop(
                    "The ring is not closed: its last position must repeat the first %(first)s."
                ),
                {"first": list(ring[0])},
            )
        )
        return None
    if len(ring) < 4:
        errors.append(
            Problem(
                path,
                gettext_noop(
                    "A ring needs at least 4 positions (3 corners and the first one "
                    "repeated); it has %(count)s."
                ),
                {"count": len(ring)},
            )
        )
        return None
    if len(ring) <= MAX_VERTICES_FOR_INTERSECTION_CHECK and ring_self_intersects(ring):
        errors.append(
            Problem(path, gettext_noop("The boundary crosses itself; redraw the polygon."))
        )
        return None
    if _planar_area_deg2(ring) < MIN_POLYGON_AREA_DEG2:
        errors.append(
            Problem(path, gettext_noop("The ring encloses no area: its corners lie on a line."))
        )
        return None
    return ring


def _check_polygon(value: Any, path: str, errors: list[Problem]) -> list[list[Position]] | None:
    if not isinstance(value, list) or not value:
        errors.append(Problem(path, gettext_noop("A polygon must be a non-empty list of rings.")))
        return None
    rings = [_check_ring(r, f"{path}[{i}]", errors) for i, r in enumerate(value)]
    return None if any(r is None for r in rings) else rings  # type: ignore[return-value]


def _polygon_area_m2(rings: list[list[Position]]) -> float:
    return max(ring_area_m2(rings[0]) - sum(ring_area_m2(hole) for hole in rings[1:]), 0.0)


def _centroid(rings_list: list[list[list[Position]]]) -> Position:
    """Vertex mean of the exterior rings: good enough for maps and plausibility checks."""
    points = [p for rings in rings_list for p in rings[0][:-1]]
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def parse_geometry(value: Any, path: str = "geometry") -> tuple[dict | None, list[Problem]]:
    """Decode JSON text or a Feature into a geometry object, or explain why it is not one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            return None, [
                Problem(path, gettext_noop("Not valid JSON: %(error)s"), {"error": str(exc)})
            ]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        return None, [Problem(path, gettext_noop("A GeoJSON geometry object is required."))]
    if value.get("type") not in SUPPORTED_TYPES:
        return None, [
            Problem(
                f"{path}.type",
                gettext_noop("Geometry type %(type)s is not supported; use %(supported)s."),
                {"type": value.get("type"), "supported": ", ".join(SUPPORTED_TYPES)},
            )
        ]
    if "coordinates" not in value:
        return None, [Problem(f"{path}.coordinates", gettext_noop("Coordinates are missing."))]
    return value, []


def check_geometry(
    value: Any,
    country: str | None = None,
    declared_area_ha: float | None = None,
    path: str = "geometry",
) -> GeometryReport:
    """Validate a site geometry and compute its centroid and (for polygons) area in hectares.

    `country` (ISO alpha-2) enables the "outside the country / swapped coordinates" check.
    """
    geometry, errors = parse_geometry(value, path)
    report = GeometryReport(errors=errors)
    if geometry is None:
        return report
    coords_path = f"{path}.coordinates"
    kind = geometry["type"]
    if kind == "Point":
        position = _check_position(geometry["coordinates"], coords_path, report.errors)
        if position is None:
            return report
        report.centroid = position
        report.positions = [position]
        normalised = {"type": "Point", "coordinates": list(position)}
    else:
        polygons_raw = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
        if not isinstance(polygons_raw, list) or not polygons_raw:
            report.errors.append(
                Problem(coords_path, gettext_noop("A multipolygon needs at least one polygon."))
            )
            return report
        polygons = []
        for i, raw in enumerate(polygons_raw):
            sub_path = coords_path if kind == "Polygon" else f"{coords_path}[{i}]"
            polygons.append(_check_polygon(raw, sub_path, report.errors))
        if report.errors:
            return report
        report.area_ha = round(
            sum(_polygon_area_m2(rings) for rings in polygons) / SQUARE_METRES_PER_HECTARE, 4
        )
        if report.area_ha > MAX_SITE_AREA_HA:
            report.errors.append(
                Problem(
                    coords_path,
                    gettext_noop(
                        "The polygon covers %(area)s ha, more than any site can (at most "
                        "%(limit)s ha); check the coordinates."
                    ),
                    {"area": round(report.area_ha), "limit": int(MAX_SITE_AREA_HA)},
                )
            )
            return report
        report.centroid = _centroid(polygons)
        report.positions = [p for rings in polygons for ring in rings for p in ring]
        as_lists = [[[list(p) for p in ring] for ring in rings] for rings in polygons]
        normalised = {
            "type": kind,
            "coordinates": as_lists[0] if kind == "Polygon" else as_lists,
        }
    _check_country(report, country, path)
    if kind == "Point" and declared_area_ha is not None and declared_area_ha > POINT_MAX_AREA_HA:
        report.warnings.append(
            Problem(
                path,
                gettext_noop(
                    "A site of %(area)s ha is larger than %(limit)s ha: map its boundary as a "
                    "polygon rather than a point."
                ),
                {"area": declared_area_ha, "limit": POINT_MAX_AREA_HA},
            )
        )
    if not report.errors:
        report.geometry = normalised
    return report


def _check_country(report: GeometryReport, country: str | None, path: str) -> None:
    """Every position must lie in the country; a swap is diagnosed from the centroid."""
    if not country or report.centroid is None:
        return
    outside = [p for p in report.positions if point_in_country_box(p[0], p[1], country) is False]
    if not outside:
        return
    lon, lat = report.centroid
    name = country_name(country)
    if point_in_country_box(lat, lon, country):
        report.errors.append(
            Problem(
                path,
                gettext_noop(
                    "The location is outside %(country)s, but would be inside it with "
                    "longitude and latitude swapped. GeoJSON order is [longitude, latitude]."
                ),
                {"country": name, "country_code": country},
            )
        )
    else:
        lon, lat = outside[0]
        report.errors.append(
            Problem(
                path,
                gettext_noop("The location (%(lon)s, %(lat)s) is outside %(country)s."),
                {
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "country": name,
                    "country_code": country,
                },
            )
        )


def repair_geometry(value: Any, country: str | None = None) -> tuple[Any, list[Problem]]:
    """Apply the safe repairs — close open rings, swap lon/lat where that is unambiguous.

    Returns the repaired geometry and a note per repair, for imports that explain what they
    changed. Anything else is left for `check_geometry` to report.
    """
    geometry, problems = parse_geometry(value)
    if geometry is None:
        return value, problems
    geometry = json.loads(json.dumps(geometry))
    notes: list[Problem] = []

    def positions(geom: dict) -> list[list]:
        if geom["type"] == "Point":
            return [geom["coordinates"]]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        return [p for rings in polygons for ring in rings for p in ring]

    def rings(geom: dict) -> list[list]:
        if geom["type"] == "Point":
            return []
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        return [ring for rings_ in polygons for ring in rings_]

    try:
        for ring in rings(geometry):
            if len(ring) >= 3 and ring[0] != ring[-1]:
                ring.append(list(ring[0]))
                notes.append(Problem("geometry", gettext_noop("Closed an unclosed ring.")))
        points = positions(geometry)
        if _should_swap(points, country):
            for p in points:
                p[0], p[1] = p[1], p[0]
            notes.append(
                Problem(
                    "geometry",
                    gettext_noop(
                        "Swapped latitude and longitude into GeoJSON order [longitude, latitude]."
                    ),
                )
            )
    except (TypeError, IndexError, KeyError):
        return value, []  # malformed beyond repair: check_geometry explains
    return geometry, notes


def _should_swap(points: list[list], country: str | None) -> bool:
    numeric = [p for p in points if len(p) >= 2 and _is_number(p[0]) and _is_number(p[1])]
    if not numeric or len(numeric) != len(points):
        return False
    if all(abs(p[1]) > 90 and abs(p[0]) <= 90 for p in numeric):
        return True
    if country:
        lon = sum(p[0] for p in numeric) / len(numeric)
        lat = sum(p[1] for p in numeric) / len(numeric)
        if point_in_country_box(lon, lat, country) is False and point_in_country_box(
            lat, lon, country
        ):
            return True
    return False
