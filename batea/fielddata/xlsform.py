"""XLSForms for ODK Collect and KoboCollect, generated from a standard version and checked
with pyxform (ODK's own converter): a form that pyxform does not convert cleanly, without a
single warning, is never handed out."""

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from batea.access.scoping import organisations_where
from batea.domain.access import VIEW, Resource
from batea.domain.fielddata.cells import neutralise
from batea.domain.fielddata.xlsform import (
    SCOPES,
    Subject,
    XLSForm,
    build_xlsform,
    subjects_csv_rows,
)
from batea.fielddata.workbooks import xlsform_bytes
from batea.registry.models import Member, Site
from batea.standards.models import StandardVersion

# Above this many members or sites, the form reads them from an attached CSV file.
MAX_LISTED_SUBJECTS = 2_000


class FormCheckError(Exception):
    """pyxform refused the generated form or warned about it."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class GeneratedForm:
    form: XLSForm
    xlsx: bytes
    xform: str
    subjects_csv: bytes | None  # members.csv / sites.csv for select_one_from_file

    @property
    def filename(self) -> str:
        return f"{self.form.form_id}.xlsx"


def current_version(code: str, version: str | None = None) -> StandardVersion | None:
    """The named version, else the newest published one (else the newest)."""
    versions = StandardVersion.objects.filter(standard__code=code).select_related("standard")
    if version:
        return versions.filter(version=version).first()
    return (
        versions.filter(status="published").order_by("-imported_at").first()
        or versions.order_by("-imported_at").first()
    )


def subjects_of(organisation, scope: str, user=None) -> list[Subject] | None:
    """Members or sites of the organisation as choices, or None when the user may not see
    them (the form then reads them from a file attached on the server)."""
    if scope == "member":
        if user is not None and not _may_view(user, organisation, Resource.MEMBER):
            return None
        rows = Member.objects.filter(organisation=organisation).exclude(
            status__in=["excluded", "left"]
        )
        return [
            Subject(number, f"{number} · {given} {family}".strip())
            for number, given, family in rows.order_by("member_number").values_list(
                "member_number", "given_name", "family_name"
            )
        ]
    if scope == "site":
        if user is not None and not _may_view(user, organisation, Resource.SITE):
            return None
        return [
            Subject(code, f"{code} · {name}")
            for code, name in Site.objects.filter(organisation=organisation)
            .order_by("site_code")
            .values_list("site_code", "name")
        ]
    return None


def _may_view(user, organisation, resource) -> bool:
    return organisations_where(user, resource, VIEW).filter(pk=organisation.pk).exists()


def generate(
    version: StandardVersion,
    scope: str,
    organisation=None,
    user=None,
    kind: str | None = None,
    subjects: str = "auto",
) -> GeneratedForm:
    """Build, write and check the XLSForm. `subjects`: "list" (choices in the form),
    "file" (an attached CSV) or "auto" (a list up to MAX_LISTED_SUBJECTS)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")
    if (
        organisation is not None
        and user is not None
        and not _may_view(user, organisation, Resource.ORGANISATION)
    ):
        raise PermissionDenied
    listed = subjects_of(organisation, scope, user) if organisation is not None else None
    use_file = subjects == "file" or listed is None or not listed
    if subjects == "auto" and listed is not None and len(listed) > MAX_LISTED_SUBJECTS:
        use_file = True
    form = build_xlsform(
        version.catalogue(),
        scope,
        kind=kind,
        organisation=organisation.slug if organisation is not None else None,
        subjects=None if use_file else listed,
        subjects_file=use_file,
    )
    if form.problems:
        raise FormCheckError([str(p) for p in form.problems])
    xlsx = xlsform_bytes(form)
    xform = check(xlsx)
    subjects_csv = None
    if form.external_file and listed:
        subjects_csv = csv_bytes(subjects_csv_rows(listed))
    return GeneratedForm(form, xlsx, xform, subjects_csv)


def check(xlsx: bytes) -> str:
    """Convert with pyxform; any error or warning raises FormCheckError. Returns the XForm."""
    warnings: list[str] = []
    try:
        result = convert(xlsx, warnings=warnings, file_type=".xlsx")
    except PyXFormError as error:
        raise FormCheckError([str(error)]) from error
    if warnings:
        raise FormCheckError(list(warnings))
    return result.xform


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8")
