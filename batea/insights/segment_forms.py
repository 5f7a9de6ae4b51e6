"""The form that saves a segment: tick the values of each attribute, or write the filter in
the small filter language (`batea.domain.insights.segments`); both are checked the same way."""

from __future__ import annotations

import re
from dataclasses import replace

from django import forms
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from batea.domain.insights import segments as rules
from batea.insights import figures as shown
from batea.insights.segments import vocabulary
from batea.registry.models import explain, localized_country_name


def field_labels() -> dict[str, str]:
    return {
        "gender": gettext("gender"),
        "role": gettext("role"),
        "status": gettext("status"),
        "age": gettext("age band"),
        "licence": gettext("licence status of the organisation"),
        "country": gettext("country"),
        "level": gettext("level of the organisation"),
    }


def value_labels(field: str) -> dict:
    if field == "gender":
        return shown.gender_labels()
    if field == "role":
        return shown.role_labels()
    if field == "status":
        return shown.status_labels()
    if field == "age":
        return shown.age_labels()
    if field == "licence":
        return shown.licence_labels()
    return {}


def said(problem) -> str:
    """A problem for people, without its technical path."""
    return explain(replace(problem, path=""))


def _field_of(problem, definition: dict) -> str | None:
    """The form field a problem of a definition built from the form's choices is about."""
    match = re.match(r"clauses\[(\d+)\]", problem.path)
    if not match:
        return None
    return definition["clauses"][int(match.group(1))]["field"]


def describe_definition(definition: dict) -> list[str]:
    """Each clause for people, in their language: "gender: Female", "level: at least 1 …"."""
    from batea.insights.services import ladder_info

    labels = field_labels()
    levels = None
    lines = []
    for clause in definition.get("clauses", []):
        name, op, values = clause["field"], clause["op"], clause["values"]
        if name == "level":
            if levels is None:
                levels = shown.short_level_labels(ladder_info())
            names = [levels.get(v, str(v)) for v in values]
        elif name == "country":
            names = [localized_country_name(v) for v in values]
        else:
            known = value_labels(name)
            names = [known.get(v, v) for v in values]
        joined = ", ".join(names)
        if op == "in":
            text = gettext("%(field)s: %(values)s") % {"field": labels[name], "values": joined}
        elif op == "not_in":
            text = gettext("%(field)s: not %(values)s") % {
                "field": labels[name],
                "values": joined,
            }
        else:
            words = {
                "<": pgettext("comparison", "below"),
                "<=": pgettext("comparison", "at most"),
                ">": pgettext("comparison", "above"),
                ">=": pgettext("comparison", "at least"),
            }[op]
            text = f"{labels[name]}: {words} {joined}"
        lines.append(text)
    if not any(c["field"] == "status" for c in definition.get("clauses", [])):
        lines.append(gettext("current members only (no status chosen)"))
    return lines


class SegmentForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, label=_("Saved for"), empty_label=None)
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("e.g. “Women panners in organisations without a licence”"),
    )
    gender = forms.MultipleChoiceField(
        label=_("Gender"), required=False, widget=forms.CheckboxSelectMultiple
    )
    role = forms.MultipleChoiceField(
        label=_("Role"), required=False, widget=forms.CheckboxSelectMultiple
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: current members (not those excluded or gone)."),
    )
    age = forms.MultipleChoiceField(
        label=_("Age band"), required=False, widget=forms.CheckboxSelectMultiple
    )
    licence = forms.MultipleChoiceField(
        label=_("Licence status of the organisation"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    level = forms.MultipleChoiceField(
        label=_("Level of the organisation"), required=False, widget=forms.CheckboxSelectMultiple
    )
    country = forms.CharField(
        label=_("Countries"),
        required=False,
        max_length=200,
        help_text=_("ISO codes separated by commas, e.g. CO, PE; empty: any."),
    )
    filter = forms.CharField(
        label=_("Or write the filter"),
        required=False,
        max_length=rules.MAX_TEXT,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "Replaces the choices above, e.g. gender = female and role in (panner, selector) "
            "and licence != formal. Fields: gender, role, status, age, licence, country, level."
        ),
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        from batea.registry.models import Organisation

        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in owners]
        ).order_by("name")
        if len(owners) == 1:
            self.fields["owner"].initial = owners[0].pk
        self.vocabulary = vocabulary()
        for name in ("gender", "role", "status", "age", "licence"):
            labels = value_labels(name)
            self.fields[name].choices = [
                (value, labels.get(value, value)) for value in self.vocabulary.values[name]
            ]
        from batea.insights.services import ladder_info

        levels = shown.short_level_labels(ladder_info())
        self.fields["level"].choices = [
            (str(n), levels.get(n, str(n))) for n in range(self.vocabulary.levels + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("filter") or "").strip()
        if text:
            definition, problems = rules.parse(text, self.vocabulary)
            if problems:
                self.add_error("filter", [said(p) for p in problems])
                return cleaned
        else:
            countries = [
                code.strip().upper()
                for code in (cleaned.get("country") or "").split(",")
                if code.strip()
            ]
            choices = {name: cleaned.get(name) for name in ("gender", "role", "status", "age")}
            choices["licence"] = cleaned.get("licence")
            choices["country"] = countries
            choices["level"] = [int(v) for v in cleaned.get("level") or []]
            definition = rules.from_choices(choices)
            problems = rules.check(definition, self.vocabulary)
            if problems:
                for problem in problems:
                    self.add_error(_field_of(problem, definition), said(problem))
                return cleaned
        cleaned["definition"] = definition
        owner, name = cleaned.get("owner"), cleaned.get("name")
        if owner and name:
            from batea.insights.models import Segment

            if Segment.objects.filter(owner=owner, name=name.strip()).exists():
                self.add_error(
                    "name", gettext("This organisation already has a segment by this name.")
                )
        if name:
            cleaned["name"] = name.strip()
        return cleaned
