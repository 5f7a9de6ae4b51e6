"""Forms of the premium fund page; the services check the rules, the forms the input."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from batea.custody.fund import GROUPS, current_committee, is_stored, pending_sales
from batea.custody.models import CommitteeMember, InvestmentPlan, PlanProject, Sale
from batea.registry.models import Member, MemberGender

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": 0}


def _date(label, **extra):
    return forms.DateField(
        label=label,
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **extra,
    )


class ReceiptForm(forms.Form):
    sale = forms.ModelChoiceField(label=_("Sale"), queryset=Sale.objects.none())
    amount = forms.DecimalField(
        label=_("Amount received"),
        required=False,
        help_text=_("Leave empty for the premium owed."),
        **MONEY,
    )
    received_on = _date(_("Received on"))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sale"].queryset = pending_sales(organisation)
        self.fields["sale"].label_from_instance = lambda sale: (
            _("%(lot)s sold on %(date)s: %(amount)s %(currency)s owed")
            % {
                "lot": sale.lot.code,
                "date": sale.sold_on.isoformat(),
                "amount": sale.premium_owed,
                "currency": sale.premium_currency,
            }
        )


class CommitteeMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    represents = forms.ChoiceField(label=_("Represents"), choices=list(GROUPS.items()))
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *MemberGender.choices]
    )
    member = forms.ModelChoiceField(
        label=_("Member of the organisation (optional)"),
        required=False,
        queryset=Member.objects.none(),
    )
    since = _date(_("On the committee since"))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = organisation.members.filter(
            status__in=["approved", "conditional"]
        ).order_by("family_name", "given_name")


class EndCommitteeMemberForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Committee member"), queryset=CommitteeMember.objects.none()
    )
    until = _date(_("Left on"))

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = current_committee(fund)


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    goals = forms.CharField(
        label=_("Goals (3 to 5 years)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = _date(_("From"))
    ends_on = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Project"), max_length=200, required=False)
    budget = forms.DecimalField(label=_("Budget"), required=False, **MONEY)
    beneficiaries = forms.IntegerField(label=_("Beneficiaries"), required=False, min_value=0)
    women = forms.IntegerField(label=_("Of whom women"), required=False, min_value=0)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("budget") is not None and not cleaned.get("title"):
            self.add_error("title", _("Give the project a title."))
        if cleaned.get("title") and cleaned.get("budget") is None:
            self.add_error("budget", _("Give the project a budget."))
        return cleaned


ProjectFormSet = forms.formset_factory(ProjectForm, extra=3, max_num=10, absolute_max=10)


class ApprovalForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=InvestmentPlan.objects.none())
    members_present = forms.ModelMultipleChoiceField(
        label=_("Committee members present"),
        queryset=CommitteeMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    approved_on = _date(_("Approved on"))

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        if is_stored(fund):
            self.fields["plan"].queryset = fund.plans.filter(approved_on__isnull=True)
            # Anyone who ever served: the service checks who served on the day.
            self.fields["members_present"].queryset = fund.committee.all()
        self.fields["members_present"].label_from_instance = _committee_label


def _committee_label(person: CommitteeMember) -> str:
    group = GROUPS.get(person.represents, person.represents)
    if person.until:
        return _("%(name)s (%(group)s; left on %(date)s)") % {
            "name": person.name,
            "group": group,
            "date": person.until.isoformat(),
        }
    return _("%(name)s (%(group)s)") % {"name": person.name, "group": group}


class DisbursementForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=PlanProject.objects.none())
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    paid_on = _date(_("Paid on"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        if is_stored(fund):
            self.fields["project"].queryset = PlanProject.objects.filter(
                plan__fund=fund, plan__approved_on__isnull=False
            ).select_related("plan")
        self.fields["project"].label_from_instance = lambda project: (
            _("%(project)s (%(left)s left)")
            % {"project": project.title, "left": project.budget - project.disbursed}
        )
