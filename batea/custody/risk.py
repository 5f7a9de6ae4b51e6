"""What custody tells member risk: sites in red-flag areas and sites with production
anomalies (registered with `batea.groups.hooks` when the app is ready)."""

from datetime import date

from batea.domain.custody import CustodyError, flags

ANOMALIES = ("productivity_above_threshold", "production_spike", "no_miner_days")


def sites_in_red_flag_areas(organisation, today: date) -> set:
    """The organisation's sites lying (even partly) in an active red-flag area."""
    from batea.custody.models import RedFlagArea
    from batea.registry.models import Site

    areas = {a.name: a.geometry for a in RedFlagArea.objects.filter(active=True)}
    if not areas:
        return set()
    found = set()
    for pk, geometry in Site.objects.filter(organisation=organisation).values_list(
        "id", "geometry"
    ):
        try:
            if geometry and flags.check_red_flag_areas(geometry, areas):
                found.add(pk)
        except CustodyError:  # a malformed area must not stop risk classification
            continue
    return found


def sites_with_production_anomalies(organisation, today: date) -> set:
    """Sites with an open production red flag (implausible productivity, a sudden spike,
    production without miner-days)."""
    from batea.custody.models import Incident

    return set(
        Incident.objects.filter(organisation=organisation, code__in=ANOMALIES, site__isnull=False)
        .exclude(status="closed")
        .values_list("site_id", flat=True)
    )
