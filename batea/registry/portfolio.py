"""A support organisation's portfolio: its ASMOs side by side, a page at a time.

A federation may support thousands of ASMOs and a million members. The page therefore
computes indicators for the rows it shows (one grouped query per table, for one page of
organisations) and totals over the whole portfolio in one aggregate per table. Past
`BATEA_PORTFOLIO_LIVE_LIMIT` organisations the totals are kept in the cache for
`BATEA_PORTFOLIO_TOTALS_SECONDS` and the page says when they were computed: counting a
million members on every visit would hold a server worker for hundreds of milliseconds.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from batea.access.scoping import user_roles
from batea.domain.access import RelationKind
from batea.domain.formalisation import LicenceState
from batea.registry.models import Member, Organisation, Relation, Site

PER_PAGE = 50


def supported_organisations(user, today: date):
    """The organisations the user's own organisations support today (a queryset)."""
    own = {org_id for org_id, _role in user_roles(user)}
    targets = (
        Relation.objects.visible_to(user)
        .active_on(today)
        .filter(kind=RelationKind.SUPPORT, source_id__in=own)
        .values("target_id")
    )
    return Organisation.objects.visible_to(user).filter(id__in=targets)


def filter_portfolio(organisations, query: str = "", country: str = ""):
    """Narrow the portfolio by name or region and by country."""
    query = query.strip()
    if query:
        organisations = organisations.filter(Q(name__icontains=query) | Q(region__icontains=query))
    if country:
        organisations = organisations.filter(country=country)
    return organisations


def _member_counts(user, organisation_ids):
    return (
        Member.objects.visible_to(user)
        .filter(organisation_id__in=organisation_ids)
        .order_by()
        .values("organisation_id")
        .annotate(
            total=Count("id"),
            women=Count("id", filter=Q(gender=Member.Gender.FEMALE)),
            approved=Count("id", filter=Q(status=Member.Status.APPROVED)),
        )
    )


def _site_counts(user, organisation_ids):
    return (
        Site.objects.visible_to(user)
        .filter(organisation_id__in=organisation_ids)
        .order_by()
        .values("organisation_id")
        .annotate(total=Count("id"), mercury=Count("id", filter=Q(uses_mercury=True)))
    )


def share(part: int, whole: int) -> int | None:
    """A whole-number percentage, or None when there is nothing to divide."""
    return round(100 * part / whole) if whole else None


def portfolio_rows(user, organisations, today: date) -> list[dict]:
    """Indicators of one page of organisations: three queries whatever the page size."""
    organisations = list(organisations)
    ids = [org.id for org in organisations]
    members = {row["organisation_id"]: row for row in _member_counts(user, ids)}
    sites = {row["organisation_id"]: row for row in _site_counts(user, ids)}
    rows = []
    for org in organisations:
        m = members.get(org.id, {"total": 0, "women": 0, "approved": 0})
        s = sites.get(org.id, {"total": 0, "mercury": 0})
        licence_states = [lic.state(today) for lic in org.licences.all()]
        rows.append(
            {
                "organisation": org,
                "members": m["total"],
                "women_share": share(m["women"], m["total"]),
                "approved": m["approved"],
                "sites": s["total"],
                "mercury_sites": s["mercury"],
                "formalisation": org.formalisation(today),
                "licence_warnings": sum(
                    state in (LicenceState.EXPIRING, LicenceState.EXPIRED)
                    for state in licence_states
                ),
            }
        )
    return rows


def compute_totals(user, organisations, size: int) -> dict:
    """Totals over the whole portfolio (`size` organisations), one aggregate per table."""
    ids = organisations.order_by().values("id")
    members = (
        Member.objects.visible_to(user)
        .filter(organisation_id__in=ids)
        .aggregate(total=Count("id"), women=Count("id", filter=Q(gender=Member.Gender.FEMALE)))
    )
    sites = Site.objects.visible_to(user).filter(organisation_id__in=ids).count()
    return {
        "organisations": size,
        "members": members["total"],
        "women": members["women"],
        "women_share": share(members["women"], members["total"]),
        "sites": sites,
        "computed_at": timezone.now(),
    }


def _cache_key(user) -> str:
    # Users holding the same roles in the same organisations see the same portfolio.
    roles = sorted(f"{org_id}:{role}" for org_id, role in user_roles(user))
    digest = hashlib.sha256("|".join(roles).encode()).hexdigest()[:32]
    return f"batea:portfolio-totals:{user.is_superuser:d}:{digest}"


def portfolio_totals(user, organisations, size: int) -> tuple[dict, bool]:
    """Totals of the portfolio and whether they come from the cache (may be minutes old).

    `size` is the number of organisations in the portfolio; small portfolios are always
    counted live.
    """
    seconds = settings.BATEA_PORTFOLIO_TOTALS_SECONDS
    if size <= settings.BATEA_PORTFOLIO_LIVE_LIMIT or seconds <= 0:
        return compute_totals(user, organisations, size), False
    key = _cache_key(user)
    totals = cache.get(key)
    if totals is None:
        totals = compute_totals(user, organisations, size)
        cache.set(key, totals, seconds)
    return totals, True
