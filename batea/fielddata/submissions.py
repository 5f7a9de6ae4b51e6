"""Importing KoboToolbox / ODK submissions of Batea's forms as assessments.

All or nothing: every row is checked — its form, organisation, subject, answers, and the
importing person's right to record that kind of assessment — and the assessments are
written through `batea.assessments.services` in one transaction; any bad row and nothing
is written, every bad row reported. Submissions are remembered by their UUID, so importing
the same export again changes nothing.

Form versions: a submission is recorded against the exact standard version its form was
generated from (answers keep pointing at what was asked). A version Batea does not have is
refused; a retired version is refused unless the import is asked to map it onto the
standard's current version, which carries each answer to the requirement with the same
id there and reports the answers it could not carry.
"""

from dataclasses import dataclass
from datetime import UTC

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from batea.access.scoping import can
from batea.assessments import services as assessments
from batea.assessments.models import Answer
from batea.domain.access import CHANGE
from batea.domain.fielddata.submissions import (
    Defaults,
    SubmissionRecord,
    parse_submission,
    read_envelopes,
)
from batea.domain.fielddata.tables import read_table
from batea.domain.fielddata.xlsform import form_spec
from batea.domain.messages import Problem, gettext_noop
from batea.fielddata.models import ImportedSubmission
from batea.fielddata.reports import (
    ImportReport,
    Progress,
    finish_run,
    start_run,
    validation_problems,
)
from batea.fielddata.xlsform import current_version
from batea.registry.models import Member, Site
from batea.standards.models import Requirement, StandardVersion


@dataclass
class Target:
    """The version a form version's submissions are recorded against."""

    form_version: StandardVersion
    version: StandardVersion
    requirements: dict[str, Requirement]


def import_submissions(
    user,
    organisation,
    content: bytes,
    name: str = "",
    *,
    standard: str = "",
    version: str = "",
    remap_retired: bool = False,
    progress: Progress | None = None,
    via: str = "web",
) -> ImportReport:
    report = ImportReport("submissions", name)
    run = start_run(organisation, "submissions", name, content, user, via)
    try:
        _import(
            user,
            organisation,
            content,
            name,
            standard,
            version,
            remap_retired,
            progress,
            report,
            run,
        )
    finally:
        if not report.ok:
            report.fail()
        finish_run(run, report)
    return report


def _import(user, organisation, content, name, standard, version, remap, progress, report, run):
    table = read_table(content, name)
    if table.problems:
        report.problems = table.problems
        return
    envelopes, problems = read_envelopes(table, Defaults(standard=standard, version=version))
    report.problems += problems
    targets: dict[tuple[str, str], Target | Problem] = {}
    records: list[tuple[SubmissionRecord, Target]] = []
    for row, envelope in envelopes:

        def row_problem(column, template, value="", row=row, **params):
            report.problems.append(
                Problem(column, template, {"value": value, **params}, name, row.line)
            )

        if envelope.organisation and envelope.organisation != organisation.slug:
            row_problem(
                "batea_org",
                gettext_noop(
                    "This submission was made with the form of organisation %(value)s, not "
                    "%(organisation)s."
                ),
                envelope.organisation,
                organisation=organisation.slug,
            )
            continue
        key = (envelope.standard, envelope.version)
        if key not in targets:
            targets[key] = _target(envelope.standard, envelope.version, remap)
        target = targets[key]
        if isinstance(target, Problem):
            report.problems.append(
                Problem(target.path, target.template, target.params, name, row.line)
            )
            continue
        if not assessments.may_record(user, organisation, envelope.kind):
            row_problem(
                "batea_kind",
                gettext_noop("Your role does not allow recording this kind of assessment here."),
                envelope.kind,
            )
            continue
        spec = form_spec(target.form_version.catalogue(), envelope.scope)
        record, found = parse_submission(row, envelope, spec, name)
        report.problems += found
        if record is not None:
            records.append((record, target))
    if report.problems:
        return
    subjects = _subjects(organisation, records, report, name)
    if report.problems:
        return
    existing = {
        item.uuid: item
        for item in ImportedSubmission.objects.filter(
            uuid__in=[r.uuid for r, _ in records] + [r.replaces for r, _ in records if r.replaces]
        ).select_related("assessment")
    }
    with transaction.atomic():
        for index, (record, target) in enumerate(records):
            if progress:
                progress(index, len(records))
            try:
                with transaction.atomic():
                    _one(user, organisation, record, target, subjects, existing, report, name, run)
            except ValidationError as error:
                columns = {
                    "member": record.subject_column,
                    "site": record.subject_column,
                    "assessed_on": "today",
                }
                report.problems += validation_problems(error, name, record.line, columns)
            except PermissionDenied as error:
                report.problems.append(
                    Problem(
                        "", "%(message)s", {"message": str(error), "value": ""}, name, record.line
                    )
                )
        if progress:
            progress(len(records), len(records))
        if report.problems:
            transaction.set_rollback(True)


def _target(standard: str, version: str, remap: bool) -> Target | Problem:
    found = current_version(standard, version or None)
    if found is None:
        return Problem(
            "batea_version",
            gettext_noop(
                "The form is for %(standard)s %(version)s, which is not imported in Batea; "
                "import that standard version first."
            ),
            {"standard": standard, "version": version, "value": f"{standard} {version}"},
        )
    target = found
    if found.status == "retired":
        current = current_version(standard)
        if not remap or current is None or current.status == "retired" or current == found:
            return Problem(
                "batea_version",
                gettext_noop(
                    "The form is for %(standard)s %(version)s, which is retired. Collect with "
                    "a form of the current version, or import mapping the answers onto it."
                ),
                {"standard": standard, "version": found.version, "value": found.version},
            )
        target = current
    requirements = {r.code: r for r in Requirement.objects.filter(version=target)}
    return Target(found, target, requirements)


def _subjects(organisation, records, report, name) -> dict[tuple[str, str], object]:
    """Members and sites named by the submissions, in one query each; unknown ones are
    problems."""
    wanted = {"member": set(), "site": set()}
    for record, _target in records:
        if record.scope in wanted:
            wanted[record.scope].add(record.subject)
    found: dict[tuple[str, str], object] = {}
    if wanted["member"]:
        for member in Member.objects.filter(
            organisation=organisation, member_number__in=wanted["member"]
        ):
            found[("member", member.member_number)] = member
    if wanted["site"]:
        for site in Site.objects.filter(organisation=organisation, site_code__in=wanted["site"]):
            found[("site", site.site_code)] = site
    for record, _target in records:
        if record.scope in wanted and (record.scope, record.subject) not in found:
            report.problems.append(
                Problem(
                    record.subject_column,
                    gettext_noop("No %(scope)s %(value)s in %(organisation)s."),
                    {
                        "value": record.subject,
                        "scope": record.scope,
                        "organisation": organisation.slug,
                    },
                    name,
                    record.line,
                )
            )
    return found


def _inputs(record: SubmissionRecord, target: Target, report: ImportReport, name: str):
    """(requirement, AnswerInput) for every answer of the record in the target version."""
    inputs = []
    for answer in record.answers:
        requirement = target.requirements.get(answer.requirement)
        if requirement is None:
            report.notes.append(
                Problem(
                    answer.requirement,
                    gettext_noop(
                        "%(value)s does not exist in %(version)s: this answer is not recorded."
                    ),
                    {"value": answer.requirement, "version": str(target.version)},
                    name,
                    record.line,
                )
            )
            continue
        notes = answer.notes
        if answer.photo:
            photo = " ".join(part for part in (answer.photo, answer.photo_url) if part)
            notes = f"{notes}\n[photo: {photo}]".strip()
        inputs.append(
            (
                requirement,
                assessments.AnswerInput(
                    value=answer.value,
                    score=answer.score,
                    notes=notes,
                    latitude=record.latitude,
                    longitude=record.longitude,
                ),
            )
        )
    return inputs


def _one(user, organisation, record, target, subjects, existing, report, name, run) -> None:
    label = f"{record.uuid} ({record.subject or organisation.slug})"
    fingerprint = record.fingerprint()
    known = existing.get(record.uuid)
    if known is not None:
        if known.organisation_id != organisation.pk:
            raise ValidationError(
                {"__all__": [_("This submission was already imported for another organisation.")]}
            )
        if known.fingerprint != fingerprint:
            raise ValidationError(
                {
                    "__all__": [
                        _(
                            "This submission was already imported with other answers; an "
                            "edited submission must carry a new id."
                        )
                    ]
                }
            )
        report.unchanged.append(label)
        return
    inputs = _inputs(record, target, report, name)
    replaced = existing.get(record.replaces) if record.replaces else None
    if replaced is not None and replaced.organisation_id == organisation.pk:
        _correct(user, replaced, record, inputs, fingerprint, run)
        report.updated.append(label)
        return
    if not inputs:
        raise ValidationError({"__all__": [_("No answer of this submission can be recorded.")]})
    subject = subjects.get((record.scope, record.subject))
    notes = _assessment_notes(record)
    assessment = assessments.start_assessment(
        user,
        organisation,
        target.version,
        record.kind,
        record.assessed_on or timezone.localdate(),
        member=subject if record.scope == "member" else None,
        site=subject if record.scope == "site" else None,
        notes=notes,
    )
    for requirement, given in inputs:
        assessments.record_answer(user, assessment, requirement, given)
    assessments.submit(user, assessment)
    ImportedSubmission.objects.create(
        uuid=record.uuid,
        organisation=organisation,
        assessment=assessment,
        fingerprint=fingerprint,
        form_version=target.form_version.version,
        submitted_at=_moment(record.submitted_at),
        submitted_by=record.submitted_by,
        run=run,
    )
    report.created.append(label)


def _correct(user, replaced, record, inputs, fingerprint, run) -> None:
    """An edited submission: answers that changed are corrected on the same assessment,
    with the reason kept in its history."""
    assessment = replaced.assessment
    if not can(user, assessment, CHANGE):
        raise PermissionDenied(_("Your role does not allow correcting this assessment."))
    current = {
        a.requirement_id: a for a in Answer.objects.filter(assessment=assessment, current=True)
    }
    reason = _("Edited on the collection server: submission %(new)s replaces %(old)s.") % {
        "new": record.uuid,
        "old": replaced.uuid,
    }
    for requirement, given in inputs:
        before = current.get(requirement.pk)
        if before is not None and (before.value, before.score, before.notes) == (
            given.value if given.score is None else "",
            given.score,
            given.notes,
        ):
            continue
        given.reason = reason
        assessments.record_answer(user, assessment, requirement, given)
    ImportedSubmission.objects.create(
        uuid=record.uuid,
        organisation=replaced.organisation,
        assessment=assessment,
        replaces=replaced,
        fingerprint=fingerprint,
        form_version=replaced.form_version,
        submitted_at=_moment(record.submitted_at),
        submitted_by=record.submitted_by,
        run=run,
    )


def _assessment_notes(record: SubmissionRecord) -> str:
    origin = _("Imported from field submission %(uuid)s") % {"uuid": record.uuid}
    if record.submitted_by:
        origin += " " + _("(collected by %(who)s)") % {"who": record.submitted_by}
    return f"{origin}.\n{record.notes}".strip()


def _moment(moment):
    """Kobo writes submission times in UTC without a zone."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, UTC)
    return moment
