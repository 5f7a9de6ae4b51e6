"""Inclusion insights from the database: set-based aggregate queries over a scope.

A scope is a set of ASMOs — one organisation, a support organisation's portfolio, the
ASMOs of a country a person may see, or every ASMO for the public page — and who looks at
it. Every query is an aggregate over the scope (a handful of queries whatever the number of
organisations or members); no figure names a person. What a signed-in person sees goes
through `batea.access.scoping`: the scope's organisations are those whose members they may
see, and each figure reads only the organisations whose records of that kind (members,
assessments, premium fund, custody) they may see. The public scope has no person: it
covers every ASMO and its figures are suppressed (`batea.domain.insights.suppression`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import timezone

from batea.access.scoping import organisations_where
from batea.domain.access import OrganisationKind, RelationKind, Resource
from batea.domain.insights.bands import age_band
from batea.domain.insights.levels import Position, position
from batea.domain.insights.measures import months_between
from batea.domain.insights.segments import CURRENT_STATUSES
from batea.domain.insights.suppression import DEFAULT_MIN_CELL

PUBLIC_MIN_ORGANISATIONS = 3
SANCTION_STATUSES = ("conditional", "suspended", "excluded")
OPEN_ACTION_STATUSES = ("planned", "in_progress", "done")
LATE_ACTION_STATUSES = ("planned", "in_progress")
MONTHS_SHOWN = 24


def min_cell() -> int:
    """The smallest count of people a public figure shows (setting BATEA_INSIGHTS_MIN_CELL)."""
    return max(2, int(getattr(settings, "BATEA_INSIGHTS_MIN_CELL", DEFAULT_MIN_CELL)))


def min_organisations() -> int:
    """The fewest organisations a public figure about organisations describes
    (setting BATEA_INSIGHTS_MIN_ORGANISATIONS)."""
    return max(
        2, int(getattr(settings, "BATEA_INSIGHTS_MIN_ORGANISATIONS", PUBLIC_MIN_ORGANISATIONS))
    )


@dataclass
class Scope:
    """The ASMOs a page describes, and who reads it (None: the public)."""

    kind: str  # organisation | portfolio | country | public
    organisations: list
    user: Any = None
    country: str = ""
    organisation: Any = None  # the organisation of an organisation page
    today: date = field(default_factory=timezone.localdate)

    @property
    def public(self) -> bool:
        return self.user is None

    @property
    def k(self) -> int:
        """Cells of fewer people than this are hidden (1: nothing hidden)."""
        return min_cell() if self.public else 1

    @property
    def min_organisations(self) -> int:
        return min_organisations() if self.public else 1

    @property
    def ids(self) -> list:
        return [o.pk for o in self.organisations]

    def allowed(self, resource: str):
        """The scope's organisations whose records of `resource` the reader may see: ids, or
        for the public scope (every ASMO) a subquery rather than a long list of ids."""
        if self.public:
            from batea.registry.models import Organisation

            return Organisation.objects.filter(kind=OrganisationKind.ASMO).values_list(
                "id", flat=True
            )
        visible = set(
            organisations_where(self.user, resource, "view")
            .filter(id__in=self.ids)
            .values_list("id", flat=True)
        )
        return [pk for pk in self.ids if pk in visible]


def asmos_visible_to(user):
    """ASMOs whose members `user` may see: the organisations insights are shown for."""
    return organisations_where(user, Resource.MEMBER, "view").filter(kind=OrganisationKind.ASMO)


def organisation_scope(user, organisation) -> Scope:
    return Scope("organisation", [organisation], user, organisation=organisation)


def portfolio_organisations(user, today: date | None = None):
    """The ASMOs of the support organisations where `user` holds a role (active support
    relations), among those whose members the user may see."""
    from batea.access.scoping import user_roles
    from batea.registry.models import Relation

    today = today or timezone.localdate()
    own = {organisation for organisation, _role in user_roles(user)}
    targets = (
        Relation.objects.active_on(today)
        .filter(kind=RelationKind.SUPPORT, source_id__in=own)
        .values("target_id")
    )
    return asmos_visible_to(user).filter(id__in=targets)


def portfolio_scope(user) -> Scope:
    organisations = list(portfolio_organisations(user).prefetch_related("licences"))
    return Scope("portfolio", organisations, user)


def country_scope(user, country: str) -> Scope:
    organisations = list(
        asmos_visible_to(user).filter(country=country).prefetch_related("licences")
    )
    return Scope("country", organisations, user, country=country)


def public_scope() -> Scope:
    from batea.registry.models import Organisation

    organisations = list(
        Organisation.objects.filter(kind=OrganisationKind.ASMO).prefetch_related("licences")
    )
    return Scope("public", organisations, None)


# The ladder -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RungInfo:
    number: int  # 1 for the bottom rung
    standard: str
    level: str
    level_title: dict
    standard_title: dict


@dataclass(frozen=True)
class LadderInfo:
    code: str
    title: dict
    rungs: tuple[RungInfo, ...]


def ladder_info() -> LadderInfo | None:
    """The default ladder with the titles of its levels (from the current versions)."""
    from batea.assessments.pathway import current_version, default_ladder

    ladder = default_ladder()
    if ladder is None:
        return None
    catalogues = {}
    for code in dict.fromkeys(rung["standard"] for rung in ladder.rungs):
        version = current_version(code)
        if version is not None:
            catalogues[code] = version.catalogue()
    rungs = []
    for number, rung in enumerate(ladder.rungs, start=1):
        catalogue = catalogues.get(rung["standard"])
        level = (
            next((lv for lv in catalogue.levels if lv.id == rung["level"]), None)
            if catalogue
            else None
        )
        rungs.append(
            RungInfo(
                number,
                rung["standard"],
                rung["level"],
                level.title if level else {"en": rung["level"]},
                catalogue.title if catalogue else {"en": rung["standard"]},
            )
        )
    return LadderInfo(ladder.code, ladder.title, tuple(rungs))


def ladder_positions(organisations: list, on: date | None = None) -> dict:
    """{organisation id: Position} on the default ladder, set-based: each standard of the
    ladder is evaluated for all organisations at once (`evaluate_many`), each organisation
    on the version it has final answers for (else the current one). Unlike the pathway
    page, answers are not reused across standards through crosswalks."""
    from batea.assessments.models import Assessment
    from batea.assessments.pathway import FINAL, current_version, default_ladder, evaluate_many
    from batea.standards.models import StandardVersion

    ladder = default_ladder()
    on = on or timezone.localdate()
    if ladder is None or not organisations:
        return {o.pk: Position(0) for o in organisations}
    ids = [o.pk for o in organisations]
    codes = list(dict.fromkeys(rung["standard"] for rung in ladder.rungs))
    newest: dict = {}
    for org, code, version, imported in (
        Assessment.objects.filter(
            organisation_id__in=ids, version__standard__code__in=codes, status__in=FINAL
        )
        .order_by()
        .values_list(
            "organisation_id", "version__standard__code", "version_id", "version__imported_at"
        )
        .distinct()
    ):
        if (org, code) not in newest or imported > newest[(org, code)][1]:
            newest[(org, code)] = (version, imported)
    versions = {
        v.pk: v for v in StandardVersion.objects.filter(pk__in={v for v, _ in newest.values()})
    }
    results: dict = {code: {} for code in codes}
    for code in codes:
        groups: dict = defaultdict(list)
        fallback = None
        for organisation in organisations:
            chosen = newest.get((organisation.pk, code))
            if chosen:
                groups[chosen[0]].append(organisation)
            else:
                fallback = fallback or current_version(code)
                if fallback is not None:
                    versions[fallback.pk] = fallback
                    groups[fallback.pk].append(organisation)
        for version_id, members in groups.items():
            results[code].update(evaluate_many(members, versions[version_id], on))
    from batea.assessments.pathway import entry_date_of

    return {
        o.pk: position(
            [(results[r["standard"]].get(o.pk), r["level"]) for r in ladder.rungs],
            entry_date_of(o),
        )
        for o in organisations
    }


# The figures' data --------------------------------------------------------------------------


@dataclass
class Data:
    """Everything the figures of a scope are drawn from (counts, not people)."""

    scope: Scope
    ladder: LadderInfo | None
    # (gender, role, status, age band) → members
    members: dict = field(default_factory=dict)
    # organisation id → {"members": current members, "women": …, "miners": workforce or members}
    per_organisation: dict = field(default_factory=dict)
    positions: dict = field(default_factory=dict)  # organisation id → Position
    committee: tuple[int, int] = (0, 0)
    beneficiaries: tuple[int, int] = (0, 0)
    # (gender, role) → {"members": …, "sanctioned": …, "excluded": …, "decisions": …}
    decisions: dict = field(default_factory=dict)
    # severity → {"findings": …, "late_findings": …, "actions": …, "late_actions": …}
    actions: dict = field(default_factory=dict)
    audits: dict = field(default_factory=dict)  # (year, currency) → amount
    ics: dict = field(default_factory=dict)
    premiums: dict = field(default_factory=dict)
    production: dict = field(default_factory=dict)  # "YYYY-MM" → fine grams
    premium_owed: dict = field(default_factory=dict)  # "YYYY-MM" → amount (main currency)
    premium_received: dict = field(default_factory=dict)
    currency: str = "USD"
    # organisation id → open and late findings and actions, for the organisations table
    open_actions: dict = field(default_factory=dict)
    # how many organisations each yearly or monthly figure adds up (public pages hide few)
    money_contributors: dict = field(default_factory=dict)
    producers: dict = field(default_factory=dict)
    recipients: dict = field(default_factory=dict)

    @property
    def current_members(self) -> int:
        return sum(
            n for (_g, _r, status, _a), n in self.members.items() if status in CURRENT_STATUSES
        )


def collect(scope: Scope) -> Data:
    """Read every figure's counts for the scope (about twenty aggregate queries)."""
    data = Data(scope, ladder_info())
    today = scope.today
    if not scope.organisations:
        return data
    _members(data, scope, today)
    _levels(data, scope, today)
    _women(data, scope, today)
    _decisions(data, scope)
    _actions(data, scope, today)
    _money(data, scope)
    _monthly(data, scope, today)
    return data


def _members(data: Data, scope: Scope, today: date) -> None:
    from batea.registry.models import Member, Site

    allowed = scope.allowed(Resource.MEMBER)
    rows = (
        Member.objects.filter(organisation_id__in=allowed)
        .order_by()
        .values_list("gender", "role", "status", "birth_year")
        .annotate(n=Count("id"))
    )
    counts: dict = defaultdict(int)
    for gender, role, status, birth_year, n in rows:
        counts[(gender, role, status, age_band(birth_year, today.year))] += n
    data.members = dict(counts)
    per = {
        org: {"members": total, "women": women}
        for org, total, women in Member.objects.filter(
            organisation_id__in=allowed, status__in=CURRENT_STATUSES
        )
        .order_by()
        .values_list("organisation_id")
        .annotate(total=Count("id"), women=Count("id", filter=Q(gender="female")))
    }
    workforce = dict(
        Site.objects.filter(organisation_id__in=scope.allowed(Resource.SITE))
        .order_by()
        .values_list("organisation_id")
        .annotate(total=Sum("workforce"))
    )
    for org in scope.ids:
        row = per.setdefault(org, {"members": 0, "women": 0})
        row["miners"] = int(workforce.get(org) or 0) or row["members"]
    data.per_organisation = per


def _levels(data: Data, scope: Scope, today: date) -> None:
    allowed = set(scope.allowed(Resource.ASSESSMENT))
    organisations = [o for o in scope.organisations if o.pk in allowed]
    data.positions = ladder_positions(organisations, today)


def _women(data: Data, scope: Scope, today: date) -> None:
    from batea.custody.models import CommitteeMember, PlanProject

    allowed = scope.allowed(Resource.PREMIUM)
    committee = (
        CommitteeMember.objects.filter(fund__organisation_id__in=allowed, since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .exclude(gender="")
        .aggregate(total=Count("id"), women=Count("id", filter=Q(gender="female")))
    )
    data.committee = (committee["women"] or 0, committee["total"] or 0)
    projects = PlanProject.objects.filter(
        plan__fund__organisation_id__in=allowed, plan__approved_on__isnull=False
    ).aggregate(total=Sum("beneficiaries"), women=Sum("women_beneficiaries"))
    data.beneficiaries = (int(projects["women"] or 0), int(projects["total"] or 0))


def _decisions(data: Data, scope: Scope) -> None:
    from batea.groups.models import MemberDecision
    from batea.registry.models import Member

    allowed = scope.allowed(Resource.MEMBER)
    register = (
        Member.objects.filter(organisation_id__in=allowed)
        .order_by()
        .values_list("gender", "role")
        .annotate(n=Count("id"))
    )
    rows: dict = {}
    for gender, role, n in register:
        rows[(gender, role)] = {"members": n, "decisions": 0, "sanctioned": 0, "excluded": 0}
    sanction = ~Q(sanction="") | Q(to_status__in=SANCTION_STATUSES)
    for gender, role, decisions, sanctioned, excluded in (
        MemberDecision.objects.filter(member__organisation_id__in=allowed)
        .order_by()
        .values_list("member__gender", "member__role")
        .annotate(
            decisions=Count("id"),
            sanctioned=Count("member", filter=sanction, distinct=True),
            excluded=Count("member", filter=Q(to_status="excluded"), distinct=True),
        )
    ):
        row = rows.setdefault(
            (gender, role), {"members": 0, "decisions": 0, "sanctioned": 0, "excluded": 0}
        )
        row.update(decisions=decisions, sanctioned=sanctioned, excluded=excluded)
    data.decisions = rows


def _actions(data: Data, scope: Scope, today: date) -> None:
    from batea.assessments.models import CorrectiveAction, NonConformity

    allowed = scope.allowed(Resource.ASSESSMENT)
    rows: dict = defaultdict(lambda: defaultdict(int))
    per_org: dict = defaultdict(lambda: defaultdict(int))
    for org, severity, findings, late in (
        NonConformity.objects.filter(organisation_id__in=allowed, status="open")
        .order_by()
        .values_list("organisation_id", "severity")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)))
    ):
        rows[severity]["findings"] += findings
        rows[severity]["late_findings"] += late
        per_org[org]["findings"] += findings
        per_org[org]["late_findings"] += late
    for org, severity, actions, late in (
        CorrectiveAction.objects.filter(
            nonconformity__organisation_id__in=allowed, status__in=OPEN_ACTION_STATUSES
        )
        .order_by()
        .values_list("nonconformity__organisation_id", "nonconformity__severity")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=Q(due_on__lt=today, status__in=LATE_ACTION_STATUSES)),
        )
    ):
        rows[severity]["actions"] += actions
        rows[severity]["late_actions"] += late
        per_org[org]["actions"] += actions
        per_org[org]["late_actions"] += late
    data.actions = {k: dict(v) for k, v in rows.items()}
    data.open_actions = {k: dict(v) for k, v in per_org.items()}


def _money(data: Data, scope: Scope) -> None:
    from batea.assessments.models import Assessment
    from batea.custody.models import PremiumReceipt
    from batea.groups.models import IcsCost

    assessed = scope.allowed(Resource.ASSESSMENT)
    contributors: dict = defaultdict(set)

    def gather(rows) -> dict:
        totals: dict = defaultdict(Decimal)
        for org, year, currency, amount in rows:
            totals[(int(year), currency)] += amount or 0
            contributors[(int(year), currency)].add(org)
        return dict(totals)

    data.audits = gather(
        Assessment.objects.filter(organisation_id__in=assessed, kind="audit", cost__isnull=False)
        .order_by()
        .values_list("organisation_id", ExtractYear("assessed_on"), "cost_currency")
        .annotate(total=Sum("cost"))
    )
    data.ics = gather(
        IcsCost.objects.filter(organisation_id__in=assessed)
        .order_by()
        .values_list("organisation_id", "year", "currency")
        .annotate(total=Sum("amount"))
    )
    data.premiums = gather(
        PremiumReceipt.objects.filter(fund__organisation_id__in=scope.allowed(Resource.PREMIUM))
        .order_by()
        .values_list("fund__organisation_id", ExtractYear("received_on"), "fund__currency")
        .annotate(total=Sum("amount"))
    )
    data.money_contributors = {key: len(orgs) for key, orgs in contributors.items()}
    currencies: dict = defaultdict(Decimal)
    for mapping in (data.audits, data.ics, data.premiums):
        for (_year, currency), amount in mapping.items():
            currencies[currency] += amount
    if currencies:
        data.currency = max(currencies, key=lambda c: (currencies[c], c == "USD"))


def _month(value) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _by_month(rows, contributors: dict) -> dict:
    totals: dict = defaultdict(Decimal)
    for org, month, amount in rows:
        key = _month(month)
        totals[key] += amount or 0
        contributors[key].add(org)
    return dict(totals)


def _monthly(data: Data, scope: Scope, today: date) -> None:
    from batea.custody.models import LotUse, PremiumReceipt, Sale

    since = _months_before(today, MONTHS_SHOWN - 1)
    custody = scope.allowed(Resource.CUSTODY)
    producers: dict = defaultdict(set)
    data.production = _by_month(
        LotUse.objects.filter(use="produced", holder_id__in=custody, event__occurred_on__gte=since)
        .order_by()
        .values_list("holder_id", TruncMonth("event__occurred_on"))
        .annotate(total=Sum("lot__fine_g")),
        producers,
    )
    premium = scope.allowed(Resource.PREMIUM)
    recipients: dict = defaultdict(set)
    owed = Sale.objects.filter(
        Q(lot__origin_organisation_id__in=premium)
        | Q(lot__origin_organisation__isnull=True, seller_id__in=premium),
        sold_on__gte=since,
        premium_owed__gt=0,
        premium_currency=data.currency,
    )
    data.premium_owed = _by_month(
        owed.order_by()
        .values_list(Coalesce("lot__origin_organisation_id", "seller_id"), TruncMonth("sold_on"))
        .annotate(total=Sum("premium_owed")),
        recipients,
    )
    data.premium_received = _by_month(
        PremiumReceipt.objects.filter(
            fund__organisation_id__in=premium,
            received_on__gte=since,
            fund__currency=data.currency,
        )
        .order_by()
        .values_list("fund__organisation_id", TruncMonth("received_on"))
        .annotate(total=Sum("amount")),
        recipients,
    )
    data.producers = {month: len(orgs) for month, orgs in producers.items()}
    data.recipients = {month: len(orgs) for month, orgs in recipients.items()}


def _months_before(day: date, months: int) -> date:
    year, month = day.year, day.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def months_to_levels(data: Data) -> dict[int, list[float]]:
    """Rung number → months from entry for each organisation that reached it."""
    from batea.assessments.pathway import entry_date_of

    by_rung: dict = defaultdict(list)
    entries = {o.pk: entry_date_of(o) for o in data.scope.organisations}
    for org, pos in data.positions.items():
        for number, reached in enumerate(pos.reached_on, start=1):
            by_rung[number].append(months_between(entries[org], reached))
    return dict(by_rung)


def first_month(today: date) -> date:
    return _months_before(today, MONTHS_SHOWN - 1)
