"""Certification decisions: certify, suspend (within the limit), reinstate, withdraw."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from batea.access.scoping import roles_granting, sees_everything
from batea.certification.models import Certificate, CertificationDecision
from batea.domain.access import CHANGE, Resource, Role
from batea.integrity.chains import seal

DEFAULT_SUSPENSION_LIMIT_DAYS = 183  # six months, the usual limit (Fairtrade: at most 6)


def _require_certifier(user, organisation) -> None:
    if sees_everything(user):
        return
    if Role.CERTIFIER not in roles_granting(user, organisation, Resource.CERTIFICATE, CHANGE):
        raise PermissionDenied(
            _(
                "Only a certifier of a certification body engaged with this "
                "organisation decides on its certification."
            )
        )


def _number(on: date) -> str:
    count = Certificate.objects.filter(number__startswith=f"BAT-{on.year}-").count()
    return f"BAT-{on.year}-{count + 1:05d}"


@transaction.atomic
def certify(
    user,
    organisation,
    version,
    *,
    valid_from: date,
    valid_until: date,
    reason: str,
    sites=(),
    minerals: str = "gold",
    variant: str = "",
    surveillance_months: int = 12,
) -> Certificate:
    _require_certifier(user, organisation)
    errors = {}
    if version.status == "retired":
        errors["version"] = _("This standard version is retired.")
    if valid_until <= valid_from:
        errors["valid_until"] = _("The end of validity must come after its start.")
    if any(site.organisation_id != organisation.pk for site in sites):
        errors["sites"] = _("A site belongs to another organisation.")
    variants = {v["id"] for v in version.document.get("variants", [])}
    if variant and variant not in variants:
        errors["variant"] = _("The standard has no variant %(variant)s.") % {"variant": variant}
    if not reason.strip():
        errors["reason"] = _("Say on what the decision rests.")
    if errors:
        raise ValidationError(errors)
    certificate = Certificate.objects.create(
        number=_number(valid_from),
        organisation=organisation,
        version=version,
        variant=variant,
        minerals=minerals,
        valid_from=valid_from,
        valid_until=valid_until,
        surveillance_months=surveillance_months,
        members_covered=organisation.members.filter(status__in=["approved", "conditional"]).count(),
    )
    certificate.sites.set(sites)
    seal(
        CertificationDecision(
            certificate=certificate,
            action="certify",
            reason=reason.strip(),
            decided_by=user,
            decided_on=timezone.localdate(),
        )
    )
    return certificate


def suspension_limit_days(certificate: Certificate) -> int:
    return certificate.version.document.get("certification", {}).get(
        "max_suspension_days", DEFAULT_SUSPENSION_LIMIT_DAYS
    )


@transaction.atomic
def change_status(
    user, certificate: Certificate, action: str, reason: str, until: date | None = None
) -> Certificate:
    """Suspend (until a date within the limit), reinstate or withdraw a certificate."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    _require_certifier(user, certificate.organisation)
    today = timezone.localdate()
    if not reason.strip():
        raise ValidationError({"reason": _("Say on what the decision rests.")})
    if certificate.status == Certificate.Status.WITHDRAWN:
        raise ValidationError({"status": _("A withdrawn certificate cannot change.")})
    if action == "suspend":
        limit = suspension_limit_days(certificate)
        if until is None or until <= today:
            raise ValidationError({"until": _("Give the date the suspension ends.")})
        if until > today + timedelta(days=limit):
            raise ValidationError(
                {
                    "until": _("A suspension lasts at most %(days)s days; correct or withdraw.")
                    % {"days": limit}
                }
            )
        certificate.status, certificate.suspended_until = Certificate.Status.SUSPENDED, until
    elif action == "reinstate":
        if certificate.status != Certificate.Status.SUSPENDED:
            raise ValidationError({"status": _("Only a suspended certificate is reinstated.")})
        certificate.status, certificate.suspended_until = Certificate.Status.VALID, None
    elif action == "withdraw":
        certificate.status, certificate.suspended_until = Certificate.Status.WITHDRAWN, None
    else:
        raise ValidationError({"action": _("Unknown decision.")})
    certificate.save(update_fields=["status", "suspended_until", "updated_at"])
    seal(
        CertificationDecision(
            certificate=certificate,
            action=action,
            reason=reason.strip(),
            decided_by=user,
            decided_on=today,
        )
    )
    return certificate
