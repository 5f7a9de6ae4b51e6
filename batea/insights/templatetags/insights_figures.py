"""Template filters of the inclusion insight pages."""

from django import template
from django.utils.formats import number_format

from batea.insights.figures import Hidden

register = template.Library()


@register.filter
def figure_cell(value):
    """A table cell: numbers in the reader's format (up to two decimals), a hidden cell as
    "hidden", nothing as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, Hidden):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not value.is_integer():
        decimals = 1 if round(value, 1) == value else 2
        return number_format(value, decimal_pos=decimals, force_grouping=True)
    return number_format(int(value), force_grouping=True)


@register.filter
def is_hidden(value) -> bool:
    return isinstance(value, Hidden)


@register.filter
def is_figure_number(value) -> bool:
    return isinstance(value, int | float | Hidden) and not isinstance(value, bool)


@register.filter
def bar_width(value, maximum) -> str:
    """A share of the largest value as a CSS width (0–100 %), for bars in the PDF."""
    try:
        share = float(value) / float(maximum)
    except (TypeError, ValueError, ZeroDivisionError):
        return "0"
    return f"{max(0.0, min(1.0, share)) * 100:.1f}"
