from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def explain(problem) -> str:
    """A domain Problem as a sentence in the current language."""
    text = gettext(problem.template)
    return text % problem.params if problem.params else text
