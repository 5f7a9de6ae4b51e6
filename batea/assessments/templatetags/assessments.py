from django import template

from batea.assessments.models import KIND_CHOICES

register = template.Library()


@register.filter
def assessment_kind(kind: str) -> str:
    """The translated name of an assessment kind code ("self" → "Self-assessment")."""
    return str(dict(KIND_CHOICES).get(kind, kind))
