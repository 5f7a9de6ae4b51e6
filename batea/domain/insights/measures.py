"""Figures from counts: distributions, women's share comparisons, time to a level, cost and
premium per member, monthly series."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from batea.domain.insights.suppression import Suppressed, safe_share, suppress
from batea.domain.messages import gettext_noop

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Share:
    """One row of a distribution: a count and its share of the total (None when hidden)."""

    key: str
    count: int | None
    share: float | None


def distribution(
    counts: Mapping[str, int], order: Iterable[str] | None = None, k: int = 1
) -> tuple[list[Share], int | None]:
    """The rows of a one-way table in `order` (default: the counts' own order; keys missing
    from the counts are 0), suppressed with `k`, and the total (None when hidden). The shown
    shares of a table that hides nothing add up to 1."""
    keys = list(order) if order is not None else list(counts)
    table: Suppressed = suppress({key: int(counts.get(key, 0)) for key in keys}, k)
    return [Share(key, table.cells[key], table.share(key)) for key in keys], table.total


@dataclass(frozen=True)
class WomenShare:
    """Women among a group of people: members, the premium committee, project beneficiaries."""

    key: str
    label: str  # English, translated by the presentation layer
    women: int
    total: int  # people whose gender is known for this group
    share: float | None
    gap: float | None  # share − the members' share, in points of 1 (None when either hidden)


GROUPS = (
    ("members", gettext_noop("members")),
    ("committee", gettext_noop("premium-committee members")),
    ("beneficiaries", gettext_noop("premium-project beneficiaries")),
)


def women_share_comparison(counts: Mapping[str, tuple[int, int]], k: int = 1) -> list[WomenShare]:
    """Women's share among members, compared with their share among premium-committee
    members and among beneficiaries of premium-funded projects. `counts`: group key →
    (women, total). Each gap is the group's share minus the members' share."""
    rows = []
    for key, label in GROUPS:
        women, total = counts.get(key, (0, 0))
        if women > total:
            raise ValueError(f"{key}: more women than people")
        rows.append((key, label, women, total, safe_share(women, total, k)))
    base = rows[0][4]
    return [
        WomenShare(
            key,
            label,
            women,
            total,
            share,
            None if share is None or base is None or key == "members" else share - base,
        )
        for key, label, women, total, share in rows
    ]


def months_between(start: date, end: date) -> float:
    """Months from `start` to `end` (average month length), never negative."""
    return max(0.0, (end - start).days / DAYS_PER_MONTH)


@dataclass(frozen=True)
class Timing:
    """How long the organisations that reached a level took, in months from their entry."""

    reached: int
    median: float | None
    quartile_low: float | None
    quartile_high: float | None
    fastest: float | None
    slowest: float | None


def timing(months: Iterable[float], min_organisations: int = 1) -> Timing:
    """Summary of the months to a level; the statistics stay empty below
    `min_organisations` (public pages do not describe one organisation's history)."""
    values = sorted(float(m) for m in months)
    if not values or len(values) < min_organisations:
        return Timing(len(values), None, None, None, None, None)
    if len(values) == 1:
        low = high = values[0]
    else:
        low, _median, high = statistics.quantiles(values, n=4, method="inclusive")
    return Timing(
        len(values),
        round(statistics.median(values), 1),
        round(low, 1),
        round(high, 1),
        round(values[0], 1),
        round(values[-1], 1),
    )


@dataclass(frozen=True)
class MoneyYear:
    """Cost of certification against premium, for one year and currency."""

    year: int
    currency: str
    audit: Decimal
    ics: Decimal
    premium: Decimal
    members: int

    @property
    def cost(self) -> Decimal:
        return self.audit + self.ics

    @property
    def cost_per_member(self) -> Decimal | None:
        return _per(self.cost, self.members)

    @property
    def premium_per_member(self) -> Decimal | None:
        return _per(self.premium, self.members)

    @property
    def balance_per_member(self) -> Decimal | None:
        """Premium minus cost, per member: positive when the premium pays for certification."""
        if not self.members:
            return None
        return _per(self.premium - self.cost, self.members)


def _per(amount: Decimal, members: int) -> Decimal | None:
    if not members:
        return None
    return (Decimal(amount) / members).quantize(Decimal("0.01"))


def money_by_year(
    audits: Mapping[tuple[int, str], Decimal],
    ics: Mapping[tuple[int, str], Decimal],
    premiums: Mapping[tuple[int, str], Decimal],
    members: int,
) -> list[MoneyYear]:
    """One row per (year, currency) with any cost or premium, oldest first. `members`: the
    members the amounts are shared among."""
    keys = sorted(set(audits) | set(ics) | set(premiums))
    zero = Decimal(0)
    return [
        MoneyYear(
            year,
            currency,
            Decimal(audits.get((year, currency), zero)),
            Decimal(ics.get((year, currency), zero)),
            Decimal(premiums.get((year, currency), zero)),
            members,
        )
        for year, currency in keys
    ]


def month_keys(first: date, last: date) -> list[str]:
    """ "YYYY-MM" for every month from `first` to `last`, both included."""
    keys = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def monthly(
    series: Mapping[str, Mapping[str, Decimal]], first: date, last: date
) -> list[tuple[str, dict[str, Decimal]]]:
    """Each month from `first` to `last`, with every series' value (0 when nothing)."""
    zero = Decimal(0)
    return [
        (month, {name: Decimal(values.get(month, zero)) for name, values in series.items()})
        for month in month_keys(first, last)
    ]


def per_hundred(count: int, members: int) -> float | None:
    """A rate per 100 members (None without members)."""
    return None if not members else round(100 * count / members, 1)
