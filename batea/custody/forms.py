"""Forms of the custody pages. They parse and offer choices; the rules are in the services.

Every choice offered comes from the scoping mechanism: sites, members, certificates and
lots the user can see, counterparties from the supply relations the user can see.
"""

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from batea.certification.models import Certificate
from batea.custody.models import KIND_LABELS, MODEL_LABELS, CustodyEvent, Incident, Lot
from batea.custody.services import ClaimInput
from batea.domain.access import RelationKind
from batea.domain.commodities import MINERAL_NAMES
from batea.registry.models import Member, Organisation, Relation, Site
from batea.standards.models import StandardVersion

ISO_DATE = ["%Y-%m-%d"]
MAX_MEMBER_ROWS = 60
INHERIT = "inherit"
UNCERTIFIED = "none"


def date_field(label=None, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label or _("Date"),
        initial=timezone.localdate,
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def mass_field(label=None, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Mass (g)"),
        max_digits=16,
        decimal_places=3,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def fineness_field(label=None, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Fineness (‰)"),
        max_digits=10,
        decimal_places=6,
        localize=True,
        help_text=_("Parts per thousand of fine metal, above 0 and at most 1000."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def mineral_choices() -> list[tuple[str, str]]:
    return [(key, gettext(name).capitalize()) for key, name in MINERAL_NAMES.items()]


def buyers_of(user, holder: Organisation):
    """Organisations that buy from `holder`: the sources of its active supply relations,
    and those it already shipped or sold to, as far as the user can see them."""
    relations = (
        Relation.objects.visible_to(user)
        .active_on(timezone.localdate())
        .filter(kind=RelationKind.SUPPLY, target=holder)
    )
    dealt_with = (
        CustodyEvent.objects.visible_to(user)
        .filter(
            organisation=holder,
            kind__in=[CustodyEvent.Kind.SHIPMENT, CustodyEvent.Kind.SALE],
            counterparty__isnull=False,
        )
        .values("counterparty_id")
    )
    return (
        Organisation.objects.filter(Q(pk__in=relations.values("source_id")) | Q(pk__in=dealt_with))
        .exclude(pk=holder.pk)
        .order_by("name")
    )


def attach_errors(form: forms.Form, error: ValidationError, names: dict | None = None) -> None:
    """A service's ValidationError on the form: under the field it names, else on top.
    `names` replaces ids in the messages (the rules name lots and organisations by id) by
    what people know them as."""

    def readable(messages):
        texts = []
        for message in messages:
            for key, name in (names or {}).items():
                message = message.replace(key, name)
            texts.append(message)
        return texts

    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, readable(messages))
    else:
        form.add_error(None, readable(error.messages))


def names_of(lots, organisations) -> dict[str, str]:
    """Ids → codes and names, for messages."""
    names = {str(lot.pk): lot.code for lot in lots}
    names.update({str(org.pk): org.name for org in organisations if org is not None})
    return names


class ActionForm(forms.Form):
    """A form on a lot's page; `action` says which."""

    action = ""
    title = ""

    def __init__(self, *args, user, lot: Lot, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.user = user
        self.lot = lot


class ShipForm(ActionForm):
    action = "ship"
    title = _("Ship")
    to = forms.ModelChoiceField(label=_("To"), queryset=Organisation.objects.none())
    on = date_field(_("Shipped on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = buyers_of(self.user, self.lot.organisation)


class ReceiveForm(ActionForm):
    action = "receive"
    title = _("Confirm receipt")
    on = date_field(_("Received on"))


class SplitForm(ActionForm):
    action = "split"
    title = _("Split")
    PARTS = 4

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, self.PARTS + 1):
            self.fields[f"part_{i}"] = mass_field(
                _("Part %(number)s (g)") % {"number": i}, required=i <= 2
            )
        self.fields["on"] = date_field(_("Split on"))

    def masses(self) -> list:
        return [
            self.cleaned_data[f"part_{i}"]
            for i in range(1, self.PARTS + 1)
            if self.cleaned_data.get(f"part_{i}") is not None
        ]


def _claim_choices(lots) -> list[tuple[str, str]]:
    """Claims an output of these lots may be given: keep theirs, none, or a claim under a
    standard one of them is certified under, by a model that standard allows."""
    choices = [
        (INHERIT, _("Keep the claim the inputs share")),
        (UNCERTIFIED, _("Not certified")),
    ]
    seen = set()
    for lot in lots:
        if lot.claim_version_id is None:
            continue
        key = (lot.claim_version_id, lot.claim_variant)
        if key in seen:
            continue
        seen.add(key)
        version = lot.claim_version
        models = version.document.get("chain_of_custody", {}).get("models", [])
        for model in models:
            label = f"{version.display_title}"
            if lot.claim_variant:
                label += f" ({lot.claim_variant})"
            label += f" — {MODEL_LABELS.get(model, model)}"
            choices.append((f"{version.pk}|{lot.claim_variant}|{model}", label))
    return choices


def _claim_from(value: str) -> ClaimInput | None:
    """None keeps the inputs' claim; ClaimInput() is no claim."""
    if value == INHERIT:
        return None
    if value == UNCERTIFIED:
        return ClaimInput()
    version_id, variant, model = value.split("|", 2)
    return ClaimInput(StandardVersion.objects.get(pk=version_id), variant, model)


class CombineForm(ActionForm):
    """Other lots of the same holder and mineral to take along, and the output's claim."""

    others = forms.ModelMultipleChoiceField(
        label=_("Other lots"),
        queryset=Lot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    claim = forms.ChoiceField(label=_("Claim of the new lot"), initial=INHERIT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = (
            Lot.objects.visible_to(self.user)
            .filter(organisation=self.lot.organisation, status="active", mineral=self.lot.mineral)
            .exclude(pk=self.lot.pk)
            .select_related("claim_version__standard")
            .order_by("code")
        )
        self.fields["others"].queryset = candidates
        self.fields["others"].label_from_instance = lambda lot: (
            f"{lot.code} · {lot.get_kind_display()} · {lot.fine_g.normalize():f} g"
        )
        self.fields["claim"].choices = _claim_choices([self.lot, *candidates[:200]])

    def inputs(self) -> list[Lot]:
        return [self.lot, *self.cleaned_data.get("others", [])]

    def claim_input(self) -> ClaimInput | None:
        return _claim_from(self.cleaned_data["claim"])


class MergeForm(CombineForm):
    action = "merge"
    title = _("Merge")
    on = date_field(_("Merged on"))

    def clean_others(self):
        others = self.cleaned_data["others"]
        if not others:
            raise ValidationError(_("Choose at least one other lot to merge with."))
        return others


class TransformForm(CombineForm):
    action = "transform"
    title = _("Refine")
    OUTPUTS = 3
    kind = forms.ChoiceField(
        label=_("Kind of the output"), choices=list(KIND_LABELS.items()), initial="fine_gold"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["others"].label = _("Other lots refined with it")
        for i in range(1, self.OUTPUTS + 1):
            self.fields[f"mass_{i}"] = mass_field(
                _("Output %(number)s: mass (g)") % {"number": i}, required=i == 1
            )
            self.fields[f"fineness_{i}"] = fineness_field(
                _("Output %(number)s: fineness (‰)") % {"number": i}, required=i == 1
            )
        self.fields["on"] = date_field(_("Refined on"))

    def clean(self):
        cleaned = super().clean()
        for i in range(2, self.OUTPUTS + 1):
            mass, fineness = cleaned.get(f"mass_{i}"), cleaned.get(f"fineness_{i}")
            if (mass is None) != (fineness is None):
                self.add_error(
                    f"mass_{i}" if mass is None else f"fineness_{i}",
                    _("Give both the mass and the fineness of this output."),
                )
        return cleaned

    def outputs(self) -> list[tuple]:
        return [
            (self.cleaned_data[f"mass_{i}"], self.cleaned_data[f"fineness_{i}"])
            for i in range(1, self.OUTPUTS + 1)
            if self.cleaned_data.get(f"mass_{i}") is not None
        ]


class SellForm(ActionForm):
    action = "sell"
    title = _("Sell")
    buyer = forms.ModelChoiceField(label=_("Buyer"), queryset=Organisation.objects.none())
    usd_per_troy_oz = forms.DecimalField(
        label=_("Price (USD per troy ounce of fine metal)"),
        max_digits=14,
        decimal_places=4,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    on = date_field(_("Sold on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = buyers_of(self.user, self.lot.organisation)


ACTION_FORMS = {
    form.action: form
    for form in (ShipForm, ReceiveForm, SplitForm, MergeForm, TransformForm, SellForm)
}


# Production ------------------------------------------------------------------------------


class ProduceForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    mineral = forms.ChoiceField(label=_("Mineral"), initial="gold")
    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()), initial="dore")
    mass_g = mass_field()
    fineness = fineness_field()
    on = date_field(_("Produced on"))
    certificate = forms.ChoiceField(
        label=_("Claim"),
        required=False,
        help_text=_("Certified only under a certificate valid on the day of production."),
    )
    custody_model = forms.ChoiceField(
        label=_("Chain-of-custody model"),
        required=False,
        choices=[("", "—"), *MODEL_LABELS.items()],
        help_text=_("Needed for a certified claim: one the standard allows."),
    )
    code = forms.CharField(
        label=_("Lot code (optional)"),
        required=False,
        max_length=40,
        help_text=_("Leave empty to have one made."),
    )

    def __init__(self, *args, user, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.organisation = organisation
        self.fields["site"].queryset = Site.objects.visible_to(user).filter(
            organisation=organisation
        )
        self.fields["mineral"].choices = mineral_choices()
        self.certificates = {
            str(c.pk): c
            for c in Certificate.objects.visible_to(user)
            .filter(organisation=organisation, status=Certificate.Status.VALID)
            .select_related("version__standard")
        }
        self.fields["certificate"].choices = [("", _("Not certified"))] + [
            (
                key,
                f"{c.version.display_title}{f' ({c.variant})' if c.variant else ''} — {c.number}",
            )
            for key, c in self.certificates.items()
        ]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if code and Lot.objects.filter(code=code).exists():
            raise ValidationError(_("Another lot already has this code."))
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("certificate") and not cleaned.get("custody_model"):
            self.add_error("custody_model", _("Say how the certified lot is kept."))
        return cleaned

    def claim(self) -> ClaimInput:
        certificate = self.certificates.get(self.cleaned_data.get("certificate") or "")
        if certificate is None:
            return ClaimInput()
        return ClaimInput(
            certificate.version, certificate.variant, self.cleaned_data["custody_model"]
        )


class MinerDaysForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Member"), queryset=Member.objects.none(), required=False
    )
    miner_days = forms.DecimalField(
        label=_("Miner-days"),
        max_digits=10,
        decimal_places=2,
        required=False,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"].queryset = members

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("member") and cleaned.get("miner_days") is None:
            self.add_error("miner_days", _("How many days did this member work on the lot?"))
        if cleaned.get("miner_days") is not None and not cleaned.get("member"):
            self.add_error("member", _("Choose the member."))
        return cleaned


class BaseMinerDaysFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [f.cleaned_data["member"] for f in self.forms if f.cleaned_data.get("member")]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("A member is listed twice."))
        if not chosen:
            raise ValidationError(_("Say which members produced the lot."))

    def members(self) -> dict:
        return {
            f.cleaned_data["member"]: f.cleaned_data["miner_days"]
            for f in self.forms
            if f.cleaned_data.get("member")
        }


def miner_days_formset(data, *, user, organisation, rows: int):
    formset_class = forms.formset_factory(
        MinerDaysForm,
        formset=BaseMinerDaysFormSet,
        extra=rows,
        max_num=MAX_MEMBER_ROWS,
        validate_max=True,
    )
    members = (
        Member.objects.visible_to(user)
        .filter(organisation=organisation)
        .exclude(status__in=["excluded", "left"])
        .order_by("family_name", "given_name")
    )
    return formset_class(data, prefix="miners", form_kwargs={"members": members})


# Incidents -------------------------------------------------------------------------------


def possible_owners(incident: Incident):
    """People who can own an incident: those holding a role in its organisation."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__organisation=incident.organisation_id)
        .distinct()
        .order_by("username")
    )


class IncidentForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was found and done; needed to close the incident."),
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": incident.status,
                "owner": incident.owner_id,
                "resolution": incident.resolution,
            },
        )
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.fields["owner"].queryset = possible_owners(incident)
        self.fields["owner"].label_from_instance = person_name

    def clean(self):
        cleaned = super().clean()
        problems = incident_change_problems(cleaned.get("status"), cleaned.get("resolution", ""))
        for field, message in problems.items():
            self.add_error(field, message)
        return cleaned

    def save(self) -> Incident:
        return change_incident(
            self.incident,
            status=self.cleaned_data["status"],
            owner=self.cleaned_data.get("owner"),
            resolution=self.cleaned_data.get("resolution", ""),
        )


def person_name(user) -> str:
    return user.get_full_name() or user.username


def incident_change_problems(status: str | None, resolution: str) -> dict:
    if status == Incident.Status.CLOSED and not (resolution or "").strip():
        return {"resolution": gettext("Say how the incident was resolved before closing it.")}
    return {}


def change_incident(
    incident: Incident, *, status: str, owner=None, resolution: str = "", on: date | None = None
) -> Incident:
    """Set an incident's status, owner and resolution; closing dates it, reopening clears
    the date. The caller has checked that the user may change the incident."""
    problems = incident_change_problems(status, resolution)
    if problems:
        raise ValidationError(problems)
    incident.status = status
    incident.owner = owner
    incident.resolution = (resolution or "").strip()
    if status == Incident.Status.CLOSED:
        incident.closed_on = incident.closed_on or on or timezone.localdate()
    else:
        incident.closed_on = None
    incident.save(update_fields=["status", "owner", "resolution", "closed_on", "updated_at"])
    return incident


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Incident.Status.choices]
    )
    code = forms.ChoiceField(label=_("Red flag"), required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, *args, incidents, **kwargs):
        super().__init__(*args, **kwargs)
        codes = sorted(
            set(FLAG_LABELS) | set(incidents.order_by().values_list("code", flat=True).distinct())
        )
        self.fields["code"].choices = [("", _("All"))] + [(c, flag_label(c)) for c in codes]
        organisations = Organisation.objects.filter(
            pk__in=incidents.order_by().values("organisation_id")
        ).order_by("name")
        self.fields["organisation"].choices = [("", _("All"))] + [
            (o.slug, o.name) for o in organisations
        ]

    def apply(self, incidents):
        if not self.is_bound:
            return incidents
        if not self.is_valid():
            return incidents.none()  # e.g. an organisation the user cannot see
        data = self.cleaned_data
        if data.get("status"):
            incidents = incidents.filter(status=data["status"])
        if data.get("code"):
            incidents = incidents.filter(code=data["code"])
        if data.get("organisation"):
            incidents = incidents.filter(organisation__slug=data["organisation"])
        return incidents


FLAG_LABELS = {
    "productivity_above_threshold": _("Production per miner-day above the threshold"),
    "production_spike": _("Sudden spike in production"),
    "red_flag_area": _("Origin in a red-flag area"),
    "no_valid_licence": _("Seller without a valid licence"),
    "mineral_not_at_site": _("Mineral not mined at the site"),
    "no_miner_days": _("Production without miner-days"),
    "below_minimum_price": _("Sold below the minimum price"),
}


def flag_label(code: str) -> str:
    return str(FLAG_LABELS.get(code, code.replace("_", " ")))


# Up to this many visible lots, the holder and origin filters list the organisations found
# among them; past it, finding those would read every lot, so they take a name instead.
LOT_CHOICES_LIMIT = 5000


class LotFilterForm(forms.Form):
    q = forms.CharField(label=_("Lot"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    mineral = forms.ChoiceField(label=_("Mineral"), required=False)
    certified = forms.ChoiceField(
        label=_("Certified"),
        required=False,
        choices=[("", _("All")), ("yes", _("Certified")), ("no", _("Not certified"))],
    )
    holder = forms.ChoiceField(label=_("Holder"), required=False)
    origin = forms.ChoiceField(label=_("Mined by"), required=False)

    def __init__(self, *args, lots, **kwargs):
        """`lots` are the lots the user may see."""
        from batea.custody.models import STATUS_LABELS

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *STATUS_LABELS.items()]
        self.by_name = lots.order_by()[: LOT_CHOICES_LIMIT + 1].count() > LOT_CHOICES_LIMIT
        if self.by_name:
            self.fields["mineral"].choices = [("", _("All")), *mineral_choices()]
            for name in ("holder", "origin"):
                self.fields[name] = forms.CharField(
                    label=self.fields[name].label,
                    required=False,
                    widget=forms.TextInput(attrs={"placeholder": _("Organisation name")}),
                )
            return
        minerals = set(lots.order_by().values_list("mineral", flat=True).distinct())
        self.fields["mineral"].choices = [("", _("All"))] + [
            (key, label) for key, label in mineral_choices() if key in minerals
        ]
        holders = Organisation.objects.filter(
            pk__in=lots.order_by().values("organisation_id")
        ).order_by("name")
        self.fields["holder"].choices = [("", _("All"))] + [(o.slug, o.name) for o in holders]
        origins = Organisation.objects.filter(
            pk__in=lots.order_by().values("origin_organisation_id")
        ).order_by("name")
        self.fields["origin"].choices = [("", _("All"))] + [(o.slug, o.name) for o in origins]

    def apply(self, lots):
        if not self.is_bound:
            return lots
        if not self.is_valid():
            return lots.none()
        data = self.cleaned_data
        if data.get("q"):
            lots = lots.filter(code__icontains=data["q"].strip())
        if data.get("status"):
            lots = lots.filter(status=data["status"])
        if data.get("mineral"):
            lots = lots.filter(mineral=data["mineral"])
        if data.get("certified") == "yes":
            lots = lots.filter(claim_version__isnull=False)
        elif data.get("certified") == "no":
            lots = lots.filter(claim_version__isnull=True)
        for name, path in (("holder", "organisation"), ("origin", "origin_organisation")):
            value = data.get(name, "").strip()
            if value and self.by_name:
                lots = lots.filter(
                    Q(**{f"{path}__name__icontains": value}) | Q(**{f"{path}__slug": value})
                )
            elif value:
                lots = lots.filter(**{f"{path}__slug": value})
        return lots
