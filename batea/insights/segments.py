"""Saved segments from the database: who may own them, their members counted in SQL, and
snapshots over time.

A segment's members are drawn from its owner: the owner's own members when it is an ASMO,
the members of the ASMOs it supports (active support relations on the day) when it is a
support organisation. Member clauses (gender, role, status, age) become one SQL filter;
organisation clauses (licence status, country, level on the ladder) select the
organisations first (licence status is derived from the licences, the level from the
pathway engine, both for all organisations at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from batea.access.scoping import organisations_where
from batea.domain.access import CHANGE, VIEW, OrganisationKind, RelationKind, Resource
from batea.domain.formalisation import FormalisationStatus
from batea.domain.insights import segments as rules
from batea.domain.insights.bands import AGE_BAND_KEYS, UNKNOWN_AGE, birth_years

OWNER_KINDS = (OrganisationKind.ASMO, OrganisationKind.SUPPORT)


def vocabulary() -> rules.Vocabulary:
    from batea.assessments.pathway import default_ladder
    from batea.registry.models import MemberGender, MemberRole, MemberStatus

    ladder = default_ladder()
    return rules.Vocabulary(
        {
            "gender": tuple(MemberGender.values),
            "role": tuple(MemberRole.values),
            "status": tuple(MemberStatus.values),
            "age": AGE_BAND_KEYS,
            "licence": tuple(status.value for status in FormalisationStatus),
        },
        len(ladder.rungs) if ladder else 0,
    )


def owners_for(user):
    """Organisations for which `user` may save segments: an ASMO or a support organisation
    whose profile they may change and whose members they may see."""
    members = organisations_where(user, Resource.MEMBER, VIEW).values("id")
    return (
        organisations_where(user, Resource.ORGANISATION, CHANGE)
        .filter(kind__in=OWNER_KINDS, id__in=members)
        .order_by("name")
    )


def may_change(user, segment) -> bool:
    return owners_for(user).filter(pk=segment.owner_id).exists()


def source_organisations(owner, on: date | None = None):
    """The ASMOs whose members a segment of `owner` is drawn from."""
    from batea.registry.models import Organisation, Relation

    if owner.kind == OrganisationKind.ASMO:
        return Organisation.objects.filter(pk=owner.pk)
    targets = (
        Relation.objects.active_on(on or timezone.localdate())
        .filter(kind=RelationKind.SUPPORT, source=owner)
        .values("target_id")
    )
    return Organisation.objects.filter(id__in=targets, kind=OrganisationKind.ASMO)


@dataclass
class Counts:
    members: int = 0
    women: int = 0
    organisations: int = 0
    population: int = 0
    details: dict = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return self.members / self.population if self.population else None

    @property
    def women_share(self) -> float | None:
        return self.women / self.members if self.members else None


def member_condition(clause: dict, year: int, status_field: str = "status") -> Q:
    """One member clause as a Q over Member (status over `status_field`)."""
    name = clause["field"]
    if name == "age":
        q = Q()
        for key in clause["values"]:
            if key == UNKNOWN_AGE.key:
                q |= Q(birth_year__isnull=True)
                continue
            oldest, youngest = birth_years(key, year)
            bounds = {}
            if oldest is not None:
                bounds["birth_year__gte"] = oldest
            if youngest is not None:
                bounds["birth_year__lte"] = youngest
            q |= Q(**bounds)
        chosen = q
    else:
        column = status_field if name == "status" else name
        chosen = Q(**{f"{column}__in": clause["values"]})
    return ~chosen if clause["op"] == "not_in" else chosen


def organisation_values(organisations: list, clauses: list[dict], on: date) -> dict:
    """{organisation id: {"licence": …, "country": …, "level": …}} for what the clauses ask."""
    names = {clause["field"] for clause in clauses}
    values = {o.pk: {"country": o.country} for o in organisations}
    if "licence" in names:
        for organisation in organisations:
            values[organisation.pk]["licence"] = str(organisation.formalisation(on).status)
    if "level" in names:
        from batea.insights.services import ladder_positions

        for pk, pos in ladder_positions(organisations, on).items():
            values[pk]["level"] = pos.climbed
    return values


def members_of(definition: dict, owner, on: date | None = None):
    """(members in the segment, members it is drawn from): two querysets over Member, with
    `status_then` the member's status on `on` (from later decisions) for past dates."""
    from batea.groups.models import MemberDecision
    from batea.registry.models import Member

    today = timezone.localdate()
    on = on or today
    effective = rules.effective(definition)
    clauses = effective["clauses"]
    organisations = list(source_organisations(owner, on).prefetch_related("licences"))
    org_clauses = [c for c in clauses if c["field"] in rules.ORGANISATION_FIELDS]
    values = organisation_values(organisations, org_clauses, on)
    chosen = [
        o.pk
        for o in organisations
        if all(rules.holds(c, values[o.pk].get(c["field"])) for c in org_clauses)
    ]
    members = Member.objects.filter(organisation_id__in=[o.pk for o in organisations])
    if on < today:
        later = MemberDecision.objects.filter(member=OuterRef("pk"), decided_on__gt=on).order_by(
            "decided_on", "created_at"
        )
        members = members.filter(join_date__lte=on).annotate(
            status_then=Coalesce(Subquery(later.values("from_status")[:1]), "status")
        )
        status_field = "status_then"
    else:
        status_field = "status"
    population = members
    if not any(c["field"] == "status" for c in definition.get("clauses", [])):
        current = {"field": "status", "op": "in", "values": list(rules.CURRENT_STATUSES)}
        population = population.filter(member_condition(current, on.year, status_field))
    condition = Q(organisation_id__in=chosen)
    for clause in clauses:
        if clause["field"] in rules.MEMBER_FIELDS:
            condition &= member_condition(clause, on.year, status_field)
    return members.filter(condition), population


def count(definition: dict, owner, on: date | None = None) -> Counts:
    """The segment's counts on `on` (today by default): members, women among them, their
    organisations, and the members it is drawn from (current members, or every member
    when the definition names statuses)."""
    selected, population = members_of(definition, owner, on)
    totals = selected.order_by().aggregate(
        members=Count("id"),
        women=Count("id", filter=Q(gender="female")),
        organisations=Count("organisation", distinct=True),
    )
    status_field = "status_then" if (on and on < timezone.localdate()) else "status"
    by_status = dict(
        selected.order_by()
        .values_list(status_field)
        .annotate(n=Count("id"))
        .values_list(status_field, "n")
    )
    return Counts(
        totals["members"],
        totals["women"],
        totals["organisations"],
        population.order_by().count(),
        {"by_status": by_status},
    )


@transaction.atomic
def snapshot(segment, on: date | None = None):
    """Record (or refresh) the segment's counts on `on`."""
    from batea.insights.models import SegmentSnapshot

    on = on or timezone.localdate()
    counts = count(segment.definition, segment.owner, on)
    row, _created = SegmentSnapshot.objects.update_or_create(
        segment=segment,
        taken_on=on,
        defaults={
            "members": counts.members,
            "women": counts.women,
            "organisations": counts.organisations,
            "population": counts.population,
            "details": counts.details,
        },
    )
    return row


def snapshot_all(on: date | None = None, segments=None) -> int:
    from batea.insights.models import Segment

    done = 0
    for segment in (segments if segments is not None else Segment.objects.all()).select_related(
        "owner"
    ):
        snapshot(segment, on)
        done += 1
    return done
