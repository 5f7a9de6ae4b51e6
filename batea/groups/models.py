"""Approval-committee decisions on members: status changes and sanctions, with their record."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.registry.models import Member, MemberStatus


class MemberDecision(models.Model):
    """Who decided what about a member's status, when, why and on what evidence.

    Decisions are never edited: a later decision supersedes an earlier one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("member")
    )
    from_status = models.CharField(_("from"), max_length=16, choices=MemberStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=MemberStatus.choices)
    sanction = models.CharField(_("sanction"), max_length=64, blank=True)
    standard_version = models.ForeignKey(
        "standards.StandardVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    evidence = models.TextField(_("evidence"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_on = models.DateField(_("decided on"))
    council = models.ForeignKey(
        "PeerGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("decided by the council of"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "member__organisation_id"

    class Meta:
        ordering = ["-decided_on", "-created_at"]
        verbose_name = _("member decision")
        verbose_name_plural = _("member decisions")
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="decision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_status} → {self.to_status}"


class ConflictOfInterest(models.Model):
    """An inspector's declared tie to a member (themselves, household, business partner):
    they may not inspect that member, nor a site where that member works."""

    class Tie(models.TextChoices):
        SELF = "self", _("Is the member")
        HOUSEHOLD = "household", _("Same household")
        BUSINESS = "business", _("Business partner")
        OTHER = "other", _("Other tie")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="declared_conflicts",
        verbose_name=_("inspector"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("member")
    )
    tie = models.CharField(_("tie"), max_length=16, choices=Tie.choices)
    declared_on = models.DateField(_("declared on"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "member__organisation_id"

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["inspector", "member"], name="one_conflict_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} ~ {self.member} ({self.get_tie_display()})"


class IcsCost(models.Model):
    """What running the Internal Control System cost in one cycle (year): inspectors' time,
    travel, training. With audit costs, it gives the cost of certification per member."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.CASCADE, related_name="ics_costs"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "organisation_id"

    class Meta:
        verbose_name = _("ICS cost")
        verbose_name_plural = _("ICS costs")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "currency"], name="one_ics_cost_per_year"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="ics_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}: {self.amount} {self.currency}"


class PeerGroup(models.Model):
    """A Participatory Guarantee System group: producers who review each other, with the
    people who join the visits, and a local council that decides. Visible to the group."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.CASCADE,
        related_name="peer_groups",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(Member, related_name="peer_groups", verbose_name=_("members"))
    council = models.CharField(
        _("local council"), max_length=300, help_text=_("Who sits on the council that decides.")
    )
    created_on = models.DateField(_("created on"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["name"]
        verbose_name = _("peer-review group")
        verbose_name_plural = _("peer-review groups")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_peer_group"),
        ]

    def __str__(self) -> str:
        return self.name


class PeerVisit(models.Model):
    """A visit by a producer of the group together with another participant (a consumer, a
    buyer, a support organisation) to another member."""

    class Companion(models.TextChoices):
        CONSUMER = "consumer", _("Consumer")
        BUYER = "buyer", _("Buyer")
        SUPPORT = "support", _("Support organisation")
        OTHER = "other", _("Other participant")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="visits")
    visited = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="peer_visits",
        verbose_name=_("member visited"),
    )
    visitor = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("visiting producer")
    )
    companion_name = models.CharField(_("companion"), max_length=120)
    companion_kind = models.CharField(_("companion is a"), max_length=16, choices=Companion.choices)
    visited_on = models.DateField(_("date"))
    findings = models.TextField(_("what they saw"))
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=MemberStatus.choices
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "group__organisation_id"

    class Meta:
        ordering = ["-visited_on"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(visited=models.F("visitor")), name="peer_visit_not_to_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.visited} ({self.visited_on})"
