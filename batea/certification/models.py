"""Certificates and the decisions that make, suspend, reinstate or withdraw them."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.integrity.models import Chained, chain_constraints
from batea.registry.models import Organisation, TimeStamped
from batea.standards.models import StandardVersion

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_public_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Certificate(TimeStamped):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    public_code = models.CharField(
        _("verification code"), max_length=16, unique=True, default=new_public_code
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("organisation"),
    )
    version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    variant = models.CharField(_("variant"), max_length=64, blank=True)
    members_covered = models.PositiveIntegerField(_("members covered"))
    sites = models.ManyToManyField(
        "registry.Site", related_name="certificates", verbose_name=_("sites covered")
    )
    minerals = models.CharField(_("minerals"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    surveillance_months = models.PositiveSmallIntegerField(
        _("surveillance every (months)"), default=12
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALID
    )
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CERTIFICATE
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")),
                name="certificate_valid_until_after_from",
            ),
            models.CheckConstraint(
                condition=~Q(status="suspended") | Q(suspended_until__isnull=False),
                name="suspension_has_an_end",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def current_status(self) -> str:
        """The status as of today: a valid certificate past its end date has expired."""
        if self.status == self.Status.VALID and self.valid_until < timezone.localdate():
            return "expired"
        return self.status


class CertificationDecision(Chained):
    """Only certifiers decide; every decision is kept with who, when and why, sealed into
    its certificate's hash chain (`batea.integrity.chains.seal`)."""

    class Action(models.TextChoices):
        CERTIFY = "certify", _("Certified")
        SUSPEND = "suspend", _("Suspended")
        REINSTATE = "reinstate", _("Reinstated")
        WITHDRAW = "withdraw", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("decision"), max_length=12, choices=Action.choices)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"))
    # A default rather than auto_now_add: the time is hashed before the row is written.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.CERTIFICATE
    scope_organisation_field = "certificate__organisation_id"
    chain_prefix = "decision"
    chain_key = "certificate_id"
    chain_organisation = "certificate__organisation_id"
    chain_fields = (
        "id",
        "certificate_id",
        "action",
        "reason",
        "decided_by_id",
        "decided_on",
        "created_at",
    )

    class Meta:
        ordering = ["-decided_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="certification_decision_reason"),
            *chain_constraints("certification_decision", "certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} {self.action}"
