"""Member risk classes from configurable, explainable factors.

A rule set is data (a standard or support organisation can change it): each factor adds
points when it applies; thresholds turn the total into a class. Every class comes with the
reasons that produced it.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from batea.domain.messages import Problem, gettext_noop

CLASSES = ("low", "medium", "high")

DEFAULT_RULES: dict[str, Any] = {
    "thresholds": {"medium": 2, "high": 4},
    "factors": {
        "new_member": {"points": 1, "months": 12},
        "open_nonconformities": {"points": 2},
        "past_nonconformities": {"points": 1},
        "mercury_use": {"points": 2},
        "cyanide_use": {"points": 2},
        "red_flag_area": {"points": 4},
        "production_anomaly": {"points": 3},
        "not_inspected": {"points": 2, "months": 12},
        "large_holding": {"points": 1, "hectares": 10},
    },
    # Rules over sites' extra attributes, e.g. a survey reporting armed groups at the site.
    "attribute_rules": [
        {"attribute": "armed_group_presence", "equals": True, "points": 4},
        {"attribute": "child_labour_reported", "equals": True, "points": 4},
    ],
}


@dataclass(frozen=True)
class MemberFacts:
    """What is known about a member and the sites they work at, as plain data."""

    member: str
    joined_on: date
    open_nonconformities: int = 0
    past_nonconformities: int = 0
    last_inspected_on: date | None = None
    uses_mercury: bool = False
    uses_cyanide: bool = False
    in_red_flag_area: bool = False
    production_anomaly: bool = False
    holding_hectares: float | None = None
    site_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskResult:
    member: str
    risk: str
    points: int
    reasons: tuple[Problem, ...]


def _months_between(earlier: date, later: date) -> int:
    return (
        (later.year - earlier.year) * 12
        + later.month
        - earlier.month
        - (1 if later.day < earlier.day else 0)
    )


def classify(facts: MemberFacts, today: date, rules: dict | None = None) -> RiskResult:
    """The member's risk class with its points and the reasons behind them."""
    rules = rules or DEFAULT_RULES
    factors = rules.get("factors", {})
    reasons: list[Problem] = []
    points = 0

    def add(name: str, template: str, params: dict | None = None) -> None:
        nonlocal points
        factor = factors.get(name)
        if factor:
            points += factor["points"]
            reasons.append(Problem(name, template, {**(params or {}), "points": factor["points"]}))

    new = factors.get("new_member", {})
    if new and _months_between(facts.joined_on, today) < new.get("months", 12):
        add(
            "new_member",
            gettext_noop("New member (joined %(date)s): +%(points)s"),
            {"date": facts.joined_on.isoformat()},
        )
    if facts.open_nonconformities:
        add(
            "open_nonconformities",
            gettext_noop("%(count)s open non-conformities: +%(points)s"),
            {"count": facts.open_nonconformities},
        )
    elif facts.past_nonconformities:
        add(
            "past_nonconformities",
            gettext_noop("%(count)s past non-conformities: +%(points)s"),
            {"count": facts.past_nonconformities},
        )
    if facts.uses_mercury:
        add("mercury_use", gettext_noop("Mercury is used at the site: +%(points)s"))
    if facts.uses_cyanide:
        add("cyanide_use", gettext_noop("Cyanide is used at the site: +%(points)s"))
    if facts.in_red_flag_area:
        add(
            "red_flag_area",
            gettext_noop("The site is in or near a red-flag or protected area: +%(points)s"),
        )
    if facts.production_anomaly:
        add("production_anomaly", gettext_noop("Production anomaly: +%(points)s"))
    inspection = factors.get("not_inspected", {})
    if inspection and (
        facts.last_inspected_on is None
        or _months_between(facts.last_inspected_on, today) >= inspection.get("months", 12)
    ):
        add(
            "not_inspected",
            gettext_noop("Not inspected in the last %(months)s months: +%(points)s"),
            {"months": inspection.get("months", 12)},
        )
    holding = factors.get("large_holding", {})
    if holding and (facts.holding_hectares or 0) > holding.get("hectares", 10):
        add(
            "large_holding",
            gettext_noop("Holding of %(ha)s ha: +%(points)s"),
            {"ha": facts.holding_hectares},
        )
    for rule in rules.get("attribute_rules", []):
        if facts.site_attributes.get(rule["attribute"]) == rule["equals"]:
            points += rule["points"]
            reasons.append(
                Problem(
                    rule["attribute"],
                    gettext_noop("Site survey: %(attribute)s: +%(points)s"),
                    {"attribute": rule["attribute"], "points": rule["points"]},
                )
            )
    thresholds = rules.get("thresholds", {"medium": 2, "high": 4})
    risk = (
        "high"
        if points >= thresholds["high"]
        else "medium"
        if points >= thresholds["medium"]
        else "low"
    )
    return RiskResult(facts.member, risk, points, tuple(reasons))


# --- Rule sets as data: their shape, their checks and a readable description -------------

FACTORS: dict[str, str] = {  # every factor a rule set may weigh, as it is described
    "new_member": gettext_noop("New member (joined less than %(months)s months ago): +%(points)s"),
    "open_nonconformities": gettext_noop("Open non-conformities: +%(points)s"),
    "past_nonconformities": gettext_noop("Past non-conformities, none open: +%(points)s"),
    "mercury_use": gettext_noop("Mercury is used at the site: +%(points)s"),
    "cyanide_use": gettext_noop("Cyanide is used at the site: +%(points)s"),
    "red_flag_area": gettext_noop(
        "The site is in or near a red-flag or protected area: +%(points)s"
    ),
    "production_anomaly": gettext_noop("Production anomaly: +%(points)s"),
    "not_inspected": gettext_noop("Not inspected in the last %(months)s months: +%(points)s"),
    "large_holding": gettext_noop("Holding larger than %(hectares)s ha: +%(points)s"),
}
FACTOR_DEFAULTS: dict[str, dict[str, Any]] = {
    "new_member": {"months": 12},
    "not_inspected": {"months": 12},
    "large_holding": {"hectares": 10},
}
MAX_RULES_CHARACTERS = 64_000

_POINTS = {"type": "integer", "minimum": 0, "maximum": 100}
_MONTHS = {"type": "integer", "minimum": 1, "maximum": 120}


def _factor(**extra: dict) -> dict:
    return {
        "type": "object",
        "properties": {"points": _POINTS, **extra},
        "required": ["points"],
        "additionalProperties": False,
    }


RULES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "thresholds": {
            "type": "object",
            "properties": {
                "medium": {"type": "integer", "minimum": 1, "maximum": 1000},
                "high": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
            "required": ["medium", "high"],
            "additionalProperties": False,
        },
        # Unknown factor names are reported by `check_rules` under their own path.
        "factors": {
            "type": "object",
            "properties": {
                "new_member": _factor(months=_MONTHS),
                "not_inspected": _factor(months=_MONTHS),
                "large_holding": _factor(hectares={"type": "number", "exclusiveMinimum": 0}),
                **{
                    name: _factor()
                    for name in FACTORS
                    if name not in ("new_member", "not_inspected", "large_holding")
                },
            },
        },
        "attribute_rules": {
            "type": "array",
            "maxItems": 100,
            "items": {
                "type": "object",
                "properties": {
                    "attribute": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.-]{0,63}$"},
                    "equals": {"type": ["string", "number", "boolean"]},
                    "points": _POINTS,
                },
                "required": ["attribute", "equals", "points"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["thresholds", "factors"],
    "additionalProperties": False,
}


def check_rules(rules: Any) -> list[Problem]:
    """Every problem of a risk rule set, each with the path of the value to fix.

    The shape is a JSON Schema (known keys, whole non-negative points, months and hectares
    in range); the meaning is checked after: known factor names, the medium threshold not
    above the high one, no attribute rule given twice."""
    from batea.domain.standards.source import Source

    return _problems(Source("", rules))


def load_rules(text: str, name: str = "") -> tuple[dict | None, list[Problem]]:
    """Read a rule set written as YAML or JSON; the rules only when there is no problem."""
    import json

    from batea.domain.standards.source import Source, parse_yaml

    if len(text) > MAX_RULES_CHARACTERS:
        return None, [
            Problem(
                "",
                gettext_noop("The rules are longer than %(limit)s characters."),
                {"limit": MAX_RULES_CHARACTERS},
                name,
            )
        ]
    if not text.strip():
        return None, [Problem("", gettext_noop("Write the rules (YAML or JSON)."), {}, name)]
    if text.lstrip().startswith("{"):

        def refuse_duplicates(pairs):
            keys = [key for key, _ in pairs]
            for key in keys:
                if keys.count(key) > 1:
                    raise ValueError(key)
            return dict(pairs)

        try:
            data = json.loads(text, object_pairs_hook=refuse_duplicates)
        except json.JSONDecodeError as error:
            return None, [
                Problem("", gettext_noop("Malformed JSON: %(error)s"), {"error": error.msg}, name)
            ]
        except ValueError as error:
            return None, [
                Problem(
                    "", gettext_noop("The key %(key)s is given twice."), {"key": str(error)}, name
                )
            ]
        source = Source(name, data)
    else:
        source = parse_yaml(text, name)
        if source.problems:
            return None, source.problems
    problems = _problems(source)
    return (None, problems) if problems else (source.data, [])


def _problems(source) -> list[Problem]:
    from batea.domain.standards.schema import schema_problems

    rules = source.data
    if not isinstance(rules, dict):
        return [source.problem((), gettext_noop("The rules must be a mapping of keys to values."))]
    problems = []
    factors = rules.get("factors")
    if isinstance(factors, dict):
        for name in factors:
            if name not in FACTORS:
                problems.append(
                    source.problem(
                        ("factors", name),
                        gettext_noop("Unknown risk factor %(name)s; known factors: %(known)s."),
                        {"name": name, "known": ", ".join(FACTORS)},
                    )
                )
    problems += schema_problems(source, RULES_SCHEMA)
    if problems:
        return problems
    thresholds = rules["thresholds"]
    if thresholds["medium"] > thresholds["high"]:
        problems.append(
            source.problem(
                ("thresholds", "medium"),
                gettext_noop(
                    "The medium threshold (%(medium)s) must not be above the high one (%(high)s)."
                ),
                {"medium": thresholds["medium"], "high": thresholds["high"]},
            )
        )
    seen: set = set()
    for index, rule in enumerate(rules.get("attribute_rules", [])):
        key = (rule["attribute"], repr(rule["equals"]))
        if key in seen:
            problems.append(
                source.problem(
                    ("attribute_rules", index),
                    gettext_noop("The rule %(attribute)s = %(value)s is given twice."),
                    {"attribute": rule["attribute"], "value": rule["equals"]},
                )
            )
        seen.add(key)
    return problems


def describe(rules: dict) -> list[Problem]:
    """The rules in words, one line per factor or attribute rule, for people to read."""
    lines = []
    for name, factor in rules.get("factors", {}).items():
        params = {**FACTOR_DEFAULTS.get(name, {}), **factor}
        lines.append(Problem(name, FACTORS[name], params))
    for rule in rules.get("attribute_rules", []):
        lines.append(
            Problem(
                rule["attribute"],
                gettext_noop("Site survey: %(attribute)s = %(value)s: +%(points)s"),
                {"attribute": rule["attribute"], "value": rule["equals"], "points": rule["points"]},
            )
        )
    return lines
