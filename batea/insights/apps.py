from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "batea.insights"
    label = "insights"
    verbose_name = _("Inclusion insights and the scale-up simulator")
