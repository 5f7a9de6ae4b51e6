"""The simulator page's form: which scenarios to run and what to change in them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from batea.insights.simulator import MAX_SCENARIOS, MAX_WEB_REPETITIONS, MAX_WEB_YEARS


class SimulatorForm(forms.Form):
    scenario = forms.MultipleChoiceField(
        label=_("Scenarios (up to three)"), widget=forms.CheckboxSelectMultiple, required=False
    )
    repetitions = forms.IntegerField(
        label=_("Repetitions"),
        min_value=10,
        max_value=MAX_WEB_REPETITIONS,
        required=False,
        help_text=_("Empty: the scenario's own (the page runs at most 100,000 organisation-runs)."),
    )
    years = forms.IntegerField(
        label=_("Years"), min_value=1, max_value=MAX_WEB_YEARS, required=False
    )
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=2**32, required=False)
    premium_usd_per_kg = forms.FloatField(
        label=_("Premium (USD per kg of fine gold)"),
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=_("Fairmined's premium is USD 4,000 per kg."),
    )
    subsidy_percent = forms.FloatField(
        # xgettext:no-python-format
        label=_("Subsidy for every model (% of certification costs)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Replaces the scenario's subsidies; 0 removes them."),
    )
    subsidy_budget = forms.FloatField(
        label=_("Subsidy budget per year and model (USD)"),
        min_value=0,
        max_value=1_000_000_000,
        required=False,
        help_text=_("Empty: no cap."),
    )
    registry = forms.BooleanField(
        label=_("Use the ASMOs I can see in the registry instead of the scenario's population"),
        required=False,
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = list(choices)

    def clean_scenario(self):
        chosen = self.cleaned_data["scenario"]
        if len(chosen) > MAX_SCENARIOS:
            raise forms.ValidationError(
                _("Pick at most %(limit)s scenarios."), params={"limit": MAX_SCENARIOS}
            )
        return chosen

    def clean(self):
        data = super().clean()
        if data.get("subsidy_budget") is not None and data.get("subsidy_percent") is None:
            self.add_error("subsidy_budget", _("Give the subsidy's share as well."))
        return data
