from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "batea.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_commodities, sender=self)


def _sync_commodities(**kwargs) -> None:
    from batea.registry.models import sync_commodities

    sync_commodities()
