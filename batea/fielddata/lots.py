"""Produced lots from a spreadsheet: one row, one production, recorded through
`batea.custody.services.produce` — the same rules, claims and red flags as the production
page — by the person importing.

Rows are matched to stored lots by their code (the organisation's own id for the lot). A
lot the organisation already produced with the same values is unchanged; with other values
the row is refused, since custody records are never edited. Every new row is produced in
its own savepoint, so that the problems of every row are collected; the caller's
transaction is rolled back if there is any. Rows are produced in order of production date,
so that each is compared with the site's earlier productions (`production_spike`) as if
they had been recorded one by one.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from batea.certification.models import Certificate
from batea.custody.models import Incident, Lot
from batea.custody.services import ClaimInput, produce
from batea.domain.fielddata.records import Record, Vocabulary, format_miner_days
from batea.domain.messages import Problem, gettext_noop
from batea.fielddata.reports import ImportReport, Progress, validation_problems
from batea.registry.models import Member, Site
from batea.standards.models import Standard, StandardVersion

CHUNK = 500  # codes or member numbers per `IN (…)` query
# The service's field names → the template's columns.
SERVICE_COLUMNS = {
    "site": "site",
    "members": "members",
    "mineral": "mineral",
    "kind": "kind",
    "mass_g": "mass_g",
    "fineness": "fineness",
    "claim_version": "standard",
    "claim": "standard",
    "custody_model": "custody_model",
    "on": "produced_on",
    "code": "lot_code",
    "id": "lot_code",
    "lot": "lot_code",
}
COMPARED = (
    "produced_on",
    "site",
    "mineral",
    "kind",
    "mass_g",
    "fineness",
    "members",
    "standard",
    "variant",
    "custody_model",
)
EDITED = gettext_noop(
    "Lot %(lot)s is already recorded with %(recorded)s: lots cannot be edited once recorded. "
    "Record a correction in the chain of custody instead, or give a new production its own "
    "lot code."
)
RED_FLAG = gettext_noop("Red flag on lot %(lot)s, an incident was opened: %(message)s")


def standards_vocabulary(organisation) -> Vocabulary:
    """Standard ids a claim may name (public standards and those of the organisation's
    certificates); the template's dropdown offers those it holds a certificate for."""
    certified = sorted(
        set(
            Certificate.objects.filter(organisation=organisation).values_list(
                "version__standard__code", flat=True
            )
        )
    )
    codes = Standard.objects.filter(Q(owner__isnull=True) | Q(code__in=certified)).values_list(
        "code", flat=True
    )
    return Vocabulary(sorted(set(codes) | set(certified)), {}, offered=certified)


def _chunks(values: list) -> list[list]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def display(column: str, value) -> str:
    """A value as the file would show it."""
    if value is None or value == "":
        return "—"
    if column == "members":
        return format_miner_days(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def recorded_values(lot: Lot) -> dict:
    """A stored lot in the columns of the template."""
    return {
        "produced_on": lot.produced_on,
        "site": lot.site.site_code if lot.site_id else None,
        "mineral": lot.mineral,
        "kind": lot.kind,
        "mass_g": lot.mass_g,
        "fineness": lot.fineness,
        "members": {origin.member.member_number: origin.miner_days for origin in lot.origins.all()},
        "standard": lot.claim_version.standard.code if lot.claim_version_id else None,
        "variant": lot.claim_variant or None,
        "custody_model": lot.custody_model or None,
    }


def differences(lot: Lot, values: dict) -> list[tuple[str, str]]:
    """(column, what is recorded) of every column whose value differs from the stored lot.
    A blank claim cell means "not certified"."""
    recorded = recorded_values(lot)
    found = []
    for column in COMPARED:
        given = values.get(column)
        if column == "members":
            same = dict(given or ()) == recorded["members"]
        elif column in ("mineral", "kind", "standard", "variant", "custody_model", "site"):
            same = (given or None) == recorded[column]
        else:
            same = given == recorded[column]
        if not same:
            found.append((column, display(column, recorded[column])))
    return found


def _produced_here(lot: Lot, organisation) -> bool:
    """Whether `lot` is a production of the organisation (not another's lot, nor a lot it
    made by splitting, merging or refining)."""
    return (
        lot.origin_organisation_id == organisation.pk
        and lot.site_id is not None
        and lot.site.organisation_id == organisation.pk
    )


def _claim_version(certificates: list, values: dict):
    """The standard version of a claim: that of the organisation's certificate valid on
    the production date (and of the variant given); else of its latest certificate for the
    standard, else the standard's latest version — the service then explains that no
    certificate covers the day."""
    code, variant, on = values["standard"], values.get("variant") or "", values["produced_on"]
    mine = [
        c
        for c in certificates
        if c.version.standard.code == code and (not variant or c.variant == variant)
    ]
    valid = [
        c
        for c in mine
        if c.status == Certificate.Status.VALID and c.valid_from <= on <= c.valid_until
    ]
    if valid or mine:
        return (valid or mine)[0].version
    return (
        StandardVersion.objects.filter(standard__code=code)
        .select_related("standard")
        .order_by("-imported_at")
        .first()
    )


def apply_lots(
    user,
    organisation,
    records: list[Record],
    report: ImportReport,
    name: str,
    headers: dict[str, str],
    progress: Progress | None = None,
) -> None:
    """Record every new lot of the file, inside the caller's transaction; problems (the
    caller then rolls everything back) and red flags go to the report."""

    def header(column: str) -> str:
        return headers.get(column, column)

    def problem(record: Record, column: str, template: str, **params) -> None:
        params.setdefault("value", display(column, record.values.get(column)))
        report.problems.append(Problem(header(column), template, params, name, record.line))

    codes = [record.values["lot_code"] for record in records]
    existing: dict[str, Lot] = {}
    for chunk in _chunks(codes):
        for lot in (
            Lot.objects.filter(code__in=chunk)
            .select_related("site", "claim_version__standard")
            .defer("claim_version__document")  # the catalogue is not compared
            .prefetch_related("origins__member")
        ):
            existing[lot.code] = lot
    numbers = sorted({number for r in records for number, _days in r.values["members"]})
    members: dict[str, Member] = {}
    for chunk in _chunks(numbers):
        for member in Member.objects.filter(organisation=organisation, member_number__in=chunk):
            members[member.member_number] = member
    sites = {site.site_code: site for site in Site.objects.filter(organisation=organisation)}

    new: list[Record] = []
    for record in records:
        code = record.values["lot_code"]
        lot = existing.get(code)
        if lot is None:
            new.append(record)
        elif not _produced_here(lot, organisation):
            problem(record, "lot_code", gettext_noop("Another lot already has this code."))
        else:
            changed = differences(lot, record.values)
            for column, recorded in changed:
                problem(record, column, EDITED, lot=code, recorded=recorded)
            if not changed:
                report.unchanged.append(code)

    certificates = list(
        Certificate.objects.filter(organisation=organisation)
        .select_related("version__standard")
        .order_by("-valid_from")
    )
    created: list[tuple[int, Lot]] = []
    new.sort(key=lambda record: (record.values["produced_on"], record.line))
    for index, record in enumerate(new):
        if progress and index % 100 == 0:
            progress(index, len(new))
        values = record.values
        site = sites.get(values["site"])
        if site is None:  # removed since the file was read
            problem(record, "site", gettext_noop("No site %(value)s in this organisation."))
            continue
        unknown = [number for number, _days in values["members"] if number not in members]
        if unknown:
            problem(
                record,
                "members",
                gettext_noop("No member %(value)s in this organisation."),
                value=unknown[0],
            )
            continue
        claim = ClaimInput()
        if values.get("standard"):
            version = _claim_version(certificates, values)
            if version is None:
                problem(
                    record,
                    "standard",
                    gettext_noop("Batea has no version of the standard %(value)s."),
                )
                continue
            claim = ClaimInput(version, values.get("variant") or "", values["custody_model"])
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                lot = produce(
                    user,
                    organisation,
                    site=site,
                    mineral=values["mineral"],
                    kind=values["kind"],
                    mass_g=values["mass_g"],
                    fineness=values["fineness"],
                    members={members[number]: days for number, days in values["members"]},
                    on=values["produced_on"],
                    claim=claim,
                    code=values["lot_code"],
                )
        except ValidationError as error:
            for found in validation_problems(error, name, record.line):
                column = SERVICE_COLUMNS.get(found.path, "")
                report.problems.append(
                    Problem(
                        header(column) if column else "",
                        found.template,
                        {
                            **found.params,
                            "value": display(column, values.get(column)) if column else "",
                        },
                        name,
                        record.line,
                    )
                )
            continue
        except IntegrityError:  # the code was taken meanwhile
            problem(record, "lot_code", gettext_noop("Another lot already has this code."))
            continue
        created.append((record.line, lot))
    if progress and new:
        progress(len(new), len(new))
    report.problems.sort(key=lambda found: found.line or 0)
    if report.problems:
        return
    created.sort(key=lambda item: item[0])
    report.created += [lot.code for _line, lot in created]
    lines = {lot.pk: line for line, lot in created}
    incidents = Incident.objects.filter(lot__in=[lot for _line, lot in created]).select_related(
        "lot"
    )
    for incident in sorted(incidents, key=lambda i: (lines[i.lot_id], i.code)):
        report.notes.append(
            Problem(
                header("lot_code"),
                RED_FLAG,
                {
                    "lot": incident.lot.code,
                    "message": _(incident.template) % incident.params
                    if incident.params
                    else _(incident.template),
                    "value": incident.lot.code,
                    "flag": incident.code,
                },
                name,
                lines[incident.lot_id],
            )
        )
