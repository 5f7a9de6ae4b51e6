"""REST API for the registry. Every queryset comes from the scoping mechanism."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import exceptions, mixins, serializers, viewsets

from batea.access.scoping import can, organisations_where
from batea.api import KeysFirstPagination
from batea.domain.access import CHANGE, Resource
from batea.domain.commodities import normalise_hs_code
from batea.domain.geometry import check_geometry
from batea.domain.identifiers import normalise_identifier
from batea.registry.models import (
    Commodity,
    Licence,
    Member,
    Organisation,
    Relation,
    Site,
    explain,
)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to another tenant record: only those the user may see, so records of
    other organisations are indistinguishable from ones that do not exist."""

    def get_queryset(self):
        return self.queryset.visible_to(self.context["request"].user)


class ScopedOrganisationField(serializers.PrimaryKeyRelatedField):
    """The organisation of a new record: only those where the user may change `resource`."""

    def __init__(self, resource: str, **kwargs):
        self.resource = resource
        super().__init__(**kwargs)

    def get_queryset(self):
        return organisations_where(self.context["request"].user, self.resource, CHANGE)


class ModelValidationMixin:
    """Run the model's own validation (fields, clean, constraints) so API and forms agree.

    A record's id is chosen once, at creation (possibly offline); it never changes.
    """

    m2m_fields: tuple[str, ...] = ()

    def validate(self, attrs):
        if self.instance is not None:
            new_id = attrs.pop("id", self.instance.pk)
            if new_id != self.instance.pk:
                raise serializers.ValidationError({"id": _("A record's id cannot be changed.")})
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = self.instance or model()
        plain = {k: v for k, v in attrs.items() if k not in self.m2m_fields}
        if self.instance is not None:
            for key, value in plain.items():
                setattr(instance, key, value)
        else:
            instance = model(**plain)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        self._validated_instance = instance
        return attrs


class OrganisationSerializer(ModelValidationMixin, serializers.ModelSerializer):
    formalisation_status = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "country",
            "region",
            "legal_form",
            "registration_number",
            "entry_date",
            "description",
            "formalisation_status",
        ]
        # The country anchors every site's location check: platform staff change it.
        read_only_fields = ["id", "slug", "kind", "country"]

    def get_formalisation_status(self, obj) -> str:
        return obj.formalisation().status.value


class MemberSerializer(ModelValidationMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(required=False)
    organisation = ScopedOrganisationField(Resource.MEMBER)
    national_id = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_(
            "Stored only masked and as a keyed fingerprint; never returned. "
            "An empty string forgets the stored id."
        ),
    )
    primary_site = ScopedRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "organisation",
            "member_number",
            "given_name",
            "family_name",
            "gender",
            "birth_year",
            "role",
            "join_date",
            "status",
            "national_id",
            "national_id_masked",
            "primary_site",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["national_id_masked", "created_at", "updated_at"]
        validators = []  # uniqueness is checked by the model's constraints, with clear messages

    def validate(self, attrs):
        if self.instance is not None:
            _reject_moves(self.instance, attrs)
        national_id = attrs.pop("national_id", None)
        attrs = super().validate(attrs)
        if national_id is not None:
            if national_id.strip() and not normalise_identifier(national_id):
                raise serializers.ValidationError(
                    {"national_id": _("A national id needs letters or digits.")}
                )
            self._validated_instance.set_national_id(national_id)
            try:
                self._validated_instance.validate_constraints()
            except DjangoValidationError as error:
                raise serializers.ValidationError(
                    {"national_id": _("Another member of this organisation has this national id.")}
                ) from error
            attrs["national_id_masked"] = self._validated_instance.national_id_masked
            attrs["national_id_fingerprint"] = self._validated_instance.national_id_fingerprint
        return attrs


class HSCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _(
            "Unknown HS code {value}; use one of the listed mineral codes, "
            "e.g. 7108.12 for unwrought gold."
        ),
    }

    def to_internal_value(self, data):
        return super().to_internal_value(normalise_hs_code(str(data)))


class SiteSerializer(ModelValidationMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(required=False)
    organisation = ScopedOrganisationField(Resource.SITE)
    commodities = HSCodeField(
        many=True,
        slug_field="hs_code",
        queryset=Commodity.objects.all(),
        allow_empty=False,
        help_text=_("HS codes of the minerals, e.g. 7108.12 for unwrought gold."),
    )
    geometry_warnings = serializers.SerializerMethodField()
    m2m_fields = ("commodities",)

    class Meta:
        model = Site
        fields = [
            "id",
            "organisation",
            "site_code",
            "name",
            "kind",
            "geometry",
            "longitude",
            "latitude",
            "area_ha",
            "commodities",
            "mining_method",
            "processing_method",
            "uses_mercury",
            "uses_cyanide",
            "workforce",
            "women_in_workforce",
            "geometry_warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["longitude", "latitude", "created_at", "updated_at"]
        validators = []

    def get_geometry_warnings(self, obj) -> list[str]:
        """Advice on the location, e.g. a point standing in for a large area."""
        report = check_geometry(
            obj.geometry,
            declared_area_ha=float(obj.area_ha) if obj.area_ha is not None else None,
        )
        return [explain(problem) for problem in report.warnings]

    def validate(self, attrs):
        if self.instance is not None:
            _reject_moves(self.instance, attrs)
        attrs = super().validate(attrs)
        validated = self._validated_instance  # clean() normalised geometry and centroid
        attrs.update(
            geometry=validated.geometry,
            longitude=validated.longitude,
            latitude=validated.latitude,
            area_ha=validated.area_ha,
        )
        return attrs


class LicenceSerializer(ModelValidationMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(required=False)
    organisation = ScopedOrganisationField(Resource.LICENCE)
    site = ScopedRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Licence
        fields = [
            "id",
            "organisation",
            "site",
            "kind",
            "number",
            "issuer",
            "status",
            "valid_from",
            "valid_until",
            "state",
        ]
        validators = []

    def get_state(self, obj) -> str:
        return obj.state().value

    def validate(self, attrs):
        if self.instance is not None:
            _reject_moves(self.instance, attrs)
        return super().validate(attrs)


class RelationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Relation
        fields = ["id", "kind", "source", "target", "started_on", "ended_on", "note"]


def _reject_moves(instance, attrs) -> None:
    organisation = attrs.get("organisation")
    if organisation is not None and organisation.pk != instance.organisation_id:
        raise serializers.ValidationError(
            {"organisation": _("A record cannot be moved to another organisation.")}
        )


class ScopedViewSetMixin:
    """Querysets through `visible_to`; writes need the change grant on the object."""

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not can(request.user, obj, CHANGE):
            raise exceptions.PermissionDenied(_("Your role does not allow changing this record."))

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.save()

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.save()


def visible_organisations(request):
    return Organisation.objects.visible_to(request.user)


def visible_sites(request):
    return Site.objects.visible_to(request.user)


class OrganisationFilter(filters.FilterSet):
    class Meta:
        model = Organisation
        fields = ["kind", "country", "legal_form"]


class OrganisationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations the user can see. New organisations are registered by platform staff."""

    queryset = Organisation.objects.prefetch_related("licences")
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    search_fields = ["name", "slug", "region"]
    ordering_fields = ["name", "country"]


class MemberFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(queryset=visible_organisations)
    primary_site = filters.ModelChoiceFilter(queryset=visible_sites)
    joined_after = filters.DateFilter(field_name="join_date", lookup_expr="gte")
    joined_before = filters.DateFilter(field_name="join_date", lookup_expr="lte")

    class Meta:
        model = Member
        fields = ["organisation", "gender", "role", "status", "primary_site"]


class MemberViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Members of the organisations whose members you may see; national ids are write-only
    and answered masked."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    pagination_class = KeysFirstPagination
    filterset_class = MemberFilter
    search_fields = ["given_name", "family_name", "member_number"]
    ordering_fields = ["family_name", "join_date", "member_number"]


class SiteFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(queryset=visible_organisations)
    commodity = filters.CharFilter(field_name="commodities__hs_code")
    mineral = filters.CharFilter(field_name="commodities__mineral", distinct=True)

    class Meta:
        model = Site
        fields = ["organisation", "kind", "mining_method", "uses_mercury", "uses_cyanide"]


class SiteViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Mine and processing sites with their GeoJSON location, checked and explained."""

    queryset = Site.objects.prefetch_related("commodities")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    search_fields = ["name", "site_code"]
    ordering_fields = ["name", "site_code"]


class LicenceFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(queryset=visible_organisations)

    class Meta:
        model = Licence
        fields = ["organisation", "kind", "status"]


class RelationFilter(filters.FilterSet):
    source = filters.ModelChoiceFilter(queryset=visible_organisations)
    target = filters.ModelChoiceFilter(queryset=visible_organisations)

    class Meta:
        model = Relation
        fields = ["kind", "source", "target"]


class LicenceViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Mining titles, permits and registrations of the organisations you may see."""

    queryset = Licence.objects.all()
    serializer_class = LicenceSerializer
    filterset_class = LicenceFilter
    search_fields = ["number", "issuer"]


class RelationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Support portfolios, certification engagements and supply links the user can see."""

    queryset = Relation.objects.all()
    serializer_class = RelationSerializer
    filterset_class = RelationFilter
