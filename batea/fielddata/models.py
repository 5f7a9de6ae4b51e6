"""What field-data imports leave behind besides the records they create: a log of every
import, the submission ids already imported (so that importing again changes nothing) and
the history of third-party observations of sites."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.registry.models import Organisation, Site


class ImportRun(models.Model):
    """One import attempt, successful or not: who, what file, what it did. A failed import
    writes nothing else; its problems are shown to the person, not stored."""

    class Kind(models.TextChoices):
        SUBMISSIONS = "submissions", _("Form submissions")
        MEMBERS = "members", _("Members")
        SITES = "sites", _("Sites")
        LICENCES = "licences", _("Licences")
        LOTS = "lots", _("Lots")
        SITE_DATA = "site_data", _("Third-party site data")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="import_runs"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=8, default="web")  # web or cli
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    ok = models.BooleanField(_("imported"), default=False)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    problems = models.PositiveIntegerField(_("problems"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ORGANISATION
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["submissions", "members", "sites", "licences", "lots", "site_data"]
                ),
                name="import_run_known_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"


class ImportedSubmission(models.Model):
    """A form submission turned into an assessment, by its instance UUID: importing the same
    submission again changes nothing. An edited submission (new UUID naming the old one)
    corrects the same assessment."""

    id = models.BigAutoField(primary_key=True)
    uuid = models.CharField(_("submission id"), max_length=80, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="imported_submissions"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fingerprint = models.CharField(max_length=64)
    form_version = models.CharField(_("form version"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.CharField(max_length=200, blank=True)
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("imported submission")
        verbose_name_plural = _("imported submissions")

    def __str__(self) -> str:
        return self.uuid


class SiteObservation(models.Model):
    """A site as one row of a third-party data set saw it: kept, so that repeated visits
    update the site and its history stays readable."""

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="site_observations"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="observations")
    source = models.CharField(_("data set"), max_length=200)
    source_id = models.CharField(_("id in the data set"), max_length=80)
    observed_on = models.DateField(_("visit date"), null=True, blank=True)
    fields = models.JSONField(default=dict)
    attributes = models.JSONField(default=dict)
    geometry = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.SITE
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["site", "observed_on", "imported_at"]
        verbose_name = _("site observation")
        verbose_name_plural = _("site observations")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "source", "source_id", "fingerprint"],
                name="unique_site_observation",
            )
        ]
        indexes = [models.Index(fields=["organisation", "source", "source_id"])]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} {self.observed_on or ''}".strip()
