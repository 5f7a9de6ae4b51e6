"""Recording assessments and their consequences. Views, API and CLI call these."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from batea.access.scoping import can, roles_granting, sees_everything
from batea.assessments import deciding
from batea.assessments.models import Answer, Assessment, CorrectiveAction, NonConformity
from batea.domain.access import ASSESSMENT_KIND_ROLES, CHANGE, Resource
from batea.domain.pathway import actions as rules
from batea.domain.pathway.engine import NOT_APPLICABLE, PASS_SCORE, VALUES
from batea.groups.services import conflict_with
from batea.standards.models import Requirement

ASSESSED_SCOPES = {"organisation": ("organisation",), "member": ("member",), "site": ("site",)}


def may_record(user, organisation, kind: str) -> bool:
    """Whether `user` may record an assessment of this kind for this organisation."""
    if sees_everything(user):
        return True
    roles = roles_granting(user, organisation, Resource.ASSESSMENT, CHANGE)
    return bool(roles & ASSESSMENT_KIND_ROLES.get(kind, frozenset()))


def assessable_kinds(user, organisation) -> list[str]:
    return [kind for kind in ASSESSMENT_KIND_ROLES if may_record(user, organisation, kind)]


@transaction.atomic
def start_assessment(
    user,
    organisation,
    version,
    kind: str,
    assessed_on: date,
    member=None,
    site=None,
    notes: str = "",
) -> Assessment:
    """Open a draft assessment; refuses retired versions and foreign subjects."""
    if not may_record(user, organisation, kind):
        raise PermissionDenied(_("Your role does not allow this kind of assessment here."))
    errors = {}
    if version.status == "retired":
        errors["version"] = _("This standard version is retired; assess against a current one.")
    if member is not None and member.organisation_id != organisation.pk:
        errors["member"] = _("The member belongs to another organisation.")
    if site is not None and site.organisation_id != organisation.pk:
        errors["site"] = _("The site belongs to another organisation.")
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = _("The date is in the future.")
    if kind in ("ics", "peer") and conflict_with(user, member=member, site=site):
        errors["member" if member else "site"] = _(
            "You declared a tie to this member (or to a member working at this site): "
            "another inspector must do it."
        )
    if errors:
        raise ValidationError(errors)
    subject_type = "member" if member else "site" if site else "organisation"
    return Assessment.objects.create(
        organisation=organisation,
        version=version,
        kind=kind,
        subject_type=subject_type,
        member=member,
        site=site,
        assessor=user,
        assessed_on=assessed_on,
        notes=notes,
    )


def applicable_requirements(assessment: Assessment):
    """The requirements an assessment asks: those of its version about its kind of subject."""
    return Requirement.objects.filter(
        version=assessment.version, applies_to__in=ASSESSED_SCOPES[assessment.subject_type]
    ).order_by("order")


@dataclass
class AnswerInput:
    value: str = ""
    score: int | None = None
    notes: str = ""
    evidence: object = None
    reason: str = ""
    latitude: float | None = None
    longitude: float | None = None


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".pdf")


def _check_evidence(evidence) -> None:
    if not evidence:
        return
    name = getattr(evidence, "name", "").lower()
    if not name.endswith(EVIDENCE_EXTENSIONS):
        raise ValidationError({"evidence": _("Evidence must be a photo or a PDF.")})
    if getattr(evidence, "size", 0) > MAX_EVIDENCE_BYTES:
        raise ValidationError({"evidence": _("Evidence files are limited to 10 MB.")})


def _check_answer(assessment: Assessment, requirement: Requirement, given: AnswerInput) -> None:
    _check_evidence(given.evidence)
    errors = {}
    if requirement.version_id != assessment.version_id:
        raise ValidationError(
            {
                "requirement": _("%(code)s is not a requirement of %(version)s.")
                % {"code": requirement.code, "version": assessment.version}
            }
        )
    if requirement.applies_to not in ASSESSED_SCOPES[assessment.subject_type]:
        raise ValidationError(
            {
                "requirement": _(
                    "%(code)s applies to the %(scope)s, not to this assessment's subject."
                )
                % {"code": requirement.code, "scope": requirement.get_applies_to_display()}
            }
        )
    if requirement.scoring == "scale_1_5":
        if given.value == NOT_APPLICABLE and given.score is None:
            return
        if given.score is None or not 1 <= given.score <= 5:
            errors["score"] = _(
                "%(code)s is scored from 1 to 5; %(score)s is outside the scale."
            ) % {"code": requirement.code, "score": given.score}
        if given.value:
            errors["value"] = _("Give a score, not a compliance answer, for this requirement.")
    else:
        if given.value not in VALUES:
            errors["value"] = _("Choose compliant, partly, non-compliant or not applicable.")
        if given.score is not None:
            errors["score"] = _("%(code)s is answered pass/fail, not scored.") % {
                "code": requirement.code
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_answer(
    user, assessment: Assessment, requirement: Requirement, given: AnswerInput
) -> Answer:
    """Save an answer. Drafts are edited in place; once submitted, a change is a correction:
    a new answer that supersedes the old one, with its reason."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not can(user, assessment, CHANGE) or not may_record(
        user, assessment.organisation, assessment.kind
    ):
        raise PermissionDenied(_("Your role does not allow answering this assessment."))
    _check_answer(assessment, requirement, given)
    fields = {
        "value": given.value if requirement.scoring == "pass_fail" or given.score is None else "",
        "score": given.score if requirement.scoring == "scale_1_5" else None,
        "notes": given.notes,
        "latitude": given.latitude,
        "longitude": given.longitude,
        "answered_by": user,
    }
    if fields["score"] is not None:
        fields["value"] = ""
    if given.evidence:
        fields["evidence"] = given.evidence
    current = (
        Answer.objects.filter(assessment=assessment, requirement=requirement, current=True)
        .select_for_update()
        .first()
    )
    if assessment.status == Assessment.Status.DRAFT:
        if current is None:
            return Answer.objects.create(assessment=assessment, requirement=requirement, **fields)
        for key, value in fields.items():
            setattr(current, key, value)
        current.save()
        return current
    if not given.reason.strip():
        raise ValidationError(
            {"reason": _("This assessment is submitted: say why the answer is corrected.")}
        )
    if current is not None:
        current.current = current.deciding = False  # refresh_for below picks the new one
        current.save(update_fields=["current", "deciding"])
        # A finding raised from an answer that turned out wrong is withdrawn, not left open.
        NonConformity.objects.filter(answer=current, status="open").update(
            status=NonConformity.Status.WITHDRAWN, closed_on=timezone.localdate()
        )
    if assessment.status == Assessment.Status.REVIEWED:
        assessment.status = Assessment.Status.SUBMITTED  # the correction needs a new review
        assessment.reviewed_at = None
        assessment.reviewed_by = None
        assessment.save(update_fields=["status", "reviewed_at", "reviewed_by"])
    answer = Answer.objects.create(
        assessment=assessment,
        requirement=requirement,
        supersedes=current,
        correction_reason=given.reason.strip(),
        **fields,
    )
    raise_nonconformity(answer)
    deciding.refresh_for(assessment)
    return answer


@transaction.atomic
def submit(user, assessment: Assessment) -> list[NonConformity]:
    """Submit a draft: its answers become final and findings become non-conformities."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not can(user, assessment, CHANGE) or not (
        assessment.assessor_id == user.pk
        or may_record(user, assessment.organisation, assessment.kind)
    ):
        raise PermissionDenied(_("Your role does not allow submitting this assessment."))
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    if not assessment.answers.exists():
        raise ValidationError({"status": _("Answer at least one requirement first.")})
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["status", "submitted_at"])
    deciding.refresh_for(assessment)
    answers = assessment.answers.filter(current=True).select_related("requirement")
    return [nc for nc in (raise_nonconformity(a) for a in answers) if nc is not None]


@transaction.atomic
def review(user, assessment: Assessment) -> None:
    """An external audit, once submitted, is reviewed by another person of the body."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.kind != "audit" or assessment.status != Assessment.Status.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted external audit can be reviewed.")})
    if assessment.assessor_id == user.pk:
        raise ValidationError({"status": _("The review must be done by someone else.")})
    if not can(user, assessment, CHANGE):
        raise PermissionDenied
    assessment.status = Assessment.Status.REVIEWED
    assessment.reviewed_at = timezone.now()
    assessment.reviewed_by = user
    assessment.save(update_fields=["status", "reviewed_at", "reviewed_by"])


def is_finding(answer: Answer) -> bool:
    if answer.score is not None:
        return answer.score < PASS_SCORE
    return answer.value in ("partly", "non_compliant")


def raise_nonconformity(answer: Answer) -> NonConformity | None:
    """A non-compliant answer raises a non-conformity whose severity follows the kind of
    requirement; its deadline follows the standard's corrective-action rules."""
    severity = rules.severity_for(answer.requirement.kind)
    if severity is None or not is_finding(answer) or hasattr(answer, "finding"):
        return None
    assessment = answer.assessment
    policy = assessment.version.document.get("corrective_actions")
    raised = assessment.assessed_on
    return NonConformity.objects.create(
        organisation=assessment.organisation,
        answer=answer,
        requirement=answer.requirement,
        severity=severity,
        raised_on=raised,
        due_on=rules.default_due(raised, severity, policy),
    )


@transaction.atomic
def add_action(
    user, nonconformity: NonConformity, description: str, owner, due_on: date | None = None
) -> CorrectiveAction:
    if not can(user, nonconformity, CHANGE):
        raise PermissionDenied(_("Your role does not allow planning actions here."))
    if not owner.role_assignments.filter(organisation_id=nonconformity.organisation_id).exists():
        raise ValidationError({"owner": _("The owner must hold a role in the organisation.")})
    action = CorrectiveAction(
        nonconformity=nonconformity,
        description=description,
        owner=owner,
        due_on=due_on or nonconformity.due_on,
    )
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def complete_action(user, action: CorrectiveAction, evidence: str) -> CorrectiveAction:
    organisation = action.nonconformity.organisation
    if not can(user, action, CHANGE) or not (
        action.owner_id == user.pk
        or "asmo_manager" in roles_granting(user, organisation, Resource.ASSESSMENT, CHANGE)
    ):
        raise PermissionDenied(_("Only the owner or the organisation's manager completes it."))
    if not evidence.strip():
        raise ValidationError({"closing_evidence": _("Describe the evidence of the correction.")})
    action.status = CorrectiveAction.Status.DONE
    action.closing_evidence = evidence
    action.completed_on = timezone.localdate()
    action.completed_by = user
    action.save()
    return action


@transaction.atomic
def verify_action(user, action: CorrectiveAction) -> CorrectiveAction:
    """Someone other than the owner verifies; the finding closes when all its actions are."""
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if not can(user, action, CHANGE):
        raise PermissionDenied
    if user.pk in (action.owner_id, action.completed_by_id):
        raise ValidationError(
            {"verified_by": _("The owner of an action cannot verify it; ask someone else.")}
        )
    if action.status != CorrectiveAction.Status.DONE:
        raise ValidationError({"status": _("Only a completed action can be verified.")})
    action.status = CorrectiveAction.Status.VERIFIED
    action.verified_by = user
    action.verified_on = timezone.localdate()
    action.save()
    finding = action.nonconformity
    if not finding.actions.exclude(status=CorrectiveAction.Status.VERIFIED).exists():
        finding.status = NonConformity.Status.CLOSED
        finding.closed_on = timezone.localdate()
        finding.save(update_fields=["status", "closed_on", "updated_at"])
    return action


def escalate_overdue(today: date, organisations=None) -> int:
    """Apply the escalation rules to open, overdue non-conformities; idempotent."""
    changed = 0
    overdue = NonConformity.objects.filter(status="open", due_on__lt=today).select_related(
        "answer__assessment__version"
    )
    if organisations is not None:
        overdue = overdue.filter(organisation__in=organisations)
    for finding in overdue:
        policy = finding.answer.assessment.version.document.get("corrective_actions")
        result = rules.escalate(finding.severity, finding.due_on, today, policy)
        if (result.severity, result.flag_for_suspension) != (
            finding.severity,
            finding.flagged_for_suspension,
        ):
            if result.severity != finding.severity:
                # Now more severe, it gets that severity's deadline from today.
                finding.due_on = rules.default_due(today, result.severity, policy)
            finding.severity = result.severity
            finding.flagged_for_suspension = result.flag_for_suspension
            finding.escalated_on = today
            finding.save(
                update_fields=[
                    "severity",
                    "flagged_for_suspension",
                    "escalated_on",
                    "due_on",
                    "updated_at",
                ]
            )
            changed += 1
    return changed
