"""Standards stored as versioned catalogues. A version, once imported, never changes.

Requirements are rows of their version so that answers recorded against a version keep
pointing at exactly what was asked, whatever later versions say.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from batea.access.scoping import ScopedQuerySet
from batea.domain.access import Resource
from batea.domain.standards import catalogue as domain
from batea.domain.standards.schema import REQUIREMENT_KINDS, SCOPES, SCORINGS


def localized(value: dict | None) -> str:
    """A catalogue text in the current language (falling back to English)."""
    return domain.text(value, (get_language() or "en")[:2])


KIND_LABELS = {
    "core": _("Core (critical)"),
    "major": _("Major"),
    "development": _("Development"),
    "voluntary": _("Voluntary"),
}
SCOPE_LABELS = {
    "organisation": _("Organisation"),
    "member": _("Member"),
    "site": _("Site"),
    "buyer": _("Buyer"),
}
SCORING_LABELS = {"pass_fail": _("Pass / fail"), "scale_1_5": _("Score 1–5")}
STATUS_CHOICES = [
    ("draft", _("Draft")),
    ("published", _("Published")),
    ("retired", _("Retired")),
]


class Standard(models.Model):
    """A standard (scheme) across its versions, e.g. a progressive gold standard."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    code = models.SlugField(_("id"), max_length=64, unique=True)
    title = models.JSONField(_("title"))
    kind = models.CharField(_("kind"), max_length=24, blank=True)
    owner = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.STANDARD
    scope_organisation_field = "owner_id"

    class Meta:
        ordering = ["code"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self) -> str:
        return localized(self.title) or self.code

    @property
    def display_title(self) -> str:
        return localized(self.title)


class StandardVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="versions", verbose_name=_("standard")
    )
    version = models.CharField(_("version"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=STATUS_CHOICES)
    title = models.JSONField(_("title"))
    languages = models.JSONField(_("languages"))
    document = models.JSONField(_("catalogue"))
    checksum = models.CharField(_("checksum"), max_length=64)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.STANDARD
    scope_organisation_field = "standard__owner_id"

    class Meta:
        ordering = ["standard__code", "imported_at"]
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="unique_standard_version"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]),
                name="standard_version_known_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard.code} {self.version}"

    @property
    def display_title(self) -> str:
        return localized(self.title)

    def catalogue(self) -> domain.Catalogue:
        """The version as the domain model, rebuilt from the stored (validated) document."""
        return domain.build(self.document)

    def retire(self) -> None:
        self.status = "retired"
        self.retired_at = timezone.now()
        self.save(update_fields=["status", "retired_at"])


class Requirement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="requirements"
    )
    code = models.CharField(_("id"), max_length=64)
    chapter = models.CharField(_("chapter"), max_length=64)
    chapter_title = models.JSONField(_("chapter title"))
    title = models.JSONField(_("title"))
    guidance = models.JSONField(_("guidance"))
    applies_to = models.CharField(
        _("applies to"), max_length=16, choices=[(s, SCOPE_LABELS[s]) for s in SCOPES]
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=[(k, KIND_LABELS[k]) for k in REQUIREMENT_KINDS]
    )
    binding_year = models.PositiveSmallIntegerField(_("binding from year"))
    scoring = models.CharField(
        _("scoring"), max_length=16, choices=[(s, SCORING_LABELS[s]) for s in SCORINGS]
    )
    variants = models.JSONField(_("variants"), default=list)
    risk_tags = models.JSONField(_("risk tags"), default=list)
    rollup = models.JSONField(_("roll-up"), null=True, blank=True)
    order = models.PositiveIntegerField()

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.STANDARD
    scope_organisation_field = "version__standard__owner_id"

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_requirement_code"),
            models.CheckConstraint(
                condition=Q(binding_year__lte=10), name="requirement_binding_year_range"
            ),
        ]
        indexes = [models.Index(fields=["version", "applies_to", "kind", "binding_year"])]

    def __str__(self) -> str:
        return f"{self.code} {localized(self.title)}"

    @property
    def display_title(self) -> str:
        return localized(self.title)

    @property
    def display_guidance(self) -> str:
        return localized(self.guidance)

    @property
    def display_chapter(self) -> str:
        return localized(self.chapter_title)


class Crosswalk(models.Model):
    """Requirements of one standard version mapped to another's: assess once, report to many."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    code = models.SlugField(_("id"), max_length=64, unique=True)
    title = models.JSONField(_("title"))
    source = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="+")
    document = models.JSONField()
    checksum = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.STANDARD
    scope_organisation_field = "source__standard__owner_id"

    class Meta:
        ordering = ["code"]
        verbose_name = _("crosswalk")
        verbose_name_plural = _("crosswalks")

    def __str__(self) -> str:
        return localized(self.title) or self.code

    @property
    def display_title(self) -> str:
        return localized(self.title)


class CrosswalkMapping(models.Model):
    RELATIONS = [
        ("equivalent", _("Equivalent")),
        ("partial", _("Partly equivalent")),
        ("broader", _("Broader")),
        ("narrower", _("Narrower")),
    ]
    crosswalk = models.ForeignKey(Crosswalk, on_delete=models.CASCADE, related_name="mappings")
    source = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(max_length=16, choices=RELATIONS)
    note = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["crosswalk", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["crosswalk", "source", "target"], name="unique_crosswalk_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code} ({self.relation})"

    @property
    def display_note(self) -> str:
        return localized(self.note)


class Ladder(models.Model):
    """A ladder of standards an organisation climbs, e.g. OECD risk screen → CRAFT-style →
    Fairmined-style → ecological. `rungs` lists {"standard": id, "level": id} from the
    bottom; each rung uses the newest published version of its standard."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    code = models.SlugField(_("id"), max_length=64, unique=True)
    title = models.JSONField(_("title"))
    rungs = models.JSONField(_("rungs"))
    is_default = models.BooleanField(_("default ladder"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_resource = Resource.STANDARD
    scope_organisation_field = "code"  # public reference data: read by everyone

    class Meta:
        ordering = ["-is_default", "code"]
        verbose_name = _("ladder")
        verbose_name_plural = _("ladders")

    def __str__(self) -> str:
        return localized(self.title) or self.code

    @property
    def display_title(self) -> str:
        return localized(self.title)
