"""Mass-balance credit: certified fine grams in, certified fine grams claimed out.

One `Account` per organisation, standard and variant. Certified input is credited, and an
output sold or claimed as certified is debited; the credit never goes negative, on any day.
Credit is reconciled over explicit, contiguous periods: `reconcile` closes a period with a
statement, carries the closing credit into the next one or lets it expire (the scheme's
rule), and no entry can be dated in a closed period afterwards. Every entry is kept, with
its date and reference, so a statement can always be rebuilt and audited.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from batea.domain.custody import CustodyError
from batea.domain.messages import Problem, gettext_noop

CREDIT = "in"
DEBIT = "out"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Period:
    """A reconciliation period, both days included."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Entry:
    on: date
    kind: str  # CREDIT or DEBIT
    fine_g: Decimal
    reference: str  # the lot, sale or document it comes from


@dataclass(frozen=True)
class Statement:
    """A closed period: opening + credited − debited = closing = carried + expired."""

    period: Period
    opening: Decimal
    credited: Decimal
    debited: Decimal
    closing: Decimal
    carried: Decimal
    expired: Decimal
    entries: tuple[Entry, ...]


@dataclass
class Account:
    """Credit of one organisation under one standard (and variant).

    `carry_over` is the scheme's rule: True carries the credit left at the end of a period
    into the next one; False lets it expire.
    """

    organisation: str
    standard: str
    variant: str | None = None
    carry_over: bool = True
    entries: list[Entry] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str | None]:
        """(organisation, standard, variant): one account each."""
        return self.organisation, self.standard, self.variant

    @property
    def closed_until(self) -> date | None:
        """The last day of the last closed period."""
        return self.statements[-1].period.end if self.statements else None

    @property
    def opening(self) -> Decimal:
        """The credit the open period starts with."""
        return self.statements[-1].carried if self.statements else ZERO

    @property
    def open_entries(self) -> list[Entry]:
        """Entries not yet in a statement, by date (posting order within a day)."""
        until = self.closed_until
        return sorted(
            (e for e in self.entries if until is None or e.on > until), key=lambda e: e.on
        )


def credit_in(account: Account, on: date, fine_g: Decimal, reference: str) -> Entry:
    """Credit certified fine grams received (or produced) on `on`."""
    return _post(account, Entry(on, CREDIT, fine_g, reference))


def debit_out(account: Account, on: date, fine_g: Decimal, reference: str) -> Entry:
    """Debit fine grams sold or claimed as certified on `on`; refused beyond the credit."""
    return _post(account, Entry(on, DEBIT, fine_g, reference))


def available(account: Account, on: date | None = None) -> Decimal:
    """The most that can be debited on `on` (by default, after the last entry).

    A debit lowers the balance of every later day too, so this is the lowest end-of-day
    balance from `on` onwards.
    """
    balances = _daily_balances(account.opening, account.open_entries)
    upto = [balance for day, balance in balances if on is None or day <= on]
    later = [balance for day, balance in balances if on is not None and day > on]
    return min([upto[-1] if upto else account.opening, *later])


def reconcile(account: Account, period: Period) -> Statement:
    """Close `period` with a statement; the period must follow the last one exactly.

    Refused when the period is empty or not contiguous, when open entries lie before it
    (they would belong to no period), or when letting the credit expire would leave later
    debits uncovered.
    """
    problems = _check_period(account, period)
    if problems:
        raise CustodyError(problems)
    inside = [e for e in account.open_entries if e.on in period]
    statement = _statement(account, period, inside)
    after = [e for e in account.open_entries if e.on > period.end]
    problems = _check_later(statement.carried, after)
    if problems:
        raise CustodyError(problems)
    account.statements.append(statement)
    return statement


def _post(account: Account, entry: Entry) -> Entry:
    problems = _check_entry(account, entry)
    if not problems:
        entries = sorted([*account.open_entries, entry], key=lambda e: e.on)
        problems = _check_cover(account.opening, entries, entry)
    if problems:
        raise CustodyError(problems)
    account.entries.append(entry)
    return entry


def _check_entry(account: Account, entry: Entry) -> list[Problem]:
    problems = []
    amount = entry.fine_g
    if not isinstance(amount, Decimal | int) or isinstance(amount, bool):
        template = gettext_noop("%(value)r is not an exact number: give a decimal, not a float.")
        problems.append(Problem("fine_g", template, {"value": amount}))
    elif not Decimal(amount).is_finite() or amount <= 0:
        template = gettext_noop("Fine grams must be more than zero; %(value)s is not.")
        problems.append(Problem("fine_g", template, {"value": amount}))
    if not entry.reference:
        template = gettext_noop("Give the reference of the lot or document.")
        problems.append(Problem("reference", template))
    elif any(e.kind == entry.kind and e.reference == entry.reference for e in account.entries):
        # The same lot credited (or sale debited) twice is the classic double count.
        template = gettext_noop("%(reference)s is already recorded on this account.")
        problems.append(Problem("reference", template, {"reference": entry.reference}))
    until = account.closed_until
    if until is not None and entry.on <= until:
        template = gettext_noop(
            "%(date)s is in a reconciliation period already closed (up to %(until)s)."
        )
        params = {"date": entry.on.isoformat(), "until": until.isoformat()}
        problems.append(Problem("on", template, params))
    return problems


def _check_cover(opening: Decimal, entries: list[Entry], new: Entry) -> list[Problem]:
    """The credit is never negative at the end of any day."""
    for day, balance in _daily_balances(opening, entries):
        if balance < 0:
            template = gettext_noop(
                "Debiting %(fine_g)s g on %(date)s would leave a credit of %(balance)s g on "
                "%(day)s: the credit can never be negative."
            )
            params = {
                "fine_g": new.fine_g,
                "date": new.on.isoformat(),
                "balance": balance,
                "day": day.isoformat(),
            }
            return [Problem("fine_g", template, params)]
    return []


def _daily_balances(opening: Decimal, entries: list[Entry]) -> list[tuple[date, Decimal]]:
    """End-of-day balances, one per day with entries, in date order."""
    balances: dict[date, Decimal] = {}
    balance = opening
    for entry in sorted(entries, key=lambda e: e.on):
        balance += entry.fine_g if entry.kind == CREDIT else -entry.fine_g
        balances[entry.on] = balance
    return list(balances.items())


def _check_period(account: Account, period: Period) -> list[Problem]:
    if period.end < period.start:
        template = gettext_noop("The period ends (%(end)s) before it starts (%(start)s).")
        params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        return [Problem("period", template, params)]
    until = account.closed_until
    if until is not None and period.start != until + timedelta(days=1):
        template = gettext_noop(
            "The next period must start on %(expected)s, the day after the last closed "
            "period; %(start)s would leave a gap or overlap."
        )
        params = {
            "expected": (until + timedelta(days=1)).isoformat(),
            "start": period.start.isoformat(),
        }
        return [Problem("period.start", template, params)]
    early = [e for e in account.open_entries if e.on < period.start]
    if early:
        template = gettext_noop(
            "%(count)s entries are dated before %(start)s and would belong to no period; "
            "start the period on %(first)s or earlier."
        )
        params = {
            "count": len(early),
            "start": period.start.isoformat(),
            "first": early[0].on.isoformat(),
        }
        return [Problem("period.start", template, params)]
    return []


def _statement(account: Account, period: Period, inside: list[Entry]) -> Statement:
    opening = account.opening
    credited = sum((e.fine_g for e in inside if e.kind == CREDIT), ZERO)
    debited = sum((e.fine_g for e in inside if e.kind == DEBIT), ZERO)
    closing = opening + credited - debited
    carried = closing if account.carry_over else ZERO
    return Statement(
        period, opening, credited, debited, closing, carried, closing - carried, tuple(inside)
    )


def _check_later(carried: Decimal, after: list[Entry]) -> list[Problem]:
    """Entries already posted after the period must stay covered by what is carried."""
    for day, balance in _daily_balances(carried, after):
        if balance < 0:
            template = gettext_noop(
                "Closing the period lets credit expire that debits on %(day)s already use: "
                "the credit would be %(balance)s g."
            )
            return [Problem("period", template, {"day": day.isoformat(), "balance": balance})]
    return []
