"""The premium fund page and its PDF report.

Who reads an organisation's fund and who changes it is `Resource.PREMIUM` through
`batea.access.scoping`: the page answers 404 to anyone who may not read it, 403 to a
change by someone who may only read. The forms of the page post back to it, each with an
`action`; the services check the rules.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import organisations_where
from batea.custody import fund as services
from batea.custody.fund_forms import (
    ApprovalForm,
    CommitteeMemberForm,
    DisbursementForm,
    EndCommitteeMemberForm,
    PlanForm,
    ProjectFormSet,
    ReceiptForm,
)
from batea.custody.models import Disbursement, PremiumFund, PremiumReceipt
from batea.domain.access import CHANGE, VIEW, Resource

RECENT = 25  # receipts and disbursements listed on the page (the PDF lists them all)


def organisation_for(request, slug: str, action: str = VIEW):
    """An organisation whose premium fund the user may read (or change), else 404."""
    return get_object_or_404(organisations_where(request.user, Resource.PREMIUM, action), slug=slug)


def stored_fund(user, organisation) -> PremiumFund:
    """The organisation's fund as the user may see it; an empty, unsaved one if it has none
    yet (reading a page never creates it)."""
    fund = PremiumFund.objects.visible_to(user).filter(organisation=organisation).first()
    return fund or PremiumFund(organisation=organisation)


def fund_context(user, organisation, fund: PremiumFund) -> dict:
    report = services.fund_report(fund)
    receipts = disbursements = []
    if services.is_stored(fund):
        receipts = (
            PremiumReceipt.objects.visible_to(user)
            .filter(fund=fund)
            .select_related("sale__lot")
            .order_by("-received_on", "-amount")
        )
        disbursements = (
            Disbursement.objects.visible_to(user)
            .filter(project__plan__fund=fund)
            .select_related("project", "recorded_by")
            .order_by("-paid_on", "-amount")
        )
    pending = list(services.pending_sales(organisation))
    return {
        "organisation": organisation,
        "fund": fund,
        "report": report,
        "receipts": receipts,
        "disbursements": disbursements,
        "pending": pending,
        "pending_total": sum(sale.premium_owed for sale in pending),
    }


class FundView(LoginRequiredMixin, TemplateView):
    """The premium fund dashboard: balance, receipts, plans and their projects, the
    committee, women's share, and for managers the forms that change them."""

    template_name = "custody/fund.html"
    forms = {
        "receipt": "receipt_form",
        "member": "member_form",
        "member-end": "end_form",
        "plan": "plan_form",
        "approve": "approval_form",
        "disburse": "disbursement_form",
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = organisation_for(request, kwargs["org_slug"])
        self.fund = stored_fund(request.user, self.organisation)
        self.can_change = services.may(request.user, self.organisation, CHANGE)
        return super().dispatch(request, *args, **kwargs)

    def empty_forms(self) -> dict:
        organisation, fund = self.organisation, self.fund
        return {
            "receipt_form": ReceiptForm(organisation=organisation),
            "member_form": CommitteeMemberForm(organisation=organisation),
            "end_form": EndCommitteeMemberForm(fund=fund),
            "plan_form": PlanForm(),
            "project_formset": ProjectFormSet(prefix="projects"),
            "approval_form": ApprovalForm(fund=fund),
            "disbursement_form": DisbursementForm(fund=fund),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(fund_context(self.request.user, self.organisation, self.fund))
        context["receipts"] = context["receipts"][:RECENT]
        context["disbursements"] = context["disbursements"][:RECENT]
        context["can_change"] = self.can_change
        context["today"] = timezone.localdate()
        if self.can_change:
            context.update(self.empty_forms())
            context.update(kwargs.get("bound", {}))
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_change:
            raise PermissionDenied(_("Your role does not allow managing this premium fund."))
        action = request.POST.get("action", "")
        handler = getattr(self, f"post_{action.replace('-', '_')}", None)
        if action not in self.forms or handler is None:
            messages.error(request, _("Unknown action."))
            return redirect("premium-fund", self.organisation.slug)
        bound = handler(request)
        if bound is None:
            messages.success(request, _("Saved."))
            return redirect("premium-fund", self.organisation.slug)
        return self.render_to_response(self.get_context_data(bound=bound), status=400)

    # Each handler returns None when saved, else the bound forms to show with their errors.

    def _run(self, form, operation, extra: dict | None = None):
        try:
            operation(form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return {**(extra or {}), self.forms[self.request.POST["action"]]: form}
        return None

    def post_receipt(self, request):
        form = ReceiptForm(request.POST, organisation=self.organisation)
        if not form.is_valid():
            return {"receipt_form": form}
        return self._run(
            form,
            lambda data: services.record_receipt(
                request.user, data["sale"], data["amount"], data["received_on"]
            ),
        )

    def post_member(self, request):
        form = CommitteeMemberForm(request.POST, organisation=self.organisation)
        if not form.is_valid():
            return {"member_form": form}
        return self._run(
            form,
            lambda data: services.add_committee_member(
                request.user,
                services.fund_of(self.organisation),
                data["name"],
                data["represents"],
                data["since"],
                gender=data["gender"],
                member=data["member"],
            ),
        )

    def post_member_end(self, request):
        form = EndCommitteeMemberForm(request.POST, fund=self.fund)
        if not form.is_valid():
            return {"end_form": form}
        return self._run(
            form,
            lambda data: services.end_committee_member(request.user, data["person"], data["until"]),
        )

    def post_plan(self, request):
        form = PlanForm(request.POST)
        formset = ProjectFormSet(request.POST, prefix="projects")
        if not (form.is_valid() and formset.is_valid()):
            return {"plan_form": form, "project_formset": formset}
        projects = [
            (row["title"], row["budget"], row.get("beneficiaries") or 0, row.get("women") or 0)
            for row in formset.cleaned_data
            if row.get("title")
        ]
        return self._run(
            form,
            lambda data: services.propose_plan(
                request.user,
                services.fund_of(self.organisation),
                data["title"],
                data["goals"],
                data["starts_on"],
                data["ends_on"],
                projects,
            ),
            {"project_formset": formset},
        )

    def post_approve(self, request):
        form = ApprovalForm(request.POST, fund=self.fund)
        if not form.is_valid():
            return {"approval_form": form}
        return self._run(
            form,
            lambda data: services.approve_plan(
                request.user, data["plan"], list(data["members_present"]), data["approved_on"]
            ),
        )

    def post_disburse(self, request):
        form = DisbursementForm(request.POST, fund=self.fund)
        if not form.is_valid():
            return {"disbursement_form": form}
        return self._run(
            form,
            lambda data: services.disburse(
                request.user, data["project"], data["amount"], data["paid_on"], data["note"]
            ),
        )


class FundPdfView(LoginRequiredMixin, View):
    """The fund report as a PDF, in the reader's language."""

    def get(self, request, org_slug):
        from weasyprint import HTML

        organisation = organisation_for(request, org_slug)
        context = fund_context(request.user, organisation, stored_fund(request.user, organisation))
        context["generated_at"] = timezone.now()
        html = render_to_string("custody/fund_report.html", context, request=request)
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{org_slug}-premium-fund.pdf"'
        return response
