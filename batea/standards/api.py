"""Read-only API for standards, their requirements and crosswalks."""

from rest_framework import serializers, viewsets

from batea.registry.api import ScopedViewSetMixin
from batea.standards.models import Crosswalk, CrosswalkMapping, Requirement, StandardVersion


class StandardVersionSerializer(serializers.ModelSerializer):
    standard = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StandardVersion
        fields = [
            "id",
            "standard",
            "version",
            "status",
            "title",
            "languages",
            "checksum",
            "imported_at",
            "retired_at",
            "document",
        ]


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requirement
        fields = [
            "id",
            "version",
            "code",
            "chapter",
            "chapter_title",
            "title",
            "guidance",
            "applies_to",
            "kind",
            "binding_year",
            "scoring",
            "variants",
            "risk_tags",
            "rollup",
            "order",
        ]


class MappingSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    target = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CrosswalkMapping
        fields = ["source", "target", "relation", "note"]


class CrosswalkSerializer(serializers.ModelSerializer):
    mappings = MappingSerializer(many=True, read_only=True)

    class Meta:
        model = Crosswalk
        fields = ["id", "code", "title", "source", "target", "checksum", "mappings"]


class StandardVersionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Standard versions with their full catalogue document."""

    queryset = StandardVersion.objects.select_related("standard")
    serializer_class = StandardVersionSerializer
    filterset_fields = {"standard__code": ["exact"], "status": ["exact"], "version": ["exact"]}
    search_fields = ["standard__code", "version"]


class RequirementViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Requirements of every imported standard version (public reference data)."""

    queryset = Requirement.objects.all()
    serializer_class = RequirementSerializer
    filterset_fields = ["version", "applies_to", "kind", "binding_year", "chapter", "scoring"]
    search_fields = ["code"]


class CrosswalkViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Crosswalks between standard versions with their mappings (public reference data)."""

    queryset = Crosswalk.objects.prefetch_related("mappings__source", "mappings__target")
    serializer_class = CrosswalkSerializer
    filterset_fields = ["source", "target"]
