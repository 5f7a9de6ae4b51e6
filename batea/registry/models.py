"""The registry: organisations, their licences, members and sites, and relations between them.

Records that can be created offline (members, sites, licences) take client-generated UUIDs.
Every model here is tenant data scoped by organisation through `ScopedQuerySet`.
"""

import gettext as gettext_module
import uuid
from datetime import date
from decimal import Decimal

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import OrganisationKind, RelationKind, Resource
from batea.domain.commodities import COMMODITIES, MINERAL_NAMES
from batea.domain.countries import country_name, is_country_code
from batea.domain.formalisation import (
    LicenceFacts,
    LicenceKind,
    LicenceState,
    LicenceStatus,
    formalisation_status,
    licence_state,
)
from batea.domain.geometry import MAX_SITE_AREA_HA, check_geometry
from batea.domain.identifiers import fingerprint_identifier, mask_identifier

ORGANISATION_KIND_CHOICES = [
    (OrganisationKind.ASMO.value, _("Artisanal and small-scale mining organisation (ASMO)")),
    (OrganisationKind.SUPPORT.value, _("Support organisation")),
    (OrganisationKind.BUYER.value, _("Buyer / refiner")),
    (OrganisationKind.CERTIFICATION_BODY.value, _("Certification body")),
    (OrganisationKind.STANDARD_OWNER.value, _("Standard owner")),
]


def validate_country(value: str) -> None:
    if not is_country_code(value):
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. CO, PE, UG)."),
            params={"value": value},
            code="unknown_country",
        )


def validate_birth_year(value: int) -> None:
    current = timezone.now().year
    if value > current:
        raise ValidationError(
            _("Birth year %(value)s is in the future."), params={"value": value}, code="future"
        )
    if value < 1900:
        raise ValidationError(
            _("Birth year %(value)s is before 1900."), params={"value": value}, code="too_old"
        )


def validate_not_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("The date %(value)s is in the future."), params={"value": value})


def localized_country_name(code: str) -> str:
    """The country's name in the current language, from pycountry's ISO 3166 catalogues."""
    name = country_name(code)
    language = (get_language() or "en")[:2]
    if language == "en":
        return name
    try:
        catalogue = gettext_module.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
        )
    except OSError:
        return name
    return catalogue.gettext(name)


def explain(problem) -> str:
    """A domain problem in the current language, prefixed by where it is when that helps."""
    params = dict(problem.params)
    if "country_code" in params:
        params["country"] = localized_country_name(params["country_code"])
    if params.get("assessment_kind"):
        from batea.assessments.models import KIND_CHOICES

        params["assessment_kind"] = str(dict(KIND_CHOICES).get(params["assessment_kind"], ""))
    text = gettext(problem.template)
    text = text % params if params else text
    where = problem.path.removeprefix("geometry")
    return f"{where.lstrip('.')}: {text}" if where else text


class FieldConstraintErrors:
    """Report violated constraints under the field a person can fix, not as a general error."""

    constraint_fields: dict[str, str] = {}

    def validate_constraints(self, exclude=None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            by_field: dict[str, list] = {}
            for item in error.error_dict.get("__all__", []) if hasattr(error, "error_dict") else []:
                name = next((n for n in self.constraint_fields if n in str(item.code or "")), None)
                by_field.setdefault(self.constraint_fields.get(name, "__all__"), []).append(item)
            if hasattr(error, "error_dict"):
                for key, items in error.error_dict.items():
                    if key != "__all__":
                        by_field.setdefault(key, []).extend(items)
            raise ValidationError(by_field or error) from error


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Organisation(TimeStamped):
    class LegalForm(models.TextChoices):
        COOPERATIVE = "cooperative", _("Cooperative")
        ASSOCIATION = "association", _("Association")
        COMPANY = "company", _("Company")
        COMMUNITY_ENTERPRISE = "community_enterprise", _("Community enterprise")
        INFORMAL_GROUP = "informal_group", _("Informal group")
        NGO = "ngo", _("Non-governmental organisation")
        GOVERNMENT = "government", _("Government agency")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ORGANISATION_KIND_CHOICES)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    region = models.CharField(_("region"), max_length=120, blank=True)
    legal_form = models.CharField(
        _("legal form"), max_length=32, choices=LegalForm.choices, default=LegalForm.OTHER
    )
    registration_number = models.CharField(_("registration number"), max_length=80, blank=True)
    entry_date = models.DateField(
        _("entry date"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("When the organisation started its certification pathway."),
    )
    description = models.TextField(_("description"), blank=True)
    declared_metrics = models.JSONField(
        _("declared figures"),
        default=dict,
        blank=True,
        help_text=_(
            "Figures that eligibility rules check, as declared by the organisation, e.g. "
            '{"gold_grams_per_miner_day": 2.1}.'
        ),
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.ORGANISATION
    scope_organisation_field = "id"

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[kind.value for kind in OrganisationKind]),
                name="organisation_known_kind",
            ),
            models.CheckConstraint(
                condition=Q(Exact(Length("country"), 2), country=Upper("country")),
                name="organisation_country_alpha2",
            ),
        ]
        indexes = [models.Index(fields=["kind", "country"])]

    def __str__(self) -> str:
        return self.name

    @property
    def country_name(self) -> str:
        return localized_country_name(self.country)

    def formalisation(self, today: date | None = None):
        """Formalisation status derived from this organisation's licences."""
        return formalisation_status(
            [licence.facts for licence in self.licences.all()], today or timezone.localdate()
        )


class RelationQuerySet(ScopedQuerySet):
    def active_on(self, day: date):
        return self.filter(Q(started_on__lte=day) | Q(started_on__isnull=True)).filter(
            Q(ended_on__gte=day) | Q(ended_on__isnull=True)
        )


RELATION_KIND_CHOICES = [
    (RelationKind.SUPPORT.value, _("Support (portfolio)")),
    (RelationKind.CERTIFICATION.value, _("Certification engagement")),
    (RelationKind.SUPPLY.value, _("Supply (buyer of the ASMO)")),
]


class Relation(TimeStamped):
    """A support organisation's portfolio entry, a certification engagement or a supply link.

    The source organisation's relevant roles gain read access to the target's registry data
    (see `batea.domain.access.RELATION_GRANTS`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(_("kind"), max_length=24, choices=RELATION_KIND_CHOICES)
    source = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="outgoing_relations",
        verbose_name=_("source"),
    )
    target = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="incoming_relations",
        verbose_name=_("target"),
    )
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RelationQuerySet.as_manager()
    scope_resource = Resource.RELATION
    scope_organisation_field = ("source_id", "target_id")

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source", "target"], name="unique_relation_per_kind"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="relation_not_self"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="relation_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["source", "kind"]), models.Index(fields=["target"])]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.source_id and self.target_id and self.source_id == self.target_id:
            raise ValidationError({"target": _("An organisation cannot relate to itself.")})
        expected = {
            RelationKind.SUPPORT: OrganisationKind.SUPPORT,
            RelationKind.CERTIFICATION: OrganisationKind.CERTIFICATION_BODY,
            RelationKind.SUPPLY: OrganisationKind.BUYER,
        }.get(self.kind)
        if self.source_id and expected and self.source.kind != expected:
            raise ValidationError(
                {
                    "source": _("This kind of relation must start from a %(kind)s.")
                    % {"kind": dict(ORGANISATION_KIND_CHOICES)[expected]}
                }
            )
        if self.target_id and self.target.kind != OrganisationKind.ASMO:
            raise ValidationError({"target": _("The target must be an ASMO.")})


class Licence(FieldConstraintErrors, TimeStamped):
    """A licence or permit; formalisation status is derived from the set of them."""

    constraint_fields = {"unique_licence_number": "number"}

    KIND_CHOICES = [
        (LicenceKind.MINING_TITLE.value, _("Mining title / exploitation licence")),
        (LicenceKind.EXPLORATION.value, _("Exploration licence")),
        (LicenceKind.ENVIRONMENTAL.value, _("Environmental licence")),
        (LicenceKind.PROCESSING.value, _("Processing permit")),
        (LicenceKind.TRADING.value, _("Trading permit")),
        (LicenceKind.EXPORT.value, _("Export licence")),
        (LicenceKind.REGISTRATION.value, _("Registration in a miners' register")),
        (LicenceKind.OTHER.value, _("Other permit")),
    ]
    STATUS_CHOICES = [
        (LicenceStatus.APPLIED.value, _("Applied for")),
        (LicenceStatus.GRANTED.value, _("Granted")),
        (LicenceStatus.SUSPENDED.value, _("Suspended")),
        (LicenceStatus.REVOKED.value, _("Revoked")),
    ]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="licences",
        verbose_name=_("organisation"),
    )
    site = models.ForeignKey(
        "Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="licences",
        verbose_name=_("site"),
    )
    kind = models.CharField(_("type"), max_length=24, choices=KIND_CHOICES)
    number = models.CharField(_("number"), max_length=80)
    issuer = models.CharField(_("issuer"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=LicenceStatus.GRANTED.value
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.LICENCE
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["valid_until", "number"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "number"],
                name="unique_licence_number",
                violation_error_code="unique_licence_number",
                violation_error_message=_(
                    "A licence of this type with this number already exists."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="licence_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("Must not be before “valid from”.")})
        if (
            self.site_id
            and self.organisation_id
            and self.site.organisation_id != self.organisation_id
        ):
            raise ValidationError({"site": _("The site belongs to another organisation.")})

    @property
    def facts(self) -> LicenceFacts:
        return LicenceFacts(self.kind, self.status, self.valid_from, self.valid_until)

    def state(self, today: date | None = None) -> LicenceState:
        return licence_state(self.facts, today or timezone.localdate())


class MemberGender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Prefers not to say")


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner / concession holder")
    WORKER = "worker", _("Mine worker")
    PROCESSOR = "processor", _("Processor")
    SELECTOR = "selector", _("Selector (ore picker)")
    PANNER = "panner", _("Panner")
    TRADER = "trader", _("Trader")
    OTHER = "other", _("Other")


class MemberStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    APPROVED = "approved", _("Approved")
    CONDITIONAL = "conditional", _("Conditional")
    SUSPENDED = "suspended", _("Suspended")
    EXCLUDED = "excluded", _("Excluded")
    LEFT = "left", _("Left")


class Member(FieldConstraintErrors, TimeStamped):
    """A miner or worker in an organisation. National ids are kept only masked and keyed."""

    constraint_fields = {
        "unique_member_number": "member_number",
        "unique_member_national_id": "national_id",
    }

    Gender = MemberGender
    MemberRole = MemberRole
    Status = MemberStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("organisation"),
    )
    member_number = models.CharField(
        _("member number"), max_length=40, help_text=_("The organisation's own id for the member.")
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=16, choices=MemberGender.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[validate_birth_year]
    )
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices)
    join_date = models.DateField(_("join date"), validators=[validate_not_future])
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.APPLICANT
    )
    national_id_masked = models.CharField(
        _("national id"), max_length=64, blank=True, editable=False
    )
    national_id_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    primary_site = models.ForeignKey(
        "Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("main site"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.MEMBER
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "member_number"],
                name="unique_member_number",
                violation_error_code="unique_member_number",
                violation_error_message=_(
                    "This member number is already used in the organisation."
                ),
            ),
            models.UniqueConstraint(
                fields=["organisation", "national_id_fingerprint"],
                condition=~Q(national_id_fingerprint=""),
                name="unique_member_national_id",
                violation_error_code="unique_member_national_id",
                violation_error_message=_(
                    "Another member of this organisation has this national id."
                ),
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900),
                name="member_birth_year_from_1900",
            ),
            models.CheckConstraint(
                condition=Q(gender__in=MemberGender.values), name="member_known_gender"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MemberStatus.values), name="member_known_status"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "family_name", "given_name", "id"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "gender"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def set_national_id(self, value: str) -> None:
        """Keep only the masked form and a keyed fingerprint; the id itself is never stored."""
        self.national_id_masked = mask_identifier(value or "")
        self.national_id_fingerprint = fingerprint_identifier(value or "", settings.BATEA_PII_KEY)

    def clean(self) -> None:
        if self.primary_site_id and self.primary_site.organisation_id != self.organisation_id:
            raise ValidationError({"primary_site": _("The site belongs to another organisation.")})


class Commodity(models.Model):
    """A mineral product by its HS code; the list is fixed by `batea.domain.commodities`."""

    hs_code = models.CharField(_("HS code"), max_length=10, primary_key=True)
    mineral = models.CharField(_("mineral"), max_length=40)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["hs_code"]
        verbose_name = _("commodity")
        verbose_name_plural = _("commodities")

    def __str__(self) -> str:
        return f"{self.hs_code} {gettext(self.name)}"


def sync_commodities() -> None:
    """Make the Commodity table match the domain catalogue (called after migrate)."""
    for commodity in COMMODITIES:
        Commodity.objects.update_or_create(
            hs_code=commodity.hs_code,
            defaults={"mineral": commodity.mineral, "name": commodity.name},
        )


class Site(FieldConstraintErrors, TimeStamped):
    """A mine or processing site with its GeoJSON location (WGS84, [longitude, latitude])."""

    constraint_fields = {"unique_site_code": "site_code"}

    class Kind(models.TextChoices):
        MINE = "mine", _("Mine site")
        PROCESSING = "processing", _("Processing site")
        MINE_AND_PROCESSING = "mine_and_processing", _("Mine and processing site")

    class MiningMethod(models.TextChoices):
        ALLUVIAL = "alluvial", _("Alluvial")
        OPEN_PIT = "open_pit", _("Open pit")
        UNDERGROUND = "underground", _("Underground")
        DREDGING = "dredging", _("Dredging")
        NONE = "none", _("None (processing only)")
        OTHER = "other", _("Other")

    class ProcessingMethod(models.TextChoices):
        GRAVITY = "gravity", _("Gravity concentration")
        AMALGAMATION = "amalgamation", _("Mercury amalgamation")
        CYANIDATION = "cyanidation", _("Cyanide leaching")
        FLOTATION = "flotation", _("Flotation")
        NONE = "none", _("None on site")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="sites",
        verbose_name=_("organisation"),
    )
    site_code = models.CharField(
        _("site code"), max_length=40, help_text=_("The organisation's own id for the site.")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.MINE)
    geometry = models.JSONField(
        _("location (GeoJSON)"),
        help_text=_("A GeoJSON Point, Polygon or MultiPolygon in WGS84, [longitude, latitude]."),
    )
    longitude = models.FloatField(_("longitude"), editable=False)
    latitude = models.FloatField(_("latitude"), editable=False)
    area_ha = models.DecimalField(
        _("area (ha)"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(Decimal(MAX_SITE_AREA_HA))],
        help_text=_("Computed from a polygon; enter it for a point."),
    )
    commodities = models.ManyToManyField(
        Commodity, related_name="sites", verbose_name=_("minerals (HS codes)")
    )
    mining_method = models.CharField(
        _("mining method"), max_length=16, choices=MiningMethod.choices, default=MiningMethod.OTHER
    )
    processing_method = models.CharField(
        _("processing method"),
        max_length=16,
        choices=ProcessingMethod.choices,
        default=ProcessingMethod.GRAVITY,
    )
    uses_mercury = models.BooleanField(_("uses mercury"), default=False)
    uses_cyanide = models.BooleanField(_("uses cyanide"), default=False)
    workforce = models.PositiveIntegerField(_("workforce"), default=0)
    women_in_workforce = models.PositiveIntegerField(_("women in the workforce"), default=0)
    attributes = models.JSONField(
        _("survey attributes"),
        default=dict,
        blank=True,
        help_text=_('Extra facts from site surveys, e.g. {"armed_group_presence": false}.'),
    )

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.SITE
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "site_code"],
                name="unique_site_code",
                violation_error_code="unique_site_code",
                violation_error_message=_("This site code is already used in the organisation."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_in_range",
            ),
            models.CheckConstraint(
                condition=Q(area_ha__gte=0) | Q(area_ha__isnull=True), name="site_area_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(women_in_workforce__lte=models.F("workforce")),
                name="site_women_within_workforce",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "name"])]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # The centroid is derived from the geometry in clean(), not entered.
        super().clean_fields(exclude={*(exclude or ()), "longitude", "latitude"})

    def clean(self) -> None:
        country = self.organisation.country if self.organisation_id else None
        declared = float(self.area_ha) if self.area_ha is not None else None
        report = check_geometry(self.geometry, country=country, declared_area_ha=declared)
        if report.errors:
            raise ValidationError({"geometry": [explain(p) for p in report.errors]})
        self.apply_geometry(report)
        self.geometry_warnings = [explain(p) for p in report.warnings]
        if self.women_in_workforce > self.workforce:
            raise ValidationError({"women_in_workforce": _("Cannot exceed the workforce.")})

    def apply_geometry(self, report) -> None:
        """Store the normalised geometry, its centroid and (for polygons) its area."""
        self.geometry = report.geometry
        self.longitude, self.latitude = report.centroid
        if report.area_ha is not None:
            self.area_ha = round(report.area_ha, 4)

    @property
    def minerals(self) -> str:
        names = {gettext(MINERAL_NAMES.get(c.mineral, c.mineral)) for c in self.commodities.all()}
        return ", ".join(sorted(names))
