"""API for assessments, answers, findings, corrective actions and the pathway."""

from datetime import date

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from batea.access.scoping import organisations_where
from batea.assessments import pathway, services
from batea.assessments.models import Answer, Assessment, CorrectiveAction, NonConformity
from batea.assessments.reporting import standard_data
from batea.domain.access import VIEW, Resource
from batea.registry.api import ScopedRelatedField, ScopedViewSetMixin
from batea.registry.models import Member, Organisation, Site
from batea.standards.models import Requirement, StandardVersion


class AssessmentSerializer(serializers.ModelSerializer):
    organisation = ScopedRelatedField(queryset=Organisation.objects.all())
    member = ScopedRelatedField(queryset=Member.objects.all(), required=False, allow_null=True)
    site = ScopedRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    version = serializers.PrimaryKeyRelatedField(queryset=StandardVersion.objects.all())

    class Meta:
        model = Assessment
        fields = [
            "id",
            "organisation",
            "version",
            "kind",
            "subject_type",
            "member",
            "site",
            "assessor",
            "assessed_on",
            "status",
            "submitted_at",
            "reviewed_at",
            "notes",
            "cost",
            "cost_currency",
        ]
        read_only_fields = ["subject_type", "assessor", "status", "submitted_at", "reviewed_at"]

    def validate(self, attrs):
        if attrs.get("member") and attrs.get("site"):
            raise serializers.ValidationError({"site": _("Choose a member or a site, not both.")})
        return attrs

    def create(self, validated):
        assessment = services.start_assessment(
            self.context["request"].user,
            validated["organisation"],
            validated["version"],
            validated["kind"],
            validated["assessed_on"],
            member=validated.get("member"),
            site=validated.get("site"),
            notes=validated.get("notes", ""),
        )
        if validated.get("cost") is not None:
            assessment.cost = validated["cost"]
            assessment.cost_currency = validated.get("cost_currency", "USD")
            assessment.save(update_fields=["cost", "cost_currency"])
        return assessment


class AnswerSerializer(serializers.ModelSerializer):
    assessment = ScopedRelatedField(queryset=Assessment.objects.all())
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180
    )
    requirement = serializers.PrimaryKeyRelatedField(queryset=Requirement.objects.all())
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text=_("Why a submitted answer is corrected."),
    )

    class Meta:
        model = Answer
        fields = [
            "id",
            "assessment",
            "requirement",
            "value",
            "score",
            "notes",
            "latitude",
            "longitude",
            "answered_by",
            "answered_at",
            "current",
            "supersedes",
            "correction_reason",
            "reason",
        ]
        read_only_fields = [
            "answered_by",
            "answered_at",
            "current",
            "supersedes",
            "correction_reason",
        ]
        validators = []

    def create(self, validated):
        return services.record_answer(
            self.context["request"].user,
            validated["assessment"],
            validated["requirement"],
            services.AnswerInput(
                value=validated.get("value", ""),
                score=validated.get("score"),
                notes=validated.get("notes", ""),
                reason=validated.get("reason", ""),
                latitude=validated.get("latitude"),
                longitude=validated.get("longitude"),
            ),
        )


class NonConformitySerializer(serializers.ModelSerializer):
    requirement = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = NonConformity
        fields = [
            "id",
            "organisation",
            "answer",
            "requirement",
            "severity",
            "raised_on",
            "due_on",
            "status",
            "escalated_on",
            "flagged_for_suspension",
            "closed_on",
        ]


class CorrectiveActionSerializer(serializers.ModelSerializer):
    nonconformity = ScopedRelatedField(queryset=NonConformity.objects.all())

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "nonconformity",
            "description",
            "owner",
            "due_on",
            "status",
            "closing_evidence",
            "completed_on",
            "verified_by",
            "verified_on",
        ]
        read_only_fields = [
            "status",
            "closing_evidence",
            "completed_on",
            "verified_by",
            "verified_on",
        ]

    def create(self, validated):
        return services.add_action(
            self.context["request"].user,
            validated["nonconformity"],
            validated["description"],
            validated["owner"],
            validated.get("due_on"),
        )


class ServiceErrorsMixin:
    """Service-layer refusals become 403 with the reason."""

    def perform_create(self, serializer):
        try:
            serializer.save()
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or None) from error


class AssessmentViewSet(
    ServiceErrorsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Assessments you may read; POST starts one of a kind your role may record."""

    queryset = Assessment.objects.all()
    serializer_class = AssessmentSerializer
    filterset_fields = ["kind", "status", "subject_type", "version"]


class AnswerViewSet(
    ServiceErrorsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Answers; POST records one (a correction, with `reason`, once submitted)."""

    queryset = Answer.objects.all()
    serializer_class = AnswerSerializer
    filterset_fields = ["assessment", "current", "requirement"]


class NonConformityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Findings of submitted assessments, with their deadlines and escalation."""

    queryset = NonConformity.objects.select_related("requirement")
    serializer_class = NonConformitySerializer
    filterset_fields = ["status", "severity", "flagged_for_suspension"]


class CorrectiveActionViewSet(
    ServiceErrorsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Corrective actions on findings; POST adds one with its owner and due date."""

    queryset = CorrectiveAction.objects.all()
    serializer_class = CorrectiveActionSerializer
    filterset_fields = ["status", "owner", "nonconformity"]


class PathwayView(APIView):
    """Where an organisation stands: per standard, the level met, blocking requirements,
    next steps. Default: every standard of the default ladder."""

    @extend_schema(
        parameters=[
            OpenApiParameter("standard", str, description="A standard id"),
            OpenApiParameter("at", OpenApiTypes.DATE, description="Evaluation date"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, organisation_id):
        readable = organisations_where(request.user, Resource.ASSESSMENT, VIEW)
        organisation = get_object_or_404(readable, pk=organisation_id)
        on = None
        if request.query_params.get("at"):
            try:
                on = date.fromisoformat(request.query_params["at"])
            except ValueError as error:
                raise exceptions.ValidationError({"at": str(error)}) from error
        standard = request.query_params.get("standard")
        language = (request.LANGUAGE_CODE or "en")[:2]
        if standard:
            version = pathway.version_for(organisation, standard)
            if version is None:
                raise exceptions.ValidationError({"standard": _("Unknown standard.")})
            results = [pathway.evaluate_standard(organisation, version, on)]
        else:
            ladder = pathway.default_ladder()
            if ladder is None:
                raise exceptions.ValidationError({"standard": _("No ladder is configured.")})
            rungs = pathway.evaluate_ladder_for(organisation, ladder, on)
            results = list({r.standard.standard: r.standard for r in rungs}.values())
        return Response(
            {
                "organisation": str(organisation.pk),
                "standards": [standard_data(r, language) for r in results],
            }
        )
