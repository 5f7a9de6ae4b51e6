from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from batea.access.uploads import upload_problem
from batea.assessments.models import KIND_CHOICES
from batea.assessments.services import EVIDENCE_EXTENSIONS, MAX_EVIDENCE_BYTES
from batea.registry.models import Member, Site
from batea.standards.models import StandardVersion

# What the service accepts by name (batea.assessments.services), checked here by content.
EVIDENCE_KINDS = frozenset({"jpeg", "png", "webp", "heif", "pdf"})


class NewAssessmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    version = forms.ModelChoiceField(label=_("Standard"), queryset=StandardVersion.objects.none())
    member = forms.ModelChoiceField(
        label=_("About a member (optional)"), required=False, queryset=Member.objects.none()
    )
    site = forms.ModelChoiceField(
        label=_("About a site (optional)"), required=False, queryset=Site.objects.none()
    )
    assessed_on = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, organisation, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in KIND_CHOICES if c[0] in kinds]
        self.fields["version"].queryset = StandardVersion.objects.exclude(
            status="retired"
        ).select_related("standard")
        self.fields["member"].queryset = organisation.members.all()
        self.fields["site"].queryset = organisation.sites.all()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("member") and cleaned.get("site"):
            raise forms.ValidationError(_("Choose a member or a site, not both."))
        return cleaned


class AnswerForm(forms.Form):
    value = forms.ChoiceField(label=_("Answer"), required=False, widget=forms.RadioSelect)
    score = forms.TypedChoiceField(
        label=_("Score"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=[(i, str(i)) for i in range(1, 6)],
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("Evidence: photo or file"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,application/pdf", "capture": "environment"}
        ),
    )
    reason = forms.CharField(label=_("Reason for the correction"), required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )

    def __init__(self, *args, value_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = value_choices

    def clean(self):
        """Evidence is a photo (JPEG, PNG, WebP, HEIC) or a PDF, by name and by content. A
        problem is reported for the whole form: the answer page shows those above it."""
        cleaned = super().clean()
        evidence = cleaned.get("evidence")
        if evidence:
            problem = upload_problem(
                evidence,
                limit=MAX_EVIDENCE_BYTES,
                extensions=EVIDENCE_EXTENSIONS,
                kinds=EVIDENCE_KINDS,
            )
            if problem:
                raise forms.ValidationError(problem, code="evidence")
        return cleaned


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(role_assignments__organisation=organisation).distinct()
        )
