"""Reading standards in the user's language, comparing versions, crosswalks, web import."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from batea.access.scoping import organisations_where
from batea.access.uploads import upload_problem
from batea.domain.access import CHANGE, Resource
from batea.domain.standards.compare import compare_requirements
from batea.domain.standards.schema import REQUIREMENT_KINDS, SCOPES
from batea.registry.models import explain
from batea.standards import services
from batea.standards.models import (
    KIND_LABELS,
    SCOPE_LABELS,
    Crosswalk,
    CrosswalkMapping,
    Requirement,
    Standard,
    StandardVersion,
)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
YAML_EXTENSIONS = (".yaml", ".yml")


def importing_organisations(user):
    """Standard-owner organisations in which the user may publish versions."""
    return organisations_where(user, Resource.STANDARD, CHANGE).filter(kind="standard_owner")


class StandardListView(LoginRequiredMixin, TemplateView):
    template_name = "standards/standard_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        versions = (
            StandardVersion.objects.visible_to(user)
            .annotate(requirement_count=Count("requirements"))
            .order_by("-imported_at")
        )
        context["standards"] = (
            Standard.objects.visible_to(user)
            .select_related("owner")
            .prefetch_related(Prefetch("versions", queryset=versions))
        )
        context["crosswalks"] = (
            Crosswalk.objects.visible_to(user)
            .select_related("source__standard", "target__standard")
            .annotate(mapping_count=Count("mappings"))
        )
        context["can_import"] = importing_organisations(user).exists()
        return context


def visible_version(request, code: str, version: str) -> StandardVersion:
    return get_object_or_404(
        StandardVersion.objects.visible_to(request.user).select_related("standard__owner"),
        standard__code=code,
        version=version,
    )


class StandardVersionView(LoginRequiredMixin, TemplateView):
    """One version: chapters and requirements (filterable), levels, policies, crosswalks."""

    template_name = "standards/version_detail.html"
    filters = ("applies_to", "kind", "year", "variant", "q")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = visible_version(self.request, kwargs["code"], kwargs["version"])
        chosen = {key: self.request.GET.get(key, "") for key in self.filters}
        requirements = filter_requirements(
            Requirement.objects.visible_to(self.request.user).filter(version=version), chosen
        )
        chapters: list[dict] = []
        for requirement in requirements:
            if not chapters or chapters[-1]["id"] != requirement.chapter:
                chapters.append(
                    {
                        "id": requirement.chapter,
                        "title": requirement.display_chapter,
                        "requirements": [],
                    }
                )
            chapters[-1]["requirements"].append(requirement)
        document = version.document
        context.update(
            version=version,
            standard=version.standard,
            document=document,
            meta=document["standard"],
            chapters=chapters,
            requirement_total=sum(len(c["requirements"]) for c in chapters),
            chosen=chosen,
            scopes=[(s, SCOPE_LABELS[s]) for s in SCOPES],
            kinds=[(k, KIND_LABELS[k]) for k in REQUIREMENT_KINDS],
            years=sorted({r.binding_year for r in version.catalogue().requirements}),
            variants=document.get("variants", []),
            levels=document["levels"],
            other_versions=StandardVersion.objects.visible_to(self.request.user)
            .filter(standard=version.standard)
            .exclude(pk=version.pk),
            crosswalks=Crosswalk.objects.visible_to(self.request.user)
            .filter(Q(source=version) | Q(target=version))
            .select_related("source__standard", "target__standard"),
        )
        return context


def filter_requirements(requirements, chosen: dict):
    if chosen.get("applies_to"):
        requirements = requirements.filter(applies_to=chosen["applies_to"])
    if chosen.get("kind"):
        requirements = requirements.filter(kind=chosen["kind"])
    if chosen.get("year", "").isdigit():
        requirements = requirements.filter(binding_year__lte=int(chosen["year"]))
    if chosen.get("q"):
        query = chosen["q"]
        requirements = requirements.filter(Q(code__icontains=query) | Q(title__icontains=query))
    rows = list(requirements.order_by("order"))
    if chosen.get("variant"):
        rows = [r for r in rows if not r.variants or chosen["variant"] in r.variants]
    return rows


class CompareVersionsView(LoginRequiredMixin, TemplateView):
    template_name = "standards/compare.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        standard = get_object_or_404(
            Standard.objects.visible_to(self.request.user), code=kwargs["code"]
        )
        versions = list(
            StandardVersion.objects.visible_to(self.request.user)
            .filter(standard=standard)
            .order_by("imported_at")
        )
        by_name = {v.version: v for v in versions}
        old = by_name.get(self.request.GET.get("from")) or (versions[0] if versions else None)
        new = by_name.get(self.request.GET.get("to")) or (versions[-1] if versions else None)
        diff = None
        if old and new:
            diff = compare_requirements(old.catalogue().requirements, new.catalogue().requirements)
        context.update(standard=standard, versions=versions, old=old, new=new, diff=diff)
        return context


class CrosswalkView(LoginRequiredMixin, TemplateView):
    template_name = "standards/crosswalk.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        crosswalk = get_object_or_404(
            Crosswalk.objects.visible_to(self.request.user).select_related(
                "source__standard", "target__standard"
            ),
            code=kwargs["code"],
        )
        context.update(
            crosswalk=crosswalk,
            mappings=CrosswalkMapping.objects.filter(crosswalk=crosswalk)
            .select_related("source", "target")
            .order_by("source__order", "target__order"),
        )
        return context


class ImportForm(forms.Form):
    files = forms.FileField(
        label=gettext_lazy("Catalogue or crosswalk files (YAML)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )
    organisation = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Publish as"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = importing_organisations(user)


class ImportView(LoginRequiredMixin, TemplateView):
    """Standard owners upload a new version; every problem is listed and nothing is kept."""

    template_name = "standards/import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not importing_organisations(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm(user=self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["files"]
        problem = upload_problem(
            upload, limit=MAX_UPLOAD_BYTES, extensions=YAML_EXTENSIONS, text=True
        )
        if problem:
            form.add_error("files", problem)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        report = services.import_files(
            [(upload.name, upload.read())],
            user=request.user,
            owner=form.cleaned_data["organisation"],
        )
        if not report.ok:
            problems = [(p.location, explain_located(p)) for p in report.problems]
            return self.render_to_response(
                self.get_context_data(form=form, problems=problems), status=400
            )
        for label in report.created:
            messages.success(request, _("Imported %(label)s.") % {"label": label})
        for label in report.unchanged:
            messages.info(
                request, _("%(label)s was already imported; nothing changed.") % {"label": label}
            )
        return redirect("standard-list")


def explain_located(problem) -> str:
    """The problem's message in the current language, without its location."""
    return explain(type(problem)("", problem.template, problem.params))
