"""Group certification from the database: member facts, risk classes, audit samples."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Q, Sum

from batea.access.scoping import roles_granting
from batea.assessments.models import NonConformity
from batea.domain.group.risk import DEFAULT_RULES, MemberFacts, classify
from batea.domain.group.sampling import Candidate, Policy, Sample, SamplingError, draw
from batea.groups import hooks
from batea.registry.models import Member

IN_GROUP = ("approved", "conditional", "suspended")


@dataclass(frozen=True)
class AppliedRules:
    """The risk rules used for a group and where they come from: a rule set of a support
    organisation of the group, one of the owner of the standard, or Batea's defaults."""

    rules: dict
    rule_set: object = None  # a RiskRuleSet, or None for Batea's defaults
    basis: str = "default"  # "support", "standard_owner" or "default"


def applicable_rules(organisation, standard=None, today: date | None = None) -> AppliedRules:
    """Which risk rules apply to a group: the newest rule set of a support organisation with
    an active support relation to it; else the newest one of the owner of the `standard`
    being evaluated or sampled; else Batea's defaults."""
    from django.utils import timezone

    from batea.groups.models import RiskRuleSet
    from batea.registry.models import Relation

    today = today or timezone.localdate()
    supporters = (
        Relation.objects.active_on(today)
        .filter(kind="support", target=organisation)
        .values("source_id")
    )
    rule_set = (
        RiskRuleSet.objects.filter(owner__in=supporters, owner__kind="support")
        .select_related("owner")
        .order_by("-updated_at")
        .first()
    )
    if rule_set is not None:
        return AppliedRules(rule_set.rules, rule_set, "support")
    if standard is not None and standard.owner_id:
        rule_set = (
            RiskRuleSet.objects.filter(owner_id=standard.owner_id)
            .select_related("owner")
            .order_by("-updated_at")
            .first()
        )
        if rule_set is not None:
            return AppliedRules(rule_set.rules, rule_set, "standard_owner")
    return AppliedRules(DEFAULT_RULES)


def member_facts(
    organisation,
    today: date,
    *,
    red_flag_sites: set | None = None,
    anomalous_sites: set | None = None,
) -> list[MemberFacts]:
    """Facts for every member of the group in one query (plus one for findings).

    `red_flag_sites` and `anomalous_sites` are ids of sites in or near a red-flag or
    protected area and of sites with a production anomaly; a member whose site is named
    gets the fact. Left out, they come from the providers registered in
    `batea.groups.hooks` (none until the chain-of-custody app registers its own)."""
    if red_flag_sites is None:
        red_flag_sites = hooks.sites(hooks.RED_FLAG_SITES, organisation, today)
    if anomalous_sites is None:
        anomalous_sites = hooks.sites(hooks.ANOMALOUS_SITES, organisation, today)
    red_flag_sites = {str(site) for site in red_flag_sites}
    anomalous_sites = {str(site) for site in anomalous_sites}
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
        site_id = str(site.pk) if site else None
        facts.append(
            MemberFacts(
                member=str(member.pk),
                joined_on=member.join_date,
                open_nonconformities=findings.get(member.pk, 0),
                past_nonconformities=past.get(member.pk, 0),
                last_inspected_on=member.last_inspected,
                uses_mercury=bool(site and site.uses_mercury),
                uses_cyanide=bool(site and site.uses_cyanide),
                in_red_flag_area=site_id in red_flag_sites,
                production_anomaly=site_id in anomalous_sites,
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
    organisation,
    sampling: dict | None,
    seed: int,
    today: date,
    version=None,
    rules: AppliedRules | None = None,
) -> Sample:
    """Classify every member and draw the external-audit sample the standard asks for,
    doubled when the ICS proved unreliable against the last audit (which is then recorded
    as a finding, once per cycle).

    Refused (SamplingError) for a standard that does not accept group certification with
    an Internal Control System. `rules`: default, the rules that apply to the group."""
    from batea.domain.group.assurance import check_model
    from batea.registry.models import explain

    if version is not None:
        problem = check_model(version.document, "ics_group", version.display_title)
        if problem is not None:
            raise SamplingError(explain(problem))
    if rules is None:
        rules = applicable_rules(
            organisation, version.standard if version is not None else None, today
        )
    majors = open_major_members(organisation)
    growth, reason = 1.0, ""
    if version is not None:
        reliability = ics_reliability(organisation, version)
        if reliability["reliable"] is False:
            growth = reliability["sample_factor"]
            reason = f"ICS agreement {reliability['agreement']} < {reliability['threshold']}"
            raise_ics_finding(organisation, version, today, reliability)
    candidates = [
        Candidate(
            facts.member,
            classify(facts, today, rules.rules).risk,
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


def risk_register(
    organisation,
    today: date,
    rules: AppliedRules | None = None,
    *,
    red_flag_sites: set | None = None,
    anomalous_sites: set | None = None,
) -> list:
    """Every member of the group with their risk class and reasons, highest risk first.
    `rules`: default, the rules that apply to the group (see `applicable_rules`)."""
    rules = rules or applicable_rules(organisation, today=today)
    by_id = {
        str(m.pk): m for m in Member.objects.filter(organisation=organisation, status__in=IN_GROUP)
    }
    facts = member_facts(
        organisation, today, red_flag_sites=red_flag_sites, anomalous_sites=anomalous_sites
    )
    results = [classify(f, today, rules.rules) for f in facts]
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
    if group.standard is not None:
        refusal = pgs_refusal(group.standard)
        if refusal:
            raise ValidationError({"group": refusal})
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


def raise_ics_finding(organisation, version, today: date, reliability: dict | None = None):
    """Record that the ICS proved unreliable against the external auditor, once per
    organisation, standard version and cycle (year): drawing the sample again, or opening
    the page again, finds the same record. None while the ICS is reliable (or untested)."""
    from decimal import Decimal

    from batea.groups.models import GroupFinding

    reliability = reliability or ics_reliability(organisation, version)
    if reliability["reliable"] is not False:
        return None
    finding, _created = GroupFinding.objects.get_or_create(
        organisation=organisation,
        standard_version=version,
        kind=GroupFinding.Kind.ICS_UNRELIABLE,
        cycle=today.year,
        defaults={
            "raised_on": today,
            "pairs": reliability["pairs"],
            "agreement": Decimal(str(reliability["agreement"])),
            "kappa": Decimal(str(reliability["kappa"])),
            "threshold": Decimal(str(reliability["threshold"])),
            "sample_factor": Decimal(str(reliability["sample_factor"])),
        },
    )
    return finding


def close_finding(user, finding, *, note: str, closed_on: date):
    """Close a group finding, saying what was done. The group's manager or an auditor of the
    certification body engaged with it closes; nothing changes on a refusal."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext as _

    from batea.domain.access import CHANGE, Resource, Role
    from batea.groups.models import GroupFinding

    closers = {Role.ASMO_MANAGER, Role.AUDITOR}
    if not roles_granting(user, finding.organisation, Resource.ASSESSMENT, CHANGE) & closers:
        raise PermissionDenied(
            _("The group's manager or the certification body's auditor closes this finding.")
        )
    if not note.strip():
        raise ValidationError({"closing_note": _("Say what was done to close the finding.")})
    with transaction.atomic():
        locked = GroupFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.status == GroupFinding.Status.CLOSED:
            raise ValidationError({"status": _("This finding is already closed.")})
        locked.status = GroupFinding.Status.CLOSED
        locked.closed_on = closed_on
        locked.closed_by = user
        locked.closing_note = note.strip()
        locked.save(update_fields=["status", "closed_on", "closed_by", "closing_note"])
    return locked


def save_rule_set(user, *, owner, title: str, text: str, rule_set=None):
    """Create a risk rule set for `owner`, or change `rule_set`, from YAML or JSON text.

    Only standard owners and support officers of the owner organisation may; every problem
    of the rules is reported with its path (ValidationError on "rules") and nothing is
    saved."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext as _

    from batea.access.scoping import can, organisations_where
    from batea.domain.access import CHANGE, Resource
    from batea.domain.group.risk import load_rules
    from batea.groups.models import RiskRuleSet
    from batea.registry.models import explain

    if rule_set is not None:
        if not can(user, rule_set, CHANGE):
            raise PermissionDenied(_("Only the owner organisation changes these rules."))
        owner = rule_set.owner
    elif (
        owner is None
        or not organisations_where(user, Resource.RISK_RULES, CHANGE).filter(pk=owner.pk).exists()
    ):
        raise PermissionDenied(
            _("Only standard owners and support officers set risk rules for their organisation.")
        )
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = [_("Give the rule set a title.")]
    elif (
        RiskRuleSet.objects.filter(owner=owner, title=title)
        .exclude(pk=getattr(rule_set, "pk", None))
        .exists()
    ):
        errors["title"] = [_("Your organisation already has a rule set with this title.")]
    rules, problems = load_rules(text)
    if problems:
        errors["rules"] = [
            _("Line %(line)s: %(problem)s") % {"line": p.line, "problem": explain(p)}
            if p.line
            else explain(p)
            for p in problems
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if rule_set is None:
            rule_set = RiskRuleSet(owner=owner)
        else:
            rule_set = RiskRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        rule_set.title = title
        rule_set.rules = rules
        rule_set.updated_by = user
        rule_set.full_clean()
        rule_set.save()
    return rule_set


def pgs_refusal(standard) -> str | None:
    """Why a peer-review group cannot work under this standard (its current version does not
    accept a Participatory Guarantee System), or None."""
    from django.utils.translation import gettext as _

    from batea.assessments.pathway import current_version
    from batea.domain.group.assurance import check_model
    from batea.registry.models import explain

    version = current_version(standard.code)
    if version is None:
        return _("The standard has no version yet.")
    problem = check_model(version.document, "pgs", standard.display_title)
    return explain(problem) if problem is not None else None


def pgs_standards():
    """Standards whose current version accepts a Participatory Guarantee System."""
    from batea.standards.models import Standard

    return [s for s in Standard.objects.order_by("code") if pgs_refusal(s) is None]


def create_peer_group(user, organisation, *, name: str, council: str, standard, members):
    """A Participatory Guarantee System group under a standard that accepts one, with at
    least two producers of the organisation. Refused with a message per field otherwise."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext as _

    from batea.access.scoping import organisations_where
    from batea.domain.access import CHANGE, Resource
    from batea.groups.models import PeerGroup

    if not (organisations_where(user, Resource.MEMBER, CHANGE).filter(pk=organisation.pk).exists()):
        raise PermissionDenied(_("Only the group's managers set up peer-review groups."))
    errors = {}
    name, council = name.strip(), council.strip()
    if not name:
        errors["name"] = _("Name the peer-review group.")
    elif PeerGroup.objects.filter(organisation=organisation, name=name).exists():
        errors["name"] = _("The organisation already has a peer-review group of this name.")
    if not council:
        errors["council"] = _("Say who sits on the local council that decides.")
    if standard is None:
        errors["standard"] = _("Choose the standard whose Participatory Guarantee System it runs.")
    else:
        refusal = pgs_refusal(standard)
        if refusal:
            errors["standard"] = refusal
    members = list(members)
    if any(m.organisation_id != organisation.pk for m in members):
        errors["members"] = _("Every producer of the group must be a member of the organisation.")
    elif len(members) < 2:
        errors["members"] = _("Peers review each other: choose at least two producers.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        group = PeerGroup.objects.create(
            organisation=organisation, name=name, council=council, standard=standard
        )
        group.members.set(members)
    return group
