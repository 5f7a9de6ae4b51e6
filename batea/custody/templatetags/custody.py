"""Formatting for custody pages: grams, shares, incident messages."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

from batea.domain.commodities import MINERAL_NAMES
from batea.domain.messages import Problem
from batea.registry.models import explain

register = template.Library()


def _round(value, places: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@register.filter
def grams(value, places: int = 3) -> str:
    """A mass in grams to at most `places` decimals (to the milligram), grouped as the
    reader's language writes numbers; trailing zeros dropped."""
    number = _round(value, int(places))
    if number is None:
        return "—"
    text = format(number.normalize(), "f") if number else "0"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def percent(share, places: int = 1) -> str:
    """A share in 0–1 as a percentage with `places` decimals."""
    number = _round(Decimal(str(share)) * 100 if share not in (None, "") else None, int(places))
    if number is None:
        return "—"
    return number_format(number, decimal_pos=int(places), use_l10n=True)


@register.filter
def money(value) -> str:
    number = _round(value, 2)
    if number is None:
        return "—"
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def incident_message(incident) -> str:
    """An incident's red flag as a sentence in the reader's language."""
    return explain(Problem("", incident.template, incident.params or {}))


@register.filter
def mineral_name(mineral: str) -> str:
    """A mineral's name in the reader's language ("gold" → "oro")."""
    return gettext(MINERAL_NAMES.get(mineral, mineral))
