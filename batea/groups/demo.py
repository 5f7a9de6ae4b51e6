"""Demo for group certification: Sol de Oro's ICS is in progress (partial coverage, a
sanction, high-risk members, and an auditor who disagreed with it: an unreliable-ICS
finding); Río Claro's inspector declared a household tie; the support programme keeps its
own member-risk rules, used for the three groups it supports."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from batea.assessments.demo import _assess
from batea.assessments.pathway import current_version
from batea.groups.models import ConflictOfInterest, MemberDecision
from batea.groups.services import decide
from batea.registry.models import Member, Organisation, Site


def load(stdout=None) -> dict[str, int]:
    version = current_version("craft-style-market-entry")
    if version is None:
        return {"decisions": 0}
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["manager.peru", "inspector", "manager.uganda", "auditor", "support"]
        )
    }
    today = timezone.localdate()
    with transaction.atomic():
        org = Organisation.objects.get(slug="sol-de-oro")
        Site.objects.filter(organisation=org, uses_mercury=True).update(
            attributes={"armed_group_presence": False, "child_labour_reported": True}
        )
        members = list(
            Member.objects.filter(
                organisation=org, status__in=["approved", "conditional"]
            ).order_by("member_number")
        )
        for member in members[: len(members) * 3 // 5]:  # 60 % inspected so far
            _assess(
                org,
                version,
                "ics",
                users.get("manager.peru"),
                today - timedelta(days=60),
                f"ics-craft-{member.member_number}",
                member=member,
            )
        if not MemberDecision.objects.filter(member__organisation=org).exists() and members:
            decide(
                users["manager.peru"],
                members[-1],
                target="conditional",
                reason="Did not attend the mercury-safety training twice.",
                evidence="Training attendance sheets",
                decided_on=today - timedelta(days=15),
            )
        inspector = users.get("inspector")
        relative = (
            Member.objects.filter(organisation__slug="rio-claro").order_by("member_number").first()
        )
        if inspector and relative:
            ConflictOfInterest.objects.get_or_create(
                inspector=inspector, member=relative, defaults={"tie": "household"}
            )
        _costs(today)
        _peer_group(users, today)
        _risk_rules(users)
        _unreliable_ics(org, version, members[: len(members) * 3 // 5], users, today)
    from batea.groups.models import GroupFinding, RiskRuleSet

    return {
        "decisions": MemberDecision.objects.count(),
        "conflicts of interest": ConflictOfInterest.objects.count(),
        "risk rule sets": RiskRuleSet.objects.count(),
        "group findings": GroupFinding.objects.count(),
    }


def _risk_rules(users) -> None:
    """The support programme weighs mercury and child labour more than Batea's defaults."""
    from batea.groups.models import RiskRuleSet

    owner = Organisation.objects.get(slug="andes-lakes-support")
    rules = {
        "thresholds": {"medium": 2, "high": 5},
        "factors": {
            "new_member": {"points": 1, "months": 12},
            "open_nonconformities": {"points": 2},
            "past_nonconformities": {"points": 1},
            "mercury_use": {"points": 3},
            "cyanide_use": {"points": 2},
            "red_flag_area": {"points": 5},
            "production_anomaly": {"points": 3},
            "not_inspected": {"points": 2, "months": 12},
            "large_holding": {"points": 1, "hectares": 5},
        },
        "attribute_rules": [
            {"attribute": "armed_group_presence", "equals": True, "points": 5},
            {"attribute": "child_labour_reported", "equals": True, "points": 5},
        ],
    }
    RiskRuleSet.objects.get_or_create(
        owner=owner,
        title="Andes & Lakes field rules 2026",
        defaults={"rules": rules, "updated_by": users.get("support")},
    )


def _unreliable_ics(org, version, inspected, users, today) -> None:
    """The external auditor re-checked six members the ICS had passed and found two who had
    never been told the rules: agreement 4 of 6, below the standard's 0.8."""
    from batea.groups.services import raise_ics_finding

    auditor = users.get("auditor")
    if auditor is None or not inspected:
        return
    for index, member in enumerate(inspected[:6]):
        _assess(
            org,
            version,
            "audit",
            auditor,
            today - timedelta(days=30),
            f"audit-craft-{member.member_number}",
            member=member,
            failing={"ME-MS-08"} if index < 2 else frozenset(),
        )
    raise_ics_finding(org, version, today)


def _costs(today) -> None:
    """Audit and ICS costs for the insights (fictional figures)."""
    from batea.assessments.models import Assessment
    from batea.groups.models import IcsCost

    Assessment.objects.filter(
        organisation__slug="rio-claro", kind="audit", subject_type="organisation", cost__isnull=True
    ).update(cost=3500)
    for slug, amount in (("rio-claro", 1800), ("sol-de-oro", 950)):
        IcsCost.objects.get_or_create(
            organisation=Organisation.objects.get(slug=slug),
            year=today.year,
            currency="USD",
            defaults={"amount": amount, "note": "Inspectors' days, travel and training"},
        )


def _peer_group(users, today) -> None:
    """Kyabalanga assures itself through a Participatory Guarantee System group."""
    from batea.groups.models import PeerGroup
    from batea.groups.services import record_peer_visit
    from batea.standards.models import Standard

    org = Organisation.objects.get(slug="kyabalanga")
    manager = users.get("manager.uganda")
    group, created = PeerGroup.objects.get_or_create(
        organisation=org,
        name="Nakasozi stream peer group",
        defaults={"council": "Two producers, a buyer's field officer and a parish elder"},
    )
    if group.standard_id is None:  # the CRAFT-style code accepts a PGS
        group.standard = Standard.objects.filter(code="craft-style-market-entry").first()
        group.save(update_fields=["standard"])
    if not created or manager is None:
        return
    members = list(Member.objects.filter(organisation=org).order_by("member_number")[:8])
    group.members.set(members)
    visits = (
        (
            members[1],
            members[0],
            "Esther (consumer, Kampala)",
            "consumer",
            "Pit walls supported; children not seen at the site.",
            "approved",
        ),
        (
            members[2],
            members[3],
            "Aurora field officer",
            "buyer",
            "Mercury burnt in the open; a retort is needed.",
            "conditional",
        ),
    )
    for visitor, visited, companion, kind, findings, recommendation in visits:
        record_peer_visit(
            manager,
            group,
            visited=visited,
            visitor=visitor,
            companion_name=companion,
            companion_kind=kind,
            visited_on=today - timedelta(days=12),
            findings=findings,
            recommendation=recommendation,
        )
    target = members[3]
    if target.status != "conditional":
        decide(
            manager,
            target,
            target="conditional" if target.status != "applicant" else "approved",
            council=group,
            decided_on=today - timedelta(days=5),
            reason="Council: buy a retort with the group's savings within two months.",
        )
