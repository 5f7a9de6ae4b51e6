"""Members, sites, licences and produced lots from spreadsheets: templates in the user's
language with an instructions sheet and dropdowns, and imports that upsert by the
organisation's own ids (lots: recorded once, never edited; see `batea.fielddata.lots`).

An import is all or nothing: the file is read and every row checked (types, allowed values,
duplicates in the file, the models' own validation, duplicates against what is stored);
then everything is written in one transaction, or nothing at all.
"""

import io
import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from batea.access.scoping import organisations_where
from batea.custody.models import KIND_LABELS, MODEL_LABELS, Lot
from batea.domain.access import CHANGE, Resource
from batea.domain.commodities import COMMODITIES, MINERAL_NAMES
from batea.domain.fielddata.records import (
    TEMPLATES,
    Record,
    Vocabulary,
    fold,
    parse_records,
)
from batea.domain.fielddata.tables import read_table
from batea.domain.identifiers import MASK_CHARACTER
from batea.domain.messages import Problem, gettext_noop
from batea.fielddata.lots import apply_lots, standards_vocabulary
from batea.fielddata.reports import (
    ImportReport,
    Progress,
    finish_run,
    start_run,
    validation_problems,
)
from batea.registry.models import (
    Commodity,
    Licence,
    Member,
    MemberGender,
    MemberRole,
    MemberStatus,
    Site,
)

RESOURCES = {
    "members": Resource.MEMBER,
    "sites": Resource.SITE,
    "licences": Resource.LICENCE,
    "lots": Resource.CUSTODY,
}
BATCH = 2_000


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _translations(label) -> list[str]:
    found = []
    for language in languages():
        with translation.override(language):
            found.append(str(label))
    return found


def vocabularies(organisation, template: str | None = None) -> dict[str, Vocabulary]:
    """Allowed values of every choice column, with their labels in every language. The
    organisation's member numbers only for `template` "lots" (its members column)."""

    def of(choices) -> Vocabulary:
        return Vocabulary(
            [code for code, _label in choices],
            {code: _translations(label) for code, label in choices},
        )

    sites = list(Site.objects.filter(organisation=organisation).values_list("site_code", "name"))
    hs_labels: dict[str, list[str]] = {}
    for commodity in COMMODITIES:
        hs_labels[commodity.hs_code] = _translations(_lazy(commodity.name))
    minerals = {}
    for commodity in COMMODITIES:  # a mineral name means its first (main) HS code
        for name in _translations(_lazy(MINERAL_NAMES.get(commodity.mineral, commodity.mineral))):
            minerals.setdefault(name, commodity.hs_code)
    for name, code in minerals.items():
        hs_labels.setdefault(code, []).append(name)
    found = {
        "gender": of(MemberGender.choices),
        "role": of(MemberRole.choices),
        "status": of(MemberStatus.choices),
        "site": Vocabulary([code for code, _name in sites], {}),
        "site_kind": of(Site.Kind.choices),
        "mining_method": of(Site.MiningMethod.choices),
        "processing_method": of(Site.ProcessingMethod.choices),
        "licence_kind": of(Licence.KIND_CHOICES),
        "licence_status": of(Licence.STATUS_CHOICES),
        "hs_code": Vocabulary([c.hs_code for c in COMMODITIES], hs_labels),
        "mineral": Vocabulary(
            list(MINERAL_NAMES),
            {
                key: [label.capitalize() for label in _translations(_lazy(name))]
                for key, name in MINERAL_NAMES.items()
            },
        ),
        "lot_kind": of(list(KIND_LABELS.items())),
        "custody_model": of(list(MODEL_LABELS.items())),
        "standard": standards_vocabulary(organisation),
    }
    if template == "lots":
        found["member"] = Vocabulary(
            list(
                Member.objects.filter(organisation=organisation).values_list(
                    "member_number", flat=True
                )
            )
        )
    return found


def label_in(vocabulary: Vocabulary, code: str, language_index: int) -> str:
    """A code's label in the language at `language_index` of settings.LANGUAGES."""
    labels = vocabulary.labels.get(code) or [code]
    return labels[min(language_index, len(labels) - 1)]


def _lazy(text: str):
    from django.utils.translation import gettext_lazy

    return gettext_lazy(text)


MODEL_FIELDS = {
    "members": (Member, {"national_id": "national_id_masked"}),
    "sites": (Site, {}),
    "licences": (Licence, {}),
    "lots": (Lot, {"variant": "claim_variant"}),
}
FORM_LABELS = {
    ("sites", "minerals"): "Minerals (HS codes)",
    ("lots", "site"): "Site (site code)",
}


def column_label(template: str, column) -> str:
    """A column's header in the current language: the model field's own (translated)
    name where there is one, else the column's label."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.text import capfirst

    if (template, column.name) in FORM_LABELS:
        return str(_lazy(FORM_LABELS[(template, column.name)]))
    model, renamed = MODEL_FIELDS[template]
    try:
        field = model._meta.get_field(renamed.get(column.name, column.name))
    except FieldDoesNotExist:
        return str(_lazy(column.label))
    return capfirst(str(field.verbose_name))


def aliases(template: str) -> dict[str, str]:
    """Headers in every language (and the English labels) → column name."""
    found = {}
    for column in TEMPLATES[template]:
        found[fold(column.label)] = column.name
        for language in languages():
            with translation.override(language):
                found[fold(column_label(template, column))] = column.name
    return found


def may_import(user, organisation, template: str) -> bool:
    if user is None:  # the operator, on the command line
        return True
    resource = RESOURCES[template]
    return organisations_where(user, resource, CHANGE).filter(pk=organisation.pk).exists()


def import_records(
    user,
    organisation,
    template: str,
    content: bytes,
    name: str = "",
    *,
    progress: Progress | None = None,
    via: str = "web",
) -> ImportReport:
    """Import a members, sites, licences or lots file into the organisation: all or
    nothing. Lots are recorded by `user` (custody records say who recorded them)."""
    if not may_import(user, organisation, template):
        raise PermissionDenied(_("Your role does not allow importing these records here."))
    if template == "lots" and user is None:
        raise PermissionDenied(_("Lots are recorded by a person: name the user who records them."))
    report = ImportReport(template, name)
    run = start_run(organisation, template, name, content, user, via)
    try:
        table = read_table(content, name)
        if table.problems:
            report.problems = table.problems
            return report
        records, problems = parse_records(
            table,
            template,
            vocabularies(organisation, template),
            aliases(template),
            today=timezone.localdate(),
            progress=progress,
        )
        if problems:
            report.problems = problems
            return report
        known = aliases(template)
        headers = {}  # column name → the file's header, to report problems where they are
        for header in table.columns:
            headers[known.get(fold(header)) or fold(header).replace(" ", "_")] = header
        try:
            with transaction.atomic():
                if template == "lots":
                    apply_lots(user, organisation, records, report, name, headers, progress)
                else:
                    APPLY[template](organisation, records, report, name, headers, progress)
                if report.problems:
                    transaction.set_rollback(True)
        except IntegrityError:  # a unique key taken by another writer meanwhile
            report.problems.append(
                Problem(
                    "",
                    gettext_noop(
                        "Someone else recorded some of these records while the file was "
                        "being imported; nothing was imported. Import the file again."
                    ),
                    {},
                    name,
                )
            )
    finally:
        if not report.ok:
            report.fail()
        finish_run(run, report)
    return report


MEMBER_FIELDS = ("given_name", "family_name", "gender", "birth_year", "role", "join_date", "status")


def _apply_members(organisation, records: list[Record], report, name, headers, progress) -> None:
    existing = {fold(m.member_number): m for m in Member.objects.filter(organisation=organisation)}
    owners = {
        m.national_id_fingerprint: key for key, m in existing.items() if m.national_id_fingerprint
    }
    sites = {s.site_code: s for s in Site.objects.filter(organisation=organisation)}
    to_create, to_update = [], []
    for index, record in enumerate(records):
        if progress and index % 5_000 == 0:
            progress(index, len(records))
        values = record.values
        key = fold(values["member_number"])
        member = existing.get(key)
        new = member is None
        if new:
            member = Member(
                id=uuid.uuid4(), organisation=organisation, member_number=values["member_number"]
            )
            before = None
        else:
            before = _snapshot(
                member, (*MEMBER_FIELDS, "primary_site_id", "national_id_fingerprint")
            )
        for field in MEMBER_FIELDS:
            if field in values:
                setattr(member, field, values[field])
        if "primary_site" in values:
            member.primary_site = sites[values["primary_site"]]
        national = values.get("national_id")
        if national and MASK_CHARACTER in national:
            report.notes.append(
                Problem(
                    headers.get("national_id", "national_id"),
                    gettext_noop("A masked national id is not an id: the stored one is kept."),
                    {"value": national},
                    name,
                    record.line,
                )
            )
        elif national:
            member.set_national_id(national)
            owner = owners.get(member.national_id_fingerprint)
            if owner is not None and owner != key:
                report.problems.append(
                    Problem(
                        headers.get("national_id", "national_id"),
                        gettext_noop(
                            "Another member of this organisation (%(other)s) has this national id."
                        ),
                        {"value": "•••", "other": existing[owner].member_number},
                        name,
                        record.line,
                    )
                )
                continue
            owners[member.national_id_fingerprint] = key
        try:
            member.clean_fields(exclude=["organisation", "primary_site", "id"])
        except ValidationError as error:
            report.problems += validation_problems(error, name, record.line, headers)
            continue
        if new:
            existing[key] = member
            to_create.append(member)
            report.created.append(member.member_number)
        elif before != _snapshot(
            member, (*MEMBER_FIELDS, "primary_site_id", "national_id_fingerprint")
        ):
            to_update.append(member)
            report.updated.append(member.member_number)
        else:
            report.unchanged.append(member.member_number)
    if report.problems:
        return
    Member.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        now = timezone.now()
        for member in to_update:
            member.updated_at = now
        Member.objects.bulk_update(
            to_update,
            [
                *MEMBER_FIELDS,
                "primary_site",
                "national_id_masked",
                "national_id_fingerprint",
                "updated_at",
            ],
            batch_size=BATCH,
        )
    if progress:
        progress(len(records), len(records))


def _snapshot(obj, fields) -> tuple:
    return tuple(getattr(obj, f) for f in fields)


SITE_FIELDS = (
    "name",
    "kind",
    "area_ha",
    "mining_method",
    "processing_method",
    "uses_mercury",
    "uses_cyanide",
    "workforce",
    "women_in_workforce",
)


def _apply_sites(organisation, records, report, name, headers, progress) -> None:
    existing = {s.site_code: s for s in Site.objects.filter(organisation=organisation)}
    commodities = {c.hs_code: c for c in Commodity.objects.all()}
    for index, record in enumerate(records):
        if progress and index % 500 == 0:
            progress(index, len(records))
        values = record.values
        site = existing.get(values["site_code"])
        new = site is None
        if new:
            site = Site(organisation=organisation, site_code=values["site_code"], attributes={})
            before = None
            minerals_before = set()
        else:
            before = _snapshot(site, (*SITE_FIELDS, "geometry"))
            minerals_before = set(site.commodities.values_list("hs_code", flat=True))
        for field in SITE_FIELDS:
            if field in values:
                value = values[field]
                setattr(site, field, Decimal(str(value)) if field == "area_ha" else value)
        if "longitude" in values:
            site.geometry = {
                "type": "Point",
                "coordinates": [values["longitude"], values["latitude"]],
            }
        elif "geometry" in values:
            try:
                site.geometry = json.loads(values["geometry"])
            except ValueError:
                site.geometry = values["geometry"]  # check_geometry explains why it is not JSON
        if new and not site.geometry:
            report.problems.append(
                Problem(
                    headers.get("longitude", "longitude"),
                    gettext_noop(
                        "A new site needs a location: longitude and latitude, or a boundary."
                    ),
                    {"value": ""},
                    name,
                    record.line,
                )
            )
            continue
        try:
            site.clean_fields(exclude=["organisation", "id"])
            site.clean()
        except ValidationError as error:
            report.problems += validation_problems(
                error,
                name,
                record.line,
                {
                    **headers,
                    "geometry": headers.get("geometry") or headers.get("longitude", "geometry"),
                },
            )
            continue
        minerals = set(values.get("minerals", minerals_before))
        changed = (
            new
            or before != _snapshot(site, (*SITE_FIELDS, "geometry"))
            or minerals != minerals_before
        )
        if changed:
            site.save()
            if minerals != minerals_before or new:
                site.commodities.set([commodities[code] for code in sorted(minerals)])
            (report.created if new else report.updated).append(site.site_code)
            existing[site.site_code] = site
        else:
            report.unchanged.append(site.site_code)
        for warning in getattr(site, "geometry_warnings", []):
            report.notes.append(
                Problem(
                    headers.get("longitude", ""),
                    "%(message)s",
                    {"message": warning, "value": ""},
                    name,
                    record.line,
                )
            )


LICENCE_FIELDS = ("issuer", "status", "valid_from", "valid_until")


def _apply_licences(organisation, records, report, name, headers, progress) -> None:
    existing = {
        (licence.kind, licence.number): licence
        for licence in Licence.objects.filter(organisation=organisation)
    }
    sites = {s.site_code: s for s in Site.objects.filter(organisation=organisation)}
    for record in records:
        values = record.values
        key = (values["kind"], values["number"])
        licence = existing.get(key)
        new = licence is None
        if new:
            licence = Licence(organisation=organisation, kind=key[0], number=key[1])
            before = None
        else:
            before = _snapshot(licence, (*LICENCE_FIELDS, "site_id"))
        for field in LICENCE_FIELDS:
            if field in values:
                setattr(licence, field, values[field])
        if "site" in values:
            licence.site = sites[values["site"]]
        try:
            licence.clean_fields(exclude=["organisation", "site", "id"])
            licence.clean()
        except ValidationError as error:
            report.problems += validation_problems(error, name, record.line, headers)
            continue
        label = f"{licence.kind} {licence.number}"
        if new or before != _snapshot(licence, (*LICENCE_FIELDS, "site_id")):
            licence.save()
            existing[key] = licence
            (report.created if new else report.updated).append(label)
        else:
            report.unchanged.append(label)


APPLY = {"members": _apply_members, "sites": _apply_sites, "licences": _apply_licences}


# Templates ------------------------------------------------------------------------------


def template_workbook(organisation, template: str) -> bytes:
    """An .xlsx template in the current language: the data sheet with dropdowns, an
    instructions sheet, and a hidden sheet holding the dropdown lists."""
    from django.utils.text import capfirst
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = TEMPLATES[template]
    vocab = vocabularies(organisation)
    language = (translation.get_language() or "en")[:2]
    language_index = languages().index(language) if language in languages() else 0
    titles = {
        "members": _("Members"),
        "sites": _("Sites"),
        "licences": capfirst(str(Licence._meta.verbose_name_plural)),
        "lots": _("Lots"),
    }
    workbook = Workbook()
    data = workbook.active
    data.title = str(titles[template])[:31]
    instructions = workbook.create_sheet(_("Instructions")[:31])
    lists = workbook.create_sheet("lists")
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FBECC9")
    yes_no = [_("Yes"), _("No")]
    list_column = 0
    for index, column in enumerate(columns, start=1):
        cell = data.cell(row=1, column=index, value=column_label(template, column))
        cell.data_type = "s"
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = max(14, len(str(cell.value)) + 4)
        if template == "lots" and column.kind in ("text", "miner_days"):
            # Typed as text: "0012" keeps its zeros, "12:8" does not become a time.
            data.column_dimensions[letter].number_format = "@"
        values = None
        if column.kind in ("choice", "codes") and column.vocabulary:
            vocabulary = vocab[column.vocabulary]
            codes = vocabulary.codes if vocabulary.offered is None else vocabulary.offered
            if column.vocabulary in ("hs_code", "standard"):
                values = list(codes)
            else:
                values = [label_in(vocabulary, code, language_index) for code in codes]
        elif column.kind == "bool":
            values = yes_no
        if values:
            list_column += 1
            list_letter = get_column_letter(list_column)
            for row, value in enumerate(values, start=1):
                list_cell = lists.cell(row=row, column=list_column, value=value)
                list_cell.data_type = "s"
            validation = DataValidation(
                type="list",
                formula1=f"=lists!${list_letter}$1:${list_letter}${len(values)}",
                allow_blank=not column.required,
                showErrorMessage=column.kind != "codes",
                errorTitle=_("Not an allowed value"),
                error=_("Choose a value from the list."),
            )
            validation.add(f"{letter}2:{letter}5000")
            data.add_data_validation(validation)
        elif column.kind == "integer":
            validation = DataValidation(
                type="whole",
                operator="between",
                formula1=str(int(column.minimum or 0)),
                formula2=str(int(column.maximum or 10**9)),
                allow_blank=True,
                showErrorMessage=True,
                error=_("A whole number in the allowed range."),
            )
            validation.add(f"{letter}2:{letter}5000")
            data.add_data_validation(validation)
        elif column.kind == "amount":
            validation = DataValidation(
                type="decimal",
                operator="between",
                formula1=f"{Decimal(1).scaleb(-(column.places or 0)):f}",
                formula2=f"{Decimal(str(column.maximum)).normalize():f}",
                allow_blank=True,
                showErrorMessage=True,
                error=_("A number in the allowed range."),
            )
            validation.add(f"{letter}2:{letter}5000")
            data.add_data_validation(validation)
    data.freeze_panes = "A2"

    heading = {
        "members": _("How to fill in the members template"),
        "sites": _("How to fill in the sites template"),
        "licences": _("How to fill in the licences template"),
        "lots": _("How to fill in the lots template"),
    }[template]
    general = _lot_instructions() if template == "lots" else _record_instructions(template)
    instructions.append([heading])
    instructions["A1"].font = Font(bold=True, size=14)
    instructions.append([])
    for line in general:
        instructions.append([line])
    instructions.append([])
    instructions.append(
        [_("Column"), _("Key"), _("Required"), _("Allowed values"), _("Help"), _("Example")]
    )
    for cell in instructions[instructions.max_row]:
        cell.font = bold
    for column in columns:
        allowed = ""
        if column.vocabulary == "standard":
            offered = vocab["standard"].offered or []
            allowed = ", ".join(offered) or _("none: the organisation holds no certificate")
        elif column.kind == "amount":
            allowed = _("more than %(minimum)s, at most %(maximum)s; up to %(places)s decimals") % {
                "minimum": int(column.minimum or 0),
                "maximum": f"{Decimal(str(column.maximum)).normalize():f}",
                "places": column.places,
            }
        elif column.kind == "miner_days":
            allowed = _("member number:miner-days; member number:miner-days …")
        elif (
            column.kind in ("choice", "codes") and column.vocabulary and column.vocabulary != "site"
        ):
            vocabulary = vocab[column.vocabulary]
            allowed = "; ".join(
                f"{code} = {label_in(vocabulary, code, language_index)}"
                for code in vocabulary.codes
            )
        elif column.vocabulary == "site":
            allowed = _("a site code of the organisation")
        elif column.kind == "bool":
            allowed = ", ".join(yes_no)
        elif column.kind == "integer":
            allowed = f"{int(column.minimum or 0)}–{int(column.maximum or 0)}"
        row = [
            column_label(template, column),
            column.name,
            _("yes") if column.required else "",
            allowed,
            str(_lazy(column.help)) if column.help else "",
            column.example,
        ]
        instructions.append(row)
    for row in instructions.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEF", (26, 20, 10, 50, 50, 18), strict=True):
        instructions.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _record_instructions(template: str) -> list[str]:
    """The general instructions of the members, sites and licences templates."""
    return [
        _("One row per record, under the header of the first sheet. Do not rename the columns."),
        _(
            "Rows are matched to the records already in Batea by the organisation's own id "
            "(%(key)s): an existing record is updated, a new one is created."
        )
        % {
            "key": {
                "members": _("member number"),
                "sites": _("site code"),
                "licences": _("type and number"),
            }[template]
        },
        _("A blank cell keeps what Batea has; required columns are shaded."),
        _(
            "Choose values from the dropdowns; a code or a label in English, Spanish or "
            "French is accepted."
        ),
        _("Dates as YYYY-MM-DD. Formulas are refused: type values."),
        _(
            "The import is all or nothing: any bad row and nothing is imported; every bad "
            "row is listed with its column and the reason."
        ),
    ]


def _lot_instructions() -> list[str]:
    """The general instructions of the lots template, in the current language."""
    return [
        _(
            "One row per production (one lot), under the header of the first sheet. Do not "
            "rename the columns."
        ),
        _(
            "Rows are matched to the lots already in Batea by their lot code: a lot already "
            "recorded with the same values is left unchanged. A lot cannot be edited once "
            "recorded: a row with a known lot code and other values is refused."
        ),
        _(
            "Required columns are shaded. Leave the claim columns blank for a lot that is not "
            "certified."
        ),
        _(
            "Members and miner-days: the member numbers of those who produced the lot, each "
            "followed by a colon and the member's miner-days, separated by semicolons, e.g. "
            "A-001:12; A-002:8 (or one member per line, with Alt+Enter). Miner-days may have "
            "decimals (A-003:2.5)."
        ),
        _(
            "Choose values from the dropdowns; a code or a label in English, Spanish or "
            "French is accepted."
        ),
        _("Dates as YYYY-MM-DD. Formulas are refused: type values."),
        _(
            "Each lot is recorded as on the production page, with its red flags: an "
            "implausible production (e.g. more fine grams per miner-day than a small-scale "
            "operation can produce) opens an incident. A certified claim needs a certificate "
            "valid on the production date and a chain-of-custody model the standard allows."
        ),
        _(
            "The import is all or nothing: any bad row and nothing is imported; every bad "
            "row is listed with its column and the reason."
        ),
    ]
