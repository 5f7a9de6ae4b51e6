"""The approval committee's decision on a member, from the member page."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import roles_granting
from batea.assessments.models import Assessment
from batea.groups.services import decide
from batea.registry.models import Member
from batea.standards.models import StandardVersion


def sanction_options(member) -> list[tuple[str, str, str]]:
    """(version id, sanction id, title) of the standards the group is assessed against."""
    from batea.standards.models import localized

    # A semi-join, not DISTINCT over the join: a large group has one assessment per member,
    # and DISTINCT would compare every joined row's catalogue document.
    assessed = Assessment.objects.filter(organisation_id=member.organisation_id)
    versions = StandardVersion.objects.filter(pk__in=assessed.values("version_id"))
    return [
        (str(v.pk), s["id"], f"{localized(s['title'])} ({v.standard.code})")
        for v in versions.select_related("standard")
        for s in v.document.get("sanctions", [])
    ]


class MemberDecisionView(LoginRequiredMixin, View):
    def post(self, request, member_id):
        member = get_object_or_404(Member.objects.visible_to(request.user), pk=member_id)
        choice = request.POST.get("decision", "")
        version = sanction = target = None
        if choice.startswith("sanction:"):
            _prefix, version_id, sanction = choice.split(":", 2)
            version = (
                StandardVersion.objects.filter(pk=version_id).first()
                if len(version_id) == 36
                else None
            )
        else:
            target = choice.removeprefix("status:")
        try:
            decide(
                request.user,
                member,
                target=target,
                sanction=sanction,
                version=version,
                reason=request.POST.get("reason", ""),
                evidence=request.POST.get("evidence", ""),
                decided_on=timezone.localdate(),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("member-detail", member.pk)


class InternalControlView(LoginRequiredMixin, TemplateView):
    """The Internal Control System at a glance: coverage, overdue inspections, member risk
    with the rules used, the ICS's reliability and the findings recorded about it."""

    template_name = "groups/ics.html"

    def dispatch(self, request, *args, **kwargs):
        from batea.access.scoping import organisations_where
        from batea.domain.access import VIEW, Resource

        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = get_object_or_404(
            organisations_where(request.user, Resource.ASSESSMENT, VIEW).filter(kind="asmo"),
            slug=kwargs["org_slug"],
        )
        return super().dispatch(request, *args, **kwargs)

    def standards(self):
        """The standards the group is assessed against (the page's organisation is one whose
        assessments the user reads), the most recently assessed first."""
        from django.db.models import Max

        from batea.standards.models import Standard

        return list(
            Standard.objects.filter(versions__assessments__organisation=self.organisation)
            .annotate(last=Max("versions__assessments__assessed_on"))
            .order_by("-last", "code")
        )

    def get_context_data(self, **kwargs):
        from batea.access.scoping import organisations_where
        from batea.domain.access import CHANGE, Resource, Role
        from batea.domain.group.assurance import check_model
        from batea.groups.models import GroupFinding
        from batea.groups.services import (
            applicable_rules,
            certification_costs,
            ics_reliability,
            inspection_plan,
            risk_register,
        )
        from batea.registry.models import explain

        context = super().get_context_data(**kwargs)
        organisation = self.organisation
        user = self.request.user
        today = timezone.localdate()
        standards = self.standards()
        chosen = self.request.GET.get("standard", "")
        standard = next((s for s in standards if s.code == chosen), None) or next(
            iter(standards), None
        )
        applied = applicable_rules(organisation, standard, today)
        register = risk_register(organisation, today, applied)
        audits = Assessment.objects.filter(
            organisation=organisation, kind="audit", member__isnull=False
        )
        audited = StandardVersion.objects.filter(pk__in=audits.values("version_id")).select_related(
            "standard"
        )
        findings = list(
            GroupFinding.objects.visible_to(user)
            .filter(organisation=organisation)
            .select_related("standard_version__standard", "closed_by")
        )
        recorded = {(f.standard_version_id, f.cycle) for f in findings}
        reliability = [
            (version, ics_reliability(organisation, version), (version.pk, today.year) in recorded)
            for version in audited
        ]
        group_refusal = None
        if standard is not None:
            from batea.assessments.pathway import current_version

            version = current_version(standard.code)
            problem = version and check_model(version.document, "ics_group", str(standard))
            group_refusal = explain(problem) if problem else None
        context.update(
            organisation=organisation,
            plan=inspection_plan(organisation, today),
            reliability=reliability,
            findings=findings,
            may_record=organisations_where(user, Resource.ASSESSMENT, CHANGE)
            .filter(pk=organisation.pk)
            .exists(),
            may_close=bool(
                roles_granting(user, organisation, Resource.ASSESSMENT, CHANGE)
                & {Role.ASMO_MANAGER, Role.AUDITOR}
            ),
            costs=certification_costs(organisation, today.year),
            standards=standards,
            standard=standard,
            group_refusal=group_refusal,
            applied=applied,
            register=register[:60],
            register_total=len(register),
            high=sum(1 for _, r in register if r.risk == "high"),
            medium=sum(1 for _, r in register if r.risk == "medium"),
        )
        return context

    def post(self, request, *args, **kwargs):
        """Record the ICS's unreliability as a finding, or close a finding."""
        from batea.access.scoping import organisations_where
        from batea.domain.access import CHANGE, Resource
        from batea.groups.models import GroupFinding
        from batea.groups.services import close_finding, raise_ics_finding

        today = timezone.localdate()
        try:
            if request.POST.get("form") == "close":
                finding = get_object_or_404(
                    GroupFinding.objects.visible_to(request.user),
                    organisation=self.organisation,
                    pk=_uuid_or_none(request.POST.get("finding")),
                )
                close_finding(
                    request.user, finding, note=request.POST.get("note", ""), closed_on=today
                )
                messages.success(request, _("The finding is closed."))
            else:
                if (
                    not organisations_where(request.user, Resource.ASSESSMENT, CHANGE)
                    .filter(pk=self.organisation.pk)
                    .exists()
                ):
                    raise PermissionDenied(_("Your role does not allow recording findings here."))
                version = get_object_or_404(
                    StandardVersion, pk=_uuid_or_none(request.POST.get("version"))
                )
                if raise_ics_finding(self.organisation, version, today) is None:
                    messages.info(request, _("The ICS is not below the threshold: no finding."))
                else:
                    messages.success(request, _("The finding is recorded."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error))
        return redirect("ics", self.organisation.slug)


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class PeerGuaranteeView(LoginRequiredMixin, TemplateView):
    """Participatory Guarantee System: groups, peer visits and council decisions, visible to
    everyone who may see the organisation's members."""

    template_name = "groups/pgs.html"

    def dispatch(self, request, *args, **kwargs):
        from batea.access.scoping import organisations_where

        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = get_object_or_404(
            organisations_where(request.user, "member", "view").filter(kind="asmo"),
            slug=kwargs["org_slug"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from batea.access.scoping import organisations_where
        from batea.groups.models import MemberDecision, PeerGroup, PeerVisit
        from batea.groups.services import IN_GROUP, pgs_refusal, pgs_standards

        context = super().get_context_data(**kwargs)
        groups = list(
            PeerGroup.objects.visible_to(self.request.user)
            .filter(organisation=self.organisation)
            .select_related("standard")
            .prefetch_related("members")
        )
        for group in groups:
            group.refusal = pgs_refusal(group.standard) if group.standard else None
        context.update(
            organisation=self.organisation,
            groups=groups,
            pgs_standards=pgs_standards(),
            producers=Member.objects.visible_to(self.request.user)
            .filter(organisation=self.organisation, status__in=IN_GROUP)
            .order_by("family_name", "given_name"),
            errors=kwargs.get("errors", {}),
            data=self.request.POST,
            visits=PeerVisit.objects.visible_to(self.request.user)
            .filter(group__organisation=self.organisation)
            .select_related("group", "visited", "visitor")[:30],
            decisions=MemberDecision.objects.visible_to(self.request.user)
            .filter(council__organisation=self.organisation)
            .select_related("member", "council")[:30],
            can_record=organisations_where(self.request.user, "member", "change")
            .filter(pk=self.organisation.pk)
            .exists(),
            companions=PeerVisit.Companion.choices,
            statuses=Member.Status.choices,
        )
        return context

    def create_group(self, request):
        """A new peer-review group: refused for a standard without a PGS, nothing saved."""
        from batea.groups.services import IN_GROUP, create_peer_group
        from batea.standards.models import Standard

        data = request.POST
        standard = Standard.objects.filter(pk=_uuid_or_none(data.get("standard"))).first()
        chosen = [m for m in map(_uuid_or_none, data.getlist("members")) if m]
        try:
            group = create_peer_group(
                request.user,
                self.organisation,
                name=data.get("name", ""),
                council=data.get("council", ""),
                standard=standard,
                members=Member.objects.visible_to(request.user).filter(
                    organisation=self.organisation, status__in=IN_GROUP, pk__in=chosen
                ),
            )
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(errors=error.message_dict), status=400
            )
        messages.success(request, _("Peer-review group %(name)s set up.") % {"name": group.name})
        return redirect("pgs", self.organisation.slug)

    def post(self, request, *args, **kwargs):
        from batea.groups.models import PeerGroup
        from batea.groups.services import pgs_refusal, record_peer_visit

        if request.POST.get("form") == "group":
            return self.create_group(request)
        group = get_object_or_404(
            PeerGroup.objects.visible_to(request.user),
            organisation=self.organisation,
            pk=_uuid_or_none(request.POST.get("group")),
        )
        members = {str(m.pk): m for m in group.members.all()}
        visited = members.get(request.POST.get("visited", ""))
        try:
            if request.POST.get("form") == "decision":
                if visited is None:
                    raise ValidationError({"visited": _("Choose a member of the group.")})
                refusal = pgs_refusal(group.standard) if group.standard else None
                if refusal:
                    raise ValidationError({"group": refusal})
                decide(
                    request.user,
                    visited,
                    target=request.POST.get("status", ""),
                    reason=request.POST.get("reason", ""),
                    council=group,
                    decided_on=timezone.localdate(),
                )
            else:
                visitor = members.get(request.POST.get("visitor", ""))
                if visited is None or visitor is None:
                    raise ValidationError({"visited": _("Choose members of the group.")})
                record_peer_visit(
                    request.user,
                    group,
                    visited=visited,
                    visitor=visitor,
                    companion_name=request.POST.get("companion_name", ""),
                    companion_kind=request.POST.get("companion_kind", "other"),
                    visited_on=date.fromisoformat(request.POST.get("visited_on", "")),
                    findings=request.POST.get("findings", ""),
                    recommendation=request.POST.get("recommendation", "approved"),
                )
        except ValueError:
            messages.error(request, _("Enter the date as YYYY-MM-DD."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Recorded."))
        return redirect("pgs", self.organisation.slug)


RULE_OWNER_KINDS = ("support", "standard_owner")  # who keeps risk rule sets


def rules_as_yaml(rules: dict) -> str:
    import yaml

    return yaml.safe_dump(rules, sort_keys=False, allow_unicode=True, default_flow_style=False)


class RiskRuleSetListView(LoginRequiredMixin, TemplateView):
    """Every risk rule set (public reference data), and Batea's defaults."""

    template_name = "groups/risk_rules_list.html"

    def get_context_data(self, **kwargs):
        from batea.access.scoping import organisations_where
        from batea.domain.access import CHANGE, Resource
        from batea.domain.group.risk import DEFAULT_RULES, describe
        from batea.groups.models import RiskRuleSet

        context = super().get_context_data(**kwargs)
        context.update(
            rule_sets=RiskRuleSet.objects.visible_to(self.request.user).select_related(
                "owner", "updated_by"
            ),
            may_create=organisations_where(self.request.user, Resource.RISK_RULES, CHANGE)
            .filter(kind__in=RULE_OWNER_KINDS)
            .exists(),
            default_rules=DEFAULT_RULES,
            default_lines=describe(DEFAULT_RULES),
        )
        return context


class RiskRuleSetDetailView(LoginRequiredMixin, TemplateView):
    template_name = "groups/risk_rules_detail.html"

    def get_context_data(self, **kwargs):
        from batea.access.scoping import can
        from batea.domain.access import CHANGE
        from batea.domain.group.risk import describe
        from batea.groups.models import RiskRuleSet

        context = super().get_context_data(**kwargs)
        rule_set = get_object_or_404(
            RiskRuleSet.objects.visible_to(self.request.user).select_related("owner", "updated_by"),
            pk=kwargs["rule_set_id"],
        )
        context.update(
            rule_set=rule_set,
            lines=describe(rule_set.rules),
            text=rules_as_yaml(rule_set.rules),
            may_change=can(self.request.user, rule_set, CHANGE),
        )
        return context


class RiskRuleSetFormView(LoginRequiredMixin, TemplateView):
    """Write or change a rule set as YAML or JSON; every problem is shown with its path and
    line, and nothing is saved until there is none."""

    template_name = "groups/risk_rules_form.html"

    def dispatch(self, request, *args, **kwargs):
        from batea.access.scoping import can, organisations_where
        from batea.domain.access import CHANGE, Resource
        from batea.groups.models import RiskRuleSet

        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.rule_set = None
        self.owners = organisations_where(request.user, Resource.RISK_RULES, CHANGE).filter(
            kind__in=RULE_OWNER_KINDS
        )
        if "rule_set_id" in kwargs:
            self.rule_set = get_object_or_404(
                RiskRuleSet.objects.visible_to(request.user).select_related("owner"),
                pk=kwargs["rule_set_id"],
            )
            if not can(request.user, self.rule_set, CHANGE):
                raise PermissionDenied
        elif not self.owners.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from batea.domain.group.risk import DEFAULT_RULES

        context = super().get_context_data(**kwargs)
        rule_set = self.rule_set
        data = self.request.POST
        context.update(
            rule_set=rule_set,
            owners=self.owners,
            errors=kwargs.get("errors", {}),
            title=data.get("title", rule_set.title if rule_set else ""),
            owner_id=data.get("owner", str(rule_set.owner_id) if rule_set else ""),
            text=data.get("rules", rules_as_yaml(rule_set.rules if rule_set else DEFAULT_RULES)),
        )
        return context

    def post(self, request, *args, **kwargs):
        from batea.groups.services import save_rule_set

        owner = self.owners.filter(pk=_uuid_or_none(request.POST.get("owner"))).first()
        try:
            rule_set = save_rule_set(
                request.user,
                owner=owner,
                title=request.POST.get("title", ""),
                text=request.POST.get("rules", ""),
                rule_set=self.rule_set,
            )
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(errors=error.message_dict), status=400
            )
        except PermissionDenied as error:
            return self.render_to_response(
                self.get_context_data(errors={"owner": [str(error)]}), status=400
            )
        messages.success(request, _("Risk rules saved."))
        return redirect("risk-rules-detail", rule_set.pk)
