"""Roles that users hold in organisations."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from batea.domain.access import Role, role_fits_organisation

ROLE_LABELS = {
    Role.ASMO_MANAGER: _("ASMO manager"),
    Role.ICS_INSPECTOR: _("ICS inspector"),
    Role.PEER_REVIEWER: _("Peer reviewer"),
    Role.AUDITOR: _("Auditor"),
    Role.CERTIFIER: _("Certifier"),
    Role.STANDARD_OWNER: _("Standard owner"),
    Role.SUPPORT_OFFICER: _("Support organisation officer"),
    Role.BUYER: _("Buyer / refiner"),
}
ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class RoleAssignment(models.Model):
    """A user holds one role in one organisation; a user may hold several."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=32, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_role_per_user_and_org"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[role.value for role in Role]), name="known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"

    def clean(self) -> None:
        if self.organisation_id and not role_fits_organisation(self.role, self.organisation.kind):
            raise ValidationError(
                {
                    "role": _("A %(role)s cannot be held in a %(kind)s organisation.")
                    % {
                        "role": self.get_role_display(),
                        "kind": self.organisation.get_kind_display(),
                    }
                }
            )


class SignInFailure(models.Model):
    """A failed sign-in (web form, admin or HTTP Basic), by username and address: enough of
    them within the window refuse further attempts (batea.access.throttle). Kept in the
    database so that every worker process sees them; pruned once older than the window."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_username"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address} · {self.at:%Y-%m-%d %H:%M}"
