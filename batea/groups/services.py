"""Group certification from the database: member facts, risk classes, audit samples."""

from datetime import date

from django.db.models import Count, Max, Q, Sum

from batea.access.scoping import roles_granting
from batea.assessments.models import NonConformity
from batea.domain.group.risk import MemberFacts, classify
from batea.domain.group.sampling import Candidate, Policy, Sample, draw
from batea.registry.models import Member

IN_GROUP = ("approved", "conditional", "suspended")


def member_facts(organisation, today: date) -> list[MemberFacts]:
    """Facts for every member of the group in one query (plus one for findings)."""
    members = (
        Member.objects.filter(organisation=organisation, status__in=IN_GROUP)
        .select_related("primary_site")
        .annotate(
            last_inspected=Max(
                "assessments__assessed_on", filter=Q(assessments__kind__in=["ics", "audit"])
            )
        )
        .order_by("id")
    )
    findings = dict(
        NonConformity.objects.filter(
            organisation=organisation, answer__assessment__member__isnull=False
        )
        .values_list("answer__assessment__member_id")
        .annotate(n=Count("id", filter=Q(status="open")))
    )
    past = dict(
        NonConformity.objects.filter(
            organisation=organisation, status="closed", answer__assessment__member__isnull=False
        )
        .values_list("answer__assessment__member_id")
        .annotate(n=Count("id"))
    )
    facts = []
    for member in members:
        site = member.primary_site
        facts.append(
            MemberFacts(
                member=str(member.pk),
                joined_on=member.join_date,
                open_nonconformities=findings.get(member.pk, 0),
                past_nonconformities=past.get(member.pk, 0),
                last_inspected_on=member.last_inspected,
                uses_mercury=bool(site and site.uses_mercury),
                uses_cyanide=bool(site and site.uses_cyanide),
                holding_hectares=float(site.area_ha) if site and site.area_ha is not None else None,
                site_attributes=dict(site.attributes) if site else {},
            )
        )
    return facts


def open_major_members(organisation) -> set[str]:
    return {
        str(pk)
        for pk in NonConformity.objects.filter(
            organisation=organisation,
            status="open",
            severity__in=["major", "critical"],
            answer__assessment__member__isnull=False,
        ).values_list("answer__assessment__member_id", flat=True)
    }


def sample_group(
    organisation, sampling: dict | None, seed: int, today: date, version=None
) -> Sample:
    """Classify every member and draw the external-audit sample the standard asks for,
    doubled when the ICS proved unreliable against the last audit."""
    majors = open_major_members(organisation)
    growth, reason = 1.0, ""
    if version is not None:
        reliability = ics_reliability(organisation, version)
        if reliability["reliable"] is False:
            growth = reliability["sample_factor"]
            reason = f"ICS agreement {reliability['agreement']} < {reliability['threshold']}"
    candidates = [
        Candidate(
            facts.member,
            classify(facts, today).risk,
            open_major_nonconformity=facts.member in majors,
        )
        for facts in member_facts(organisation, today)
    ]
    return draw(candidates, Policy.from_catalogue(sampling), seed, growth, reason)


def decide(
    user,
    member,
    *,
    reason: str,
    decided_on: date,
    target: str | None = None,
    sanction: str | None = None,
    version=None,
    evidence: str = "",
    council=None,
):
    """Record an approval-committee (or PGS council) decision and apply it, atomically.

    Either a plain status change (`target`) or a sanction from the standard's catalogue
    (`sanction`, which needs the standard `version`). Illegal transitions, unknown sanctions
    and decisions by someone without the right to change members are refused."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext as _

    from batea.access.scoping import can
    from batea.domain.group.sanctions import check_sanction, check_transition
    from batea.groups.models import MemberDecision
    from batea.registry.models import explain

    if not can(user, member, "change"):
        raise PermissionDenied(_("Only the group's managers decide on members."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the committee decided this.")})
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        current = locked.status
        if sanction:
            if version is None:
                raise ValidationError(
                    {"sanction": _("Name the standard whose sanction catalogue applies.")}
                )
            target, problem = check_sanction(
                sanction, version.document.get("sanctions", []), current
            )
        else:
            problem = check_transition(current, target) if target != current else None
        if problem is not None:
            raise ValidationError({problem.path: explain(problem)})
        decision = MemberDecision.objects.create(
            member=locked,
            from_status=current,
            to_status=target,
            sanction=sanction or "",
            standard_version=version,
            reason=reason.strip(),
            evidence=evidence,
            decided_by=user,
            decided_on=decided_on,
            council=council,
        )
        if target != current:
            locked.status = target
            locked.save(update_fields=["status", "updated_at"])
    return decision


def conflict_with(inspector, member=None, site=None) -> bool:
    """Whether the inspector declared a tie to the member, or to a member working at the
    site."""
    from batea.groups.models import ConflictOfInterest

    conflicts = ConflictOfInterest.objects.filter(inspector=inspector)
    if member is not None:
        return conflicts.filter(member=member).exists()
    if site is not None:
        return conflicts.filter(member__primary_site=site).exists()
    return False


def inspection_plan(organisation, today: date) -> dict:
    """ICS coverage: every member and site inspected within 12 months, by inspector; the
    overdue ones. Set-based: one query for members, one for sites, one by inspector."""
    from datetime import timedelta

    from batea.assessments.models import Assessment
    from batea.registry.models import Site

    since = today - timedelta(days=365)
    members = (
        Member.objects.filter(organisation=organisation, status__in=IN_GROUP)
        .annotate(last=Max("assessments__assessed_on", filter=Q(assessments__kind="ics")))
        .order_by("family_name", "given_name")
    )
    sites = (
        Site.objects.filter(organisation=organisation)
        .annotate(last=Max("assessments__assessed_on", filter=Q(assessments__kind="ics")))
        .order_by("name")
    )
    member_rows = list(members)
    site_rows = list(sites)
    overdue_members = [m for m in member_rows if m.last is None or m.last < since]
    overdue_sites = [s for s in site_rows if s.last is None or s.last < since]
    by_inspector = (
        Assessment.objects.filter(organisation=organisation, kind="ics", assessed_on__gte=since)
        .values("assessor__username", "assessor__first_name", "assessor__last_name")
        .annotate(members=Count("member", distinct=True), sites=Count("site", distinct=True))
        .order_by("assessor__username")
    )

    def share(done: int, total: int) -> int | None:
        return round(100 * done / total) if total else None

    return {
        "members": len(member_rows),
        "members_inspected": len(member_rows) - len(overdue_members),
        "member_coverage": share(len(member_rows) - len(overdue_members), len(member_rows)),
        "sites": len(site_rows),
        "sites_inspected": len(site_rows) - len(overdue_sites),
        "site_coverage": share(len(site_rows) - len(overdue_sites), len(site_rows)),
        "overdue_members": overdue_members,
        "overdue_total": len(overdue_members) + len(overdue_sites),
        "overdue_sites": overdue_sites,
        "by_inspector": list(by_inspector),
    }


def risk_register(organisation, today: date) -> list:
    """Every member of the group with their risk class and reasons, highest risk first."""
    by_id = {
        str(m.pk): m for m in Member.objects.filter(organisation=organisation, status__in=IN_GROUP)
    }
    results = [classify(facts, today) for facts in member_facts(organisation, today)]
    order = {"high": 0, "medium": 1, "low": 2}
    results.sort(key=lambda r: (order[r.risk], -r.points, by_id[r.member].family_name))
    return [(by_id[r.member], r) for r in results]


def ics_reliability(organisation, version) -> dict:
    """How far the ICS's results agree with the external auditor's on the same members and
    requirements: agreement rate and Cohen's kappa, against the standard's threshold. Below
    it, the ICS is not reliable and the next sample grows (doubles, by default)."""
    from batea.assessments.models import Answer
    from batea.domain.group.sampling import SamplingError, cohens_kappa

    rows = Answer.objects.filter(
        current=True,
        assessment__organisation=organisation,
        assessment__version=version,
        assessment__status__in=["submitted", "reviewed"],
        assessment__member__isnull=False,
        assessment__kind__in=["ics", "audit"],
    ).values_list(
        "assessment__member_id",
        "requirement_id",
        "assessment__kind",
        "value",
        "score",
        "assessment__assessed_on",
    )
    latest: dict = {}
    for member, requirement, kind, value, score, on in rows:
        key = (member, requirement, kind)
        if key not in latest or on > latest[key][0]:
            verdict = (
                ("met" if score >= 3 else "not_met")
                if score is not None
                else ("met" if value in ("compliant", "not_applicable") else "not_met")
            )
            latest[key] = (on, verdict)
    pairs = [
        (latest[(m, r, "ics")][1], verdict)
        for (m, r, kind), (_on, verdict) in latest.items()
        if kind == "audit" and (m, r, "ics") in latest
    ]
    threshold = (version.document.get("sampling") or {}).get("ics_agreement_min", 0.8)
    try:
        agreement, kappa = cohens_kappa(pairs)
    except SamplingError:
        return {
            "pairs": 0,
            "agreement": None,
            "kappa": None,
            "threshold": threshold,
            "reliable": None,
            "sample_factor": 1,
        }
    reliable = agreement >= threshold
    return {
        "pairs": len(pairs),
        "agreement": round(agreement, 3),
        "kappa": round(kappa, 3),
        "threshold": threshold,
        "reliable": reliable,
        "sample_factor": 1 if reliable else 2,
    }


def certification_costs(organisation, year: int) -> dict:
    """Audit and ICS costs of a cycle, per member of the group (by currency)."""
    from batea.assessments.models import Assessment
    from batea.groups.models import IcsCost

    members = Member.objects.filter(organisation=organisation, status__in=IN_GROUP).count()
    audits = dict(
        Assessment.objects.filter(
            organisation=organisation, kind="audit", assessed_on__year=year, cost__isnull=False
        )
        .values_list("cost_currency")
        .annotate(total=Sum("cost"))
    )
    ics = dict(
        IcsCost.objects.filter(organisation=organisation, year=year)
        .values_list("currency")
        .annotate(total=Sum("amount"))
    )
    rows = []
    for currency in sorted(set(audits) | set(ics)):
        total = (audits.get(currency) or 0) + (ics.get(currency) or 0)
        rows.append(
            {
                "currency": currency,
                "audit": audits.get(currency) or 0,
                "ics": ics.get(currency) or 0,
                "total": total,
                "per_member": round(total / members, 2) if members else None,
            }
        )
    return {"year": year, "members": members, "rows": rows}


def record_peer_visit(
    user,
    group,
    *,
    visited,
    visitor,
    companion_name: str,
    companion_kind: str,
    visited_on: date,
    findings: str,
    recommendation: str,
):
    """A peer visit: a producer of the group with another participant, never to oneself,
    both members of the group."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from batea.access.scoping import can
    from batea.groups.models import PeerVisit

    if not can(user, group, "view") or not (
        can(user, visited, "change")
        or roles_granting(user, group.organisation, "assessment", "change")
    ):
        raise PermissionDenied(_("Your role does not allow recording peer visits here."))
    in_group = set(group.members.values_list("id", flat=True))
    errors = {}
    if visited.pk not in in_group or visitor.pk not in in_group:
        errors["visited"] = _("Both the visitor and the member visited belong to the group.")
    if visited.pk == visitor.pk:
        errors["visitor"] = _("A producer does not review themselves.")
    if not companion_name.strip():
        errors["companion_name"] = _("A visit is made together with another participant.")
    if not findings.strip():
        errors["findings"] = _("Write what the visit saw.")
    if errors:
        raise ValidationError(errors)
    visit = PeerVisit(
        group=group,
        visited=visited,
        visitor=visitor,
        companion_name=companion_name.strip(),
        companion_kind=companion_kind,
        visited_on=visited_on,
        findings=findings.strip(),
        recommendation=recommendation,
    )
    visit.full_clean()
    visit.save()
    return visit
