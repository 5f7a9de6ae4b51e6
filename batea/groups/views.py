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

from batea.groups.services import decide
from batea.registry.models import Member
from batea.standards.models import StandardVersion


def sanction_options(member) -> list[tuple[str, str, str]]:
    """(version id, sanction id, title) of the standards the group is assessed against."""
    from batea.standards.models import localized

    versions = StandardVersion.objects.filter(
        assessments__organisation_id=member.organisation_id
    ).distinct()
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
    """The Internal Control System at a glance: coverage, overdue inspections, member risk."""

    template_name = "groups/ics.html"

    def get_context_data(self, **kwargs):
        from batea.access.scoping import organisations_where
        from batea.domain.access import VIEW, Resource
        from batea.groups.services import (
            certification_costs,
            ics_reliability,
            inspection_plan,
            risk_register,
        )

        context = super().get_context_data(**kwargs)
        organisation = get_object_or_404(
            organisations_where(self.request.user, Resource.ASSESSMENT, VIEW).filter(kind="asmo"),
            slug=kwargs["org_slug"],
        )
        today = timezone.localdate()
        register = risk_register(organisation, today)
        audited = (
            StandardVersion.objects.filter(
                assessments__organisation=organisation,
                assessments__kind="audit",
                assessments__member__isnull=False,
            )
            .distinct()
            .select_related("standard")
        )
        reliability = [(version, ics_reliability(organisation, version)) for version in audited]
        context.update(
            organisation=organisation,
            plan=inspection_plan(organisation, today),
            reliability=reliability,
            costs=certification_costs(organisation, today.year),
            register=register[:60],
            register_total=len(register),
            high=sum(1 for _, r in register if r.risk == "high"),
            medium=sum(1 for _, r in register if r.risk == "medium"),
        )
        return context


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

        context = super().get_context_data(**kwargs)
        groups = (
            PeerGroup.objects.visible_to(self.request.user)
            .filter(organisation=self.organisation)
            .prefetch_related("members")
        )
        context.update(
            organisation=self.organisation,
            groups=groups,
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

    def post(self, request, *args, **kwargs):
        from batea.groups.models import PeerGroup
        from batea.groups.services import record_peer_visit

        group = get_object_or_404(
            PeerGroup.objects.visible_to(request.user),
            organisation=self.organisation,
            pk=request.POST.get("group"),
        )
        members = {str(m.pk): m for m in group.members.all()}
        visited = members.get(request.POST.get("visited", ""))
        try:
            if request.POST.get("form") == "decision":
                if visited is None:
                    raise ValidationError({"visited": _("Choose a member of the group.")})
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
