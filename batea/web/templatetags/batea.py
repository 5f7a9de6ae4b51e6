from django import template

from batea.registry.models import explain as explain_problem

register = template.Library()


@register.filter
def explain(problem) -> str:
    """A domain Problem as a sentence in the current language."""
    return explain_problem(problem)
