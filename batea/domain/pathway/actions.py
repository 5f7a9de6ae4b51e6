"""Non-conformities and corrective actions: severity, deadlines and escalation."""

from dataclasses import dataclass
from datetime import date, timedelta

# A finding's severity follows the kind of requirement it is about.
SEVERITY_BY_KIND = {"core": "critical", "major": "major", "development": "minor"}
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
# Used when a standard declares no deadlines: minor 6 months, major 3 months.
DEFAULT_DEADLINE_DAYS = {"minor": 180, "major": 90, "critical": 90}


def severity_for(kind: str) -> str | None:
    """Severity of a non-conformity on a requirement of this kind; None for voluntary ones."""
    return SEVERITY_BY_KIND.get(kind)


def deadline_days(severity: str, policy: dict | None) -> int:
    """Days allowed to correct, from the standard's `corrective_actions` policy."""
    days = dict(DEFAULT_DEADLINE_DAYS)
    days.update((policy or {}).get("deadline_days", {}))
    if severity == "critical" and "critical" not in (policy or {}).get("deadline_days", {}):
        return days["major"]
    return days[severity]


def default_due(raised_on: date, severity: str, policy: dict | None) -> date:
    return raised_on + timedelta(days=deadline_days(severity, policy))


@dataclass(frozen=True)
class Escalation:
    severity: str
    flag_for_suspension: bool
    overdue_days: int


def escalate(severity: str, due_on: date, today: date, policy: dict | None = None) -> Escalation:
    """What an open non-conformity has become on `today`.

    An overdue minor becomes major; an overdue major (or critical) is flagged for suspension,
    as the standard's policy says (both on by default).
    """
    policy = policy or {}
    overdue = (today - due_on).days
    if overdue <= 0:
        return Escalation(severity, False, 0)
    if severity == "minor":
        if policy.get("overdue_minor_becomes_major", True):
            return Escalation("major", False, overdue)
        return Escalation("minor", False, overdue)
    return Escalation(severity, policy.get("overdue_major_leads_to_suspension", True), overdue)
