"""Chain of custody and premiums, as stored.

The rules (what may be done with a lot, conservation, claims, trace, premiums) live in
`batea.domain.custody`; `batea.custody.services` applies them and stores the result. The
database guards what must never break even if a rule is bypassed: positive masses,
fineness in (0, 1000], a lot consumed, shipped by one holder or sold at most once, credit
and fund balances never negative, disbursements within the project budget.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.domain.custody.lots import KINDS, MODELS, STATUSES
from batea.integrity.models import Chained, chain_constraints
from batea.registry.models import Member, Organisation, Site, TimeStamped
from batea.standards.models import StandardVersion

KIND_LABELS = {
    "ore": _("Ore"),
    "concentrate": _("Concentrate"),
    "dore": _("Doré"),
    "fine_gold": _("Fine gold"),
    "other": _("Other"),
}
MODEL_LABELS = {
    "identity_preserved": _("Identity preserved"),
    "segregated": _("Segregated"),
    "mass_balance": _("Mass balance"),
}
STATUS_LABELS = {
    "active": _("Held"),
    "in_transit": _("In transit"),
    "consumed": _("Split, merged or processed"),
    "sold": _("Sold"),
}
MASS = {"max_digits": 16, "decimal_places": 3}  # grams, to the milligram
FINENESS = {"max_digits": 10, "decimal_places": 6}  # parts per thousand
FINE = {"max_digits": 28, "decimal_places": 12}  # mass × fineness / 1000, exact
MONEY = {"max_digits": 16, "decimal_places": 2}


class Lot(models.Model):
    """A quantity of ore, concentrate, doré or fine metal, held by one organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    code = models.CharField(_("lot"), max_length=40, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="lots", verbose_name=_("holder")
    )
    consignee = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_lots",
        verbose_name=_("in transit to"),
    )
    # The organisation that mined it (for produced lots and lots made only from its own).
    origin_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="originated_lots",
        verbose_name=_("origin"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=list(KIND_LABELS.items()))
    mineral = models.CharField(_("mineral"), max_length=32)
    mass_g = models.DecimalField(_("mass (g)"), **MASS)
    fineness = models.DecimalField(_("fineness (‰)"), **FINENESS)
    fine_g = models.DecimalField(_("fine content (g)"), **FINE)
    status = models.CharField(
        _("status"), max_length=12, choices=list(STATUS_LABELS.items()), default="active"
    )
    claim_version = models.ForeignKey(
        StandardVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certified under"),
    )
    claim_variant = models.CharField(_("variant"), max_length=64, blank=True)
    custody_model = models.CharField(
        _("chain-of-custody model"), max_length=24, blank=True, choices=list(MODEL_LABELS.items())
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    produced_on = models.DateField(_("produced on"), null=True, blank=True)
    # Every site any of its material came from (identity-preserved claims need one).
    origin_sites = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CUSTODY
    # The holder, the addressee of a shipment and the producing organisation see a lot.
    scope_organisation_field = ("organisation_id", "consignee_id", "origin_organisation_id")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.CheckConstraint(condition=Q(mass_g__gt=0), name="lot_mass_positive"),
            models.CheckConstraint(
                condition=Q(fineness__gt=0, fineness__lte=1000), name="lot_fineness_range"
            ),
            models.CheckConstraint(condition=Q(status__in=STATUSES), name="lot_known_status"),
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="lot_known_kind"),
            models.CheckConstraint(
                condition=Q(claim_version__isnull=True, custody_model="")
                | Q(claim_version__isnull=False, custody_model__in=MODELS),
                name="lot_claim_has_model",
            ),
            models.CheckConstraint(
                condition=~Q(status="in_transit") | Q(consignee__isnull=False),
                name="lot_in_transit_has_consignee",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["origin_organisation", "produced_on"]),
            models.Index(fields=["site", "produced_on"]),
            # Lists show the newest lots first: a big holder's first page is read in order.
            models.Index(fields=["created_at"], name="custody_lot_created_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def certified(self) -> bool:
        return self.claim_version_id is not None


class CustodyEvent(Chained):
    """Something done with lots: production, shipment, receipt, split, merge,
    transformation (e.g. refining) or sale. Sealed into its organisation's hash chain."""

    class Kind(models.TextChoices):
        PRODUCTION = "production", _("Production")
        SHIPMENT = "shipment", _("Shipment")
        RECEIPT = "receipt", _("Receipt")
        SPLIT = "split", _("Split")
        MERGE = "merge", _("Merge")
        TRANSFORMATION = "transformation", _("Transformation")
        SALE = "sale", _("Sale")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="custody_events"
    )
    counterparty = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    operation = models.CharField(_("operation"), max_length=32, blank=True)  # e.g. refining
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True)
    loss_fine_g = models.DecimalField(_("fine content lost (g)"), default=Decimal(0), **FINE)
    note = models.TextField(_("note"), blank=True)
    # PROTECT: who recorded a sealed event is part of its hash (deactivate people instead).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # A default rather than auto_now_add: the time is hashed before the row is written.
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CUSTODY
    scope_organisation_field = ("organisation_id", "counterparty_id")
    chain_prefix = "custody"
    chain_key = "organisation_id"
    chain_organisation = "organisation_id"
    chain_fields = (
        "id",
        "kind",
        "organisation_id",
        "counterparty_id",
        "occurred_on",
        "operation",
        "site_id",
        "loss_fine_g",
        "note",
        "recorded_by_id",
        "recorded_at",
    )

    class Meta:
        ordering = ["occurred_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(loss_fine_g__gte=0), name="event_loss_not_negative"),
            *chain_constraints("custody_event", "organisation"),
        ]
        indexes = [models.Index(fields=["organisation", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class LotUse(models.Model):
    """A lot taken by an event. A lot is consumed (split, merged, transformed) or sold at
    most once, and shipped at most once by each holder: unique keys, so of two concurrent
    attempts exactly one is stored."""

    class Use(models.TextChoices):
        PRODUCED = "produced", _("Produced")
        CONSUMED = "consumed", _("Consumed")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")
        SOLD = "sold", _("Sold")

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(CustodyEvent, on_delete=models.PROTECT, related_name="uses")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="uses")
    use = models.CharField(max_length=12, choices=Use.choices)
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lot"], condition=Q(use__in=["consumed", "sold"]), name="lot_used_up_once"
            ),
            models.UniqueConstraint(
                fields=["lot", "holder"], condition=Q(use="shipped"), name="lot_shipped_once"
            ),
            models.UniqueConstraint(
                fields=["lot", "holder"], condition=Q(use="received"), name="lot_received_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.use}"


class LotLink(models.Model):
    """A lot made from another: the child took `fine_g` fine grams of the parent."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(CustodyEvent, on_delete=models.PROTECT, related_name="links")
    parent = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="child_links")
    child = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="parent_links")
    fine_g = models.DecimalField(**FINE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="one_link_per_pair"),
            models.CheckConstraint(condition=Q(fine_g__gte=0), name="link_fine_not_negative"),
        ]
        indexes = [models.Index(fields=["child"]), models.Index(fields=["parent"])]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id}"


class LotOrigin(models.Model):
    """Who produced a lot: members and their miner-days (their shares of the lot)."""

    id = models.BigAutoField(primary_key=True)
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="origins")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="lot_origins")
    miner_days = models.DecimalField(_("miner-days"), max_digits=10, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "member"], name="one_origin_per_member"),
            models.CheckConstraint(condition=Q(miner_days__gt=0), name="miner_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.miner_days}"


class RedFlagArea(TimeStamped):
    """A conflict-affected, high-risk or protected area: origins inside it raise incidents.
    Kept by standard owners and support organisations with their risk rules."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("why it is a red-flag area"))
    geometry = models.JSONField(_("area (GeoJSON polygon)"))
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.RISK_RULES
    scope_organisation_field = "owner_id"

    class Meta:
        ordering = ["name"]
        verbose_name = _("red-flag area")
        verbose_name_plural = _("red-flag areas")

    def __str__(self) -> str:
        return self.name


class Incident(TimeStamped):
    """A red flag raised on a lot or sale, followed until it is closed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Under investigation")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="incidents"
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True)
    code = models.CharField(_("red flag"), max_length=32)
    severity = models.CharField(_("severity"), max_length=8)
    template = models.TextField()  # English, translated when shown
    params = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CUSTODY
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-opened_on", "code"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(fields=["lot", "code"], name="one_incident_per_lot_flag"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False),
                name="closed_incident_has_date",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.code} ({self.opened_on})"


class ReferencePrice(models.Model):
    """A reference price (e.g. the monthly gold price) in USD per troy ounce."""

    id = models.BigAutoField(primary_key=True)
    metal = models.CharField(_("metal"), max_length=16, default="gold")
    on = models.DateField(_("from"))
    usd_per_troy_oz = models.DecimalField(_("USD per troy ounce"), max_digits=14, decimal_places=4)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["metal", "on"]
        constraints = [
            models.UniqueConstraint(fields=["metal", "on"], name="one_price_per_metal_and_date"),
            models.CheckConstraint(condition=Q(usd_per_troy_oz__gt=0), name="price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metal} {self.on}: {self.usd_per_troy_oz}"


class Sale(TimeStamped):
    """A lot sold: the price, the reference it is checked against, the premium owed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    event = models.OneToOneField(CustodyEvent, on_delete=models.PROTECT, related_name="sale")
    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="sale")
    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sales")
    buyer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="purchases")
    sold_on = models.DateField(_("sold on"))
    fine_g = models.DecimalField(_("fine content (g)"), **FINE)
    usd_per_troy_oz = models.DecimalField(_("price (USD/troy oz)"), max_digits=14, decimal_places=4)
    reference_usd_per_troy_oz = models.DecimalField(
        _("reference price (USD/troy oz)"), max_digits=14, decimal_places=4, null=True
    )
    minimum_price_ok = models.BooleanField(_("minimum price respected"), null=True)
    premium_rule = models.CharField(_("premium rule"), max_length=64, blank=True)
    premium_owed = models.DecimalField(_("premium owed"), default=Decimal(0), **MONEY)
    premium_currency = models.CharField(max_length=3, default="USD")

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CUSTODY
    scope_organisation_field = ("seller_id", "buyer_id")

    class Meta:
        ordering = ["-sold_on"]
        # A refinery sees half of all sales: its newest are read in index order.
        indexes = [models.Index(fields=["sold_on"], name="custody_sale_sold_on_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(usd_per_troy_oz__gt=0), name="sale_price_positive"),
            models.CheckConstraint(condition=Q(premium_owed__gte=0), name="premium_not_negative"),
            models.CheckConstraint(condition=~Q(seller=F("buyer")), name="sale_to_another"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.sold_on}"


class MassBalanceAccount(models.Model):
    """Certified credit of one organisation under one standard (and variant), in fine grams.
    Entries move the balance under a row lock; the database refuses a negative balance."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mass_balance_accounts"
    )
    standard = models.CharField(_("standard"), max_length=64)
    variant = models.CharField(_("variant"), max_length=64, blank=True)
    balance_g = models.DecimalField(_("credit (fine g)"), default=Decimal(0), **FINE)
    carry_over = models.BooleanField(_("credit carries over to the next period"), default=True)
    closed_until = models.DateField(_("reconciled until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CUSTODY
    scope_organisation_field = "organisation_id"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "standard", "variant"], name="one_account_per_claim"
            ),
            models.CheckConstraint(condition=Q(balance_g__gte=0), name="credit_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.variant}".strip()


class MassBalanceEntry(models.Model):
    class Kind(models.TextChoices):
        CREDIT = "credit", _("Certified input")
        DEBIT = "debit", _("Certified output")
        EXPIRY = "expiry", _("Expired at reconciliation")

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        MassBalanceAccount, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    on = models.DateField()
    fine_g = models.DecimalField(**FINE)
    reference = models.CharField(max_length=80)  # the lot or sale behind the entry
    balance_after_g = models.DecimalField(**FINE)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "reference"], name="one_entry_per_reference"
            ),
            models.CheckConstraint(condition=Q(fine_g__gt=0), name="entry_positive"),
            models.CheckConstraint(condition=Q(balance_after_g__gte=0), name="entry_balance_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.fine_g} g {self.on}"


class MassBalancePeriod(models.Model):
    """A reconciliation period, closed with its statement; entries inside are then final."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        MassBalanceAccount, on_delete=models.PROTECT, related_name="periods"
    )
    start = models.DateField()
    end = models.DateField()
    statement = models.JSONField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["account", "start"], name="one_period_per_start"),
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"


class PremiumFund(models.Model):
    """An organisation's premium fund; the balance never goes negative."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="premium_fund"
    )
    currency = models.CharField(max_length=3, default="USD")
    balance = models.DecimalField(_("balance"), default=Decimal(0), **MONEY)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "organisation_id"

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="fund_never_negative")
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class CommitteeMember(models.Model):
    """A member of the premium committee and the group of the production system they speak
    for (miners, plant workers, shareholders, vulnerable groups, local authorities)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    fund = models.ForeignKey(PremiumFund, on_delete=models.CASCADE, related_name="committee")
    name = models.CharField(_("name"), max_length=200)
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True)
    represents = models.CharField(_("represents"), max_length=100)
    gender = models.CharField(_("gender"), max_length=16, blank=True)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "fund__organisation_id"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PremiumReceipt(Chained):
    """A premium received into a fund; sealed into the fund's ledger chain."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    fund = models.ForeignKey(PremiumFund, on_delete=models.PROTECT, related_name="receipts")
    sale = models.OneToOneField(
        Sale, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "fund__organisation_id"
    chain_prefix = "premium"
    chain_key = "fund_id"
    chain_organisation = "fund__organisation_id"
    chain_fields = ("id", "fund_id", "sale_id", "amount", "received_on", "note")

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_positive"),
            *chain_constraints("premium_receipt", "fund"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.received_on}"


class InvestmentPlan(TimeStamped):
    """A premium investment plan (goals for 3–5 years); projects get money only once the
    premium committee has approved it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    fund = models.ForeignKey(PremiumFund, on_delete=models.PROTECT, related_name="plans")
    title = models.CharField(_("title"), max_length=200)
    goals = models.TextField(_("goals"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.ManyToManyField(
        CommitteeMember, blank=True, related_name="approvals", verbose_name=_("approved by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "fund__organisation_id"

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="plan_dates")
        ]

    def __str__(self) -> str:
        return self.title


class PlanProject(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    plan = models.ForeignKey(InvestmentPlan, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("project"), max_length=200)
    budget = models.DecimalField(_("budget"), **MONEY)
    disbursed = models.DecimalField(_("disbursed"), default=Decimal(0), **MONEY)
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), default=0)
    women_beneficiaries = models.PositiveIntegerField(_("of whom women"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "plan__fund__organisation_id"

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="project_budget_positive"),
            models.CheckConstraint(
                condition=Q(disbursed__gte=0, disbursed__lte=F("budget")),
                name="disbursed_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(women_beneficiaries__lte=F("beneficiaries")),
                name="women_among_beneficiaries",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Disbursement(Chained):
    """Money paid from a fund to a project; sealed into the fund's ledger chain."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # The project's fund, kept on the row: the ledger chain is the fund's.
    fund = models.ForeignKey(PremiumFund, on_delete=models.PROTECT, related_name="disbursements")
    project = models.ForeignKey(PlanProject, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # PROTECT: who recorded a sealed payment is part of its hash.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.PREMIUM
    scope_organisation_field = "project__plan__fund__organisation_id"
    chain_prefix = "premium"
    chain_key = "fund_id"
    chain_organisation = "fund__organisation_id"
    chain_fields = ("id", "fund_id", "project_id", "amount", "paid_on", "note", "recorded_by_id")

    class Meta:
        ordering = ["-paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive"),
            *chain_constraints("disbursement", "fund"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.paid_on}"
