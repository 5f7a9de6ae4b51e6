"""Demo: Río Claro, ready on the Fairmined-style standard, holds a valid certificate."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from batea.assessments.pathway import current_version
from batea.certification import services
from batea.certification.models import Certificate
from batea.registry.models import Organisation


def load(stdout=None) -> dict[str, int]:
    organisation = Organisation.objects.get(slug="rio-claro")
    version = current_version("fairmined-style-progressive")
    certifier = get_user_model().objects.filter(username="certifier").first()
    if version and certifier and not Certificate.objects.filter(organisation=organisation).exists():
        # Certified eleven months ago; the audit of 40 days ago is its yearly surveillance.
        start = timezone.localdate() - timedelta(days=330)
        services.certify(
            certifier,
            organisation,
            version,
            valid_from=start,
            valid_until=start + timedelta(days=3 * 365),
            minerals="gold, silver",
            sites=list(organisation.sites.filter(uses_mercury=False)),
            reason="Initial audit reviewed: every core and major requirement met; "
            "productivity within the eligibility limit.",
        )
    return {"certificates": Certificate.objects.count()}
