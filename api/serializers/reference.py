"""Reference data: regions, clusters (with their chain segments) and tiers."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.scoping import VisibleRelationsMixin
from api.serializers.base import SlugRelatedField, StrictModelSerializer
from tracker.models import ChainSegment, Cluster, Region, Tier


class RegionSerializer(VisibleRelationsMixin, StrictModelSerializer):
    parent = SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("上级区划的行政区划代码。"),
    )

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_en", "level", "parent"]


class ChainSegmentSerializer(StrictModelSerializer):
    id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ChainSegment
        fields = ["id", "position", "name", "sort_order"]

    def to_internal_value(self, data):
        # The list replaces the cluster's segments, so each is whole even in a PATCH of the cluster
        # (DRF passes the PATCH's "partial" down to the items).
        value = super().to_internal_value(data)
        missing = [name for name in ("position", "name") if name not in value]
        if missing:
            required = {name: [self.fields[name].error_messages["required"]] for name in missing}
            raise serializers.ValidationError(required)
        return value


class ClusterSerializer(VisibleRelationsMixin, StrictModelSerializer):
    core_regions = SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        many=True,
        required=False,
        help_text=_("核心承载区的行政区划代码列表。"),
    )
    segments = ChainSegmentSerializer(
        many=True,
        required=False,
        help_text=_("产业链环节。写入时整体替换：按名称匹配保留原 id，未列出的环节被删除。"),
    )

    class Meta:
        model = Cluster
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "group",
            "name_confirmed",
            "operating_org",
            "core_regions",
            "reference",
            "segments",
        ]

    def validate_segments(self, value: list[dict]) -> list[dict]:
        names = [item["name"] for item in value]
        if len(names) != len(set(names)):
            raise serializers.ValidationError(_("同一集群内环节名称不能重复。"))
        return value

    # Clusters are reference data without a domain service; the nested write stays this small.
    @transaction.atomic
    def create(self, validated_data: dict) -> Cluster:
        segments = validated_data.pop("segments", None)
        cluster = super().create(validated_data)
        if segments is not None:
            _replace_segments(cluster, segments)
        return cluster

    @transaction.atomic
    def update(self, instance: Cluster, validated_data: dict) -> Cluster:
        segments = validated_data.pop("segments", None)
        cluster = super().update(instance, validated_data)
        if segments is not None:
            _replace_segments(cluster, segments)
        return cluster


def _replace_segments(cluster: Cluster, segments: list[dict]) -> None:
    """Make the cluster's segments exactly this list, keeping the ids of segments matched by name."""
    wanted = {item["name"]: item for item in segments}
    cluster.segments.exclude(name__in=wanted).delete()
    existing = {segment.name: segment for segment in cluster.segments.all()}
    for name, item in wanted.items():
        segment = existing.get(name) or ChainSegment(cluster=cluster, name=name)
        segment.position = item["position"]
        segment.sort_order = item.get("sort_order", 0)
        segment.save()
    if hasattr(cluster, "_prefetched_objects_cache"):
        cluster._prefetched_objects_cache.pop("segments", None)


class TierSerializer(StrictModelSerializer):
    class Meta:
        model = Tier
        fields = ["code", "name_zh", "name_en", "track", "ladder_order", "validity_years", "per_cluster", "description"]

    def validate_code(self, value: str) -> str:
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(_("层级代码创建后不能修改。"))
        return value
