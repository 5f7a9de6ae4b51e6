"""Saved segments of members and their snapshots over time.

A segment belongs to an organisation (an ASMO, or a support organisation for its
portfolio) and counts the members of that organisation, or of the ASMOs it supports, that
match its definition (`batea.domain.insights.segments`). Snapshots record the counts on a
date (`batea insights snapshot`, run monthly) so that a segment can be followed over time.

Access: a segment is about members, so it is scoped as the owner's members
(`Resource.MEMBER`): whoever may see the owner organisation's members sees its segments —
its own people, and through a relation its support organisation, auditors and certifiers;
never a buyer. Creating and deleting a segment needs the right to change the owner
organisation's profile as well (`batea.insights.segments.owners_for`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource


class Segment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.CASCADE,
        related_name="segments",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    definition = models.JSONField(_("definition"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "owner_id"

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_segment_name"),
            models.CheckConstraint(condition=~Q(name=""), name="segment_has_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentSnapshot(models.Model):
    """The counts of a segment on a date: its members (and women among them), the
    organisations they belong to, and the members it was drawn from."""

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    taken_on = models.DateField(_("date"))
    members = models.PositiveIntegerField(_("members"))
    women = models.PositiveIntegerField(_("women"))
    organisations = models.PositiveIntegerField(_("organisations"))
    population = models.PositiveIntegerField(_("members counted from"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "segment__owner_id"

    class Meta:
        ordering = ["segment", "taken_on"]
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        constraints = [
            models.UniqueConstraint(fields=["segment", "taken_on"], name="one_snapshot_per_day"),
            models.CheckConstraint(
                condition=Q(women__lte=models.F("members")), name="snapshot_women_within_members"
            ),
            models.CheckConstraint(
                condition=Q(members__lte=models.F("population")),
                name="snapshot_members_within_population",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment} {self.taken_on}: {self.members}"

    @property
    def share(self) -> float | None:
        return self.members / self.population if self.population else None

    @property
    def women_share(self) -> float | None:
        return self.women / self.members if self.members else None
