"""Forms for the registry pages; validation is the models' own."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from batea.domain.commodities import normalise_hs_code
from batea.domain.identifiers import normalise_identifier
from batea.registry.models import Commodity, Licence, Member, Site


class OrganisationRecordForm(forms.ModelForm):
    """A form for a record of one organisation, set by the view, never by the person."""

    def _get_validation_exclusions(self):
        # Keep the organisation in uniqueness and constraint checks, so duplicates are
        # reported on the form instead of failing in the database.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("organisation")
        exclusions.discard("national_id_fingerprint")
        return exclusions


class MemberForm(OrganisationRecordForm):
    national_id = forms.CharField(
        label=_("National id"),
        required=False,
        max_length=64,
        help_text=_(
            "Only a masked form is kept (e.g. ••••••5678). Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = Member
        fields = [
            "member_number",
            "given_name",
            "family_name",
            "gender",
            "birth_year",
            "role",
            "join_date",
            "status",
            "primary_site",
        ]
        widgets = {"join_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["primary_site"].queryset = organisation.sites.all()

    def clean_national_id(self) -> str:
        value = self.cleaned_data["national_id"]
        if value.strip() and not normalise_identifier(value):
            raise forms.ValidationError(_("A national id needs letters or digits."))
        return value

    def clean(self):
        cleaned = super().clean()
        national_id = cleaned.get("national_id")
        if national_id:
            self.instance.set_national_id(national_id)
        return cleaned


class CommodityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)

    def clean(self, value):
        return super().clean([normalise_hs_code(v) for v in (value or [])])


class SiteForm(OrganisationRecordForm):
    commodities = CommodityChoiceField(
        queryset=Commodity.objects.all(),
        label=_("Minerals (HS codes)"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Site
        fields = [
            "site_code",
            "name",
            "kind",
            "geometry",
            "area_ha",
            "commodities",
            "mining_method",
            "processing_method",
            "uses_mercury",
            "uses_cyanide",
            "workforce",
            "women_in_workforce",
        ]
        widgets = {"geometry": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        if self.instance.pk and isinstance(self.instance.geometry, dict):
            self.initial["geometry"] = json.dumps(self.instance.geometry)
        else:
            self.fields["geometry"].widget.attrs["placeholder"] = (
                '{"type": "Point", "coordinates": [-76.65, 5.17]}'
            )


class LicenceForm(OrganisationRecordForm):
    class Meta:
        model = Licence
        fields = ["kind", "number", "issuer", "status", "valid_from", "valid_until", "site"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["site"].queryset = organisation.sites.all()
