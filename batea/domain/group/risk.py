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
