"""Reference metal prices: reading a `Date,Price` CSV and looking a price up by date.

Prices are in USD per troy ounce of fine metal, as in the monthly series in
`shared/data/gold-prices/monthly.csv`. A `Date` is `YYYY-MM` (the price for that month,
stored as its first day) or `YYYY-MM-DD`.
"""

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from batea.domain.custody import CustodyError
from batea.domain.messages import Problem, gettext_noop

TROY_OUNCE_G = Decimal("31.1034768")  # exact by definition (international troy ounce)
GRAMS_PER_KG = Decimal(1000)
HEADER = ("Date", "Price")

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
NOT_A_DATE = gettext_noop("“%(value)s” is not a date (YYYY-MM or YYYY-MM-DD).")
NOT_A_NUMBER = gettext_noop("“%(value)s” is not a number.")
NOT_POSITIVE = gettext_noop("%(value)s is not a positive price.")


class PriceError(CustodyError, ValueError):
    """Input about prices that cannot be used; `problems` says what and where."""


@dataclass(frozen=True, order=True)
class PricePoint:
    """The reference price in force from `on` (for a monthly series: that month)."""

    on: date
    usd_per_troy_oz: Decimal


def parse_prices(text: str, source: str = "") -> list[PricePoint]:
    """The price points of a `Date,Price` CSV, sorted by date; all or nothing.

    Raises PriceError listing every bad row (line number, column and value): a missing
    header, a bad date, a price that is not a positive number, a date given twice, an empty
    file. Blank lines are skipped; extra columns are ignored.
    """
    rows = [(number, row) for number, row in _rows(text) if any(cell.strip() for cell in row)]
    if not rows:
        raise PriceError([_problem("", gettext_noop("The price file is empty."), {}, source)])
    number, header = rows[0]
    columns = _columns(header)
    if columns is None:
        raise PriceError([_missing_header(header, number, source)])
    points, problems, seen = [], [], {}
    for number, row in rows[1:]:
        point, row_problems = _point(row, columns, number, source)
        problems += row_problems
        if point is None:
            continue
        if point.on in seen:
            problems.append(_duplicate(row[columns[0]].strip(), number, seen[point.on], source))
            continue
        seen[point.on] = number
        points.append(point)
    if problems:
        raise PriceError(problems)
    return sorted(points)


def reference_price(points: Sequence[PricePoint], on: date) -> PricePoint | None:
    """The latest point on or before `on` (for a monthly series, that month's price).

    `points` must be sorted by date, as `parse_prices` returns them. None before the first.
    """
    index = bisect_right(points, on, key=lambda point: point.on)
    return points[index - 1] if index else None


def usd_per_g(usd_per_troy_oz: Decimal) -> Decimal:
    """A price per troy ounce as a price per gram."""
    return usd_per_troy_oz / TROY_OUNCE_G


def usd_per_kg(usd_per_troy_oz: Decimal) -> Decimal:
    """A price per troy ounce as a price per kilogram."""
    return usd_per_troy_oz * GRAMS_PER_KG / TROY_OUNCE_G


def usd_per_troy_oz(usd_per_gram: Decimal) -> Decimal:
    """A price per gram as a price per troy ounce."""
    return usd_per_gram * TROY_OUNCE_G


def _rows(text: str):
    """(line number, cells) for each CSV record; a BOM from spreadsheets is dropped."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    line = 1
    for row in reader:
        yield line, row
        line = reader.line_num + 1


def _columns(header: list[str]) -> tuple[int, int] | None:
    names = [cell.strip().casefold() for cell in header]
    try:
        return tuple(names.index(name.casefold()) for name in HEADER)  # type: ignore[return-value]
    except ValueError:
        return None


def _point(row, columns, line, source) -> tuple[PricePoint | None, list[Problem]]:
    raw_date, raw_price = (row[i].strip() if i < len(row) else "" for i in columns)
    on, price = _date(raw_date), _price(raw_price)
    faults = []
    if on is None:
        faults.append(("Date", raw_date, NOT_A_DATE))
    if price is None:
        faults.append(("Price", raw_price, NOT_A_NUMBER))
    elif price <= 0:
        faults.append(("Price", raw_price, NOT_POSITIVE))
    problems = [
        _row_problem(column, template, raw, line, source) for column, raw, template in faults
    ]
    return (None if problems else PricePoint(on, price)), problems


def _date(raw: str) -> date | None:
    match = _DATE.match(raw)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day or 1))
    except ValueError:  # e.g. 2024-13 or 2023-02-30
        return None


def _price(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None  # Decimal accepts "NaN" and "Infinity"


def _row_problem(column: str, template: str, value: str, line: int, source: str) -> Problem:
    params = {"row": line, "column": column, "value": value}
    return Problem(column, template, params, source=source, line=line)


def _duplicate(value: str, line: int, first: int, source: str) -> Problem:
    return Problem(
        "Date",
        gettext_noop("%(value)s was already given on line %(first)s."),
        {"row": line, "column": "Date", "value": value, "first": first},
        source=source,
        line=line,
    )


def _missing_header(header: list[str], line: int, source: str) -> Problem:
    return Problem(
        "",
        gettext_noop("The first line must be the header Date,Price; it is “%(value)s”."),
        {"row": line, "value": ",".join(header)},
        source=source,
        line=line,
    )


def _problem(path: str, template: str, params: dict, source: str) -> Problem:
    return Problem(path, template, params, source=source)
