"""Member status and sanctions: the transitions an approval committee may decide."""

from batea.domain.messages import Problem, gettext_noop

TRANSITIONS: dict[str, frozenset[str]] = {
    "applicant": frozenset({"approved", "excluded"}),
    "approved": frozenset({"conditional", "suspended", "excluded", "left"}),
    "conditional": frozenset({"approved", "suspended", "excluded", "left"}),
    "suspended": frozenset({"approved", "conditional", "excluded", "left"}),
    "excluded": frozenset({"applicant"}),  # readmission starts again as an applicant
    "left": frozenset({"applicant"}),
}


def check_transition(current: str, target: str) -> Problem | None:
    """None when the committee may move a member from `current` to `target`."""
    if target in TRANSITIONS.get(current, frozenset()):
        return None
    return Problem(
        "status",
        gettext_noop("A member cannot go from %(current)s to %(target)s; allowed: %(allowed)s."),
        {
            "current": current,
            "target": target,
            "allowed": ", ".join(sorted(TRANSITIONS.get(current, ()))) or "—",
        },
    )


def check_sanction(sanction_id: str, catalogue_sanctions: list[dict], current: str):
    """The status a sanction leads to, or the problem: unknown to the catalogue, or an
    illegal transition from the member's current status."""
    sanction = next((s for s in catalogue_sanctions if s["id"] == sanction_id), None)
    if sanction is None:
        return None, Problem(
            "sanction",
            gettext_noop(
                "The standard's sanction catalogue has no sanction %(id)s; it has: %(known)s."
            ),
            {"id": sanction_id, "known": ", ".join(s["id"] for s in catalogue_sanctions)},
        )
    target = sanction["member_status"]
    if target == current:
        return target, None  # e.g. a warning keeps an approved member approved
    return target, check_transition(current, target)
