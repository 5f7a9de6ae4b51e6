"""Pages: the pathway, assessment entry one requirement at a time, the action board."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import can, organisations_where
from batea.assessments import pathway, services
from batea.assessments.forms import ActionForm, AnswerForm, NewAssessmentForm
from batea.assessments.models import VALUE_LABELS, Answer, Assessment, NonConformity
from batea.assessments.reporting import standard_data
from batea.domain.access import CHANGE, VIEW, Resource
from batea.domain.pathway.engine import VALUES
from batea.domain.pathway.ladder import current_rung
from batea.domain.standards.catalogue import text
from batea.registry.models import Member, Site


def organisation_for(request, slug: str, action: str = VIEW):
    """An organisation whose assessments the user may read (or change)."""
    return get_object_or_404(
        organisations_where(request.user, Resource.ASSESSMENT, action), slug=slug
    )


def name_failing_subjects(user, standards: list[dict], shown: int = 10) -> None:
    """Replace the ids of members and sites that do not comply by the names the user may
    see (at most `shown` per requirement), in two queries."""
    ids = {
        subject
        for item in standards
        for level in item["levels"]
        for blocker in level["blocking"]
        for subject in blocker["failing"][:shown]
    }
    names = {
        str(pk): f"{given} {family}".strip()
        for pk, given, family in Member.objects.visible_to(user)
        .filter(id__in=ids)
        .values_list("id", "given_name", "family_name")
    }
    names.update(
        {
            str(pk): name
            for pk, name in Site.objects.visible_to(user)
            .filter(id__in=ids)
            .values_list("id", "name")
        }
    )
    for item in standards:
        for level in item["levels"]:
            for blocker in level["blocking"]:
                blocker["failing_names"] = [
                    names[s] for s in blocker["failing"][:shown] if s in names
                ]


def pathway_context(organisation, user, on=None) -> dict:
    ladder = pathway.default_ladder()
    language = (get_language() or "en")[:2]
    rungs = pathway.evaluate_ladder_for(organisation, ladder, on) if ladder else []
    standards = [
        standard_data(result, language)
        for result in {r.standard.standard: r.standard for r in rungs}.values()
    ]
    name_failing_subjects(user, standards)
    return {
        "organisation": organisation,
        "ladder": ladder,
        "rungs": [
            {
                "title": text(r.level.level.title, language),
                "standard": text(r.rung.catalogue.title, language),
                "met": r.met,
                "standard_id": r.rung.catalogue.id,
                "level_id": r.rung.level,
            }
            for r in rungs
        ],
        "climbed": current_rung(rungs),
        "standards": standards,
        "evaluated_on": on or timezone.localdate(),
        "findings": NonConformity.objects.visible_to(user)
        .filter(organisation=organisation, status="open")
        .select_related("requirement")
        .prefetch_related("actions")[:50],
        "open_findings": NonConformity.objects.filter(
            organisation=organisation, status="open"
        ).count(),
        "overdue_findings": NonConformity.objects.filter(
            organisation=organisation, status="open", due_on__lt=timezone.localdate()
        ).count(),
    }


class PathwayView(LoginRequiredMixin, TemplateView):
    template_name = "assessments/pathway.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = organisation_for(self.request, kwargs["org_slug"])
        context.update(pathway_context(organisation, self.request.user))
        return context


class PathwayPdfView(LoginRequiredMixin, View):
    """The gap and audit report as a PDF, in the reader's language."""

    def get(self, request, org_slug):
        from weasyprint import HTML

        context = pathway_context(organisation_for(request, org_slug), request.user)
        context["generated_at"] = timezone.now()
        html = render_to_string("assessments/pathway_report.html", context, request=request)
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{org_slug}-pathway.pdf"'
        return response


def with_answer_counts(assessments: list[Assessment]) -> list[Assessment]:
    """Set `answer_count` (current answers) on each assessment, in one grouped query."""
    counts = dict(
        Answer.objects.filter(assessment__in=assessments, current=True)
        .values_list("assessment_id")
        .annotate(n=Count("id"))
    )
    for assessment in assessments:
        assessment.answer_count = counts.get(assessment.pk, 0)
    return assessments


class AssessmentListView(LoginRequiredMixin, TemplateView):
    template_name = "assessments/assessment_list.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = organisation_for(request, kwargs["org_slug"])
        self.kinds = services.assessable_kinds(request.user, self.organisation)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assessments = (
            Assessment.objects.visible_to(self.request.user)
            .filter(organisation=self.organisation)
            .select_related("version__standard", "member", "site", "assessor")
            .order_by("-assessed_on", "-created_at")
        )
        # Count and page the assessments alone; answers are counted for the page's 50 only
        # (a count over the join with every answer took seconds for a group of 50,000).
        page = Paginator(assessments, 50).get_page(self.request.GET.get("page"))
        page.object_list = with_answer_counts(list(page.object_list))
        context.update(
            organisation=self.organisation,
            page_obj=page,
            assessments=page.object_list,
            form=kwargs.get("form")
            or (
                NewAssessmentForm(organisation=self.organisation, kinds=self.kinds)
                if self.kinds
                else None
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = NewAssessmentForm(request.POST, organisation=self.organisation, kinds=self.kinds)
        if form.is_valid():
            try:
                assessment = services.start_assessment(
                    request.user,
                    self.organisation,
                    form.cleaned_data["version"],
                    form.cleaned_data["kind"],
                    form.cleaned_data["assessed_on"],
                    member=form.cleaned_data["member"],
                    site=form.cleaned_data["site"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("assessment-entry", assessment.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AssessmentEntryView(LoginRequiredMixin, TemplateView):
    """One requirement at a time; each answer is saved before the next one is shown."""

    template_name = "assessments/entry.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.assessment = get_object_or_404(
            Assessment.objects.visible_to(request.user).select_related(
                "organisation", "version__standard", "member", "site"
            ),
            pk=kwargs["assessment_id"],
        )
        self.requirements = list(services.applicable_requirements(self.assessment))
        try:
            self.step = min(
                max(int(request.GET.get("step", 0)), 0), max(len(self.requirements) - 1, 0)
            )
        except ValueError:
            self.step = 0
        self.editable = can(request.user, self.assessment, CHANGE) and services.may_record(
            request.user, self.assessment.organisation, self.assessment.kind
        )
        return super().dispatch(request, *args, **kwargs)

    def value_choices(self, requirement):
        if requirement.scoring == "scale_1_5":
            return [("not_applicable", VALUE_LABELS["not_applicable"])]
        return [(v, VALUE_LABELS[v]) for v in VALUES]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        answers = {
            a.requirement_id: a
            for a in Answer.objects.filter(assessment=self.assessment, current=True)
        }
        requirement = self.requirements[self.step] if self.requirements else None
        current = answers.get(requirement.pk) if requirement else None
        form = kwargs.get("form")
        if form is None and requirement is not None:
            initial = (
                {"value": current.value, "score": current.score, "notes": current.notes}
                if current
                else {}
            )
            form = AnswerForm(initial=initial, value_choices=self.value_choices(requirement))
        context.update(
            assessment=self.assessment,
            requirement=requirement,
            answer=current,
            form=form,
            step=self.step,
            total=len(self.requirements),
            answered=len(answers),
            progress=round(100 * len(answers) / len(self.requirements))
            if self.requirements
            else 100,
            previous_step=self.step - 1 if self.step > 0 else None,
            next_step=self.step + 1 if self.step + 1 < len(self.requirements) else None,
            editable=self.editable,
            overview=[(i, r, answers.get(r.pk)) for i, r in enumerate(self.requirements)],
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.editable:
            raise PermissionDenied
        requirement = self.requirements[self.step]
        form = AnswerForm(
            request.POST, request.FILES, value_choices=self.value_choices(requirement)
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_answer(
                    request.user,
                    self.assessment,
                    requirement,
                    services.AnswerInput(
                        value=data["value"],
                        score=data["score"],
                        notes=data["notes"],
                        evidence=data["evidence"],
                        reason=data["reason"],
                        latitude=data["latitude"],
                        longitude=data["longitude"],
                    ),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                url = reverse("assessment-entry", args=[self.assessment.pk])
                next_step = self.step + 1 if self.step + 1 < len(self.requirements) else self.step
                messages.success(request, _("Saved."))
                return redirect(f"{url}?step={next_step}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SubmitAssessmentView(LoginRequiredMixin, View):
    """Submit a draft, or (with `review`) mark a submitted external audit as reviewed."""

    def post(self, request, assessment_id):
        assessment = get_object_or_404(
            Assessment.objects.visible_to(request.user), pk=assessment_id
        )
        try:
            if request.POST.get("review"):
                services.review(request.user, assessment)
                messages.success(request, _("Reviewed."))
            else:
                findings = services.submit(request.user, assessment)
                messages.success(
                    request,
                    _("Submitted; %(count)s finding(s) raised.") % {"count": len(findings)},
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error) or _("Your role does not allow this."))
        return redirect("assessment-entry", assessment.pk)


INLINE_EVIDENCE = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


class EvidenceView(LoginRequiredMixin, View):
    """An answer's evidence file, to those who may read the assessment."""

    def get(self, request, answer_id):
        from django.http import FileResponse

        from batea.access.uploads import HEAD_BYTES, sniff

        answer = get_object_or_404(
            Answer.objects.visible_to(request.user).exclude(evidence=""), pk=answer_id
        )
        evidence = answer.evidence.open("rb")
        kind = sniff(evidence.read(HEAD_BYTES))
        evidence.seek(0)
        filename = answer.evidence.name.rsplit("/", 1)[-1]
        if kind in INLINE_EVIDENCE:  # shown in the browser as what its bytes say it is
            return FileResponse(evidence, content_type=INLINE_EVIDENCE[kind], filename=filename)
        # Anything else (e.g. stored before uploads were checked) is only downloaded, never
        # rendered as a page of this site.
        return FileResponse(
            evidence,
            as_attachment=True,
            content_type="application/octet-stream",
            filename=filename,
        )


class ActionBoardView(LoginRequiredMixin, TemplateView):
    """Findings and their corrective actions, filterable by owner, severity and due date."""

    template_name = "assessments/action_board.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = organisation_for(request, kwargs["org_slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        findings = (
            NonConformity.objects.visible_to(self.request.user)
            .filter(organisation=self.organisation)
            .select_related("requirement")
            .prefetch_related("actions__owner")
        )
        chosen = {k: self.request.GET.get(k, "") for k in ("severity", "owner", "due", "status")}
        findings = findings.filter(status=chosen["status"] or "open")
        if chosen["severity"]:
            findings = findings.filter(severity=chosen["severity"])
        if chosen["owner"].isdigit():
            findings = findings.filter(actions__owner_id=int(chosen["owner"])).distinct()
        if chosen["due"] == "overdue":
            findings = findings.filter(due_on__lt=today)
        elif chosen["due"] == "30":
            findings = findings.filter(due_on__lte=today + timezone.timedelta(days=30))
        page = Paginator(findings, 30).get_page(self.request.GET.get("page"))
        context.update(
            organisation=self.organisation,
            page_obj=page,
            findings=page.object_list,
            chosen=chosen,
            today=today,
            can_change=organisations_where(self.request.user, Resource.ASSESSMENT, CHANGE)
            .filter(pk=self.organisation.pk)
            .exists(),
            action_form=ActionForm(organisation=self.organisation),
            owners=ActionForm(organisation=self.organisation).fields["owner"].queryset,
        )
        return context


class ActionChangeView(LoginRequiredMixin, View):
    """Plan, complete or verify a corrective action from the board."""

    def post(self, request, org_slug, nonconformity_id, operation):
        organisation = organisation_for(request, org_slug, CHANGE)
        finding = get_object_or_404(
            NonConformity.objects.visible_to(request.user),
            organisation=organisation,
            pk=nonconformity_id,
        )
        try:
            if operation == "plan":
                form = ActionForm(request.POST, organisation=organisation)
                if not form.is_valid():
                    raise ValidationError(form.errors.get_json_data())
                services.add_action(
                    request.user,
                    finding,
                    form.cleaned_data["description"],
                    form.cleaned_data["owner"],
                    form.cleaned_data["due_on"],
                )
            else:
                action = get_object_or_404(finding.actions, pk=request.POST.get("action"))
                if operation == "complete":
                    services.complete_action(request.user, action, request.POST.get("evidence", ""))
                elif operation == "verify":
                    services.verify_action(request.user, action)
                else:
                    raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(str(m) for m in error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error) or _("Your role does not allow this."))
        else:
            messages.success(request, _("Saved."))
        return redirect("action-board", organisation.slug)
