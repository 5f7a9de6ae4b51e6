"""Demo for group certification: Sol de Oro's ICS is in progress (partial coverage, a
sanction, high-risk members); Río Claro's inspector declared a household tie."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from batea.assessments.demo import _assess, _every_requirement
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
        for u in get_user_model().objects.filter(username__in=["manager.peru", "inspector"])
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
                _every_requirement,
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
    return {
        "decisions": MemberDecision.objects.count(),
        "conflicts of interest": ConflictOfInterest.objects.count(),
    }


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
