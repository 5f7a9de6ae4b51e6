"""The registry's ASMOs as plain records for the simulator (read-only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from batea.domain.access import OrganisationKind
from batea.registry.models import Member, MemberStatus, Organisation, Site

# Members who still work in the organisation (an applicant mines too; excluded and left don't).
COUNTED_STATUSES = (
    MemberStatus.APPLICANT,
    MemberStatus.APPROVED,
    MemberStatus.CONDITIONAL,
    MemberStatus.SUSPENDED,
)
CAPACITY_KEY = "organisational_capacity"  # declared figure, 0–1, when an organisation has one
PRODUCTION_KEY = "gold_grams_per_miner_day"


def asmo_records(
    organisations=None, today: date | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """One record per ASMO of `organisations` (default: every ASMO), and the slugs skipped.

    Members: the counted members, else the sites' workforce; women's share likewise.
    Licence: the formalisation status derived from the licences. Capacity and production:
    the declared figures when present (else the scenario's distributions fill them in).
    Organisations with neither members nor workforce are skipped. Operator use: the caller
    decides which organisations are visible (e.g. `Organisation.objects.visible_to(user)`).
    """
    today = today or timezone.localdate()
    queryset = organisations if organisations is not None else Organisation.objects.all()
    queryset = queryset.filter(kind=OrganisationKind.ASMO).prefetch_related("licences")
    queryset = queryset.order_by("slug")
    ids = list(queryset.values_list("id", flat=True))
    members = {
        row["organisation"]: row
        for row in Member.objects.filter(organisation__in=ids, status__in=COUNTED_STATUSES)
        .values("organisation")
        .annotate(total=Count("id"), women=Count("id", filter=Q(gender="female")))
    }
    workforce = {
        row["organisation"]: row
        for row in Site.objects.filter(organisation__in=ids)
        .values("organisation")
        .annotate(total=Sum("workforce"), women=Sum("women_in_workforce"))
    }
    records, skipped = [], []
    for organisation in queryset:
        counted = members.get(organisation.id) or workforce.get(organisation.id) or {}
        total = int(counted.get("total") or 0)
        if total < 1:
            skipped.append(organisation.slug)
            continue
        record: dict[str, Any] = {
            "id": organisation.slug,
            "members": total,
            "women_share": round(int(counted.get("women") or 0) / total, 6),
            "licence": str(organisation.formalisation(today).status),
        }
        declared = organisation.declared_metrics or {}
        capacity = _number(declared.get(CAPACITY_KEY), 1)
        if capacity is not None:
            record["capacity"] = capacity
        production = _number(declared.get(PRODUCTION_KEY), 1000)
        if production is not None:
            record["production_g_per_miner_day"] = production
        records.append(record)
    return records, skipped


def _number(value: Any, maximum: float) -> float | None:
    """A declared figure when it is a number from 0 to `maximum`, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= maximum:
        return float(value)
    return None
