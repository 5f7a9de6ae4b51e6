"""Custody API: lots and their trace, incidents, sales and the EPCIS 2.0 export. Every
queryset comes from the scoping mechanism; errors are 4xx."""

import contextlib
import uuid
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from batea.custody import epcis, tracing
from batea.custody.forms import (
    change_incident,
    flag_label,
    incident_change_problems,
    person_name,
    possible_owners,
)
from batea.custody.models import MODEL_LABELS, Incident, Lot, Sale
from batea.custody.templatetags.custody import incident_message
from batea.domain.custody.trace import largest_remainder
from batea.registry.api import ScopedViewSetMixin, visible_organisations
from batea.registry.models import Member, Organisation, Site

SHARE_DECIMALS = 12
SHARE_PLACES = Decimal("1e-12")
GRAM_PLACES = Decimal("1e-6")


# Trace as data (shared by the API and `batea trace --json`) ------------------------------


def _visible(model, user, ids) -> set | None:
    """The ids among `ids` the user may see; None means all (the operator's command)."""
    if user is None:
        return None
    return set(model.objects.visible_to(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def _shown(visible: set | None, pk) -> bool:
    return pk is not None and (visible is None or pk in visible)


def trace_data(lot: Lot, direction: str = "back", user=None) -> dict:
    """A lot's origins (back) or descendants and buyers (forward) as JSON-ready data.

    Members and sites are named only where the user may see them; others are given by
    their organisation. Shares are of the lot's fine content and sum to 1; grams sum to
    the lot's fine content exactly (back)."""
    data = {
        "lot": str(lot.pk),
        "code": lot.code,
        "direction": direction,
        "fine_g": str(lot.fine_g),
    }
    if direction == "back":
        data.update(_back(lot, user))
    else:
        data.update(_forward(lot, user))
    return data


def _back(lot: Lot, user) -> dict:
    traced = tracing.trace_back(lot)
    sites = {o.site.pk: o.site for o in traced.origins if o.site}
    members = {o.member.pk: o.member for o in traced.origins if o.member}
    visible_sites = _visible(Site, user, sites)
    visible_members = _visible(Member, user, members)
    names = dict(
        Organisation.objects.filter(
            pk__in={s.organisation_id for s in sites.values()}
            | {m.organisation_id for m in members.values()}
        ).values_list("pk", "name")
    )

    def site_data(site) -> dict:
        shown = site is not None and _shown(visible_sites, site.pk)
        return {
            "site": str(site.pk) if shown else None,
            "site_name": site.name if shown else None,
            "site_code": site.site_code if shown else None,
            "organisation": str(site.organisation_id) if site else None,
            "organisation_name": names.get(site.organisation_id) if site else None,
        }

    origins = []
    shares = _exact_shares([o.share for o in traced.origins])
    for origin, share in zip(traced.origins, shares, strict=True):
        shown = origin.member is not None and _shown(visible_members, origin.member.pk)
        origins.append(
            {
                **site_data(origin.site),
                "member": str(origin.member.pk) if shown else None,
                "member_name": origin.member.full_name if shown else None,
                "share": str(share),
                "fine_g": str(origin.fine_g),
                "depth": origin.depth,
            }
        )
    grouped = traced.by_site()
    by_site = [
        {**site_data(site), "share": str(share), "fine_g": str(grams)}
        for (site, _share, grams), share in zip(
            grouped, _exact_shares([row[1] for row in grouped]), strict=True
        )
    ]
    return {"depth": traced.depth, "origins": origins, "sites": by_site}


def _exact_shares(shares: list[Decimal]) -> list[Decimal]:
    """Shares to 12 decimals that add up to exactly 1 (largest remainder)."""
    if not shares:
        return []
    return largest_remainder(Decimal(1), shares, SHARE_DECIMALS)


def _forward(lot: Lot, user) -> dict:
    descendants = tracing.trace_forward(lot)
    visible = _visible(Lot, user, [d.lot.pk for d in descendants])
    own_sale = Sale.objects.filter(lot=lot).select_related("buyer").first()
    rows, buyers = [], {}
    for d in descendants:
        shown = _shown(visible, d.lot.pk)
        from_lot = (d.share * d.lot.fine_g).quantize(GRAM_PLACES)
        rows.append(
            {
                "lot": str(d.lot.pk) if shown else None,
                "code": d.lot.code if shown else None,
                "kind": d.lot.kind,
                "holder": str(d.lot.organisation_id),
                "holder_name": d.lot.organisation.name,
                "status": d.lot.status,
                "fine_g": str(d.lot.fine_g),
                "share": str(d.share.quantize(SHARE_PLACES)),
                "fine_g_from_lot": str(from_lot),
                "depth": d.depth,
                "sold_to": d.sold_to,
            }
        )
        if d.sold_to:
            buyers[d.sold_to] = buyers.get(d.sold_to, Decimal(0)) + from_lot
    if own_sale is not None:
        buyers[own_sale.buyer.name] = buyers.get(own_sale.buyer.name, Decimal(0)) + lot.fine_g
    return {
        "sold_to": own_sale.buyer.name if own_sale else None,
        "descendants": rows,
        "buyers": [{"buyer": name, "fine_g": str(grams)} for name, grams in buyers.items()],
    }


class TraceOriginSerializer(serializers.Serializer):
    site = serializers.UUIDField(allow_null=True, help_text=_("Null if you may not see it."))
    site_name = serializers.CharField(allow_null=True)
    site_code = serializers.CharField(allow_null=True)
    organisation = serializers.UUIDField(allow_null=True)
    organisation_name = serializers.CharField(allow_null=True)
    member = serializers.UUIDField(
        allow_null=True, required=False, help_text=_("Null unless you may see the member.")
    )
    member_name = serializers.CharField(allow_null=True, required=False)
    share = serializers.DecimalField(max_digits=14, decimal_places=12)
    fine_g = serializers.DecimalField(max_digits=28, decimal_places=12)
    depth = serializers.IntegerField(required=False)


class TraceDescendantSerializer(serializers.Serializer):
    lot = serializers.UUIDField(allow_null=True, help_text=_("Null if you may not see it."))
    code = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    holder = serializers.UUIDField()
    holder_name = serializers.CharField()
    status = serializers.CharField()
    fine_g = serializers.DecimalField(max_digits=28, decimal_places=12)
    share = serializers.DecimalField(
        max_digits=14, decimal_places=12, help_text=_("Part of this lot from the traced one.")
    )
    fine_g_from_lot = serializers.DecimalField(max_digits=28, decimal_places=6)
    depth = serializers.IntegerField()
    sold_to = serializers.CharField(allow_null=True)


class TraceBuyerSerializer(serializers.Serializer):
    buyer = serializers.CharField()
    fine_g = serializers.DecimalField(max_digits=28, decimal_places=12)


class TraceSerializer(serializers.Serializer):
    lot = serializers.UUIDField()
    code = serializers.CharField()
    direction = serializers.ChoiceField(choices=["back", "forward"])
    fine_g = serializers.DecimalField(max_digits=28, decimal_places=12)
    depth = serializers.IntegerField(required=False, help_text=_("Back: most steps to an origin."))
    origins = TraceOriginSerializer(many=True, required=False)
    sites = TraceOriginSerializer(many=True, required=False)
    sold_to = serializers.CharField(allow_null=True, required=False)
    descendants = TraceDescendantSerializer(many=True, required=False)
    buyers = TraceBuyerSerializer(many=True, required=False)


# Lots ------------------------------------------------------------------------------------


class LotSerializer(serializers.ModelSerializer):
    holder = serializers.PrimaryKeyRelatedField(source="organisation", read_only=True)
    in_transit_to = serializers.SerializerMethodField()
    sold_to = serializers.SerializerMethodField()
    certified = serializers.BooleanField(read_only=True)
    claim_standard = serializers.SerializerMethodField()
    # Blank for a lot without a certified claim (the description must allow "").
    custody_model = serializers.ChoiceField(
        choices=list(MODEL_LABELS.items()), allow_blank=True, read_only=True
    )

    class Meta:
        model = Lot
        fields = [
            "id",
            "code",
            "kind",
            "mineral",
            "mass_g",
            "fineness",
            "fine_g",
            "status",
            "holder",
            "in_transit_to",
            "sold_to",
            "origin_organisation",
            "certified",
            "claim_standard",
            "claim_version",
            "claim_variant",
            "custody_model",
            "site",
            "produced_on",
            "origin_sites",
            "created_at",
        ]
        read_only_fields = fields

    def get_in_transit_to(self, lot) -> str | None:
        return str(lot.consignee_id) if lot.status == "in_transit" else None

    def get_sold_to(self, lot) -> str | None:
        return str(lot.consignee_id) if lot.status == "sold" and lot.consignee_id else None

    def get_claim_standard(self, lot) -> str | None:
        return lot.claim_version.standard.code if lot.claim_version_id else None


class LotFilter(filters.FilterSet):
    holder = filters.ModelChoiceFilter(field_name="organisation", queryset=visible_organisations)
    origin = filters.ModelChoiceFilter(
        field_name="origin_organisation", queryset=visible_organisations
    )
    certified = filters.BooleanFilter(method="filter_certified")
    produced_after = filters.DateFilter(field_name="produced_on", lookup_expr="gte")
    produced_before = filters.DateFilter(field_name="produced_on", lookup_expr="lte")

    class Meta:
        model = Lot
        fields = ["code", "status", "mineral", "kind", "custody_model", "holder", "origin"]

    def filter_certified(self, queryset, name, value):
        return queryset.filter(claim_version__isnull=not value)


class LotViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Lots the user can see: held, addressed to, or mined by their organisations, or by
    organisations they follow through a relation."""

    queryset = Lot.objects.select_related("claim_version__standard")
    serializer_class = LotSerializer
    filterset_class = LotFilter
    search_fields = ["code"]
    ordering_fields = ["created_at", "produced_on", "fine_g", "code"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "direction",
                str,
                enum=["back", "forward"],
                default="back",
                description="back: origin sites and members with their shares; "
                "forward: lots made from it and the buyers.",
            )
        ],
        responses={200: TraceSerializer, 400: OpenApiResponse(description="Bad direction")},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def trace(self, request, pk=None):
        """Trace the lot back to its origins or forward to where it went."""
        lot = self.get_object()
        direction = request.query_params.get("direction", "back")
        if direction not in ("back", "forward"):
            raise exceptions.ValidationError(
                {"direction": _("Use direction=back or direction=forward.")}
            )
        return Response(trace_data(lot, direction, request.user))


# Incidents -------------------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    lot_code = serializers.CharField(source="lot.code", read_only=True, allow_null=True)
    flag = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), allow_null=True, required=False
    )
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "organisation",
            "lot",
            "lot_code",
            "site",
            "code",
            "flag",
            "severity",
            "message",
            "status",
            "owner",
            "owner_name",
            "resolution",
            "opened_on",
            "closed_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "organisation",
            "lot",
            "site",
            "code",
            "severity",
            "opened_on",
            "closed_on",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, Incident):
            self.fields["owner"].queryset = possible_owners(self.instance)

    def get_flag(self, incident) -> str:
        return flag_label(incident.code)

    def get_message(self, incident) -> str:
        return incident_message(incident)

    def get_owner_name(self, incident) -> str | None:
        return person_name(incident.owner) if incident.owner_id else None

    def validate(self, attrs):
        status = attrs.get("status", self.instance.status if self.instance else None)
        resolution = attrs.get("resolution", self.instance.resolution if self.instance else "")
        problems = incident_change_problems(status, resolution)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def update(self, instance, validated):
        return change_incident(
            instance,
            status=validated.get("status", instance.status),
            owner=validated.get("owner", instance.owner),
            resolution=validated.get("resolution", instance.resolution),
        )


class IncidentFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(queryset=visible_organisations)
    opened_after = filters.DateFilter(field_name="opened_on", lookup_expr="gte")

    class Meta:
        model = Incident
        fields = ["status", "code", "severity", "organisation", "lot"]


class IncidentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Red-flag incidents the user can see. PATCH sets status, owner and resolution (those
    who record custody for the incident's organisation); closing needs a resolution."""

    queryset = Incident.objects.select_related("lot", "owner")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ["opened_on", "status", "severity"]
    http_method_names = ["get", "patch", "head", "options"]

    @transaction.atomic
    def perform_update(self, serializer):
        try:
            serializer.save()
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error


# Sales -----------------------------------------------------------------------------------


class SaleSerializer(serializers.ModelSerializer):
    lot_code = serializers.CharField(source="lot.code", read_only=True)

    class Meta:
        model = Sale
        fields = [
            "id",
            "lot",
            "lot_code",
            "seller",
            "buyer",
            "sold_on",
            "fine_g",
            "usd_per_troy_oz",
            "reference_usd_per_troy_oz",
            "minimum_price_ok",
            "premium_rule",
            "premium_owed",
            "premium_currency",
        ]
        read_only_fields = fields


class SaleFilter(filters.FilterSet):
    seller = filters.ModelChoiceFilter(queryset=visible_organisations)
    buyer = filters.ModelChoiceFilter(queryset=visible_organisations)
    sold_after = filters.DateFilter(field_name="sold_on", lookup_expr="gte")
    sold_before = filters.DateFilter(field_name="sold_on", lookup_expr="lte")

    class Meta:
        model = Sale
        fields = ["seller", "buyer", "minimum_price_ok"]


class SaleViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Sales the user's organisations made or received: price, reference, minimum-price
    check and premium owed."""

    queryset = Sale.objects.select_related("lot")
    serializer_class = SaleSerializer
    filterset_class = SaleFilter
    ordering_fields = ["sold_on", "premium_owed"]


# EPCIS -----------------------------------------------------------------------------------


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class EpcisView(APIView):
    """An EPCIS 2.0 document (JSON-LD) of the custody events you may see: production,
    shipping and receiving, refining, splits and merges, sales."""

    renderer_classes = [JsonLdRenderer, JSONRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "organisation",
                str,
                description="Only events of this organisation (id or slug), as actor or "
                "counterparty.",
            ),
            OpenApiParameter("since", OpenApiTypes.DATE, description="Events on or after"),
        ],
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="An EPCISDocument"
            ),
            # `Accept: application/json` gives the same document as plain JSON.
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="An EPCISDocument"
            ),
            400: OpenApiResponse(description="Bad date"),
            404: OpenApiResponse(description="Unknown organisation"),
        },
    )
    def get(self, request):
        since = None
        if request.query_params.get("since"):
            try:
                since = date.fromisoformat(request.query_params["since"])
            except ValueError as error:
                raise exceptions.ValidationError(
                    {"since": _("Give the date as YYYY-MM-DD.")}
                ) from error
        organisation = None
        key = request.query_params.get("organisation", "").strip()
        if key:
            organisation = find_organisation(Organisation.objects.visible_to(request.user), key)
            if organisation is None:
                raise exceptions.NotFound(_("No such organisation."))
        document = epcis.export(request.user, organisation, since)
        response = Response(document)
        response["Content-Disposition"] = 'inline; filename="batea-epcis.jsonld"'
        return response


def find_organisation(organisations, key: str):
    """An organisation by id or slug among `organisations`."""
    query = Q(slug=key)
    with contextlib.suppress(ValueError):
        query |= Q(pk=uuid.UUID(key))
    return organisations.filter(query).first()
