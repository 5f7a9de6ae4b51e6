"""Cell values are data, never code: formulas refused on import and neutralised on export,
oversized text refused, numbers checked before they reach a database column."""

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from batea.domain.messages import Problem, gettext_noop

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel's own limit on a cell; anything longer did not come from a spreadsheet.
MAX_CELL_CHARS = 32_767
# Text columns without their own limit (notes, survey answers).
DEFAULT_MAX_TEXT = 2_000
# Larger integers than any count, year or area Batea stores: refused, not truncated.
MAX_INTEGER = 10**9
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_number_text(text: str) -> bool:
    """Whether `text` is a plain finite number such as "-76.65", "+3" or "1e3"."""
    try:
        return math.isfinite(float(text.strip()))
    except (ValueError, OverflowError):
        return False


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula (or DDE command) when opened.

    Plain numbers ("-14.68", "+57") are not formulas; a lone "-" (a blank marker) is not
    either.
    """
    if not text:
        return False
    first = text[0]
    if first in ("=", "@", "\t", "\r"):
        return True
    if first in ("+", "-"):
        return len(text.strip()) > 1 and not is_number_text(text)
    return False


def neutralise(value: Any) -> Any:
    """An exported cell that no spreadsheet will run: text that would be a formula is
    prefixed with an apostrophe; numbers, dates, booleans and None pass unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES and not is_number_text(value):
        return "'" + value
    return value


def cell_text(
    value: Any, column: str, line: int | None, source: str = "", max_length: int | None = None
) -> tuple[str, list[Problem]]:
    """A cell as clean text: trimmed, no control characters, no formula, not oversized."""
    if value is None:
        return "", []
    if isinstance(value, bool):
        return ("true" if value else "false"), []
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    limit = max_length or DEFAULT_MAX_TEXT
    shown = shorten(text)

    def problem(template: str, **params) -> list[Problem]:
        return [Problem(column, template, {"value": shown, **params}, source, line)]

    if len(text) > MAX_CELL_CHARS or len(text) > limit:
        return "", problem(
            gettext_noop("The text is %(length)s characters long; at most %(limit)s fit here."),
            length=len(text),
            limit=limit,
        )
    # Checked before and after trimming: " =1+1" or "\x85=" must not become "=1+1" or "=".
    if looks_like_formula(text) or looks_like_formula(text.strip()):
        return "", problem(
            gettext_noop(
                "Formulas are not accepted: type the value itself (a text starting with "
                "=, +, - or @ is read as a formula by spreadsheets)."
            )
        )
    text = text.strip()
    if _CONTROL.search(text):
        return "", problem(gettext_noop("The text contains control characters."))
    return text, []


def shorten(text: str, limit: int = 80) -> str:
    """A value as shown in a problem report: at most `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_integer(
    text: str, column: str, line: int | None, source: str = "", minimum=None, maximum=None
) -> tuple[int | None, list[Problem]]:
    """An integer from "12", "12.0" or "1 200"; refuses decimals, huge and out-of-range
    numbers with the range in the message."""
    clean = text.replace(" ", "").replace("\u00a0", "")
    try:
        number = Decimal(clean)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is not a whole number."),
                {"value": shorten(text)},
                source,
                line,
            )
        ]
    if abs(number) > MAX_INTEGER:
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is too large."),
                {"value": shorten(text)},
                source,
                line,
            )
        ]
    if number != number.to_integral_value():
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is not a whole number."),
                {"value": shorten(text)},
                source,
                line,
            )
        ]
    value = int(number)
    return _in_range(value, text, column, line, source, minimum, maximum)


def parse_decimal(
    text: str,
    column: str,
    line: int | None,
    source: str = "",
    minimum=None,
    maximum=None,
    decimal_comma: bool = False,
) -> tuple[float | None, list[Problem]]:
    """A finite number; "5,17" is read as 5.17 only when the data set says it uses decimal
    commas (otherwise a comma is ambiguous and refused)."""
    clean = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        clean = clean.replace(".", "").replace(",", ".") if "," in clean else clean
    try:
        number = float(clean)
        if not math.isfinite(number):
            raise ValueError
    except (ValueError, OverflowError):
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is not a number."),
                {"value": shorten(text)},
                source,
                line,
            )
        ]
    if abs(number) > MAX_INTEGER:
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is too large."),
                {"value": shorten(text)},
                source,
                line,
            )
        ]
    return _in_range(number, text, column, line, source, minimum, maximum)


def _in_range(value, text, column, line, source, minimum, maximum):
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None, [
            Problem(
                column,
                gettext_noop("%(value)s is outside the allowed range %(minimum)s–%(maximum)s."),
                {
                    "value": shorten(text),
                    "minimum": "" if minimum is None else minimum,
                    "maximum": "" if maximum is None else maximum,
                },
                source,
                line,
            )
        ]
    return value, []


_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


def parse_date(
    value: Any, column: str, line: int | None, source: str = ""
) -> tuple[date | None, list[Problem]]:
    """A date from a spreadsheet date, "YYYY-MM-DD", an ISO date-time or "DD/MM/YYYY"."""
    if isinstance(value, datetime):
        return value.date(), []
    if isinstance(value, date):
        return value, []
    text = str(value).strip()
    try:
        if len(text) >= 10 and text[4] == "-":
            return date.fromisoformat(text[:10]), []
        match = _DMY.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day), []
    except ValueError:
        pass
    return None, [
        Problem(
            column,
            gettext_noop("%(value)s is not a date; write it as YYYY-MM-DD (e.g. 2024-03-31)."),
            {"value": shorten(text)},
            source,
            line,
        )
    ]


TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "sí", "si", "s", "oui", "o", "vrai", "ndiyo"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "non", "faux", "hapana"})


def parse_bool(
    text: str, column: str, line: int | None, source: str = ""
) -> tuple[bool | None, list[Problem]]:
    """Yes/no in English, Spanish, French (and Swahili), or 1/0, true/false."""
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True, []
    if word in FALSE_WORDS:
        return False, []
    return None, [
        Problem(
            column,
            gettext_noop("%(value)s is not yes or no."),
            {"value": shorten(text)},
            source,
            line,
        )
    ]
