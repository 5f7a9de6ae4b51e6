"""The field data page of an organisation: forms to download, templates, imports and
exports. Every lookup goes through `visible_to` / `organisations_where`."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from batea.access.scoping import organisations_where
from batea.access.uploads import too_large, upload_limit, upload_problem
from batea.assessments.services import assessable_kinds
from batea.domain.access import VIEW, Resource
from batea.domain.fielddata.cells import shorten
from batea.domain.fielddata.tables import sniff_kind
from batea.domain.fielddata.xlsform import SCOPES
from batea.fielddata import exports
from batea.fielddata.models import ImportRun
from batea.fielddata.records import import_records, may_import, template_workbook
from batea.fielddata.sitedata import import_site_data
from batea.fielddata.submissions import import_submissions
from batea.fielddata.xlsform import FormCheckError, csv_bytes, generate, subjects_of
from batea.registry.models import Organisation
from batea.standards.models import StandardVersion

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_MAPPING_BYTES = 256 * 1024
MAX_PROBLEMS_SHOWN = 1_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_KINDS = {
    "submissions": gettext_lazy("Form submissions (KoboToolbox / ODK export)"),
    "members": gettext_lazy("Members (template)"),
    "sites": gettext_lazy("Sites (template)"),
    "licences": gettext_lazy("Licences (template)"),
    "lots": gettext_lazy("Lots (template)"),
    "site_data": gettext_lazy("Third-party site data (CSV or GeoJSON, with its mapping)"),
}
ACCEPTED = {
    "submissions": ("csv", "xlsx", "json"),
    "members": ("csv", "xlsx"),
    "sites": ("csv", "xlsx"),
    "licences": ("csv", "xlsx"),
    "lots": ("csv", "xlsx"),
    "site_data": ("csv", "json"),
}
TEMPLATE_KINDS = ("members", "sites", "licences", "lots")
EXTENSIONS = {"csv": (".csv", ".txt"), "xlsx": (".xlsx",), "json": (".json", ".geojson")}
DATASET_RESOURCES = {
    "members": Resource.MEMBER,
    "sites": Resource.SITE,
    "assessments": Resource.ASSESSMENT,
    "actions": Resource.ASSESSMENT,
    "lots": Resource.CUSTODY,
}
DATASET_LABELS = {
    "members": gettext_lazy("Members"),
    "sites": gettext_lazy("Sites"),
    "assessments": gettext_lazy("Assessments and answers"),
    "actions": gettext_lazy("Non-conformities and corrective actions"),
    "lots": gettext_lazy("Lots"),
}
SCOPE_LABELS = {
    "member": gettext_lazy("Member inspection"),
    "site": gettext_lazy("Site inspection"),
    "organisation": gettext_lazy("Organisation self-assessment"),
}


def _allowed(user, organisation, resource, action=VIEW) -> bool:
    return organisations_where(user, resource, action).filter(pk=organisation.pk).exists()


def importable(user, organisation) -> list[tuple[str, str]]:
    kinds = []
    if assessable_kinds(user, organisation):
        kinds.append("submissions")
    for template in TEMPLATE_KINDS:
        if may_import(user, organisation, template):
            kinds.append(template)
    if may_import(user, organisation, "sites"):
        kinds.append("site_data")
    return [(kind, IMPORT_KINDS[kind]) for kind in kinds]


class OrganisationPage(LoginRequiredMixin, TemplateView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = get_object_or_404(
            Organisation.objects.visible_to(request.user), slug=kwargs["org_slug"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.organisation
        return context


class FieldDataHomeView(LoginRequiredMixin, TemplateView):
    """The organisations whose field data the user works with."""

    template_name = "fielddata/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisations"] = Organisation.objects.visible_to(self.request.user).filter(
            kind="asmo"
        )
        return context


class FieldDataView(OrganisationPage):
    template_name = "fielddata/page.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, organisation = self.request.user, self.organisation
        template_kinds = [kind for kind in TEMPLATE_KINDS if may_import(user, organisation, kind)]
        context.update(
            versions=StandardVersion.objects.exclude(status="retired")
            .select_related("standard")
            .order_by("standard__code", "-imported_at"),
            scopes=[(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
            import_kinds=importable(user, organisation),
            templates=[(kind, IMPORT_KINDS[kind]) for kind in template_kinds],
            template_kinds=template_kinds,
            datasets=[
                (name, DATASET_LABELS[name], exports.parts_of(name))
                for name, resource in DATASET_RESOURCES.items()
                if _allowed(user, organisation, resource)
            ],
            runs=ImportRun.objects.visible_to(user)
            .filter(organisation=organisation)
            .select_related("user")[:10],
            max_upload_mb=upload_limit(MAX_UPLOAD_BYTES) // 2**20,
        )
        return context

    def post(self, request, *args, **kwargs):
        organisation = self.organisation
        kind = request.POST.get("kind", "")
        allowed = dict(importable(request.user, organisation))
        if kind not in IMPORT_KINDS:
            return self._refuse(_("Choose what the file contains."))
        if kind not in allowed:
            raise PermissionDenied(_("Your role does not allow this import here."))
        upload = request.FILES.get("file")
        if upload is None:
            return self._refuse(_("Choose a file to import."))
        if upload.size > upload_limit(MAX_UPLOAD_BYTES):
            return self._refuse(too_large(upload_limit(MAX_UPLOAD_BYTES)))
        name = upload.name or "upload"
        content = upload.read()
        detected = sniff_kind(content, name)
        if detected == "xls":
            return self._refuse(_("This is the old .xls format; save it as .xlsx or CSV."))
        if detected not in ACCEPTED[kind] or not name.lower().endswith(EXTENSIONS[detected]):
            return self._refuse(
                _("This import takes %(types)s files; %(name)s is not one.")
                % {"types": ", ".join(ACCEPTED[kind]).upper(), "name": shorten(name, 60)}
            )
        if kind == "submissions":
            report = import_submissions(
                request.user,
                organisation,
                content,
                name,
                remap_retired=bool(request.POST.get("map_retired")),
            )
        elif kind == "site_data":
            mapping = request.FILES.get("mapping")
            if mapping is None:
                return self._refuse(_("Third-party site data needs its mapping file (YAML)."))
            problem = upload_problem(
                mapping, limit=MAX_MAPPING_BYTES, extensions=(".yaml", ".yml"), text=True
            )
            if problem:
                return self._refuse(problem)
            report = import_site_data(
                request.user, organisation, content, name, mapping.read(), mapping.name
            )
        else:
            report = import_records(request.user, organisation, kind, content, name)
        return self.render_result(report)

    def _refuse(self, message: str):
        context = self.get_context_data()
        context["upload_error"] = message
        return self.render_to_response(context, status=400)

    def render_result(self, report):
        problems = [_problem_row(p) for p in report.problems[:MAX_PROBLEMS_SHOWN]]
        notes = [_problem_row(p) for p in report.notes[:MAX_PROBLEMS_SHOWN]]
        context = {
            "organisation": self.organisation,
            "report": report,
            "kind_label": IMPORT_KINDS.get(report.kind, report.kind),
            "problems": problems,
            "hidden_problems": max(0, len(report.problems) - MAX_PROBLEMS_SHOWN),
            "notes": notes,
            "created": report.created[:200],
            "updated": report.updated[:200],
        }
        return self.response_class(
            request=self.request,
            template="fielddata/result.html",
            context=context,
            status=200 if report.ok else 400,
        )


def _problem_row(problem) -> dict:
    params = dict(problem.params)
    template = _(problem.template)
    try:
        message = template % params if params else template
    except (KeyError, ValueError, TypeError):
        message = problem.message
    return {
        "row": problem.line or "",
        "column": problem.path,
        "value": params.get("value", ""),
        "message": message,
        "file": problem.source,
    }


class XLSFormView(OrganisationPage):
    """With `version` and `scope`: the XLSForm; without: the page to choose them."""

    template_name = "fielddata/xlsform.html"

    def get(self, request, *args, **kwargs):
        version_id, scope = request.GET.get("version"), request.GET.get("scope")
        if not version_id or scope not in SCOPES:
            return super().get(request, *args, **kwargs)
        version = StandardVersion.objects.filter(pk=_uuid(version_id)).first()
        if version is None:
            return super().get(request, *args, **kwargs)
        subjects = request.GET.get("subjects", "auto")
        try:
            generated = generate(
                version,
                scope,
                organisation=self.organisation,
                user=request.user,
                subjects=subjects if subjects in ("auto", "list", "file") else "auto",
            )
        except FormCheckError as error:
            context = self.get_context_data(form_errors=error.messages)
            return self.render_to_response(context, status=500)
        response = HttpResponse(generated.xlsx, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{generated.filename}"'
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            versions=StandardVersion.objects.exclude(status="retired")
            .select_related("standard")
            .order_by("standard__code", "-imported_at"),
            scopes=[(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
        )
        return context


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class SubjectsCsvView(OrganisationPage):
    """members.csv or sites.csv (name,label) to attach to a form on the server."""

    def get(self, request, *args, **kwargs):
        scope = request.GET.get("scope", "member")
        if scope not in ("member", "site"):
            scope = "member"
        subjects = subjects_of(self.organisation, scope, request.user)
        if subjects is None:
            raise PermissionDenied
        from batea.domain.fielddata.xlsform import SUBJECT_LISTS, subjects_csv_rows

        response = HttpResponse(
            csv_bytes(subjects_csv_rows(subjects)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{SUBJECT_LISTS[scope]}.csv"'
        return response


class TemplateDownloadView(OrganisationPage):
    def get(self, request, *args, **kwargs):
        kind = request.GET.get("kind", "members")
        if kind not in TEMPLATE_KINDS:
            kind = "members"
        if not may_import(request.user, self.organisation, kind):
            raise PermissionDenied
        response = HttpResponse(template_workbook(self.organisation, kind), content_type=XLSX_TYPE)
        filename = f"{self.organisation.slug}-{kind}-template.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ExportView(OrganisationPage):
    def get(self, request, *args, **kwargs):
        dataset = request.GET.get("dataset", "members")
        fmt = request.GET.get("format", "xlsx")
        if dataset not in exports.DATASETS or fmt not in exports.FORMATS:
            return HttpResponse(status=400)
        if not _allowed(request.user, self.organisation, DATASET_RESOURCES[dataset]):
            raise PermissionDenied
        slug = self.organisation.slug
        if fmt == "geojson":
            if dataset != "sites":
                return HttpResponse(status=400)
            response = HttpResponse(
                exports.export_geojson(self.organisation, request.user),
                content_type="application/geo+json",
            )
            filename = f"{slug}-sites.geojson"
        elif fmt == "csv":
            part = request.GET.get("part", "")
            if part and part not in exports.parts_of(dataset):
                return HttpResponse(status=400)
            part = part or exports.parts_of(dataset)[0]
            response = HttpResponse(
                exports.export_csv(dataset, self.organisation, request.user, part),
                content_type="text/csv; charset=utf-8",
            )
            filename = f"{slug}-{part}.csv"
        else:
            response = HttpResponse(
                exports.export_xlsx(dataset, self.organisation, request.user),
                content_type=XLSX_TYPE,
            )
            filename = f"{slug}-{dataset}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
