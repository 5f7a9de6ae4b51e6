"""Assessments answered requirement by requirement, their findings and corrective actions.

Submitted answers are never edited: a correction is a new answer that supersedes the old
one and says why. Non-conformities are raised from answers; corrective actions close them.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.domain.pathway.engine import NOT_APPLICABLE, VALUES
from batea.registry.models import Member, Organisation, Site, TimeStamped
from batea.standards.models import Requirement, StandardVersion

KIND_CHOICES = [
    ("self", _("Self-assessment")),
    ("ics", _("ICS inspection")),
    ("peer", _("Peer review")),
    ("audit", _("External audit")),
]
SUBJECT_CHOICES = [
    ("organisation", _("Organisation")),
    ("member", _("Member")),
    ("site", _("Site")),
]
VALUE_LABELS = {
    "compliant": _("Compliant"),
    "partly": _("Partly compliant"),
    "non_compliant": _("Non-compliant"),
    NOT_APPLICABLE: _("Not applicable"),
}
SEVERITY_CHOICES = [("minor", _("Minor")), ("major", _("Major")), ("critical", _("Critical"))]


class Assessment(TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("organisation"),
    )
    version = models.ForeignKey(
        StandardVersion,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("standard version"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=KIND_CHOICES)
    subject_type = models.CharField(
        _("about"), max_length=16, choices=SUBJECT_CHOICES, default="organisation"
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("member"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("site"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("assessor"),
    )
    assessed_on = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    cost = models.DecimalField(
        _("cost"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What this assessment cost (audit fees, days, travel)."),
    )
    cost_currency = models.CharField(_("currency"), max_length=3, default="USD")

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject_type="organisation", member__isnull=True, site__isnull=True)
                    | Q(subject_type="member", member__isnull=False, site__isnull=True)
                    | Q(subject_type="site", site__isnull=False, member__isnull=True)
                ),
                name="assessment_subject_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["self", "ics", "peer", "audit"]), name="assessment_known_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "version", "status"]),
            # An organisation's list, newest first, read in index order (50,000 at one ASMO).
            models.Index(
                fields=["organisation", "-assessed_on", "-created_at"],
                name="assessment_org_newest_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.version} · {self.assessed_on}"

    @property
    def subject(self):
        return self.member or self.site or self.organisation

    @property
    def subject_key(self) -> str | None:
        """The pathway engine's subject: None for the organisation, else the member/site id."""
        if self.member_id:
            return str(self.member_id)
        if self.site_id:
            return str(self.site_id)
        return None


class Answer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="+", verbose_name=_("requirement")
    )
    value = models.CharField(
        _("answer"), max_length=16, blank=True, choices=[(v, VALUE_LABELS[v]) for v in VALUES]
    )
    score = models.PositiveSmallIntegerField(_("score (1–5)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    evidence = models.FileField(
        _("evidence (file or photo)"), upload_to="evidence/%Y/%m/", blank=True
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    # The answer that decides its requirement for its subject (organisation, member or site)
    # among the final answers to that standard version, by the engine's precedence. Kept by
    # `batea.assessments.deciding` so that roll-ups over many organisations are one aggregate.
    deciding = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "assessment__organisation_id"

    class Meta:
        ordering = ["assessment", "requirement__order", "answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement"],
                condition=Q(current=True),
                name="one_current_answer",
            ),
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & ~Q(value=""))
                | (Q(score__gte=1, score__lte=5) & Q(value="")),
                name="answer_value_or_score",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                name="correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(deciding=False) | Q(current=True), name="deciding_answer_is_current"
            ),
        ]
        indexes = [
            models.Index(
                fields=["requirement", "assessment"],
                condition=Q(deciding=True),
                name="answer_deciding",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement.code}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.score is not None:
            return f"{self.score}/5"
        return str(VALUE_LABELS.get(self.value, self.value))


class NonConformity(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn (answer corrected)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="nonconformities"
    )
    answer = models.OneToOneField(Answer, on_delete=models.PROTECT, related_name="finding")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(_("severity"), max_length=10, choices=SEVERITY_CHOICES)
    raised_on = models.DateField(_("raised on"))
    due_on = models.DateField(_("correct by"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    flagged_for_suspension = models.BooleanField(_("flagged for suspension"), default=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("non-conformity")
        verbose_name_plural = _("non-conformities")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("raised_on")), name="nonconformity_due_after_raised"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.requirement.code} ({self.get_severity_display()})"


class CorrectiveAction(TimeStamped):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done, awaiting verification")
        VERIFIED = "verified", _("Verified")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    nonconformity = models.ForeignKey(
        NonConformity, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    closing_evidence = models.TextField(_("closing evidence"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_on = models.DateField(_("verified on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "nonconformity__organisation_id"

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("owner")),
                name="action_verified_by_someone_else",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_by__isnull=False),
                name="verified_action_names_verifier",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("completed_by")),
                name="action_verified_by_other_than_completer",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def clean(self) -> None:
        if self.nonconformity_id and self.due_on and self.due_on < self.nonconformity.raised_on:
            raise ValidationError(
                {"due_on": _("The due date cannot be before the finding was raised.")}
            )
