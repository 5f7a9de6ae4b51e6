from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "batea.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from batea.access import throttle  # noqa: F401 — connects the sign-in signal receivers
