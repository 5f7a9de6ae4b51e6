from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "batea.custody"
    label = "custody"
    verbose_name = _("Chain of custody and premiums")

    def ready(self) -> None:
        from batea.custody import risk
        from batea.groups import hooks

        hooks.register(hooks.RED_FLAG_SITES, risk.sites_in_red_flag_areas)
        hooks.register(hooks.ANOMALOUS_SITES, risk.sites_with_production_anomalies)
