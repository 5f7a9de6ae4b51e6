from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from batea.access.uploads import upload_problem
from batea.assessments.models import KIND_CHOICES
from batea.assessments.services import EVIDENCE_EXTENSIONS, MAX_EVIDENCE_BYTES
from batea.registry.models import Member, Site
from batea.standards.models import StandardVersion, localized

# What the service accepts by name (batea.assessments.services), checked here by content.
EVIDENCE_KINDS = frozenset({"jpeg", "png", "webp", "heif", "pdf"})


# Past this many members a drop-down is unusable on a phone and heavy to send (a group of
# 50,000 members made the assessments page take seconds): the member is named by number.
MEMBER_LIST_LIMIT = 300


class MemberNumberField(forms.CharField):
    """A member of one organisation, named by the member number."""

    def __init__(self, *, members, **kwargs):
        super().__init__(**kwargs)
        self.members = members

    def clean(self, value):
        number = (super().clean(value) or "").strip()
        if not number:
            return None
        found = list(self.members.filter(member_number__iexact=number)[:2])
        exact = [member for member in found if member.member_number == number]
        if len(exact) == 1 or len(found) == 1:
            return (exact or found)[0]
        raise forms.ValidationError(
            _("No member has the number %(number)s here."), params={"number": number}
        )


def version_label(version: StandardVersion) -> str:
    """A standard version as people name it: its title and version, not its code."""
    title = localized(version.title) or localized(version.standard.title) or version.standard.code
    return gettext("%(title)s, version %(version)s") % {"title": title, "version": version.version}


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
        self.fields["version"].label_from_instance = version_label
        members = organisation.members.all()
        if members.count() > MEMBER_LIST_LIMIT:
            self.fields["member"] = MemberNumberField(
                label=_("About a member (optional): member number"),
                required=False,
                members=members,
            )
        else:
            self.fields["member"].queryset = members
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
