"""Demo for the inclusion insights (fictional, like the rest of the demo).

What the other demos leave out and the insights need: a few more approval-committee
decisions (sanctions and exclusions of women and men in different roles, over the past
months, so the sanctions figures have something to compare), last year's ICS costs and
Kyabalanga's PGS costs (so cost per member can be read against the premium over two
years), and saved segments of Río Claro, Sol de Oro and the support programme, counted on
the first of each of the last six months and today (past counts reconstruct members'
statuses from the decisions recorded since; a segment by level is counted today only).

Idempotent: decisions are recognised by their reason, costs by organisation and year,
segments by owner and name, snapshots by date.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from batea.registry.models import Member, Organisation

# (organisation, manager, gender, role, target status, days ago, reason)
DECISIONS = [
    (
        "rio-claro",
        "manager",
        "female",
        "panner",
        "conditional",
        200,
        "Panned a stretch of the river outside the certified area without telling the "
        "committee (demo).",
    ),
    (
        "rio-claro",
        "manager",
        "male",
        "worker",
        "suspended",
        150,
        "Sold gold outside the cooperative's channel twice (demo).",
    ),
    (
        "sol-de-oro",
        "manager.peru",
        "female",
        "selector",
        "suspended",
        170,
        "Missed the mercury-safety training three times (demo).",
    ),
    (
        "sol-de-oro",
        "manager.peru",
        "female",
        "selector",
        "conditional",
        95,
        "Brought a child to the selection yard during school hours (demo).",
    ),
    (
        "sol-de-oro",
        "manager.peru",
        "male",
        "worker",
        "excluded",
        60,
        "Used mercury in the tunnel after two written warnings (demo).",
    ),
    (
        "sol-de-oro",
        "manager.peru",
        "male",
        "worker",
        "conditional",
        35,
        "Worked without a helmet and refused the equipment offered (demo).",
    ),
    (
        "kyabalanga",
        "manager.uganda",
        "female",
        "processor",
        "excluded",
        120,
        "Sold the group's concentrate to an unlicensed buyer (demo).",
    ),
    (
        "kyabalanga",
        "manager.uganda",
        "male",
        "worker",
        "conditional",
        80,
        "Dug in the forest reserve's buffer zone (demo).",
    ),
]
# (organisation, years ago, amount in USD, note)
ICS_COSTS = [
    ("rio-claro", 1, 1600, "Inspectors' days and travel, first ICS cycle (demo)"),
    ("sol-de-oro", 1, 700, "Training of the first internal inspectors (demo)"),
    ("kyabalanga", 0, 400, "Peer-review visits and council meetings of the PGS (demo)"),
]
# (owner, created by, name, filter)
SEGMENTS = [
    (
        "rio-claro",
        "manager",
        "Women panners and selectors",
        "gender = female and role in (panner, selector)",
    ),
    (
        "sol-de-oro",
        "manager.peru",
        "Members under sanction",
        "status in (conditional, suspended)",
    ),
    (
        "andes-lakes-support",
        "support",
        "Women in organisations without a formal licence",
        "gender = female and licence != formal",
    ),
    (
        "andes-lakes-support",
        "support",
        "Young miners in organisations not yet on the ladder",
        "age in (18-24, 25-34) and level = 0",
    ),
]
MONTHS = 6


def load(stdout=None) -> dict[str, int]:
    from batea.insights.models import Segment, SegmentSnapshot

    users = {u.username: u for u in get_user_model().objects.all() if u.username in _usernames()}
    organisations = {
        o.slug: o
        for o in Organisation.objects.filter(
            slug__in={"rio-claro", "sol-de-oro", "kyabalanga", "andes-lakes-support"}
        )
    }
    if len(organisations) < 4:
        return {"segments": 0}  # the registry demo is not loaded
    today = timezone.localdate()
    with transaction.atomic():
        decided = _decisions(organisations, users, today)
        _costs(organisations, today)
        segments = _segments(organisations, users)
        for segment in segments:
            for on in snapshot_dates(today):
                _snapshot(segment, on)
    return {
        "decisions added": decided,
        "segments": Segment.objects.filter(owner__in=organisations.values()).count(),
        "segment snapshots": SegmentSnapshot.objects.filter(
            segment__owner__in=organisations.values()
        ).count(),
    }


def _usernames() -> set[str]:
    return {row[1] for row in DECISIONS} | {row[1] for row in SEGMENTS}


def snapshot_dates(today: date) -> list[date]:
    """The first of each of the last MONTHS months, and today."""
    dates = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        dates.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted({*dates, today})


def _decisions(organisations, users, today: date) -> int:
    from batea.groups.models import MemberDecision
    from batea.groups.services import decide

    added = 0
    for slug, username, gender, role, target, days, reason in DECISIONS:
        organisation, user = organisations.get(slug), users.get(username)
        if organisation is None or user is None:
            continue
        if MemberDecision.objects.filter(member__organisation=organisation, reason=reason).exists():
            continue
        on = today - timedelta(days=days)
        member = (
            Member.objects.filter(
                organisation=organisation,
                gender=gender,
                role=role,
                status="approved",
                join_date__lte=on,
                decisions__isnull=True,
            )
            .order_by("-member_number")
            .first()
        )
        if member is None:
            continue
        decide(user, member, target=target, reason=reason, decided_on=on)
        added += 1
    return added


def _costs(organisations, today: date) -> None:
    from batea.groups.models import IcsCost

    for slug, years_ago, amount, note in ICS_COSTS:
        IcsCost.objects.get_or_create(
            organisation=organisations[slug],
            year=today.year - years_ago,
            currency="USD",
            defaults={"amount": amount, "note": note},
        )


def _segments(organisations, users) -> list:
    from batea.domain.insights.segments import parse
    from batea.insights.models import Segment
    from batea.insights.segments import vocabulary

    found = []
    words = vocabulary()
    for slug, username, name, text in SEGMENTS:
        definition, problems = parse(text, words)
        assert not problems, problems  # the demo's own filters must be valid
        segment, _created = Segment.objects.get_or_create(
            owner=organisations[slug],
            name=name,
            defaults={"definition": definition, "created_by": users.get(username)},
        )
        found.append(segment)
    return found


def _snapshot(segment, on: date) -> None:
    from batea.insights.models import SegmentSnapshot
    from batea.insights.segments import snapshot

    if on < timezone.localdate():
        if SegmentSnapshot.objects.filter(segment=segment, taken_on=on).exists():
            return  # a past count stays as it was taken
        if any(c["field"] == "level" for c in segment.definition["clauses"]):
            # The demo records every assessment today (with past assessment dates); counted
            # for a past day, the pathway would treat them as not yet known. Real snapshots
            # are taken on their day, so only today's count is made here.
            return
    snapshot(segment, on)
