"""API for certificates: read them, and (certifiers only) certify, suspend, reinstate or
withdraw through the same services as the pages."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from batea.certification import services
from batea.certification.models import Certificate, CertificationDecision
from batea.registry.api import ScopedRelatedField, ScopedViewSetMixin
from batea.registry.models import Organisation, Site
from batea.standards.models import StandardVersion


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CertificationDecision
        fields = ["action", "reason", "decided_by", "decided_on"]


class CertificateSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="version.standard.code", read_only=True)
    current_status = serializers.CharField(
        read_only=True, help_text=_("The status today: a valid certificate past its end expired.")
    )
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "public_code",
            "organisation",
            "standard",
            "version",
            "variant",
            "members_covered",
            "sites",
            "minerals",
            "valid_from",
            "valid_until",
            "surveillance_months",
            "status",
            "current_status",
            "suspended_until",
            "decisions",
        ]
        read_only_fields = fields


class CertifySerializer(serializers.Serializer):
    """A certification decision: the scope, validity and surveillance of a new certificate."""

    organisation = ScopedRelatedField(queryset=Organisation.objects.all())
    version = serializers.PrimaryKeyRelatedField(
        queryset=StandardVersion.objects.all(), help_text=_("The standard version certified.")
    )
    variant = serializers.CharField(required=False, allow_blank=True, default="")
    sites = ScopedRelatedField(queryset=Site.objects.all(), many=True, required=False)
    minerals = serializers.CharField(required=False, default="gold", max_length=200)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    surveillance_months = serializers.IntegerField(
        required=False, default=12, min_value=1, max_value=60
    )
    reason = serializers.CharField(
        allow_blank=True, help_text=_("On what the decision rests (e.g. the audit).")
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("Why the certifier decided."))


class SuspendSerializer(ReasonSerializer):
    until = serializers.DateField(
        help_text=_("The day the suspension ends, within the standard's limit.")
    )


def _refused(error: DjangoPermissionDenied):
    return exceptions.PermissionDenied(str(error) or None)


@extend_schema_view(
    list=extend_schema(summary="Certificates you may see"),
    retrieve=extend_schema(summary="A certificate with its decisions"),
)
class CertificateViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Certificates with their scope, status and every decision. Only a certifier of a
    certification body engaged with the organisation certifies, suspends, reinstates or
    withdraws; anyone else gets 403. Bad input answers 400 and changes nothing."""

    queryset = Certificate.objects.select_related("version__standard").prefetch_related(
        "sites", "decisions__decided_by"
    )
    serializer_class = CertificateSerializer
    filterset_fields = ["organisation", "status", "version"]

    @extend_schema(
        summary="Certify (certifiers only)",
        request=CertifySerializer,
        responses={
            201: CertificateSerializer,
            400: OpenApiResponse(description="Bad input; nothing is written."),
            403: OpenApiResponse(description="Not a certifier engaged with the organisation."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = CertifySerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            certificate = services.certify(
                request.user,
                values["organisation"],
                values["version"],
                valid_from=values["valid_from"],
                valid_until=values["valid_until"],
                reason=values["reason"],
                sites=values.get("sites", []),
                minerals=values["minerals"] or "gold",
                variant=values["variant"],
                surveillance_months=values["surveillance_months"],
            )
        except DjangoPermissionDenied as error:
            raise _refused(error) from error
        return Response(
            CertificateSerializer(self._fresh(certificate)).data, status=status.HTTP_201_CREATED
        )

    def _decide(self, request, decision: str, payload: type[serializers.Serializer]):
        certificate = self.get_object()  # 404 when not visible, 403 when not changeable
        data = payload(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.change_status(
                request.user,
                certificate,
                decision,
                data.validated_data["reason"],
                data.validated_data.get("until"),
            )
        except DjangoPermissionDenied as error:
            raise _refused(error) from error
        return Response(CertificateSerializer(self._fresh(certificate)).data)

    def _fresh(self, certificate):
        return self.queryset.get(pk=certificate.pk)

    _decision_responses = {
        200: CertificateSerializer,
        400: OpenApiResponse(description="Bad input (e.g. beyond the suspension limit)."),
        403: OpenApiResponse(description="Not a certifier engaged with the organisation."),
        404: OpenApiResponse(description="No such certificate, or not yours to see."),
    }

    @extend_schema(
        summary="Suspend until a date (certifiers only)",
        request=SuspendSerializer,
        responses=_decision_responses,
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._decide(request, "suspend", SuspendSerializer)

    @extend_schema(
        summary="Reinstate a suspended certificate (certifiers only)",
        request=ReasonSerializer,
        responses=_decision_responses,
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._decide(request, "reinstate", ReasonSerializer)

    @extend_schema(
        summary="Withdraw for good (certifiers only)",
        request=ReasonSerializer,
        responses=_decision_responses,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._decide(request, "withdraw", ReasonSerializer)
