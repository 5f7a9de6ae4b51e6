"""Plausibility checks and red flags on production and purchases.

Each check returns a list of `Flag` (empty when nothing is suspicious); the app turns each
flag into an incident with a status and an owner. A flag is a reason to look, not a verdict.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from batea.domain.custody import CustodyError
from batea.domain.geometry import parse_geometry
from batea.domain.messages import Problem, gettext_noop

SEVERITIES = ("low", "medium", "high")
# Fairmined's eligibility rule: at most 4 g of gold per miner per day.
DEFAULT_MAX_G_PER_MINER_DAY = Decimal(4)
DEFAULT_SPIKE_FACTOR = Decimal(3)
DEFAULT_SPIKE_WINDOW = 6  # compare with the median of the last six productions
DEFAULT_MIN_HISTORY = 3  # fewer productions than this say nothing about the site

Point = tuple[float, float]  # (longitude, latitude), as in GeoJSON
Ring = list[Point]
Polygon = list[Ring]  # exterior ring, then holes


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str  # one of SEVERITIES
    problem: Problem


@dataclass(frozen=True)
class Licence:
    """A seller's licence as the check needs it; no minerals listed means any mineral."""

    valid_from: date | None
    valid_to: date | None
    minerals: frozenset[str] = frozenset()

    def covers(self, mineral: str, on: date) -> bool:
        """Valid on `on` for `mineral`."""
        return self.valid_on(on) and (not self.minerals or mineral in self.minerals)

    def valid_on(self, on: date) -> bool:
        """Valid on `on`, whatever the mineral."""
        started = self.valid_from is None or self.valid_from <= on
        return started and (self.valid_to is None or on <= self.valid_to)


def grams_per_miner_day(fine_g: Decimal, miner_days: Decimal) -> Decimal | None:
    """Fine grams per miner-day, or None when no miner-days were recorded."""
    return Decimal(fine_g) / Decimal(miner_days) if miner_days > 0 else None


def check_productivity(
    fine_g: Decimal,
    miner_days: Decimal,
    max_g_per_miner_day: Decimal = DEFAULT_MAX_G_PER_MINER_DAY,
) -> list[Flag]:
    """A production above the standard's eligibility threshold (fine grams per miner-day),
    or with no miner-days recorded at all."""
    rate = grams_per_miner_day(fine_g, miner_days)
    if rate is None:
        template = gettext_noop(
            "%(fine_g)s g were produced with no miner-days recorded: who produced them?"
        )
        return [Flag("no_miner_days", "high", Problem("members", template, {"fine_g": fine_g}))]
    if rate <= max_g_per_miner_day:
        return []
    template = gettext_noop(
        "%(rate)s g per miner-day is above the %(max)s g per miner-day a small-scale "
        "operation can plausibly produce under the standard."
    )
    params = {"rate": round(rate, 2), "max": max_g_per_miner_day}
    return [Flag("productivity_above_threshold", "high", Problem("fine_g", template, params))]


def check_spike(
    rate: Decimal,
    history: Sequence[Decimal],
    factor: Decimal = DEFAULT_SPIKE_FACTOR,
    window: int = DEFAULT_SPIKE_WINDOW,
    min_history: int = DEFAULT_MIN_HISTORY,
) -> list[Flag]:
    """A production rate (grams per miner-day) more than `factor` times the median of the
    site's last `window` rates (`history`, oldest first). No flag on too short a history:
    a new site has no baseline to spike against."""
    recent = list(history)[-window:]
    if len(recent) < max(min_history, 1):
        return []
    typical = _median(recent)
    if rate <= factor * typical:
        return []
    template = gettext_noop(
        "%(rate)s g per miner-day is more than %(factor)s times the site's median of "
        "%(median)s g over its last %(count)s productions."
    )
    params = {
        "rate": round(rate, 2),
        "factor": factor,
        "median": round(typical, 2),
        "count": len(recent),
    }
    return [Flag("production_spike", "medium", Problem("fine_g", template, params))]


def check_red_flag_areas(location: Any, areas: Mapping[str, Any]) -> list[Flag]:
    """A flag for each red-flag area (name → GeoJSON Polygon, MultiPolygon or Feature) that
    the origin lies in.

    `location` is a (longitude, latitude) pair or a GeoJSON geometry; a site drawn as a
    polygon is flagged when any of its corners lies in the area. Points on an area's
    boundary count as inside. Areas crossing the antimeridian are not supported.
    """
    points = _points_of(location)
    flags = []
    for name, area in areas.items():
        polygons = _area_polygons(name, area)
        if any(point_in_polygon(p, polygon) for p in points for polygon in polygons):
            template = gettext_noop("The origin lies in the red-flag area %(area)s.")
            flags.append(Flag("red_flag_area", "high", Problem("site", template, {"area": name})))
    return flags


def check_licence(seller: str, mineral: str, on: date, licences: Iterable[Licence]) -> list[Flag]:
    """A seller with no licence valid on the day of the sale for the mineral sold."""
    licences = list(licences)
    if any(lic.covers(mineral, on) for lic in licences):
        return []
    params = {"seller": seller, "date": on.isoformat(), "mineral": mineral}
    if any(lic.valid_on(on) for lic in licences):
        template = gettext_noop(
            "%(seller)s holds a licence valid on %(date)s, but not for %(mineral)s."
        )
    else:
        template = gettext_noop("%(seller)s holds no licence valid on %(date)s.")
    return [Flag("no_valid_licence", "high", Problem("seller", template, params))]


def check_site_minerals(mineral: str, site: str, site_minerals: Iterable[str]) -> list[Flag]:
    """A claimed mineral the site of origin is not recorded as producing."""
    known = sorted(set(site_minerals))
    if mineral in known:
        return []
    template = gettext_noop(
        "The lot is declared as %(mineral)s, which site %(site)s does not produce "
        "(its minerals: %(minerals)s)."
    )
    params = {"mineral": mineral, "site": site, "minerals": ", ".join(known) or "—"}
    return [Flag("mineral_not_at_site", "high", Problem("mineral", template, params))]


def point_in_polygon(point: Point, polygon: Polygon) -> bool:
    """Inside (or on the boundary of) the exterior ring and not strictly inside a hole."""
    exterior, *holes = polygon
    if _locate(point, exterior) == "outside":
        return False
    return all(_locate(point, hole) != "inside" for hole in holes)


def point_in_geometry(point: Point, geometry: Any) -> bool:
    """`point_in_polygon` for a GeoJSON Polygon, MultiPolygon or Feature."""
    return any(point_in_polygon(point, p) for p in _area_polygons("geometry", geometry))


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(Decimal(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _locate(point: Point, ring: Ring) -> str:
    """ "inside", "boundary" or "outside" of a closed ring, by ray casting (even–odd)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if _on_segment(x, y, x1, y1, x2, y2):
            return "boundary"
        if (y1 > y) != (y2 > y):  # the edge straddles the horizontal line through the point
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing:
                inside = not inside
    return "inside" if inside else "outside"


def _on_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    within = min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2)
    return within and abs(cross) <= 1e-12


def _points_of(location: Any) -> list[Point]:
    """The points to test: the location itself, or every position of a geometry."""
    if isinstance(location, tuple | list) and len(location) == 2:
        return [(float(location[0]), float(location[1]))]
    geometry, problems = parse_geometry(location, "location")
    if geometry is None:
        raise CustodyError(problems)
    if geometry["type"] == "Point":
        return [_position(geometry["coordinates"], "location")]
    return [p for polygon in _polygons(geometry, "location") for ring in polygon for p in ring]


def _area_polygons(name: str, area: Any) -> list[Polygon]:
    geometry, problems = parse_geometry(area, f"areas.{name}")
    if geometry is None:
        raise CustodyError(problems)
    if geometry["type"] == "Point":
        template = gettext_noop("A red-flag area must be a polygon or multipolygon.")
        raise CustodyError([Problem(f"areas.{name}", template)])
    return _polygons(geometry, f"areas.{name}")


def _polygons(geometry: dict, path: str) -> list[Polygon]:
    """The polygons of a Polygon or MultiPolygon, each ring at least a closed triangle."""
    raw = geometry["coordinates"]
    raw = [raw] if geometry["type"] == "Polygon" else raw
    try:
        polygons = [[[_position(p, path) for p in ring] for ring in polygon] for polygon in raw]
    except TypeError:
        polygons = []
    if not polygons or any(not polygon for polygon in polygons):
        raise CustodyError([Problem(path, gettext_noop("The polygon has no rings."))])
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                template = gettext_noop("Each ring must be closed and have at least 4 positions.")
                raise CustodyError([Problem(path, template)])
    return polygons


def _position(value: Any, path: str) -> Point:
    try:
        lon, lat = float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError):
        template = gettext_noop("A position must be [longitude, latitude].")
        raise CustodyError([Problem(path, template)]) from None
    return lon, lat
