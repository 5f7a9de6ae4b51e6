"""Template helpers for catalogues: texts in the reader's language, rules in words."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from batea.standards.models import KIND_LABELS, localized

register = template.Library()


@register.filter(name="localized")
def localized_filter(value) -> str:
    return localized(value) if isinstance(value, dict) else (value or "")


@register.filter
def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label else kind


@register.filter
def describe_rule(rule: dict) -> list[str]:
    """A level rule as sentences a person can check against."""
    kinds = ", ".join(str(KIND_LABELS.get(k, k)) for k in rule["kinds"])
    if rule["up_to_year"] == "current":
        lines = [
            _("All %(kinds)s requirements binding by the current year since entry are met.")
            % {"kinds": kinds}
        ]
    else:
        lines = [
            _("All %(kinds)s requirements binding by year %(year)s are met.")
            % {"kinds": kinds, "year": rule["up_to_year"]}
        ]
    if rule.get("chapters"):
        lines.append(
            _("Only the chapters %(ids)s count for this level.")
            % {"ids": ", ".join(rule["chapters"])}
        )
    if "development_average_min" in rule:
        lines.append(
            _("The average score of development requirements is at least %(score)s out of 5.")
            % {"score": rule["development_average_min"]}
        )
    if "member_share_min" in rule:
        lines.append(
            _("At least %(share)s %% of members comply with member requirements.")
            % {"share": round(rule["member_share_min"] * 100)}
        )
    if rule.get("requirements"):
        count = len(rule["requirements"])
        lines.append(
            ngettext("Also required: %(ids)s.", "Also required: %(ids)s.", count)
            % {"ids": ", ".join(rule["requirements"])}
        )
    if rule.get("variant"):
        lines.append(_("Applies to the %(variant)s variant.") % {"variant": rule["variant"]})
    if rule.get("eligibility"):
        lines.append(
            _("Eligibility rules must pass: %(ids)s.") % {"ids": ", ".join(rule["eligibility"])}
        )
    return lines
