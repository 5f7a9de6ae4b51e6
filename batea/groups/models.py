"""Approval-committee decisions on members: status changes and sanctions, with their record."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import OrganisationKind, Resource
from batea.registry.models import Member, MemberStatus, TimeStamped


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
    standard = models.ForeignKey(
        "standards.Standard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("standard"),
        help_text=_("The standard whose Participatory Guarantee System the group runs."),
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


class RiskRuleSet(TimeStamped):
    """Member-risk rules (points per factor, thresholds, rules over site surveys) set by a
    standard owner or a support organisation. Everyone signed in reads them; only the owner
    organisation's standard owners or support officers change them. Which set applies to a
    group: `batea.groups.services.applicable_rules`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.PROTECT,
        related_name="risk_rule_sets",
        verbose_name=_("owner"),
    )
    title = models.CharField(_("title"), max_length=120)
    rules = models.JSONField(_("rules"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.RISK_RULES
    scope_organisation_field = "owner_id"

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("risk rule set")
        verbose_name_plural = _("risk rule sets")
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="unique_risk_rule_set_title"),
            models.CheckConstraint(condition=~models.Q(title=""), name="risk_rule_set_has_title"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from batea.domain.group.risk import check_rules
        from batea.registry.models import explain

        errors = {}
        if self.owner_id and self.owner.kind not in (
            OrganisationKind.SUPPORT,
            OrganisationKind.STANDARD_OWNER,
        ):
            errors["owner"] = _("Risk rules belong to a standard owner or a support organisation.")
        problems = check_rules(self.rules)
        if problems:
            errors["rules"] = [explain(problem) for problem in problems]
        if errors:
            raise ValidationError(errors)


class GroupFinding(models.Model):
    """A finding about a group as a whole, recorded once per organisation, standard version
    and cycle (year): today, an Internal Control System whose results disagree with the
    external auditor's more than the standard allows. It stays open until closed with a
    note saying what was done (e.g. inspectors retrained)."""

    class Kind(models.TextChoices):
        ICS_UNRELIABLE = "ics_unreliable", _("Unreliable Internal Control System")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.CASCADE,
        related_name="group_findings",
        verbose_name=_("organisation"),
    )
    standard_version = models.ForeignKey(
        "standards.StandardVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("standard"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle (year)"))
    raised_on = models.DateField(_("raised on"))
    pairs = models.PositiveIntegerField(_("results compared"))
    agreement = models.DecimalField(_("agreement"), max_digits=4, decimal_places=3)
    kappa = models.DecimalField(_("Cohen's kappa"), max_digits=4, decimal_places=3)
    threshold = models.DecimalField(_("threshold"), max_digits=4, decimal_places=3)
    sample_factor = models.DecimalField(
        _("sample grows by"), max_digits=4, decimal_places=2, default=2
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closing_note = models.TextField(_("what was done"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ASSESSMENT
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-raised_on", "-created_at"]
        verbose_name = _("group finding")
        verbose_name_plural = _("group findings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "standard_version", "kind", "cycle"],
                name="one_group_finding_per_cycle",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_on__isnull=True)
                | (models.Q(status="closed", closed_on__isnull=False) & ~models.Q(closing_note="")),
                name="closed_group_finding_has_date_and_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display()} {self.cycle}"
